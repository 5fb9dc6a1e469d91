"""The workspace DEM in memory (``Dem``) and its hillshade for the offline basemap.

Slope, earthwork (cut/fill, terraces, cost) and the per-parcel figures are ``geo.earthwork`` and
``geo.parcel_terrain``; reading a DEM file is ``formats.dem.read_dem``. ``SteepLand``: the too-steep land under the
parcels, read from the DEM when a workspace is loaded (``formats.dem.with_steep_land``) and handed to the engine.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from pyproj import CRS


@dataclass(frozen=True, eq=False)
class SteepLand:
    """Land steeper than ``max_slope_pct`` under the parcels it was read for (``parcels_key``, see
    ``parcels_key``): polygons in the parcels' CRS, or None when the DEM has nothing under them."""
    max_slope_pct: float
    polygons: gpd.GeoSeries | None
    parcels_key: str


def parcels_key(parcels: gpd.GeoDataFrame) -> str:
    """A fingerprint of the parcels (ids and geometry) steep land is read for: land read for other parcels (an
    edited or imported parcel layer) is recognised and not used."""
    digest = hashlib.sha1()
    digest.update("\x1f".join(map(str, parcels.index)).encode("utf-8"))
    digest.update(str(parcels.crs).encode("utf-8"))
    for wkb in shapely.to_wkb(np.asarray(parcels.geometry.values, dtype=object)):
        digest.update(b"" if wkb is None else wkb)
    return digest.hexdigest()


@dataclass(frozen=True)
class Dem:
    elevation: np.ndarray          # float32 metres, NaN = nodata
    transform: Affine
    crs: CRS

    @property
    def cell_size(self) -> float:
        return abs(self.transform.a)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        h, w = self.elevation.shape
        x0, y0 = self.transform.c, self.transform.f
        return x0, y0 + self.transform.e * h, x0 + self.transform.a * w, y0


def hillshade(dem: Dem, azimuth_deg: float = 315.0, altitude_deg: float = 45.0) -> np.ndarray:
    """Shaded relief 0–255 (uint8), light from the north-west as on paper maps."""
    gy, gx = np.gradient(dem.elevation, dem.cell_size)
    slope = np.arctan(np.hypot(gx, gy))
    aspect = np.arctan2(-gx, gy)
    az, alt = np.radians(360.0 - azimuth_deg + 90.0), np.radians(altitude_deg)
    shade = np.sin(alt) * np.cos(slope) + np.cos(alt) * np.sin(slope) * np.cos(az - aspect)
    return np.nan_to_num(np.clip(shade, 0, 1) * 255).astype(np.uint8)
