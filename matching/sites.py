"""Stage 6, carving: the sites (选址) of chosen land options cut out of their top-level blocks (``matching.carve``),
and the placements of chosen options (land sites with parcel ids, ready date and WKT; factory places).

``carve_sites(carver, options, chosen)`` is used by ``match`` (all chosen options, block by block) and by ``fit``
(one candidate at a time). A ``Carver`` remembers the sites of every (block, options) it has carved.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.units import M2_PER_MU
from geo.workspace import Workspace
from matching.bounds import Deadline
from matching.carve import GRID_M, CarveRules, carve_options, polygonal
from matching.instance import Instance
from matching.model import Placement
from matching.options import FACTORY, LAND, Options


@dataclass
class Carving:
    """The placements of the carvable options (sorted by project id), and the sets of options (one per top-level
    block, sorted) whose sites cannot all be cut."""
    placements: list[Placement]
    failed: list[np.ndarray]


class Carver:
    """Carves the sites of options in top-level blocks of an Instance, in the land not already taken. After the
    ``deadline`` (``matching.bounds.Deadline``) a block's search stops: its sites count as uncarvable, not
    remembered, and ``deadline.hit`` says so."""

    def __init__(self, inst: Instance, deadline: Deadline | None = None):
        self.inst = inst
        self.deadline = deadline or Deadline()
        self._carved: dict[tuple, list | None] = {}      # (root block, options) → sites (None: cannot carve)
        self._taken_tree = None

    def block(self, options: Options, root: int, cols: np.ndarray, top_level: int):
        """[(option, site)] of options ``cols`` in top-level block ``root``, or None when they cannot all be cut.
        Remembered per (root, options): the repair re-carves only the failed blocks."""
        key = (root, tuple(np.sort(cols).tolist()))
        if key in self._carved:
            return self._carved[key]
        inst = self.inst
        free = inst.model.geometry(root)
        if inst.taken.sites:
            if self._taken_tree is None:
                self._taken_tree = shapely.STRtree(np.array(inst.taken.sites, dtype=object))
            hit = self._taken_tree.query(free, predicate="intersects")
            if len(hit):
                taken = self._taken_tree.geometries[hit]
                free = polygonal(shapely.difference(free, shapely.union_all(taken), grid_size=GRID_M))
        sites = None
        for order in ("desc", "asc"):
            sites = self._carve_root(options, free, cols, order, top_level)
            if sites is not None:
                break
        if sites is not None or not self.deadline.hit:
            self._carved[key] = sites
        return sites

    def _carve_root(self, options: Options, free, cols: np.ndarray, order: str, top_level: int):
        """Carve the sites of one root block: earliest level first (they may only use land ready earliest), then
        by need (largest first, or smallest first as a second try), then id. Each site takes the first cut that
        works; when a later site then cannot be cut, the earlier sites' other cuts are searched, depth first, up
        to ``carve_search_cuts`` cuts per block."""
        inst = self.inst
        m = inst.model
        p = options.project[cols]
        sign = -1 if order == "desc" else 1
        seq = np.lexsort((inst.pid[p], sign * inst.need[p], inst.li[p]))
        steps = []
        for k, i in enumerate(seq):
            c = int(cols[i])
            key = int(options.resource[c])
            rules = CarveRules.from_settings(inst.settings, float(m.blocks.at[key, "scale"]))
            if k < len(seq) - 1:   # the split window (whole piece up to +2 %) only for the last site of a block
                rules = CarveRules(0.0, rules.cut_tolerance, rules.sliver_m2, rules.sliver_width_m)
            top = int(inst.li[p[i]]) == top_level
            scale = float(m.blocks.at[key, "scale"])
            steps.append((c, None if top else m.geometry(key), inst.need[p[i]] * M2_PER_MU / scale, rules))
        need_after = np.r_[np.cumsum([s[2] for s in steps][::-1])[::-1], 0.0]
        budget = [max(len(steps), int(inst.settings.carve_search_cuts))]

        def search(k: int, free):
            if k == len(steps):
                return []
            if self.deadline.passed():
                return None
            if shapely.area(free) < need_after[k]:
                return None
            c, level_geom, need_m2, rules = steps[k]
            region = free if level_geom is None else polygonal(
                shapely.intersection(free, level_geom, grid_size=GRID_M))
            for site, _ in carve_options(region, need_m2, rules, within=None if level_geom is None else free):
                if self.deadline.passed():
                    return None
                budget[0] -= 1
                rest = search(k + 1, polygonal(shapely.difference(free, site, grid_size=GRID_M)))
                if rest is not None:
                    return [(c, site)] + rest
                if budget[0] <= 0:
                    return None
            return None
        return search(0, free)

    def without(self, options: Options, root: int, cols: np.ndarray, top_level: int) -> list[int]:
        """The options to leave out of an uncarvable block: the least valuable one whose removal lets the rest be
        cut (the lowest priority first, then the smallest need); when no single one does, the least valuable,
        and again."""
        inst = self.inst
        prio = inst.priority[options.project]
        left = sorted(cols.tolist(), key=lambda c: (round(float(prio[c]), 6), inst.need[options.project[c]],
                                                    options.value[c], -c))
        dropped = []
        while left:
            lowest = prio[left[0]]
            for c in [c for c in left if prio[c] <= lowest + 1e-9]:
                rest = np.array(sorted(set(left) - {c}), dtype=np.int64)
                if not len(rest) or self.block(options, root, rest, top_level) is not None:
                    return dropped + [c]
            dropped.append(left.pop(0))
            if left and self.block(options, root, np.array(sorted(left), dtype=np.int64), top_level) is not None:
                return dropped
        return dropped


def carve_sites(carver: Carver, options: Options, chosen: np.ndarray, top_level: int) -> Carving:
    """The placements of the ``chosen`` options: land sites carved block by block, factory places as they are."""
    inst = carver.inst
    m = inst.model
    placements: list[Placement] = []
    failed: list[np.ndarray] = []
    land = chosen[options.kind[chosen] == LAND]
    if len(land):
        roots = m.at_level(options.resource[land], top_level)
        for root in np.unique(roots):
            cols = land[roots == root]
            sites = carver.block(options, int(root), cols, top_level)
            if sites is None:
                failed.append(np.sort(cols))
                continue
            for c, site in sites:
                placements.append(_land_placement(inst, options, c, site))
    for c in chosen[options.kind[chosen] == FACTORY]:
        p = int(options.project[c])
        f = int(options.resource[c])
        placements.append(Placement(
            project_id=inst.pid[p], name=str(inst.projects["name"].iloc[p]), kind="factory",
            zone_id=str(inst.ws.factories.at[inst.fac_id[f], "zone_id"]), priority=float(inst.priority[p]),
            factory_id=inst.fac_id[f], floor_m2=float(inst.floor[p]), ready_date=inst.fac_ready_date[f]))
    _finish(inst, placements)
    placements.sort(key=lambda pl: pl.project_id)
    return Carving(placements, failed)


def _land_placement(inst: Instance, options: Options, c: int, site) -> Placement:
    p = int(options.project[c])
    key = int(options.resource[c])
    scale = float(inst.model.blocks.at[key, "scale"])
    return Placement(project_id=inst.pid[p], name=str(inst.projects["name"].iloc[p]), kind="land",
                     zone_id=str(inst.model.blocks.at[key, "zone_id"]), priority=float(inst.priority[p]),
                     need_mu=float(inst.need[p]), site_mu=float(shapely.area(site)) / M2_PER_MU * scale, site=site)


def _finish(inst: Instance, placements: list[Placement]) -> None:
    """Parcel ids, ready date and WKT (workspace CRS) of the land sites, all at once."""
    land = [pl for pl in placements if pl.kind == "land"]
    if not land:
        return
    m = inst.model
    sites = np.array([pl.site for pl in land], dtype=object)
    s_idx, n_idx = shapely.STRtree(m.geom).query(sites, predicate="intersects")
    inter = shapely.area(shapely.intersection(sites[s_idx], m.geom[n_idx])) / M2_PER_MU
    keep = inter > inst.settings.overlap_min_mu
    s_idx, n_idx = s_idx[keep], n_idx[keep]
    for k, pl in enumerate(land):
        nodes = n_idx[s_idx == k]
        pl.parcel_ids = sorted(set(m.pid[nodes].tolist()))
        pipe = nodes[~m.available[nodes]]
        pl.ready_date = pd.Timestamp(m.ready[pipe].max()) if len(pipe) else None
    for pl, w in zip(land, to_workspace_wkt(inst.ws, sites)):
        pl.site_wkt = w


def to_workspace_wkt(ws: Workspace, geoms) -> list[str]:
    """WKT in the workspace CRS (metres to the millimetre, degrees to ~1 cm)."""
    series = gpd.GeoSeries(list(geoms), crs=ws.metric_crs)
    if series.crs != ws.crs:
        series = series.to_crs(ws.crs)
    precision = 8 if ws.crs.is_geographic else 3
    return [shapely.to_wkt(g, rounding_precision=precision) for g in series.values]
