"""Unlocks (解锁措施): land actions that would place unplaced projects, each verified by applying it and re-running.

Ideas come from the reasons (NOT_READY → finish these 待平整/待拆迁 parcels by the project's date;
NO_FACTORY_SPACE with a factory still being built → complete that factory); and from stock land (存量盘活): an
unplaced project no unlock places gets the plan's least-cost actions when they take back or redevelop stock
parcels (``_stock_unlocks``; matching.stock_supply words them). Ideas with the same action are merged,
ranked by the priority they target per 亩 cleared, and the best ``max_unlocks`` are applied one by one: an unlock
is reported only with the projects the re-run actually places (that were unplaced before). Then
``least_cost_unlocks`` replaces each clearing unlock by the least-cost set of parcels that places its projects
(matching.plan), verified the same way.
"""
from __future__ import annotations

import math
from collections.abc import Callable

from geo.vocab import PARCEL_STATUS_LABELS
from geo.workspace import Workspace
from matching.model import Unlock, iso
from matching.reasons import UnlockIdea


def _ratio(priority: float, area: float) -> float:
    return math.inf if area <= 0 else priority / area


def verify_unlocks(ideas: list[UnlockIdea], rerun: Callable[[tuple[str, ...], tuple[str, ...]], set[str]],
                   placed_before: set[str], priority: dict[str, float], investment: dict[str, float],
                   statuses: dict[str, str], limit: int, progress=None) -> list[Unlock]:
    """``rerun(parcel_ids, factory_ids)`` → ids placed after applying the action; returns verified unlocks, best
    first (priority placed per 亩 cleared, then investment per 亩; factory completions clear no land and rank first).
    At most ``limit`` (``max_unlocks``) actions are verified."""
    merged: dict[tuple, dict] = {}
    for idea in ideas:
        key = (tuple(sorted(idea.parcel_ids)), idea.factory_id)
        entry = merged.setdefault(key, {"targets": set(), "area": idea.area_mu, "dates": []})
        entry["targets"].add(idea.project_id)
        if idea.ready_by is not None:
            entry["dates"].append(idea.ready_by)
    ranked = sorted(merged.items(), key=lambda kv: (-_ratio(sum(priority[t] for t in kv[1]["targets"]), kv[1]["area"]),
                                                     kv[0][0], kv[0][1] or ""))
    out: list[Unlock] = []
    for n, ((parcels, factory), entry) in enumerate(ranked[:limit]):
        if progress is not None:
            progress(n / max(1, min(limit, len(ranked))), f"验证解锁措施 {n + 1}")
        after = rerun(parcels, (factory,) if factory else ())
        places = sorted(after - placed_before)
        if not places:
            continue
        prio = sum(priority.get(p, 0.0) for p in places)
        inv = sum(investment.get(p, 0.0) for p in places)
        by = min(entry["dates"]) if entry["dates"] else None
        if factory:
            detail = f"建成标准厂房 {factory}" + (f"（{iso(by)} 前）" if by is not None else "") + \
                f"，可安排 {len(places)} 个项目"
            out.append(Unlock("complete_factory", [], factory, 0.0, places, prio, inv, detail))
        else:
            kinds = "、".join(sorted({PARCEL_STATUS_LABELS.get(statuses.get(p, ""), "") for p in parcels} - {""}))
            detail = (f"完成{kinds or '清理'}地块 {len(parcels)} 块、{entry['area']:.1f} 亩"
                      + (f"（{iso(by)} 前）" if by is not None else "（尽快）") + f"，可安排 {len(places)} 个项目")
            out.append(Unlock("clear", list(parcels), None, entry["area"], places, prio, inv, detail))
    out.sort(key=lambda u: (-_ratio(u.priority, u.area_mu), -_ratio(u.investment_yi, u.area_mu),
                            u.parcel_ids, u.factory_id or ""))
    return out


