"""The 自然资源部 坐标文件 (建设用地报批 coordinate file, “部标格式”): read every variant in use, write the one the
receiving systems expect.

Layout (a header section ``[属性描述]`` of ``key=value`` lines, then ``[地块坐标]``)::

    5,0.7655,1,地块1,面,,工业用地,0601,@          界址点数, 面积（公顷）, 地块编号, 地块名称, 图形属性, 图幅号, 用途,
                                                  地类编码, @
    J1,1,3405133.897,38453662.011                 点号, 圈号, X（北）, Y（东，常带 2 位带号）

Variants read: version 1.00/1.01 headers; with or without ``带号`` and the ``J`` prefix; Y with the zone prefix
(CGCS2000 3° zones prefixed EPSG 4513–4533) or without (4534–4554, zone from ``带号``); 6° zones
(``几度分带=6``: 4491–4501 / 4502–4512); Xian 1980 and Beijing 1954 (``坐标系=``); X and Y swapped by a tool
(detected from their ranges); several parcels; ring 1 the outer boundary, 2… holes (a ring outside ring 1 is a
further part); closing point repeated or not; GBK, UTF-8 with or without BOM, UTF-16. A parcel's 面积 is checked
against the GRS80 area of its rings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from formats import CRSMissingError, FormatError
from formats.encoding import decode_text

HECTARE_M2 = 10_000.0
MU_PER_HECTARE = 15.0
AREA_TOLERANCE = 0.001
"""A parcel line's 面积 differing from the computed area by more than this share is reported (0.1 %)."""

# (datum keyword in 坐标系=, 3° prefixed first EPSG (zone 25), 3° plain first EPSG (CM 75E), 6° prefixed (zone 13),
# 6° plain (CM 75E))
_DATUMS = {
    "cgcs2000": (4513, 4534, 4491, 4502),
    "xian80": (2349, 2370, 2327, 2338),
    "beijing54": (2401, 2422, 21413, 21453),
}
_DATUM_WORDS = (("2000", "cgcs2000"), ("CGCS", "cgcs2000"), ("西安", "xian80"), ("80", "xian80"),
                ("北京", "beijing54"), ("54", "beijing54"))
_SHAPES = {"点", "线", "面"}
_CLASS_CODE = re.compile(r"[0-9A-Za-z]{1,8}")
"""A land-class code (0601, 100101, M1); anything else in that slot (地上, 地下) is not one."""


@dataclass
class CoordFile:
    """A coordinate file as read: ``frame`` (index = the parcel line's line number in the file) with columns
    parcel_id, name, land_use, land_class, registered_mu and the geometry in ``frame.crs``; ``header`` the
    ``[属性描述]`` keys; ``rejected`` {line: reason} for parcels that are not polygons or cannot be built."""
    name: str
    frame: gpd.GeoDataFrame
    header: dict[str, str]
    encoding: str
    notes: list[str] = field(default_factory=list)
    rejected: dict[int, str] = field(default_factory=dict)
    input_count: int = 0


def looks_like_coordfile(data: bytes) -> bool:
    text, _, _ = decode_text(data[:4096], "坐标文件", strict=False)
    return "[地块坐标]" in text or "[属性描述]" in text


def _datum(header: dict[str, str]) -> str:
    words = header.get("坐标系", "")
    for word, datum in _DATUM_WORDS:
        if word in words:
            return datum
    return "cgcs2000"


