"""The land actions of the plan (用地保障方案) and their costs: clearing one 待平整/待拆迁 parcel, completing one
在建/规划 standard factory, and the stock actions (存量盘活) on one supplied parcel by its class at ``start``
(``geo.stock``): ``reclaim`` (无偿收回 of reclaimable land), ``negotiate`` (协议收回/置换 of idle or government-delayed
land), ``redevelop`` (低效用地再开发 of D-grade firms' land). A funded stock action makes its parcel offerable like a
cleared pipeline parcel (``Scenario.cleared_parcels``).

Cost in 万元, first match wins:
- a parcel's ``clearing_cost_wan`` / a factory's ``completion_cost_wan`` when the layer has that column and a value;
- leveling: ``earthwork_cost_wan[parcel_id]`` when the caller passes it (per-parcel earthwork from elsewhere), else
  the DEM's earthwork (``geo.parcel_terrain.parcel_terrain``: balanced design level, cut/fill/haulage at the
  ``[terrain]`` unit prices)
  when a DEM is given, else area × ``leveling_wan_per_mu``;
- demolition: area × ``demolition_wan_per_mu_by_zone[zone]`` or ``demolition_wan_per_mu``;
- factory: floor area × ``factory_completion_wan_per_m2``;
- reclaim: area × ``reclaim_wan_per_mu`` (the procedure; 无偿收回 pays no compensation); negotiate: ``price_wan`` ×
  (1 − ``developed_share``) × ``negotiate_price_share`` (the unused share of the land price refunded), or area ×
  ``negotiate_wan_per_mu`` without a price; redevelop: area × ``redevelop_wan_per_mu``.
The config figures are placeholders (config/landgap.toml says so). ``ready_by``: the earliest date the work could be
done if funded at ``start`` (start + the kind's lead time), or the parcel's own ready date when that is earlier.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.settings import Settings
from geo.vocab import PIPELINE_STATUSES
from geo.workspace import Workspace

CLEAR, COMPLETE_FACTORY = "clear", "complete_factory"
RECLAIM, NEGOTIATE, REDEVELOP = "reclaim", "negotiate", "redevelop"
STOCK_KINDS: tuple[str, ...] = (RECLAIM, NEGOTIATE, REDEVELOP)
LAND_KINDS: tuple[str, ...] = (CLEAR, *STOCK_KINDS)
"""Kinds that make one parcel offerable now (its id goes into ``Scenario.cleared_parcels``)."""
FACTORY_WORK_STATUSES = ("building", "planned")


@dataclass(frozen=True)
class Action:
    """One action: ``kind`` CLEAR (``parcel_id``) or COMPLETE_FACTORY (``factory_id``); ``status`` the parcel's or
    factory's; ``area_mu`` land cleared (0 for a factory); ``cost_wan``; ``cost_source`` "field" | "earthwork" |
    "dem" | "config"; ``ready_by`` the earliest completion if funded now."""
    kind: str
    parcel_id: str | None
    factory_id: str | None
    zone_id: str
    status: str
    area_mu: float
    cost_wan: float
    cost_source: str
    ready_by: pd.Timestamp | None
    basis: str = ""                     # stock actions: the legal basis (geo.vocab.STOCK_ACTION_BASIS)
    stock_class: str | None = None      # stock actions: the parcel's class (geo.stock)
    days_overdue: float | None = None   # ... days past the contracted start or the halt

    @property
    def key(self) -> str:
        return self.parcel_id if self.kind in LAND_KINDS else f"factory:{self.factory_id}"


def _months_after(start: pd.Timestamp, months: float) -> pd.Timestamp:
    return (start + pd.DateOffset(months=int(round(months)))).normalize()


def _field(frame: pd.DataFrame, column: str, key) -> float | None:
    if column not in frame.columns:
        return None
    v = pd.to_numeric(pd.Series([frame.at[key, column]]), errors="coerce").iloc[0]
    return None if pd.isna(v) or v < 0 else float(v)


def dem_earthwork_cost_wan(ws: Workspace, dem, terrain) -> dict[str, float]:
    """Leveling cost (万元) per 待平整 parcel from a DEM (``geo.terrain.Dem``): the earthwork of a balanced
    platform priced at ``terrain``'s (``[terrain]``) cut, fill and haulage prices; parcels the DEM does not cover
    get no figure (the config's 万元/亩 then applies)."""
    from geo.parcel_terrain import DemGrid, parcel_terrain
    lev = ws.metric("parcels")[ws.parcels["status"] == "leveling"]
    if not len(lev):
        return {}
    cost = parcel_terrain(DemGrid(dem.elevation, dem.transform, dem.crs), lev, terrain).table["cost_wan"].dropna()
    return {str(k): float(v) for k, v in cost.items()}


def stock_actions(ws: Workspace, settings: Settings, start, stock: pd.DataFrame | None = None) -> list[Action]:
    """The stock actions on ``ws`` funded at ``start`` (by parcel id): one per supplied parcel whose class
    (``stock``: ``geo.stock.classify_workspace``'s frame; None: classified here at ``start``) has an action."""
    from geo.stock import STOCK_ACTION_OF_CLASS, classify_workspace
    from geo.supply import stock_ready_by
    from geo.vocab import STOCK_ACTION_BASIS
    start = pd.Timestamp(start).normalize()
    parcels = ws.parcels
    if not len(parcels):
        return []
    stock = classify_workspace(ws, start, settings) if stock is None else stock
    kind = stock["stock_class"].reindex(parcels.index).map(STOCK_ACTION_OF_CLASS)
    rows = parcels[kind.notna() & parcels["status"].eq("supplied")].sort_index()
    if not len(rows):
        return []
    ps = settings.plan
    area = pd.to_numeric(rows["net_mu"], errors="coerce").fillna(rows["area_mu"]).to_numpy(dtype=float)
    k = kind.loc[rows.index].to_numpy()
    price = pd.to_numeric(rows.get("price_wan"), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    dev = pd.to_numeric(rows.get("developed_share"), errors="coerce").fillna(0.0).clip(0, 1).to_numpy(dtype=float)
    negotiated = np.where(np.isnan(price), area * ps.negotiate_wan_per_mu,
                          price * (1 - dev) * ps.negotiate_price_share)
    cost = np.select([k == RECLAIM, k == NEGOTIATE], [area * ps.reclaim_wan_per_mu, negotiated],
                     area * ps.redevelop_wan_per_mu)
    days = stock["days_overdue"].reindex(rows.index).to_numpy(dtype=float)
    cls = stock["stock_class"].reindex(rows.index).to_numpy()
    return [Action(str(kk), str(pid), None, str(z), "supplied", float(a), round(float(c), 2), "config",
                   stock_ready_by(start, kk, ps), STOCK_ACTION_BASIS[kk], str(cl), None if np.isnan(d) else float(d))
            for pid, z, kk, a, c, cl, d in zip(rows.index, rows["zone_id"], k, area, cost, cls, days)]


def plan_actions(ws: Workspace, settings: Settings, *, start=None, dem=None,
                 earthwork_cost_wan: Mapping[str, float] | None = None, stock: pd.DataFrame | bool | None = None
                 ) -> list[Action]:
    """Every action on ``ws`` with its cost and earliest completion: clearing (pipeline parcels by id), the stock
    actions (supplied parcels by id), then factories (by id). ``start``: the date the work would be funded (default
    today; the stock classes are judged at it); ``dem``: a ``geo.terrain.Dem`` for leveling earthwork;
    ``earthwork_cost_wan``: leveling cost per parcel id computed elsewhere (wins over the DEM); ``stock``: the
    classification frame (``geo.stock.classify_workspace``), None to classify here, False for no stock actions."""
    ps = settings.plan
    start = pd.Timestamp(start).normalize() if start is not None else pd.Timestamp.today().normalize()
    parcels = ws.parcels
    pipe = parcels[parcels["status"].isin(PIPELINE_STATUSES)].sort_index()
    from_dem = dem_earthwork_cost_wan(ws, dem, settings.terrain) if dem is not None else {}
    earth = dict(earthwork_cost_wan or {})
    out: list[Action] = []
    for pid, row in pipe.iterrows():
        pid = str(pid)
        status, zone = str(row["status"]), str(row["zone_id"])
        area = float(row["net_mu"]) if not pd.isna(row["net_mu"]) else float(row["area_mu"])
        cost, source = _field(parcels, "clearing_cost_wan", pid), "field"
        if cost is None and status == "leveling":
            if pid in earth:
                cost, source = float(earth[pid]), "earthwork"
            elif pid in from_dem:
                cost, source = from_dem[pid], "dem"
            else:
                cost, source = area * ps.leveling_wan_per_mu, "config"
        elif cost is None:
            unit = float(ps.demolition_wan_per_mu_by_zone.get(zone, ps.demolition_wan_per_mu))
            cost, source = area * unit, "config"
        lead = ps.lead_months_leveling if status == "leveling" else ps.lead_months_demolition
        ready = _months_after(start, lead)
        sched = row["ready_date"]
        if not pd.isna(sched) and pd.Timestamp(sched) < ready:
            ready = pd.Timestamp(sched)
        out.append(Action(CLEAR, pid, None, zone, status, area, round(cost, 2), source, ready))
    if stock is not False:
        out += stock_actions(ws, settings, start, None if stock is None or stock is True else stock)
    fac = ws.factories.sort_index()
    for fid, row in fac[fac["status"].isin(FACTORY_WORK_STATUSES)].iterrows():
        fid = str(fid)
        cost, source = _field(fac, "completion_cost_wan", fid), "field"
        if cost is None:
            floor = row.get("floor_area_m2", np.nan)
            floor = float(row["vacant_m2"]) if pd.isna(floor) else float(floor)
            cost, source = floor * ps.factory_completion_wan_per_m2, "config"
        ready = _months_after(start, ps.lead_months_factory)
        sched = row["ready_date"]
        if not pd.isna(sched) and pd.Timestamp(sched) < ready:
            ready = pd.Timestamp(sched)
        out.append(Action(COMPLETE_FACTORY, None, fid, str(row["zone_id"]), str(row["status"]), 0.0,
                          round(cost, 2), source, ready))
    return out
