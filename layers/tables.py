"""Tables with Chinese headers built from the engine's answers (pure; pages only display them).

Headers come from geo.vocab.FIELD_LABELS where a field is named there; reason/action words from briefing.labels
(which defers to the matching package), so each label lives in one place.
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from geo.vocab import FIELD_LABELS, GAP_ZONE_LABELS, PARCEL_STATUS_LABELS, PROJECT_STAGE_LABELS

F = FIELD_LABELS


def _labels():
    from briefing.labels import action_label, reason_label
    return reason_label, action_label


def available_tables(report: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-zone and per-block tables of an ``available_report`` answer (numbers unchanged, headers Chinese)."""
    zones = pd.DataFrame(report["zones"], columns=["zone_id", "name", "available_mu", "pipeline_mu",
                                                   "largest_block_mu", "vacant_factory_m2"])
    zones = zones.rename(columns={**F, "name": "园区"})
    blocks = pd.DataFrame(report["blocks"], columns=["block_id", "zone_id", "parcel_ids", "area_mu"])
    blocks["parcel_ids"] = blocks["parcel_ids"].map("、".join)
    return zones, blocks.rename(columns={**F, "area_mu": "连片面积（亩）"})


def parcels_table(ws, parcel_ids) -> pd.DataFrame:
    p = ws.parcels.loc[list(parcel_ids)]
    out = pd.DataFrame({F["parcel_id"]: p["parcel_id"], "园区": p["zone_id"].map(ws.zones["name"]),
                        F["status"]: p["status"].map(PARCEL_STATUS_LABELS), F["area_mu"]: p["area_mu"].round(1),
                        F["ready_date"]: p["ready_date"].dt.date, F["land_use"]: p["land_use"]})
    return out.reset_index(drop=True)


def projects_display(ws) -> pd.DataFrame:
    """The project list with Chinese headers and stage labels (read-only view)."""
    p = ws.projects.drop(columns=[c for c in ("geometry",) if c in ws.projects.columns]).copy()
    p["stage"] = p["stage"].map(lambda s: PROJECT_STAGE_LABELS.get(s, s))
    return p.rename(columns=F).reset_index(drop=True)


def zone_name(ws, zone_id) -> str:
    return ws.zones.at[zone_id, "name"] if zone_id in ws.zones.index else (zone_id or "")


def sites_frame(ws, rows: list[dict], wkt_key: str = "site_wkt") -> gpd.GeoDataFrame:
    """Rows with a WKT site (workspace CRS) → GeoDataFrame in the metric CRS (rows without a site dropped)."""
    rows = [r for r in rows if r.get(wkt_key)]
    if not rows:
        return gpd.GeoDataFrame({"geometry": []}, geometry="geometry", crs=ws.metric_crs)
    frame = pd.DataFrame(rows)
    geo = gpd.GeoDataFrame(frame.drop(columns=[wkt_key]), geometry=shapely.from_wkt(frame[wkt_key].tolist()),
                           crs=ws.crs)
    return geo.to_crs(ws.metric_crs) if geo.crs != ws.metric_crs else geo


def placed_table(ws, result: dict) -> pd.DataFrame:
    rows = []
    for p in result["placed"]:
        proj = ws.projects.loc[p["project_id"]] if p["project_id"] in ws.projects.index else {}
        rows.append({F["project_id"]: p["project_id"], "项目名称": p.get("name") or proj.get("name"),
                     F["industry"]: proj.get("industry"), "方式": "标准厂房" if p["kind"] == "factory" else "供地",
                     "园区": zone_name(ws, p["zone_id"]), "选址面积（亩）": p.get("site_mu"),
                     "所用地块": "、".join(p.get("parcel_ids") or []), F["factory_id"]: p.get("factory_id"),
                     "可用日期": p.get("ready_date")})
    return pd.DataFrame(rows)


def unplaced_table(ws, result: dict) -> pd.DataFrame:
    reason_label, _ = _labels()
    rows = []
    for u in result["unplaced"]:
        proj = ws.projects.loc[u["project_id"]] if u["project_id"] in ws.projects.index else {}
        rows.append({F["project_id"]: u["project_id"], "项目名称": u.get("name") or proj.get("name"),
                     F["industry"]: proj.get("industry"), "意向园区": zone_name(ws, proj.get("preferred_zone")),
                     "拟用地（亩）": u.get("need_mu"), F["floor_m2"]: u.get("floor_m2"),
                     "原因": reason_label(u["reason"]), "缺口（亩）": u.get("gap_mu"), "说明": u.get("detail")})
    return pd.DataFrame(rows)


