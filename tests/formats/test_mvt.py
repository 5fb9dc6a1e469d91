"""formats/mvt.py against an independent decoder (the mapbox-vector-tile package) and protobuf's own varint
encoder: what is encoded decodes back to the same polygons (on the integer grid), holes and parts included, with
the same attributes."""
from __future__ import annotations

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from google.protobuf.internal.encoder import _VarintBytes
from shapely.geometry import shape

from formats import mvt


def _decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def test_varints_equal_protobufs_own_encoding():
    values = np.array([0, 1, 127, 128, 300, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 28 + 5, 2 ** 32 - 1])
    data, counts = mvt.varints(values)
    assert data.tobytes() == b"".join(_VarintBytes(int(v)) for v in values)
    assert counts.tolist() == [len(_VarintBytes(int(v))) for v in values]


def _random_polygons(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(50, 4000, (n, 2))
    radii = rng.uniform(3, 40, n)
    outer = shapely.buffer(shapely.points(centres), radii, quad_segs=rng.integers(1, 6))
    # every third with a hole, every fifth a multipolygon
    holes = shapely.buffer(shapely.points(centres), radii * 0.4, quad_segs=2)
    geoms = np.where(np.arange(n) % 3 == 0, shapely.difference(outer, holes), outer)
    extra = shapely.box(centres[:, 0] + radii + 5, centres[:, 1], centres[:, 0] + radii + 15, centres[:, 1] + 10)
    return np.where(np.arange(n) % 5 == 0, shapely.union(geoms, extra), geoms)


def test_polygons_and_attributes_decode_back():
    geoms = _random_polygons(400, seed=1)
    ids = [f"P{i:04d}" for i in range(len(geoms))]
    status = ["available" if i % 2 else "supplied" for i in range(len(geoms))]
    area = [round(i * 1.7, 1) if i % 7 else None for i in range(len(geoms))]
    count = [i - 200 for i in range(len(geoms))]
    data = mvt.tile([mvt.layer("parcels", geoms, {"parcel_id": ids, "status": status, "area_mu": area,
                                                  "n": count})])
    decoded = _decode(data)["parcels"]
    assert decoded["extent"] == mvt.EXTENT and decoded["version"] == 2
    features = decoded["features"]
    assert len(features) == len(geoms)
    for f in features:
        i = ids.index(f["properties"]["parcel_id"])
        expected = {"parcel_id": ids[i], "status": status[i], "n": count[i]} | \
            ({"area_mu": area[i]} if area[i] is not None else {})
        assert f["properties"] == pytest.approx(expected)
        got = shape(f["geometry"])
        source = geoms[i]
        assert got.is_valid
        assert shapely.get_num_geometries(got) == shapely.get_num_geometries(source)
        assert shapely.get_num_interior_rings(shapely.get_parts(got)).sum() == \
            shapely.get_num_interior_rings(shapely.get_parts(source)).sum()
        # each vertex moved at most half a unit in x and y: the area differs by at most perimeter × √2/2
        assert abs(got.area - source.area) <= source.length * 0.71 + 1e-9
        assert got.symmetric_difference(source).area <= source.length * 0.71 + 1e-9


def test_exterior_rings_have_positive_area_in_tile_coordinates():
    """The spec's winding: an exterior ring's surveyor's area is positive with y down, a hole's negative —
    whatever the input's orientation."""
    cw = shapely.Polygon([(10, 10), (10, 100), (100, 100), (100, 10)], [[(20, 20), (20, 30), (30, 30), (30, 20)]])
    ccw = shapely.orient_polygons(cw, exterior_cw=False)
    for g in (cw, ccw):
        data = mvt.tile([mvt.layer("x", np.array([g]), {})])
        rings = _decode(data)["x"]["features"][0]["geometry"]["coordinates"]
        signed = [shapely.Polygon(r).area * (1 if shapely.is_ccw(shapely.LinearRing(r)) else -1) for r in rings]
        assert signed[0] > 0 and signed[1] < 0
        assert shape(_decode(data)["x"]["features"][0]["geometry"]).area == pytest.approx(90 * 90 - 10 * 10)


def test_slivers_that_vanish_on_the_grid_are_dropped_with_their_attributes():
    geoms = np.array([shapely.box(0.1, 0.1, 0.3, 0.3), None, shapely.box(5, 5, 9, 9), shapely.Point(3, 3)])
    data = mvt.tile([mvt.layer("x", geoms, {"id": ["a", "b", "c", "d"]})])
    assert [f["properties"]["id"] for f in _decode(data)["x"]["features"]] == ["c"]
    assert mvt.tile([]) == b""
    nothing = mvt.layer("x", np.array([shapely.box(0.1, 0.1, 0.2, 0.2), None]), {"id": ["a", "b"]})
    assert _decode(mvt.tile([nothing]))["x"]["features"] == []
