"""Stock land as supply (存量盘活) in match's and fit's answers: the reasons of unplaced projects name the stock land
that could be taken back or redeveloped in their parks ("冉家坝没有可供土地，另有闲置地块 X（32 亩，闲置 480 天）可于
2027-03 前协议收回/置换"), and unlocks may be stock actions — each verified by re-running, like the others.

The stock actions are ``matching.actions.stock_actions`` at the scenario date (else ``today``, given by the caller's
edge or today's date): the parcels of ``geo.stock`` classes with an action (reclaimable → reclaim, idle / gov_delay →
negotiate, low_efficiency → redevelop), with cost, the earliest date the land could be offered and the legal basis.
Words: ``geo.vocab.STOCK_WORDS``.
"""
from __future__ import annotations

import pandas as pd

from geo.settings import Settings
from geo.vocab import STOCK_ACTION_VERBS, STOCK_CLASS_LABELS, STOCK_WORDS
from geo.workspace import Workspace
from matching.actions import STOCK_KINDS, Action, stock_actions
from matching.model import Unlock, iso

HINT_REASONS = ("TOO_SMALL", "NOT_READY", "OUTCOMPETED", "CONSTRAINED")
"""Reasons after which stock land in the project's parks is named (land projects)."""


def offers(ws: Workspace, settings: Settings, as_of=None, stock: pd.DataFrame | None = None) -> list[Action]:
    """The stock actions of ``ws`` funded at ``as_of`` (None: today); [] when no parcel is supplied."""
    if not len(ws.parcels) or not ws.parcels["status"].eq("supplied").any():
        return []
    return stock_actions(ws, settings, as_of if as_of is not None else pd.Timestamp.today(), stock)


def hint(actions: list[Action], zones: set[str], gap_mu: float | None, zone_names: dict[str, str]) -> str:
    """One sentence naming the stock parcel of ``zones`` that best meets the gap: the smallest at least the gap
    (else the largest), earliest ready, then cheapest; "" when there is none."""
    near = [a for a in actions if a.zone_id in zones]
    if not near:
        return ""
    gap = float(gap_mu or 0.0)
    best = min(near, key=lambda a: (a.area_mu < gap, a.area_mu if a.area_mu >= gap else -a.area_mu, a.ready_by,
                                     a.cost_wan, a.parcel_id))
    label = STOCK_CLASS_LABELS.get(best.stock_class or "", "存量")
    days = STOCK_WORDS["stock_days"].format(days=best.days_overdue) \
        if best.kind != "redevelop" and best.days_overdue is not None and best.days_overdue > 0 else ""
    zone = zone_names.get(best.zone_id, best.zone_id)
    return zone + STOCK_WORDS["stock_hint"].format(label=label, parcel=best.parcel_id, mu=best.area_mu, days=days,
                                                   month=best.ready_by.strftime("%Y-%m"),
                                                   verb=STOCK_ACTION_VERBS[best.kind])


def name_stock_in_reasons(unplaced, actions: list[Action], zones_of, zone_names: dict[str, str]) -> None:
    """Each unplaced land project whose reason is one of ``HINT_REASONS`` gets the hint for its parks appended
    to its ``detail`` (``zones_of(project_id)`` → sets of parks to look in, in order: ``zones_for``)."""
    if not actions:
        return
    for u in unplaced:
        if u.reason not in HINT_REASONS or not u.need_mu:
            continue
        text = next((t for zones in zones_of(u.project_id) if (t := hint(actions, zones, u.gap_mu, zone_names))),
                    "")
        if text:
            u.detail = f"{u.detail.rstrip('。；;')}；{text}。"


def stock_unlock(acts: list[Action], places: list[str], priority: float, investment: float) -> Unlock:
    """An unlock made of these actions (stock actions, with or without clearing): its action is the kind of its
    largest stock parcel; the detail names each stock action, its 亩, cost and earliest date."""
    stock = sorted((a for a in acts if a.kind in STOCK_KINDS), key=lambda a: (-a.area_mu, a.parcel_id))
    clear = [a for a in acts if a.kind not in STOCK_KINDS]
    parts = []
    for kind in STOCK_KINDS:
        group = [a for a in stock if a.kind == kind]
        if group:
            labels = "、".join(sorted({STOCK_CLASS_LABELS.get(a.stock_class or "", "") for a in group} - {""}))
            parts.append(STOCK_WORDS["stock_unlock"].format(
                verb=STOCK_ACTION_VERBS[kind], parcels="、".join(a.parcel_id for a in group),
                mu=sum(a.area_mu for a in group), label=labels, cost=sum(a.cost_wan for a in group),
                date=iso(max(a.ready_by for a in group))))
    if clear:
        parts.append(STOCK_WORDS["with_clearing"].format(count=len(clear), mu=sum(a.area_mu for a in clear),
                                                         cost=sum(a.cost_wan for a in clear)))
    detail = "；".join(parts) + STOCK_WORDS["places"].format(count=len(places))
    return Unlock(stock[0].kind if stock else "clear", sorted(a.parcel_id for a in acts), None,
                  float(sum(a.area_mu for a in acts)), list(places), priority, investment, detail)


def restate(unlocks: list[Unlock], actions: list[Action]) -> list[Unlock]:
    """Verified unlocks whose parcels are all stock land, told as stock actions (kind, cost, date, basis words)."""
    by_id = {a.parcel_id: a for a in actions}
    out = []
    for u in unlocks:
        if u.parcel_ids and all(p in by_id for p in u.parcel_ids):
            u = stock_unlock([by_id[p] for p in u.parcel_ids], u.places, u.priority, u.investment_yi)
        out.append(u)
    return out


def zones_for(ws: Workspace, industry: str, preferred) -> list[set[str]]:
    """The parks to look in for stock land, in order: the preferred park (when it admits the industry), then every
    admitting park."""
    from matching.candidates import admitting_zones
    zones = admitting_zones(ws.zones, industry)
    first = [{preferred}] if isinstance(preferred, str) and preferred in zones else []
    return first + [zones]
