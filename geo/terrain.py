"""Terrain from the workspace DEM: hillshade for the offline basemap, slope and leveling earthwork per parcel.

CJJ 83-2016: industrial land wants natural slope < 15 % (planned < 10 %). Earthwork by DEM differencing:
cut = Σ max(z − z₀, 0)·cell area, fill = Σ max(z₀ − z, 0)·cell area, z₀ the design level (the mean, which balances
cut and fill, when not given).

Pure array maths on a ``Dem`` in memory; reading it from a file is ``geo.dem.read_dem`` (re-exported here).
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS


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


def slope_percent(dem: Dem) -> np.ndarray:
    """Slope in percent (rise/run × 100) per cell."""
    gy, gx = np.gradient(dem.elevation, dem.cell_size)
    return np.hypot(gx, gy) * 100.0


def hillshade(dem: Dem, azimuth_deg: float = 315.0, altitude_deg: float = 45.0) -> np.ndarray:
    """Shaded relief 0–255 (uint8), light from the north-west as on paper maps."""
    gy, gx = np.gradient(dem.elevation, dem.cell_size)
    slope = np.arctan(np.hypot(gx, gy))
    aspect = np.arctan2(-gx, gy)
    az, alt = np.radians(360.0 - azimuth_deg + 90.0), np.radians(altitude_deg)
    shade = np.sin(alt) * np.cos(slope) + np.cos(alt) * np.sin(slope) * np.cos(az - aspect)
    return np.nan_to_num(np.clip(shade, 0, 1) * 255).astype(np.uint8)


def parcel_terrain(dem: Dem, parcels: gpd.GeoDataFrame, design_level: pd.Series | None = None) -> pd.DataFrame:
    """Per parcel: mean elevation, mean slope %, cut and fill m³ to level it (balanced unless a level is given).

    Parcels are rasterised once into a label grid (rasterio's in-memory rasterize: no file) and summed with
    bincount: no per-parcel loop.
    """
    from rasterio import features
    frame = parcels.to_crs(dem.crs) if parcels.crs != dem.crs else parcels
    labels = features.rasterize(((g, i + 1) for i, g in enumerate(frame.geometry)), out_shape=dem.elevation.shape,
                                transform=dem.transform, fill=0, dtype="int32")
    z, s = dem.elevation, slope_percent(dem)
    ok = (labels > 0) & np.isfinite(z)
    lab, zz, ss = labels[ok] - 1, z[ok], s[ok]
    n = len(frame)
    count = np.bincount(lab, minlength=n).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_z = np.bincount(lab, weights=zz, minlength=n) / count
        mean_s = np.bincount(lab, weights=ss, minlength=n) / count
    z0 = mean_z if design_level is None else design_level.reindex(parcels.index).fillna(pd.Series(mean_z, index=parcels.index)).to_numpy()
    dz = zz - z0[lab]
    cell_area = dem.cell_size ** 2
    cut = np.bincount(lab, weights=np.maximum(dz, 0), minlength=n) * cell_area
    fill = np.bincount(lab, weights=np.maximum(-dz, 0), minlength=n) * cell_area
    out = pd.DataFrame({"mean_elevation_m": mean_z, "mean_slope_pct": mean_s, "cut_m3": cut, "fill_m3": fill,
                        "cells": count}, index=parcels.index)
    return out


def __getattr__(name: str):
    """``read_dem`` moved to geo.dem (file I/O); still importable from here."""
    if name == "read_dem":
        from .dem import read_dem
        return read_dem
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
