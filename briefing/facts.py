"""Every number of the briefing, computed once from one typed match result and the workspace it was run on, pure.

The demand and gap figures per park are the match result's own gap summary (``matching.summary.ZoneRow``); only the
land stock by status and the factories are read from the workspace. Settings come in from the caller.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from briefing.kpi_text import kpi_from_match, year_to_date
from geo.constraints import EXCLUSION_ORDER
from geo.netland import net_totals, workspace_net
from geo.stock import TOTAL_KEYS, StockReport, stock_report
from geo.vocab import (
    FACTORY_STATUS_LABELS,
    PARCEL_STATUS_LABELS,
    PIPELINE_STATUSES,
    STOCK_ACTION_LABELS,
    UNZONED_LABEL,
)
from matching.model import MatchResult, Placement, Unlock, Unplaced, r1
from matching.summary import project_zone

if TYPE_CHECKING:
    from geo.settings import Settings
    from geo.workspace import Workspace
    from stores.snapshots import SnapshotDiff

# The gap summary's fields as the briefing's zone table names them.
_ZONE_FIELDS = {"demand_count": "pending_count", "demand_mu": "pending_mu", "demand_yi": "pending_yi",
                "placed_count": "placed_count", "unplaced_count": "unplaced_count",
                "unplaced_need_mu": "unplaced_mu", "unplaced_gap_mu": "unplaced_gap_mu", "unplaced_yi": "unplaced_yi",
                "available_left_mu": "available_left_mu", "pipeline_left_mu": "pipeline_mu"}


@dataclass
class Facts:
    """All numbers of the briefing, computed once."""
    county: str
    county_note: str
    as_of: dt.date
    data_date: dt.date
    scenario: str
    status: str
    gap: float
    crs_name: str
    zones: pd.DataFrame          # per park (index zone_id, workspace order; "" = the unzoned row): stock, demand, gap
    projects: pd.DataFrame       # pending projects with zone_key / zone_name (index project_id)
    placed: list[Placement]
    unplaced: list[Unplaced]
    unlocks: list[Unlock]
    intensity: list[dict]
    intensity_source: str
    factories: pd.DataFrame      # count, floor area, vacant per factory status
    totals: dict[str, float]
    plan: object | None = None   # matching.plan_result.Plan: the 用地保障方案 the advice is built from, if any
    since: "SinceFacts | None" = None     # what changed since the previous snapshot (附), when one was given
    kpi: object | None = None    # geo.kpi.KpiReport of the year to date, when the project list has signing dates
    stock: object | None = None  # geo.stock.StockReport at the report's date, when the workspace has stock land


@dataclass(frozen=True)
class SinceFacts:
    """附's "since the previous snapshot" line, every number computed here (content.py only phrases it)."""
    previous_date: dt.date
    parcels_changed: int
    projects_added: int
    projects_advanced: int
    projects_placed: int
    gap_change_mu: float


def since_facts(diff) -> SinceFacts | None:
    """A stores.snapshots.SnapshotDiff's counts (None stays None)."""
    if diff is None:
        return None
    return SinceFacts(dt.date.fromisoformat(diff.before_date[:10]), len(diff.parcels_changed), len(diff.projects_added),
                      len(diff.projects_advanced), len(diff.projects_placed), round(float(diff.gap_change_mu), 2))


def zone_name(ws: Workspace, zone_id) -> str:
    """A park's name; the unzoned row's label for no park."""
    if not isinstance(zone_id, str) or not zone_id:
        return UNZONED_LABEL
    return str(ws.zones["name"].get(zone_id, zone_id))


def _stock(ws: Workspace) -> pd.DataFrame:
    """Land per park and status (net 亩: overlaps counted once, so the table adds up) and vacant factory m²."""
    stock = ws.parcels.pivot_table(index="zone_id", columns="status", values="net_mu", aggfunc="sum", fill_value=0.0)
    stock = stock.reindex(index=ws.zones.index, columns=list(PARCEL_STATUS_LABELS), fill_value=0.0)
    zones = pd.DataFrame(index=ws.zones.index)
    zones["name"] = ws.zones["name"]
    zones["industries"] = ws.zones["industries"].fillna("").astype(str).str.replace(";", "、")
    zones["area_mu"] = ws.zones["area_mu"]
    for status in PARCEL_STATUS_LABELS:
        zones[f"{status}_mu"] = stock[status]
    zones["pipeline_mu"] = zones[[f"{s}_mu" for s in PIPELINE_STATUSES]].sum(axis=1)
    fac = ws.factories
    zones["vacant_m2"] = fac.groupby("zone_id")["vacant_m2"].sum().reindex(zones.index, fill_value=0.0) \
        if len(fac) else 0.0
    return zones


