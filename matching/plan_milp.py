"""The plan's MILP over a ``PlanModel`` (matching.plan_model): rows, HiGHS solves (scipy.optimize.milp), the
lexicographic sequence (priority, investment, cost) and the breakpoints of one independent part."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix, vstack

from matching.plan_model import PlanModel


# ------------------------------------------------------------------------------------------------ the MILP
@dataclass
class Rows:
    """The MILP over [x (columns) | u (cell usage of multi-cell sites) | y (actions)]."""
    A: csr_matrix
    lo: np.ndarray
    hi: np.ndarray
    n_x: int
    n_u: int
    n_y: int
    u_hi: np.ndarray
    proj_rows: slice
    x_lo: np.ndarray         # 1 for the fixed placements' columns


def build_rows(pm: PlanModel) -> Rows:
    inst, tol = pm.inst, pm.inst.tol
    n_x, n_p, n_cells, n_y = pm.n_cols, len(inst.pid), len(pm.cell_area), len(pm.actions)
    r, c, v, lo, hi = [], [], [], [], []
    row = 0
    # projects: at most one option
    r += pm.col_project.tolist()
    c += list(range(n_x))
    v += [1.0] * n_x
    lo += [-np.inf] * n_p
    hi += [1.0] * n_p
    proj_rows = slice(0, n_p)
    row = n_p
    # usage variables of multi-cell sites
    u_of = []
    u_hi = []
    ext_rows = []          # (usage index, action, cell): an extension cell is usable only when cleared
    ext_col: list[int] = []    # the column of each usage variable (several rows per cell: one per action needed)
    for j in range(n_x):
        cells = pm.col_cells[j] + tuple(k for k, _ in pm.col_ext[j])
        if len(cells) > 1:
            u_of.append([(k, len(u_hi) + i) for i, k in enumerate(cells)])
            for i, (k, req) in enumerate(pm.col_ext[j]):
                for a in req:
                    ext_rows.append((len(u_hi) + len(pm.col_cells[j]) + i, int(a), k))
            ext_col += [j] * len(cells)
            u_hi += [float(pm.cell_area[k]) for k in cells]
        else:
            u_of.append([])
    n_u = len(u_hi)
    need = inst.need[pm.col_project] * (1 + tol)
    # cell capacity
    cap_r, cap_c, cap_v = [], [], []
    for j in range(n_x):
        cells = pm.col_cells[j]
        if len(cells) == 1 and not pm.col_ext[j]:
            cap_r.append(cells[0])
            cap_c.append(j)
            cap_v.append(need[j])
        for k, ui in u_of[j]:
            cap_r.append(k)
            cap_c.append(n_x + ui)
            cap_v.append(1.0)
    r += [row + k for k in cap_r]
    c += cap_c
    v += cap_v
    lo += [-np.inf] * n_cells
    hi += pm.cell_area.tolist()
    row += n_cells
    # a multi-cell site takes its need from its cells
    for j in range(n_x):
        if u_of[j]:
            r += [row] * (len(u_of[j]) + 1)
            c += [j] + [n_x + ui for _, ui in u_of[j]]
            v += [-need[j]] + [1.0] * len(u_of[j])
            lo.append(0.0)
            hi.append(np.inf)
            row += 1
    # a site needs its actions: per (project, action), Σ x of the project's sites needing it ≤ y (valid as a
    # project takes one site, and much stronger than one row per site)
    need_act: dict[tuple, list] = {}
    for j in range(n_x):
        for a in pm.col_actions[j]:
            need_act.setdefault((int(pm.col_project[j]), a), []).append(j)
    for (_, a), js in sorted(need_act.items()):
        r += [row] * (len(js) + 1)
        c += js + [n_x + n_u + a]
        v += [1.0] * len(js) + [-1.0]
        lo.append(-np.inf)
        hi.append(0.0)
        row += 1
    # land the site's block grows into is usable only when every action on the way is funded: per (project, cell,
    # action), Σ usage ≤ area × y
    ext_of: dict[tuple, list] = {}
    for ui, a, k in ext_rows:
        ext_of.setdefault((int(pm.col_project[ext_col[ui]]), k, a), []).append(ui)
    for (_, k, a), uis in sorted(ext_of.items()):
        r += [row] * (len(uis) + 1)
        c += [n_x + ui for ui in uis] + [n_x + n_u + a]
        v += [1.0] * len(uis) + [-float(pm.cell_area[k])]
        lo.append(-np.inf)
        hi.append(0.0)
        row += 1
    # factory vacancy
    fac = np.flatnonzero(pm.col_factory >= 0)
    for f in np.unique(pm.col_factory[fac]):
        js = fac[pm.col_factory[fac] == f]
        r += [row] * len(js)
        c += js.tolist()
        v += inst.floor[pm.col_project[js]].tolist()
        lo.append(-np.inf)
        hi.append(float(inst.fac_vacant[f]))
        row += 1
    A = coo_matrix((v, (r, c)), shape=(row, n_x + n_u + n_y)).tocsr()
    return Rows(A, np.array(lo, float), np.array(hi, float), n_x, n_u, n_y, np.array(u_hi, float), proj_rows,
                 (pm.col_kind == "fixed").astype(float))


@dataclass
class Solved:
    x: np.ndarray
    y: np.ndarray
    status: str                 # "optimal" | "feasible" | "infeasible"
    gap: float


def run_milp(rows: Rows, c: np.ndarray, extra: list[tuple], time_limit: float, abs_gap: float,
          proj_lo: np.ndarray | None = None, fix_y: np.ndarray | None = None) -> tuple[object, str]:
    """min c·z over the rows plus ``extra`` [(coefficients, lo, hi)]."""
    n = rows.n_x + rows.n_u + rows.n_y
    A, lo, hi = rows.A, rows.lo.copy(), rows.hi.copy()
    if proj_lo is not None:
        lo[rows.proj_rows] = proj_lo
    if extra:
        A = vstack([A, csr_matrix(np.vstack([e[0] for e in extra]))], format="csr")
        lo = np.r_[lo, [e[1] for e in extra]]
        hi = np.r_[hi, [e[2] for e in extra]]
    ub = np.r_[np.ones(rows.n_x), rows.u_hi, np.ones(rows.n_y)]
    lb = np.zeros(n)
    lb[:rows.n_x] = rows.x_lo
    if fix_y is not None:
        lb[rows.n_x + rows.n_u:] = ub[rows.n_x + rows.n_u:] = fix_y
    integ = np.r_[np.ones(rows.n_x), np.zeros(rows.n_u), np.ones(rows.n_y)]
    if n == 0:                    # nothing to choose: feasible when every row holds at zero
        from types import SimpleNamespace
        ok = bool(np.all(lo <= 1e-9) and np.all(hi >= -1e-9))
        return (SimpleNamespace(x=np.zeros(0), fun=0.0, mip_dual_bound=0.0, status=0), "optimal") if ok \
            else (None, "infeasible")
    from scipy.optimize import Bounds

    from matching.solve import stdout_silenced
    with stdout_silenced():      # HiGHS' C++ code may print (it would break --json output)
        res = milp(c=c, integrality=integ, bounds=Bounds(lb, ub), constraints=LinearConstraint(A, lo, hi),
                   options={"time_limit": max(1.0, time_limit), "mip_rel_gap": 1e-6, "presolve": True})
    if res.x is None:
        return None, "infeasible" if res.status == 2 else "timeout"
    return res, "optimal" if res.status == 0 else "feasible"


def mip_gap(res, status: str) -> float:
    if status == "optimal" or res is None:
        return 0.0
    bound, obj = getattr(res, "mip_dual_bound", None), res.fun
    if bound is None or not np.isfinite(bound):
        return 1.0
    return float(max(0.0, (obj - bound) / max(abs(bound), 1e-9)))


class PlanSolver:
    """The lexicographic solves of one plan model (its rows built once)."""

    def __init__(self, pm: PlanModel, time_limit: float):
        self.pm = pm
        self.rows = build_rows(pm)
        self.time_limit = time_limit
        n = self.rows.n_x + self.rows.n_u + self.rows.n_y
        self.n = n
        inst = pm.inst
        self.prio = np.zeros(n)
        self.prio[:pm.n_cols] = inst.priority[pm.col_project]
        self.inv = np.zeros(n)
        self.inv[:pm.n_cols] = pm.investment[pm.col_project]
        self.cost = np.zeros(n)
        self.cost[self.rows.n_x + self.rows.n_u:] = [a.cost_wan for a in pm.actions]
        self.mu = np.zeros(n)
        self.mu[self.rows.n_x + self.rows.n_u:] = [a.area_mu for a in pm.actions]
        self.res = inst.settings.priority_resolution

    @classmethod
    def _of(cls, rows: Rows, prio, inv, cost, mu, res, time_limit) -> "PlanSolver":
        obj = cls.__new__(cls)
        obj.pm, obj.rows, obj.time_limit, obj.n, obj.res = None, rows, time_limit, len(prio), res
        obj.prio, obj.inv, obj.cost, obj.mu = prio, inv, cost, mu
        return obj

    def split(self) -> list[tuple["PlanSolver", np.ndarray]]:
        """The independent parts of the model (no row in common but the budget): [(solver, variable indices)]."""
        from scipy.sparse import bmat
        from scipy.sparse.csgraph import connected_components
        R = self.rows
        A = csr_matrix(R.A, copy=True)
        A.data[:] = 1.0
        n_rows = A.shape[0]
        _, lab = connected_components(bmat([[None, A], [A.T, None]], format="csr"), directed=False)
        row_lab, var_lab = lab[:n_rows], lab[n_rows:]
        n_p = R.proj_rows.stop
        out = []
        for comp in np.unique(var_lab[:R.n_x]):
            vs = np.flatnonzero(var_lab == comp)
            if np.all(R.x_lo[vs[vs < R.n_x]] > 0.5) and np.all(vs < R.n_x):
                continue               # fixed placements alone: constants (the frontier sets them)
            rs = np.flatnonzero(row_lab == comp)
            nx = int((vs < R.n_x).sum())
            nu = int(((vs >= R.n_x) & (vs < R.n_x + R.n_u)).sum())
            sub = Rows(csr_matrix(R.A[rs][:, vs]), R.lo[rs], R.hi[rs], nx, nu, len(vs) - nx - nu,
                        R.u_hi[vs[nx:nx + nu] - R.n_x], slice(0, int((rs < n_p).sum())), R.x_lo[vs[:nx]])
            out.append((PlanSolver._of(sub, self.prio[vs], self.inv[vs], self.cost[vs], self.mu[vs], self.res,
                                       self.time_limit), vs))
        return out

    def values(self, sol: "Solved") -> tuple[float, float, float]:
        """(cost, priority, investment) of a solution."""
        n_xu = self.rows.n_x + self.rows.n_u
        return (float(self.cost[n_xu:] @ sol.y), float(self.prio[:self.rows.n_x] @ sol.x),
                float(self.inv[:self.rows.n_x] @ sol.x))

    def pareto(self) -> list[tuple[float, float, float, "Solved"]]:
        """Every budget breakpoint of this model alone: [(cost, priority, investment, solution)], cost and
        (priority, investment) strictly increasing."""
        points = []
        sol = self.best(0.0)
        points.append((*self.values(sol), sol))
        while True:
            _, P, inv_i, _ = points[-1]
            # the next breakpoint: the least cost placing more priority, or as much and more investment (two
            # solves: one weighted row would need a precision HiGHS' tolerances do not give); the second is
            # bounded by the first's cost
            probes = [self.least_cost(None, min_prio=P + self.res / 2)]
            c_more = self.values(probes[0])[0] if probes[0].status not in ("infeasible", "timeout") else None
            probes.append(self.least_cost(None if c_more is None else c_more + 1e-4, min_prio=P - self.res / 4,
                                          min_inv=inv_i + 0.005))
            costs = [self.values(s)[0] for s in probes if s.status not in ("infeasible", "timeout")]
            if not costs:
                break
            sol = self.best(min(costs) + 1e-4)
            c, p, i = self.values(sol)
            if p < P + self.res / 4 and i < inv_i + 0.004:
                break          # numerical guard: no progress
            if probes[0].status != "optimal" and probes[0].status not in ("infeasible",):
                sol.status = "feasible"
            points.append((c, p, i, sol))
        return points

    def _budget(self, budget):
        return [] if budget is None else [(self.cost, -np.inf, float(budget) + 1e-6)]

    def best(self, budget: float | None, must: np.ndarray | None = None, min_prio=None, min_inv=None,
             fix_y=None) -> Solved:
        """(1) max priority, (2) max investment, (3) min cost (+ 亩 tie-break), within the budget."""
        t0 = time.perf_counter()
        left = lambda: self.time_limit - (time.perf_counter() - t0)     # noqa: E731
        extra = self._budget(budget)
        if min_prio is not None:
            extra.append((self.prio, min_prio, np.inf))
        if min_inv is not None:
            extra.append((self.inv, min_inv, np.inf))
        alpha = 0.25 * self.res / (self.inv.sum() + 1.0)
        r1_, st = run_milp(self.rows, -(self.prio + alpha * self.inv), extra, left() * 0.5, self.res * 0.1,
                        must, fix_y)
        if r1_ is None:
            return Solved(np.zeros(self.rows.n_x), np.zeros(self.rows.n_y), "infeasible" if st == "infeasible"
                           else "timeout", 1.0)
        status, gap = st, mip_gap(r1_, st)
        P = float(self.prio @ np.round(r1_.x))
        extra2 = extra + [(self.prio, P - self.res / 4, np.inf)]
        r2, st2 = run_milp(self.rows, -self.inv, extra2, left() * 0.5, 1e-4, must, fix_y)
        best = r1_
        if r2 is not None:
            best = r2
            inv_i = float(self.inv @ np.round(r2.x))
            beta = 0.01 / (self.mu.sum() + 1.0)
            extra3 = extra2 + [(self.inv, inv_i - 0.004, np.inf)]
            r3, st3 = run_milp(self.rows, self.cost + beta * self.mu, extra3, max(1.0, left()), 1e-4, must, fix_y)
            if r3 is not None:
                best = r3
                if st3 != "optimal":
                    status = "feasible"
            if st2 != "optimal":
                status = "feasible"
        z = np.round(best.x)
        return Solved(z[:self.rows.n_x], z[self.rows.n_x + self.rows.n_u:], status, gap)

    def least_cost(self, budget: float | None, must: np.ndarray | None = None, min_prio=None,
                   min_inv=None, outside: list[np.ndarray] = ()) -> Solved:
        """The least cost (+ 亩 tie-break) reaching the given priority / investment / must-place rows;
        ``outside``: action sets (0/1 over the actions) the plan may not stay within (at least one action else)."""
        extra = self._budget(budget)
        n_xu = self.rows.n_x + self.rows.n_u
        for s in outside:
            row = np.zeros(self.n)
            row[n_xu:] = 1.0 - (np.asarray(s) > 0.5)
            extra.append((row, 1.0, np.inf))
        if min_prio is not None:
            extra.append((self.prio, min_prio, np.inf))
        if min_inv is not None:
            extra.append((self.inv, min_inv, np.inf))
        beta = 0.01 / (self.mu.sum() + 1.0)
        r, st = run_milp(self.rows, self.cost + beta * self.mu, extra, self.time_limit, 1e-4, must)
        if r is None:
            return Solved(np.zeros(self.rows.n_x), np.zeros(self.rows.n_y), st, 1.0)
        z = np.round(r.x)
        return Solved(z[:self.rows.n_x], z[self.rows.n_x + self.rows.n_u:], st, mip_gap(r, st))
