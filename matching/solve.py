"""The assignment MILP (HiGHS through scipy.optimize.milp), solved per independent component.

Variables: x[c] ∈ {0,1} for each option c = (project, block) or (project, factory). Rows (all ≤):
  - each project takes at most one option;
  - each block B at each date level: the needs of the projects whose site must lie inside B (assigned to B or to a
    block inside it at an earlier level) sum to at most B's area (the blocks nest, so this is a laminar family);
  - each factory: floor space taken ≤ vacant_m2;
  - no-good cuts added when a planned set of sites could not be carved.
Objective: maximise Σ (priority + tie-break) x; the tie-breaks are scaled to sum below half the priority resolution,
so they only order solutions of equal priority. Components of the option/row graph are solved separately
(an exact decomposition: in practice, by groups of zones sharing projects).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import bmat, csc_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components


@dataclass
class Solution:
    x: np.ndarray            # 0/1 per option
    status: str              # "optimal" | "feasible"
    objective: float
    bound: float             # upper bound on the objective (== objective when optimal)
    components: int
    seconds: float

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
    if status == "optimal":
        bound = objective
    return Solution(x, status, objective, bound, len(comps), time.perf_counter() - t0)


def greedy(A: csr_matrix, rhs: np.ndarray, priority: np.ndarray, col_project: np.ndarray,
           col_resource: np.ndarray) -> np.ndarray:
    """The spreadsheet method, for benchmarks only: projects by priority (highest first, then in list order),
    each into the first block or factory (in ledger order) that still has room. Area rule only, no carving."""
    A = csc_matrix(A)
    slack = rhs.astype(float).copy()
    x = np.zeros(A.shape[1])
    order = np.lexsort((col_resource, col_project, -priority))
    done: set[int] = set()
    for c in order:
        p = int(col_project[c])
        if p in done:
            continue
        start, end = A.indptr[c], A.indptr[c + 1]
        r, a = A.indices[start:end], A.data[start:end]
        if np.all(slack[r] - a >= -1e-9):
            slack[r] -= a
            x[c] = 1
            done.add(p)
    return x


_debug = False


def solve_sparse(A: csr_matrix, rhs: np.ndarray, value: np.ndarray, col_project: np.ndarray, per_project: int,
                 max_columns: int, time_limit: float, abs_gap: float, progress=None,
                 row_pool: np.ndarray | None = None, col_pool: np.ndarray | None = None,
                 prove: bool = True) -> Solution:
    """The same problem with sparse candidates: each project starts with its ``per_project`` best options; LP
    pricing adds options that could improve the LP; then reduced-cost fixing proves which omitted options can
    never be in a better solution, and the MILP is re-solved with the others. The status is "optimal" only
    when that proof holds for the full problem; otherwise the gap is measured against the LP bound.
    """
    from scipy.optimize import linprog
    t0 = time.perf_counter()
    n = A.shape[1]
    order = np.lexsort((np.arange(n), -value, col_project))
    start = np.r_[0, np.flatnonzero(np.diff(col_project[order])) + 1] if n else np.zeros(0, dtype=np.int64)
    rank = np.empty(n, dtype=np.int64)
    if n:
        rank[order] = np.arange(n) - np.repeat(start, np.diff(np.r_[start, n]))
    keep = rank < per_project
    if col_pool is not None:
        keep |= col_pool < 0                        # options outside any pool (factories) are always kept
    if keep.all():
        return solve(A, rhs, value, time_limit, abs_gap, progress)
    Acsc = csc_matrix(A)
    rhs = np.maximum(rhs, 0.0)
    for _ in range(8):                              # column generation on the LP relaxation
        lp = linprog(-value[keep], A_ub=Acsc[:, keep], b_ub=rhs, bounds=(0, 1), method="highs")
        y = np.maximum(-lp.ineqlin.marginals, 0.0)
        rc = value - Acsc.T @ y
        add = ~keep & (rc > 1e-9)
        if not add.any():
            break
        keep |= add
    upper = float(y @ rhs + np.maximum(rc, 0.0).sum())   # Lagrangian bound, valid for any y ≥ 0
    left = lambda: max(1.0, time_limit - (time.perf_counter() - t0))  # noqa: E731
    cols = np.flatnonzero(keep)
    sol = solve(csr_matrix(Acsc[:, cols]), rhs, value[cols], left(), abs_gap, progress)
    # proven when no solution can add a priority step: the bound is within half the resolution (= 2 × abs_gap)
    proof_gap = 2 * abs_gap * 0.999
    if sol.status == "optimal" and upper - sol.objective <= proof_gap:
        return _lift(sol, cols, n, sol.objective, t0)
    if not prove:
        out = _lift(sol, cols, n, upper, t0)
        out.status, out.bound = "feasible", max(upper, out.objective)
        return out
    if row_pool is not None and col_pool is not None:
        relaxed = _pooled_bound(Acsc, rhs, value, col_project, keep, row_pool, col_pool, left(), abs_gap)
        if _debug:
            print(f"pooled bound {relaxed:.4f} vs best {sol.objective:.4f}")
        if sol.status == "optimal" and relaxed - sol.objective <= proof_gap:
            return _lift(sol, cols, n, sol.objective, t0)
        upper = min(upper, relaxed)
    # reduced-cost fixing: an option with rc < -(upper - best) cannot be in any better solution
    need = ~keep & (rc >= -(upper - sol.objective) - 1e-9)
    proven = sol.status == "optimal"
    if need.sum() + keep.sum() > min(max_columns, 3 * keep.sum()):
        need[:] = False        # the fixing is too weak to prove anything: keep the solution, report the gap
        proven = False
    if _debug:
        print(f"sparse: cols {int(keep.sum())}/{n} upper {upper:.4f} first {sol.objective:.4f} {sol.status} "
              f"need {int(need.sum())} t={time.perf_counter() - t0:.2f}")
    if need.any():
        keep |= need
        cols2 = np.flatnonzero(keep)
        sol2 = solve(csr_matrix(Acsc[:, cols2]), rhs, value[cols2], left(), abs_gap, progress)
        if sol2.objective >= sol.objective - 1e-9:
            sol, cols = sol2, cols2
        proven = proven and sol2.status == "optimal"
    out = _lift(sol, cols, n, upper, t0)
    if not proven:
        out.status = "feasible"
        out.bound = max(min(upper, out.bound if sol.status != "optimal" else upper), out.objective)
    return out


def _pooled_bound(Acsc, rhs, value, col_project, keep, row_pool, col_pool, time_limit, abs_gap) -> float:
    """An upper bound for the full problem from a relaxation that keeps the kept options exact and lets each
    project take any omitted option of a pool (a zone) for its best value, using only the pool's total capacity.

    Valid because every omitted option's coefficients sum, over the pool's rows, to the same need: a full solution
    maps to a feasible relaxed one of no lower value. Tight when the unplaced projects have no kept land options.
    """
    kept = np.flatnonzero(keep)
    omitted = np.flatnonzero(~keep)
    pools = np.unique(row_pool[row_pool >= 0])
    n_rows = Acsc.shape[0]
    # pool rows = sums of the pool's rows, over kept options
    P = csr_matrix((np.ones(int((row_pool >= 0).sum())), (np.searchsorted(pools, row_pool[row_pool >= 0]),
                    np.flatnonzero(row_pool >= 0))), shape=(len(pools), n_rows))
    pool_rhs = P @ rhs
    kept_pool = P @ Acsc[:, kept]
    # one aggregated option per (project, pool) among the omitted: best value, its need (column sum over the pool)
    key = col_project[omitted] * (len(pools) + 1) + np.searchsorted(pools, col_pool[omitted])
    uniq, first = np.unique(key, return_index=True)
    best = np.full(len(uniq), -np.inf)
    np.maximum.at(best, np.searchsorted(uniq, key), value[omitted])
    proj = col_project[omitted][first]
    pool = np.searchsorted(pools, col_pool[omitted][first])
    need = np.asarray((P @ Acsc[:, omitted[first]]).sum(axis=0)).ravel()
    n_agg = len(uniq)
    proj_rows = csr_matrix((np.ones(n_agg), (proj, np.arange(n_agg))), shape=(n_rows, n_agg))
    pool_rows = csr_matrix((need, (pool, np.arange(n_agg))), shape=(len(pools), n_agg))
    from scipy.sparse import bmat as _bmat
    A_rel = _bmat([[Acsc[:, kept], proj_rows], [kept_pool, pool_rows]], format="csr")
    rel = solve(A_rel, np.r_[rhs, pool_rhs], np.r_[value[kept], best], time_limit, abs_gap)
    return rel.bound if rel.status != "optimal" else rel.objective


def _lift(sol: Solution, cols: np.ndarray, n: int, upper: float, t0: float) -> Solution:
    x = np.zeros(n)
    x[cols] = sol.x
    bound = sol.objective if sol.status == "optimal" else max(sol.objective, min(upper, sol.bound))
    return Solution(x, sol.status, sol.objective, bound, sol.components, time.perf_counter() - t0)
