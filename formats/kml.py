"""KML / 奥维 .ovkml read with lxml (GDAL's LIBKML driver launders non-ASCII ExtendedData names into "____", losing
Chinese field names): every Placemark, in every Folder, with its name, description, ExtendedData (Data and
SchemaData/SimpleData) and geometry (Polygon, MultiGeometry of any mix, LineString, Point). Lon/lat: their datum
is what the file declares (奥维's ``<OvCoordType>`` per Placemark: WGS84 / CGCS2000 / GCJ02), else the caller's
question (奥维 ≥ 9.3 exports GCJ-02). Malformed or truncated XML is refused as such; a Placemark whose geometry
cannot be read (a coordinate that is no number, a Polygon without coordinates, an unknown coordinate type) is
rejected with its reason, the others are read."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from lxml import etree

from formats import FormatError
from geo.gcj02 import gcj02_to_wgs84

COORD_TYPES = {"WGS84": "wgs84", "CGCS2000": "cgcs2000", "GCJ02": "gcj02"}
"""奥维's ``<OvCoordType>`` values (upper case, without '-', '_' or spaces) → the datum (``formats.datum.DATUMS``)."""
_LABELS = {"wgs84": "WGS-84", "cgcs2000": "CGCS2000", "gcj02": "GCJ-02"}


class _Unreadable(Exception):
    """A Placemark's geometry cannot be read: the reason (Chinese) is the message."""


@dataclass
class KmlDocument:
    """``frame``: every Placemark indexed from 1 in document order (the feature's label), lon/lat, columns Name,
    description, folder (when any) and each ExtendedData field; a rejected Placemark has no geometry and its reason
    in ``rejected`` {label: reason}. ``datum``: the datum the coordinates are in as the file declares it (None: not
    declared, the caller decides); ``notes`` on how it was read."""
    frame: gpd.GeoDataFrame
    rejected: dict[int, str] = field(default_factory=dict)
    datum: str | None = None
    notes: list[str] = field(default_factory=list)


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _coords(el) -> np.ndarray:
    """The lon,lat[,alt] tuples of ``el``'s <coordinates> → an (n, 2) array."""
    node = _child(el, "coordinates")
    if node is None:
        raise _Unreadable(f"{_local(el.tag)} 缺少 <coordinates>（没有坐标）")
    text = re.sub(r"\s*,\s*", ",", (node.text or "").strip())        # "105.1, 32.2" as some tools write it
    out = []
    for token in text.split():
        values = token.split(",")
        if len(values) < 2:
            raise _Unreadable(f"坐标“{token[:40]}”应为“经度,纬度[,高程]”")
        try:
            out.append((float(values[0]), float(values[1])))
        except ValueError:
            raise _Unreadable(f"坐标“{token[:40]}”不是数值（应为“经度,纬度[,高程]”）") from None
    return np.array(out, dtype=float).reshape(-1, 2)


def _child(el, name):
    return next((c for c in el.iter() if _local(c.tag) == name), None)


def _ring(boundary, what: str) -> np.ndarray:
    xy = _coords(boundary)
    if len(xy) < 3:
        raise _Unreadable(f"{what}只有 {len(xy)} 个坐标点，构不成面（至少 3 个）")
    return xy


def _geometry(el):
    kind = _local(el.tag)
    if kind == "Polygon":
        outer = [b for b in el if _local(b.tag) == "outerBoundaryIs"]
        if not outer:
            raise _Unreadable("面（Polygon）缺少外边界 <outerBoundaryIs>")
        shell = _ring(outer[0], "面的外边界")
        holes = [_ring(b, "面的内边界（洞）") for b in el if _local(b.tag) == "innerBoundaryIs"]
        return shapely.Polygon(shell, holes)
    if kind == "LineString":
        xy = _coords(el)
        return shapely.LineString(xy) if len(xy) >= 2 else None
    if kind == "Point":
        xy = _coords(el)
        return shapely.Point(xy[0]) if len(xy) else None
    if kind == "MultiGeometry":
        parts = [g for g in (_geometry(c) for c in el) if g is not None]
        polys = [p for p in parts if p.geom_type == "Polygon"]
        if parts and len(polys) == len(parts):
            return shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0]
        return shapely.GeometryCollection(parts) if parts else None
    return None


_GEOMETRY_TAGS = {"Polygon", "MultiGeometry", "LineString", "Point"}


