"""Slope and earthwork against analytic surfaces, the grid method (方格网法) and per-parcel terrain from a DEM.

References are independent of the code under test: closed-form volumes (plane, cone, step), exact volumes of a
plane by the grid method, numpy quantiles of repeated samples, and DEMs written to disk in other CRSs.
"""
import math

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import CRS, Transformer
from shapely.geometry import Point, box

from formats.dem import read_dem_for, steep_polygons
from geo import earthwork as ew
from geo.parcel_terrain import TERRAIN_COLUMNS, DemGrid, exact_coverage, parcel_terrain
from geo.settings import TerrainSettings

GK = 4544
X0, Y0 = 520_000.0, 3_575_000.0
PRICES = TerrainSettings(max_slope_pct=15.0, cut_yuan_per_m3=12.0, fill_yuan_per_m3=10.0, haul_yuan_per_m3=20.0,
                         terrace_step_m=0.0)


def grid_of(f, cell=5.0, nx=80, ny=60, x0=X0, y0=Y0, crs=GK):
    """A DemGrid sampling f(x, y) at cell centres; the grid's lower-left corner at (x0, y0)."""
    xs = x0 + (np.arange(nx) + 0.5) * cell
    ys = y0 + ny * cell - (np.arange(ny) + 0.5) * cell
    X, Y = np.meshgrid(xs, ys)
    return DemGrid(f(X, Y).astype("float32"), Affine(cell, 0, x0, 0, -cell, y0 + ny * cell), CRS.from_user_input(crs))


