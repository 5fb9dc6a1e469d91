"""Parcel layers from other GIS as Shapefiles (.shp + .shx + .dbf + .prj, with or without .cpg), as planners get
them from the natural-resources bureau.

The encoding is detected (formats.dbf), never guessed silently: a forced encoding wins, then the .cpg, then the DBF's
language driver byte, then the content (valid UTF-8, else GB18030, which covers GBK/GB2312) — each with a note
saying which. Field names are matched as ``geo.vocab.PARCEL_LAYER_FIELDS`` spells them, also when the DBF cut them
at 10 bytes. ``read_parcel_layer`` reads (I/O); ``import_parcel_layer`` checks every feature, names each problem by
its FID (as QGIS and ArcGIS number a Shapefile's features, from 0) and applies the layer to the workspace — or
nothing at all.
"""
from __future__ import annotations

import io
import os
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from formats.cells import by_distinct, numbers, parsed_distinct, texts
from formats.dbf import DBF_NAME_BYTES, detect_encoding, mended_names
from formats.encoding import zip_member_name
from formats.ledger import header_field, validated_by_row, zone_lookup
from formats.unzip import Budget, open_zip, read_member
from geo.area import area_mu
from geo.crs import describe
from geo.errors import FIELD_MISSING, ExportError, LayerFileError, ValidationError
from geo.parse import parse_date, parse_number
from geo.report import LoadReport
from geo.units import MU_PER_HECTARE, m2_to_mu
from geo.vocab import PARCEL_EXTRA_FIELDS, PARCEL_LAYER_FIELDS
from geo.workspace import Workspace

_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_UNIT_SAMPLE = 2000
_AREA_UNITS = {"亩": 1.0, "平方米": m2_to_mu(1.0), "公顷": MU_PER_HECTARE}
"""What a registered-area field may hold, as the factor to 亩 (no unit fits in a 10-byte DBF name: it is
recognised from the areas themselves)."""
MAX_SHAPEFILE_BYTES = 200 * 1024 ** 2
"""The most a zipped Shapefile may unpack to (read in memory: a county-wide parcel layer is tens of MB)."""


@dataclass
class ParcelLayer:
    """A Shapefile as read: ``frame`` indexed by FID with the layer's own column names; ``columns`` maps each field
    LandGap recognised to that column; ``encoding`` is the codec the text was read with."""
    name: str
    frame: gpd.GeoDataFrame
    columns: dict[str, str]
    encoding: str
    notes: list[str] = field(default_factory=list)


