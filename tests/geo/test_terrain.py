"""Terrain: the per-parcel earthwork (geo.parcel_terrain) against a hand computation on a ramp, the slope of a
known plane, the hillshade's range, and the sample county's terrain (valley floor flat, leveling land rough)."""
import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from pyproj import CRS
from shapely.geometry import box

from formats.dem import read_dem, read_dem_for
from geo.earthwork import slope_pct
from geo.parcel_terrain import DemGrid, parcel_terrain
from geo.terrain import Dem, hillshade

X0, Y0 = 500_000.0, 3_500_000.0     # on the zone's central meridian: grid and ellipsoidal areas agree to 1e-4


def plane_grid(slope=0.05) -> DemGrid:
    x = np.arange(100) * 10.0
    z = np.tile(500 + slope * x, (100, 1)).astype("float32")
    return DemGrid(z, Affine(10, 0, X0, 0, -10, Y0 + 1000), CRS.from_epsg(4544))


def test_slope_of_a_plane():
    g = plane_grid(0.05)
    assert np.allclose(slope_pct(g.z, g.dx, g.dy), 5.0, atol=1e-3)


def test_balanced_earthwork_of_a_ramp_matches_hand_computation(settings):
    grid = plane_grid(0.05)
    # parcel covering columns 10..29 (x 100..300), rows 10..29: z = 500 + 0.05·x at cell centres 105..295
    parcels = gpd.GeoDataFrame({"parcel_id": ["A"]}, geometry=[box(X0 + 100, Y0 + 700, X0 + 300, Y0 + 900)], crs=4544,
                               index=["A"])
    t = parcel_terrain(grid, parcels, settings.terrain).table.loc["A"]
    z = 500 + 0.05 * (np.arange(10, 30) * 10.0)
    dz = z - z.mean()
    expect_cut = np.maximum(dz, 0).sum() * 20 * 100      # 20 rows, 100 m² per cell
    assert t["cut_m3"] == pytest.approx(expect_cut, rel=1e-3)
    assert t["fill_m3"] == pytest.approx(t["cut_m3"], rel=1e-4)          # balanced when no design level
    assert t["mean_slope_pct"] == pytest.approx(5.0, rel=1e-3)
    assert t["design_elevation_m"] == pytest.approx(z.mean(), abs=1e-3)


def test_hillshade_is_a_grey_image_and_sample_dem_reads(sample_path):
    dem = read_dem(sample_path.with_name(sample_path.stem + ".dem.tif"))
    shade = hillshade(dem)
    assert isinstance(dem, Dem)
    assert shade.dtype == np.uint8 and shade.shape == dem.elevation.shape and shade.std() > 5


def test_sample_valley_floor_is_flat_and_leveling_land_is_rough(sample_ws, settings):
    parcels = sample_ws.metric("parcels")
    terrain = parcel_terrain(read_dem_for(sample_ws.dem_path, parcels), parcels, settings.terrain).table
    available = terrain[sample_ws.parcels["status"] == "available"]
    leveling = terrain[sample_ws.parcels["status"] == "leveling"]
    assert available["mean_slope_pct"].median() < 10                      # CJJ 83-2016: planned < 10 %
    per_mu_avail = (available["cut_m3"] / sample_ws.parcels["area_mu"]).median()
    per_mu_level = (leveling["cut_m3"] / sample_ws.parcels["area_mu"]).median()
    assert per_mu_level > per_mu_avail
