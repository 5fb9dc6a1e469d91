"""The parcels' overview tiles (layers/tile_overview.py), decoded by an independent decoder (mapbox-vector-tile) and
checked against a plain per-parcel reference: the cells marked for each (park, status, 存量 class) are exactly the
cells the bounding boxes of that kind's parcels cover, and the tiles of one zoom count every parcel once, with its
亩, by kind."""
from __future__ import annotations

import datetime as dt
import gzip
import math
from collections import Counter

import mapbox_vector_tile
import numpy as np
import pytest

from layers import tiles
from layers.tile_overview import CELLS, OVERVIEW_BELOW

UNIT = 4096 // CELLS            # tile units per cell


@pytest.fixture(scope="module")
def source(sample_ws, settings):
    return tiles.WorkspaceTiles(sample_ws, settings)


@pytest.fixture(scope="module")
def parcels(sample_ws, source, settings):
    """The parcels in Web Mercator with their kind, as a row-by-row reference sees them."""
    from geo.stock import classify_workspace
    p = sample_ws.parcels.to_crs("EPSG:3857")
    stock = classify_workspace(sample_ws, dt.date.today(), settings)["stock_class"]
    p["kind"] = [(z, s, stock.loc[i]) for i, z, s in zip(p.index, p["zone_id"], p["status"])]
    return p


def _tiles_covering(bounds, z):
    n, world = 1 << z, 2 * tiles.HALF_WORLD
    x0, x1 = int((bounds[0] + tiles.HALF_WORLD) / world * n), int((bounds[2] + tiles.HALF_WORLD) / world * n)
    y0, y1 = int((tiles.HALF_WORLD - bounds[3]) / world * n), int((tiles.HALF_WORLD - bounds[1]) / world * n)
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def _features(source, z, x, y):
    data = source.tile("parcels", z, x, y)
    decoded = mapbox_vector_tile.decode(gzip.decompress(data), default_options={"y_coord_down": True})
    return decoded.get("parcels", {}).get("features", [])


def _cells(geometry) -> set[tuple[int, int]]:
    """The cells (row, col) a decoded overview geometry covers: its rectangles lie on the cell grid."""
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    out = set()
    for poly in polys:
        xs, ys = zip(*poly[0])
        assert all(v % UNIT == 0 for v in xs + ys)
        for r in range(min(ys) // UNIT, max(ys) // UNIT):
            out.update((r, c) for c in range(min(xs) // UNIT, max(xs) // UNIT))
    return out


@pytest.mark.parametrize("z", [OVERVIEW_BELOW - 1, OVERVIEW_BELOW - 3])
def test_overview_cells_are_exactly_the_cells_of_each_kinds_parcels(source, parcels, z):
    assert tiles.MIN_ZOOM["parcels"] <= z
    expected_count, expected_mu = Counter(parcels["kind"]), Counter()
    for kind, mu in zip(parcels["kind"], parcels["area_mu"]):
        expected_mu[kind] += float(mu)
    got_count, got_mu = Counter(), Counter()
    for x, y in _tiles_covering(parcels.total_bounds, z):
        minx, miny, maxx, maxy = tiles.tile_bounds(z, x, y)
        size = (maxx - minx) / CELLS
        reference: dict[tuple, set] = {}
        for kind, (bx0, by0, bx1, by1) in zip(parcels["kind"], parcels.geometry.bounds.to_numpy()):
            if bx1 < minx or bx0 > maxx or by1 < miny or by0 > maxy:
                continue
            cols = range(max(0, math.floor((bx0 - minx) / size)), min(CELLS - 1, math.floor((bx1 - minx) / size)) + 1)
            rows = range(max(0, math.floor((maxy - by1) / size)), min(CELLS - 1, math.floor((maxy - by0) / size)) + 1)
            reference.setdefault(kind, set()).update((r, c) for r in rows for c in cols)
        features = _features(source, z, x, y)
        kinds = [(f["properties"].get("zone_id"), f["properties"]["status"], f["properties"].get("stock_class"))
                 for f in features]
        assert len(set(kinds)) == len(kinds)                       # one feature per kind
        assert {k: _cells(f["geometry"]) for k, f in zip(kinds, features)} == reference
        for k, f in zip(kinds, features):
            got_count[k] += f["properties"]["parcels"]
            got_mu[k] += f["properties"]["area_mu"]
    assert got_count == expected_count                              # every parcel once, in its kind
    for k, mu in expected_mu.items():   # the tiles' 亩 are to 0.1 per parcel and per feature
        assert got_mu[k] == pytest.approx(mu, abs=0.05 * (expected_count[k] + len(_tiles_covering(
            parcels.total_bounds, z))))


def test_the_detailed_tiles_start_at_the_overview_zoom(source, parcels):
    lon, lat = 0.0, 0.0
    from pyproj import Transformer
    cx, cy = parcels.geometry.iloc[0].representative_point().coords[0]
    lon, lat = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True).transform(cx, cy)
    n = 1 << OVERVIEW_BELOW
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    features = _features(source, OVERVIEW_BELOW, x, y)
    assert features and all("parcels" not in f["properties"] for f in features)
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)
    assert np.all([f["properties"]["status"] for f in features])
