"""``match``'s run on one scenario: the placement (instance → options → problem → solver → sites), the reasons for
the unplaced and the summary — below both ``matching.api`` (which adds the verified unlocks through
``unlock_search``) and ``matching.plan`` (whose verification re-runs use it without unlocks), so neither imports
the other."""
from __future__ import annotations

import time
from collections.abc import Callable

from geo.cache import DerivedCache, own
from geo.settings import Settings
from geo.workspace import Workspace
from matching.bounds import Deadline
from matching.instance import Instance, build_instance
from matching.model import MatchResult, Placement, Scenario, Unlock
from matching.place import place
from matching.reasons import UnlockIdea, explain_unplaced
from matching.scenario import scenario_workspace
from matching.solve import HighsSolver, Solver
from matching.summary import summarize

Rerun = Callable[[tuple[str, ...], tuple[str, ...]], set[str]]
"""(parcel ids cleared, factory ids completed) → the project ids placed on that scenario."""
UnlockSearch = Callable[[Instance, list[UnlockIdea], Rerun, set[str], "Callable | None"], list[Unlock]]
"""(instance, ideas, rerun, ids placed now, progress) → the verified unlocks (``matching.api.match`` supplies it)."""


def with_actions(scenario: Scenario | None, parcels: tuple[str, ...], factories: tuple[str, ...]) -> Scenario:
    """``scenario`` with these parcels cleared and these factories completed as well."""
    s = scenario or Scenario()
    return Scenario(as_of=s.as_of, without_planned_factories=s.without_planned_factories,
                    justified_land_need=s.justified_land_need, extra_parcels=s.extra_parcels,
                    cleared_parcels=tuple(sorted(set(s.cleared_parcels) | set(parcels))),
                    ready_factories=tuple(sorted(set(s.ready_factories) | set(factories))), name=s.name)


def solve_scenario(ws: Workspace, scenario: Scenario | None, settings: Settings, solver: Solver,
                   time_limit: float | None, progress=None, projects=None, prove: bool = True,
                   cache: DerivedCache | None = None,
                   deadline: Deadline | None = None) -> tuple[Instance, list[Placement], object]:
    """(instance, placements, solution) for the scenario's workspace; ``cache``: the caller's derived data;
    ``deadline``: when carving stops (``matching.bounds``; the solution's status is then "timeout")."""
    ws2, base = scenario_workspace(ws, scenario, settings=settings)
    inst = build_instance(ws2, ws2.projects if projects is None else projects(ws2), settings,
                          scenario.as_of if scenario else None, geometry_of=base, cache=cache)
    limit = time_limit if time_limit is not None else settings.matching.time_limit_s
    if deadline is not None and deadline.at is not None:
        limit = min(limit, max(1.0, deadline.left(limit)))
    placements, sol = place(inst, solver, limit, progress, prove, deadline)
    return inst, placements, sol


def match_deadline(settings: Settings, time_limit: float | None) -> Deadline:
    """The deadline of a whole ``match``: its time limit (else ``[matching] time_limit_s``) for the solver, and half
    as much again for carving the sites and verifying unlocks — past it the work stops and the status says
    "timeout"."""
    limit = time_limit if time_limit is not None else settings.matching.time_limit_s
    return Deadline.after(1.5 * limit)


def run_match(ws: Workspace, scenario: Scenario | None, settings: Settings, *, time_limit: float | None = None,
              progress=None, solver: Solver | None = None, unlock_search: UnlockSearch | None = None,
              cache: DerivedCache | None = None, deadline: Deadline | None = None) -> MatchResult:
    """``matching.api.match``'s work; ``unlock_search`` None = no unlocks (the re-runs verifying a plan);
    ``cache``: the caller's derived-data cache (None: one for this call, shared by its re-runs)."""
    t0 = time.perf_counter()
    cache = own(cache)
    deadline = deadline or match_deadline(settings, time_limit)
    solver = solver or HighsSolver.from_settings(settings.matching)
    report = (lambda f, msg: progress(min(1.0, f), msg)) if progress else None
    if report:
        report(0.0, "构建候选地块")
    sub = (lambda f, msg: report(0.05 + 0.6 * f, msg)) if report else None
    inst, placements, sol = solve_scenario(ws, scenario, settings, solver, time_limit, sub, cache=cache,
                                           deadline=deadline)
    if report:
        report(0.7, "分析未落地原因")
    unplaced, ideas = explain_unplaced(inst, placements)
    placed_ids = {pl.project_id for pl in placements}
    found = []
    if unlock_search is not None and ideas:
        def rerun(parcels, factories):
            # the re-run only needs the placement, not the optimality proof; past the deadline it is not run
            if deadline.passed():
                return set(placed_ids)
            _, pls, s = solve_scenario(ws, with_actions(scenario, parcels, factories), settings, solver, time_limit,
                                       prove=False, cache=cache, deadline=deadline)
            return set(placed_ids) if s.status == "timeout" else {pl.project_id for pl in pls}
        sub = (lambda f, msg: report(0.8 + 0.2 * f, msg)) if report else None
        found = unlock_search(inst, ideas, rerun, placed_ids, sub)
    zones, county = summarize(inst.ws, inst.projects, placements, unplaced, net=inst.model.net)
    if report:
        report(1.0, "完成")
    status = "timeout" if deadline.hit else sol.status
    return MatchResult(status=status, gap=sol.gap, placed=placements, unplaced=unplaced, zones=zones, county=county,
                       unlocks=found, placed_priority=float(sum(pl.priority for pl in placements)),
                       scenario=(scenario or Scenario()).describe(), solve_seconds=time.perf_counter() - t0,
                       bound=sol.bound)
