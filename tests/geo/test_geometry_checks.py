"""The geometry gate (geo.geometry_checks) against hand-made references: NaN/inf, absurd coordinates, rings of too
few points, what cannot be projected, the vertex limit."""
from __future__ import annotations

import numpy as np
import pyproj
import shapely
from shapely.geometry import box

from geo.geometry_checks import allowed_box, coordinate_problems, limit_vertices, projection_problems

GK = 4544
GOOD = box(520_000, 3_575_000, 520_100, 3_575_100)


def test_nan_inf_absurd_and_short_rings_are_refused_by_position():
    geoms = np.array([
        GOOD,
        shapely.from_wkt("POLYGON ((520000 3575000, 520100 NaN, 520100 3575100, 520000 3575000))"),
        shapely.from_wkt("POLYGON ((520000 3575000, inf 3575000, 520100 3575100, 520000 3575000))"),
        shapely.from_wkt("POLYGON ((520000 3575000, 1e300 3575000, 520100 3575100, 520000 3575000))"),
        shapely.from_wkt("POLYGON ((520000 3575000, 520100 3575000, 520100 3575000, 520000 3575000))"),
        None,
    ], dtype=object)
    got = coordinate_problems(geoms, GK, 10.0)
    assert set(got) == {1, 2, 3, 4}
    assert "NaN" in got[1] and "inf" in got[2]
    assert "适用范围之外" in got[3] and "1e+300" in got[3]
    assert "2 个不同的点" in got[4]


def test_a_longitude_of_1e300_in_lon_lat_and_the_margin():
    lonlat = np.array([box(105.2, 32.3, 105.21, 32.31), box(105.2, 32.3, 1e300, 32.31),
                       box(118.0, 32.3, 118.1, 32.31)], dtype=object)
    assert set(coordinate_problems(lonlat, 4490, 10.0)) == {1}        # China's area of use + 10°: 118°E is in
    assert set(coordinate_problems(lonlat, 4490, 0.0)) == {1}
    assert set(coordinate_problems(lonlat, 4544, 10.0)) == {0, 1, 2}   # lon/lat read as metres of a GK zone


def test_allowed_box_holds_the_zone_and_its_neighbours_but_not_the_world():
    minx, miny, maxx, maxy = allowed_box(GK, 10.0)
    to_gk = pyproj.Transformer.from_crs(4490, GK, always_xy=True)
    for lon, lat in [(105.0, 30.0), (102.0, 30.0), (108.0, 25.0)]:     # the county, both neighbouring zones
        x, y = to_gk.transform(lon, lat)
        assert minx <= x <= maxx and miny <= y <= maxy
    x, y = to_gk.transform(170.0, 0.0)
    assert not (minx <= x <= maxx and miny <= y <= maxy) or not np.isfinite(x)


def test_a_world_polygon_cannot_be_projected_into_one_gauss_kruger_zone():
    world = shapely.segmentize(box(-170, -80, 170, 80), 5)
    t = pyproj.Transformer.from_crs(4326, GK, always_xy=True)
    projected = shapely.transform(np.array([world, box(105.2, 32.3, 105.21, 32.31)], dtype=object), t.transform,
                                  interleaved=False)
    got = projection_problems(projected, GK, 10.0)
    assert set(got) == {0} and "无法" in got[0] and "3-degree Gauss-Kruger CM 105E" in got[0]
    inf = np.array([shapely.from_wkt("POLYGON ((0 0, inf 0, 1 1, 0 0))")], dtype=object)
    assert "无穷大" in projection_problems(inf, GK, 10.0)[0]


def test_too_many_vertices_are_simplified_within_the_tolerance_or_refused():
    dense = shapely.segmentize(GOOD, 0.001)                 # 400,000 collinear vertices: a square underneath
    rng = np.random.default_rng(0)
    t = np.linspace(0, 2 * np.pi, 3000, endpoint=False)
    r = 50 + rng.uniform(-5, 5, len(t))                       # a jagged outline: nothing to take away within 5 cm
    jagged = shapely.Polygon(np.column_stack([520_000 + r * np.cos(t), 3_575_000 + r * np.sin(t)]))
    geoms, simplified, refused = limit_vertices(np.array([GOOD, dense, jagged], dtype=object), GK, 1000, 0.05)
    assert set(simplified) == {1} and set(refused) == {2}
    assert shapely.get_num_coordinates(geoms[1]) == 5 and geoms[0] is GOOD
    assert shapely.hausdorff_distance(geoms[1], dense) <= 0.05
    assert abs(geoms[1].area - dense.area) < 1e-6 * dense.area
    assert "化简" in simplified[1] and "1,000" in refused[2] and geoms[2] is jagged
