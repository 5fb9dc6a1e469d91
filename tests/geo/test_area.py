"""Areas in 亩 against pyproj.Geod(ellps="GRS80") whatever the layer's CRS."""
import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import Polygon

from geo.area import area_mu
from geo.units import M2_PER_MU

GEOD = Geod(ellps="GRS80")


def _irregular_parcels(n=20, seed=1):
    """Irregular lon/lat polygons of 5–500 亩 around Sichuan (98°–108°E)."""
    rng = np.random.default_rng(seed)
    polys = []
    for _ in range(n):
        lon, lat = rng.uniform(98.5, 107.5), rng.uniform(27, 33)
        r = rng.uniform(0.0008, 0.006)
        ang = np.sort(rng.uniform(0, 2 * np.pi, 7))
        rad = r * rng.uniform(0.6, 1.0, 7)
        polys.append(Polygon(zip(lon + rad * np.cos(ang), lat + rad * np.sin(ang) * 0.9)))
    return gpd.GeoSeries(polys, crs=4490)


def _reference_mu(geoms_4490):
    return np.array([abs(GEOD.geometry_area_perimeter(g)[0]) for g in geoms_4490]) / M2_PER_MU


@pytest.mark.parametrize("epsg", [4490, 4326, 3857, 4544, 4543, 4523, 4542])
def test_area_within_0_1_percent_of_geodesic(epsg):
    # Each parcel set lives in one GK zone's reach; use parcels near the CRS's own longitude band when it is GK.
    geoms = _irregular_parcels()
    ref = _reference_mu(geoms)
    got = area_mu(geoms.to_crs(epsg)).to_numpy()
    rel = np.abs(got - ref) / ref
    assert rel.max() < 1e-3, (epsg, rel.max())


def test_web_mercator_is_not_inflated():
    geoms = _irregular_parcels(5)
    planar_3857 = geoms.to_crs(3857).area.to_numpy() / M2_PER_MU
    got = area_mu(geoms.to_crs(3857)).to_numpy()
    assert (planar_3857 / got).min() > 1.2        # the naive planar area is ~30 % too large in Sichuan
    assert np.allclose(got, _reference_mu(geoms), rtol=1e-3)


def test_area_keeps_index_and_name():
    geoms = _irregular_parcels(3)
    geoms.index = ["a", "b", "c"]
    out = area_mu(geoms)
    assert out.name == "area_mu" and list(out.index) == ["a", "b", "c"]


def test_one_mu_is_10000_over_15_m2():
    assert M2_PER_MU * 15 == pytest.approx(10000)