def parcels_of(*geoms, status="leveling", crs=GK):
    ids = [f"P{i}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"parcel_id": ids, "status": status}, geometry=list(geoms), crs=crs, index=ids)


# ------------------------------------------------------------------------------------------------ slope

def test_slope_of_an_oblique_plane_everywhere_including_edges_and_holes():
    gx, gy = 0.08, -0.03
    z = (500 + gx * np.arange(50)[None, :] * 5 + gy * np.arange(40)[:, None] * -5).astype("float32")
    z[10:13, 20:22] = np.nan                                         # a nodata hole
    pct, deg = ew.slope(z, 5.0)
    expect = 100 * math.hypot(gx, gy)
    ok = np.isfinite(z)
    assert np.all(np.isfinite(pct[ok])) and np.all(np.isnan(pct[~ok]))
    assert np.allclose(pct[ok], expect, rtol=0.01)
    assert np.allclose(deg[ok], math.degrees(math.atan(expect / 100)), rtol=0.01)


def test_slope_in_chunks_equals_slope_in_one_piece():
    rng = np.random.default_rng(1)
    z = np.cumsum(rng.normal(size=(57, 33)), axis=0).astype("float32")
    a = ew.slope_pct(z, 2.0, chunk_rows=7)
    b = ew.slope_pct(z, 2.0, chunk_rows=1000)
    assert np.allclose(a, b, equal_nan=True)


def test_slope_non_square_cells():
    z = (np.arange(20)[None, :] * 0.1 * 4 + np.arange(10)[:, None] * 0.0).astype("float32") * np.ones((10, 1))
    pct, _ = ew.slope(z, dx=4.0, dy=9.0)
    assert np.allclose(pct, 10.0, rtol=1e-4)


# ------------------------------------------------------------------------------------------------ volumes

def test_balanced_cut_and_fill_of_a_tilted_plane_over_a_rectangle_is_analytic():
    s = 0.10
    grid = grid_of(lambda x, y: 300 + s * (x - X0))
    # a rectangle whose edges cut cells (coverage-weighted edge cells)
    x1, x2, y1, y2 = X0 + 31.3, X0 + 251.7, Y0 + 22.6, Y0 + 187.1
    t = parcel_terrain(grid, parcels_of(box(x1, y1, x2, y2)), PRICES).table.iloc[0]
    L, W = x2 - x1, y2 - y1
    analytic = s * W * L * L / 8                                      # ∫ max(s (x − x̄), 0) dA
    assert t["cut_m3"] == pytest.approx(analytic, rel=0.02)
    assert t["fill_m3"] == pytest.approx(analytic, rel=0.02)
    assert abs(t["imbalance_m3"]) < 1e-6 * analytic
    assert t["design_elevation_m"] == pytest.approx(300 + s * ((x1 + x2) / 2 - X0), abs=0.05)
    assert t["max_cut_m"] == pytest.approx(s * L / 2, rel=0.03)
    assert t["mean_slope_pct"] == pytest.approx(10.0, rel=0.01)
    assert t["p90_slope_pct"] == pytest.approx(10.0, rel=0.01)
    assert t["steep_share"] == 0.0 and t["nodata_share"] == pytest.approx(0.0, abs=1e-3)
    assert t["cost_wan"] == pytest.approx((t["cut_m3"] * 12 + t["fill_m3"] * 10) / 1e4, rel=1e-9)


def test_cone_volume():
    H, R = 12.0, 80.0
    cx, cy = X0 + 200, Y0 + 150
    grid = grid_of(lambda x, y: np.maximum(0, H * (1 - np.hypot(x - cx, y - cy) / R)), cell=2.0, nx=200, ny=150)
    t = parcel_terrain(grid, parcels_of(Point(cx, cy).buffer(R + 20, quad_segs=64)), PRICES,
                       design_elevation=0.0).table.iloc[0]
    assert t["cut_m3"] == pytest.approx(math.pi * R * R * H / 3, rel=0.02)
    assert t["fill_m3"] == pytest.approx(0.0, abs=1e-6)
    assert t["max_cut_m"] == pytest.approx(H, abs=0.5)
    assert t["mean_slope_pct"] > 0 and t["p90_slope_pct"] == pytest.approx(100 * H / R, rel=0.05)


def test_a_step_balances_at_half_height():
    h = 4.0
    grid = grid_of(lambda x, y: np.where(x < X0 + 200, 100.0, 100.0 + h))
    t = parcel_terrain(grid, parcels_of(box(X0 + 100, Y0 + 50, X0 + 300, Y0 + 250)), PRICES).table.iloc[0]
    area = 200 * 200
    assert t["design_elevation_m"] == pytest.approx(100 + h / 2, abs=1e-3)
    assert t["cut_m3"] == pytest.approx(area / 2 * h / 2, rel=1e-3)
    assert t["fill_m3"] == pytest.approx(area / 2 * h / 2, rel=1e-3)
    assert t["max_cut_m"] == pytest.approx(h / 2, abs=1e-3) and t["max_fill_m"] == pytest.approx(h / 2, abs=1e-3)
    # only the two columns of cells beside the step are steep: 2 × 5 m of the 200 m width
    assert t["steep_share"] == pytest.approx(10 / 200, rel=0.05)


def test_a_given_design_level_leaves_an_imbalance_and_costs_the_haulage():
    grid = grid_of(lambda x, y: np.full_like(x, 50.0))
    t = parcel_terrain(grid, parcels_of(box(X0 + 50, Y0 + 50, X0 + 150, Y0 + 150)), PRICES,
                       design_elevation=48.0).table.iloc[0]
    # volumes are on the ellipsoidal area (GK 105E at 105.2°E: planar within 0.01 %)
    assert t["cut_m3"] == pytest.approx(2 * 100 * 100, rel=1e-4) and t["fill_m3"] == 0
    assert t["imbalance_m3"] == pytest.approx(t["cut_m3"])
    assert t["cost_wan"] == pytest.approx((t["cut_m3"] * 12 + t["cut_m3"] * 20) / 1e4)


def test_terraces_each_balanced_following_the_slope():
    s, step = 0.10, 2.0
    grid = grid_of(lambda x, y: 300 + s * (x - X0), cell=1.0, nx=300, ny=120)
    L, W = 200.0, 100.0
    parcels = parcels_of(box(X0 + 50, Y0 + 10, X0 + 50 + L, Y0 + 10 + W))
    res = parcel_terrain(grid, parcels, PRICES, terrace_step_m=step)
    t = res.table.iloc[0]
    assert res.terraces.iloc[0] == round(s * L / step)                 # 20 m of fall in 2 m steps: 10 terraces
    assert t["cut_m3"] == pytest.approx(W * L * step / 8, rel=0.03)      # each terrace: W s (step/s)² / 8
    assert abs(t["imbalance_m3"]) < 1e-6 * t["cut_m3"]
    assert t["max_cut_m"] == pytest.approx(step / 2, rel=0.05)
    flat = parcel_terrain(grid, parcels, PRICES).table.iloc[0]
    assert t["cut_m3"] < flat["cut_m3"] / 5
    with pytest.raises(ValueError):
        parcel_terrain(grid, parcels, PRICES, terrace_step_m=step, design_elevation=310.0)


# --------------------------------------------------------------------------------------- grid method

def test_grid_method_is_exact_on_an_axis_aligned_plane():
    a, s = 10.0, 0.2
    xs = np.arange(11) * a
    corners = np.tile(5 + s * xs, (8, 1))                              # 7 × 10 squares, z = 5 + 0.2 x
    z0 = 13.0                                                          # zero line at x = 40, inside a column
    cut, fill = ew.grid_method_volumes(corners, z0, a)
    W, x_zero, Lx = 7 * a, (z0 - 5) / s, 10 * a
    assert cut == pytest.approx(W * s * (Lx - x_zero) ** 2 / 2, rel=1e-9)
    assert fill == pytest.approx(W * s * x_zero ** 2 / 2, rel=1e-9)
    corners = np.tile(5 + s * (xs - 0.5 * a), (8, 1))                 # zero line through squares (2 and 2)
    cut, fill = ew.grid_method_volumes(corners, 13.0, a)
    x_zero = (13.0 - 5) / s + 0.5 * a
    assert cut == pytest.approx(W * s * (Lx - x_zero) ** 2 / 2, rel=1e-9)
    assert fill == pytest.approx(W * s * x_zero ** 2 / 2, rel=1e-9)


def test_grid_method_three_and_one_and_saddle_squares():
    a = 20.0
    cut, fill = ew.grid_method_volumes(np.array([[1.0, 1.0], [1.0, 1.0]]), 0.0, a)
    assert (cut, fill) == (pytest.approx(a * a), 0.0)
    # textbook 三挖一填: h = +1 +1 +1 −1 (corners h1 h2 | h4 h3)
    cut, fill = ew.grid_method_volumes(np.array([[1.0, 1.0], [-1.0, 1.0]]), 0.0, a)
    v4 = a * a / 6 * 1 / (2 * 2)
    assert fill == pytest.approx(v4) and cut == pytest.approx(a * a / 6 * (2 + 2 + 1 - 1) + v4)
    assert cut - fill == pytest.approx(a * a / 6 * 4)                  # triangulated net volume
    cut, fill = ew.grid_method_volumes(np.array([[1.0, -1.0], [-1.0, 1.0]]), 0.0, a)   # saddle
    assert cut == pytest.approx(fill) and cut > 0
    cut, fill = ew.grid_method_volumes(np.array([[3.0, -1.0], [-1.0, 1.0]]), 0.0, a)
    assert cut - fill == pytest.approx(a * a / 4 * (3 - 1 + 1 - 1))    # net volume of the bilinear square


def test_dem_differencing_agrees_with_the_grid_method_on_a_smooth_surface():
    def f(x, y):
        return 20 + 3 * np.sin(x / 45) + 2 * np.cos(y / 30) + 0.01 * x
    a, nx, ny = 10.0, 30, 20                                           # a 300 m × 200 m site in 10 m squares
    gx, gy = np.meshgrid(np.arange(nx + 1) * a, np.arange(ny + 1) * a)
    z0 = 21.0
    g_cut, g_fill = ew.grid_method_volumes(f(gx, gy), z0, a)
    cell = 1.0
    cx, cy = np.meshgrid((np.arange(int(nx * a / cell)) + 0.5) * cell, (np.arange(int(ny * a / cell)) + 0.5) * cell)
    z = f(cx, cy).ravel()
    e = ew.cut_fill(z, np.ones_like(z), cell * cell, np.zeros(z.size, dtype=np.int64), 1, np.array([z0]))
    assert e.cut_m3[0] == pytest.approx(g_cut, rel=0.02)
    assert e.fill_m3[0] == pytest.approx(g_fill, rel=0.02)


# ------------------------------------------------------------------------------------------- statistics

def test_weighted_quantile_matches_numpy_on_repeated_samples():
    rng = np.random.default_rng(3)
    v = rng.normal(size=200)
    reps = rng.integers(1, 5, size=200)
    g = rng.integers(0, 3, size=200)
    got = ew.weighted_quantile(v, reps.astype(float), g, 4, 0.9)
    for k in range(3):
        expect = np.quantile(np.repeat(v[g == k], reps[g == k]), 0.9, method="inverted_cdf")
        assert got[k] == pytest.approx(expect)
    assert np.isnan(got[3])


def test_cost_formula():
    assert ew.earthwork_cost_wan(1000, 800, -200, 12, 10, 20) == pytest.approx((12000 + 8000 + 4000) / 1e4)


# ------------------------------------------------------------------------------------ DEM and parcels

def test_coverage_weights_edge_cells_exactly():
    grid = grid_of(lambda x, y: x * 0)
    g = box(X0 + 12.5, Y0 + 7.5, X0 + 47.5, Y0 + 33.0)
    cov = exact_coverage(gpd.GeoSeries([g], crs=GK), grid.transform, grid.z.shape)
    assert cov.weight.sum() * 25 == pytest.approx(g.area, rel=1e-6)
    assert cov.weight.min() == pytest.approx(0.25)                     # a corner cell a quarter inside


def test_nodata_cells_are_left_out_and_reported():
    grid = grid_of(lambda x, y: 100 + 0.05 * (x - X0))
    z = grid.z.copy()
    z[20:30, 10:20] = np.nan                                           # 50 m × 50 m hole (rows 20-29 from the top)
    grid = DemGrid(z, grid.transform, grid.crs)
    p = box(X0 + 25, Y0 + 100, X0 + 175, Y0 + 200)                     # 150 × 100 m, covers the whole hole
    t = parcel_terrain(grid, parcels_of(p), PRICES).table.iloc[0]
    assert t["nodata_share"] == pytest.approx(2500 / 15000, rel=1e-6)
    assert t["mean_slope_pct"] == pytest.approx(5.0, rel=0.01)
    assert np.isfinite(t["cut_m3"]) and t["cut_m3"] > 0


def test_a_parcel_the_dem_does_not_cover_gets_no_data_not_zeros():
    grid = grid_of(lambda x, y: 100 + 0.05 * (x - X0))
    far = box(X0 + 5000, Y0, X0 + 5100, Y0 + 100)
    half = box(X0 + 350, Y0 + 100, X0 + 450, Y0 + 200)                  # the grid ends at x0 + 400
    inside = box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200)
    res = parcel_terrain(grid, parcels_of(far, half, inside), PRICES)
    t = res.table
    assert list(t.columns) == list(TERRAIN_COLUMNS) and list(t.index) == ["P0", "P1", "P2"]
    assert t.loc["P0", TERRAIN_COLUMNS[1:-2]].isna().all()
    assert t.loc["P0", "nodata_share"] == 1.0
    assert t.loc["P1", "nodata_share"] == pytest.approx(0.5, abs=1e-6)
    assert t.loc["P2"].drop("net_mu").notna().all()
    batched = parcel_terrain(grid, parcels_of(far, half, inside), PRICES, batch_size=2).table
    assert batched.equals(t)
    row = res.records()[0]
    import json
    json.dumps({"parcels": res.records()})
    assert row["parcel_id"] == "P0" and row["cut_m3"] is None and row["net_mu"] is None
    assert set(row) == set(TERRAIN_COLUMNS)