def _parse(path: Path, name: str):
    """The document's root; malformed or truncated XML refused, naming the line."""
    data = path.read_bytes()
    parser = etree.XMLParser(recover=False, huge_tree=True, resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        lines = data.count(b"\n") + (not data.endswith(b"\n"))
        if not data.strip():
            raise FormatError(f"{name} 是空文件（只有空白），不是 KML") from None
        if line >= lines or "Premature end" in str(exc.msg) or "end of data" in str(exc.msg):
            raise FormatError(f"{name} 不完整：XML 在第 {line} 行中断（文件可能在传输或解压时被截断），"
                              f"请重新导出或重新拷贝该文件（{exc.msg}）") from None
        raise FormatError(f"{name} 的 XML 格式错误（第 {line} 行第 {exc.position[1]} 列）：不是有效的 KML，"
                          f"请用奥维或 Google Earth 重新导出（{exc.msg}）") from None
    except (ValueError, OSError) as exc:
        raise FormatError(f"无法读取 {name}（KML）：{exc}") from exc
    if root is None:
        raise FormatError(f"{name} 不是 KML 文件（无法解析 XML）")
    return root


def _coord_type(mark) -> str | None:
    """The Placemark's declared ``<OvCoordType>`` (its own, else the nearest enclosing Folder's/Document's)."""
    node = _child(mark, "OvCoordType")
    parent = mark.getparent()
    while node is None and parent is not None:
        node = next((c for c in parent if _local(c.tag) == "OvCoordType"), None)
        parent = parent.getparent()
    return None if node is None else (node.text or "").strip()


def read_kml(path: Path, name: str) -> KmlDocument:
    """The Placemarks of ``path`` (named ``name`` in messages) as a ``KmlDocument``. Placemarks declaring GCJ-02
    among others declaring WGS84/CGCS2000 are corrected here (each once), so the document's datum is one."""
    root = _parse(path, name)
    rows, geoms, declared, rejected = [], [], [], {}
    for k, mark in enumerate((e for e in root.iter() if _local(e.tag) == "Placemark"), start=1):
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
                    key = d.get("name")
                    if key in ("geometry", "folder", "Name", "description"):
                        key = f"{key}_1"                       # the frame's own columns stay the reader's
                    if t == "Data" and key:
                        value = _child(d, "value")
                        row[key] = (value.text if value is not None else None)
                    elif t == "SimpleData" and key:
                        row[key] = d.text
            elif tag in _GEOMETRY_TAGS:
                try:
                    geom = _geometry(c)
                except _Unreadable as exc:
                    rejected[k] = str(exc)
        kind = _coord_type(mark)
        datum = COORD_TYPES.get(re.sub(r"[\s_\-]", "", kind).upper()) if kind is not None else None
        if kind is not None and datum is None and k not in rejected:
            rejected[k] = (f"坐标类型 <OvCoordType>{kind[:20]}</OvCoordType> 无法识别"
                           f"（可识别：{'、'.join(COORD_TYPES)}），为免错位不导入")
        if k in rejected:
            geom = None
        parent = mark.getparent()
        while parent is not None and _local(parent.tag) != "Folder":
            parent = parent.getparent()
        if parent is not None:
            row["folder"] = next((f.text for f in parent if _local(f.tag) == "name"), None)
        rows.append(row)
        geoms.append(geom)
        declared.append(datum if kind is not None else None)
    frame = gpd.GeoDataFrame(rows, geometry=np.array(geoms, dtype=object), crs=4326) if rows else \
        gpd.GeoDataFrame({"Name": [], "description": [], "folder": []}, geometry=[], crs=4326)
    frame.index = np.arange(1, len(frame) + 1)
    if frame["folder"].isna().all():
        frame = frame.drop(columns="folder")
    datum, notes = _one_datum(frame, declared, rejected, name)
    return KmlDocument(frame, rejected, datum, notes)


def _one_datum(frame: gpd.GeoDataFrame, declared: list, rejected: dict, name: str):
    """The document's datum and notes: the one every readable Placemark declares; when they differ (or some
    declare none: 奥维's default GCJ-02), the GCJ-02 ones are corrected to WGS-84 in ``frame`` and the datum is
    WGS-84."""
    kinds = {d for k, d in enumerate(declared, start=1) if k not in rejected}
    if kinds <= {None}:
        return None, []
    if len(kinds) == 1:
        (datum,) = kinds
        note = (f"{name}：文件声明坐标类型为 {_LABELS[datum]}（<OvCoordType>），按声明读取"
                + ("，不做 GCJ-02 纠偏" if datum != "gcj02" else "，纠偏到 WGS-84/CGCS2000"))
        return datum, [note]
    shift = np.array([d in ("gcj02", None) for d in declared]) & frame.geometry.notna().to_numpy()
    if shift.any():
        geoms = np.asarray(frame.geometry.values)
        geoms[shift] = shapely.transform(geoms[shift], lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))
        frame[frame.geometry.name] = gpd.GeoSeries(geoms, index=frame.index, crs=4326)
    counts = "、".join(f"{_LABELS.get(d, '未声明（按奥维默认 GCJ-02）')} {sum(x == d for x in declared)} 个"
                      for d in sorted(kinds, key=str))
    return "wgs84", [f"{name}：地标的坐标类型不一（{counts}）：各按其声明读取，GCJ-02 的已纠偏到 WGS-84，"
                     "其余不纠偏"]
