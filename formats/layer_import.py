"""One import for every layer (parcels, zones, factories, and the constraint layers farmland, eco_redline,
dev_boundary, flood) from any file ``vector.read_source`` reads.

The steps, each reporting by the feature's label in the source (FID, 坐标文件 line, CAD handle): CRS (``--crs``
when the file has none usable; candidates named), datum (GCJ-02 converted once; Xian 1980 / Beijing 1954 warned or
7 parameters), geometry (Z dropped, polygon parts of collections kept, invalid repaired, others rejected), fields
(recognised names, ``--default FIELD=VALUE``), then the workspace's own validation. Every input feature ends
imported, repaired or rejected — the counts add up; nothing is applied on an error unless ``allow_partial``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from formats import CRSMissingError, FormatError
from formats.datum import DATUMS, missing_crs, to_target, transform_geoms, usable_crs
from formats.source import SourceLayer
from formats.vector import read_source
from geo.errors import CRS_INVALID, DATUM_INVALID, DEFAULT_INVALID, TARGET_INVALID, ValidationError
from geo.gcj02 import gcj02_to_wgs84
from geo.geometry_checks import coordinate_problems, limit_vertices, projection_problems
from geo.report import LoadReport
from geo.schema import CONSTRAINT_LAYERS, LAYERS
from geo.workspace import Workspace

TARGETS = ("parcels", "zones", "factories", *CONSTRAINT_LAYERS)


@dataclass
class ImportResult:
    into: str
    source: SourceLayer
    workspace: object                       # the new Workspace (core layers) or the old one (constraint layers)
    table: gpd.GeoDataFrame                 # what the layer becomes (constraint layers: what is written)
    counts: dict
    report: LoadReport
    outcome: dict = field(default_factory=dict)    # label → ("imported" | "repaired" | "rejected", detail)

    @property
    def tally(self) -> dict[str, int]:
        kinds = [k for k, _ in self.outcome.values()]
        return {"input": self.source.input_count, **{k: kinds.count(k) for k in ("imported", "repaired", "rejected")}}

    def to_dict(self) -> dict:
        return {"into": self.into, "source": self.source.name, "format": self.source.kind,
                **{f"{k}_count": v for k, v in self.tally.items()},
                "counts": self.counts,
                "features": [{"feature": str(k), "result": r, "detail": d} for k, (r, d) in self.outcome.items()],
                **self.report.to_dict()}


def parse_defaults(items: list[str] | None, into: str) -> dict[str, str]:
    schema = LAYERS.get(into) or CONSTRAINT_LAYERS[into]
    known = [f.name for f in schema.fields]
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise FormatError(f"缺省字段应写作 字段=取值（如 status=available），实际为“{item}”", code=DEFAULT_INVALID)
        if into not in CONSTRAINT_LAYERS and key.strip() not in known:
            raise FormatError(f"缺省字段“{key}”不是图层 {into} 的字段（可用：{'、'.join(known)}）",
                              code=DEFAULT_INVALID)
        out[key.strip()] = value.strip()
    return out


def _crs_step(src: SourceLayer, crs, ws: Workspace, layer: str, report: LoadReport) -> gpd.GeoDataFrame:
    frame = src.frame
    if crs is not None and src.kind != "坐标文件":
        given = CRS.from_user_input(crs)
        own = usable_crs(frame.crs)
        if own is not None and not own.equals(given):
            report.info(layer, "CRS_OVERRIDDEN",
                        f"{src.name} 自带坐标系 {own.name}，按指定的坐标系改为 {given.name}")
        return frame.set_crs(given, allow_override=True)
    if usable_crs(frame.crs) is None:
        why = "没有坐标系（缺少 .prj、.prj 为空，或格式本身不带坐标系）" if frame.crs is None \
            else f"坐标系“{CRS.from_user_input(frame.crs).name}”是局部/未知坐标系（如 CAD 转换的 LOCAL_CS）"
        if src.kind == "DXF":
            why = "DXF 不带坐标系"
        bounds = shapely.bounds(np.asarray(frame.geometry.values))      # the typical feature's, not outliers'
        typical = np.nanmedian(bounds, axis=0) if len(frame) and np.isfinite(bounds).any() else [np.nan] * 4
        raise missing_crs(src.name, typical, ws.center[0], why)
    return frame


def _datum_step(frame, src: SourceLayer, datum: str | None, layer: str, report: LoadReport):
    crs = CRS.from_user_input(frame.crs)
    if datum and datum not in DATUMS:
        raise FormatError(f"经纬度基准应为 {'、'.join(DATUMS)} 之一，实际为“{datum}”", code=DATUM_INVALID)
    if not crs.is_geographic:
        if datum == "gcj02":
            raise FormatError(f"{src.name} 是投影坐标（{crs.name}），不可能是 GCJ-02 经纬度：经纬度基准不要选 GCJ-02",
                              code=DATUM_INVALID)
        return frame
    chosen = datum or src.lonlat_datum_default or "cgcs2000"
    if chosen == "gcj02":
        if not datum:
            report.info(layer, "GCJ02_DEFAULT", f"{src.name}：奥维/KML 经纬度默认按 GCJ-02"
                        "（火星坐标，奥维 9.3 起导出即如此）"
                        "读取并纠偏到 WGS-84/CGCS2000；如文件为 WGS-84，请将经纬度基准指定为 WGS-84")
        else:
            report.info(layer, "GCJ02", f"{src.name}：按 GCJ-02 基准将经纬度纠偏到 WGS-84/CGCS2000（只转换一次）")
        geoms = transform_geoms(frame.geometry.values, gcj02_to_wgs84)
        return gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name), geometry=geoms, crs=4326, index=frame.index)
    return frame


def _geometry_step(frame, layer: str, outcome: dict, report: LoadReport, margin: float | None) -> gpd.GeoDataFrame:
    """The geometry gate first (``geo.geometry_checks``: NaN/inf or absurd coordinates, rings of too few points
    rejected, before any GEOS operation); Z dropped; polygonal parts of collections kept (repaired); invalid
    polygons made valid (repaired); empty and non-polygonal features rejected."""
    geoms = np.array(frame.geometry.values, dtype=object)
    gated = np.zeros(len(geoms), dtype=bool)
    for k, reason in coordinate_problems(geoms, frame.crs, margin).items():
        outcome[frame.index[k]] = ("rejected", reason)
        gated[k] = True
    geoms[gated] = None
    if shapely.has_z(geoms[~shapely.is_missing(geoms)]).any():
        geoms = shapely.force_2d(geoms)
        report.info(layer, "Z_DROPPED", "含高程（Z）坐标，已去掉 Z 值按平面读取")
    types = shapely.get_type_id(geoms)
    collection = types == 7
    for k in np.flatnonzero(collection):                 # KML MultiGeometry: few
        parts = [p for p in shapely.get_parts(geoms[k]) if shapely.get_type_id(p) in (3, 6)]
        if parts:
            others = len(shapely.get_parts(geoms[k])) - len(parts)
            geoms[k] = shapely.union_all(parts) if len(parts) > 1 else parts[0]
            outcome[frame.index[k]] = ("repaired", f"几何集合（MultiGeometry）取其中 {len(parts)} 个面"
                                       + (f"，舍去 {others} 个点/线" if others else ""))
    types = shapely.get_type_id(geoms)
    empty = (shapely.is_missing(geoms) | shapely.is_empty(geoms)) & ~gated
    bad = ~empty & ~gated & ~np.isin(types, (3, 6))
    kind = {0: "点", 1: "线", 2: "闭合线", 4: "多点", 5: "多线", 7: "几何集合"}
    for label in frame.index[empty]:
        outcome[label] = ("rejected", "几何为空")
    for label, t in zip(frame.index[bad], types[bad]):
        outcome[label] = ("rejected", f"几何是{kind.get(int(t), '非面')}而不是面")
    keep = ~empty & ~bad & ~gated
    invalid = keep & ~shapely.is_valid(np.where(keep, geoms, None))
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        fixed = shapely.make_valid(geoms[invalid])
        fixed = np.array([g if shapely.get_type_id(g) in (3, 6) else
                          shapely.union_all([p for p in shapely.get_parts(g) if shapely.get_type_id(p) in (3, 6)])
                          for g in fixed], dtype=object)
        for label, reason, a0, a1 in zip(frame.index[invalid], reasons, shapely.area(geoms[invalid]),
                                         shapely.area(fixed)):
            outcome[label] = ("repaired", f"几何无效（{reason}），已修复（make_valid）")
        geoms[invalid] = fixed
    out = gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name), geometry=geoms, crs=frame.crs, index=frame.index)
    return out[keep]


def import_layer(ws: Workspace, into: str, source, *, name: str | None = None, layer_name: str | None = None, crs=None,
                 encoding: str | None = None, datum: str | None = None, defaults: list[str] | dict | None = None,
                 replace: bool = False, allow_partial: bool = False,
                 seven_parameters: Mapping[str, Mapping] | None = None, limits=None) -> ImportResult:
    """Read ``source`` and build what layer ``into`` becomes. Raises FormatError (LayerFileError) when the file
    cannot be used at all, ValidationError (``.report``; ``.result`` the ImportResult) when features are bad and
    ``allow_partial`` is off — nothing is applied then. ``seven_parameters``: the bureau's Xian 1980 / Beijing 1954
    → CGCS2000 transformations (``Settings.layer_import.seven_parameters``, config ``[import]``); None = none, so
    such a file gets PROJ's ballpark and a warning. ``limits``: the vertex limit and the survey tolerance
    (``Settings.layer_import``: ``max_vertices``, ``simplify_tolerance_m``); None = no limit. The other checks of
    the geometry gate (``geo.geometry_checks``) always run, with the workspace's ``coordinate_margin_deg``."""
    if into not in TARGETS:
        raise FormatError(f"导入目标应为 {'、'.join(TARGETS)} 之一，实际为“{into}”", code=TARGET_INVALID)
    defaults = defaults if isinstance(defaults, dict) else parse_defaults(defaults, into)
    if crs is not None:
        try:
            crs = CRS.from_user_input(crs)
        except Exception:
            raise FormatError(f"坐标系“{crs}”无效：请写 EPSG 编号，如 4544 或 EPSG:4544",
                              code=CRS_INVALID) from None
        if usable_crs(crs) is None:
            raise FormatError(f"坐标系“{crs.name}”不可换算（局部坐标系不行）：请写 EPSG 编号，如 4544",
                              code=CRS_INVALID)
    try:
        src = read_source(source, name, layer_name, encoding, crs)
    except CRSMissingError as exc:
        if not getattr(exc, "plain_gk", False):
            raise
        raise missing_crs(str(exc).split("：")[0], (5e5, 3e6, 5e5, 3e6), ws.center[0],
                          "Y 坐标不带带号，文件头也没有“带号”") from None
    report = LoadReport(source=src.name)
    for note in src.notes:
        report.info(into, "SOURCE_NOTE", note)
    outcome: dict = {label: ("rejected", reason) for label, reason in src.rejected.items()}
    if src.input_count == 0:
        raise FormatError(f"{src.name} 中没有要素（空图层）")
    frame = _crs_step(src, crs, ws, into, report)
    frame = _datum_step(frame, src, datum, into, report)
    margin = ws.validation.coordinate_margin_deg if ws.validation is not None else None
    frame = _geometry_step(frame, into, outcome, report, margin)
    _none_left(frame, src, outcome)
    from geo.crs import describe
    if not CRS.from_user_input(frame.crs).equals(ws.crs):
        report.info(into, "REPROJECTED", f"{src.name} 的坐标系 {describe(CRS.from_user_input(frame.crs))} 已转换为"
                    f"工作空间的 {describe(ws.crs)}")
    geoms, issues = to_target(frame.geometry.values, CRS.from_user_input(frame.crs), ws.crs, ws.center,
                              seven_parameters)
    for level, message in issues:
        report.add(level, into, "DATUM", message)
    frame = gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name), geometry=geoms, crs=ws.crs, index=frame.index)
    frame = _projected_step(frame, into, outcome, report, margin, limits)
    _none_left(frame, src, outcome)
    from formats.merge import merged_layer
    # a feature rejected before the merge (no polygon, a 点/线 parcel, an open polyline) is an error like any
    # other: it stops the import unless --allow-partial, which imports the rest with a warning for each
    rejected = [(label, reason) for label, (kind, reason) in outcome.items() if kind == "rejected"]
    for label, reason in rejected:
        report.add("warning" if allow_partial else "error", into, "REJECTED",
                   (f"已跳过（跳过有错误的要素）：{reason}" if allow_partial else reason), row=label, field="geometry")
    while True:
        attempt = LoadReport(source=report.source, issues=list(report.issues))
        try:
            new, table, counts = merged_layer(ws, into, src, frame.copy(), defaults, replace, attempt)
            if attempt.errors:
                raise ValidationError(f"{src.name} 有 {len(attempt.errors)} 处错误，未导入", attempt)
            break
        except ValidationError as exc:
            if exc.report is not attempt:            # the merge's own report: add the rejections made before it
                known = {(i.row, i.code) for i in exc.report.issues}
                exc.report.issues[:0] = [i for i in report.issues if i.level == "error"
                                         and (i.row, i.code) not in known]
            bad = {i.row for i in exc.report.errors if i.row is not None and i.row in frame.index}
            if not allow_partial or not bad or any(i.row is None for i in exc.report.errors):
                for label in bad:
                    outcome[label] = ("rejected", "；".join(i.message for i in exc.report.errors if i.row == label))
                exc.args = (f"{src.name} 有 {len(exc.report.errors)} 处错误，未导入",)
                result = ImportResult(into, src, ws, frame, {}, exc.report, _complete(outcome, frame.index))
                exc.result = result
                raise
            for label in bad:
                outcome[label] = ("rejected", "；".join(i.message for i in exc.report.errors if i.row == label))
                report.warning(into, "REJECTED", f"已跳过（跳过有错误的要素）：{outcome[label][1]}", row=label)
            frame = frame.drop(index=list(bad))
    return ImportResult(into, src, new, table, counts, attempt, _complete(outcome, frame.index))