def _factories(fac: pd.DataFrame) -> pd.DataFrame:
    if not len(fac):
        return pd.DataFrame(0, index=list(FACTORY_STATUS_LABELS), columns=["count", "floor_m2", "vacant_m2"])
    return (fac.groupby("status").agg(count=("factory_id", "size"), floor_m2=("floor_area_m2", "sum"),
                                      vacant_m2=("vacant_m2", "sum"))
            .reindex(list(FACTORY_STATUS_LABELS), fill_value=0))


def _net_facts(ws: Workspace, settings, cache=None) -> dict[str, float]:
    """Gross and net available land, the 亩 each constraint takes from it (geo.netland, each m² once), and the
    thresholds the method names; ``constraints_applied`` is 1 when the workspace has constraint layers or a DEM."""
    net = workspace_net(ws, settings, cache)
    avail = ws.metric("parcels")
    avail = avail[avail["status"] == "available"]
    sums = net_totals(avail, net).sum()
    return {"constraints_applied": float(net is not None), "available_gross_mu": float(sums["gross_mu"]),
            "available_net_mu": float(sums["net_mu"]),
            "available_constrained_mu": float(sums["gross_mu"] - sums["net_mu"]),
            **{f"constrained_{k}_mu": float(sums[k]) for k in EXCLUSION_ORDER},
            "flood_return_period": float(settings.constraints.flood_return_period),
            "max_slope_pct": float(settings.terrain.max_slope_pct)}


def compute_facts(ws: Workspace, result: MatchResult, settings: Settings, as_of: dt.date | None = None,
                  data_date: dt.date | None = None, scenario: str | None = None,
                  intensity: list[dict] | None = None, plan=None, since: "SnapshotDiff | None" = None,
                  cache=None) -> Facts:
    """Numbers from the match result (placed, unplaced, unlocks, gap summary) and the workspace's stock.
    ``cache``: the caller's ``geo.cache.DerivedCache`` (the net land match derived)."""
    as_of = as_of or dt.date.today()
    county, note = split_county(settings.app.county_name)
    projects = ws.projects.copy()
    for col in ("investment_yi", "land_mu", "floor_m2"):
        projects[col] = pd.to_numeric(projects[col], errors="coerce").fillna(0.0)
    where = {p.project_id: p.zone_id for p in result.placed}
    projects["zone_key"] = [project_zone(z, where.get(pid)) or "" for pid, z in projects["preferred_zone"].items()]
    projects["zone_name"] = [zone_name(ws, z) for z in projects["zone_key"]]

    rows = {(z.zone_id or ""): z for z in result.zones}
    zones = _stock(ws).reindex(list(ws.zones.index) + ([""] if "" in rows else []))
    if "" in zones.index:
        zones.loc["", "name"] = UNZONED_LABEL
    money = [c for c in zones.columns if c.endswith(("_mu", "_m2"))]
    zones[money] = zones[money].fillna(0.0)
    for col, key in _ZONE_FIELDS.items():
        zones[col] = [float(getattr(rows[k], key)) if k in rows else 0.0 for k in zones.index]
    zones["placed_need_mu"] = (zones["demand_mu"] - zones["unplaced_need_mu"]).clip(lower=0.0)

    fac, parcels, c = ws.factories, ws.parcels, result.county
    factories = _factories(fac)
    unlock_places = sorted({pid for u in result.unlocks for pid in u.places})
    invest = projects["investment_yi"]
    # sums over listed projects and unlocks add their values as the tables show them (亩 to 0.1, 缺口 to 0.01), so a
    # table's total is the sum of its rows
    totals = {
        "zone_count": float(len(ws.zones)),
        "zone_area_mu": float(ws.zones["area_mu"].sum()),
        "parcel_count": float(len(parcels)),
        "parcel_mu": float(parcels["net_mu"].sum()),
        **{f"{s}_mu": float(zones[f"{s}_mu"].sum()) for s in PARCEL_STATUS_LABELS},
        "pipeline_mu": float(zones["pipeline_mu"].sum()),
        "factory_count": float(len(fac)),
        "factory_floor_m2": float(factories["floor_m2"].sum()),
        "factory_vacant_m2": float(factories["vacant_m2"].sum()),
        "pending_count": float(c.pending_count),
        "pending_investment_yi": float(c.pending_yi),
        "pending_land_mu": float(c.pending_mu),
        "pending_floor_m2": float(projects["floor_m2"].sum()),
        "placed_count": float(c.placed_count),
        "placed_land_count": float(sum(p.kind == "land" for p in result.placed)),
        "placed_factory_count": float(sum(p.kind == "factory" for p in result.placed)),
        "placed_site_mu": float(sum(r1(p.site_mu) or 0.0 for p in result.placed if p.kind == "land")),
        "placed_investment_yi": float(invest.reindex([p.project_id for p in result.placed]).fillna(0.0).sum()),
        "unplaced_count": float(c.unplaced_count),
        "unplaced_need_mu": float(sum(r1(u.need_mu) or 0.0 for u in result.unplaced)),
        "unplaced_gap_mu": float(sum(round(u.gap_mu or 0.0, 2) for u in result.unplaced)),
        "unplaced_investment_yi": float(c.unplaced_yi),
        "unlock_count": float(len(result.unlocks)),
        "unlock_area_mu": float(sum(r1(u.area_mu) or 0.0 for u in result.unlocks)),
        "unlock_factory_m2": float(fac["vacant_m2"].reindex(
            [u.factory_id for u in result.unlocks if u.factory_id]).fillna(0.0).sum()),
        "unlock_places_count": float(len(unlock_places)),
        "unlock_investment_yi": float(invest.reindex(unlock_places).fillna(0.0).sum()),   # a project counted once
        "intensity_flag_count": float(len(intensity or [])),
        **_plan_totals(plan, invest),
        **_net_facts(ws, settings, cache),
    }
    stock = stock_facts(ws, as_of, settings)
    totals.update(stock_totals(stock, plan, invest))
    return Facts(county=county, county_note=note, as_of=as_of, data_date=data_date or as_of,
                 scenario=scenario or result.scenario, status=result.status, gap=float(result.gap),
                 crs_name=ws.crs.name, zones=zones, projects=projects, placed=list(result.placed),
                 unplaced=list(result.unplaced), unlocks=list(result.unlocks), intensity=list(intensity or []),
                 intensity_source=settings.intensity.source, factories=factories, totals=totals, plan=plan,
                 since=since_facts(since), kpi=_kpi(ws, result, settings, as_of), stock=stock)