def _zone_crs(header: dict[str, str], eastings: np.ndarray, name: str,
              crs_override=None) -> tuple[CRS, bool, list[str]]:
    """The CRS of the coordinates and whether Y carries the zone prefix (then it is kept: the prefixed EPSG)."""
    notes: list[str] = []
    if crs_override is not None:
        return CRS.from_user_input(crs_override), bool(np.nanmedian(eastings) >= 1e6), notes
    datum = _datum(header)
    width = 6 if header.get("几度分带", "3").strip().startswith("6") else 3
    prefixed_first, plain_first, prefixed6, plain6 = _DATUMS[datum]
    prefix_zone = np.floor(eastings / 1e6)
    prefixed = bool(np.nanmedian(eastings) >= 1e6)
    zone_text = re.sub(r"\D", "", header.get("带号", ""))
    zone = int(zone_text) if zone_text else None
    if prefixed:
        zones = set(prefix_zone[np.isfinite(prefix_zone)].astype(int))
        if len(zones) > 1:
            raise FormatError(f"{name}：Y 坐标的带号不一致（{'、'.join(map(str, sorted(zones)))}）")
        got = zones.pop()
        if zone is not None and zone != got:
            notes.append(f"{name}：文件头 带号={zone} 与 Y 坐标前缀 {got} 不同，按坐标前缀 {got} 带")
        zone = got
    if zone is None:
        error = CRSMissingError(f"{name}：Y 坐标不带带号，文件头也没有“带号”，无法确定投影带：请指定坐标系"
                                "（如四川 CGCS2000 3度带 EPSG:4542/4543/4544/4545，即中央经线 99/102/105/108°E）",
                                [4542, 4543, 4544, 4545])
        error.plain_gk = True                       # the importer names the workspace's zone instead
        raise error
    if width == 3:
        if not 25 <= zone <= 45:
            raise FormatError(f"{name}：3度带带号 {zone} 不在中国范围（25–45）内")
        epsg = (prefixed_first if prefixed else plain_first) + zone - 25
    else:
        if not 13 <= zone <= 23:
            raise FormatError(f"{name}：6度带带号 {zone} 不在中国范围（13–23）内")
        epsg = (prefixed6 if prefixed else plain6) + zone - 13
    return CRS.from_epsg(epsg), prefixed, notes


def _split(line: str) -> list[str]:
    return [p.strip() for p in line.replace("，", ",").split(",")]


