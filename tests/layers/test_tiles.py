"""Vector tiles of a workspace (layers/tiles.py) and their route (pages/tile_http.py): a tile holds exactly the
parcels its box touches, with their attributes from the workspace and their outline where the parcel is (within
the tile grid), decoded by an independent decoder (mapbox-vector-tile); the route answers gzip MVT for a
registered workspace, 404 otherwise, and in the team mode only with a live session."""
from __future__ import annotations

import asyncio
import dataclasses
import gzip
import math

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import shape

from layers import tiles
from pages.login_http import COOKIE
from pages.tile_http import tile_routes
from team.accounts import Accounts


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def _decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(gzip.decompress(data), default_options={"y_coord_down": True})


@pytest.fixture(scope="module")
def source(sample_ws, settings):
    return tiles.WorkspaceTiles(sample_ws, settings)


def test_a_tile_holds_the_parcels_its_box_touches_with_their_attributes(sample_ws, source):
    parcels = sample_ws.parcels.to_crs("EPSG:3857")
    lon, lat = sample_ws.center
    z = 15
    x, y = _tile_of(*Transformer.from_crs(sample_ws.crs, "EPSG:4326", always_xy=True).transform(
        *sample_ws.parcels.geometry.iloc[len(sample_ws.parcels) // 2].representative_point().coords[0]), z)
    minx, miny, maxx, maxy = tiles.tile_bounds(z, x, y)
    pad = tiles.BUFFER_UNITS * (maxx - minx) / 4096
    features = _decode(source.tile("parcels", z, x, y))["parcels"]["features"]
    got = {f["properties"]["parcel_id"]: f for f in features}
    inside = parcels[parcels.intersects(shapely.box(minx, miny, maxx, maxy))]
    near = parcels[parcels.intersects(shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad))]
    assert len(inside) > 0
    assert set(inside.index) <= set(got) <= set(near.index)           # exhaustive: by intersection tests
    scale = 4096 / (maxx - minx)
    import datetime as dt

    from geo.stock import classify_workspace
    stock = classify_workspace(sample_ws, dt.date.today(), source.settings)["stock_class"]
    for pid, f in got.items():
        row = sample_ws.parcels.loc[pid]
        assert f["properties"]["stock_class"] == stock.loc[pid]                    # 存量 class, as classified
        assert f["properties"]["zone_id"] == row["zone_id"] and f["properties"]["status"] == row["status"]
        assert f["properties"]["area_mu"] == pytest.approx(round(float(row["area_mu"]), 1))
        # back to EPSG:3857: the part of the parcel within the buffered tile, to a couple of tile units
        g = shapely.transform(shape(f["geometry"]), lambda c: np.column_stack(
            [minx + c[:, 0] / scale, maxy - c[:, 1] / scale]))
        clipped = shapely.clip_by_rect(parcels.geometry.loc[pid], minx - pad, miny - pad, maxx + pad, maxy + pad)
        assert shapely.hausdorff_distance(g, clipped) <= 2.5 / scale


def test_below_the_detail_zoom_parcels_carry_only_status_and_park(sample_ws, source):
    lon, lat = Transformer.from_crs(sample_ws.crs, "EPSG:4326", always_xy=True).transform(
        *sample_ws.parcels.geometry.iloc[0].representative_point().coords[0])
    z = tiles.DETAIL_ZOOM - 1
    features = _decode(source.tile("parcels", z, *_tile_of(lon, lat, z)))["parcels"]["features"]
    assert features and all(set(f["properties"]) == {"zone_id", "status", "stock_class"} for f in features)
    assert _decode(source.tile("parcels", tiles.MIN_ZOOM["parcels"] - 1,
                               *_tile_of(lon, lat, tiles.MIN_ZOOM["parcels"] - 1))) == {}


def test_constraint_layers_are_tiles_too(sample_ws, source):
    names = [n for n in tiles.CONSTRAINT_LAYERS if sample_ws.constraint(n) is not None]
    if not names:
        pytest.skip("the sample county has no constraint layer")
    layer = sample_ws.constraint(names[0])
    lon, lat = Transformer.from_crs(layer.crs, "EPSG:4326", always_xy=True).transform(
        *layer.geometry.iloc[0].representative_point().coords[0])
    decoded = _decode(source.tile(names[0], 14, *_tile_of(lon, lat, 14)))
    assert decoded[names[0]]["features"]


async def _call(app, path: str, cookie: str | None = None, extra_headers: tuple = ()):
    path, _, query = path.partition("?")
    headers = [(b"host", b"testserver"), *extra_headers] + \
        ([(b"cookie", f"{COOKIE}={cookie}".encode())] if cookie else [])
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "server": ("testserver", 80), "client": ("127.0.0.1", 5000), "headers": headers}
    messages = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        messages.append(message)
    await app(scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


def _get(app, path, cookie=None):
    return asyncio.run(_call(app, path, cookie))


def test_the_route_serves_a_registered_workspaces_tiles(sample_ws, settings):
    from starlette.applications import Starlette
    registry = tiles.TileRegistry()
    app = Starlette(routes=tile_routes(tiles=registry))
    assert registry.mounted
    token = registry.register(("ws", sample_ws.version), lambda: tiles.WorkspaceTiles(sample_ws, settings))
    lon, lat = sample_ws.center
    x, y = _tile_of(lon, lat, 13)
    status, headers, body = _get(app, f"/tiles/parcels/13/{x}/{y}.pbf?v={token}")
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert "immutable" in headers["cache-control"]
    assert body == registry.source(token).tile("parcels", 13, x, y)
    assert _get(app, f"/tiles/parcels/13/{x}/{y}.pbf?v=nope")[0] == 404
    assert _get(app, f"/tiles/roads/13/{x}/{y}.pbf?v={token}")[0] == 404
    assert _get(app, f"/tiles/parcels/3/8/0.pbf?v={token}")[0] == 404         # x outside 0…7
    # the same workspace version registers once: the same token
    assert registry.register(("ws", sample_ws.version), lambda: None) == token


def test_in_the_team_mode_a_tile_needs_a_live_session(sample_ws, settings, tmp_path):
    from starlette.applications import Starlette
    policy = dataclasses.replace(settings.accounts, session_minutes=45)
    db = tmp_path / "accounts.sqlite"
    with Accounts(db, policy) as acc:
        acc.add("查看员", "viewer", "view-pass-123")
        session = acc.login("查看员", "view-pass-123")
    registry = tiles.TileRegistry()
    app = Starlette(routes=tile_routes(team=True, open_accounts=lambda: Accounts(db, policy), tiles=registry))
    token = registry.register(("ws", sample_ws.version), lambda: tiles.WorkspaceTiles(sample_ws, settings))
    x, y = _tile_of(*sample_ws.center, 13)
    path = f"/tiles/parcels/13/{x}/{y}.pbf?v={token}"
    assert _get(app, path)[0] == 401
    assert _get(app, path, cookie="forged")[0] == 401
    assert _get(app, path, cookie=session.token)[0] == 200
    with Accounts(db, policy) as acc:
        acc.logout(session.token)
    assert _get(app, path, cookie=session.token)[0] == 401


def test_static_scripts_are_gzipped_other_paths_untouched():
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from pages.tile_http import StaticGzip
    text = "var x = 1;\n" * 2000

    async def body(request):
        return PlainTextResponse(text)
    app = Starlette(routes=[Route("/static/js/a.js", body), Route("/tiles/x", body)],
                    middleware=[Middleware(StaticGzip)])

    async def call(path):
        status, headers, data = await _call(app, path, extra_headers=((b"accept-encoding", b"gzip"),))
        return headers, data
    headers, data = asyncio.run(call("/static/js/a.js"))
    assert headers.get("content-encoding") == "gzip" and gzip.decompress(data).decode() == text
    headers, data = asyncio.run(call("/tiles/x"))
    assert "content-encoding" not in headers and data.decode() == text


def test_factories_are_a_tile_layer_from_their_minimum_zoom(sample_ws, source):
    factories = sample_ws.factories.to_crs("EPSG:3857")
    lon, lat = Transformer.from_crs(sample_ws.crs, "EPSG:4326", always_xy=True).transform(
        *sample_ws.factories.geometry.iloc[0].representative_point().coords[0])
    z = 15
    x, y = _tile_of(lon, lat, z)
    minx, miny, maxx, maxy = tiles.tile_bounds(z, x, y)
    decoded = _decode(source.tile("factories", z, x, y))["factories"]["features"]
    got = {f["properties"]["factory_id"]: f for f in decoded}
    inside = factories[factories.intersects(shapely.box(minx, miny, maxx, maxy))]
    assert len(inside) and set(inside.index) <= set(got)
    for fid, f in got.items():
        assert f["properties"]["status"] == sample_ws.factories.at[fid, "status"]
    low = tiles.MIN_ZOOM["factories"] - 1
    assert _decode(source.tile("factories", low, *_tile_of(lon, lat, low))) == {}


def test_a_detail_source_makes_every_tile_but_the_parcels_overview(sample_ws, settings):
    """The team store: PostGIS makes the tiles of the layers it has; the overview zooms are cut from the workspace
    the page holds (the database has no overview)."""
    class Detail:
        layers = {"parcels", "farmland"}
        asked = []

        def tile(self, layer, z, x, y):
            self.asked.append((layer, z))
            return b"from-detail"
    both = tiles.WorkspaceTiles(sample_ws, settings, detail=Detail())
    lon, lat = Transformer.from_crs(sample_ws.crs, "EPSG:4326", always_xy=True).transform(
        *sample_ws.factories.geometry.iloc[0].representative_point().coords[0])
    from layers.tile_overview import OVERVIEW_BELOW
    assert both.tile("parcels", 14, *_tile_of(lon, lat, 14)) == b"from-detail"
    assert both.tile("farmland", 12, *_tile_of(lon, lat, 12)) == b"from-detail"
    overview = both.tile("parcels", OVERVIEW_BELOW - 1, *_tile_of(lon, lat, OVERVIEW_BELOW - 1))
    assert _decode(overview)["parcels"]["features"]
    factories = both.tile("factories", 15, *_tile_of(lon, lat, 15))           # not in the database's tile set
    assert factories != b"from-detail"
    assert Detail.asked == [("parcels", 14), ("farmland", 12)]
