"""The public entry points: ``match`` (all pending projects) and ``fit`` (one prospective project).

Both are short orchestrations of the stages: ``build_instance`` (geometry → plain model, matching.instance),
``build_options`` (matching.options), ``build_problem`` (matching.problem), a ``Solver`` (matching.solve), the
polish (matching.polish) and ``carve_sites`` (matching.sites) — the last four run by ``place`` (matching.place) —
then the reasons (matching.reasons) — one run on a scenario: matching.matcher — and the verified unlocks
(matching.unlocks). ``settings`` is the frozen
``geo.settings.Settings`` the caller loaded; nothing here reads the configuration.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from geo.cache import DerivedCache, own
from geo.errors import InputError
from geo.settings import Settings
from geo.workspace import Workspace
from matching.bounds import Deadline
from matching.instance import Instance, Taken, build_instance, fingerprint
from matching.matcher import match_deadline, run_match, solve_scenario, with_actions
from matching.model import FitCandidate, FitResult, MatchResult, Placement, Prospect, Scenario
from matching.options import FACTORY, LAND, Options, build_options
from matching.problem import top_level
from matching.reasons import Diagnoser, UnlockIdea
from matching.scenario import scenario_workspace
from matching.sites import Carver, carve_sites
from matching.solve import HighsSolver, Solver
from matching.unlocks import least_cost_unlocks, verify_unlocks


def match(ws: Workspace, scenario: Scenario | None = None, *, settings: Settings, time_limit: float | None = None,
          progress=None, unlocks: bool = True, solver: Solver | None = None,
          cache: DerivedCache | None = None) -> MatchResult:
    """Place all pending projects (招商项目) optimally; explain the unplaced ones; propose verified unlocks.

    ``settings``: ``geo.settings.Settings``. ``progress(fraction, message)`` is called as the work advances (for a
    UI progress bar). ``unlocks=False`` skips the unlock search (used when re-running to verify one). ``solver``:
    any ``matching.solve.Solver`` (default: HiGHS, ``HighsSolver.from_settings(settings.matching)``). ``cache``:
    the caller's derived-data cache (``geo.cache.DerivedCache``; None: one for this call, shared by its re-runs).
    ``time_limit`` (else ``[matching] time_limit_s``) bounds the solver; carving and the unlocks stop at 1.5 × it,
    and the status is then "timeout" (``matching.matcher.match_deadline``).
    """
    deadline = match_deadline(settings, time_limit)

    def unlock_search(inst, ideas, rerun, placed_ids, sub):
        prj = inst.projects
        found = verify_unlocks(ideas, rerun, placed_ids, dict(zip(prj["project_id"], prj["priority"])),
                               dict(zip(prj["project_id"], prj["investment_yi"].fillna(0.0))),
                               dict(zip(inst.ws.parcels["parcel_id"], inst.ws.parcels["status"])),
                               settings.matching.max_unlocks, sub)
        if deadline.passed():
            return found
        return least_cost_unlocks(ws, scenario, settings, found, placed_ids,
                                  dict(zip(prj["project_id"], prj["priority"])),
                                  dict(zip(prj["project_id"], prj["investment_yi"].fillna(0.0))), cache=cache)
    result = run_match(ws, scenario, settings, time_limit=time_limit, progress=progress, solver=solver,
                       unlock_search=unlock_search if unlocks else None, cache=cache, deadline=deadline)
    if unlocks and result.unplaced:
        _name_stock(result.unplaced, ws, scenario, settings)
    return result


def _name_stock(unplaced, ws: Workspace, scenario: Scenario | None, settings: Settings) -> None:
    """The reasons name the stock land of the unplaced projects' parks (matching.stock_supply)."""
    from matching.stock_supply import name_stock_in_reasons, offers, zones_for
    done = set(scenario.cleared_parcels) if scenario else set()       # taken back in this scenario already
    acts = [a for a in offers(ws, settings, scenario.as_of if scenario else None) if a.parcel_id not in done]
    if not acts:
        return
    prj = ws.projects.set_index("project_id", drop=False) if "project_id" in ws.projects.columns else ws.projects
    names = {str(z): str(n) for z, n in ws.zones["name"].items()}
    name_stock_in_reasons(unplaced, acts, lambda pid: zones_for(ws, str(prj.at[pid, "industry"]),
                                                                prj.at[pid, "preferred_zone"]), names)


