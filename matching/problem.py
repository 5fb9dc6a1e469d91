"""Stage 3: the rows of the assignment MILP over the options — a plain ``Problem`` any ``Solver`` takes.

Variables x[c] ∈ {0,1}, one per option. Rows (all ≤): each project takes at most one option; each block at each
date level holds the needs (× (1 + cut tolerance)) of the options whose site must lie inside it (the blocks nest:
a laminar family; a block identical to its parent at the next level is implied by the parent's row); each factory's
floor space taken ≤ its vacancy; no-good cuts (``with_cuts``) when a planned set of sites could not be carved.
Pools (the optimality proof of sparse candidates): a zone's pool is its top-level block rows.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix, vstack

from matching.instance import Instance
from matching.options import FACTORY, LAND, Options


@dataclass(frozen=True)
class Omitted:
    """The aggregated omitted options as the solver sees them: project, pool (zone code), value, row coefficient."""
    project: np.ndarray
    pool: np.ndarray
    value: np.ndarray
    need: np.ndarray

    def __len__(self) -> int:
        return len(self.project)

    def as_tuple(self) -> tuple:
        return self.project, self.pool, self.value, self.need


@dataclass(frozen=True)
class Problem:
    """max value·x s.t. A x ≤ rhs, x binary. ``col_project`` (each column's project: its row), ``col_pool`` /
    ``row_pool`` (zone code of each land column / top-level block row, -1 otherwise), ``col_zone`` (zone code of
    each column: the zone decomposition of large problems), ``omitted`` (for the proof), ``abs_gap`` (optimal when
    proven within it), ``top_level`` (the highest date level of a land option; the last level when none)."""
    A: csr_matrix
    rhs: np.ndarray
    value: np.ndarray
    col_project: np.ndarray
    col_pool: np.ndarray
    row_pool: np.ndarray
    col_zone: np.ndarray
    omitted: Omitted
    abs_gap: float
    top_level: int

    @property
    def n_options(self) -> int:
        return self.A.shape[1]

    def with_cuts(self, sets: list[np.ndarray]) -> "Problem":
        """The problem with one no-good cut per set of columns: not all of them together."""
        if not sets:
            return self
        data = np.concatenate([np.ones(len(c)) for c in sets])
        rows = np.concatenate([np.full(len(c), i) for i, c in enumerate(sets)])
        cuts = csr_matrix((data, (rows, np.concatenate(sets))), shape=(len(sets), self.A.shape[1]))
        return dataclasses.replace(
            self, A=vstack([self.A, cuts], format="csr"),
            rhs=np.concatenate([self.rhs, np.array([len(c) - 1 for c in sets], dtype=float)]),
            row_pool=np.r_[self.row_pool, np.full(len(sets), -1, dtype=np.int64)])


def top_level(inst: Instance, options: Options) -> int:
    """The highest date level of a land option (the blocks at it are the roots sites are carved in); the last
    level when there is no land option."""
    land = options.kind == LAND
    return int(inst.li[options.project[land]].max()) if land.any() else len(inst.model.levels) - 1


def build_problem(inst: Instance, options: Options) -> Problem:
    """Project rows, laminar block-capacity rows, factory rows (CSR) and the pools of the proof."""
    m = inst.model
    col_p, col_res = options.project, options.resource
    n_cols, n_proj = len(col_p), len(inst.pid)
    rr, cc, vv, rhs = [col_p], [np.arange(n_cols)], [np.ones(n_cols)], [np.ones(n_proj)]
    n_rows = n_proj
    land = np.flatnonzero(options.kind == LAND)
    col_pool = np.full(n_cols, -1, dtype=np.int64)
    agg_pool = np.zeros(0, dtype=np.int64)
    row_pool_land = np.zeros(0, dtype=np.int64)
    top = top_level(inst, options)
    if len(land):
        col_li = inst.li[col_p[land]]
        need = inst.need[col_p[land]] * (1 + inst.tol)
        nparc = m.blocks["n_parcels"].to_numpy()
        keys_all, cols_all, coef_all = [], [], []
        for j in range(int(col_li.min()), top + 1):
            sel = col_li <= j
            bj = m.at_level(col_res[land[sel]], j)
            if j < top:   # a block identical to its parent at the next level is implied by the parent's row
                parent = m.at_level(bj, j + 1)
                keep = nparc[bj] != nparc[parent]
            else:
                keep = np.ones(len(bj), dtype=bool)
            keys_all.append(bj[keep])
            cols_all.append(land[sel][keep])
            coef_all.append(need[sel][keep])
        keys = np.concatenate(keys_all)
        uniq, row = np.unique(keys, return_inverse=True)
        top_rows = (m.blocks["level"].to_numpy()[uniq] == top)
        row_pool_land = np.where(top_rows, inst.block_zone[uniq], -1)     # a zone's pool: its top-level rows
        col_pool[land] = inst.block_zone[col_res[land]]
        om = options.omitted
        agg_pool = inst.zone_codes.loc[om.zone].to_numpy().astype(np.int64) if len(om) \
            else np.zeros(0, dtype=np.int64)
        rr.append(n_rows + row)
        cc.append(np.concatenate(cols_all))
        vv.append(np.concatenate(coef_all))
        rhs.append(np.maximum(inst.free_mu.loc[uniq].to_numpy(), 0.0))
        n_rows += len(uniq)
    fac = np.flatnonzero(options.kind == FACTORY)
    if len(fac):
        uniq, row = np.unique(col_res[fac], return_inverse=True)
        rr.append(n_rows + row)
        cc.append(fac)
        vv.append(inst.floor[col_p[fac]])
        rhs.append(inst.fac_vacant[uniq])
        n_rows += len(uniq)
    row_pool = np.full(n_rows, -1, dtype=np.int64)
    row_pool[n_proj:n_proj + len(row_pool_land)] = row_pool_land
    om = options.omitted
    return Problem(
        A=csr_matrix((np.concatenate(vv), (np.concatenate(rr), np.concatenate(cc))), shape=(n_rows, n_cols)),
        rhs=np.concatenate(rhs), value=options.value, col_project=col_p, col_pool=col_pool, row_pool=row_pool,
        col_zone=options.zone, omitted=Omitted(om.project, agg_pool, om.value, inst.need[om.project] * (1 + inst.tol)),
        abs_gap=options.formula.abs_gap, top_level=top)
