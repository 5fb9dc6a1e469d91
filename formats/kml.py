"""KML / 奥维 .ovkml read with lxml (GDAL's LIBKML driver launders non-ASCII ExtendedData names into "____", losing
Chinese field names): every Placemark, in every Folder, with its name, description, ExtendedData (Data and
SchemaData/SimpleData) and geometry (Polygon, MultiGeometry of any mix, LineString, Point). Lon/lat: their datum
is the caller's question (奥维 ≥ 9.3 exports GCJ-02)."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from lxml import etree

from formats import FormatError


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _coords(text: str | None) -> np.ndarray:
    """lon,lat[,alt] tuples separated by white space → an (n, 2) array."""
    values = [t.split(",") for t in (text or "").split()]
    return np.array([[float(v[0]), float(v[1])] for v in values if len(v) >= 2], dtype=float).reshape(-1, 2)


def _child(el, name):
    return next((c for c in el.iter() if _local(c.tag) == name), None)


def _geometry(el):
    kind = _local(el.tag)
    if kind == "Polygon":
        outer = [b for b in el if _local(b.tag) == "outerBoundaryIs"]
        if not outer:
            return None
        shell = _coords(_child(outer[0], "coordinates").text)
        holes = [_coords(_child(b, "coordinates").text) for b in el if _local(b.tag) == "innerBoundaryIs"]
        if len(shell) < 3:
            return None
        return shapely.Polygon(shell, [h for h in holes if len(h) >= 3])
    if kind == "LineString":
        xy = _coords(_child(el, "coordinates").text)
        return shapely.LineString(xy) if len(xy) >= 2 else None
    if kind == "Point":
        xy = _coords(_child(el, "coordinates").text)
        return shapely.Point(xy[0]) if len(xy) else None
    if kind == "MultiGeometry":
        parts = [g for g in (_geometry(c) for c in el) if g is not None]
        polys = [p for p in parts if p.geom_type == "Polygon"]
        if parts and len(polys) == len(parts):
            return shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0]
        return shapely.GeometryCollection(parts) if parts else None
    return None


_GEOMETRY_TAGS = {"Polygon", "MultiGeometry", "LineString", "Point"}


def read_kml(path: Path, name: str) -> gpd.GeoDataFrame:
    """The Placemarks as a frame indexed from 1 in document order (the feature's label), lon/lat (EPSG:4326 as
    KML says; GCJ-02 is decided by the caller), columns Name, description, folder and each ExtendedData field."""
    try:
        root = etree.parse(str(path), etree.XMLParser(recover=True, huge_tree=True, resolve_entities=False,
                                                      no_network=True)).getroot()
    except (etree.XMLSyntaxError, OSError) as exc:
        raise FormatError(f"无法读取 {name}（KML）：{exc}") from exc
    if root is None:
        raise FormatError(f"{name} 不是 KML 文件（无法解析 XML）")
    rows, geoms = [], []
    for mark in (e for e in root.iter() if _local(e.tag) == "Placemark"):
        row = {"Name": None, "description": None, "folder": None}
        geom = None
        for c in mark:
            tag = _local(c.tag)
            if tag == "name":
                row["Name"] = (c.text or "").strip() or None
            elif tag == "description":
                row["description"] = (c.text or "").strip() or None
            elif tag == "ExtendedData":
                for d in c.iter():
                    t = _local(d.tag)
                    if t == "Data" and d.get("name"):
                        value = _child(d, "value")
                        row[d.get("name")] = (value.text if value is not None else None)
                    elif t == "SimpleData" and d.get("name"):
                        row[d.get("name")] = d.text
            elif tag in _GEOMETRY_TAGS:
                geom = _geometry(c)
        parent = mark.getparent()
        while parent is not None and _local(parent.tag) != "Folder":
            parent = parent.getparent()
        if parent is not None:
            folder_name = next((f.text for f in parent if _local(f.tag) == "name"), None)
            row["folder"] = folder_name
        rows.append(row)
        geoms.append(geom)
    frame = gpd.GeoDataFrame(rows, geometry=np.array(geoms, dtype=object), crs=4326)
    frame.index = np.arange(1, len(frame) + 1)
    if frame["folder"].isna().all():
        frame = frame.drop(columns="folder")
    return frame
