"""The plain model of the plan (用地保障方案): cells, candidate sites (minimal connected node sets at each date
level) and the actions each needs — see matching/plan.py and docs/matching.md ("用地保障方案 / The plan")."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.cache import DerivedCache, own
from geo.settings import Settings
from geo.workspace import Workspace
from matching.actions import COMPLETE_FACTORY, LAND_KINDS, STOCK_KINDS, Action, plan_actions
from matching.instance import Instance, build_instance


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
    col_ext: list[tuple]                    # (cell, actions) the site's block may grow into: usable when all are
                                            # funded (a cell may come with several minimal sets)
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
    (no duplicates). Returns (sites, truncated): truncated when ``max_cells`` or ``max_seen`` stopped a set that
    could still grow (the plan is then never reported optimal)."""
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
                truncated = truncated or bool(frontier)      # a larger site was not enumerated: not exact
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


REACH_NODES_PER_CELL = 4      # a site reaches at most this × max_site_cells nodes of its park (else: truncated)
REACH_PATHS = 4               # ... each by at most this many minimal sets of actions (else: truncated)


def _reach(site: tuple, adj: list[set], act: np.ndarray, n_free: int, allowed: set, cap: int):
    """The nodes a site's block may grow into once actions are funded (the pipeline or stock land around it and the
    free land beyond), each with every minimal set of actions that joins it to the site: a label-correcting search
    from the site's nodes through allowed nodes that are free land or have an action; a node's labels are the
    inclusion-minimal action sets of the paths reaching it. Returns ([(node, actions)], unsure): one entry per
    minimal set (the node is usable when any one of them is funded: exactly when it is connected to the site
    through funded or free land); unsure when more than ``cap`` nodes or ``REACH_PATHS`` sets of one node were cut
    (the model may then miss a plan: never reported optimal)."""
    from collections import deque
    site_set = {int(v) for v in site}
    labels: dict[int, list[frozenset]] = {v: [frozenset()] for v in site_set}
    tried: set[tuple] = set()
    queue = deque(sorted(site_set))
    unsure = False
    while queue:
        v = queue.popleft()
        for w in sorted(adj[v]):
            if w in site_set or w not in allowed or (act[w] < 0 and w >= n_free):
                continue
            if w not in labels and len(labels) - len(site_set) >= cap:
                unsure = True
                continue
            own = frozenset((int(act[w]),)) if act[w] >= 0 else frozenset()
            cur = labels.setdefault(w, [])
            changed = False
            for lab in list(labels[v]):
                new = lab | own
                if (w, new) in tried or any(k <= new for k in cur):
                    continue
                tried.add((w, new))
                cur[:] = [k for k in cur if not new <= k] + [new]
                changed = True
            if len(cur) > REACH_PATHS:
                unsure = True
                cur.sort(key=lambda k: (len(k), sorted(k)))
                del cur[REACH_PATHS:]
            if changed:
                queue.append(w)
    out = [(w, tuple(sorted(lab))) for w in sorted(labels) if w not in site_set for lab in labels[w]]
    return sorted(out), unsure


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


def _with_stock_nodes(ws: Workspace, actions: list[Action], settings: Settings, cache: DerivedCache):
    """(the workspace the plan's land model is built on, its geometry base or None): with stock actions, a copy
    where their parcels are land that is never ready unless funded — pipeline nodes of the model, like a
    待拆迁 parcel with no date — so a funded stock parcel joins the blocks around it as a cleared one does (match
    then sees it as ``Scenario.cleared_parcels`` made it: available now). The net land is derived from ``ws`` first,
    as for match's scenario copies."""
    ids = [a.parcel_id for a in actions if a.kind in STOCK_KINDS]
    if not ids:
        return ws, None
    from geo.netland import workspace_net
    workspace_net(ws, settings, cache)
    parcels = ws.parcels.copy()
    parcels.loc[ids, "status"] = "demolition"
    parcels.loc[ids, "ready_date"] = pd.NaT
    return dataclasses.replace(ws, parcels=parcels), ws


def build_plan_model(ws: Workspace, settings: Settings, *, as_of=None, actions: list[Action] | None = None,
                     dem=None, earthwork_cost_wan=None, zone_of=None, fixed=None,
                     cache: DerivedCache | None = None, stock: pd.DataFrame | None = None) -> PlanModel:
    """The candidate sites and factory places of every pending project, with the actions each needs.

    A project's site is a block as match would see it once some parcels are cleared: per date level the nodes are
    the level's blocks (land free for the project: available, or pipeline ready by its date) and each pipeline
    parcel not ready by then (an action); a candidate is a minimal connected set of nodes reaching the need. Its
    land (``col_cells``) is every cell of those nodes; its ``col_ext`` are the action cells touching it, which it
    may also use when they are cleared for another site (they then join its block). ``zone_of``: project id →
    the one park its candidates are restricted to (large instances), else every admitting park. ``fixed``:
    placements kept as they are (large instances: match's placements today); their land and floor space is
    taken and only the other projects get candidates. ``cache``: the caller's derived-data cache. ``stock``: the
    stock classes at ``as_of`` (``geo.stock.classify_workspace``; None: classified here) for the stock actions."""
    ps = settings.plan
    cache = own(cache)
    actions = actions if actions is not None else plan_actions(ws, settings, start=as_of, dem=dem,
                                                               earthwork_cost_wan=earthwork_cost_wan, stock=stock)
    plan_ws, base = _with_stock_nodes(ws, actions, settings, cache)
    inst = build_instance(plan_ws, ws.projects, settings, as_of, geometry_of=base, cache=cache)
    act_of_parcel = {a.parcel_id: i for i, a in enumerate(actions) if a.kind in LAND_KINDS}
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
    reach_cap = REACH_NODES_PER_CELL * ps.max_site_cells
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
                    reach, unsure = _reach(t, adj, act, n_free, allowed, reach_cap)
                    cut = cut or unsure
                    ext = tuple((int(k), req) for w, req in reach for k in members[w])
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
