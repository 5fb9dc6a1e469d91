"""Exports for the outside world: a site or parcels as a 坐标文件 (报批), as KML for 奥维互动地图 (GCJ-02 — what 奥维
≥ 9.3 expects — or WGS-84), and as GeoJSON (RFC 7946: WGS-84 lon/lat; CGCS2000 coincides with it to well under a
metre)."""
from __future__ import annotations

import re
import tempfile
import warnings
from pathlib import Path
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from formats.coordfile import write_coordfile
from formats.datum import transform_geoms
from geo.errors import InputError
from geo.gcj02 import wgs84_to_gcj02

_NAME_FIELDS = ("name", "parcel_id", "zone_id", "factory_id", "site_id")


def _plain(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = frame.drop(columns=[c for c in ("area_mu", "net_mu") if c in frame.columns]).reset_index(drop=True)
    for c in out.columns:
        if c != out.geometry.name and pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
    return out


def export_bytes(frame: gpd.GeoDataFrame, layer: str, fmt: str, datum: str = "gcj02", unit: str = "",
                 notes: list[str] | None = None) -> bytes:
    """``frame`` as a file in ``fmt``; what had to be changed for the format (a name with a line break, characters
    outside GBK in a 坐标文件) is appended to ``notes``."""
    if fmt == "coordfile":
        id_field = {"parcels": "parcel_id", "zones": "zone_id", "factories": "factory_id",
                    "sites": "site_id"}.get(layer, "parcel_id")
        table = frame.rename(columns={id_field: "parcel_id"}) if id_field != "parcel_id" else frame
        if "land_use" not in table.columns:
            table = table.assign(land_use=None)
        return write_coordfile(table, unit=unit, notes=notes)
    if fmt == "kml":
        return kml_bytes(frame, datum)
    if fmt == "geojson":
        return geojson_bytes(frame)
    raise InputError(f"未知的导出格式“{fmt}”（应为 coordfile、kml 或 geojson）")


def geojson_bytes(frame: gpd.GeoDataFrame) -> bytes:
    out = _plain(frame).to_crs(4326)
    with tempfile.TemporaryDirectory(prefix="landgap-export-") as tmp:
        path = Path(tmp, "out.geojson")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pyogrio.write_dataframe(out, path, driver="GeoJSON", layer_options={"RFC7946": "YES",
                                                                                 "COORDINATE_PRECISION": "8"})
        return path.read_bytes()


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 forbids even escaped: written, they make the KML unreadable (a strict parser refuses it)."""


def _xml_text(value) -> str:
    return escape(_NOT_XML.sub(" ", str(value)), {'"': "&quot;"})


def _ring(coords: np.ndarray) -> str:
    return " ".join(f"{x:.8f},{y:.8f}" for x, y in coords)


def _polygon_kml(poly) -> str:
    inner = "".join(f"<innerBoundaryIs><LinearRing><coordinates>{_ring(np.asarray(r.coords))}</coordinates>"
                    "</LinearRing></innerBoundaryIs>" for r in poly.interiors)
    return (f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{_ring(np.asarray(poly.exterior.coords))}"
            f"</coordinates></LinearRing></outerBoundaryIs>{inner}</Polygon>")


def kml_bytes(frame: gpd.GeoDataFrame, datum: str = "gcj02") -> bytes:
    """KML 2.2 for 奥维互动地图 and Google Earth: one Placemark per feature named by its name or id, every field in
    ExtendedData; coordinates GCJ-02 (``datum="gcj02"``, 奥维's own since v9.3) or WGS-84."""
    out = _plain(frame).to_crs(4326)
    geoms = np.asarray(out.geometry.values)
    if datum == "gcj02":
        geoms = transform_geoms(geoms, wgs84_to_gcj02)
    fields = [c for c in out.columns if c != out.geometry.name]
    name_field = next((f for f in _NAME_FIELDS if f in fields), None)
    marks = []
    for k, geom in enumerate(geoms):
        row = out.iloc[k]
        label = _xml_text(row[name_field]) if name_field else str(k + 1)
        data = "".join(f'<Data name="{_xml_text(f)}"><value>{_xml_text("" if pd.isna(row[f]) else row[f])}'
                       "</value></Data>" for f in fields)
        parts = shapely.get_parts(geom)
        body = _polygon_kml(parts[0]) if len(parts) == 1 else \
            "<MultiGeometry>" + "".join(_polygon_kml(p) for p in parts) + "</MultiGeometry>"
        marks.append(f"<Placemark><name>{label}</name><ExtendedData>{data}</ExtendedData>{body}</Placemark>")
    note = "GCJ-02（奥维/高德坐标）" if datum == "gcj02" else "WGS-84"
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"<name>LandGap 导出</name><description>坐标：{note}</description>"
            + "".join(marks) + "</Document></kml>\n").encode("utf-8")