def least_cost_unlocks(ws: Workspace, scenario, settings, unlocks: list[Unlock], placed_before: set[str],
                       priority: dict[str, float], investment: dict[str, float], cache=None) -> list[Unlock]:
    """Each verified clearing unlock replaced by the least-cost set of parcels (matching.plan: any subset of
    pipeline parcels, costs from [plan]) after which match places its projects as well as everything placed now —
    when that set is cheaper; the replacement is verified by re-running match like the original. Only on
    instances the plan solves exactly (at most ``[plan] large_projects`` projects) and scenarios that change
    nothing but the date (the plan's own scenarios). ``cache``: the caller's derived-data cache."""
    if len(ws.projects) > settings.plan.large_projects:
        return unlocks
    if not unlocks:
        from matching.stock_supply import offers
        if not offers(ws, settings, scenario.as_of if scenario else None):
            return unlocks              # nothing to replace, and no stock land to take back
    if scenario is not None and (scenario.extra_parcels is not None or scenario.justified_land_need
                                 or scenario.without_planned_factories or scenario.cleared_parcels
                                 or scenario.ready_factories):
        return unlocks
    from matching.actions import LAND_KINDS, STOCK_KINDS
    from matching.plan import Planner
    from matching.stock_supply import stock_unlock
    planner = Planner(ws, settings, as_of=scenario.as_of if scenario else None, cache=cache)
    cost = {a.key: a.cost_wan for a in planner.pm.actions}
    out = []
    for u in unlocks:
        if u.action != "clear":
            out.append(u)
            continue
        found = planner.least_cost_actions(list(u.places))
        old_cost = sum(cost.get(p, 0.0) for p in u.parcel_ids)
        if found is None or any(a.kind not in LAND_KINDS for a in found[0]):
            out.append(u)
            continue
        acts, after = found
        new_cost = sum(a.cost_wan for a in acts)
        area = sum(a.area_mu for a in acts)
        if (round(new_cost, 2), area) >= (round(old_cost, 2), u.area_mu):
            out.append(u)
            continue
        places = sorted(after - placed_before)
        if any(a.kind in STOCK_KINDS for a in acts):
            out.append(stock_unlock(acts, places, sum(priority.get(p, 0.0) for p in places),
                                    sum(investment.get(p, 0.0) for p in places)))
            continue
        kinds = "、".join(sorted({PARCEL_STATUS_LABELS.get(a.status, "") for a in acts} - {""}))
        by = max(a.ready_by for a in acts)
        detail = (f"完成{kinds or '清理'}地块 {len(acts)} 块、{area:.1f} 亩"
                  f"（估算 {new_cost:,.1f} 万元，最早 {iso(by)} 完成），"
                  f"可安排 {len(places)} 个项目")
        out.append(Unlock("clear", sorted(a.parcel_id for a in acts), None, area, places,
                          sum(priority.get(p, 0.0) for p in places), sum(investment.get(p, 0.0) for p in places),
                          detail))
    out += _stock_unlocks(planner, out, placed_before, priority, investment, settings.matching.max_unlocks)
    out.sort(key=lambda u: (-_ratio(u.priority, u.area_mu), -_ratio(u.investment_yi, u.area_mu),
                            u.parcel_ids, u.factory_id or ""))
    return out


def _stock_unlocks(planner, unlocks: list[Unlock], placed_before: set[str], priority: dict[str, float],
                   investment: dict[str, float], limit: int) -> list[Unlock]:
    """Unplaced projects no unlock places yet (most priority first, at most ``limit``): the least-cost actions
    placing each (the plan's model, any action kind) when they take back or redevelop stock land — verified by
    re-running match (``Planner.least_cost_actions``)."""
    from matching.actions import STOCK_KINDS
    from matching.stock_supply import stock_unlock
    if not any(a.kind in STOCK_KINDS for a in planner.pm.actions):
        return []
    covered = set().union(*(set(u.places) for u in unlocks)) if unlocks else set()
    todo = sorted((p for p in priority if p not in placed_before and p not in covered),
                  key=lambda p: (-priority[p], p))[:limit]
    out: list[Unlock] = []
    for pid in todo:
        if any(pid in u.places for u in out):
            continue
        found = planner.least_cost_actions([pid])
        if found is None or not any(a.kind in STOCK_KINDS for a in found[0]):
            continue
        acts, after = found
        places = sorted(after - placed_before)
        out.append(stock_unlock(acts, places, sum(priority.get(p, 0.0) for p in places),
                                sum(investment.get(p, 0.0) for p in places)))
    return out
