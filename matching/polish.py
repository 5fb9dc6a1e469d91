"""Stage 5 (large instances only): the land of the contested parks re-packed as bins (``matching.binpack``).

Contested: the LP relaxation places clearly more priority in a park than the placement (``polish_min_zone_gap``);
parks sharing projects the LP spreads over both are packed together. A park group's new packing is kept when it
places more; it may need options the sparse candidates left out, which are added (and the rows rebuilt).
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from matching.binpack import BinModel, greedy_fill, improve, lagrangian_fill
from matching.instance import Instance
from matching.options import LAND, Options
from matching.problem import Problem, build_problem
from matching.solve import Solution, fill_unplaced


def polish(inst: Instance, options: Options, problem: Problem, x: np.ndarray, sol: Solution,
           deadline: float) -> tuple[np.ndarray, Options, Problem]:
    """(placement, options, problem) after re-packing the contested parks: the placement is over the returned
    options (a superset of ``options``) and never worse than ``x``; ``problem`` (the rows of ``options``, without
    cuts) is rebuilt when options were added."""
    lp = sol.lp
    if lp is None or not (options.kind == LAND).any():
        return x, options, problem
    start = x
    x = x.copy()
    duals = lp.row_duals[:len(inst.pid)]
    added_p, added_key = [], []
    packed = np.zeros(len(inst.pid), dtype=bool)     # placed by an earlier group: not movable by later ones
    groups = contested_groups(inst, options, x, lp.x)
    gaps = np.array([g for _, g in groups])
    for k, (zones, gap) in enumerate(groups):
        now = time.perf_counter()
        if now >= deadline - 0.5:
            break
        # time by share of the LP gap still to work on (what a group leaves unused goes to the next)
        got = pack_group(inst, options, problem.top_level, zones, x, packed, duals,
                         now + (deadline - now) * gap / gaps[k:].sum())
        if got is None:
            continue
        drop, new_p, new_key = got
        x[drop] = 0
        packed[new_p] = True
        added_p.append(new_p)
        added_key.append(new_key)
    if not added_p:
        return x, options, problem
    new_p, new_key = np.concatenate(added_p), np.concatenate(added_key)
    land = options.kind == LAND
    existing = pd.Series(np.flatnonzero(land), index=pd.MultiIndex.from_arrays([options.project[land],
                                                                                options.resource[land]]))
    hit = existing.reindex(pd.MultiIndex.from_arrays([new_p, new_key]))
    fresh = hit.isna().to_numpy()
    first_new = len(options)
    options = options.with_land(inst, new_p[fresh], new_key[fresh])
    problem = build_problem(inst, options)
    x = np.r_[x, np.zeros(len(options) - first_new)]
    x[hit.to_numpy()[~fresh].astype(np.int64)] = 1
    x[first_new:] = 1
    x = fill_unplaced(problem.A, problem.rhs, problem.value, problem.col_project, x)
    once = np.bincount(options.project, weights=x, minlength=len(inst.pid)) <= 1
    if not (once.all() and np.all(problem.A @ x <= problem.rhs + 1e-6)):     # never trade a valid placement away
        return np.r_[start, np.zeros(len(x) - len(start))], options, problem
    return x, options, problem


def contested_groups(inst: Instance, options: Options, x: np.ndarray, lp_x: np.ndarray) -> list[tuple[set, float]]:
    """Zones where the LP's land value exceeds ``x``'s, joined when the LP spreads a project over both;
    largest gap first."""
    n_cols, n_zones = len(options), len(inst.zone_names)
    om = options.omitted
    land = options.kind == LAND
    agg_zone = inst.zone_codes.loc[om.zone].to_numpy() if len(om) else np.zeros(0, np.int64)
    lp_agg = lp_x[n_cols:n_cols + len(om)] if len(lp_x) > n_cols else np.zeros(len(om))
    zone = np.r_[options.zone[land], agg_zone]
    proj = np.r_[options.project[land], om.project]
    mass = np.r_[lp_x[:n_cols][land], lp_agg]
    lp_value = np.bincount(zone, weights=mass * np.r_[options.value[land], om.value], minlength=n_zones)
    now_value = np.bincount(options.zone[land], weights=(options.value * x)[land], minlength=n_zones)
    gap = lp_value - now_value
    contested = gap > inst.settings.polish_min_zone_gap
    on = (mass > 1e-6) & contested[zone]
    if not on.any():
        return []
    pz = csr_matrix((np.ones(int(on.sum())), (proj[on], zone[on])), shape=(len(inst.pid), n_zones))
    _, label = connected_components(pz.T @ pz, directed=False)
    groups = []
    for c in np.unique(label[contested]):
        members = np.flatnonzero(contested & (label == c))
        groups.append(({str(z) for z in inst.zone_names[members]}, float(gap[members].sum())))
    return sorted(groups, key=lambda g: (-g[1], sorted(g[0])))


def bin_model(inst: Instance, options: Options, top: int, zones: set[str], items: np.ndarray,
              margin: float = 0.0) -> tuple[BinModel, np.ndarray, np.ndarray]:
    """The zones' top-level block trees as bins and ``items`` (land projects), for matching.binpack; the bins'
    block keys; the free 亩 per block. Values are the projects' best possible (priority + largest tie-break)."""
    m = inst.model
    level = m.blocks["level"].to_numpy()
    free = np.maximum(inst.free_mu.to_numpy(), 0.0)
    in_zones = m.blocks["zone_id"].isin(zones).to_numpy()
    bin_keys = np.flatnonzero(in_zones & (level == top))
    member = np.flatnonzero(in_zones & (level <= top))
    member_bin = np.searchsorted(bin_keys, m.at_level(member, top))
    cap = np.zeros((len(bin_keys), top + 1))
    biggest = np.zeros((len(bin_keys), top + 1))
    np.add.at(cap, (member_bin, level[member]), free[member])
    np.maximum.at(biggest, (member_bin, level[member]), free[member])
    bin_zone = m.blocks["zone_id"].to_numpy()[bin_keys]
    keys = [inst.admit_key(int(p)) for p in items]
    admit = {k: np.isin(bin_zone, list(inst.zones_for(int(p)))) for k, p in zip(keys, items)}
    weight = inst.need[items] * (1 + inst.tol)
    eligible = np.stack([admit[k] for k in keys]) if len(items) \
        else np.zeros((0, len(bin_keys)), dtype=bool)
    eligible &= biggest[:, inst.li[items]].T >= weight[:, None] - 1e-9
    grid = inst.settings.pack_grid_mu
    # Σ need × (1 + tol) ≤ cap  ⟺  Σ need ≤ cap / (1 + tol): the tolerance goes on the capacity, so a whole-亩
    # need is a whole number of cells (on the weight it made every 20 亩 need 21 cells, ~1 亩 lost per item).
    # Needs are rounded up to whole cells: every set the DP packs fits the real capacities (binpack rounds down).
    model = BinModel(cap / (1 + inst.tol), np.ceil((inst.need[items] + margin) / grid - 1e-9) * grid,
                     inst.li[items], options.formula.best_value(inst.priority[items]), eligible, grid)
    return model, bin_keys, free