def _projected_step(frame, layer: str, outcome: dict, report: LoadReport, margin: float | None,
                    limits) -> gpd.GeoDataFrame:
    """The geometry gate in the workspace's CRS: features that could not be projected rejected; more than
    ``limits.max_vertices`` vertices simplified within ``limits.simplify_tolerance_m`` (repaired, noted) or
    rejected."""
    geoms = np.array(frame.geometry.values, dtype=object)
    refused = projection_problems(geoms, frame.crs, margin)
    if limits is not None:
        geoms, simplified, too_many = limit_vertices(geoms, frame.crs, limits.max_vertices,
                                                     limits.simplify_tolerance_m)
        for k, note in simplified.items():
            label = frame.index[k]
            before = outcome.get(label, ("", ""))[1]
            outcome[label] = ("repaired", f"{before}；{note}" if before else note)
            report.info(layer, "SIMPLIFIED", note, row=label, field="geometry")
        refused = {**too_many, **refused}
    for k, reason in refused.items():
        outcome[frame.index[k]] = ("rejected", reason)
    out = gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name), geometry=geoms, crs=frame.crs, index=frame.index)
    return out[~np.isin(np.arange(len(out)), list(refused))]


def _none_left(frame, src: SourceLayer, outcome: dict) -> None:
    if frame.empty:
        raise FormatError(f"{src.name} 的 {src.input_count} 个要素中没有可用的面：" +
                          "；".join(f"{src.row_label} {k}：{d}" for k, (_, d) in list(outcome.items())[:5]))


def _complete(outcome: dict, imported) -> dict:
    for label in imported:
        outcome.setdefault(label, ("imported", ""))
    return outcome