def _write_tif(path, grid: DemGrid, nodata=-9999.0):
    z = np.where(np.isfinite(grid.z), grid.z, nodata).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", width=z.shape[1], height=z.shape[0], count=1, dtype="float32",
                       crs=grid.crs.to_wkt(), transform=grid.transform, nodata=nodata) as dst:
        dst.write(z, 1)


def test_a_dem_in_another_crs_than_the_parcels(tmp_path):
    """The same tilted plane (defined in GK 105E metres) as a DEM in UTM 48N and as one in CGCS2000 degrees: the
    parcel (GK) gets the same figures as from a DEM in its own CRS."""
    s = 0.08
    to_gk = Transformer.from_crs(32648, GK, always_xy=True)

    def plane_gk(x, y):
        return 400 + s * (x - X0)

    parcels = parcels_of(box(X0 + 120.4, Y0 + 80.2, X0 + 320.9, Y0 + 230.6))
    ref = parcel_terrain(grid_of(plane_gk, cell=5, nx=100, ny=80), parcels, PRICES).table.iloc[0]

    # UTM 48N grid covering the same area
    ux, uy = Transformer.from_crs(GK, 32648, always_xy=True).transform(X0, Y0)
    ux, uy = np.floor(ux / 5) * 5 - 100, np.floor(uy / 5) * 5 - 100
    utm = grid_of(lambda x, y: plane_gk(*to_gk.transform(x, y)), cell=5, nx=140, ny=120, x0=ux, y0=uy, crs=32648)
    _write_tif(tmp_path / "utm.dem.tif", utm)
    grid = read_dem_for(tmp_path / "utm.dem.tif", parcels)
    assert grid.crs.to_epsg() == 32648                                  # parcels go to the DEM, not the other way
    t = parcel_terrain(grid, parcels, PRICES).table.iloc[0]
    for k in ("cut_m3", "fill_m3"):
        assert t[k] == pytest.approx(ref[k], rel=0.02)
    assert t["mean_elevation_m"] == pytest.approx(ref["mean_elevation_m"], abs=0.05)
    assert t["mean_slope_pct"] == pytest.approx(8.0, rel=0.01)

    # geographic CGCS2000 grid (degrees): warped to a metric CRS when read
    lon0, lat0 = Transformer.from_crs(GK, 4490, always_xy=True).transform(X0 - 100, Y0 - 100)
    d = 5 / 111_000
    to_gk_geo = Transformer.from_crs(4490, GK, always_xy=True)
    geo = grid_of(lambda x, y: plane_gk(*to_gk_geo.transform(x, y)), cell=d, nx=120, ny=100, x0=lon0, y0=lat0,
                  crs=4490)
    _write_tif(tmp_path / "formats.dem.tif", geo)
    grid = read_dem_for(tmp_path / "formats.dem.tif", parcels)
    assert grid.crs.is_projected
    t = parcel_terrain(grid, parcels, PRICES).table.iloc[0]
    assert t["cut_m3"] == pytest.approx(ref["cut_m3"], rel=0.02)
    assert t["mean_slope_pct"] == pytest.approx(8.0, rel=0.02)
    assert t["nodata_share"] == pytest.approx(0.0, abs=0.01)