# ------------------------------------------------------------------------------------------------- fit

def committed_placement(ws: Workspace, scenario: Scenario | None, *, settings: Settings, progress=None,
                        cache: DerivedCache | None = None,
                        deadline: Deadline | None = None) -> tuple[Taken, list[Placement]]:
    """Land and factory space the committed (signed/started) projects get in match — derived once per workspace
    version, scenario and settings (in the caller's ``cache``; None: for this call). ``progress(fraction,
    message)`` follows the placement when it is not derived yet (a minute at 100k parcels). A placement cut short
    by the ``deadline`` (``deadline.hit``) is used but not kept."""
    cache = own(cache)
    key = ("matching.committed", (scenario or Scenario()).key(), fingerprint(settings.matching),
           fingerprint(settings.blocks), fingerprint(settings.intensity))

    def compute():
        stages = set(settings.matching.committed_stages)
        if progress:
            progress(0.0, "首次检查：先安排已签约、已开工项目的选址")
        _, pls, _ = solve_scenario(ws, scenario, settings, HighsSolver.from_settings(settings.matching), None,
                                   projects=lambda w: w.projects[w.projects["stage"].isin(stages)],
                                   progress=progress, prove=False, cache=cache, deadline=deadline)
        floor: dict[str, float] = {}
        for pl in pls:
            if pl.kind == "factory":
                floor[pl.factory_id] = floor.get(pl.factory_id, 0.0) + pl.floor_m2
        return Taken([pl.site for pl in pls if pl.kind == "land"], floor), pls
    known = cache.peek(ws, key)
    if known is not None:
        return known
    result = compute()
    return result if deadline is not None and deadline.hit else cache.get(ws, key, lambda: result)


def fit_candidates(inst: Instance, options: Options, limit: int,
                   deadline: Deadline | None = None) -> tuple[list[FitCandidate], int]:
    """The best ``limit`` candidates of the instance's one project — standard factories first (policy), then one
    carved site per block, best value (tie-break) first — and the number of options. Past the ``deadline`` no
    more sites are carved (``deadline.hit``)."""
    carver, top = Carver(inst, deadline), top_level(inst, options)
    cands: list[FitCandidate] = []
    order = np.lexsort((options.resource, -options.value, -options.kind))  # factories first, then best tie-break
    land_cols = [c for c in order if options.kind[c] == LAND]
    fac_cols = [c for c in order if options.kind[c] == FACTORY]
    for c in fac_cols[:limit]:
        f = int(options.resource[c])
        cands.append(FitCandidate("factory", inst.fac_zone[f], [], None, None, inst.fac_ready_date[f], None,
                                  factory_id=inst.fac_id[f], vacant_m2=round(float(inst.fac_vacant[f]), 0)))
    for c in land_cols:
        if len(cands) >= limit or carver.deadline.passed():
            break
        carving = carve_sites(carver, options, np.array([c]), top)
        if carving.failed or not carving.placements:
            continue
        pl = carving.placements[0]
        cands.append(FitCandidate("land", pl.zone_id, pl.parcel_ids, pl.site_mu, pl.site_mu - pl.need_mu,
                                  pl.ready_date, pl.site_wkt))
    return cands, len(land_cols) + len(fac_cols)


def _prospect_frame(pr: Prospect) -> pd.DataFrame:
    return pd.DataFrame({"project_id": ["__prospect__"], "name": [pr.name], "industry": [pr.industry],
                         "investment_yi": [pr.investment_yi], "land_mu": [pr.need_mu], "floor_m2": [pr.floor_m2],
                         "preferred_zone": [pr.zone_id], "stage": ["negotiating"], "priority": [pr.priority],
                         "needed_by": [pd.Timestamp(pr.by) if pr.by else pd.NaT]}, index=["__prospect__"])


