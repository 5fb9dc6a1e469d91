"""Block trees as bins: an exact knapsack per tree, a Lagrangian heuristic and a tree-by-tree local search.

On county-wide instances (100k parcels) one MILP is out of reach and the LP-guided zone decomposition leaves the
contested parks (many projects, little land) several per cent below the LP bound. There the problem is a multiple
knapsack: each top-level block tree (a *bin*) takes a set of projects (*items*) whose needs fit its land at every
date level. This module is the plain model of that and three operations on it:

- ``best_patterns``: per bin, the most profitable set of items (0-1 knapsack by dynamic programming over 亩 on a
  grid, the date levels nested), for all bins at once;
- ``lagrangian_fill``: bins filled in rounds with their best sets at LP-dual prices (profit = value − dual), the
  items a bin takes leave the others' choice (the classic Lagrangian heuristic);
- ``greedy_fill``: highest value first, each item into the fullest bin that still holds it (a plain start);
- ``improve``: every bin re-packed from its own items and the unplaced ones at their true values, the best
  non-conflicting improvements kept, until none is left (or the deadline).

Capacities are exact for a bin whose blocks form a chain over the dates (one block per level, the usual case);
sibling blocks at one level are summed, which can promise more than the blocks hold, so the caller checks each bin
against its real blocks and drops what does not fit. Weights are rounded *down* to the grid cell and capacities
too, so a set can exceed a capacity by less than one cell per item: the caller's check catches that as well.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np


@dataclass
class BinModel:
    """Bins (block trees) × date levels, and items (land projects) with the bins each may enter."""
    cap: np.ndarray          # (bins, levels): free 亩 of the tree's blocks at each level (siblings summed), in the
                             # items' unit: matching.polish divides it by (1 + cut tolerance), gives bare needs
    weight: np.ndarray       # (items,): need, 亩
    level: np.ndarray        # (items,): date level index (an item uses land of this level)
    value: np.ndarray        # (items,): priority (+ tie-break), the objective
    eligible: np.ndarray     # (items, bins) bool: the item fits a block of its level in the bin, in an admitting zone
    grid: float = 1.0        # 亩 per DP cell


def best_patterns(model: BinModel, profit: np.ndarray, eligible: np.ndarray,
                  want: np.ndarray | None = None) -> tuple[np.ndarray, dict[int, list[int]]]:
    """Best profit per bin over sets of eligible items with positive profit, and (for bins in ``want``) the sets.

    One DP over all bins at once: ``dp[b, c]`` = best profit of the items so far with total weight ≤ c cells;
    after the last item of level j, the states above the bin's level-j capacity fold down to it, so the items of
    levels ≤ j never exceed that capacity (the nesting of date levels).
    """
    n_bins, n_levels = model.cap.shape
    cap_cells = np.floor(model.cap / model.grid + 1e-9).astype(np.int64)
    width = int(cap_cells[:, -1].max()) if n_bins else 0
    w_cells = np.floor(model.weight / model.grid + 1e-9).astype(np.int64)
    dp = np.zeros((n_bins, width + 1))
    cols = np.arange(width + 1)
    positive = np.flatnonzero(profit > 1e-12)
    order = positive[np.argsort(model.level[positive], kind="stable")]
    takes: list[tuple[int, np.ndarray, np.ndarray | None]] = []
    folds: dict[int, list[int]] = {}
    cur = 0

    def fold(upto: int) -> None:
        nonlocal dp, cur
        while cur < upto:
            dp = np.take_along_axis(dp, np.minimum(cols[None, :], cap_cells[:, cur][:, None]), axis=1)
            folds.setdefault(len(takes), []).append(cur)
            cur += 1

    for k in order:
        fold(int(model.level[k]))
        rows = np.flatnonzero(eligible[k])
        wk = int(w_cells[k])
        if wk > width or not len(rows):
            continue
        sub = dp[rows]
        cand = sub[:, :width + 1 - wk] + profit[k]
        take = cand > sub[:, wk:]
        sub[:, wk:] = np.where(take, cand, sub[:, wk:])
        dp[rows] = sub
        takes.append((int(k), rows, take))
    fold(n_levels)
    best = dp[:, -1]
    if want is None:
        return best, {}
    # backtrack all wanted bins together, item by item in reverse
    wb = np.flatnonzero(want)
    c = np.full(len(wb), width)
    pos = np.full(n_bins, -1)
    picked_item, picked_bin = [], []
    for i in range(len(takes), -1, -1):
        if i < len(takes):
            k, rows, take = takes[i]
            wk = int(w_cells[k])
            pos[rows] = np.arange(len(rows))
            rp = pos[wb]
            sel = np.flatnonzero((rp >= 0) & (c >= wk))
            hit = sel[take[rp[sel], c[sel] - wk]]
            pos[rows] = -1
            if len(hit):
                picked_item.append(np.full(len(hit), k))
                picked_bin.append(hit)
                c[hit] -= wk
        for j in folds.get(i, []):
            c = np.minimum(c, cap_cells[wb, j])
    patterns: dict[int, list[int]] = {int(b): [] for b in wb}
    if picked_item:
        items, bins = np.concatenate(picked_item), np.concatenate(picked_bin)
        o = np.lexsort((items, bins))
        for b, k in zip(wb[bins[o]], items[o]):
            patterns[int(b)].append(int(k))
    return best, patterns


def _accept(patterns: dict[int, list[int]], gain: np.ndarray, current: np.ndarray, assign: np.ndarray,
            value: np.ndarray) -> int:
    """Apply the best sets in order of gain; an item already claimed this round is left out of later sets (a
    subset of a feasible set is feasible), which are kept only while they still beat the bin's current value."""
    claimed = np.zeros(len(assign), dtype=bool)
    n = 0
    for b in np.argsort(-gain, kind="stable"):
        if gain[b] <= 1e-9:
            continue
        items = np.array(patterns.get(int(b), []), dtype=np.int64)
        moved = items[assign[items] != b]
        if claimed[moved].any():
            items = items[~(claimed[items] & (assign[items] != b))]
            if value[items].sum() <= current[b] + 1e-12:
                continue
            moved = items[assign[items] != b]
        claimed[moved] = True
        assign[assign == b] = -1
        assign[items] = b
        n += 1
    return n