def unlock_table(ws, result: dict) -> pd.DataFrame:
    _, action_label = _labels()
    rows = []
    for i, u in enumerate(result["unlocks"], 1):
        statuses = [ws.parcels.at[p, "status"] for p in u.get("parcel_ids") or [] if p in ws.parcels.index]
        rows.append({"序号": i, "措施": action_label(u["action"], statuses),
                     "地块/厂房": "、".join(u.get("parcel_ids") or []) or (u.get("factory_id") or ""),
                     "面积（亩）": u.get("area_mu"), "可安排项目": "、".join(u.get("places") or []),
                     "说明": u.get("detail", "")})
    return pd.DataFrame(rows)


def zone_gap_table(result: dict, with_total: bool = True) -> pd.DataFrame:
    """Per-zone gap summary (the engine's rows; its county row last, named 全县合计)."""
    rows = [dict(z, name="全县合计" if z.get("total") else z.get("name"), zone_id=z.get("zone_id") or "")
            for z in result["zones"] if with_total or not z.get("total")]
    frame = pd.DataFrame(rows).drop(columns=["total"], errors="ignore")
    return frame.rename(columns=GAP_ZONE_LABELS)


def gap_totals(result: dict) -> dict:
    """County totals of the match answer: pending demand, placed, unplaced (有项目、无选址) and its 亩.

    The engine's own county row (``zone_id`` None) is used when it gives one, so the app shows its numbers.
    """
    county = next((z for z in result.get("zones", []) if z.get("total") or z.get("zone_id") in (None, "", "*")),
                  None)
    unplaced = result["unplaced"]
    placed = result["placed"]
    totals = {
        "pending_count": len(placed) + len(unplaced),
        "pending_mu": sum(p.get("site_mu") or 0 for p in placed if p["kind"] == "land")
        + sum(u.get("need_mu") or 0 for u in unplaced),
        "placed_count": len(placed),
        "unplaced_count": len(unplaced),
        "unplaced_mu": sum(u.get("need_mu") or 0 for u in unplaced),
        "gap_mu": sum(u.get("gap_mu") or 0 for u in unplaced),
        "pending_yi": None,
    }
    if county:
        totals.update({k: county[k] for k in totals if county.get(k) is not None})
        totals["pending_yi"] = county.get("pending_yi")
    return totals


def compare_tables(diff: dict) -> dict[str, pd.DataFrame]:
    """The comparison of two scenarios as tables."""
    reason_label, _ = _labels()
    return {
        "新增安排": pd.DataFrame({F["project_id"]: diff["newly_placed"]}),
        "不再能安排": pd.DataFrame({F["project_id"]: diff["newly_unplaced"]}),
        "选址变化": pd.DataFrame([{F["project_id"]: m["project_id"], "原选址": " ".join(map(str, m["from"][1:2])),
                                  "新选址": " ".join(map(str, m["to"][1:2]))} for m in diff["moved"]]),
        "原因变化": pd.DataFrame([{F["project_id"]: r["project_id"], "原原因": reason_label(r["from"]),
                                  "新原因": reason_label(r["to"])} for r in diff["reason_changed"]]),
        "园区变化": pd.DataFrame(diff["zones"]).rename(columns=GAP_ZONE_LABELS),
    }


PROJECT_COLUMNS = ["project_id", "name", "industry", "investment_yi", "land_mu", "floor_m2", "preferred_zone",
                   "stage", "priority", "needed_by"]


def report_table(report, layer: str | None = None, row_base: int = 0) -> pd.DataFrame:
    """A LoadReport as a Chinese table: level, layer, row (``row_base`` added: 1 for on-screen rows), field, message."""
    from geo.report import LEVEL_LABELS
    rows = [{"级别": LEVEL_LABELS.get(i.level, i.level), "图层": i.layer,
             "行": None if i.row is None else (i.row + row_base if isinstance(i.row, (int,)) else i.row),
             "字段": F.get(i.field, i.field) if i.field else "", "说明": i.message}
            for i in report.issues if layer is None or i.layer == layer]
    return pd.DataFrame(rows, columns=["级别", "图层", "行", "字段", "说明"])


def project_editor_frame(ws) -> pd.DataFrame:
    """The project list for st.data_editor: canonical columns, stage shown as its Chinese label."""
    p = ws.projects.reindex(columns=PROJECT_COLUMNS).reset_index(drop=True).copy()
    p["stage"] = p["stage"].map(lambda s: PROJECT_STAGE_LABELS.get(s, s))
    p["needed_by"] = pd.to_datetime(p["needed_by"]).dt.date
    return p


def editor_to_projects(ws, edited: pd.DataFrame) -> pd.DataFrame:
    """Back from the editor: keep extra columns of existing projects (e.g. remark) matched by project id."""
    edited = edited.copy().reset_index(drop=True)
    extra = [c for c in ws.projects.columns if c not in PROJECT_COLUMNS]
    if extra:
        base = ws.projects[["project_id", *extra]].reset_index(drop=True)
        edited = edited.merge(base, on="project_id", how="left")
    return edited