def _kpi(ws: Workspace, result: MatchResult, settings: Settings, as_of: dt.date):
    """招商考核 of the projects signed this year to ``as_of`` (None when no project has a signing date)."""
    window = year_to_date(ws.projects, as_of)
    return None if window is None else kpi_from_match(ws.projects, result, *window, settings=settings.kpi)


def _plan_totals(plan, invest: pd.Series) -> dict[str, float]:
    """The plan's cost, 亩 cleared and what it adds (projects, investment) — the advice's numbers."""
    if plan is None:
        return {}
    return {"plan_cost_wan": float(plan.cost_wan), "plan_area_mu": float(plan.area_mu),
            "plan_action_count": float(len(plan.actions)), "plan_added_count": float(len(plan.placed_added)),
            "plan_added_investment_yi": float(invest.reindex(list(plan.placed_added)).fillna(0.0).sum()),
            "plan_budget_wan": float("nan") if plan.budget_wan is None else float(plan.budget_wan)}


def stock_facts(ws, as_of: dt.date, settings) -> StockReport | None:
    """The stock report at the briefing's date; None when the workspace has neither stock land at that date nor a
    firms ledger (a county whose ledgers carry no contract dates: the briefing then says nothing of stock)."""
    report = stock_report(ws, as_of, settings)
    return report if len(report.parcels) or len(report.firms) else None


def stock_actions(plan) -> list:
    """The plan's stock actions (kind in ``STOCK_ACTION_LABELS``), in the plan's order."""
    return [a for a in (plan.actions if plan is not None else []) if a.action in STOCK_ACTION_LABELS]


def stock_totals(stock: StockReport | None, plan, invest: pd.Series) -> dict[str, float]:
    """``stock_<total>`` for each of ``stock --json``'s totals (亩 per class, ``stock_fees_wan``), the stock parcels'
    count and 亩, the D-grade firms, the 闲置费 share; with a plan, its stock actions' count, 亩, cost and the
    projects they place (``stock_plan_*``)."""
    if stock is None:
        return {}
    out = {f"stock_{k}": float(stock.totals[k]) for k in (*TOTAL_KEYS, "fees_wan")}
    out["stock_parcel_count"] = float(len(stock.parcels))
    out["stock_mu"] = float(stock.parcels["area_mu"].sum())
    out["stock_firm_count"] = float(len(stock.firms))
    out["stock_d_firm_count"] = float((stock.firms["grade"] == "D").sum()) if len(stock.firms) else 0.0
    if plan is not None:
        acts = stock_actions(plan)
        places = sorted({pid for a in acts for pid in a.places})
        out.update({"stock_plan_action_count": float(len(acts)),
                    "stock_plan_area_mu": float(sum(a.area_mu for a in acts)),
                    "stock_plan_cost_wan": float(sum(a.cost_wan for a in acts)),
                    "stock_plan_places_count": float(len(places)),
                    "stock_plan_places_investment_yi": float(invest.reindex(places).fillna(0.0).sum())})
    return out


def split_county(name: str) -> tuple[str, str]:
    """'示例县（虚构数据）' → ('示例县', '虚构数据'): the note stays out of the title and goes into the appendix."""
    m = re.fullmatch(r"(.*?)[（(](.*)[)）]\s*", name or "")
    return (m.group(1).strip(), m.group(2).strip()) if m else ((name or "").strip(), "")
