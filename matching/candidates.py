"""Geometry → a plain candidate model: eligible land per date level, its contiguous blocks and their nesting.

A project may use land that is ready by its *level* (the later of its needed_by and the scenario date; None = only
land available now). Eligible land only grows with the date, so each block at one level lies inside exactly one
block at every later level: the blocks form a tree (laminar family). ``ALL`` is the level of "all pipeline land,
whatever its ready date", used to explain NOT_READY and to find unlocks, never to place.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geo.blocks import touching_pairs
from geo.cache import DerivedCache, own
from geo.netland import land_rows
from geo.supply import ready_factories, zone_admits
from geo.units import M2_PER_MU
from geo.vocab import PIPELINE_STATUSES
from geo.workspace import Workspace
from matching.bounds import SimplifyRule, engine_geometry

ALL = pd.Timestamp.max.floor("D")
"""Level sentinel: every leveling/demolition parcel counts, whatever its ready date."""


def project_level(needed_by, as_of) -> pd.Timestamp | None:
    """The date up to which a project may use pipeline land: the later of its needed_by and the scenario date."""
    dates = [pd.Timestamp(d) for d in (needed_by, as_of) if d is not None and not pd.isna(d)]
    return max(dates) if dates else None


def _level_sort_key(level) -> pd.Timestamp:
    return pd.Timestamp.min if level is None else level


class LandModel:
    """Eligible parcels (available + all pipeline), sorted by parcel id, and their blocks at each level.

    Blocks get integer keys; ``blocks`` is a DataFrame indexed by key with ``level`` (index into ``levels``),
    ``zone_id``, ``area_mu`` (ellipsoidal, overlaps counted once), ``ready`` (latest ready date of its pipeline
    parcels, NaT when all available), ``scale`` (ellipsoidal / planar area) and ``first`` (a member node).
    Parcels closer than ``touch_gap_m`` touch, unless they share less than ``min_edge_m`` of edge (a corner).
    ``geometry_of``: a workspace with the same parcel geometry (a scenario's base), whose touching pairs hold.
    ``net``: the workspace's net land (``geo.netland.workspace_net``) or None: then the nodes are its land rows
    (a parcel an exclusion cut is one node per net piece; ``pid`` is then the parcel id of each node, repeated
    for the pieces of one parcel, ``node_id`` the piece id) and every area is net. ``cache``: where the touching
    pairs are derived (None: for this model only). ``simplify``: the rule for over-dense parcels
    (``matching.bounds``); ``simplified`` lists the parcel ids whose geometry the engine simplified.
    """

    def __init__(self, ws: Workspace, levels, touch_gap_m: float, min_edge_m: float, geometry_of=None, net=None,
                 cache: DerivedCache | None = None, simplify: SimplifyRule | None = None):
        levels = sorted(set(levels) | {None, ALL}, key=_level_sort_key)
        self.levels: list[pd.Timestamp | None] = levels
        self.net = net
        parcels = land_rows(ws.metric("parcels"), net)
        order = np.argsort(parcels["parcel_id"].to_numpy().astype(str), kind="stable")
        status = parcels["status"].to_numpy()[order]
        avail_all = status == "available"
        top = avail_all | np.isin(status, PIPELINE_STATUSES)
        self.rows = order[top]                                   # positions in the land rows
        self.pid = np.array([str(v) for v in parcels["parcel_id"]], dtype=object)[self.rows]
        self.node_id = np.array([str(v) for v in parcels.index], dtype=object)[self.rows]
        self.zone = parcels["zone_id"].to_numpy().astype(str)[self.rows]
        self.geom = np.asarray(parcels.geometry.values)[self.rows]
        self.simplified: list[str] = []
        if simplify is not None:
            self.geom, done = engine_geometry(self.geom, simplify)
            self.simplified = sorted(set(self.pid[done].tolist()))
        self.status = status[top]
        self.available = avail_all[top]
        self.ready = pd.to_datetime(parcels["ready_date"]).to_numpy()[self.rows]
        self.net_mu = parcels["net_mu"].to_numpy(dtype=float)[self.rows]
        self.planar_mu = shapely.area(self.geom) / M2_PER_MU
        n = len(self.rows)
        self.touch_gap_m = touch_gap_m
        self.min_edge_m = min_edge_m
        # net pieces depend on the statuses (slope spares leveling land): their pairs are the copy's own
        base = ws if net is not None else (geometry_of or ws)
        self.left, self.right = _pairs(own(cache), base, self.node_id, self.geom, self.zone, touch_gap_m,
                                       min_edge_m, simplify)

        self.node_block = np.full((len(levels), n), -1, dtype=np.int64)
        frames, offset = [], 0
        for li, level in enumerate(levels):
            elig = self.eligible_mask(level)
            keep = elig[self.left] & elig[self.right]
            graph = coo_matrix((np.ones(int(keep.sum())), (self.left[keep], self.right[keep])), shape=(n, n))
            _, labels = connected_components(graph, directed=False)
            nodes = np.flatnonzero(elig)
            uniq, first, inv = np.unique(labels[nodes], return_index=True, return_inverse=True)
            # number blocks by their first (smallest parcel id) member: deterministic
            rank = np.empty(len(uniq), dtype=np.int64)
            rank[np.argsort(first, kind="stable")] = np.arange(len(uniq))
            keys = offset + rank[inv]
            self.node_block[li, nodes] = keys
            k = len(uniq)
            local = rank[inv]
            ready = self.ready[nodes].astype("datetime64[ns]").astype(np.int64)
            ready = np.where(self.available[nodes], np.iinfo(np.int64).min, ready)
            max_ready = np.full(k, np.iinfo(np.int64).min)
            np.maximum.at(max_ready, local, ready)
            first_node = np.full(k, n, dtype=np.int64)
            np.minimum.at(first_node, local, nodes)
            frames.append(pd.DataFrame({
                "level": li, "zone_id": self.zone[first_node] if k else np.array([], dtype=str),
                "area_mu": np.bincount(local, weights=self.net_mu[nodes], minlength=k),
                "planar_mu": np.bincount(local, weights=self.planar_mu[nodes], minlength=k),
                "n_parcels": np.bincount(local, minlength=k),
                "ready": pd.to_datetime(np.where(max_ready == np.iinfo(np.int64).min, np.datetime64("NaT"),
                                                 max_ready.astype("datetime64[ns]"))),
                "first": first_node,
            }, index=pd.RangeIndex(offset, offset + k)))
            offset += k
        self.blocks = pd.concat(frames)
        self.blocks["scale"] = np.where(self.blocks["planar_mu"] > 0,
                                        self.blocks["area_mu"] / self.blocks["planar_mu"].where(
                                            self.blocks["planar_mu"] > 0, 1.0), 1.0)
        self._geom_cache: dict[int, object] = {}
        self._members_sorted = [np.argsort(self.node_block[li], kind="stable") for li in range(len(levels))]

    # -------------------------------------------------------------------------------------------- queries
    def level_index(self, level) -> int:
        return self.levels.index(level)

    def eligible_mask(self, level) -> np.ndarray:
        """Nodes eligible at ``level``: available now, or pipeline ready on or before it."""
        if level is None:
            return self.available.copy()
        return self.available | (~self.available & (self.ready <= np.datetime64(level)))

    def at_level(self, keys: np.ndarray, li: int) -> np.ndarray:
        """The block at level ``li`` containing each block in ``keys`` (blocks nest as the date grows)."""
        return self.node_block[li, self.blocks["first"].to_numpy()[np.asarray(keys, dtype=np.int64)]]

    def nodes_of(self, parcel_ids) -> np.ndarray:
        """Node indices of these parcels (every net piece of each)."""
        return np.flatnonzero(np.isin(self.pid, np.asarray(list(parcel_ids), dtype=object)))

    def members(self, key: int) -> np.ndarray:
        """Node indices of a block's parcels (sorted by parcel id)."""
        li = int(self.blocks.at[key, "level"])
        row = self.node_block[li]
        srt = self._members_sorted[li]
        lo, hi = np.searchsorted(row[srt], [key, key + 1])
        return np.sort(srt[lo:hi])

    def geometry(self, key: int):
        """The block's land as one geometry in the metric CRS (digitising gaps closed so a block is one piece)."""
        g = self._geom_cache.get(key)
        if g is None:
            g = shapely.union_all(self.geom[self.members(key)])
            if shapely.get_num_geometries(g) > 1:
                gap = self.touch_gap_m
                g = shapely.buffer(shapely.buffer(g, gap, join_style="mitre"), -gap, join_style="mitre")
            self._geom_cache[key] = g
        return g

    def level_blocks(self, li: int) -> pd.DataFrame:
        return self.blocks[self.blocks["level"] == li]


def _pairs(cache: DerivedCache, ws: Workspace, pid: np.ndarray, geom: np.ndarray, zone: np.ndarray, gap_m: float,
           min_edge_m: float, simplify: SimplifyRule | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Touching pairs among the eligible parcels (in ``cache`` under ``ws``, keyed by the eligible parcel ids,
    the thresholds and the simplification rule)."""
    return cache.get(ws, ("matching.pairs", hash(tuple(pid)), len(pid), gap_m, min_edge_m, simplify),
                     lambda: touching_pairs(geom, zone, gap_m=gap_m, min_edge_m=min_edge_m))


def land_model(ws: Workspace, levels, touch_gap_m: float, min_edge_m: float, geometry_of=None, net=None,
               net_key=None, cache: DerivedCache | None = None, simplify: SimplifyRule | None = None) -> LandModel:
    """The LandModel of a workspace for these levels: derived once per workspace version, levels, thresholds and
    net-land settings ``net_key`` (in the caller's ``cache``; None: one for this call). A scenario's copy
    (``geometry_of`` its base) gets a model of its own, not kept: each scenario run makes a new copy; its touching
    pairs come from the base."""
    levels = tuple(sorted(set(levels) | {None, ALL}, key=_level_sort_key))
    cache = own(cache)
    if geometry_of is not None and geometry_of is not ws:
        return LandModel(ws, levels, touch_gap_m, min_edge_m, geometry_of, net, cache=cache, simplify=simplify)
    return cache.get(ws, ("matching.land", levels, touch_gap_m, min_edge_m, net is not None, net_key, simplify),
                     lambda: LandModel(ws, levels, touch_gap_m, min_edge_m, net=net, cache=cache, simplify=simplify))


def admitting_zones(zones: pd.DataFrame, industry: str) -> set[str]:
    """Zone ids whose 准入产业 include ``industry`` (or that list none)."""
    ok = zone_admits(zones, industry)
    return set(zones.index[ok].astype(str))


def factory_ready_mask(factories: pd.DataFrame, level) -> np.ndarray:
    """Factories that can take tenants by ``level`` (built; or building/planned ready by then)."""
    if level is ALL:
        return np.ones(len(factories), dtype=bool)
    return ready_factories(factories, level).to_numpy()