def test_read_dem_for_parcels_outside_the_dem(tmp_path):
    _write_tif(tmp_path / "d.tif", grid_of(lambda x, y: x * 0 + 1))
    parcels = parcels_of(box(X0 + 9000, Y0, X0 + 9100, Y0 + 100))
    grid = read_dem_for(tmp_path / "d.tif", parcels)
    t = parcel_terrain(grid, parcels, PRICES).table.iloc[0]
    assert np.isnan(t["cut_m3"]) and t["nodata_share"] == 1.0


def test_net_mu_column_and_ellipsoidal_cell_area():
    grid = grid_of(lambda x, y: np.full_like(x, 10.0))
    p = parcels_of(box(X0 + 50, Y0 + 50, X0 + 150, Y0 + 150))
    p["area_mu"] = 10000 / (10000 / 15) * 1.001                         # an ellipsoidal area 0.1 % above planar
    t = parcel_terrain(grid, p, PRICES, design_elevation=9.0, net_mu=p["area_mu"] * 0.5).table.iloc[0]
    assert t["cut_m3"] == pytest.approx(10000 * 1.001)
    assert t["net_mu"] == pytest.approx(7.5075)


def test_steep_polygons_cover_the_steep_band():
    # flat, then a 40 % ramp between x = 100 and 200, then flat
    grid = grid_of(lambda x, y: np.clip(x - X0 - 100, 0, 100) * 0.4, cell=5, nx=80, ny=40)
    pct = ew.slope_pct(grid.z, grid.dx)
    polys = steep_polygons(grid, pct, 15.0)
    assert len(polys) == 1
    assert polys.area.sum() == pytest.approx(100 * 200, rel=0.1)
    cov = exact_coverage(gpd.GeoSeries([box(X0, Y0, X0 + 150, Y0 + 200)], crs=GK), grid.transform, grid.z.shape)
    inside = steep_polygons(grid, pct, 15.0, within=cov)
    assert inside.total_bounds[2] <= X0 + 150 + 1e-6


