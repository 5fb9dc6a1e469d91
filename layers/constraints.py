"""The constraint layers on the map (三区三线, flood zones that exclude land): outlined and hatched as planners draw
them, toggleable; and the net 亩 of each parcel with what excludes the rest, for its popup.

Hatching is geometry, not a fill pattern (Leaflet's canvas has none): parallel 45° lines every ``HATCH_M`` metres
clipped to each layer, one vectorised intersection per layer.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.constraints import EXCLUSION_ORDER, flood_exclusion
from geo.netland import offered_mu, touched, workspace_net
from geo.vocab import EXCLUSION_LABELS, TERRAIN_TEXT
from geo.workspace import Workspace

HATCH_M = 25.0
CONSTRAINT_COLORS = {"farmland": "#e9c46a", "eco_redline": "#2a9d8f", "flood": "#4361ee", "dev_boundary": "#6d597a"}
"""Outline and hatch colour per layer (farmland yellow, red line green as 三区三线 maps draw them)."""


def hatch_lines(area, spacing: float = HATCH_M):
    """45° hatch lines clipped to ``area`` (metric): one MultiLineString."""
    if area is None or shapely.is_empty(area):
        return shapely.MultiLineString()
    x0, y0, x1, y1 = shapely.bounds(area)
    span = (x1 - x0) + (y1 - y0)
    offsets = np.arange(0.0, span + spacing, spacing)
    starts = np.column_stack([x0 + offsets - (y1 - y0), np.full(len(offsets), y0)])
    ends = starts + (y1 - y0)
    lines = shapely.linestrings(np.stack([starts, ends], axis=1))
    return shapely.union_all(shapely.intersection(lines, area))


def constraint_frames(ws: Workspace, settings) -> dict[str, gpd.GeoDataFrame]:
    """name → a metric frame of two features: the layer's area (``s`` = "area") and its hatch (``s`` = "hatch").
    Flood: only the zones that exclude land ([constraints] flood_return_period); dev_boundary: its outside is what
    it excludes, so it is drawn as an outline without hatch."""
    out = {}
    for name in ("farmland", "eco_redline", "flood", "dev_boundary"):
        layer = ws.constraint(name)
        if layer is None:
            continue
        geoms = flood_exclusion(layer, settings.constraints.flood_return_period) if name == "flood" else layer.geometry
        area = shapely.union_all(np.asarray(shapely.make_valid(np.asarray(geoms.values)))) if len(geoms) else None
        if area is None or shapely.is_empty(area):
            continue
        hatch = shapely.MultiLineString() if name == "dev_boundary" else hatch_lines(area)
        out[name] = gpd.GeoDataFrame({"s": ["area", "hatch"]}, geometry=[area, hatch], crs=layer.crs)
    return out


def parcel_net_columns(ws: Workspace, parcels: pd.DataFrame, settings, cache=None) -> pd.DataFrame:
    """``net`` (亩 the parcel offers; None for parcels never offered: supplied, reserved) and ``excl`` (what
    excludes the rest: "永久基本农田 3.2 亩、坡度超限 1.0 亩"; "" when nothing) for ``parcels``. ``cache``: the
    caller's ``geo.cache.DerivedCache`` (None: for this call)."""
    net = workspace_net(ws, settings, cache)
    offered = offered_mu(parcels, net)
    out = pd.DataFrame({"net": offered.where(parcels["status"].isin(
        ("available", "leveling", "demolition")), None), "excl": ""}, index=parcels.index)
    if net is not None:
        hit = touched(net)
        hit = hit[hit].index.intersection(parcels.index)
        by = net.constrained_by.loc[hit]
        sliver = net.sliver_mu.loc[hit]
        out.loc[hit, "excl"] = [
            "、".join([f"{EXCLUSION_LABELS[k]} {row[k]:.1f} 亩" for k in EXCLUSION_ORDER if row[k] >= 0.05]
                     + ([f"零星地块 {s:.1f} 亩"] if s >= 0.05 else []))
            for (_, row), s in zip(by.iterrows(), sliver)]
    return out


def parcel_terrain_text(ws: Workspace, parcels: pd.DataFrame, settings, cache=None) -> pd.Series:
    """For the popup of each 待平整 parcel (the land whose leveling the county pays for): mean slope, the balanced
    earthwork (cut / fill m³) and its cost at the ``[terrain]`` prices, from the workspace DEM; "" elsewhere and
    without a DEM. Derived once per workspace version and prices (in the caller's ``cache``; None: this call's)."""
    from geo.cache import own
    out = pd.Series("", index=parcels.index, dtype=object)
    if ws.dem_path is None:
        return out

    def compute() -> pd.Series:
        from formats.dem import read_dem_for
        from geo.parcel_terrain import parcel_terrain
        lev = ws.metric("parcels")
        lev = lev[lev["status"] == "leveling"]
        if not len(lev):
            return pd.Series(dtype=object)
        t = parcel_terrain(read_dem_for(ws.dem_path, lev), lev, settings.terrain).table
        ok = t["cut_m3"].notna()
        return pd.Series([TERRAIN_TEXT.format(slope=r.mean_slope_pct, cut=r.cut_m3, fill=r.fill_m3, cost=r.cost_wan)
                          for r in t[ok].itertuples()], index=t.index[ok], dtype=object)
    text = own(cache).get(ws, ("popup_terrain", settings.terrain), compute)
    hit = text.index.intersection(parcels.index)
    out.loc[hit] = text.loc[hit]
    return out
