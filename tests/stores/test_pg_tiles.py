"""Tiles made by PostGIS (stores/pg_tiles.py) for the sample county migrated into a throw-away cluster: decoded by
an independent decoder (mapbox-vector-tile), a tile holds the parcels its box touches (an exhaustive intersection
test in EPSG:3857) with the workspace's attributes, and agrees with the embedded store's tile of the same box."""
from __future__ import annotations

import gzip
import math
import re

import mapbox_vector_tile
import pytest
import shapely
from pyproj import Transformer

from layers import tiles
from layers.tile_overview import OVERVIEW_BELOW
from stores.pg_tiles import DETAIL_ZOOM, PostgisTiles
from tests.stores.test_store import fresh_pg_db, pg, pg_template  # noqa: F401 (fixtures)


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def _features(data: bytes, layer: str = "parcels") -> dict:
    decoded = mapbox_vector_tile.decode(gzip.decompress(data), default_options={"y_coord_down": True})
    return {f["properties"].get("parcel_id"): f for f in decoded.get(layer, {}).get("features", [])}


@pytest.fixture(scope="module")
def pg_source(pg, pg_template):  # noqa: F811
    return PostgisTiles(fresh_pg_db(pg, pg_template))


def test_a_postgis_tile_holds_the_parcels_its_box_touches(sample_ws, settings, pg_source):
    parcels = sample_ws.parcels.to_crs("EPSG:3857")
    to_ll = Transformer.from_crs(sample_ws.crs, "EPSG:4326", always_xy=True)
    point = sample_ws.parcels.geometry.iloc[len(sample_ws.parcels) // 3].representative_point()
    z = 15
    x, y = _tile_of(*to_ll.transform(point.x, point.y), z)
    minx, miny, maxx, maxy = tiles.tile_bounds(z, x, y)
    pad = 64 * (maxx - minx) / 4096
    got = _features(pg_source.tile("parcels", z, x, y))
    inside = parcels[parcels.intersects(shapely.box(minx, miny, maxx, maxy))]
    near = parcels[parcels.intersects(shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad))]
    assert len(inside) > 0 and set(inside.index) <= set(got) <= set(near.index)
    for pid, f in got.items():
        row = sample_ws.parcels.loc[pid]
        assert (f["properties"]["zone_id"], f["properties"]["status"]) == (row["zone_id"], row["status"])
        assert f["properties"]["area_mu"] == pytest.approx(row["area_mu"], abs=0.06)   # ellipsoidal, to 0.1
    embedded = _features(tiles.WorkspaceTiles(sample_ws, settings).tile("parcels", z, x, y))
    assert set(embedded) == set(got)


def test_below_the_detail_zoom_only_status_and_park_and_constraints_come_too(sample_ws, pg_source):
    to_ll = Transformer.from_crs(sample_ws.crs, "EPSG:4326", always_xy=True)
    point = sample_ws.parcels.geometry.iloc[0].representative_point()
    z = DETAIL_ZOOM - 1
    features = _features(pg_source.tile("parcels", z, *_tile_of(*to_ll.transform(point.x, point.y), z)))
    assert features and all(set(f["properties"]) == {"zone_id", "status"} for f in features.values())
    names = [n for n in tiles.CONSTRAINT_LAYERS if sample_ws.constraint(n) is not None and n in pg_source.layers]
    if names:
        layer = sample_ws.constraint(names[0])
        p = layer.geometry.iloc[0].representative_point()
        lon, lat = Transformer.from_crs(layer.crs, "EPSG:4326", always_xy=True).transform(p.x, p.y)
        assert _features(pg_source.tile(names[0], 14, *_tile_of(lon, lat, 14)), names[0])


def test_a_tile_query_probes_the_gist_index_without_parallel_workers(sample_ws, pg_source):
    """The plan of a z14 tile: the parcels' GiST index does the spatial filter; no Gather (the tile connection turns
    parallel query off: starting workers costs more than a tile's work)."""
    to_ll = Transformer.from_crs(sample_ws.crs, "EPSG:4326", always_xy=True)
    point = sample_ws.parcels.geometry.iloc[0].representative_point()
    x, y = _tile_of(*to_ll.transform(point.x, point.y), 14)
    conn = pg_source._conn()
    assert conn.execute("SHOW max_parallel_workers_per_gather").fetchone()[0] == "0"
    plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + pg_source.sql("parcels", 14),
                                                 {"z": 14, "x": x, "y": y, "layer": "parcels"}).fetchall())
    assert re.search(r"Index Scan (using|on) \w*(gix_parcels|_geom_idx)\b", plan), plan
    assert "Gather" not in plan, plan


@pytest.mark.parametrize("z", [OVERVIEW_BELOW, DETAIL_ZOOM + 1])
def test_team_tiles_carry_the_stock_classes_the_app_classified(sample_ws, settings, pg, pg_template, z):  # noqa: F811
    """In the team mode the tiles from the overview zoom in are PostGIS's: handed the 存量 classes of the workspace
    the page holds, each parcel of them carries the class geo.stock gives it ("normal" included), as the embedded
    store's tiles do — so the stock view's filter keeps them when zoomed in."""
    expected = tiles.stock_classes(sample_ws, settings)
    listed = expected[expected != "normal"]
    assert len(listed) >= 3                                   # the sample county has stock land of several classes
    team = tiles.WorkspaceTiles(sample_ws, settings, detail=PostgisTiles(fresh_pg_db(pg, pg_template), settings))
    embedded = tiles.WorkspaceTiles(sample_ws, settings)
    to_ll = Transformer.from_crs(sample_ws.crs, "EPSG:4326", always_xy=True)
    seen = {}
    for pid in listed.index:
        point = sample_ws.parcels.geometry.loc[pid].representative_point()
        x, y = _tile_of(*to_ll.transform(point.x, point.y), z)
        got, ours = _properties(team.tile("parcels", z, x, y)), _properties(embedded.tile("parcels", z, x, y))
        classes = sorted(f["stock_class"] for f in got)
        assert classes == sorted(f["stock_class"] for f in ours)
        assert {"normal", expected[pid]} <= set(classes)
        if z >= DETAIL_ZOOM:
            seen.update({f["parcel_id"]: f["stock_class"] for f in got})
    if z >= DETAIL_ZOOM:
        assert seen == {k: expected[k] for k in seen} and set(listed.index) <= set(seen)


def _properties(data: bytes) -> list[dict]:
    decoded = mapbox_vector_tile.decode(gzip.decompress(data), default_options={"y_coord_down": True})
    return [f["properties"] for f in decoded.get("parcels", {}).get("features", [])]
