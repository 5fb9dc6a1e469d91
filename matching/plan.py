"""The plan (用地保障方案): which clearing (拆迁/平整) and factory work to fund, chosen together with the placements in
one MILP (HiGHS), so that the most priority lands within a budget — then verified by re-running ``match``.

The model (docs/matching.md, "用地保障方案 / The plan"):
- **cells**: the blocks of land available now (``LandModel`` blocks at the first level) and every 待平整/待拆迁
  parcel on its own; two cells are adjacent when their parcels touch (the same touching rule as the blocks);
- **candidate sites** (columns) of a land project: connected sets of cells in an admitting park whose area reaches
  need × (1 + cut tolerance), minimal (no cell can be dropped), at most ``[plan] max_site_cells`` cells; a pipeline
  cell not ready by the project's date needs its clearing action. A project's candidate factories: ready by its date,
  or 在建/规划 (then the completion action is needed);
- **rows**: one option per project; each cell's area shared out among the sites that use it (continuous usage
  variables: a site takes need × (1 + tol) from its cells); a site needs each of its actions (x ≤ y); factory
  vacancy; Σ cost of the actions ≤ budget;
- **objective**, lexicographic by sequential solves: (1) max placed priority, (2) with it fixed, max investment,
  (3) with both fixed, min cost + a tie-break of 亩 cleared scaled below 0.01 万元.
The cells' shared-area rows are a relaxation of carving (like match's block rows); the truth is ``match`` on the
scenario with the plan's actions, which every plan is checked against (``Verification``).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix, vstack

from geo.errors import InputError
from geo.settings import Settings

from .actions import CLEAR, COMPLETE_FACTORY, Action, plan_actions
from .instance import Instance, build_instance
from geo.vocab import PIPELINE_STATUSES

from .model import Scenario, iso, r1


# --------------------------------------------------------------------------------------------- the plain model
@dataclass
class PlanModel:
    """Columns (candidate sites and factory places) over cells and actions. Column arrays: ``col_project``,
    ``col_kind`` ("land"/"factory"), ``col_cells`` (tuple of cell indices; land), ``col_factory`` (index into the
    instance's factories, -1 for land), ``col_actions`` (tuple of action indices)."""
    inst: Instance
    actions: list[Action]
    cell_area: np.ndarray
    cell_zone: np.ndarray
    cell_parcels: list[np.ndarray]          # node indices (LandModel) of each cell
    col_project: np.ndarray
    col_kind: np.ndarray
    col_cells: list[tuple]
    col_factory: np.ndarray
    col_actions: list[tuple]
    truncated: list[str]                    # projects whose candidate sites were cut at the caps
    investment: np.ndarray
    col_ext: list[tuple]                    # action cells touching the site: usable when cleared
    cell_action: np.ndarray                 # action index of each cell (-1: land available now)

    @property
    def n_cols(self) -> int:
        return len(self.col_project)


def _connected(cells: tuple, adj: list[set]) -> bool:
    s = set(cells)
    stack, seen = [cells[0]], {cells[0]}
    while stack:
        v = stack.pop()
        for u in adj[v]:
            if u in s and u not in seen:
                seen.add(u)
                stack.append(u)
    return len(seen) == len(s)


def _minimal_sites(starts, adj, area, allowed, need, max_cells, max_seen):
    """Connected sets of ``allowed`` cells with area ≥ need, minimal; each set is grown from its smallest cell
    (no duplicates). Returns (sites, truncated)."""
    out, truncated, seen = [], False, 0
    for s in starts:
        stack = [((s,), float(area[s]), frozenset(u for u in adj[s] if u > s and u in allowed))]
        visited = set()
        while stack:
            cells, a, frontier = stack.pop()
            if a >= need:
                if all(area[v] > a - need or not _connected(tuple(c for c in cells if c != v), adj)
                       for v in cells if len(cells) > 1):
                    out.append(tuple(sorted(cells)))
                continue
            if len(cells) >= max_cells:
                continue
            for u in sorted(frontier):
                nxt = tuple(sorted(cells + (u,)))
                if nxt in visited:
                    continue
                visited.add(nxt)
                seen += 1
                if seen > max_seen:
                    return out, True
                grow = (frontier | {w for w in adj[u] if w > s and w in allowed}) - set(nxt)
                stack.append((nxt, a + float(area[u]), frozenset(grow)))
    return out, truncated


def _fixed_use(m, node_cell: np.ndarray, n_cells: int, fixed) -> np.ndarray:
    """亩 of each cell the fixed land sites take (site ∩ parcel, in the block's ellipsoidal scale)."""
    import shapely
    from geo.units import M2_PER_MU
    use = np.zeros(n_cells)
    sites = np.array([pl.site for pl in fixed if pl.kind == "land" and pl.site is not None], dtype=object)
    if not len(sites):
        return use
    s_idx, n_idx = shapely.STRtree(m.geom).query(sites, predicate="intersects")
    inter = shapely.area(shapely.intersection(sites[s_idx], m.geom[n_idx])) / M2_PER_MU
    scale = m.net_mu[n_idx] / np.maximum(m.planar_mu[n_idx], 1e-12)
    np.add.at(use, node_cell[n_idx], inter * scale)
    return use


def build_plan_model(ws, settings: Settings, *, as_of=None, actions: list[Action] | None = None,
                     dem=None, earthwork_cost_wan=None, zone_of=None, fixed=None) -> PlanModel:
    """The candidate sites and factory places of every pending project, with the actions each needs.

    A project's site is a block as match would see it once some parcels are cleared: per date level the nodes are
    the level's blocks (land free for the project: available, or pipeline ready by its date) and each pipeline
    parcel not ready by then (an action); a candidate is a minimal connected set of nodes reaching the need. Its
    land (``col_cells``) is every cell of those nodes; its ``col_ext`` are the action cells touching it, which it
    may also use when they are cleared for another site (they then join its block). ``zone_of``: project id →
    the one park its candidates are restricted to (large instances), else every admitting park. ``fixed``:
    placements kept as they are (large instances: match's placements today); their land and floor space is
    taken and only the other projects get candidates."""
    ps = settings.plan
    inst = build_instance(ws, ws.projects, settings, as_of)
    actions = actions if actions is not None else plan_actions(ws, settings, start=as_of, dem=dem,
                                                               earthwork_cost_wan=earthwork_cost_wan)
    act_of_parcel = {a.parcel_id: i for i, a in enumerate(actions) if a.kind == CLEAR}
    act_of_factory = {a.factory_id: i for i, a in enumerate(actions) if a.kind == COMPLETE_FACTORY}
    m = inst.model
    n = len(m.pid)
    b0 = m.node_block[0]
    avail = m.available
    keys = np.unique(b0[avail])
    node_cell = np.full(n, -1, dtype=np.int64)
    node_cell[avail] = np.searchsorted(keys, b0[avail])
    pipe_nodes = np.flatnonzero(~avail)
    node_cell[pipe_nodes] = len(keys) + np.arange(len(pipe_nodes))
    n_cells = len(keys) + len(pipe_nodes)
    cell_area = np.r_[m.blocks.loc[keys, "area_mu"].to_numpy(dtype=float), m.net_mu[pipe_nodes]]
    cell_zone = np.r_[m.blocks.loc[keys, "zone_id"].to_numpy().astype(str), m.zone[pipe_nodes]].astype(object)
    order = np.argsort(node_cell, kind="stable")
    bounds = np.searchsorted(node_cell[order], np.arange(n_cells + 1))
    cell_parcels = [order[bounds[c]:bounds[c + 1]] for c in range(n_cells)]
    cell_action = np.r_[np.full(len(keys), -1), [act_of_parcel.get(m.pid[v], -1) for v in pipe_nodes]].astype(int)
    cell_adj: list[set] = [set() for _ in range(n_cells)]
    for a, b in zip(node_cell[m.left], node_cell[m.right]):
        if a != b:
            cell_adj[a].add(int(b))
            cell_adj[b].add(int(a))
    levels: dict[int, tuple] = {}

    def level_graph(li: int):
        """Nodes at date level ``li``: its blocks (free land) then the pipeline cells not ready by then."""
        if li not in levels:
            free_node = m.eligible_mask(m.levels[li])
            bk = m.node_block[li]
            fkeys = np.unique(bk[free_node])
            cnode = np.full(n_cells, -1, dtype=np.int64)
            cells_free = np.unique(node_cell[free_node])
            cnode[node_cell[free_node]] = np.searchsorted(fkeys, bk[free_node])
            rest = np.setdiff1d(np.arange(n_cells), cells_free)
            cnode[rest] = len(fkeys) + np.arange(len(rest))
            n_c = len(fkeys) + len(rest)
            srt = np.argsort(cnode, kind="stable")
            bd = np.searchsorted(cnode[srt], np.arange(n_c + 1))
            members = [tuple(sorted(srt[bd[k]:bd[k + 1]].tolist())) for k in range(n_c)]
            area = np.array([cell_area[list(c)].sum() for c in members])
            zone = np.array([cell_zone[c[0]] for c in members], dtype=object)
            act = np.r_[np.full(len(fkeys), -1), cell_action[rest]].astype(int)
            adj: list[set] = [set() for _ in range(n_c)]
            for a, b in zip(node_cell[m.left], node_cell[m.right]):
                ca, cb = cnode[a], cnode[b]
                if ca != cb:
                    adj[ca].add(int(cb))
                    adj[cb].add(int(ca))
            levels[li] = (members, area, zone, act, adj, cnode, len(fkeys))
        return levels[li]

    fixed_ids = set()
    if fixed:
        fixed_ids = {pl.project_id for pl in fixed}
        cell_area = cell_area - _fixed_use(m, node_cell, n_cells, fixed)
        floor = {}
        for pl in fixed:
            if pl.kind == "factory":
                floor[pl.factory_id] = floor.get(pl.factory_id, 0.0) + float(pl.floor_m2 or 0.0)
        inst = dataclasses.replace(inst, fac_vacant=inst.fac_vacant - np.array([floor.get(f, 0.0)
                                                                                  for f in inst.fac_id]))
    cell_area = np.maximum(cell_area, 0.0)
    tol = inst.tol
    col_p, col_kind, col_cells, col_fac, col_act, col_ext = [], [], [], [], [], []
    truncated = []
    cache: dict[tuple, tuple] = {}
    for p in range(len(inst.pid)):
        li = int(inst.li[p])
        if str(inst.pid[p]) in fixed_ids:
            continue
        if inst.need[p] > 0:
            zones = sorted(inst.zones_for(p))
            if zone_of is not None and zone_of.get(str(inst.pid[p])) in zones:
                zones = [zone_of[str(inst.pid[p])]]
            need = float(inst.need[p]) * (1 + tol)
            key = (tuple(zones), li, round(need, 9))
            if key not in cache:
                members, area, zone, act, adj, cnode, n_free = level_graph(li)
                allowed = set(np.flatnonzero(np.isin(zone, zones)).tolist())
                sites, cut = _minimal_sites(sorted(allowed), adj, area, allowed, need, ps.max_site_cells,
                                            200_000)
                rows = []
                for t in sites:
                    acts = tuple(sorted(int(act[c]) for c in t if act[c] >= 0))
                    if any(act[c] < 0 and c >= n_free for c in t):     # pipeline land with no action
                        continue
                    cells = tuple(sorted(x for c in t for x in members[c]))
                    ext = tuple(sorted({int(k) for c in cells for k in cell_adj[c]
                                        if cell_action[k] >= 0 and act[cnode[k]] >= 0 and k not in cells
                                        and cell_zone[k] in zones}))
                    cost = sum(actions[a].cost_wan for a in acts)
                    rows.append((cost, float(area[list(t)].sum()) - need, cells, acts, ext))
                # sparse candidates: the snuggest sites needing no action, the cheapest needing some
                free_rows = sorted((r for r in rows if not r[3]), key=lambda r: (r[1], r[2]))
                act_rows = sorted((r for r in rows if r[3]), key=lambda r: (r[0], r[1], r[2]))
                if len(free_rows) > ps.max_free_sites_per_project or len(act_rows) > ps.max_sites_per_project:
                    cut = True
                rows = free_rows[:ps.max_free_sites_per_project] + act_rows[:ps.max_sites_per_project]
                cache[key] = (rows, cut)
            rows, cut = cache[key]
            if cut:
                truncated.append(str(inst.pid[p]))
            for _, _, cells, acts, ext in rows:
                col_p.append(p)
                col_kind.append("land")
                col_cells.append(cells)
                col_fac.append(-1)
                col_act.append(acts)
                col_ext.append(ext)
        if inst.floor[p] > 0 and len(inst.fac_id):
            zones = inst.zones_for(p)
            if zone_of is not None and zone_of.get(str(inst.pid[p])) in zones:
                zones = {zone_of[str(inst.pid[p])]}
            ready = inst.fac_ready_at(li)
            for f in range(len(inst.fac_id)):
                if inst.fac_zone[f] not in zones or inst.fac_vacant[f] < inst.floor[p]:
                    continue
                if ready[f]:
                    acts = ()
                elif inst.fac_id[f] in act_of_factory:
                    acts = (act_of_factory[inst.fac_id[f]],)
                else:
                    continue
                col_p.append(p)
                col_kind.append("factory")
                col_cells.append(())
                col_fac.append(f)
                col_act.append(acts)
                col_ext.append(())
    inv = pd.to_numeric(inst.projects["investment_yi"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    for p in range(len(inst.pid)):
        if str(inst.pid[p]) in fixed_ids:
            col_p.append(p)              # a fixed placement: one column, forced, using nothing
            col_kind.append("fixed")
            col_cells.append(())
            col_fac.append(-1)
            col_act.append(())
            col_ext.append(())
    return PlanModel(inst, actions, cell_area, cell_zone, cell_parcels, np.array(col_p, dtype=np.int64),
                     np.array(col_kind, dtype=object), col_cells, np.array(col_fac, dtype=np.int64), col_act,
                     truncated, inv, col_ext, cell_action)


# ------------------------------------------------------------------------------------------------ the MILP
@dataclass
class _Rows:
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


def _rows(pm: PlanModel) -> _Rows:
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
    ext_col: list[int] = []    # the column of each usage variable
    for j in range(n_x):
        cells = pm.col_cells[j] + pm.col_ext[j]
        if len(cells) > 1:
            u_of.append([(k, len(u_hi) + i) for i, k in enumerate(cells)])
            for i, k in enumerate(pm.col_ext[j]):
                ext_rows.append((len(u_hi) + len(pm.col_cells[j]) + i, int(pm.cell_action[k]), k))
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
    # a touching cell is usable only when cleared: per (project, cell), Σ usage ≤ area × y
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
    return _Rows(A, np.array(lo, float), np.array(hi, float), n_x, n_u, n_y, np.array(u_hi, float), proj_rows,
                 (pm.col_kind == "fixed").astype(float))


@dataclass
class _Solved:
    x: np.ndarray
    y: np.ndarray
    status: str                 # "optimal" | "feasible" | "infeasible"
    gap: float


def _milp(rows: _Rows, c: np.ndarray, extra: list[tuple], time_limit: float, abs_gap: float,
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
    from scipy.optimize import Bounds
    from .solve import _stdout_silenced
    with _stdout_silenced():      # HiGHS' C++ code may print (it would break --json output)
        res = milp(c=c, integrality=integ, bounds=Bounds(lb, ub), constraints=LinearConstraint(A, lo, hi),
                   options={"time_limit": max(1.0, time_limit), "mip_rel_gap": 1e-6, "presolve": True})
    if res.x is None:
        return None, "infeasible" if res.status == 2 else "timeout"
    return res, "optimal" if res.status == 0 else "feasible"


def _gap(res, status: str) -> float:
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
        self.rows = _rows(pm)
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
    def _of(cls, rows: _Rows, prio, inv, cost, mu, res, time_limit) -> "PlanSolver":
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
            sub = _Rows(csr_matrix(R.A[rs][:, vs]), R.lo[rs], R.hi[rs], nx, nu, len(vs) - nx - nu,
                        R.u_hi[vs[nx:nx + nu] - R.n_x], slice(0, int((rs < n_p).sum())), R.x_lo[vs[:nx]])
            out.append((PlanSolver._of(sub, self.prio[vs], self.inv[vs], self.cost[vs], self.mu[vs], self.res,
                                       self.time_limit), vs))
        return out

    def values(self, sol: "_Solved") -> tuple[float, float, float]:
        """(cost, priority, investment) of a solution."""
        n_xu = self.rows.n_x + self.rows.n_u
        return (float(self.cost[n_xu:] @ sol.y), float(self.prio[:self.rows.n_x] @ sol.x),
                float(self.inv[:self.rows.n_x] @ sol.x))

    def pareto(self) -> list[tuple[float, float, float, "_Solved"]]:
        """Every budget breakpoint of this model alone: [(cost, priority, investment, solution)], cost and
        (priority, investment) strictly increasing."""
        points = []
        sol = self.best(0.0)
        points.append((*self.values(sol), sol))
        while True:
            _, P, I, _ = points[-1]
            # the next breakpoint: the least cost placing more priority, or as much and more investment (two
            # solves: one weighted row would need a precision HiGHS' tolerances do not give); the second is
            # bounded by the first's cost
            probes = [self.least_cost(None, min_prio=P + self.res / 2)]
            c_more = self.values(probes[0])[0] if probes[0].status not in ("infeasible", "timeout") else None
            probes.append(self.least_cost(None if c_more is None else c_more + 1e-4, min_prio=P - self.res / 4,
                                          min_inv=I + 0.005))
            costs = [self.values(s)[0] for s in probes if s.status not in ("infeasible", "timeout")]
            if not costs:
                break
            sol = self.best(min(costs) + 1e-4)
            c, p, i = self.values(sol)
            if p < P + self.res / 4 and i < I + 0.004:
                break          # numerical guard: no progress
            if probes[0].status != "optimal" and probes[0].status not in ("infeasible",):
                sol.status = "feasible"
            points.append((c, p, i, sol))
        return points

    def _budget(self, budget):
        return [] if budget is None else [(self.cost, -np.inf, float(budget) + 1e-6)]

    def best(self, budget: float | None, must: np.ndarray | None = None, min_prio=None, min_inv=None,
             fix_y=None) -> _Solved:
        """(1) max priority, (2) max investment, (3) min cost (+ 亩 tie-break), within the budget."""
        t0 = time.perf_counter()
        left = lambda: self.time_limit - (time.perf_counter() - t0)     # noqa: E731
        extra = self._budget(budget)
        if min_prio is not None:
            extra.append((self.prio, min_prio, np.inf))
        if min_inv is not None:
            extra.append((self.inv, min_inv, np.inf))
        alpha = 0.25 * self.res / (self.inv.sum() + 1.0)
        r1_, st = _milp(self.rows, -(self.prio + alpha * self.inv), extra, left() * 0.5, self.res * 0.1,
                        must, fix_y)
        if r1_ is None:
            return _Solved(np.zeros(self.rows.n_x), np.zeros(self.rows.n_y), "infeasible" if st == "infeasible"
                           else "timeout", 1.0)
        status, gap = st, _gap(r1_, st)
        P = float(self.prio @ np.round(r1_.x))
        extra2 = extra + [(self.prio, P - self.res / 4, np.inf)]
        r2, st2 = _milp(self.rows, -self.inv, extra2, left() * 0.5, 1e-4, must, fix_y)
        best = r1_
        if r2 is not None:
            best = r2
            I = float(self.inv @ np.round(r2.x))
            beta = 0.01 / (self.mu.sum() + 1.0)
            extra3 = extra2 + [(self.inv, I - 0.004, np.inf)]
            r3, st3 = _milp(self.rows, self.cost + beta * self.mu, extra3, max(1.0, left()), 1e-4, must, fix_y)
            if r3 is not None:
                best = r3
                if st3 != "optimal":
                    status = "feasible"
            if st2 != "optimal":
                status = "feasible"
        z = np.round(best.x)
        return _Solved(z[:self.rows.n_x], z[self.rows.n_x + self.rows.n_u:], status, gap)

    def least_cost(self, budget: float | None, must: np.ndarray | None = None, min_prio=None,
                   min_inv=None, outside: list[np.ndarray] = ()) -> _Solved:
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
        r, st = _milp(self.rows, self.cost + beta * self.mu, extra, self.time_limit, 1e-4, must)
        if r is None:
            return _Solved(np.zeros(self.rows.n_x), np.zeros(self.rows.n_y), st, 1.0)
        z = np.round(r.x)
        return _Solved(z[:self.rows.n_x], z[self.rows.n_x + self.rows.n_u:], st, _gap(r, st))


# ---------------------------------------------------------------------------------------------- the answer
@dataclass
class PlanAction:
    """A group of actions on one connected piece of pipeline land (or one factory), as reported."""
    action: str
    parcel_ids: list[str]
    factory_id: str | None
    zone_id: str
    area_mu: float
    cost_wan: float
    ready_by: object
    places: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"action": self.action, "parcel_ids": list(self.parcel_ids), "factory_id": self.factory_id,
                "area_mu": r1(self.area_mu), "cost_wan": round(self.cost_wan, 2), "ready_by": iso(self.ready_by),
                "places": list(self.places)}


@dataclass
class Verification:
    """``match`` re-run on the scenario of the plan's actions: ``exact`` when it places the claimed projects."""
    placed: list[str]
    claimed_only: list[str]
    match_only: list[str]
    placed_priority: float
    tie_swapped: tuple = ()      # (claimed, match's) projects swapped among placements of equal totals

    @property
    def exact(self) -> bool:
        return not self.claimed_only and not self.match_only

    def to_dict(self) -> dict:
        return {"exact": self.exact, "claimed_only": self.claimed_only, "match_only": self.match_only,
                "match_placed_priority": round(self.placed_priority, 6)}


@dataclass
class Plan:
    status: str
    gap: float
    budget_wan: float | None
    cost_wan: float
    actions: list[PlanAction]
    placed: list[str]                  # every project placed after the plan (claimed)
    placed_added: list[str]
    placed_priority: float
    placed_investment_yi: float
    cleared_parcels: tuple[str, ...]
    ready_factories: tuple[str, ...]
    verification: Verification | None = None
    frontier: list["Plan"] | None = None
    must_failed: list[dict] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def placed_count(self) -> int:
        return len(self.placed)

    @property
    def area_mu(self) -> float:
        return float(sum(a.area_mu for a in self.actions))

    def scenario(self, as_of=None) -> Scenario:
        return Scenario(as_of=as_of, cleared_parcels=self.cleared_parcels, ready_factories=self.ready_factories)

    def point(self) -> dict:
        return {"budget_wan": None if self.budget_wan is None else round(self.budget_wan, 2),
                "cost_wan": round(self.cost_wan, 2), "placed_priority": round(self.placed_priority, 6),
                "placed_investment_yi": round(self.placed_investment_yi, 2), "placed_count": self.placed_count,
                "actions": [a.to_dict() for a in self.actions]}

    def to_dict(self) -> dict:
        """``plan --json`` (``frontier`` only when computed; ``verification`` only when match disagrees;
        ``must_failed`` only in --must mode when some project cannot be placed)."""
        d = {"status": self.status, "gap": round(float(self.gap), 6), **self.point(),
             "placed_added": list(self.placed_added)}
        d = {k: d[k] for k in ("status", "gap", "budget_wan", "cost_wan", "actions", "placed_added",
                               "placed_priority", "placed_investment_yi", "placed_count")}
        if self.frontier is not None:
            d["frontier"] = [p.point() for p in self.frontier]
        if self.verification is not None and not self.verification.exact:
            d["verification"] = self.verification.to_dict()
        if self.must_failed:
            d["must_failed"] = list(self.must_failed)
        return d


def _group_actions(pm: PlanModel, y: np.ndarray, placements) -> list[PlanAction]:
    """Chosen actions grouped: touching cleared parcels of one park together (a piece of land), factories alone;
    ``places`` = the projects whose (verified) site or factory uses them."""
    chosen = [pm.actions[i] for i in np.flatnonzero(y > 0.5)]
    m = pm.inst.model
    node_of = {pid: i for i, pid in enumerate(m.pid)}
    clear = [a for a in chosen if a.kind == CLEAR]
    idx = {a.parcel_id: k for k, a in enumerate(clear)}
    parent = list(range(len(clear)))

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k
    for a, b in zip(m.left, m.right):
        pa, pb = m.pid[a], m.pid[b]
        if pa in idx and pb in idx:
            parent[find(idx[pa])] = find(idx[pb])
    groups: dict[int, list[Action]] = {}
    for k, a in enumerate(clear):
        groups.setdefault(find(k), []).append(a)
    uses: dict[str, set] = {}
    for pl in placements:
        for q in pl.parcel_ids:
            uses.setdefault(q, set()).add(pl.project_id)
        if pl.factory_id:
            uses.setdefault(f"factory:{pl.factory_id}", set()).add(pl.project_id)
    out = []
    for members in groups.values():
        ids = sorted(a.parcel_id for a in members)
        out.append(PlanAction(CLEAR, ids, None, members[0].zone_id, sum(a.area_mu for a in members),
                              sum(a.cost_wan for a in members), max(a.ready_by for a in members),
                              sorted(set().union(*(uses.get(q, set()) for q in ids)))))
    for a in chosen:
        if a.kind == COMPLETE_FACTORY:
            out.append(PlanAction(COMPLETE_FACTORY, [], a.factory_id, a.zone_id, 0.0, a.cost_wan, a.ready_by,
                                  sorted(uses.get(a.key, set()))))
    out.sort(key=lambda g: (g.action != CLEAR, g.zone_id, g.parcel_ids, g.factory_id or ""))
    del node_of
    return out


class Planner:
    """Plans on one workspace: the plan model, its MILP and the match re-runs that verify each plan."""

    def __init__(self, ws, settings: Settings, *, as_of=None, dem=None, earthwork_cost_wan=None,
                 time_limit: float | None = None, verify: bool = True):
        self.ws, self.settings, self.as_of = ws, settings, as_of
        self.verify = verify
        self.must_rounds = 8
        self._baseline = None
        self._base_placements = None
        self._zero = None
        self.bound = None
        self.large = len(ws.projects) > settings.plan.large_projects
        zone_of = self._zone_of() if self.large else None
        self.pm = build_plan_model(ws, settings, as_of=as_of, dem=dem, earthwork_cost_wan=earthwork_cost_wan,
                                   zone_of=zone_of, fixed=self._base_placements if self.large else None)
        self.solver = PlanSolver(self.pm, time_limit or settings.plan.time_limit_s)
        self.total_cost = float(sum(a.cost_wan for a in self.pm.actions))

    # -------------------------------------------------------------------------------------------- match
    def _match(self, cleared=(), factories=()):
        """``match`` on the scenario of these actions (with the explanations: the --must diagnosis)."""
        from .api import match
        sc = Scenario(as_of=self.as_of, cleared_parcels=tuple(cleared), ready_factories=tuple(factories))
        return match(self.ws, sc, settings=self.settings, unlocks=False)

    def _placements(self, cleared=(), factories=()):
        """The placements ``match`` makes on the scenario of these actions (its placement stage, as its unlock
        re-runs do: no optimality proof, no explanations)."""
        from .api import _solve
        from .solve import HighsSolver
        sc = Scenario(as_of=self.as_of, cleared_parcels=tuple(cleared), ready_factories=tuple(factories))
        _, placements, _ = _solve(self.ws, sc, self.settings, HighsSolver.from_settings(self.settings.matching),
                                  None, prove=False)
        return placements

    @property
    def baseline(self) -> set[str]:
        if self._baseline is None:
            self._base_placements = self._placements()
            self._baseline = {pl.project_id for pl in self._base_placements}
        return self._baseline

    def _zone_of(self) -> dict[str, str]:
        """Large instances: each project's one park — where match places it today, else its preferred park,
        else the admitting park with the most land counting all pipeline parcels."""
        _ = self.baseline
        out = {pl.project_id: pl.zone_id for pl in self._base_placements}
        parcels = self.ws.parcels
        land = parcels[parcels["status"].isin(("available", *PIPELINE_STATUSES))].groupby("zone_id")["net_mu"].sum()
        from .candidates import admitting_zones
        for _, p in self.ws.projects.iterrows():
            pid = str(p["project_id"])
            if pid in out:
                continue
            zones = admitting_zones(self.ws.zones, p["industry"])
            pref = p["preferred_zone"]
            if isinstance(pref, str) and pref in zones:
                out[pid] = pref
            elif zones:
                out[pid] = max(sorted(zones), key=lambda z: float(land.get(z, 0.0)))
        return out

    def upper_bound(self) -> float:
        """Large instances: no plan places more priority than match with every action applied (its bound)."""
        if self.bound is None:
            acts = self.pm.actions
            res = self._match([a.parcel_id for a in acts if a.kind == CLEAR],
                              [a.factory_id for a in acts if a.kind == COMPLETE_FACTORY])
            self.bound = float(res.bound if res.bound is not None else res.placed_priority)
        return self.bound

    # ---------------------------------------------------------------------------------------------- plans
    def _plan(self, sol: _Solved, budget) -> Plan:
        pm, inst = self.pm, self.pm.inst
        chosen = np.flatnonzero(sol.x > 0.5)
        placed = sorted({str(inst.pid[p]) for p in pm.col_project[chosen]})
        acts = [pm.actions[i] for i in np.flatnonzero(sol.y > 0.5)]
        # an action no chosen site needs is never funded (the cost objective drops it; guard anyway)
        needed = {a for j in chosen for a in pm.col_actions[j]} | \
            {int(pm.cell_action[k]) for j in chosen for k in pm.col_ext[j]}
        y = np.array([1.0 if (i in needed and sol.y[i] > 0.5) else 0.0 for i in range(len(pm.actions))])
        acts = [pm.actions[i] for i in np.flatnonzero(y > 0.5)]
        cleared = tuple(sorted(a.parcel_id for a in acts if a.kind == CLEAR))
        facs = tuple(sorted(a.factory_id for a in acts if a.kind == COMPLETE_FACTORY))
        prio = {str(k): float(v) for k, v in zip(inst.pid, inst.priority)}
        inv = {str(k): float(v) for k, v in zip(inst.pid, pm.investment)}
        verification, placements = None, []
        if self.verify:
            placements = self._placements(cleared, facs)
            got = sorted(pl.project_id for pl in placements)
            verification = Verification(got, sorted(set(placed) - set(got)), sorted(set(got) - set(placed)),
                                        float(sum(pl.priority for pl in placements)))
            if not verification.exact and \
                    abs(sum(prio[p] for p in got) - sum(prio[p] for p in placed)) < self.solver.res / 4 and \
                    abs(sum(inv[p] for p in got) - sum(inv[p] for p in placed)) < 0.004:
                # a tie: match's own choice among placements of equal priority and investment is reported
                verification = Verification(got, [], [], verification.placed_priority,
                                            (verification.claimed_only, verification.match_only))
            placed = got      # the totals reported are match's (the truth); a difference stays in verification
        status, gap = sol.status, sol.gap
        if (pm.truncated or self.large) and status == "optimal":
            status = "feasible"          # optimal over the candidates kept only
        plan = Plan(status=status, gap=gap, budget_wan=budget, cost_wan=float(sum(a.cost_wan for a in acts)),
                    actions=_group_actions(pm, y, placements), placed=placed,
                    placed_added=sorted(set(placed) - self.baseline) if self.verify else [],
                    placed_priority=sum(prio[p] for p in placed), placed_investment_yi=sum(inv[p] for p in placed),
                    cleared_parcels=cleared, ready_factories=facs, verification=verification,
                    truncated=list(pm.truncated))
        return plan

    def plan(self, budget_wan: float | None = None) -> Plan:
        """The best plan within ``budget_wan`` (None: no limit)."""
        t0 = time.perf_counter()
        sol = self.solver.best(budget_wan)
        plan = self._plan(sol, budget_wan)
        if self.large:
            self._large_gap(plan)
        plan.seconds = time.perf_counter() - t0
        return plan

    def _large_gap(self, plan: Plan) -> None:
        """Large instances (each project restricted to one park): the gap against match's bound with every
        action applied (valid for any budget, so loose for small ones)."""
        ub = self.upper_bound()
        plan.status = "feasible"
        plan.gap = max(plan.gap, max(0.0, (ub - plan.placed_priority) / max(ub, 1e-9)))

    def must(self, project_ids: list[str], budget_wan: float | None = None) -> Plan:
        """The least-cost plan that places ``project_ids`` (then as much priority as those actions allow), or a
        plan with ``must_failed`` naming the projects no plan can place and why."""
        inst = self.pm.inst
        index = {str(p): i for i, p in enumerate(inst.pid)}
        unknown = [p for p in project_ids if p not in index]
        if unknown:
            raise InputError(f"项目编号不存在：{'、'.join(unknown)}")
        lo = np.full(len(inst.pid), -np.inf)
        lo[[index[p] for p in project_ids]] = 1.0
        # first: keep what is placed today and add the listed projects (match maximises priority, so a plan that
        # only makes room for them may see that room go to other projects of equal priority); then: the listed
        # projects alone, excluding action sets match was seen to give to others
        base = self.plan_at_zero()
        target = base.placed_priority + float(sum(inst.priority[index[p]] for p in project_ids
                                                  if p not in base.placed))
        sol = None
        for min_prio in (target - self.solver.res / 4, None):
            outside: list[np.ndarray] = []
            for _ in range(self.must_rounds):
                sol = self.solver.least_cost(budget_wan, lo, min_prio=min_prio, outside=outside)
                if sol.status in ("infeasible", "timeout"):
                    break
                best = self.solver.best(None, fix_y=sol.y)   # the most priority under exactly these actions
                plan = self._plan(best if best.status not in ("infeasible", "timeout") else sol, budget_wan)
                got = set(plan.verification.placed if plan.verification is not None else plan.placed)
                if set(project_ids) <= got:
                    if sol.status != "optimal":
                        plan.status, plan.gap = "feasible", max(plan.gap, sol.gap)
                    return plan
                outside.append(sol.y)
        plan = self._plan(self.solver.best(budget_wan), budget_wan)
        plan.must_failed = self._why_not(project_ids, budget_wan)
        if sol is not None and sol.status == "timeout":
            plan.status = "feasible"
        return plan

    def plan_at_zero(self) -> Plan:
        if self._zero is None:
            self._zero = self.plan(0.0)
        return self._zero

    def least_cost_actions(self, project_ids: list[str]) -> tuple[list[Action], set[str]] | None:
        """The least-cost actions after which match places ``project_ids`` as well as what it places today
        (one MILP and one match re-run; no fallback): (actions, projects match places then), or None."""
        inst = self.pm.inst
        index = {str(p): i for i, p in enumerate(inst.pid)}
        if any(p not in index for p in project_ids):
            return None
        lo = np.full(len(inst.pid), -np.inf)
        lo[[index[p] for p in project_ids]] = 1.0
        base = self.plan_at_zero()
        target = base.placed_priority + float(sum(inst.priority[index[p]] for p in project_ids
                                                  if p not in base.placed))
        sol = self.solver.least_cost(None, lo, min_prio=target - self.solver.res / 4)
        if sol.status in ("infeasible", "timeout"):
            return None
        acts = [self.pm.actions[i] for i in np.flatnonzero(sol.y > 0.5)]
        got = {pl.project_id for pl in self._placements([a.parcel_id for a in acts if a.kind == CLEAR],
                                                        [a.factory_id for a in acts if a.kind == COMPLETE_FACTORY])}
        return (acts, got) if set(project_ids) <= got else None

    def _why_not(self, project_ids, budget_wan) -> list[dict]:
        """Per project that no plan can place: its reason code from match with every action applied (as match
        reports it), or BUDGET / TOGETHER when it can be placed alone but not within the budget or not with the
        others."""
        inst = self.pm.inst
        index = {str(p): i for i, p in enumerate(inst.pid)}
        out = []
        everything = None
        for pid in project_ids:
            lo = np.full(len(inst.pid), -np.inf)
            lo[index[pid]] = 1.0
            alone = self.solver.least_cost(None, lo)
            if alone.status not in ("infeasible", "timeout"):
                cost = float(self.solver.cost[self.solver.rows.n_x + self.solver.rows.n_u:] @ alone.y)
                if budget_wan is not None and cost > budget_wan + 1e-6:
                    out.append({"project_id": pid, "reason": "BUDGET",
                                "detail": f"单独安排至少需投入 {cost:,.1f} 万元，超过预算 {budget_wan:,.1f} 万元"})
                else:
                    out.append({"project_id": pid, "reason": "TOGETHER",
                                "detail": "单独可以安排，但与所列其他项目不能同时安排（用地或厂房不足）"})
                continue
            if everything is None:
                acts = self.pm.actions
                everything = self._match([a.parcel_id for a in acts if a.kind == CLEAR],
                                         [a.factory_id for a in acts if a.kind == COMPLETE_FACTORY])
            u = everything.unplaced_project(pid)
            if u is not None:
                out.append({"project_id": pid, "reason": u.reason, "detail": "完成全部平整/拆迁和厂房建设后仍无法安排："
                            + u.detail})
            else:
                out.append({"project_id": pid, "reason": "TOO_SMALL",
                            "detail": f"候选选址中没有足够的连片（最多 {self.settings.plan.max_site_cells} 块相连）"})
        return out

    def frontier(self) -> list[Plan]:
        """Every budget breakpoint from 0 to the cost of all actions: at each, the best plan (the least budget at
        which more priority, or at equal priority more investment, can be placed), then the point at the cost of
        everything. The model's independent parts (groups of parks sharing projects) each get their own
        breakpoints; the county's are their best combinations (exact: the lexicographic order of (priority,
        investment) adds up). Monotone by construction."""
        res = self.solver.res
        parts = self.solver.split()
        R = self.solver.rows
        fixed = R.x_lo > 0.5
        states = [(0.0, float(self.solver.prio[:R.n_x][fixed].sum()), float(self.solver.inv[:R.n_x][fixed].sum()),
                   ())]
        for k, (sub, _) in enumerate(parts):
            pts = sub.pareto()
            merged = [(c0 + c, p0 + p, i0 + i, ch + (j,)) for c0, p0, i0, ch in states
                      for j, (c, p, i, _) in enumerate(pts)]
            merged.sort(key=lambda t: (round(t[0], 6), -t[1], -t[2]))
            states = []
            for t in merged:
                if not states or t[1] > states[-1][1] + res / 4 or \
                        (t[1] > states[-1][1] - res / 4 and t[2] > states[-1][2] + 0.004):
                    states.append(t)
            parts[k] = (sub, parts[k][1], pts)
        n_xu = R.n_x + R.n_u
        points = []
        for cost, _, _, choice in states:
            z = np.zeros(self.solver.n)
            z[:R.n_x][fixed] = 1.0
            status, gap = "optimal", 0.0
            for (sub, vs, pts), j in zip(parts, choice):
                sol = pts[j][3]
                z[vs[:sub.rows.n_x]] = sol.x
                z[vs[sub.rows.n_x + sub.rows.n_u:]] = sol.y
                if sol.status != "optimal":
                    status, gap = "feasible", max(gap, sol.gap)
            plan = self._plan(_Solved(z[:R.n_x], z[n_xu:], status, gap), round(cost, 2))
            if self.large:
                self._large_gap(plan)
            points.append(plan)
        end = points[-1]
        if end.budget_wan < self.total_cost - 0.005:
            last = dataclasses.replace(end, budget_wan=round(self.total_cost, 2))
            points.append(last)
        return points


def plan(ws, *, settings: Settings, budget_wan: float | None = None, must: list[str] | None = None, as_of=None,
         frontier: bool = False, dem=None, earthwork_cost_wan=None, time_limit: float | None = None,
         verify: bool = True) -> Plan:
    """The plan (用地保障方案) for ``ws``: the best actions within ``budget_wan`` (None: no limit), or with ``must``
    the least-cost plan placing those projects; ``frontier`` adds every budget breakpoint. ``settings``:
    ``geo.settings.Settings`` (costs from its ``plan`` section); ``earthwork_cost_wan``: leveling costs per parcel
    computed elsewhere. Every plan is verified by re-running ``match`` on its scenario (``Plan.verification``)."""
    if budget_wan is not None and not budget_wan >= 0:
        raise InputError(f"预算必须是非负数（现为 {budget_wan} 万元）")
    t0 = time.perf_counter()
    planner = Planner(ws, settings, as_of=as_of, dem=dem, earthwork_cost_wan=earthwork_cost_wan,
                      time_limit=time_limit, verify=verify)
    result = planner.must(list(must), budget_wan) if must else planner.plan(budget_wan)
    if frontier:
        result.frontier = planner.frontier()
    result.seconds = time.perf_counter() - t0
    return result
