"""Tables with Chinese headers built from the engine's answers (pure; pages only display them).

Headers come from geo.vocab.FIELD_LABELS where a field is named there; reason/action words from briefing.labels
(which defers to the matching package), so each label lives in one place.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import shapely

from geo.vocab import (
    COMPARE_TABLE_LABELS,
    FIELD_LABELS,
    GAP_ZONE_LABELS,
    PLACEMENT_KIND_LABELS,
    PLAN_LABELS,
    PROJECT_STAGE_LABELS,
    REPORT_TABLE_LABELS,
)
from geo.workspace import Workspace
from matching.model import MatchResult, Unlock, iso, r1

if TYPE_CHECKING:
    from geo.supply import AvailableReport
    from matching.scenario import ScenarioComparison

F = FIELD_LABELS


def _labels():
    from briefing.labels import action_label, reason_label
    return reason_label, action_label


def available_tables(report: AvailableReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-zone and per-block tables of an ``available_report`` answer (numbers unchanged, headers Chinese)."""
    return zone_table(report), block_table(report)


def zone_table(report: AvailableReport) -> pd.DataFrame:
    """The per-zone table of an ``available_report`` answer, headers Chinese."""
    zones = pd.DataFrame([z.to_dict() for z in report.zones], columns=["zone_id", "name", "available_mu", "pipeline_mu",
                                                   "largest_block_mu", "vacant_factory_m2"])
    return zones.rename(columns={**F, "name": F["zone_name"]})


def block_table(report: AvailableReport) -> pd.DataFrame:
    """The per-block table (连片地块) of an ``available_report`` answer, headers Chinese."""
    blocks = pd.DataFrame([b.to_dict() for b in report.blocks],
                          columns=["block_id", "zone_id", "parcel_ids", "area_mu"])
    blocks["parcel_ids"] = blocks["parcel_ids"].map("、".join)
    return blocks.rename(columns={**F, "area_mu": F["block_area_mu"]})


def county_table(report: AvailableReport, zones: pd.DataFrame) -> pd.DataFrame:
    """Per-county table of an ``available_report`` answer (``geo.county.county_rows``; empty without county
    codes), headers Chinese."""
    from geo.county import county_rows
    rows = county_rows([z.to_dict() for z in report.zones], zones)
    frame = pd.DataFrame(rows, columns=["county_code", "zone_count", "available_mu", "pipeline_mu",
                                        "largest_block_mu", "vacant_factory_m2"])
    return frame.rename(columns=F)


def styled(frame: pd.DataFrame):
    """A table for display: no index, 亩 to 0.1 and m² to 1 with thousands separators."""
    return frame.style.hide(axis="index").format({c: "{:,.1f}" for c in frame.columns if "亩" in c}
                                                 | {c: "{:,.0f}" for c in frame.columns if "m²" in c})


TABLE_CSS = ("<style>table.landgap-table{border-collapse:collapse;font-size:14px;width:100%}"
             ".landgap-table th,.landgap-table td{border-bottom:1px solid rgba(49,51,63,.1);padding:4px 8px;"
             "text-align:right;white-space:nowrap}.landgap-table th{font-weight:600}"
             ".landgap-table td:nth-child(-n+2),.landgap-table th:nth-child(-n+2){text-align:left}</style>")


def html_table(frame: pd.DataFrame) -> str:
    """The table as one HTML text (st.html): st.table renders every cell as Markdown, ~0.3 s for 100 parks on
    the browser thread that also draws the map; names escaped."""
    import html
    text = {c: frame[c].map(lambda v: "—" if v is None or v != v else html.escape(str(v)))
            for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])}
    table = styled(frame.assign(**text)).format_index(escape="html", axis=1)
    return TABLE_CSS + table.set_uuid("landgap").set_table_attributes('class="landgap-table"').to_html()


def zone_name(ws: Workspace, zone_id) -> str:
    return ws.zones.at[zone_id, "name"] if zone_id in ws.zones.index else (zone_id or "")


