"""One placement problem: options per project (candidate blocks, factories), the MILP, and carving the sites.

``Instance(ws, projects, as_of, taken)`` builds the options; ``place()`` solves, carves every planned site and,
if a planned set of sites cannot be carved, forbids that set (a no-good cut) and solves again.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix

from geo.config import setting
from geo.units import M2_PER_MU

from .candidates import LandModel, admitting_zones, factory_ready_mask, land_model, project_level
from .carve import GRID_M, CarveRules, carve_options, polygonal
from .model import Placement
from .solve import Solution, fill_unplaced, greedy, solve_sparse

# Tie-break weights inside one project's share (lexicographic in spirit: preferred zone, then least surplus, then
# earliest ready date); standard-factory options get the surplus bonus in full (policy: factories before land).
_W_PREF, _W_SURPLUS, _W_READY = 0.6, 0.3, 0.1
_RESOLVE_MAX_OPTIONS = 20_000     # above this, an uncarvable set is repaired by dropping, not by re-solving


def _land_tiebreak(same_zone: np.ndarray, surplus: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Tie-break of land options: preferred zone, then least surplus (share of the block left), then earliest ready."""
    return _W_PREF * same_zone + _W_SURPLUS * (1 - surplus) + _W_READY * (1 - rank)


@dataclass
class Taken:
    """Land and factory space already taken (committed projects in ``fit``): metric site geometries, floor m²."""
    sites: list = field(default_factory=list)
    floor: dict = field(default_factory=dict)


