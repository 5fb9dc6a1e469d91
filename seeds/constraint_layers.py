"""The sample county's 三区三线 and flood layers (fictional, like everything in it): a little 永久基本农田 and
生态保护红线 over some parcels — one of them a parcel the ledger wrongly calls 可供 (mostly farmland) — a
城镇开发边界 that leaves one corner parcel out, and a river's flood zones. Kept off the two parks of the report's
有项目、无选址 cases (冉家坝, 桐溪), whose projects stay unplaced for their own reasons.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

SPARED_ZONES = ("RJB", "TX")


def _available(pf: gpd.GeoDataFrame, zone_id: str) -> gpd.GeoDataFrame:
    sel = pf[(pf["zone_id"] == zone_id) & (pf["status"] == "available")]
    return sel.iloc[np.argsort(shapely.area(np.asarray(sel.geometry.values)), kind="stable")]


def sample_constraints(zones: gpd.GeoDataFrame, pf: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """name → layer (the parcels' CRS), every feature with a 编号 and a note, as the 自然资源局 delivers them."""
    crs = pf.crs
    geoms = np.asarray(pf.geometry.values)
    cent = shapely.centroid(geoms)
    # farmland: most (≈ 70 %) of a small available LZ parcel — the ledger's error — and a corner of a QDB one
    lz = _available(pf, "LZ")
    wrong = lz.geometry.iloc[len(lz) // 2]
    x0, y0, x1, y1 = wrong.bounds
    farm = [shapely.box(x0 - 30, y0 - 30, x0 + 0.7 * (x1 - x0), y1 + 30)]
    qdb = _available(pf, "QDB")
    corner = qdb.geometry.iloc[len(qdb) // 3]
    cx0, cy0, cx1, cy1 = corner.bounds
    farm.append(shapely.box(cx0 - 40, cy0 - 40, cx0 + 0.3 * (cx1 - cx0), cy0 + 0.4 * (cy1 - cy0)))
    # red line: a 40 m stream corridor across a JKSP parcel (splitting it in two) and on past the park
    jk = _available(pf, "JKSP")
    split = jk.geometry.iloc[len(jk) // 2]
    c = shapely.centroid(split)
    ring = np.asarray(shapely.get_coordinates(shapely.minimum_rotated_rectangle(split)))[:3]
    edges = np.diff(ring, axis=0)
    short = edges[np.argmin(np.hypot(edges[:, 0], edges[:, 1]))]
    u = short / np.hypot(*short) * 900                          # across the parcel's length, through its middle
    corridor = shapely.buffer(shapely.LineString([(c.x - u[0], c.y - u[1]), (c.x + u[0], c.y + u[1])]), 20,
                              cap_style="flat")
    red = [shapely.intersection(corridor, shapely.buffer(split, 150))]
    # the development boundary: the parks, less the corner (north-east-most) available parcel of 龙州
    x, y = shapely.get_x(cent), shapely.get_y(cent)
    lz_idx = np.flatnonzero(((pf["zone_id"] == "LZ") & (pf["status"] == "available")).to_numpy())
    out = lz_idx[np.argmax(x[lz_idx] + y[lz_idx])]
    parks = shapely.union_all(np.asarray(shapely.buffer(zones.geometry.values, 60)))
    boundary = shapely.difference(parks, shapely.buffer(geoms[out], 5))
    # flood: a river along the south edge of 青东坝's available land,
    # a 20-year zone (excluded) inside a 100-year one (kept)
    qx0, qy0, qx1, _ = qdb.total_bounds
    river = shapely.LineString([(qx0 - 500, qy0 - 40), (qx1 + 500, qy0 - 40)])    # grazes the lowest parcels
    layers = {
        "farmland": gpd.GeoDataFrame({"JBNTBH": [f"JBNT-{i + 1:03d}" for i in range(len(farm))],
                                      "note": "虚构示例"}, geometry=farm, crs=crs),
        "eco_redline": gpd.GeoDataFrame({"HXBH": ["STHX-001"], "note": "虚构示例"}, geometry=red, crs=crs),
        "dev_boundary": gpd.GeoDataFrame({"note": ["虚构示例"]}, geometry=[boundary], crs=crs),
        "flood": gpd.GeoDataFrame({"return_period": [20.0, 100.0], "note": "虚构示例"},
                                  geometry=[shapely.buffer(river, 60), shapely.buffer(river, 160)], crs=crs),
    }
    return layers
