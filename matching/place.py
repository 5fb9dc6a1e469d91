"""The placement of one instance: options → problem → solve (→ polish) → carve, repaired until every planned site
can be cut.

When a planned set of sites cannot be carved: on small problems a no-good cut is added and the problem solved again
(at most ``repair_rounds`` times); on large ones (or when time or rounds run out) the lowest-priority project of that
set is left unplaced and the status reported as feasible, with the gap.
"""
from __future__ import annotations

import time

import numpy as np

from matching.bounds import Deadline
from matching.instance import Instance
from matching.model import Placement
from matching.options import FACTORY, LAND, Options, build_options
from matching.polish import polish
from matching.problem import Problem, build_problem
from matching.sites import Carver, carve_sites
from matching.solve import Solution, Solver, fill_unplaced


def place(inst: Instance, solver: Solver, time_limit: float, progress=None,
          prove: bool = True, deadline: Deadline | None = None) -> tuple[list[Placement], Solution]:
    """The placements of ``inst``'s projects and the solution behind them (status, objective, bound). After the
    ``deadline`` no more sites are carved: the status is then "timeout" (the sites cut so far are kept)."""
    ms = inst.settings
    options = build_options(inst)
    base = problem = build_problem(inst, options)
    carver = Carver(inst, deadline)
    rounds = ms.repair_rounds if problem.n_options <= ms.resolve_max_options else 0
    t0 = time.perf_counter()
    for attempt in range(rounds + 1):
        left = max(1.0, time_limit - (time.perf_counter() - t0))
        sol = solver.solve(problem, left, progress, prove)
        if sol.lp is not None:          # large instance: re-pack the contested parks
            sol.x, options, base = polish(inst, options, base, sol.x, sol, t0 + time_limit)
            problem = base              # options may have been added
            sol.objective = float(options.value @ sol.x)
            sol.bound = max(sol.bound, sol.objective)
            if prove and sol.bound - sol.objective <= 2 * problem.abs_gap * 0.999:
                sol.status = "optimal"
            sol.seconds = time.perf_counter() - t0
        chosen = np.flatnonzero(sol.x > 0.5)
        carving = carve_sites(carver, options, chosen, problem.top_level)
        if not carving.failed:
            return carving.placements, sol
        if attempt == rounds or time.perf_counter() - t0 > time_limit / 2 or carver.deadline.hit:
            break
        problem = problem.with_cuts(carving.failed)
    # drop the lowest-priority project of each uncarvable set until the rest can be carved
    top = problem.top_level
    kept = set(chosen.tolist())
    for cols in carving.failed:
        root = int(inst.model.at_level(options.resource[cols[:1]], top)[0])
        for c in carver.without(options, root, cols, top):
            kept.discard(c)
    if sol.lp is not None:
        kept = _refill(carver, options, problem, kept)
    placements = carve_sites(carver, options, np.array(sorted(kept), dtype=np.int64), top).placements
    sol.status = "timeout" if carver.deadline.hit else "feasible"    # optimality is no longer proven
    sol.objective = float(sum(options.value[c] for c in kept))
    return placements, sol


def _refill(carver: Carver, options: Options, problem: Problem, chosen: set[int]) -> set[int]:
    """Large instances, after uncarvable sets were thinned: the land and projects left over go to a best-fit
    pass; a block tree keeps its new sites only if they can all be cut with the old ones."""
    x = np.zeros(len(options))
    x[sorted(chosen)] = 1
    new = np.flatnonzero(fill_unplaced(problem.A, problem.rhs, options.value, options.project, x) > x + 0.5)
    land = new[options.kind[new] == LAND]
    out = set(chosen) | set(new[options.kind[new] == FACTORY].tolist())
    if not len(land):
        return out
    top = problem.top_level
    at_level = carver.inst.model.at_level
    old = np.array(sorted(c for c in chosen if options.kind[c] == LAND), dtype=np.int64)
    old_root = at_level(options.resource[old], top)
    new_root = at_level(options.resource[land], top)
    for root in np.unique(new_root):
        cols = np.r_[old[old_root == root], land[new_root == root]]
        if carver.block(options, int(root), cols, top) is not None:
            out |= set(land[new_root == root].tolist())
    return out