class Instance:
    """The options and constraints of placing ``projects`` (a DataFrame like ws.projects) on ``ws``."""

    def __init__(self, ws, projects: pd.DataFrame, as_of=None, taken: Taken | None = None,
                 only_zone: str | None = None):
        self.ws = ws
        self.only_zone = only_zone
        self.as_of = as_of
        self.projects = projects.sort_values("project_id", kind="stable")
        self.taken = taken or Taken()
        p = self.projects
        self.pid = np.array([str(v) for v in p["project_id"]], dtype=object)
        self.need = p["land_mu"].to_numpy(dtype=float)
        self.floor = p["floor_m2"].to_numpy(dtype=float)
        self.priority = p["priority"].to_numpy(dtype=float)
        self.pref = p["preferred_zone"].astype(object).where(p["preferred_zone"].notna(), None).to_numpy()
        self.industry = p["industry"].to_numpy()
        self.level = [project_level(nb, as_of) for nb in p["needed_by"]]
        self.model: LandModel = land_model(ws, set(self.level))
        self.li = np.array([self.model.level_index(lv) for lv in self.level], dtype=np.int64)
        self.admit = {ind: admitting_zones(ws.zones, ind) for ind in set(self.industry)}
        self.tol = setting("matching", "cut_tolerance")
        self._carved: dict[tuple, list | None] = {}      # (root block, options) → sites (None: cannot carve)
        self._taken_tree = None
        self._build()

    # ------------------------------------------------------------------------------------------ options
    def _free_area(self) -> pd.Series:
        """Block areas (亩), less the taken sites inside them (exactly, by geometry, for blocks they touch)."""
        area = self.model.blocks["area_mu"].copy()
        if not self.taken.sites:
            return area
        m = self.model
        tree = shapely.STRtree(m.geom)
        sites = np.array(self.taken.sites, dtype=object)
        s_idx, n_idx = tree.query(sites, predicate="intersects")
        if len(n_idx) == 0:
            return area
        inter = shapely.area(shapely.intersection(sites[s_idx], m.geom[n_idx])) / M2_PER_MU
        for li in range(len(m.levels)):
            keys = m.node_block[li, n_idx]
            ok = keys >= 0
            used = pd.Series(inter[ok]).groupby(keys[ok]).sum()
            area.loc[used.index] -= used.to_numpy() * m.blocks.loc[used.index, "scale"].to_numpy()
        return area

    def _build(self) -> None:
        m = self.model
        self.free_mu = self._free_area()
        blocks = m.blocks
        n_proj = len(self.pid)
        col_p, col_kind, col_res, col_tb, col_zone = [], [], [], [], []
        per_level = {}
        ready_all = np.sort(blocks["ready"].dropna().unique())
        # zones as integer codes: admission and per-zone aggregation become array indexing (hot path)
        zone_names = np.array(sorted(set(blocks["zone_id"]) | set(self.ws.zones.index.astype(str))), dtype=object)
        zone_codes = pd.Series(np.arange(len(zone_names)), index=zone_names)
        pref_code = np.array([zone_codes.get(z, -1) if z is not None else -1 for z in self.pref])
        self.zone_names, self.zone_codes, self.pref_code = zone_names, zone_codes, pref_code
        ready = blocks["ready"].to_numpy()
        self.block_rank = np.where(pd.isna(ready), 0.0,
                                   (np.searchsorted(ready_all, ready) + 1) / (len(ready_all) + 1))
        self.block_zone = zone_codes.loc[blocks["zone_id"].to_numpy()].to_numpy()
        for li in np.unique(self.li):
            b = blocks[blocks["level"] == li]
            order = np.argsort(-self.free_mu.loc[b.index].to_numpy(), kind="stable")
            keys = b.index.to_numpy()[order]
            per_level[li] = (keys, self.block_zone[keys], self.free_mu.loc[b.index].to_numpy()[order],
                             self.block_rank[keys])
        per_project = setting("matching", "columns_per_project")
        spread_share = setting("matching", "columns_spread_share")
        agg_p, agg_zone, agg_tb = [], [], []
        fac = self.ws.factories.sort_values("factory_id", kind="stable")
        self.fac_id = np.array([str(v) for v in fac["factory_id"]], dtype=object)
        fac_zone = self.fac_zone = np.array([str(v) for v in fac["zone_id"]], dtype=object)
        self.fac_status = fac["status"].to_numpy().astype(str)
        fac_vacant = fac["vacant_m2"].to_numpy(dtype=float) - np.array(
            [self.taken.floor.get(f, 0.0) for f in self.fac_id])
        self.fac_vacant = self.fac_vacant_total = fac_vacant
        self._fac = fac
        fac_ready = {li: self.fac_ready_at(li) for li in np.unique(self.li)}
        fz = zone_codes.reindex(fac_zone).fillna(-1).astype(int).to_numpy() if len(fac_zone) else np.zeros(0, int)
        self.fac_ready_date = fac["ready_date"].to_numpy()
        admit_mask = {}
        for p in range(n_proj):
            zones = self.zones_for(p)
            zkey = (self.industry[p], self.only_zone)
            if zkey not in admit_mask:
                admit_mask[zkey] = np.isin(zone_names, list(zones))
            zmask = admit_mask[zkey]
            li = int(self.li[p])
            if self.need[p] > 0:
                keys, zone, area, rank = per_level[li]
                k = int(np.searchsorted(-area, -self.need[p] * (1 + self.tol), side="right"))
                ok = zmask[zone[:k]]
                keys_ok, zone_ok = keys[:k][ok], zone[:k][ok]
                surplus = (area[:k][ok] - self.need[p]) / area[:k][ok]
                tb = _land_tiebreak(zone_ok == pref_code[p], surplus, rank[:k][ok])
                if len(tb) > per_project:
                    # sparse candidates: keep the best; the rest enter the optimality proof per zone (pooled)
                    # half the snuggest blocks (the tie-break order), half spread evenly over all sizes (keys_ok is
                    # in descending area order): with only snug ones, similar projects crowd the same few blocks on
                    # large counties (100k/5000: 5,601 → 6,269 placed priority)
                    by_tb = np.lexsort((keys_ok, -tb))
                    n_spread = int(per_project * spread_share)
                    spread = np.unique(np.linspace(0, len(tb) - 1, n_spread).round().astype(np.int64))
                    snug = by_tb[~np.isin(by_tb, spread)][:per_project - len(spread)]
                    kept = np.r_[snug, spread]
                    best = np.r_[kept, np.setdiff1d(np.arange(len(tb)), kept)]
                    drop = best[per_project:]
                    dz = np.full(len(zone_names), -np.inf)
                    np.maximum.at(dz, zone_ok[drop], tb[drop])
                    zs = np.flatnonzero(np.isfinite(dz))
                    agg_p.append(np.full(len(zs), p))
                    agg_zone.append(zone_names[zs])
                    agg_tb.append(dz[zs])
                    keep = np.sort(best[:per_project])
                    keys_ok, tb, zone_ok = keys_ok[keep], tb[keep], zone_ok[keep]
                col_p.append(np.full(len(keys_ok), p))
                col_kind.append(np.zeros(len(keys_ok), dtype=np.int8))
                col_res.append(keys_ok)
                col_tb.append(tb)
                col_zone.append(zone_ok)
            if self.floor[p] > 0:
                ok = zmask[fz] & fac_ready[li] \
                    & (fac_vacant >= self.floor[p]) if len(fac_zone) else np.zeros(0, dtype=bool)
                f = np.flatnonzero(ok)
                surplus = (fac_vacant[f] - self.floor[p]) / fac_vacant[f]
                tb = _W_PREF * (fac_zone[f] == self.pref[p]) + _W_SURPLUS * (1 + (1 - surplus)) / 2 + _W_READY
                col_p.append(np.full(len(f), p))
                col_kind.append(np.ones(len(f), dtype=np.int8))
                col_res.append(f)
                col_tb.append(tb)
                col_zone.append(fz[f])
        cat = (lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt))
        self.col_p = cat(col_p, np.int64)
        self.col_kind = cat(col_kind, np.int8)
        self.col_res = cat(col_res, np.int64)
        self.col_zone = cat(col_zone, np.int64)     # zone code of each option (zone decomposition, large problems)
        tb = cat(col_tb, float)
        # tie-breaks sum to < half the priority resolution over all projects
        res = setting("matching", "priority_resolution")
        n_with = max(1, len(np.unique(self.col_p)))
        self.tb_scale = 0.5 * res / n_with / (_W_PREF + _W_SURPLUS + _W_READY + 1e-9)
        self.value = self.priority[self.col_p] + self.tb_scale * tb * 0.999 if len(self.col_p) else np.zeros(0)
        self.agg_p = cat(agg_p, np.int64)
        self.agg_zone = np.concatenate(agg_zone) if agg_zone else np.zeros(0, dtype=object)
        self.agg_value = self.priority[self.agg_p] + self.tb_scale * cat(agg_tb, float) * 0.999
        self.abs_gap = 0.25 * res
        self._rows()

    def zones_for(self, p: int) -> set[str]:
        """Zones admitting project ``p``'s industry (only ``only_zone`` when the search is restricted)."""
        zones = self.admit[self.industry[p]]
        return zones & {self.only_zone} if self.only_zone is not None else zones

    def fac_ready_at(self, li: int) -> np.ndarray:
        return factory_ready_mask(self._fac, self.model.levels[li])

    def _rows(self) -> None:
        """Project rows, laminar block-capacity rows, factory rows (CSR)."""
        m = self.model
        n_cols = len(self.col_p)
        rr, cc, vv, rhs = [self.col_p], [np.arange(n_cols)], [np.ones(n_cols)], [np.ones(len(self.pid))]
        n_rows = len(self.pid)
        land = np.flatnonzero(self.col_kind == 0)
        self.col_pool = np.full(n_cols, -1, dtype=np.int64)
        self.agg_pool = np.zeros(0, dtype=np.int64)
        row_pool_land = np.zeros(0, dtype=np.int64)
        if len(land):
            top = int(self.li[self.col_p[land]].max())
            col_li = self.li[self.col_p[land]]
            need = self.need[self.col_p[land]] * (1 + self.tol)
            nparc = m.blocks["n_parcels"].to_numpy()
            keys_all, cols_all, coef_all = [], [], []
            for j in range(int(col_li.min()), top + 1):
                sel = col_li <= j
                bj = m.at_level(self.col_res[land[sel]], j)
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
            pool = self.block_zone[uniq]            # a zone's pool: its top-level rows
            row_pool_land = np.where(top_rows, pool, -1)
            self.col_pool[land] = self.block_zone[self.col_res[land]]
            self.agg_pool = self.zone_codes.loc[self.agg_zone].to_numpy().astype(np.int64) \
                if len(self.agg_zone) else np.zeros(0, dtype=np.int64)
            rr.append(n_rows + row)
            cc.append(np.concatenate(cols_all))
            vv.append(np.concatenate(coef_all))
            rhs.append(np.maximum(self.free_mu.loc[uniq].to_numpy(), 0.0))
            n_rows += len(uniq)
            self.top_level = top
        fac = np.flatnonzero(self.col_kind == 1)
        if len(fac):
            uniq, row = np.unique(self.col_res[fac], return_inverse=True)
            rr.append(n_rows + row)
            cc.append(fac)
            vv.append(self.floor[self.col_p[fac]])
            rhs.append(self.fac_vacant[uniq])
            n_rows += len(uniq)
        self.A = csr_matrix((np.concatenate(vv), (np.concatenate(rr), np.concatenate(cc))), shape=(n_rows, n_cols))
        self.row_pool = np.full(n_rows, -1, dtype=np.int64)
        self.row_pool[len(self.pid):len(self.pid) + len(row_pool_land)] = row_pool_land
        self.rhs = np.concatenate(rhs)

    # ------------------------------------------------------------------------------------------ contested parks
    def polish(self, x: np.ndarray, sol: Solution, deadline: float) -> np.ndarray:
        """Large instances: re-pack the land of the contested parks as bins (matching.binpack) and keep a park
        group's new packing when it places more. Contested: the LP places clearly more priority there than ``x``
        (``polish_min_zone_gap``); parks sharing projects the LP spreads over both are packed together. May add
        options (blocks left out of the sparse candidates); returns the placement over the options then."""
        lp = sol.lp
        if lp is None or not (self.col_kind == 0).any():
            return x
        start = x
        x = x.copy()
        duals = lp.row_duals[:len(self.pid)]
        added_p, added_key = [], []
        packed = np.zeros(len(self.pid), dtype=bool)     # placed by an earlier group: not movable by later ones
        groups = self._contested_groups(x, lp.x)
        gaps = np.array([g for _, g in groups])
        for k, (zones, gap) in enumerate(groups):
            now = time.perf_counter()
            if now >= deadline - 0.5:
                break
            # time by share of the LP gap still to work on (what a group leaves unused goes to the next)
            got = self._pack_group(zones, x, packed, duals, now + (deadline - now) * gap / gaps[k:].sum())
            if got is None:
                continue
            drop, new_p, new_key = got
            x[drop] = 0
            packed[new_p] = True
            added_p.append(new_p)
            added_key.append(new_key)
        if not added_p:
            return x
        new_p, new_key = np.concatenate(added_p), np.concatenate(added_key)
        existing = pd.Series(np.flatnonzero(self.col_kind == 0),
                             index=pd.MultiIndex.from_arrays([self.col_p[self.col_kind == 0],
                                                              self.col_res[self.col_kind == 0]]))
        hit = existing.reindex(pd.MultiIndex.from_arrays([new_p, new_key]))
        fresh = hit.isna().to_numpy()
        first_new = len(self.col_p)
        self._add_land_options(new_p[fresh], new_key[fresh])
        x = np.r_[x, np.zeros(len(self.col_p) - first_new)]
        x[hit.to_numpy()[~fresh].astype(np.int64)] = 1
        x[first_new:] = 1
        x = fill_unplaced(self.A, self.rhs, self.value, self.col_p, x)
        once = np.bincount(self.col_p, weights=x, minlength=len(self.pid)) <= 1
        if not (once.all() and np.all(self.A @ x <= self.rhs + 1e-6)):     # never trade a valid placement away
            return np.r_[start, np.zeros(len(x) - len(start))]
        return x

    def _contested_groups(self, x: np.ndarray, lp_x: np.ndarray) -> list[tuple[set[str], float]]:
        """Zones where the LP's land value exceeds ``x``'s, joined when the LP spreads a project over both;
        largest gap first."""
        n_cols, n_zones = len(self.value), len(self.zone_names)
        land = self.col_kind == 0
        agg_zone = self.zone_codes.loc[self.agg_zone].to_numpy() if len(self.agg_zone) else np.zeros(0, np.int64)
        lp_agg = lp_x[n_cols:n_cols + len(self.agg_p)] if len(lp_x) > n_cols else np.zeros(len(self.agg_p))
        zone = np.r_[self.col_zone[land], agg_zone]
        proj = np.r_[self.col_p[land], self.agg_p]
        mass = np.r_[lp_x[:n_cols][land], lp_agg]
        lp_value = np.bincount(zone, weights=mass * np.r_[self.value[land], self.agg_value], minlength=n_zones)
        now_value = np.bincount(self.col_zone[land], weights=(self.value * x)[land], minlength=n_zones)
        gap = lp_value - now_value
        contested = gap > setting("matching", "polish_min_zone_gap")
        on = (mass > 1e-6) & contested[zone]
        if not on.any():
            return []
        from scipy.sparse.csgraph import connected_components
        pz = csr_matrix((np.ones(int(on.sum())), (proj[on], zone[on])), shape=(len(self.pid), n_zones))
        _, label = connected_components(pz.T @ pz, directed=False)
        groups = []
        for c in np.unique(label[contested]):
            members = np.flatnonzero(contested & (label == c))
            groups.append(({str(z) for z in self.zone_names[members]}, float(gap[members].sum())))
        return sorted(groups, key=lambda g: (-g[1], sorted(g[0])))

    def _bin_model(self, zones: set[str], items: np.ndarray, margin: float = 0.0):
        """The zones' top-level block trees as bins and ``items`` (land projects), for matching.binpack; and the
        bins' block keys. Values are the projects' best possible (priority + largest tie-break)."""
        from .binpack import BinModel
        m, top = self.model, self.top_level
        level = m.blocks["level"].to_numpy()
        free = np.maximum(self.free_mu.to_numpy(), 0.0)
        in_zones = m.blocks["zone_id"].isin(zones).to_numpy()
        bin_keys = np.flatnonzero(in_zones & (level == top))
        member = np.flatnonzero(in_zones & (level <= top))
        member_bin = np.searchsorted(bin_keys, m.at_level(member, top))
        cap = np.zeros((len(bin_keys), top + 1))
        biggest = np.zeros((len(bin_keys), top + 1))
        np.add.at(cap, (member_bin, level[member]), free[member])
        np.maximum.at(biggest, (member_bin, level[member]), free[member])
        bin_zone = m.blocks["zone_id"].to_numpy()[bin_keys]
        admit = {ind: np.isin(bin_zone, list(self.zones_for(int(items[self.industry[items] == ind][0]))))
                 for ind in set(self.industry[items])}
        weight = self.need[items] * (1 + self.tol)
        eligible = np.stack([admit[i] for i in self.industry[items]]) if len(items) \
            else np.zeros((0, len(bin_keys)), dtype=bool)
        eligible &= biggest[:, self.li[items]].T >= weight[:, None] - 1e-9
        value = self.priority[items] + self.tb_scale * 0.999 * (_W_PREF + _W_SURPLUS + _W_READY)
        grid = setting("matching", "pack_grid_mu")
        # Σ need × (1 + tol) ≤ cap  ⟺  Σ need ≤ cap / (1 + tol): the tolerance goes on the capacity, so a whole-亩
        # need is a whole number of cells (on the weight it made every 20 亩 need 21 cells, ~1 亩 lost per item).
        # Needs are rounded up to whole cells: every set the DP packs fits the real capacities (binpack rounds down).
        model = BinModel(cap / (1 + self.tol), np.ceil((self.need[items] + margin) / grid - 1e-9) * grid,
                         self.li[items], value, eligible, grid)
        return model, bin_keys, free

    def _group_items(self, zones: set[str], locked: np.ndarray | None = None) -> np.ndarray:
        """Land projects admitted to any of ``zones`` (less the ``locked`` ones)."""
        return np.array([p for p in range(len(self.pid)) if self.need[p] > 0 and self.zones_for(p) & zones
                         and (locked is None or not locked[p])], dtype=np.int64)

    def _pack_group(self, zones: set[str], x: np.ndarray, packed: np.ndarray, duals: np.ndarray, deadline: float):
        """The zones' land packed anew from three starts, each improved by local search (matching.binpack).
        Returns (options of ``x`` to drop, projects, block keys) when it places more than ``x`` there, else None."""
        from .binpack import greedy_fill, improve, lagrangian_fill
        # projects placed outside these zones (or in a factory) keep their place
        in_zones = self.model.blocks["zone_id"].isin(zones).to_numpy()
        chosen = np.flatnonzero(x > 0.5)
        inside = (self.col_kind[chosen] == 0) & in_zones[np.where(self.col_kind[chosen] == 0, self.col_res[chosen], 0)]
        locked = packed.copy()
        locked[self.col_p[chosen[~inside]]] = True
        items = self._group_items(zones, locked)
        if not len(items):
            return None
        # needs rounded up to whole cells (+ an optional margin): a block packed to the last 亩 often cannot be cut
        model, bin_keys, free = self._bin_model(zones, items, setting("matching", "pack_margin_mu"))
        if not len(bin_keys):
            return None
        eligible = model.eligible
        # three starts, each improved by local search: the Lagrangian fill at LP prices, a best-fit greedy, and the
        # packing so far (so the polish never ends below it); the best realized placement is kept
        now = {int(p): i for i, p in enumerate(items)}
        current = np.full(len(items), -1, dtype=np.int64)
        bin_of = pd.Series(np.arange(len(bin_keys)), index=bin_keys)
        mine = chosen[inside]
        current[[now[int(p)] for p in self.col_p[mine]]] = \
            bin_of.loc[self.model.at_level(self.col_res[mine], self.top_level)].to_numpy()
        best = None
        starts = ((0.6, lambda t: lagrangian_fill(model, duals[items], eligible, t)),
                  (0.5, lambda t: greedy_fill(model, eligible)), (1.0, lambda t: current))
        for share, make in starts:
            until = time.perf_counter() + (deadline - time.perf_counter()) * share
            polish_until = until - (until - time.perf_counter()) * 0.2
            assign = improve(model, make(polish_until - (polish_until - time.perf_counter()) * 0.4), eligible,
                             polish_until)
            got = self._realize_repaired(model, items, assign, eligible, bin_keys, free, until)
            if best is None or self.priority[got[0]].sum() > self.priority[best[0]].sum():
                best = got
        new_p, new_key = best
        old = chosen[inside]
        new_value = float(self.priority[new_p].sum() + self.tb_scale * 0.999 * self._tiebreak(new_p, new_key).sum())
        if new_value <= float(self.value[old].sum()) + 1e-9:
            return None
        return old, new_p, new_key

    def _realize_repaired(self, model, items: np.ndarray, assign: np.ndarray, eligible: np.ndarray,
                          bin_keys: np.ndarray, free: np.ndarray, deadline: float, rounds: int = 3):
        """``_realize``, then: the packed items that found no real block in their bin (its blocks of their date
        are separate pieces whose sum the bin model counted) may no longer enter that bin, and the local search
        re-packs with that knowledge; the best realized placement is kept."""
        from .binpack import improve
        best = self._realize(items, assign, bin_keys, free)
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
            got = self._realize(items, assign, bin_keys, free)
            if self.priority[got[0]].sum() > self.priority[best[0]].sum():
                best = got
        return best

    def _realize(self, items: np.ndarray, assign: np.ndarray, bin_keys: np.ndarray, free: np.ndarray):
        """Each packed item into a real block of its level inside its bin (best fit, every date level's capacity
        checked); what does not fit (sibling blocks, grid rounding) stays unplaced."""
        m, top = self.model, self.top_level
        residual = free.copy()
        level = m.blocks["level"].to_numpy()
        order = np.lexsort((self.pid[items], -self.need[items], self.li[items], assign))
        out_p, out_key = [], []
        per_level = {}          # level → (its blocks in the bins sorted by bin, their bins)
        in_bins = np.isin(m.at_level(np.arange(len(level)), top), bin_keys)
        for li in np.unique(self.li[items]):
            keys = np.flatnonzero((level == li) & in_bins)
            bins = np.searchsorted(bin_keys, m.at_level(keys, top))
            o = np.argsort(bins, kind="stable")
            per_level[int(li)] = (keys[o], bins[o])
        for k in order[assign[order] >= 0]:
            p, b, li = int(items[k]), int(assign[k]), int(self.li[items[k]])
            keys, bins = per_level[li]
            lo, hi = np.searchsorted(bins, [b, b + 1])
            cands = keys[lo:hi]
            if not len(cands):
                continue
            chains = np.stack([m.at_level(cands, j) for j in range(li, top + 1)])
            w = self.need[p] * (1 + self.tol)
            ok = np.flatnonzero(residual[chains].min(axis=0) >= w - 1e-9)
            if not len(ok):
                continue
            c = ok[np.argmin(residual[cands[ok]])]
            residual[chains[:, c]] -= w
            out_p.append(p)
            out_key.append(int(cands[c]))
        return np.array(out_p, dtype=np.int64), np.array(out_key, dtype=np.int64)

    def _tiebreak(self, p: np.ndarray, keys: np.ndarray) -> np.ndarray:
        area = np.maximum(self.free_mu.to_numpy()[keys], 1e-9)
        return _land_tiebreak(self.block_zone[keys] == self.pref_code[p], (area - self.need[p]) / area,
                              self.block_rank[keys])

    def _add_land_options(self, p: np.ndarray, keys: np.ndarray) -> None:
        """New land options (project, block) after the build; the rows are rebuilt."""
        if not len(p):
            return
        self.col_p = np.r_[self.col_p, p]
        self.col_kind = np.r_[self.col_kind, np.zeros(len(p), dtype=np.int8)]
        self.col_res = np.r_[self.col_res, keys]
        self.col_zone = np.r_[self.col_zone, self.block_zone[keys]]
        self.value = np.r_[self.value, self.priority[p] + self.tb_scale * self._tiebreak(p, keys) * 0.999]
        self._rows()

    # ------------------------------------------------------------------------------------------ solving
    def place(self, time_limit: float, progress=None, prove: bool = True) -> tuple[list[Placement], Solution]:
        """Solve, carve. When a planned set of sites cannot be carved: on small problems add a no-good cut and
        re-solve (at most ``repair_rounds`` times); on large ones (or when time or rounds run out) leave the
        lowest-priority project of that set unplaced and report the status as feasible, with the gap."""
        A, rhs = self.A, self.rhs
        rounds = setting("matching", "repair_rounds") if A.shape[1] <= _RESOLVE_MAX_OPTIONS else 0
        t0 = time.perf_counter()
        for attempt in range(rounds + 1):
            left = max(1.0, time_limit - (time.perf_counter() - t0))
            row_pool = np.r_[self.row_pool, np.full(A.shape[0] - len(self.row_pool), -1)]
            sol = solve_sparse(A, rhs, self.value, self.col_p, left, self.abs_gap, progress,
                               row_pool=row_pool, col_pool=self.col_pool, prove=prove, col_zone=self.col_zone,
                               omitted=(self.agg_p, self.agg_pool, self.agg_value,
                                        self.need[self.agg_p] * (1 + self.tol)))
            if sol.lp is not None:          # large instance: re-pack the contested parks
                sol.x = self.polish(sol.x, sol, t0 + time_limit)
                A, rhs = self.A, self.rhs   # options may have been added
                sol.objective = float(self.value @ sol.x)
                sol.bound = max(sol.bound, sol.objective)
                if prove and sol.bound - sol.objective <= 2 * self.abs_gap * 0.999:
                    sol.status = "optimal"
                sol.seconds = time.perf_counter() - t0
            chosen = np.flatnonzero(sol.x > 0.5)
            placements, failed = self._carve_all(chosen)
            if not failed:
                return placements, sol
            if attempt == rounds or time.perf_counter() - t0 > time_limit / 2:
                break
            from scipy.sparse import vstack
            data = np.concatenate([np.ones(len(c)) for c in failed])
            rows = np.concatenate([np.full(len(c), i) for i, c in enumerate(failed)])
            cuts = csr_matrix((data, (rows, np.concatenate(failed))), shape=(len(failed), A.shape[1]))
            A = vstack([A, cuts], format="csr")
            rhs = np.concatenate([rhs, np.array([len(c) - 1 for c in failed], dtype=float)])
        # drop the lowest-priority project of each uncarvable set until the rest can be carved
        chosen = set(chosen.tolist())
        for cols in failed:
            root = int(self.model.at_level(self.col_res[cols[:1]], self.top_level)[0])
            for c in self._carvable_without(root, cols):
                chosen.discard(c)
        if sol.lp is not None:
            chosen = self._refill(chosen, A, rhs)
        placements, _ = self._carve_all(np.array(sorted(chosen), dtype=np.int64))
        sol.status = "feasible"              # optimality is no longer proven
        placed_value = float(sum(self.value[c] for c in chosen))
        sol.objective = placed_value
        return placements, sol

    def greedy_value(self) -> float:
        """Placed priority of the spreadsheet method (benchmarks)."""
        x = greedy(self.A, self.rhs, self.priority[self.col_p], self.col_p, self.col_res)
        return float(self.priority[self.col_p] @ x)

    # ------------------------------------------------------------------------------------------ carving
    def _carve_all(self, chosen: np.ndarray) -> tuple[list[Placement], list[np.ndarray]]:
        m = self.model
        placements: list[Placement] = []
        failed: list[np.ndarray] = []
        land = chosen[self.col_kind[chosen] == 0]
        if len(land):
            top = self.top_level
            roots = m.at_level(self.col_res[land], top)
            for root in np.unique(roots):
                cols = land[roots == root]
                sites = self._carve_block(int(root), cols)
                if sites is None:
                    failed.append(np.sort(cols))
                    continue
                for c, site in sites:
                    placements.append(self._land_placement(c, site))
        for c in chosen[self.col_kind[chosen] == 1]:
            p = int(self.col_p[c])
            f = int(self.col_res[c])
            placements.append(Placement(
                project_id=self.pid[p], name=str(self.projects["name"].iloc[p]), kind="factory",
                zone_id=str(self.ws.factories.at[self.fac_id[f], "zone_id"]), priority=float(self.priority[p]),
                factory_id=self.fac_id[f], floor_m2=float(self.floor[p]), ready_date=self.fac_ready_date[f]))
        self._finish(placements)
        placements.sort(key=lambda pl: pl.project_id)
        return placements, failed

    def _refill(self, chosen: set[int], A, rhs: np.ndarray) -> set[int]:
        """Large instances, after uncarvable sets were thinned: the land and projects left over go to a best-fit
        pass; a block tree keeps its new sites only if they can all be cut with the old ones."""
        x = np.zeros(len(self.value))
        x[sorted(chosen)] = 1
        new = np.flatnonzero(fill_unplaced(A, rhs, self.value, self.col_p, x) > x + 0.5)
        land = new[self.col_kind[new] == 0]
        out = set(chosen) | set(new[self.col_kind[new] == 1].tolist())
        if not len(land):
            return out
        top = self.top_level
        old = np.array(sorted(c for c in chosen if self.col_kind[c] == 0), dtype=np.int64)
        old_root = self.model.at_level(self.col_res[old], top)
        new_root = self.model.at_level(self.col_res[land], top)
        for root in np.unique(new_root):
            cols = np.r_[old[old_root == root], land[new_root == root]]
            if self._carve_block(int(root), cols) is not None:
                out |= set(land[new_root == root].tolist())
        return out

    def _carvable_without(self, root: int, cols: np.ndarray) -> list[int]:
        """The options to leave out of an uncarvable block: the least valuable one whose removal lets the rest be
        cut (the lowest priority first, then the smallest need); when no single one does, the least valuable,
        and again."""
        left = sorted(cols.tolist(), key=lambda c: (round(float(self.priority[self.col_p[c]]), 6),
                                                    self.need[self.col_p[c]], self.value[c], -c))
        dropped = []
        while left:
            lowest = self.priority[self.col_p[left[0]]]
            for c in [c for c in left if self.priority[self.col_p[c]] <= lowest + 1e-9]:
                rest = np.array(sorted(set(left) - {c}), dtype=np.int64)
                if not len(rest) or self._carve_block(root, rest) is not None:
                    return dropped + [c]
            dropped.append(left.pop(0))
            if left and self._carve_block(root, np.array(sorted(left), dtype=np.int64)) is not None:
                return dropped
        return dropped

    def _carve_block(self, root: int, cols: np.ndarray):
        """The sites of options ``cols`` in top-level block ``root`` (in the land not already taken), or None when
        they cannot all be carved. Remembered per (root, options): the repair re-carves only the failed blocks."""
        key = (root, tuple(np.sort(cols).tolist()))
        if key in self._carved:
            return self._carved[key]
        free = self.model.geometry(root)
        if self.taken.sites:
            if self._taken_tree is None:
                self._taken_tree = shapely.STRtree(np.array(self.taken.sites, dtype=object))
            hit = self._taken_tree.query(free, predicate="intersects")
            if len(hit):
                taken = self._taken_tree.geometries[hit]
                free = polygonal(shapely.difference(free, shapely.union_all(taken), grid_size=GRID_M))
        sites = None
        for order in ("desc", "asc"):
            sites = self._carve_root(free, cols, order)
            if sites is not None:
                break
        self._carved[key] = sites
        return sites

    def _carve_root(self, free, cols: np.ndarray, order: str):
        """Carve the sites of one root block: earliest level first (they may only use land ready earliest), then
        by need (largest first, or smallest first as a second try), then id. Each site takes the first cut that
        works; when a later site then cannot be cut, the earlier sites' other cuts are searched, depth first, up
        to ``carve_search_cuts`` cuts per block."""
        m = self.model
        p = self.col_p[cols]
        sign = -1 if order == "desc" else 1
        seq = np.lexsort((self.pid[p], sign * self.need[p], self.li[p]))
        steps = []
        for k, i in enumerate(seq):
            c = int(cols[i])
            key = int(self.col_res[c])
            scale = float(m.blocks.at[key, "scale"])
            rules = CarveRules.from_config(scale)
            if k < len(seq) - 1:   # the split window (whole piece up to +2 %) only for the last site of a block
                rules = CarveRules(0.0, rules.cut_tolerance, rules.sliver_m2, rules.sliver_width_m)
            top = int(self.li[p[i]]) == self.top_level
            steps.append((c, None if top else m.geometry(key), self.need[p[i]] * M2_PER_MU / scale, rules))
        need_after = np.r_[np.cumsum([s[2] for s in steps][::-1])[::-1], 0.0]
        budget = [max(len(steps), int(setting("matching", "carve_search_cuts")))]

        def search(k: int, free):
            if k == len(steps):
                return []
            if shapely.area(free) < need_after[k]:
                return None
            c, level_geom, need_m2, rules = steps[k]
            region = free if level_geom is None else polygonal(
                shapely.intersection(free, level_geom, grid_size=GRID_M))
            for site, _ in carve_options(region, need_m2, rules, within=None if level_geom is None else free):
                budget[0] -= 1
                rest = search(k + 1, polygonal(shapely.difference(free, site, grid_size=GRID_M)))
                if rest is not None:
                    return [(c, site)] + rest
                if budget[0] <= 0:
                    return None
            return None
        return search(0, free)

    def _land_placement(self, c: int, site) -> Placement:
        p = int(self.col_p[c])
        key = int(self.col_res[c])
        scale = float(self.model.blocks.at[key, "scale"])
        return Placement(project_id=self.pid[p], name=str(self.projects["name"].iloc[p]), kind="land",
                         zone_id=str(self.model.blocks.at[key, "zone_id"]), priority=float(self.priority[p]),
                         need_mu=float(self.need[p]), site_mu=float(shapely.area(site)) / M2_PER_MU * scale,
                         site=site)

    def _finish(self, placements: list[Placement]) -> None:
        """Parcel ids, ready date and WKT (workspace CRS) of the land sites, all at once."""
        land = [pl for pl in placements if pl.kind == "land"]
        if not land:
            return
        m = self.model
        sites = np.array([pl.site for pl in land], dtype=object)
        s_idx, n_idx = shapely.STRtree(m.geom).query(sites, predicate="intersects")
        inter = shapely.area(shapely.intersection(sites[s_idx], m.geom[n_idx])) / M2_PER_MU
        keep = inter > setting("validation", "overlap_min_mu")
        s_idx, n_idx = s_idx[keep], n_idx[keep]
        for k, pl in enumerate(land):
            nodes = n_idx[s_idx == k]
            pl.parcel_ids = sorted(m.pid[nodes].tolist())
            pipe = nodes[~m.available[nodes]]
            pl.ready_date = pd.Timestamp(m.ready[pipe].max()) if len(pipe) else None
        wkts = to_workspace_wkt(self.ws, sites)
        for pl, w in zip(land, wkts):
            pl.site_wkt = w


def to_workspace_wkt(ws, geoms) -> list[str]:
    """WKT in the workspace CRS (metres to the millimetre, degrees to ~1 cm)."""
    series = gpd.GeoSeries(list(geoms), crs=ws.metric_crs)
    if series.crs != ws.crs:
        series = series.to_crs(ws.crs)
    precision = 8 if ws.crs.is_geographic else 3
    return [shapely.to_wkt(g, rounding_precision=precision) for g in series.values]
