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
from .carve import GRID_M, CarveRules, carve, polygonal
from .model import Placement
from .solve import Solution, greedy, solve_sparse

# Tie-break weights inside one project's share (lexicographic in spirit: preferred zone, then least surplus, then
# earliest ready date); standard-factory options get the surplus bonus in full (policy: factories before land).
_W_PREF, _W_SURPLUS, _W_READY = 0.6, 0.3, 0.1
_RESOLVE_MAX_OPTIONS = 20_000     # above this, an uncarvable set is repaired by dropping, not by re-solving


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
        for li in np.unique(self.li):
            b = blocks[blocks["level"] == li]
            order = np.argsort(-self.free_mu.loc[b.index].to_numpy(), kind="stable")
            ready = b["ready"].to_numpy()[order]
            rank = np.where(pd.isna(ready), 0.0, (np.searchsorted(ready_all, ready) + 1) / (len(ready_all) + 1))
            per_level[li] = (b.index.to_numpy()[order], zone_codes.loc[b["zone_id"].to_numpy()[order]].to_numpy(),
                             self.free_mu.loc[b.index].to_numpy()[order], rank)
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
                tb = _W_PREF * (zone_ok == pref_code[p]) + _W_SURPLUS * (1 - surplus) + _W_READY * (1 - rank[:k][ok])
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
            zone_code = {z: i for i, z in enumerate(sorted(set(m.blocks["zone_id"])))}
            top_rows = (m.blocks["level"].to_numpy()[uniq] == top)
            pool = np.array([zone_code[z] for z in m.blocks["zone_id"].to_numpy()[uniq]], dtype=np.int64)
            row_pool_land = np.where(top_rows, pool, -1)
            self.col_pool[land] = [zone_code[z] for z in m.blocks["zone_id"].to_numpy()[self.col_res[land]]]
            self.agg_pool = np.array([zone_code[z] for z in self.agg_zone], dtype=np.int64)
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
            cols = sorted(cols.tolist(), key=lambda c: (self.value[c], -c))
            while cols:
                chosen.discard(cols.pop(0))
                placements, still = self._carve_all(np.array(sorted(chosen), dtype=np.int64))
                if not any(set(f.tolist()) & set(cols) for f in still):
                    break
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
            taken = np.array(self.taken.sites, dtype=object)
            tree = shapely.STRtree(taken) if len(taken) else None
            for root in np.unique(roots):
                cols = land[roots == root]
                free = m.geometry(int(root))
                if tree is not None:
                    hit = tree.query(free, predicate="intersects")
                    if len(hit):
                        free = polygonal(shapely.difference(free, shapely.union_all(taken[hit]), grid_size=GRID_M))
                sites = None
                for order in ("desc", "asc"):
                    sites = self._carve_root(free, cols, order)
                    if sites is not None:
                        break
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

    def _carve_root(self, free, cols: np.ndarray, order: str):
        """Carve the sites of one root block: earliest level first (they may only use land ready earliest), then
        by need (largest first, or smallest first as a second try), then id."""
        m = self.model
        p = self.col_p[cols]
        sign = -1 if order == "desc" else 1
        seq = np.lexsort((self.pid[p], sign * self.need[p], self.li[p]))
        out = []
        for k, i in enumerate(seq):
            c = int(cols[i])
            key = int(self.col_res[c])
            region = free if int(self.li[p[i]]) == self.top_level else polygonal(
                shapely.intersection(free, m.geometry(key), grid_size=GRID_M))
            scale = float(m.blocks.at[key, "scale"])
            rules = CarveRules.from_config(scale)
            need_m2 = self.need[p[i]] * M2_PER_MU / scale
            if k < len(seq) - 1:   # the split window (whole piece up to +2 %) only for the last site of a block
                rules = CarveRules(0.0, rules.cut_tolerance, rules.sliver_m2, rules.sliver_width_m)
            got = carve(region, need_m2, rules)
            if got is None:
                return None
            site, _ = got
            out.append((c, site))
            free = polygonal(shapely.difference(free, site, grid_size=GRID_M))
        return out

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
