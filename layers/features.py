"""Layer data for the browser: simplified, lon/lat, rounded, compact GeoJSON (the 10k-parcel map stays ≤ 5 MB).

Geometry is simplified in the workspace's metric CRS (tolerance in metres, below what a screen shows at county
scale), transformed to CGCS2000 lon/lat (= WGS84 at display scale; 天地图 needs no offset), optionally shifted to
GCJ-02 for 高德, and rounded to 6 decimals (≈0.1 m).
"""
from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.crs import CGCS2000
from geo.gcj02 import wgs84_to_gcj02

SIMPLIFY_M = 0.5
DECIMALS = 6


def lonlat_geoms(frame: gpd.GeoDataFrame, gcj02: bool = False, simplify_m: float = SIMPLIFY_M) -> np.ndarray:
    """Geometries of a (metric) layer as simplified, rounded lon/lat shapely arrays."""
    geoms = np.asarray(frame.geometry.values)
    if simplify_m and frame.crs is not None and frame.crs.is_projected:
        geoms = shapely.simplify(geoms, simplify_m, preserve_topology=True)
    to_ll = Transformer.from_crs(frame.crs, CGCS2000, always_xy=True)

    def convert(xy: np.ndarray) -> np.ndarray:
        lon, lat = to_ll.transform(xy[:, 0], xy[:, 1])
        if gcj02:
            lon, lat = wgs84_to_gcj02(lon, lat)
        return np.round(np.column_stack([lon, lat]), DECIMALS)
    return shapely.transform(geoms, convert)


def _clean(value):
    if value is None:
        return None
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else round(float(value), 1)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if value is pd.NaT:
        return None
    return value


def feature_collection(frame: gpd.GeoDataFrame, props: dict[str, str], gcj02: bool = False,
                       simplify_m: float = SIMPLIFY_M) -> str:
    """GeoJSON text: ``props`` maps short property keys to frame columns (short keys keep the payload small)."""
    geoms = lonlat_geoms(frame, gcj02, simplify_m)
    columns = {key: frame[col].tolist() if col in frame.columns else [None] * len(frame)
               for key, col in props.items()}
    parts = []
    for i, geom in enumerate(geoms):
        if geom is None or shapely.is_empty(geom):
            continue
        p = {key: _clean(values[i]) for key, values in columns.items()}
        parts.append('{"type":"Feature","properties":' + json.dumps(p, ensure_ascii=False, separators=(",", ":"))
                     + ',"geometry":' + shapely.to_geojson(geom) + "}")
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


def lonlat_bounds(frame: gpd.GeoDataFrame, gcj02: bool = False) -> list[list[float]] | None:
    """[[south, west], [north, east]] of a layer, for fitting the map."""
    if len(frame) == 0:
        return None
    minx, miny, maxx, maxy = frame.total_bounds
    to_ll = Transformer.from_crs(frame.crs, CGCS2000, always_xy=True)
    lon, lat = to_ll.transform([minx, maxx, minx, maxx], [miny, miny, maxy, maxy])
    if gcj02:
        lon, lat = wgs84_to_gcj02(np.array(lon), np.array(lat))
    return [[float(min(lat)), float(min(lon))], [float(max(lat)), float(max(lon))]]
