"""Ellipsoidal (GRS80) areas of geometries in any CRS, vectorised, in m² and 亩."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo.crs import CGCS2000, local_equal_area_crs, require_crs
from geo.units import m2_to_mu


def lon_lat_center(geoms: gpd.GeoSeries) -> tuple[float, float]:
    """Centre of the data's bounds in CGCS2000 longitude/latitude."""
    crs = require_crs(geoms.crs, "图层")
    bounds = geoms.total_bounds
    if not np.all(np.isfinite(bounds)):
        return (float("nan"), float("nan"))
    cx, cy = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    lon, lat = Transformer.from_crs(crs, CGCS2000, always_xy=True).transform(cx, cy)
    return float(lon), float(lat)


def ellipsoidal_area_m2(geoms: gpd.GeoSeries, center: tuple[float, float] | None = None) -> pd.Series:
    """Area on the GRS80 ellipsoid in m², whatever the CRS (GK, geographic, Web Mercator).

    Geometry is projected into a local Lambert azimuthal *equal-area* projection on GRS80, where a planar area is
    the ellipsoidal area (edges are short, so straight-versus-geodesic edges differ negligibly).
    """
    crs = require_crs(geoms.crs, "图层")
    if len(geoms) == 0:
        return pd.Series([], index=geoms.index, dtype=float, name="area_m2")
    lon, lat = center or lon_lat_center(geoms)
    laea = local_equal_area_crs(lon, lat)
    projected = shapely.transform(
        np.asarray(geoms.values),
        Transformer.from_crs(CRS.from_user_input(crs), laea, always_xy=True).transform,
        interleaved=False,
    )
    return pd.Series(shapely.area(projected), index=geoms.index, name="area_m2")


def area_mu(geoms: gpd.GeoSeries, center: tuple[float, float] | None = None) -> pd.Series:
    """Ellipsoidal area in 亩 (named ``area_mu``, same index)."""
    return m2_to_mu(ellipsoidal_area_m2(geoms, center)).rename("area_mu")