def test_exact_coverage_agrees_with_exactextract():
    """Our numpy scanline coverage against exactextract (independent C++) on discs, holes, rotated strips,
    multi-parts, an aligned box and shapes hanging over every edge of the grid."""
    pytest.importorskip("exactextract")
    import shapely
    from shapely import affinity

    from tests.coverage_reference import exactextract_coverage
    rng = np.random.default_rng(5)
    geoms = []
    for i in range(120):
        cx, cy = rng.uniform(-30, 230), rng.uniform(-30, 180)
        g = Point(cx, cy).buffer(rng.uniform(3, 40), quad_segs=int(rng.integers(1, 8)))
        if i % 3 == 0:
            g = g.difference(Point(cx + 2, cy).buffer(2.5))
        if i % 5 == 0:
            g = affinity.rotate(box(cx, cy, cx + 30, cy + 7), rng.uniform(0, 90))
        if i % 7 == 0:
            g = shapely.MultiPolygon([box(cx, cy, cx + 5.5, cy + 5.5), box(cx + 10, cy, cx + 14, cy + 3)])
        geoms.append(g)
    geoms += [box(0, 0, 50, 50), box(-100, -100, 400, 300)]            # aligned; larger than the grid
    gs = gpd.GeoSeries(geoms, crs=GK)
    t, shape = Affine(2.5, 0, 0.0, 0, -2.5, 150.0), (60, 80)

    def dense(c):
        m = np.zeros((len(gs), shape[0] * shape[1]))
        np.add.at(m, (c.feature, c.cell), c.weight)
        return m
    assert np.abs(dense(exact_coverage(gs, t, shape)) - dense(exactextract_coverage(gs, t, shape))).max() < 1e-6