def read_coordfile(data: bytes, name: str = "坐标文件", encoding: str | None = None, crs=None) -> CoordFile:
    """Parse a 坐标文件's bytes. Raises FormatError naming the line for what cannot be read at all; a parcel that
    is a point or line (图形属性 点/线) or whose rings cannot make a polygon is put in ``rejected``."""
    text, codec, note = decode_text(data, name, forced=encoding)
    notes = [note] if note else []
    lines = text.splitlines()
    header: dict[str, str] = {}
    section = None
    parcels: list[tuple[int, list[str]]] = []
    points: list[tuple[int, int, float, float]] = []       # parcel index, ring, X, Y
    unusable: dict[int, str] = {}                            # parcel index → why its points cannot be used
    for no, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section == "属性描述":
            key, _, value = line.partition("=")
            header[key.strip()] = value.strip()
            continue
        if section != "地块坐标":
            raise FormatError(f"{name} 第 {no} 行：在 [属性描述] / [地块坐标] 之外：“{line[:40]}”——不是坐标文件？")
        parts = _split(line)
        if parts[-1] == "@" or (len(parts) >= 5 and parts[4] in _SHAPES):
            parcels.append((no, parts[:-1] if parts[-1] == "@" else parts))
            continue
        if not parcels:
            raise FormatError(f"{name} 第 {no} 行：界址点之前没有地块属性行（界址点数,面积,地块编号,…,@）")
        if len(parts) == 3:                                  # no point name
            parts = [""] + parts
        try:
            ring, x, y = int(float(parts[1])), float(parts[2]), float(parts[3])
        except (ValueError, IndexError):
            raise FormatError(f"{name} 第 {no} 行：界址点应为“点号,圈号,X,Y”，实际为“{line[:60]}”") from None
        points.append((len(parcels) - 1, ring, x, y))
        if not (np.isfinite(x) and np.isfinite(y)):      # nan, inf: the parcel is refused, naming the line
            unusable.setdefault(len(parcels) - 1, f"第 {no} 行界址点坐标“{line[:60]}”含非数值（NaN）或无穷大（inf）")
    if section is None or not parcels:
        raise FormatError(f"{name}：没有 [地块坐标] 部分或其中没有地块——不是自然资源部坐标文件格式，或文件为空")
    pts = np.array(points, dtype=float).reshape(-1, 4)
    pts = pts[~np.isin(pts[:, 0], list(unusable))]            # the geometry gate, before any GEOS operation
    owner, ring, north, east = pts[:, 0].astype(int), pts[:, 1].astype(int), pts[:, 2], pts[:, 3]
    swapped = len(pts) and ((np.nanmedian(north) < 1e6 and 1e6 <= np.nanmedian(east) < 1e7)
                            or (np.nanmedian(north) >= 1e7 and np.nanmedian(east) < 1e7))
    if swapped:
        north, east = east, north
        notes.append(f"{name}：X 列为东坐标、Y 列为北坐标（与部标格式相反），已按数值范围对调")
    crs_obj, prefixed, zone_notes = _zone_crs(header, east, name, crs)
    notes += zone_notes
    rejected: dict[int, str] = {}
    rows = []
    for k, (no, p) in enumerate(parcels):
        p = p + [""] * (8 - len(p))
        try:
            hectares = float(p[1]) if p[1] else np.nan
        except ValueError:
            raise FormatError(f"{name} 第 {no} 行：面积“{p[1]}”不是数值（应为公顷）") from None
        code = p[7] if _CLASS_CODE.fullmatch(p[7]) else ""       # some files put 地上/地下 in slot 8
        rows.append({"line": no, "parcel_id": p[2] or None, "name": p[3] or None, "shape": p[4],
                     "land_use": p[6] or None, "land_class": code or None, "hectares": hectares})
        if p[4] and p[4] != "面":
            rejected[no] = f"图形属性为“{p[4]}”，不是面：地块图层只接受面"
    table = pd.DataFrame(rows)
    lines_of = table["line"].to_numpy()
    table.index = pd.Index(lines_of, name="line")
    geoms = _polygons(owner, ring, east, north, len(parcels))
    for k, reason in unusable.items():
        rejected.setdefault(int(lines_of[k]), reason)
    for k in np.flatnonzero(shapely.is_missing(geoms)):
        rejected.setdefault(int(lines_of[k]), "界址点不足 3 个，无法构成面")
    frame = gpd.GeoDataFrame(table.drop(columns=["line", "shape"]), geometry=geoms, crs=crs_obj,
                             index=pd.Index(lines_of, name="line"))
    frame = frame[~frame.index.isin(list(rejected))]
    notes += _area_notes(frame, name)
    frame["registered_mu"] = frame.pop("hectares") * MU_PER_HECTARE
    version = header.get("格式版本号", "")
    notes.insert(0, f"{name}：自然资源部坐标文件{('（' + version + '）') if version else ''}，{codec} 编码，"
                    f"坐标系 {crs_obj.name} (EPSG:{crs_obj.to_epsg()})"
                    + ("，Y 坐标带带号" if prefixed else "，Y 坐标不带带号（带号取自文件头）"))
    return CoordFile(name, frame, header, codec, notes, rejected, len(parcels))