def fit(prospect: Prospect, ws: Workspace, scenario: Scenario | None = None, *, settings: Settings,
        all_free_land: bool = False, progress=None, cache: DerivedCache | None = None,
        time_limit: float | None = None) -> FitResult:
    """Every candidate site for a prospective project (意向项目), best first; or why none and what would unblock it.

    By default the prospect competes only for land the committed projects (signed/started) do not get in match;
    ``all_free_land=True`` checks against all free land. Candidates: standard factories first (policy), then one
    carved site per block, ranked by least surplus, earliest ready date, zone and block. ``progress(fraction,
    message)`` is called while the committed projects are first placed (for a UI progress bar).
    ``settings``: ``geo.settings.Settings``; ``cache``: the caller's derived-data cache (None: one for this call).
    ``time_limit`` (seconds, else ``[matching] time_limit_s``): past it no more candidates are carved, no unlock
    is verified, and the result's ``status`` is "timeout" (the candidates found so far are listed).
    """
    cache = own(cache)
    deadline = Deadline.after(time_limit if time_limit is not None else settings.matching.time_limit_s)
    if prospect.zone_id is not None and prospect.zone_id not in ws.zones.index:
        raise InputError(f"园区编号“{prospect.zone_id}”不存在；现有园区："
                         f"{', '.join(f'{z}（{n}）' for z, n in ws.zones['name'].items())}")
    taken, committed = (Taken(), []) if all_free_land else committed_placement(
        ws, scenario, settings=settings, progress=progress, cache=cache, deadline=deadline)
    ws2, base = scenario_workspace(ws, scenario, settings=settings)
    inst = build_instance(ws2, _prospect_frame(prospect), settings, scenario.as_of if scenario else None, taken,
                          only_zone=prospect.zone_id, geometry_of=base, cache=cache)
    cands, count = fit_candidates(inst, build_options(inst), settings.matching.fit_candidates, deadline)
    result = FitResult(prospect, cands, candidate_count=count)
    if cands or deadline.passed():
        result.status = "timeout" if deadline.hit else result.status
        return result
    diag = Diagnoser(inst, committed)
    u, idea = diag.explain(0)
    from matching.stock_supply import HINT_REASONS, hint, offers, restate, zones_for
    stock = [a for a in offers(ws, settings, scenario.as_of if scenario else None)
             if not scenario or a.parcel_id not in scenario.cleared_parcels] if prospect.need_mu else []
    zones = zones_for(ws, prospect.industry, prospect.zone_id)[0] if stock else set()
    text = hint(stock, zones, u.gap_mu, {str(z): str(n) for z, n in ws.zones["name"].items()}) \
        if u.reason in HINT_REASONS else ""
    result.reason, result.gap_mu = u.reason, u.gap_mu
    result.detail = f"{u.detail.rstrip('。；;')}；{text}。" if text else u.detail
    ideas = [idea] if idea is not None else []
    # stock land of the prospect's parks (largest first): each verified by re-running fit, like the others
    ideas += [UnlockIdea("__prospect__", (a.parcel_id,), None, a.area_mu, a.ready_by)
              for a in sorted((a for a in stock if a.zone_id in zones), key=lambda a: (-a.area_mu, a.parcel_id))
              ][:settings.matching.max_unlocks]
    if ideas:
        def rerun(parcels, factories):
            if deadline.passed():
                return set()
            again = fit(prospect, ws, with_actions(scenario, parcels, factories), settings=settings,
                        all_free_land=all_free_land, cache=cache, time_limit=deadline.left(0.0))
            deadline.hit = deadline.hit or again.status == "timeout"
            return {"__prospect__"} if again.fits else set()
        found = restate(verify_unlocks(ideas, rerun, set(), {"__prospect__": prospect.priority},
                                       {"__prospect__": prospect.investment_yi or 0.0},
                                       dict(zip(ws2.parcels["parcel_id"], ws2.parcels["status"])),
                                       settings.matching.max_unlocks), stock)
        for un in found:
            un.places = [prospect.name]
        result.unlocks = found
    if deadline.hit:
        result.status = "timeout"
    return result