def test_slope_on_active_tiles_only_equals_the_full_slope_there():
    rng = np.random.default_rng(2)
    z = np.cumsum(rng.normal(size=(300, 520)), axis=1).astype("float32")
    t = Affine(5, 0, 0, 0, -5, 1500)
    active = ew.active_tiles(np.array([[600.0, 700.0, 700.0, 800.0]]), t, z.shape, tile=64)
    assert active.sum() >= 1 and not active.all()
    part = ew.slope_pct(z, 5.0, active=active, tile=64)
    full = ew.slope_pct(z, 5.0)
    on = np.repeat(np.repeat(active, 64, 0), 64, 1)[:300, :520]
    assert np.allclose(part[on], full[on]) and np.isnan(part[~on]).all()
    assert on[(1500 - 750) // 5, 650 // 5]                              # the box's own cells are on


def test_too_steep_land_from_the_dem_is_excluded_except_on_leveling_parcels():
    from geo.constraints import net_land
    from geo.units import M2_PER_MU
    # a 40 % ramp between x = 100 and 200 m; flat elsewhere
    grid = grid_of(lambda x, y: np.clip(x - X0 - 100, 0, 100) * 0.4, cell=5, nx=80, ny=40)
    parcels = parcels_of(box(X0 + 50, Y0 + 20, X0 + 250, Y0 + 120), box(X0 + 50, Y0 + 120, X0 + 250, Y0 + 190))
    parcels["status"] = ["available", "leveling"]
    pct = ew.slope_pct(grid.z, grid.dx)
    steep = steep_polygons(grid, pct, PRICES.max_slope_pct,
                           within=exact_coverage(parcels.geometry, grid.transform, grid.z.shape))
    net = net_land(parcels, {"slope": steep}, sliver_m2=5 * M2_PER_MU, sliver_width_m=30)
    band_mu = 100 * 100 / M2_PER_MU                                       # the ramp across the available parcel
    assert net.constrained_by.loc["P0", "slope"] == pytest.approx(band_mu, rel=0.1)
    assert net.constrained_by.loc["P1", "slope"] == 0
    t = parcel_terrain(grid, parcels, PRICES, net_mu=net.net_mu).table
    assert t.loc["P0", "steep_share"] == pytest.approx(0.5, abs=0.06)
    assert t.loc["P0", "net_mu"] == pytest.approx(net.net_mu["P0"])