def _polygons(owner: np.ndarray, ring: np.ndarray, x: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    """Per parcel a (Multi)Polygon: ring 1 (the first) the shell, later rings inside it holes, outside it parts."""
    out = np.full(n, None, dtype=object)
    if not len(owner):
        return out
    key = owner.astype(np.int64) * 100_000 + ring
    starts = np.r_[0, np.flatnonzero(np.diff(key)) + 1]      # a ring: consecutive points of one (parcel, ring)
    ring_id = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(key)]))
    counts = np.bincount(ring_id)
    last = starts + counts - 1
    repeated = (x[starts] == x[last]) & (y[starts] == y[last]) & (counts > 1)
    counts = counts - repeated                                   # distinct corners of each ring
    ok_ring = counts[ring_id] >= 3
    # a closing point repeated, or not: linearrings closes each ring itself
    coords = np.column_stack([x, y])[ok_ring]
    rings = shapely.linearrings(coords, indices=np.unique(ring_id[ok_ring], return_inverse=True)[1]) \
        if ok_ring.any() else np.empty(0, object)
    ring_owner = owner[starts][counts >= 3]
    if not len(rings):
        return out
    first = np.r_[True, ring_owner[1:] != ring_owner[:-1]]
    shells = shapely.polygons(rings[first])
    shell_of = np.cumsum(first) - 1                           # each ring's parcel's shell
    inside = ~first & shapely.within(shapely.polygons(rings), shells[shell_of])
    polygon_of = np.cumsum(~inside) - 1                       # a shell or an outside ring starts a polygon
    polys = shapely.polygons(rings[~inside], holes=None)
    if inside.any():
        holes_by = pd.Series(list(rings[inside])).groupby(polygon_of[inside]).agg(list)
        for p, holes in holes_by.items():                    # few: rings with holes
            polys[p] = shapely.Polygon(shapely.get_coordinates(rings[~inside][p]),
                                       [shapely.get_coordinates(h) for h in holes])
    poly_owner = ring_owner[~inside]
    groups = pd.Series(np.arange(len(polys))).groupby(poly_owner).agg(list)
    single = groups.map(len) == 1
    out[groups.index[single].to_numpy()] = polys[[g[0] for g in groups[single]]]
    for owner_k, members in groups[~single].items():
        out[owner_k] = shapely.multipolygons(polys[members])
    return out


def ellipsoidal_m2(geoms, crs) -> np.ndarray:
    """GRS80 areas (m²) of ``geoms`` in ``crs`` (vectorised, ``geo.area``: a local equal-area projection)."""
    from geo.area import ellipsoidal_area_m2
    return ellipsoidal_area_m2(gpd.GeoSeries(np.asarray(geoms), crs=crs)).to_numpy()


def _area_notes(frame: gpd.GeoDataFrame, name: str) -> list[str]:
    if frame.empty:
        return []
    computed = ellipsoidal_m2(frame.geometry.values, frame.crs) / HECTARE_M2
    stated = frame["hectares"].to_numpy(float)
    off = np.abs(stated - computed) / computed
    bad = np.isfinite(off) & (off > AREA_TOLERANCE)
    return [f"{name} 第 {line} 行（地块 {pid}）：面积 {s:.4f} 公顷与界址点算得的椭球面积 {c:.4f} 公顷相差 {o:.2%}"
            "（超过 0.1%）；以图形面积为准，文件面积存为台账面积" for line, pid, s, c, o in
            zip(frame.index[bad], frame["parcel_id"].to_numpy()[bad], stated[bad], computed[bad], off[bad])]


# ------------------------------------------------------------------------------------------------ writing

def _gk_zone(frame: gpd.GeoDataFrame) -> tuple[int, CRS]:
    """The 3° zone number and its plain CGCS2000 GK CRS for ``frame``: the frame's own when it is one."""
    epsg = frame.crs.to_epsg() if frame.crs is not None else None
    if epsg and 4534 <= epsg <= 4554:
        return epsg - 4534 + 25, frame.crs
    if epsg and 4513 <= epsg <= 4533:
        return epsg - 4513 + 25, CRS.from_epsg(epsg - 4513 + 4534)
    ll = frame.to_crs(4490).geometry.unary_union.centroid
    zone = int(round(ll.x / 3.0))
    return zone, CRS.from_epsg(4534 + zone - 25)


_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
"""Line breaks, tabs and other control characters: a 坐标文件 line may hold none (a break splits the parcel line)."""
_CELL_LABELS = {"parcel_id": "编号", "name": "名称", "land_use": "用途", "land_class": "地类编码"}