def group_items(inst: Instance, zones: set[str], locked: np.ndarray | None = None) -> np.ndarray:
    """Land projects admitted to any of ``zones`` (less the ``locked`` ones)."""
    return np.array([p for p in range(len(inst.pid)) if inst.need[p] > 0 and inst.zones_for(p) & zones
                     and (locked is None or not locked[p])], dtype=np.int64)


def pack_group(inst: Instance, options: Options, top: int, zones: set[str], x: np.ndarray, packed: np.ndarray,
               duals: np.ndarray, deadline: float):
    """The zones' land packed anew from three starts, each improved by local search (matching.binpack).
    Returns (options of ``x`` to drop, projects, block keys) when it places more than ``x`` there, else None."""
    # projects placed outside these zones (or in a factory) keep their place
    in_zones = inst.model.blocks["zone_id"].isin(zones).to_numpy()
    chosen = np.flatnonzero(x > 0.5)
    is_land = options.kind[chosen] == LAND
    inside = is_land & in_zones[np.where(is_land, options.resource[chosen], 0)]
    locked = packed.copy()
    locked[options.project[chosen[~inside]]] = True
    items = group_items(inst, zones, locked)
    if not len(items):
        return None
    # needs rounded up to whole cells (+ an optional margin): a block packed to the last 亩 often cannot be cut
    model, bin_keys, free = bin_model(inst, options, top, zones, items, inst.settings.pack_margin_mu)
    if not len(bin_keys):
        return None
    eligible = model.eligible
    # three starts, each improved by local search: the Lagrangian fill at LP prices, a best-fit greedy, and the
    # packing so far (so the polish never ends below it); the best realized placement is kept
    now = {int(p): i for i, p in enumerate(items)}
    current = np.full(len(items), -1, dtype=np.int64)
    bin_of = pd.Series(np.arange(len(bin_keys)), index=bin_keys)
    mine = chosen[inside]
    current[[now[int(p)] for p in options.project[mine]]] = \
        bin_of.loc[inst.model.at_level(options.resource[mine], top)].to_numpy()
    best = None
    starts = ((0.6, lambda t: lagrangian_fill(model, duals[items], eligible, t)),
              (0.5, lambda t: greedy_fill(model, eligible)), (1.0, lambda t: current))
    for share, make in starts:
        until = time.perf_counter() + (deadline - time.perf_counter()) * share
        polish_until = until - (until - time.perf_counter()) * 0.2
        assign = improve(model, make(polish_until - (polish_until - time.perf_counter()) * 0.4), eligible,
                         polish_until)
        got = realize_repaired(inst, top, model, items, assign, eligible, bin_keys, free, until)
        if best is None or inst.priority[got[0]].sum() > inst.priority[best[0]].sum():
            best = got
    new_p, new_key = best
    old = chosen[inside]
    new_value = float(options.formula.total(inst.priority[new_p].sum(),
                                            options.land_tiebreak(inst, new_p, new_key).sum()))
    if new_value <= float(options.value[old].sum()) + 1e-9:
        return None
    return old, new_p, new_key