def _parts(source, name: str, require_crs: bool = True) -> tuple[str, dict[str, bytes]]:
    """The Shapefile's stem and its parts by suffix, from a .shp path (siblings beside it), a .zip (path or bytes),
    or uploaded files {file name: bytes} (the parts, or one zip)."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.suffix.lower() == ".zip":
            source = path.read_bytes()
        else:
            if path.suffix.lower() != ".shp":
                raise LayerFileError(f"{path.name}：应为 Shapefile（.shp，或打包的 .zip）")
            if not path.exists():
                raise LayerFileError(f"文件不存在：{path}")
            files = {p.name: p.read_bytes() for p in path.parent.glob(path.stem + ".*")
                     if p.suffix.lower() in _PARTS}
            return _one_shapefile(files, name, require_crs)
    if isinstance(source, bytes):
        source = {name: source}
    files: dict[str, bytes] = {}
    for file_name, data in source.items():
        if PurePath(file_name).suffix.lower() == ".zip":
            budget = Budget(file_name, len(data), MAX_SHAPEFILE_BYTES)   # by what the members really hold
            with open_zip(data, file_name) as z:              # only the member's own name: no paths from the zip
                files.update({PurePath(zip_member_name(i)).name: read_member(z, data, i, budget) for i in z.infolist()
                              if PurePath(i.filename).suffix.lower() in _PARTS and not i.is_dir()})
        else:
            files[PurePath(file_name).name] = data
    return _one_shapefile(files, name, require_crs)


def _one_shapefile(files: dict[str, bytes], name: str, require_crs: bool = True) -> tuple[str, dict[str, bytes]]:
    stems = sorted({PurePath(f).stem for f in files if PurePath(f).suffix.lower() == ".shp"})
    if not stems:
        raise LayerFileError(f"{name} 中没有 .shp 文件（Shapefile 需 .shp、.shx、.dbf、.prj 一起上传，或打包为 .zip）")
    if len(stems) > 1:
        raise LayerFileError(f"{name} 中有 {len(stems)} 个图层（{'、'.join(stems)}），请一次导入一个")
    stem = stems[0]
    parts = {PurePath(f).suffix.lower(): data for f, data in files.items() if PurePath(f).stem == stem}
    missing = [s for s in (".shx", ".dbf") if s not in parts]
    if missing:
        raise LayerFileError(f"{stem}.shp 缺少 {'、'.join(stem + s for s in missing)}：Shapefile 的各个文件须一起提供")
    if ".prj" not in parts and require_crs:
        raise LayerFileError(f"{stem}.shp 缺少 {stem}.prj，无法确定坐标系：请在 QGIS/ArcGIS 中为图层定义坐标系"
                             "（如 CGCS2000 3度带 EPSG:4544）后重新导出")
    return stem, parts


def field_for(column: str, codec: str, fields: dict[str, tuple[str, ...]] = PARCEL_LAYER_FIELDS) -> str | None:
    """The field (of ``fields``: the parcel layer's by default) a layer's column names: as written, or a name the
    DBF cut at 10 bytes."""
    got = header_field(column, fields)
    if got:
        return got[0]
    stem = column.rstrip("\ufffd?")
    if len(stem.encode(codec, "replace")) < DBF_NAME_BYTES - 2:
        return None                                               # too short to be a cut name
    for name, variants in fields.items():
        if any(len(v.encode(codec, "replace")) > DBF_NAME_BYTES and v.lower().startswith(stem.lower())
               for v in variants):
            return name
    return None


def read_parcel_layer(source, name: str | None = None, encoding: str | None = None,
                      require_crs: bool = True) -> ParcelLayer:
    """Read a parcel Shapefile: ``source`` a .shp or .zip path, a zip's bytes, or uploaded files {name: bytes}.
    ``require_crs=False``: a missing or unusable .prj is left to the caller (``formats``, which names the
    candidate EPSG codes)."""
    name = name or (Path(source).name if isinstance(source, (str, os.PathLike)) else "上传的文件")
    stem, parts = _parts(source, name, require_crs)
    try:
        codec, note = detect_encoding(parts[".dbf"], parts.get(".cpg"), encoding)
    except LayerFileError as exc:
        raise type(exc)(f"{stem}.dbf：{exc}") from exc
    with tempfile.TemporaryDirectory(prefix="landgap-shp-") as tmp:
        for suffix, data in parts.items():
            if suffix != ".cpg":                                   # the codec above already decided
                Path(tmp, "layer" + suffix).write_bytes(mended_names(data, codec) if suffix == ".dbf" else data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frame = pyogrio.read_dataframe(Path(tmp, "layer.shp"), encoding=codec, fid_as_index=True)
        except Exception as exc:  # GDAL's message names the problem
            raise LayerFileError(f"无法读取 {stem}.shp：{exc}") from exc
    if frame.crs is None and require_crs:
        raise LayerFileError(f"{stem}.prj 中的坐标系无法识别：请在 QGIS/ArcGIS 中重新定义坐标系后导出")
    kinds = set(frame.geometry.dropna().geom_type)
    if kinds - {"Polygon", "MultiPolygon"}:
        raise LayerFileError(f"{stem}.shp 是{'、'.join(sorted(kinds))}图层：地块图层应为面（Polygon）")
    notes = [note] if note else []
    if frame.geometry.has_z.any():                                 # PolygonZ from CAD conversions: areas are planar
        frame = frame.set_geometry(shapely.force_2d(frame.geometry.values))
        notes.append(f"{stem}.shp 含高程（Z）坐标，已去掉 Z 值按平面读取")
    columns: dict[str, str] = {}
    for column in frame.columns.drop(frame.geometry.name):
        got = field_for(str(column), codec) or field_for(str(column), codec, PARCEL_EXTRA_FIELDS)
        if got and got not in columns:
            columns[got] = column
    return ParcelLayer(f"{stem}.shp", frame, columns, codec, notes)


def _area_factor(registered: pd.Series, area_mu: pd.Series) -> tuple[float, str | None]:
    """A registered-area field's unit, from how its values compare to the drawn areas: (factor to 亩, unit)."""
    ratio = (registered / area_mu).replace([np.inf, -np.inf], np.nan).dropna()
    if ratio.empty:
        return 1.0, None
    median = float(ratio.median())
    for unit, factor in _AREA_UNITS.items():
        if abs(median * factor - 1.0) < 0.1:
            return factor, unit
    return 1.0, None


def zones_by_location(geoms: np.ndarray, zones: gpd.GeoDataFrame) -> np.ndarray:
    """Per parcel, the zone id holding the largest part of it (None: outside every zone)."""
    zone_geoms = np.asarray(zones.geometry.values)
    left, right = shapely.STRtree(zone_geoms).query(geoms, predicate="intersects")
    out = np.full(len(geoms), None, dtype=object)
    if len(left):
        share = shapely.area(shapely.intersection(geoms[left], zone_geoms[right]))
        order = np.lexsort((-share, left))                       # per parcel, the largest share first
        first = np.unique(left[order], return_index=True)[1]
        out[left[order][first]] = zones.index.to_numpy()[right[order][first]]
    return out


def parcels_from_layer(layer: ParcelLayer, ws: Workspace) -> tuple[gpd.GeoDataFrame, LoadReport, int]:
    """The layer as a parcels table in the workspace's CRS (index = FID), every problem found by FID, and how many
    parcels were put in a park by where they lie (no park field, or it was empty)."""
    report = LoadReport(source=layer.name)
    for note in layer.notes:
        report.info("parcels", "LAYER_NOTE", note)
    where = layer.columns
    missing = [f"“{PARCEL_LAYER_FIELDS[f][0]}”（可用的字段名：{'、'.join(PARCEL_LAYER_FIELDS[f][:6])} 等）"
               for f in ("parcel_id", "status") if f not in where]
    if missing:
        present = "、".join(map(str, layer.frame.columns.drop(layer.frame.geometry.name)))
        raise LayerFileError(f"{layer.name} 缺少字段 {'，'.join(missing)}；现有字段：{present}"
                             "（文件没有的字段可按 字段=取值 统一指定缺省值，如 status=available）", code=FIELD_MISSING)
    frame = layer.frame
    if not frame.crs.equals(ws.crs):
        report.info("parcels", "REPROJECTED", f"{layer.name} 的坐标系 {describe(frame.crs)} 已转换为工作空间的 "
                    f"{describe(ws.crs)}")
        frame = frame.to_crs(ws.crs)
    out = gpd.GeoDataFrame({f: frame[c] for f, c in where.items()}, geometry=frame.geometry.values, crs=ws.crs,
                           index=frame.index)
    for name in ("parcel_id", "status", "land_use", "zone_id", *PARCEL_EXTRA_FIELDS):
        if name in out.columns:
            out[name] = texts(out[name])
    if "ready_date" in out.columns:
        out["ready_date"] = pd.to_datetime(parsed_distinct(out["ready_date"], parse_date, report, "parcels", "BAD_DATE",
                                                        f"“{where['ready_date']}”字段"))
    if "registered_mu" in out.columns:
        registered = numbers(out["registered_mu"], parse_number, report, "parcels", "BAD_NUMBER",
                                  f"“{where['registered_mu']}”字段").astype(float)
        sample = registered.dropna().index[:_UNIT_SAMPLE]        # the unit is the median ratio: a sample tells it
        factor, unit = _area_factor(registered[sample], area_mu(out.geometry[sample], ws.center))
        if unit and unit != "亩":
            report.info("parcels", "AREA_UNIT", f"“{where['registered_mu']}”字段的数值约为图形面积的 "
                        f"{1 / factor:.4g} 倍，按{unit}换算为亩", field="registered_mu")
        out["registered_mu"] = registered * factor
    ids = out["parcel_id"]
    for fid in out.index[ids.notna() & ids.duplicated(keep=False)]:
        report.error("parcels", "DUPLICATE_ID", f"地块编号“{ids[fid]}”在图层中出现多次", row=fid, field="parcel_id")
    zoned_by_location = 0
    given = out["zone_id"] if "zone_id" in out.columns else pd.Series(None, index=out.index, dtype=object)
    find = zone_lookup(ws.zones)
    known = "、".join(f"{z}（{n}）" for z, n in ws.zones["name"].items())
    zone = by_distinct(given, lambda v: None if v is None else find(v))
    for fid in out.index[given.notna() & zone.isna()]:
        report.error("parcels", "UNKNOWN_ZONE", f"“{where['zone_id']}”字段的“{given[fid]}”不是已知园区（{known}）",
                     row=fid, field="zone_id")
    blank = given.isna()
    if blank.any():
        located = zones_by_location(np.asarray(out.geometry[blank].values), ws.zones)
        zone[blank] = located
        zoned_by_location = int(pd.notna(located).sum())
        for fid in out.index[blank][pd.isna(located)]:
            report.error("parcels", "OUTSIDE_ZONES", f"地块 {out.at[fid, 'parcel_id']} 不在任何园区范围内，"
                         "也没有园区字段：请补园区字段或园区边界", row=fid, field="zone_id")
        if zoned_by_location:
            report.info("parcels", "ZONED_BY_LOCATION", f"{zoned_by_location} 块地块没有园区字段，已按所在位置归入园区",
                        field="zone_id")
    out["zone_id"] = zone
    return out, report, zoned_by_location


def import_parcel_layer(ws: Workspace, source, name: str | None = None, encoding: str | None = None,
                        replace: bool = False):
    """The workspace with a parcel Shapefile applied: by 地块编号, a parcel in the file replaces the workspace's
    (geometry and fields) and new ones are added; ``replace``: the file is the whole parcels layer. Returns
    (workspace, counts {'parcels_added', 'parcels_updated', 'parcels_kept', 'zoned_by_location'}, report).

    Raises LayerFileError when the file cannot be used at all, and ValidationError whose report names every bad
    feature by FID; then nothing is applied. (Any format, any layer: ``formats.layer_import``.)"""
    layer = read_parcel_layer(source, name, encoding)
    table, report, zoned = parcels_from_layer(layer, ws)
    new, counts = merge_parcels(ws, table, report, replace, layer.name, zoned)
    return new, counts, report


def merge_parcels(ws: Workspace, table: gpd.GeoDataFrame, report: LoadReport, replace: bool, name: str, zoned: int = 0):
    """``table`` (from ``parcels_from_layer``, index = the source's labels) merged into the workspace's parcels by
    地块编号 (``replace``: instead of them) and validated; (workspace, counts). Raises ValidationError naming each
    bad feature by its label."""
    extras = [c for c in PARCEL_EXTRA_FIELDS if c in table.columns]
    columns = [c for c in ws.parcels.columns if c not in ("area_mu", "net_mu")]
    columns += [c for c in extras if c not in columns]
    base = ws.parcels.reindex(columns=columns).iloc[0:0] if replace else ws.parcels.reindex(columns=columns)
    table = table[~(table["parcel_id"].duplicated() & table["parcel_id"].notna())]   # repeats are reported already
    ids = table["parcel_id"]
    known = pd.Index(base.index.to_numpy(object))                 # object, not arrow: hashed membership
    updated = int(pd.Index(ids.to_numpy(object)).isin(known).sum())
    kept = base[~known.isin(ids.dropna().to_numpy(object))]
    fresh = table.reindex(columns=[c for c in columns if c != "geometry"] + ["geometry"])
    merged = pd.concat([kept.reset_index(drop=True), fresh.reset_index(drop=True)], ignore_index=True)
    merged = gpd.GeoDataFrame(merged, geometry="geometry", crs=ws.crs)
    # the merged layer's rows (from 1) → the file's FIDs, for the parcels from the file
    fid_of = dict(zip(range(len(kept) + 1, len(kept) + len(table) + 1), table.index))
    new = validated_by_row(report, "parcels", lambda: ws.with_layers(parcels=merged), {None: None, **fid_of})
    if report.errors:
        raise ValidationError(f"{name} 有 {len(report.errors)} 处错误，未导入", report)
    counts = {"parcels_added": len(table) - updated, "parcels_updated": updated, "parcels_kept": len(kept),
              "zoned_by_location": zoned}
    return new, counts


def shapefile_zip(frame: gpd.GeoDataFrame, stem: str, encoding: str = "GBK") -> bytes:
    """``frame`` as a zipped Shapefile (.shp .shx .dbf .prj .cpg) for other GIS: GBK by default, declared as code
    page 936 in the .cpg and in the DBF's language driver byte (0x4D), which ArcGIS 10.x and QGIS both read; field
    names must fit the DBF's 10 bytes in that encoding."""
    long = [c for c in frame.columns.drop(frame.geometry.name) if len(str(c).encode(encoding)) > DBF_NAME_BYTES]
    if long:
        raise ExportError(f"Shapefile 字段名超过 10 字节：{'、'.join(map(str, long))}")
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="landgap-shp-") as tmp:
        path = Path(tmp, f"{stem}.shp")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pyogrio.write_dataframe(frame, path, encoding=encoding)
        if encoding.upper() in ("GBK", "CP936", "936", "GB2312", "GB18030"):
            # code page 936 said twice, as ArcGIS writes it: the .cpg and the DBF's language driver byte 0x4D
            path.with_suffix(".cpg").write_text("936", encoding="ascii")
            dbf = path.with_suffix(".dbf")
            with open(dbf, "r+b") as f:
                f.seek(29)
                f.write(bytes([0x4D]))
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for part in sorted(Path(tmp).iterdir()):
                z.write(part, part.name)
    return buf.getvalue()