def gbk_cell(value: str, what: str, notes: list[str] | None = None, commas: bool = True) -> str:
    """``value`` as one cell of a 坐标文件 line written in GBK: line breaks and control characters → a space,
    commas (",", "，": both separate cells when read) → "、", characters outside GBK → "?"; each change said in
    ``notes`` naming ``what`` (地块 P1 的名称)."""
    out = _BREAKS.sub(" ", value).strip() if _BREAKS.search(value) else value
    if out != value and notes is not None:
        notes.append(f"{what}“{value[:40]!s}”含换行符或控制字符，已换为空格")
    if commas and ("," in out or "，" in out):       # both separate cells when read (``_split``)
        out = out.replace(",", "、").replace("，", "、")
        if notes is not None:
            notes.append(f"{what}“{out}”中的逗号是坐标文件的分隔符，已换为“、”")
    lost = "".join(dict.fromkeys(c for c in out if not _encodes(c)))
    if lost:
        out = "".join(c if _encodes(c) else "?" for c in out)
        if notes is not None:
            notes.append(f"{what}中的“{lost}”不在 GBK 字符集中（坐标文件为 GBK 编码），已换为“?”：导出为“{out}”，"
                         "请在报批系统中手工改正")
    return out


def _encodes(c: str) -> bool:
    try:
        c.encode("gbk")
        return True
    except UnicodeEncodeError:
        return False


def write_coordfile(frame: gpd.GeoDataFrame, unit: str = "", precision: float = 0.001,
                    date: str | None = None, notes: list[str] | None = None) -> bytes:
    """``frame`` (columns parcel_id, optional name, land_use, land_class) as a 坐标文件 version 1.01: CGCS2000 3°
    GK, Y with the zone prefix, 带号 in the header, X northing; GBK with CRLF; areas in 公顷 (GRS80). Text that
    would break a line or GBK is changed (``gbk_cell``) and said in ``notes``, so the file always reads back;
    ids that become equal so are refused (ExportError)."""
    import datetime

    from geo.errors import ExportError
    zone, gk = _gk_zone(frame)
    plain = frame.to_crs(gk)
    decimals = max(0, int(round(-np.log10(precision))))
    hectares = ellipsoidal_m2(plain.geometry.values, gk) / HECTARE_M2
    unit = gbk_cell(str(unit or ""), "数据产生单位", notes, commas=False)     # a header value: commas are fine
    out = ["[属性描述]", "格式版本号=1.01版本", f"数据产生单位={unit}",
           f"数据产生日期={date or datetime.date.today().isoformat()}", "坐标系=2000国家大地坐标系", "几度分带=3",
           "投影类型=高斯克吕格", "计量单位=米", f"带号={zone}", f"精度={precision:g}", "转换参数=,,,,,,",
           "[地块坐标]"]

    def cell(row, key, k):
        v = row.get(key) if hasattr(row, "get") else None
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return ""
        pid = row.get("parcel_id") if hasattr(row, "get") else None
        return gbk_cell(str(v), f"第 {k + 1} 个地块{'（' + str(pid)[:20] + '）' if pid is not None else ''}的"
                        f"{_CELL_LABELS[key]}", notes)

    ids = [cell(row, "parcel_id", k) for k, (_, row) in enumerate(plain.iterrows())]
    originals = [str(row.get("parcel_id")) for _, row in plain.iterrows()]
    same = sorted({i for i in ids if i and ids.count(i) > 1})
    if same and len(set(ids)) < len(set(originals)):
        raise ExportError(f"导出坐标文件：编号中 GBK 之外的字符换为“?”后，有编号重复（{'、'.join(same)}）："
                          "请先改用 GBK 字符集中的编号再导出")
    for k, (_, row) in enumerate(plain.iterrows()):
        polys = shapely.get_parts(row.geometry)
        lines = []
        ring_no, point_no = 0, 0
        for poly in polys:
            for r in [poly.exterior, *poly.interiors]:
                ring_no += 1
                xy = np.asarray(r.coords)
                start = point_no + 1
                for i, (e, n) in enumerate(xy):
                    if i == len(xy) - 1:
                        label = start                          # the closing point repeats the first
                    else:
                        point_no += 1
                        label = point_no
                    lines.append(f"J{label},{ring_no},{n:.{decimals}f},{zone * 1_000_000 + e:.{decimals}f}")
        out.append(f"{len(lines)},{hectares[k]:.4f},{ids[k]},{cell(row, 'name', k)},面,,"
                   f"{cell(row, 'land_use', k)},{cell(row, 'land_class', k)},@")
        out += lines
    return ("\r\n".join(out) + "\r\n").encode("gbk", "replace")