def sites_frame(ws: Workspace, rows: list[dict], wkt_key: str = "site_wkt") -> gpd.GeoDataFrame:
    """Rows with a WKT site (workspace CRS) → GeoDataFrame in the metric CRS (rows without a site dropped)."""
    rows = [r for r in rows if r.get(wkt_key)]
    if not rows:
        return gpd.GeoDataFrame({"geometry": []}, geometry="geometry", crs=ws.metric_crs)
    frame = pd.DataFrame(rows)
    geo = gpd.GeoDataFrame(frame.drop(columns=[wkt_key]), geometry=shapely.from_wkt(frame[wkt_key].tolist()),
                           crs=ws.crs)
    return geo.to_crs(ws.metric_crs) if geo.crs != ws.metric_crs else geo


def placed_table(ws: Workspace, result: MatchResult) -> pd.DataFrame:
    """The placed projects (已安排项目) of a match."""
    rows = []
    for p in result.placed:
        proj = ws.projects.loc[p.project_id] if p.project_id in ws.projects.index else {}
        rows.append({F["project_id"]: p.project_id, F["project_name"]: p.name or proj.get("name"),
                     F["industry"]: proj.get("industry"),
                     F["placement_kind"]: PLACEMENT_KIND_LABELS.get(p.kind, p.kind),
                     F["zone_name"]: zone_name(ws, p.zone_id), F["site_mu"]: r1(p.site_mu),
                     F["site_parcels"]: "、".join(p.parcel_ids or []), F["factory_id"]: p.factory_id,
                     F["site_ready_date"]: iso(p.ready_date)})
    return pd.DataFrame(rows)


def unplaced_table(ws: Workspace, result: MatchResult) -> pd.DataFrame:
    """有项目、无选址: each unplaced project, its need, the reason and its shortfall (缺口) — two different 亩."""
    reason_label, _ = _labels()
    rows = []
    for u in result.unplaced:
        proj = ws.projects.loc[u.project_id] if u.project_id in ws.projects.index else {}
        rows.append({F["project_id"]: u.project_id, F["project_name"]: u.name or proj.get("name"),
                     F["industry"]: proj.get("industry"),
                     F["preferred_zone"]: zone_name(ws, proj.get("preferred_zone")),
                     F["land_mu"]: r1(u.need_mu), F["floor_m2"]: u.floor_m2,
                     F["reason"]: reason_label(u.reason),
                     F["gap_mu"]: None if u.gap_mu is None else round(float(u.gap_mu), 2), F["detail"]: u.detail})
    return pd.DataFrame(rows)


def unlock_table(ws: Workspace, unlocks: list[Unlock]) -> pd.DataFrame:
    """Verified unlocks (建议措施) of a match or a fit."""
    _, action_label = _labels()
    rows = []
    for i, u in enumerate(unlocks, 1):
        statuses = [ws.parcels.at[p, "status"] for p in u.parcel_ids or [] if p in ws.parcels.index]
        rows.append({F["row_number"]: i, F["unlock_action"]: action_label(u.action, statuses),
                     F["unlock_target"]: "、".join(u.parcel_ids or []) or (u.factory_id or ""),
                     F["area_mu"]: r1(u.area_mu), F["unlock_places"]: "、".join(u.places or []),
                     F["detail"]: u.detail})
    return pd.DataFrame(rows)


def zone_gap_table(result: MatchResult, with_total: bool = True) -> pd.DataFrame:
    """The gap summary per park (the engine's rows; the county row last when ``with_total``)."""
    rows = [*result.zones, *([result.county] if with_total else [])]
    frame = pd.DataFrame([{k: v for k, v in z.to_dict().items() if k not in ("total", "kind")} | {
        "zone_id": z.zone_id or ""} for z in rows], columns=list(GAP_ZONE_LABELS))
    return frame.rename(columns=GAP_ZONE_LABELS)


def gap_totals(result: MatchResult) -> dict:
    """County totals of a match: the engine's county row (the same numbers as ``cli.py match --json``)."""
    c = result.county
    return {"pending_count": c.pending_count, "pending_mu": c.pending_mu, "pending_yi": c.pending_yi,
            "placed_count": c.placed_count, "unplaced_count": c.unplaced_count, "unplaced_mu": c.unplaced_mu,
            "gap_mu": c.unplaced_gap_mu}