def lagrangian_fill(model: BinModel, duals: np.ndarray, eligible: np.ndarray, deadline: float) -> np.ndarray:
    """Bins filled in rounds with their best sets at profit = value − dual; conflicts go to the next round."""
    n_items, n_bins = eligible.shape
    assign = np.full(n_items, -1, dtype=np.int64)
    done = np.zeros(n_bins, dtype=bool)
    profit = model.value - np.maximum(duals, 0.0)
    while not done.all() and time.perf_counter() < deadline:
        el = eligible & (assign < 0)[:, None] & ~done[None, :]
        best, patterns = best_patterns(model, profit, el, want=~done)
        claimed = np.zeros(n_items, dtype=bool)
        for b in np.argsort(-best, kind="stable"):
            if done[b]:
                continue
            items = np.array(patterns[int(b)], dtype=np.int64)
            if claimed[items].any():
                continue
            claimed[items] = True
            assign[items] = b
            done[b] = True
    return assign


def greedy_fill(model: BinModel, eligible: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """Items by value (highest first, then smallest), each into the eligible bin with the least room left that
    still holds it at every date level (best fit), on top of ``start``."""
    n_items, n_bins = eligible.shape
    assign = np.full(n_items, -1, dtype=np.int64) if start is None else start.copy()
    cap = np.floor(model.cap / model.grid + 1e-9)
    w = np.floor(model.weight / model.grid + 1e-9)
    load = np.zeros_like(cap)
    for k in np.flatnonzero(assign >= 0):
        load[assign[k], model.level[k]:] += w[k]
    for k in np.lexsort((np.arange(n_items), w, -model.value)):
        if assign[k] >= 0:
            continue
        lv = int(model.level[k])
        room = (cap[:, lv:] - load[:, lv:]).min(axis=1) - w[k]
        ok = np.flatnonzero(eligible[k] & (room >= 0))
        if len(ok):
            b = ok[np.argmin(room[ok])]
            assign[k] = b
            load[b, lv:] += w[k]
    return assign


def improve(model: BinModel, assign: np.ndarray, eligible: np.ndarray, deadline: float,
            max_rounds: int = 50, seed: int = 0, max_stale: int = 4) -> np.ndarray:
    """Local search: each bin re-packed from its items and the unplaced ones, the best improvements kept until
    none is left; then a few bins are emptied at random and the search runs again, keeping the better packing, until
    ``max_stale`` tries in a row gain nothing or time is up (iterated local search, seeded)."""
    best = _descend(model, assign.copy(), eligible, deadline, max_rounds)
    best_value = model.value[best >= 0].sum()
    rng = np.random.default_rng(seed)
    n_bins = eligible.shape[1]
    stale = 0
    while time.perf_counter() < deadline and n_bins > 1 and stale < max_stale:
        trial = best.copy()
        used = np.unique(trial[trial >= 0])
        if not len(used):
            break
        emptied = rng.choice(used, size=max(1, len(used) // 20), replace=False)
        trial[np.isin(trial, emptied)] = -1
        trial = _descend(model, trial, eligible, deadline, max_rounds)
        value = model.value[trial >= 0].sum()
        if value > best_value + 1e-9:
            best, best_value, stale = trial, value, 0
        else:
            stale += 1
    return best


def _descend(model: BinModel, assign: np.ndarray, eligible: np.ndarray, deadline: float,
             max_rounds: int) -> np.ndarray:
    n_bins = eligible.shape[1]
    for _ in range(max_rounds):
        if time.perf_counter() >= deadline:
            break
        placed = assign >= 0
        el = eligible & ~placed[:, None]
        el[np.flatnonzero(placed), assign[placed]] = True
        current = np.bincount(assign[placed], weights=model.value[placed], minlength=n_bins)
        best, patterns = best_patterns(model, model.value, el, want=np.ones(n_bins, dtype=bool))
        if not _accept(patterns, best - current, current, assign, model.value):
            break
    return assign
