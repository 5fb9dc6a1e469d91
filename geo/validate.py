"""Checks run on every load: coerce each layer to its schema and report, never drop, what is wrong.

Each check takes a frame indexed by the row number people see (the file's fid) and adds issues to the report, each
with its row; the message says what is wrong, and ``build_workspace`` names the feature (地块编号 B1（fid 1）).
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.geometry_checks import coordinate_problems
from geo.parse import parse_date, parsed_cells
from geo.report import LoadReport
from geo.schema import Field, LayerSchema
from geo.validate_stock import flag_cells
from geo.vocab import (
    FACTORY_STATUS_ALIASES,
    FACTORY_STATUS_LABELS,
    FIELD_LABELS,
    INDUSTRIES,
    PARCEL_STATUS_LABELS,
    PIPELINE_STATUSES,
    PROJECT_STAGE_LABELS,
    STAGE_ALIASES,
    STATUS_ALIASES,
)

_ALIASES = {("parcels", "status"): STATUS_ALIASES, ("projects", "stage"): STAGE_ALIASES,
            ("factories", "status"): FACTORY_STATUS_ALIASES}
_FLAGS = {("parcels", "gov_delay")}          # 0/1 fields that accept 是/否, Y/N (geo.vocab.FLAG_ALIASES)
_LABELS = {("parcels", "status"): PARCEL_STATUS_LABELS, ("projects", "stage"): PROJECT_STAGE_LABELS,
           ("factories", "status"): FACTORY_STATUS_LABELS}


def _allowed_text(layer: str, f: Field) -> str:
    labels = _LABELS.get((layer, f.name), {})
    return "、".join(f"{v}（{labels[v]}）" if v in labels else v for v in f.allowed or ())


def _text(series: pd.Series) -> pd.Series:
    out = series.astype(object).where(series.notna(), None)
    return out.map(lambda v: None if v is None else (str(v).strip() or None))


def coerce_layer(df: pd.DataFrame, schema: LayerSchema, report: LoadReport) -> pd.DataFrame | None:
    """Check fields and types; return the coerced frame, or None when a required field is missing."""
    layer = schema.name
    missing = [f.name for f in schema.fields if f.required and f.name not in df.columns]
    if missing:
        report.error(layer, "MISSING_FIELD",
                     f"缺少必填字段 {', '.join(missing)}"
                     f"（现有字段：{', '.join(map(str, df.columns.drop('geometry', errors='ignore')))}）",
                     field=",".join(missing))
        return None
    df = df.copy()
    for f in schema.fields:
        if f.name not in df.columns:
            df[f.name] = None
        col = df[f.name]
        if f.kind == "text":
            df[f.name] = _text(col)
        elif f.kind in ("real", "integer"):
            if (layer, f.name) in _FLAGS:
                col = flag_cells(col)
            num = pd.to_numeric(col, errors="coerce")
            bad = num.isna() & col.notna() & (_text(col).notna())
            label = FIELD_LABELS.get(f.name, f.name)
            for row in df.index[bad]:
                report.error(layer, "BAD_NUMBER", f"{label}的取值“{col[row]}”不是数值", row=row, field=f.name)
            if f.nonnegative:
                for row in df.index[num < 0]:
                    report.error(layer, "NEGATIVE_VALUE", f"{label}不能为负数（现为 {num[row]:g}）", row=row,
                                 field=f.name)
            df[f.name] = num.astype("Int64") if f.kind == "integer" and not bad.any() \
                and (num.dropna() % 1 == 0).all() else num.astype(float)
        elif f.kind == "date":
            df[f.name] = _coerce_dates(col, layer, f.name, report)
        if f.required:
            for row in df.index[df[f.name].isna()]:
                report.error(layer, "MISSING_VALUE", f"必填字段 {f.name} 为空", row=row, field=f.name)
        if f.allowed:
            aliases = _ALIASES.get((layer, f.name), {})
            df[f.name] = df[f.name].map(lambda v: aliases.get(v, v) if v is not None else None)
            bad = df[f.name].notna() & ~df[f.name].isin(f.allowed)
            for row in df.index[bad]:
                report.error(layer, "UNKNOWN_VALUE",
                             f"{f.name} 的取值“{df.at[row, f.name]}”无法识别，允许的取值：{_allowed_text(layer, f)}",
                             row=row, field=f.name)
        if f.unique:
            ids = df[f.name]
            dup = ids[ids.duplicated(keep=False) & ids.notna()]
            if len(dup):
                names = sorted(set(dup))
                report.error(layer, "DUPLICATE_ID",
                             f"{f.name} 重复：{', '.join(names[:20])}{' 等' if len(names) > 20 else ''}"
                             f"（涉及第 {', '.join(map(str, dup.index[:20]))} 条）", field=f.name)
    return df


def _coerce_dates(col: pd.Series, layer: str, field: str, report: LoadReport) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(col):
        return col.dt.tz_localize(None).dt.normalize() if getattr(col.dt, "tz", None) else col.dt.normalize()
    return pd.to_datetime(parsed_cells(col.rename(field), parse_date, report, layer, "BAD_DATE"))


def repair_geometry(gdf: gpd.GeoDataFrame, layer: str, report: LoadReport,
                    margin_deg: float | None = None) -> gpd.GeoDataFrame:
    """The geometry gate first (``geo.geometry_checks``: NaN/inf coordinates, coordinates further than
    ``margin_deg`` outside the CRS's area of use, rings of too few points — an error each, the geometry set empty
    so that no later step meets it); then null/empty/non-polygon geometry is an error; invalid polygons are
    repaired with make_valid and reported."""
    geoms = np.array(gdf.geometry.values, dtype=object)
    gated = np.zeros(len(geoms), dtype=bool)
    for k, reason in coordinate_problems(geoms, gdf.crs, margin_deg).items():
        report.error(layer, "BAD_COORDINATES", f"{reason}：请在 GIS 中修正或删除该要素后重新导入",
                     row=gdf.index[k], field="geometry")
        gated[k] = True
    if gated.any():
        geoms[gated] = shapely.Polygon()
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    empty = (shapely.is_missing(geoms) | shapely.is_empty(geoms)) & ~gated
    for row in gdf.index[empty]:
        report.error(layer, "EMPTY_GEOMETRY", "几何为空", row=row, field="geometry")
    type_ids = shapely.get_type_id(geoms)
    polygonal = np.isin(type_ids, (3, 6))  # Polygon, MultiPolygon
    for row in gdf.index[~empty & ~polygonal]:
        report.error(layer, "NOT_POLYGON", f"几何类型为 {shapely.get_type_id(gdf.geometry[row])} 而非面", row=row,
                     field="geometry")
    invalid = ~empty & polygonal & ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        fixed = shapely.make_valid(geoms[invalid])
        fixed = np.array([_polygonal_part(g) for g in fixed], dtype=object)
        before = shapely.area(geoms[invalid])
        for row, reason, a0, a1 in zip(gdf.index[invalid], reasons, before, shapely.area(fixed)):
            report.warning(layer, "REPAIRED_GEOMETRY", f"几何无效（{reason}），已自动修复（make_valid），"
                           f"修复前后平面面积 {a0:.1f} → {a1:.1f} m²", row=row, field="geometry")
        geoms = geoms.copy()
        geoms[invalid] = fixed
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    return gdf


def _polygonal_part(geom):
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def check_parcels(parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None, report: LoadReport, *,
                  area_tolerance: float, outside_fraction: float) -> None:
    """Ready dates, registered area (off by more than ``area_tolerance``, a share), unknown zone, parcel mostly
    outside its zone (more than ``outside_fraction``); thresholds from ``Settings.validation``."""
    needs_date = parcels["status"].isin(PIPELINE_STATUSES) & parcels["ready_date"].isna()
    for row in parcels.index[needs_date]:
        report.error("parcels", "MISSING_READY_DATE",
                     f"状态为{PARCEL_STATUS_LABELS[parcels.at[row, 'status']]}，"
                     "必须填写可供日期 ready_date", row=row, field="ready_date")
    tol = area_tolerance
    reg = parcels["registered_mu"]
    off = reg.notna() & ((reg - parcels["area_mu"]).abs() > tol * parcels["area_mu"])
    for row in parcels.index[off]:
        report.warning("parcels", "AREA_MISMATCH",
                       f"台账面积 {reg[row]:.1f} 亩与图形计算面积 "
                       f"{parcels.at[row, 'area_mu']:.1f} 亩相差超过 {tol:.0%}", row=row, field="registered_mu")
    if zones is None:
        return
    known = parcels["zone_id"].isin(zones["zone_id"])
    for row in parcels.index[~known & parcels["zone_id"].notna()]:
        report.warning("parcels", "UNKNOWN_ZONE",
                       f"所属园区编号 {parcels.at[row, 'zone_id']} 不存在", row=row,
                       field="zone_id")
    if not known.any():
        return
    sub = parcels[known]
    zone_geom = zones.set_index("zone_id").geometry
    zg = np.asarray(zone_geom.reindex(sub["zone_id"]).values)
    shapely.prepare(zg)
    pg = np.asarray(sub.geometry.values)
    inside = shapely.within(pg, zg)
    share_out = np.zeros(len(sub))
    if (~inside).any():
        idx = ~inside
        area = shapely.area(pg[idx])
        share_out[idx] = np.where(area > 0, 1 - shapely.area(shapely.intersection(pg[idx], zg[idx]))
                                  / np.where(area > 0, area, 1), 0)      # an emptied (refused) geometry: no share
    limit = outside_fraction
    for row, share in zip(sub.index[share_out > limit], share_out[share_out > limit]):
        report.warning("parcels", "OUTSIDE_ZONE",
                       f"有 {share:.0%} 位于所属园区 {parcels.at[row, 'zone_id']} "
                       "边界之外", row=row, field="zone_id")


def check_factories(factories: pd.DataFrame, zone_ids: pd.Series, report: LoadReport) -> None:
    needs_date = factories["status"].isin(("building", "planned")) & factories["ready_date"].isna()
    for row in factories.index[needs_date]:
        report.error("factories", "MISSING_READY_DATE", "在建或规划，"
                     "必须填写可入驻日期 ready_date", row=row, field="ready_date")
    bad = factories["vacant_m2"] > factories["floor_area_m2"]
    for row in factories.index[bad]:
        report.error("factories", "VACANT_EXCEEDS_FLOOR", "空置面积 "
                     f"{factories.at[row, 'vacant_m2']:.0f} m² 大于建筑面积 "
                     f"{factories.at[row, 'floor_area_m2']:.0f} m²",
                     row=row, field="vacant_m2")
    for row in factories.index[~factories["zone_id"].isin(zone_ids) & factories["zone_id"].notna()]:
        report.warning("factories", "UNKNOWN_ZONE", "所属园区编号 "
                       f"{factories.at[row, 'zone_id']} 不存在", row=row, field="zone_id")


def check_projects(projects: pd.DataFrame, zone_ids: pd.Series, report: LoadReport) -> None:
    neither = projects["land_mu"].isna() & projects["floor_m2"].isna()
    for row in projects.index[neither]:
        report.error("projects", "NO_NEED", "既没有拟用地（land_mu）也没有"
                     "厂房需求（floor_m2）", row=row, field="land_mu")
    for col in ("land_mu", "floor_m2", "investment_yi", "priority"):
        for row in projects.index[projects[col] <= 0 if col != "investment_yi" else projects[col] < 0]:
            report.error("projects", "NON_POSITIVE_VALUE", f"{col} 必须为正数（现为 {projects.at[row, col]}）", row=row,
                         field=col)
    unknown = projects["preferred_zone"].notna() & ~projects["preferred_zone"].isin(zone_ids)
    for row in projects.index[unknown]:
        report.warning("projects", "UNKNOWN_ZONE", "意向园区 "
                       f"{projects.at[row, 'preferred_zone']} 不存在", row=row, field="preferred_zone")
    check_project_dates(projects, report)
    odd = projects["industry"].notna() & ~projects["industry"].isin(INDUSTRIES)
    for row in projects.index[odd]:
        report.info("projects", "OTHER_INDUSTRY", f"产业“{projects.at[row, 'industry']}”不在"
                    f"{'、'.join(INDUSTRIES)}之列，仅匹配不限产业或明确准入该产业的园区", row=row, field="industry")


def check_project_dates(projects: pd.DataFrame, report: LoadReport) -> None:
    """Stage and dates agree: a start before the signing (or production before the start) is an error; once the
    list tracks dates at all (any 签约日期 or 实际开工日期), a started project without its start date and a dated
    start on a project not marked started are warnings."""
    signed, started, produced = (pd.to_datetime(projects[c]) for c in ("signed_date", "started_date",
                                                                       "production_date"))
    labels = FIELD_LABELS
    for row in projects.index[started < signed]:
        report.error("projects", "START_BEFORE_SIGNING",
                     f"{labels['started_date']} {started[row].date()} 早于{labels['signed_date']} "
                     f"{signed[row].date()}", row=row, field="started_date")
    for row in projects.index[produced < started]:
        report.error("projects", "PRODUCTION_BEFORE_START",
                     f"{labels['production_date']} {produced[row].date()} 早于{labels['started_date']} "
                     f"{started[row].date()}", row=row, field="production_date")
    if not (signed.notna().any() or started.notna().any()):
        return
    stage = projects["stage"]
    for row in projects.index[(stage == "started") & started.isna()]:
        report.warning("projects", "STARTED_WITHOUT_DATE",
                       f"阶段为{PROJECT_STAGE_LABELS['started']}，但未填{labels['started_date']}", row=row,
                       field="started_date")
    for row in projects.index[stage.isin(("negotiating", "signed")) & started.notna()]:
        report.warning("projects", "DATE_STAGE_MISMATCH",
                       f"已填{labels['started_date']} {started[row].date()}，但阶段为"
                       f"{PROJECT_STAGE_LABELS.get(stage[row], stage[row])}", row=row, field="stage")


def check_zones(zones: gpd.GeoDataFrame, report: LoadReport) -> None:
    for row, text in zones["industries"].items():
        for name in split_industries(text):
            if name not in INDUSTRIES:
                report.info("zones", "OTHER_INDUSTRY", f"准入产业“{name}”不在{'、'.join(INDUSTRIES)}之列", row=row,
                            field="industries")


def split_industries(text) -> list[str]:
    """'纺织鞋服;健康食品' → ['纺织鞋服', '健康食品'] (also accepts ；,，、 separators); empty → [] = any industry."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    for sep in ("；", ",", "，", "、"):
        text = str(text).replace(sep, ";")
    return [t.strip() for t in str(text).split(";") if t.strip()]
