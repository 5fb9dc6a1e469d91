"""Stage 4, solving a ``matching.problem.Problem`` behind a ``Solver`` protocol (``match`` takes any object with its
``solve``); the default is HiGHS through scipy.optimize.milp and highspy's public ``Highs``, per independent
component of the option/row graph (an exact decomposition: in practice, by groups of zones sharing projects).
The status is never hidden: "optimal" only when proven, else "feasible" with the bound.
"""
from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import bmat, csc_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from geo.settings import MatchingSettings
from matching.problem import Problem


@dataclass
class LPRelaxation:
    """The pooled LP (large instances): columns = the options, then the pooled omitted ones."""
    x: np.ndarray | None        # None when the solver found no solution in time
    row_duals: np.ndarray       # ≥ 0 (maximisation); the first rows are the projects'
    bound: float                # from the duals: valid whether or not the LP was solved to optimality
    status: str                 # HiGHS' model status, e.g. "Optimal", "Time limit reached"


def dual_bound(A, rhs: np.ndarray, value: np.ndarray, y: np.ndarray) -> float:
    """Upper bound on max value·x s.t. A x ≤ rhs, 0 ≤ x ≤ 1 from any row prices y ≥ 0 (Lagrangian, weak duality):
    rhs·y + Σ max(0, value − Aᵀy). Equals the LP optimum at the optimal duals."""
    y = np.maximum(y, 0.0)
    return float(rhs @ y + np.maximum(value - A.T @ y, 0.0).sum())