def realize_repaired(inst: Instance, top: int, model: BinModel, items: np.ndarray, assign: np.ndarray,
                     eligible: np.ndarray, bin_keys: np.ndarray, free: np.ndarray, deadline: float, rounds: int = 3):
    """``realize``, then: the packed items that found no real block in their bin (its blocks of their date are
    separate pieces whose sum the bin model counted) may no longer enter that bin, and the local search re-packs
    with that knowledge; the best realized placement is kept."""
    best = realize(inst, top, items, assign, bin_keys, free)
    eligible = eligible.copy()
    for _ in range(rounds):
        placed = np.isin(items, best[0])
        failed = np.flatnonzero((assign >= 0) & ~placed)
        if not len(failed) or time.perf_counter() >= deadline:
            break
        eligible[failed, assign[failed]] = False
        assign = assign.copy()
        assign[failed] = -1
        assign = improve(model, assign, eligible, deadline)
        got = realize(inst, top, items, assign, bin_keys, free)
        if inst.priority[got[0]].sum() > inst.priority[best[0]].sum():
            best = got
    return best


def realize(inst: Instance, top: int, items: np.ndarray, assign: np.ndarray, bin_keys: np.ndarray,
            free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(projects, block keys): each packed item into a real block of its level inside its bin (best fit, every
    date level's capacity checked); what does not fit (sibling blocks, grid rounding) stays unplaced."""
    m = inst.model
    residual = free.copy()
    level = m.blocks["level"].to_numpy()
    order = np.lexsort((inst.pid[items], -inst.need[items], inst.li[items], assign))
    out_p, out_key = [], []
    per_level = {}          # level → (its blocks in the bins sorted by bin, their bins)
    in_bins = np.isin(m.at_level(np.arange(len(level)), top), bin_keys)
    for li in np.unique(inst.li[items]):
        keys = np.flatnonzero((level == li) & in_bins)
        bins = np.searchsorted(bin_keys, m.at_level(keys, top))
        o = np.argsort(bins, kind="stable")
        per_level[int(li)] = (keys[o], bins[o])
    for k in order[assign[order] >= 0]:
        p, b, li = int(items[k]), int(assign[k]), int(inst.li[items[k]])
        keys, bins = per_level[li]
        lo, hi = np.searchsorted(bins, [b, b + 1])
        cands = keys[lo:hi]
        if not len(cands):
            continue
        chains = np.stack([m.at_level(cands, j) for j in range(li, top + 1)])
        w = inst.need[p] * (1 + inst.tol)
        ok = np.flatnonzero(residual[chains].min(axis=0) >= w - 1e-9)
        if not len(ok):
            continue
        c = ok[np.argmin(residual[cands[ok]])]
        residual[chains[:, c]] -= w
        out_p.append(p)
        out_key.append(int(cands[c]))
    return np.array(out_p, dtype=np.int64), np.array(out_key, dtype=np.int64)
