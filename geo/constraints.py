"""Net usable land (净用地): parcels minus the 三区三线 constraint layers, flood zones and too-steep land. Pure.

Geometry only, in the parcels' planar metre CRS (the caller reprojects layers first). Vectorised with shapely 2:
one STRtree query per layer, element-wise overlay over (parcel, feature) pairs and one grouped union per layer; no
per-parcel Python loop.

Exclusions are applied in the fixed order ``EXCLUSION_ORDER`` and each square metre is attributed to the first layer
that takes it (land in both farmland and the red line counts as farmland only), so ``constrained_by`` sums to
``constrained_mu``. ``dev_boundary`` (城镇开发边界) excludes the part of a parcel *outside* it; an absent (None) or
empty boundary layer excludes nothing. ``slope`` does not apply to parcels with status ``leveling`` (their land
counts as leveled once ready). Net pieces that are slivers — the one sliver rule, ``sliver_mask``, which
matching/carve.py's ``is_sliver`` uses too: under ``sliver_m2`` or nowhere as wide as ``sliver_width_m`` (an
inward buffer of half of it vanishes) — are dropped from parcels an exclusion cut; their 亩 are reported as
``sliver_mu``. So gross = net + constrained + sliver.

Areas in 亩 are ellipsoidal like the rest of the project (geo/area.py): each parcel's planar areas are multiplied by
its ellipsoidal / planar ratio (``scale``, as matching does), so an untouched parcel's net_mu is its area_mu.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.area import area_mu
from geo.errors import CRSError, InputError
from geo.units import M2_PER_MU

EXCLUSION_ORDER: tuple[str, ...] = ("farmland", "eco_redline", "flood", "dev_boundary", "slope")
INSIDE_LAYERS = frozenset({"dev_boundary"})   # layers whose *outside* is excluded
_EMPTY = shapely.Polygon()
OVERLAY_GRID_M = 1e-6
"""Precision grid (m) of the overlays that cut exclusions out of parcels: the exclusions are clipped to each parcel
first, so their edges run along the parcel's; in floating point the difference can then keep a hairline along that
edge that joins two pieces a strip cut apart (one Polygon instead of two). Snapping to a micrometre grid closes it."""


@dataclass(frozen=True)
class NetLand:
    """Net land per parcel (every Series indexed by parcel_id, in the parcels' order).

    ``geometry``: the net geometry (Polygon / MultiPolygon, empty when nothing is left), planar CRS of the input;
    ``gross_mu``: ellipsoidal parcel area; ``net_mu``; ``constrained_mu`` = Σ ``constrained_by`` (亩 per layer,
    columns ``EXCLUSION_ORDER``); ``sliver_mu``: net pieces dropped as slivers; ``scale``: ellipsoidal / planar.
    """
    geometry: gpd.GeoSeries
    gross_mu: pd.Series
    net_mu: pd.Series
    constrained_mu: pd.Series
    constrained_by: pd.DataFrame
    sliver_mu: pd.Series
    scale: pd.Series

    def pieces(self) -> gpd.GeoDataFrame:
        """See ``net_pieces``."""
        return net_pieces(self)

    def totals(self) -> dict[str, float]:
        """County totals in 亩: gross, net, constrained, each layer, slivers."""
        out = {"gross_mu": float(self.gross_mu.sum()), "net_mu": float(self.net_mu.sum()),
               "constrained_mu": float(self.constrained_mu.sum()), "sliver_mu": float(self.sliver_mu.sum())}
        out.update({f"{k}_mu": float(v) for k, v in self.constrained_by.sum().items()})
        return out


def flood_exclusion(flood: gpd.GeoDataFrame | None, max_return_period: float,
                    field: str = "return_period") -> gpd.GeoSeries | None:
    """The flood zones that exclude land: return period ≤ ``max_return_period`` years ([constraints]
    flood_return_period). A zone without a return period is kept (mapped as a flood zone, so excluded: the
    conservative reading; the load report warns: ``geo.netland.report_flood``). None when there is no layer."""
    if flood is None:
        return None
    if field not in flood.columns:
        return flood.geometry
    rp = pd.to_numeric(flood[field], errors="coerce")
    return flood.geometry[(rp <= max_return_period) | rp.isna()]


def missing_return_period(flood: gpd.GeoDataFrame | None, field: str = "return_period") -> np.ndarray:
    """Positions (0-based, in the layer's order) of the flood zones without a usable return period — no field,
    empty or not a number — which ``flood_exclusion`` excludes whatever the configured period."""
    if flood is None or not len(flood):
        return np.array([], dtype=int)
    if field not in flood.columns:
        return np.arange(len(flood))
    return np.flatnonzero(pd.to_numeric(flood[field], errors="coerce").isna().to_numpy())


def _layer_geoms(layer) -> np.ndarray | None:
    if layer is None:
        return None
    geoms = np.asarray(layer.geometry.values if isinstance(layer, gpd.GeoDataFrame) else
                       (layer.values if isinstance(layer, gpd.GeoSeries) else layer), dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    bad = ~shapely.is_valid(geoms)
    if bad.any():                                   # an overlay needs valid input (Shapefiles often are not)
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
    return geoms if len(geoms) else None


def grouped_union(parts: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    """Union of ``parts`` per group 0..n-1 (an object array of n geometries, empty polygon where no part).

    One collection per group (``shapely.geometrycollections`` with indices) and one element-wise unary union;
    groups with a single part skip the union.
    """
    out = np.full(n, _EMPTY, dtype=object)
    if len(parts) == 0:
        return out
    counts = np.bincount(groups, minlength=n)
    single = counts[groups] == 1
    out[groups[single]] = parts[single]
    multi = ~single
    if multi.any():
        g = groups[multi]
        uniq, local = np.unique(g, return_inverse=True)
        colls = shapely.geometrycollections(parts[multi], indices=local)
        out[uniq] = _unary_union(colls)
    return out


def _unary_union(collections: np.ndarray) -> np.ndarray:
    """Element-wise unary union of geometry collections (shapely's ufunc behind ``union_all``)."""
    lib = getattr(shapely, "lib", None)
    if lib is not None and hasattr(lib, "unary_union"):
        return lib.unary_union(collections)
    return np.array([shapely.union_all(shapely.get_parts(c)) for c in collections], dtype=object)  # pragma: no cover


def _clipped_union(geoms: np.ndarray, layer: np.ndarray, eligible: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Per parcel, the union of the layer's features clipped to it; and which parcels the layer touches."""
    n = len(geoms)
    tree = shapely.STRtree(layer)
    pi, fj = tree.query(geoms, predicate="intersects")
    if eligible is not None:
        keep = eligible[pi]
        pi, fj = pi[keep], fj[keep]
    touched = np.zeros(n, dtype=bool)
    touched[pi] = True
    # a parcel wholly inside one feature (the usual case for a development boundary) needs no overlay
    wi, _ = tree.query(geoms, predicate="within")
    inside = np.zeros(n, dtype=bool)
    inside[wi] = True
    if eligible is not None:
        inside &= eligible
    rest = ~inside[pi]
    clipped = shapely.intersection(layer[fj[rest]], geoms[pi[rest]])
    union = grouped_union(clipped, pi[rest], n)
    union[inside] = geoms[inside]
    return union, touched


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Only the polygonal part of overlay results (lines and points from touching edges dropped)."""
    kinds = shapely.get_type_id(geoms)
    out = geoms.copy()
    coll = kinds == 7
    if coll.any():
        parts, idx = shapely.get_parts(geoms[coll], return_index=True)
        poly = np.isin(shapely.get_type_id(parts), (3, 6))
        res = np.full(coll.sum(), _EMPTY, dtype=object)
        if poly.any():
            res = grouped_union(parts[poly], idx[poly], coll.sum())
        out[coll] = res
    line = np.isin(kinds, (0, 1, 2, 4, 5))
    out[line] = _EMPTY
    return out


def sliver_mask(parts: np.ndarray, sliver_m2_planar: np.ndarray, sliver_width_m: float) -> np.ndarray:
    """The sliver rule, once for net land and site carving (``matching.carve.is_sliver``): area under the
    threshold, or an inward buffer of half the width (quad_segs=2) leaves nothing."""
    small = shapely.area(parts) < sliver_m2_planar
    narrow = np.zeros(len(parts), dtype=bool)
    rest = ~small
    if rest.any():
        narrow[rest] = shapely.is_empty(shapely.buffer(parts[rest], -sliver_width_m / 2, quad_segs=2))
    return small | narrow


def net_land(parcels: gpd.GeoDataFrame, exclusions: dict[str, object], *, dev_boundary_inside: bool = True,
             sliver_m2: float, sliver_width_m: float, status_column: str = "status") -> NetLand:
    """Net land of every parcel (see the module doc).

    ``parcels``: planar metre CRS, index parcel_id, column ``status``; an ``area_mu`` column, when present, is
    taken as the ellipsoidal gross area (else computed with geo.area.area_mu). ``exclusions``: GeoSeries /
    GeoDataFrame (or None) per key of ``EXCLUSION_ORDER``, in the parcels' CRS — filter flood zones with
    ``flood_exclusion`` first. ``dev_boundary_inside``: the boundary layer is what land must lie inside (True, the
    城镇开发边界); False treats it like the others. ``sliver_m2``: ellipsoidal m² (sliver_mu × M2_PER_MU).
    """
    unknown = set(exclusions) - set(EXCLUSION_ORDER)
    if unknown:
        raise InputError(f"未知的限制图层：{'、'.join(sorted(unknown))}（应为 {'、'.join(EXCLUSION_ORDER)}）")
    if parcels.crs is not None and not parcels.crs.is_projected:
        raise CRSError("net_land 需要平面（米）坐标系的地块：请先转换到工作坐标系（如 Workspace.metric）")
    index = parcels.index
    geoms = np.asarray(parcels.geometry.values, dtype=object)
    n = len(geoms)
    planar = shapely.area(geoms)
    gross = (pd.to_numeric(parcels["area_mu"], errors="coerce").to_numpy(dtype=float)
             if "area_mu" in parcels.columns else area_mu(parcels.geometry).to_numpy())
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(planar > 0, gross * M2_PER_MU / np.where(planar > 0, planar, 1.0), 1.0)
    status = parcels[status_column].astype(str).to_numpy() if status_column in parcels.columns else np.full(n, "")
    remaining = geoms.copy()
    rem_area = planar.copy()
    changed = np.zeros(n, dtype=bool)
    taken = {}
    for name in EXCLUSION_ORDER:
        layer = _layer_geoms(exclusions.get(name))
        taken[name] = np.zeros(n)
        if layer is None or n == 0:
            continue
        eligible = (status != "leveling") if name == "slope" else None
        union, touched = _clipped_union(geoms, layer, eligible)
        if name in INSIDE_LAYERS and dev_boundary_inside:
            # keep only what lies inside: parcels the boundary misses entirely lose everything
            new = remaining.copy()
            inside_all = touched & (shapely.area(union) >= planar * (1 - 1e-12))
            act = ~inside_all & ~shapely.is_empty(remaining)
            new[act & ~touched] = _EMPTY
            sel = act & touched
            if sel.any():
                new[sel] = _polygonal(shapely.intersection(remaining[sel], union[sel], grid_size=OVERLAY_GRID_M))
        else:
            sel = touched & ~shapely.is_empty(remaining)
            new = remaining.copy()
            if sel.any():
                new[sel] = _polygonal(shapely.difference(remaining[sel], union[sel], grid_size=OVERLAY_GRID_M))
            act = sel
        new_area = shapely.area(new)
        taken[name] = np.maximum(rem_area - new_area, 0.0) * scale / M2_PER_MU
        changed |= act & (new_area < rem_area)
        remaining, rem_area = new, new_area
    # slivers, only on parcels an exclusion cut
    sliver = np.zeros(n)
    idx = np.nonzero(changed & (rem_area > 0))[0]
    if len(idx):
        parts, owner = shapely.get_parts(remaining[idx], return_index=True)
        owner = idx[owner]
        drop = sliver_mask(parts, sliver_m2 / scale[owner], sliver_width_m)
        if drop.any():
            sliver = np.bincount(owner[drop], weights=shapely.area(parts[drop]), minlength=n) * scale / M2_PER_MU
            keep_parts = parts[~drop]
            kept = grouped_union(keep_parts, owner[~drop], n)
            hit = np.unique(owner[drop])
            remaining[hit] = kept[hit]
            rem_area = shapely.area(remaining)
    by = pd.DataFrame({k: taken[k] for k in EXCLUSION_ORDER}, index=index)
    net_mu = np.where(changed, rem_area * scale / M2_PER_MU, gross)
    return NetLand(
        geometry=gpd.GeoSeries(remaining, index=index, crs=parcels.crs, name="geometry"),
        gross_mu=pd.Series(gross, index=index, name="gross_mu"),
        net_mu=pd.Series(net_mu, index=index, name="net_mu"),
        constrained_mu=by.sum(axis=1).rename("constrained_mu"),
        constrained_by=by,
        sliver_mu=pd.Series(sliver, index=index, name="sliver_mu"),
        scale=pd.Series(scale, index=index, name="scale"))


def protected_share(parcels: gpd.GeoDataFrame, farmland, eco_redline) -> pd.Series:
    """Share (0..1) of each parcel's area inside farmland ∪ red line, for the validation check "an available
    parcel more than 50 % protected" (a ledger that says 可供 for protected land is a data error)."""
    geoms = np.asarray(parcels.geometry.values, dtype=object)
    planar = shapely.area(geoms)
    layers = [g for g in (_layer_geoms(farmland), _layer_geoms(eco_redline)) if g is not None]
    share = np.zeros(len(geoms))
    if layers and len(geoms):
        union, touched = _clipped_union(geoms, np.concatenate(layers), None)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(touched & (planar > 0), shapely.area(union) / np.where(planar > 0, planar, 1), 0.0)
    return pd.Series(np.clip(share, 0, 1), index=parcels.index, name="protected_share")


def net_pieces(net: NetLand, parcels: pd.DataFrame | None = None, columns: tuple[str, ...] = ("zone_id", "status")
               ) -> gpd.GeoDataFrame:
    """The connected pieces of net land, one row per polygon, for geo/blocks.py to form blocks from.

    A net MultiPolygon (a red-line strip across a parcel) gives one row per part: they no longer touch, so they
    fall into different blocks unless some other parcel joins them. Columns: ``piece_id`` (``<parcel_id>#<k>``,
    also the index), ``parcel_id``, ``piece`` (k), ``area_mu`` (ellipsoidal, the parcel's scale), ``geometry``,
    plus ``columns`` copied from ``parcels`` when given. Parcels with no net land have no row.
    """
    geoms = np.asarray(net.geometry.values, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]
    ids = net.geometry.index.to_numpy()[owner]
    k = np.arange(len(owner)) - np.searchsorted(owner, owner, side="left") if len(owner) else np.zeros(0, int)
    area = shapely.area(parts) * net.scale.to_numpy()[owner] / M2_PER_MU
    piece_id = [f"{p}#{i}" for p, i in zip(ids, k)]
    frame = gpd.GeoDataFrame({"piece_id": piece_id, "parcel_id": ids, "piece": k, "area_mu": area},
                             geometry=gpd.GeoSeries(parts, crs=net.geometry.crs, index=pd.Index(piece_id)),
                             index=pd.Index(piece_id))
    if parcels is not None:
        for c in columns:
            if c in parcels.columns:
                frame[c] = parcels[c].reindex(ids).to_numpy()
    return frame