def plan_rows(ws: Workspace, plan) -> list[dict]:
    """The plan's actions (用地保障方案) as rows keyed like ``PLAN_LABELS``: the work named after the statuses it
    ends (拆迁、土地平整, 标准厂房建设), the parcels or factory, 亩, 万元, earliest date, the projects it secures."""
    _, action_label = _labels()
    statuses = dict(zip(ws.parcels.index.astype(str), ws.parcels["status"]))
    return [{"action": action_label(a.action, [statuses.get(p, "") for p in a.parcel_ids]),
             "target": "、".join(a.parcel_ids) or (a.factory_id or ""), "area_mu": r1(a.area_mu),
             "cost_wan": round(float(a.cost_wan), 2), "ready_by": iso(a.ready_by), "places": "、".join(a.places)}
            for a in plan.actions]


def plan_table(ws: Workspace, plan) -> pd.DataFrame:
    return pd.DataFrame(plan_rows(ws, plan), columns=list(PLAN_COLUMNS)).rename(columns=PLAN_LABELS)


def frontier_table(points: list) -> pd.DataFrame:
    """The budget frontier: each breakpoint's budget, cost, priority, investment and count placed."""
    rows = [{k: p.point()[k] for k in FRONTIER_COLUMNS} | {"action": len(p.actions)} for p in points]
    return pd.DataFrame(rows, columns=[*FRONTIER_COLUMNS, "action"]).rename(columns=PLAN_LABELS)


PLAN_COLUMNS = ("action", "target", "area_mu", "cost_wan", "ready_by", "places")
FRONTIER_COLUMNS = ("budget_wan", "cost_wan", "placed_priority", "placed_investment_yi", "placed_count")


def compare_tables(diff: ScenarioComparison) -> dict[str, pd.DataFrame]:
    """The comparison of two scenarios as tables."""
    reason_label, _ = _labels()
    C = COMPARE_TABLE_LABELS
    return {
        C["newly_placed"]: pd.DataFrame({F["project_id"]: list(diff.newly_placed)}),
        C["newly_unplaced"]: pd.DataFrame({F["project_id"]: list(diff.newly_unplaced)}),
        C["moved"]: pd.DataFrame([{F["project_id"]: m.project_id, C["from_site"]: " ".join(map(str, m.before[1:2])),
                                   C["to_site"]: " ".join(map(str, m.after[1:2]))} for m in diff.moved]),
        C["reason_changed"]: pd.DataFrame([{F["project_id"]: r.project_id, C["from_reason"]: reason_label(r.before),
                                            C["to_reason"]: reason_label(r.after)} for r in diff.reason_changed]),
        C["zones"]: pd.DataFrame([z.to_dict() for z in diff.zones]).drop(columns=["kind"], errors="ignore").rename(
            columns=GAP_ZONE_LABELS),
    }


PROJECT_COLUMNS = ["project_id", "name", "industry", "investment_yi", "land_mu", "floor_m2", "preferred_zone",
                   "stage", "priority", "needed_by"]


def report_table(report, layer: str | None = None, row_base: int = 0) -> pd.DataFrame:
    """A LoadReport as a Chinese table: level, layer, row (``row_base`` added: 1 for on-screen rows), field, message."""
    from geo.report import LEVEL_LABELS
    L = REPORT_TABLE_LABELS
    rows = [{L["level"]: LEVEL_LABELS.get(i.level, i.level), L["layer"]: i.layer,
             L["row"]: None if i.row is None else (i.row + row_base if isinstance(i.row, (int,)) else i.row),
             L["field"]: F.get(i.field, i.field) if i.field else "", L["message"]: i.message}
            for i in report.issues if layer is None or i.layer == layer]
    return pd.DataFrame(rows, columns=list(L.values()))


def project_editor_frame(ws: Workspace) -> pd.DataFrame:
    """The project list for st.data_editor: canonical columns, stage shown as its Chinese label."""
    p = ws.projects.reindex(columns=PROJECT_COLUMNS).reset_index(drop=True).copy()
    p["stage"] = p["stage"].map(lambda s: PROJECT_STAGE_LABELS.get(s, s))
    p["needed_by"] = pd.to_datetime(p["needed_by"]).dt.date
    return p


def editor_to_projects(ws: Workspace, edited: pd.DataFrame) -> pd.DataFrame:
    """Back from the editor: keep extra columns of existing projects (e.g. remark) matched by project id."""
    edited = edited.copy().reset_index(drop=True)
    extra = [c for c in ws.projects.columns if c not in PROJECT_COLUMNS]
    if extra:
        base = ws.projects[["project_id", *extra]].reset_index(drop=True)
        edited = edited.merge(base, on="project_id", how="left")
    return edited