def lp_relaxation(A, rhs: np.ndarray, value: np.ndarray, time_limit: float) -> LPRelaxation:
    """max value·x, A x ≤ rhs (rhs ≥ 0), 0 ≤ x ≤ 1 by HiGHS' primal simplex: x = 0 is feasible, and on the
    county-wide model it is ~3× faster than the dual simplex scipy's linprog uses. The bound comes from the row
    duals, so a solve cut short by the time limit still gives a valid (weaker) bound, never a false one."""
    import highspy
    A = csc_matrix(A)
    n_rows, n_cols = A.shape
    with stdout_silenced():        # constructing highspy.Highs prints HiGHS' banner (it would break --json output)
        h = highspy.Highs()
    for key, val in (("output_flag", False), ("simplex_strategy", 4), ("random_seed", 0),
                     ("time_limit", float(time_limit))):
        h.setOptionValue(key, val)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_cols, n_rows
    lp.col_cost_ = -np.asarray(value, dtype=float)
    lp.col_lower_, lp.col_upper_ = np.zeros(n_cols), np.ones(n_cols)
    lp.row_lower_, lp.row_upper_ = np.full(n_rows, -highspy.kHighsInf), np.asarray(rhs, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    h.passModel(lp)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    got = h.getSolution()
    y = np.maximum(-np.asarray(got.row_dual), 0.0) if got.dual_valid else np.zeros(n_rows)
    x = np.clip(np.asarray(got.col_value), 0.0, 1.0) if got.value_valid else None
    return LPRelaxation(x, y, dual_bound(A, rhs, value, y), status)


@contextmanager
def stdout_silenced():
    """File descriptor 1 to /dev/null for the duration (the banner is written by C++, past ``sys.stdout``)."""
    sys.stdout.flush()
    saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


@dataclass
class Solution:
    x: np.ndarray            # 0/1 per option
    status: str              # "optimal" | "feasible"
    objective: float
    bound: float             # upper bound on the objective (== objective when optimal)
    components: int
    seconds: float
    lp: LPRelaxation | None = None      # large instances: the LP behind the bound, to guide the polish

    @property
    def gap(self) -> float:
        return 0.0 if self.status == "optimal" else max(0.0, (self.bound - self.objective) / max(abs(self.bound), 1e-9))


def solve(A: csr_matrix, rhs: np.ndarray, value: np.ndarray, time_limit: float, abs_gap: float,
          progress=None) -> Solution:
    """Maximise ``value @ x`` s.t. ``A x ≤ rhs``, x binary, component by component within ``time_limit`` seconds.

    ``abs_gap``: a component is optimal when proven within this absolute objective distance (below the priority
    resolution, so no solution with more priority is missed).
    """
    t0 = time.perf_counter()
    n_rows, n_cols = A.shape
    x = np.zeros(n_cols)
    if n_cols == 0:
        return Solution(x, "optimal", 0.0, 0.0, 0, 0.0)
    # bipartite graph rows ↔ columns: its components are independent sub-problems
    A = csr_matrix(A)
    graph = bmat([[None, A], [A.T, None]], format="csr")
    n_comp, labels = connected_components(graph, directed=False)
    col_comp = labels[n_rows:]
    row_comp = labels[:n_rows]
    comps = np.unique(col_comp)
    cols_of = np.argsort(col_comp, kind="stable")
    col_bounds = np.searchsorted(col_comp[cols_of], np.r_[comps, comps[-1] + 1])
    rows_sorted = np.argsort(row_comp, kind="stable")
    row_bounds_keys = row_comp[rows_sorted]
    sizes = np.diff(col_bounds)
    remaining_cols = float(sizes.sum())
    status, bound, objective = "optimal", 0.0, 0.0
    Acsc = csc_matrix(A)
    for k, comp in enumerate(comps):
        cols = cols_of[col_bounds[k]:col_bounds[k + 1]]
        lo, hi = np.searchsorted(row_bounds_keys, [comp, comp + 1])
        rows = rows_sorted[lo:hi]
        sub = Acsc[:, cols][rows, :]
        v = value[cols]
        if np.all(np.asarray(sub.sum(axis=1)).ravel() <= rhs[rows] + 1e-9):
            xs = (v > 0).astype(float)          # every option fits at once: take all that pay
            x[cols] = xs
            objective += float(v @ xs)
            bound += float(v @ xs)
        else:
            left = time_limit - (time.perf_counter() - t0)
            share = max(0.5, left * len(cols) / max(remaining_cols, 1.0))
            ub = float(np.maximum(v, 0).sum())
            res = milp(c=-v, integrality=np.ones(len(cols)), bounds=(0, 1),
                       constraints=LinearConstraint(sub, -np.inf, rhs[rows]),
                       options={"time_limit": share, "mip_rel_gap": min(1e-4, abs_gap / max(ub, 1e-9)),
                                "presolve": True})
            if res.x is not None:
                xs = np.round(res.x)
                # guard against tolerance-level violations: drop options of violated rows
                over = (sub @ xs) > rhs[rows] + 1e-6
                if over.any():
                    bad = np.asarray(sub[over].sum(axis=0)).ravel() > 0
                    xs[bad] = 0
                    status = "feasible"
            else:
                xs = np.zeros(len(cols))
            x[cols] = xs
            obj = float(v @ xs)
            objective += obj
            comp_bound = -float(res.mip_dual_bound) if getattr(res, "mip_dual_bound", None) is not None \
                and np.isfinite(res.mip_dual_bound) else ub
            if res.status == 0 and res.x is not None:
                bound += max(obj, min(comp_bound, obj + abs_gap))
            else:
                status = "feasible"
                bound += max(obj, comp_bound)
        remaining_cols -= len(cols)
        if progress is not None:
            progress((k + 1) / len(comps), f"求解第 {k + 1}/{len(comps)} 组")
    return Solution(x, status, objective, bound, len(comps), time.perf_counter() - t0)


class Solver(Protocol):
    """Solves a ``Problem``: a 0/1 ``Solution`` with its status and bound (``prove=False``: the placement only)."""

    def solve(self, problem: Problem, time_limit: float, progress=None, prove: bool = True) -> Solution: ...


@dataclass(frozen=True)
class HighsSolver:
    """The default ``Solver``: exact per-component MILPs with a pooled optimality proof; above ``large_options``
    options (county-wide instances of 100k parcels) the better of two greedy starts and the LP-guided zone
    decomposition, with the gap measured against the LP relaxation of the pooled relaxation (``Solution.lp`` then
    guides ``matching.polish``)."""
    large_options: int

    @classmethod
    def from_settings(cls, settings: MatchingSettings) -> "HighsSolver":
        return cls(large_options=settings.large_options)

    def solve(self, problem: Problem, time_limit: float, progress=None, prove: bool = True) -> Solution:
        return solve_sparse(problem.A, problem.rhs, problem.value, problem.col_project, time_limit, problem.abs_gap,
                            progress, row_pool=problem.row_pool, col_pool=problem.col_pool, prove=prove,
                            omitted=problem.omitted.as_tuple(), col_zone=problem.col_zone,
                            large_options=self.large_options)


def solve_sparse(A: csr_matrix, rhs: np.ndarray, value: np.ndarray, col_project: np.ndarray,
                 time_limit: float, abs_gap: float, progress=None,
                 *, row_pool: np.ndarray | None = None, col_pool: np.ndarray | None = None,
                 prove: bool = True, omitted=None, col_zone: np.ndarray | None = None, large_options: int) -> Solution:
    """The MILP over the kept options (each project's best ``columns_per_project``), with an optimality proof for
    the full problem: ``omitted`` = (project, pool, best value, need) of the options left out, aggregated per
    project and zone (pool). A relaxation in which each project may take an omitted option of a zone using only
    the zone's total capacity bounds the full optimum; the status is "optimal" only when that bound is within half
    the priority resolution of the solution (no placement with more priority exists), else "feasible" with the gap.
    """
    t0 = time.perf_counter()
    has_omitted = omitted is not None and len(omitted[0]) > 0
    if A.shape[1] > large_options:
        return _solve_large(A, rhs, value, col_project, time_limit, abs_gap, progress, row_pool, col_pool, omitted,
                            prove, col_zone)
    # most of the time goes to finding the placement; the bound gets the rest
    sol = solve(A, rhs, value, time_limit * (0.6 if has_omitted and prove else 1.0), abs_gap, progress)
    if not has_omitted:
        return sol
    if not prove:
        sol.status = "feasible"
        sol.bound = max(sol.bound, sol.objective + float(np.maximum(omitted[2], 0).sum()))
        return sol
    left = max(1.0, time_limit - (time.perf_counter() - t0))
    upper = _pooled_bound(csc_matrix(A), np.maximum(rhs, 0.0), value, row_pool, col_pool, omitted, left, abs_gap)
    if sol.status == "optimal" and upper - sol.objective <= 2 * abs_gap * 0.999:
        return sol
    sol.status = "feasible"
    sol.bound = max(upper, sol.objective)
    sol.seconds = time.perf_counter() - t0
    return sol


def _best_fit_greedy(A: csr_matrix, rhs: np.ndarray, value: np.ndarray, col_project: np.ndarray,
                     first_fit: bool = False) -> np.ndarray:
    """Projects by value (priority first), each into its best-valued option that still fits (with ``first_fit``,
    its first option in column order: the largest block first, which spreads projects instead of crowding them)."""
    A = csc_matrix(A)
    slack = rhs.astype(float).copy()
    x = np.zeros(A.shape[1])
    top = np.full(col_project.max() + 1 if len(col_project) else 0, -np.inf)
    np.maximum.at(top, col_project, value)
    within = np.zeros(len(value)) if first_fit else -value
    order = np.lexsort((np.arange(len(value)), within, col_project, -top[col_project]))
    done = np.zeros(len(top), dtype=bool)
    for c in order:
        p = col_project[c]
        if done[p]:
            continue
        r, a = A.indices[A.indptr[c]:A.indptr[c + 1]], A.data[A.indptr[c]:A.indptr[c + 1]]
        if np.all(slack[r] - a >= -1e-9):
            slack[r] -= a
            x[c] = 1
            done[p] = True
    return x


def fill_unplaced(A, rhs: np.ndarray, value: np.ndarray, col_project: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Best-fit greedy for the projects ``x`` leaves unplaced, in the capacity ``x`` leaves free."""
    placed = np.zeros(int(col_project.max()) + 1, dtype=bool)
    placed[col_project[x > 0.5]] = True
    free = np.flatnonzero(~placed[col_project])
    if not len(free):
        return x
    slack = rhs - A @ x
    xf = _best_fit_greedy(A[:, free], np.maximum(slack, 0.0), value[free], col_project[free])
    out = x.copy()
    out[free] = xf
    return out


def _zone_decomposed(A, rhs, value, col_project, col_zone, x_lp, x_start, time_limit, abs_gap, progress):
    """A placement guided by the LP: each project is fixed to the zone holding most of its LP mass (else the zone
    of its start placement, else of its best option); the zones are then independent exact MILPs (small: solve()
    splits them), and a best-fit pass places what is left in the capacity still free."""
    n_p = int(col_project.max()) + 1
    zones, zc = np.unique(col_zone, return_inverse=True)
    mass = np.zeros((n_p, len(zones)))
    np.add.at(mass, (col_project, zc), x_lp)
    start = np.full(n_p, -1)
    on = x_start > 0.5
    start[col_project[on]] = zc[on]
    best = np.full(n_p, -1)
    order = np.lexsort((np.arange(len(value)), -value, col_project))
    head = np.r_[True, col_project[order][1:] != col_project[order][:-1]]
    best[col_project[order][head]] = zc[order][head]
    z = np.where(mass.max(axis=1) > 1e-6, mass.argmax(axis=1), np.where(start >= 0, start, best))
    cols = np.flatnonzero(zc == z[col_project])
    sub = solve(csr_matrix(A[:, cols]), rhs, value[cols], time_limit, abs_gap, progress)
    x = np.zeros(len(value))
    x[cols] = sub.x
    return fill_unplaced(csc_matrix(A), rhs, value, col_project, x)


def _solve_large(A, rhs, value, col_project, time_limit, abs_gap, progress, row_pool, col_pool, omitted,
                 prove, col_zone=None) -> Solution:
    """The better of two greedy starts and the LP-guided zone decomposition. One LP, of the pooled relaxation,
    gives the bound (any placement of the full problem maps to it), the guidance and the row duals."""
    t0 = time.perf_counter()
    rhs = np.maximum(rhs, 0.0)
    n_cols = A.shape[1]
    # two greedy starts, best fit (snug) and first fit (largest block first)
    best = max((_best_fit_greedy(A, rhs, value, col_project, first_fit=ff) for ff in (False, True)),
               key=lambda x: float(value @ x))
    Acsc = csc_matrix(A)
    if omitted is not None and len(omitted[0]):
        A_rel, rhs_rel, v_rel = _pooled_model(Acsc, rhs, value, row_pool, col_pool, omitted)
    else:
        A_rel, rhs_rel, v_rel = Acsc, rhs, value
    if progress is not None:
        progress(0.05, "求解线性松弛（上界）")
    lp = lp_relaxation(A_rel, rhs_rel, v_rel, max(5.0, time_limit * 0.45))
    solved = lp.x is not None
    bound = lp.bound
    if lp.status != "Optimal" and omitted is not None and len(omitted[0]):
        # cut short (a loaded machine): a coarser bound, with every land option pooled to its zone, is quick
        coarse = lp_relaxation(*_zone_pooled_model(Acsc, rhs, value, col_project, row_pool, col_pool, omitted),
                               10.0)
        bound = min(bound, coarse.bound)
    if solved and col_zone is not None:
        # one MILP over all zones does not even finish presolve in the time; per-zone MILPs do
        left = time_limit * 0.75 - (time.perf_counter() - t0)
        xz = _zone_decomposed(A, rhs, value, col_project, col_zone, lp.x[:n_cols], best, max(5.0, left), abs_gap,
                              progress)
        if float(value @ xz) > float(value @ best) and np.all(A @ xz <= rhs + 1e-6):
            best = xz
    elif col_zone is None:
        sub = solve(A, rhs, value, time_limit * 0.6, abs_gap, progress)
        if sub.objective > float(value @ best):
            best = sub.x
    objective = float(value @ best)
    sol = Solution(best, "feasible", objective, max(objective, bound), 0, 0.0)
    if solved:
        sol.lp = lp
    if prove and solved and sol.bound - objective <= 2 * abs_gap * 0.999:
        sol.status = "optimal"
    sol.seconds = time.perf_counter() - t0
    return sol


def _pooled_model(Acsc, rhs, value, row_pool, col_pool, omitted):
    agg_p, agg_pool, agg_value, agg_need = omitted
    n_rows = Acsc.shape[0]
    pools = np.unique(np.r_[row_pool[row_pool >= 0], agg_pool])
    pooled = row_pool >= 0
    P = csr_matrix((np.ones(int(pooled.sum())), (np.searchsorted(pools, row_pool[pooled]), np.flatnonzero(pooled))),
                   shape=(len(pools), n_rows))
    n_agg = len(agg_p)
    proj_rows = csr_matrix((np.ones(n_agg), (agg_p, np.arange(n_agg))), shape=(n_rows, n_agg))
    pool_rows = csr_matrix((agg_need, (np.searchsorted(pools, agg_pool), np.arange(n_agg))),
                           shape=(len(pools), n_agg))
    return bmat([[Acsc, proj_rows], [P @ Acsc, pool_rows]], format="csr"), np.r_[rhs, P @ rhs], \
        np.r_[value, agg_value]


def _zone_pooled_model(Acsc, rhs, value, col_project, row_pool, col_pool, omitted):
    """The pooled relaxation with the kept land options pooled too: one option per (project, zone) at the best
    value and the least need, using only the zone's total capacity. Weaker than the pooled model, and small."""
    agg_p, agg_pool, agg_value, agg_need = omitted
    land = np.flatnonzero(col_pool >= 0)
    need = np.asarray(Acsc[np.flatnonzero(row_pool >= 0)][:, land].max(axis=0).todense()).ravel()
    pair, inv = np.unique(np.c_[np.r_[col_project[land], agg_p], np.r_[col_pool[land], agg_pool]], axis=0,
                          return_inverse=True)
    best, least = np.full(len(pair), -np.inf), np.full(len(pair), np.inf)
    np.maximum.at(best, inv.ravel(), np.r_[value[land], agg_value])
    np.minimum.at(least, inv.ravel(), np.r_[need, agg_need])
    factories = np.flatnonzero(col_pool < 0)
    return _pooled_model(Acsc[:, factories], rhs, value[factories], row_pool, col_pool[factories],
                         (pair[:, 0], pair[:, 1], best, least))


def _pooled_bound(Acsc, rhs, value, row_pool, col_pool, omitted, time_limit, abs_gap) -> float:
    """Upper bound on the full problem: the kept options stay exact; each project may also take one aggregated
    omitted option per zone, worth the best omitted value, which uses only that zone's pooled capacity (the sum of
    its top-level block rows, over kept options too).

    Valid: a full solution maps to a relaxed one of no lower value (an omitted option's need is counted in its
    zone's pool; every block row of a kept option is unchanged). Tight when the projects left unplaced have no
    land left in the pools, which is the usual case (abundant small blocks, scarce large ones).
    """
    A_rel, rhs_rel, v_rel = _pooled_model(Acsc, rhs, value, row_pool, col_pool, omitted)
    rel = solve(A_rel, rhs_rel, v_rel, time_limit, abs_gap)
    return rel.bound          # HiGHS' dual bound (≥ the relaxation's optimum): rigorous
