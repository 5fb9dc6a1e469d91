"""The one gate for geometry: what every reader and every load runs before a feature enters a workspace.

Pure and vectorised (shapely 2, pyproj; no I/O). Each check takes an array of geometries and returns, by position,
the Chinese reason a geometry is refused — so a reader names the file and the feature, and the reason is the same
whatever the format:

- ``coordinate_problems``: coordinates that are not finite numbers (NaN, inf), coordinates far outside the CRS's
  area of use (``pyproj.CRS.area_of_use`` widened by a margin in degrees; a longitude of 1e300), rings with fewer
  than 3 distinct points. Run before any GEOS operation (``make_valid``, ``within`` … raise on NaN/inf).
- ``projection_problems``: after a transformation into the workspace's CRS, coordinates that came out infinite or
  far outside that CRS's area of use (a world-countries polygon sent into one Gauss-Krüger zone).
- ``limit_vertices``: a geometry of more than ``max_vertices`` vertices is simplified (Douglas-Peucker, topology
  kept) within the survey tolerance — the boundary moves by no more than that — and the simplification is reported; when
  it still has too many, it is refused.
"""
from __future__ import annotations

import numpy as np
import shapely
from pyproj import CRS, Transformer

ABSURD_METRES = 1e8
"""A projected coordinate beyond this (2.5 × the Earth's circumference) is absurd whatever the CRS: the bound used
when a CRS declares no area of use."""
METRES_PER_DEGREE = 111_320.0


def _positions(idx: np.ndarray, flags: np.ndarray, n: int) -> np.ndarray:
    """Per geometry: does any of its coordinates (``idx`` = the geometry of each) have ``flags``."""
    out = np.zeros(n, dtype=bool)
    out[np.unique(idx[flags])] = True
    return out


def nonfinite(geoms) -> np.ndarray:
    """Per geometry: does it hold a NaN or infinite coordinate (missing geometries: False)."""
    geoms = np.asarray(geoms, dtype=object)
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    return _positions(idx, ~np.isfinite(coords).all(axis=1), len(geoms))


def allowed_box(crs, margin_deg: float) -> tuple[float, float, float, float]:
    """The box (in ``crs``'s own coordinates) outside which a coordinate is absurd: the CRS's area of use widened
    by ``margin_deg`` degrees on every side; without an area of use, the whole globe (±``ABSURD_METRES`` when
    projected)."""
    crs = CRS.from_user_input(crs)
    area = crs.area_of_use
    if area is None or area.west > area.east:          # none, or across the antimeridian: the globe
        west, south, east, north = -180.0, -90.0, 180.0, 90.0
    else:
        west, south, east, north = area.west, area.south, area.east, area.north
    west, east = max(west - margin_deg, -180.0), min(east + margin_deg, 180.0)
    south, north = max(south - margin_deg, -89.0), min(north + margin_deg, 89.0)
    if crs.is_geographic:
        return west, south, east, north
    if area is None:
        return -ABSURD_METRES, -ABSURD_METRES, ABSURD_METRES, ABSURD_METRES
    try:
        box = Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True).transform_bounds(
            west, south, east, north, densify_pts=21)
    except Exception:                                  # a projection undefined over the widened box
        box = (np.inf,) * 4
    if not np.all(np.isfinite(box)):
        return -ABSURD_METRES, -ABSURD_METRES, ABSURD_METRES, ABSURD_METRES
    return tuple(float(v) for v in box)


def outside(geoms, crs, margin_deg: float) -> np.ndarray:
    """Per geometry (with finite coordinates): does it reach outside ``allowed_box``."""
    geoms = np.asarray(geoms, dtype=object)
    minx, miny, maxx, maxy = allowed_box(crs, margin_deg)
    b = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        out = (b[:, 0] < minx) | (b[:, 1] < miny) | (b[:, 2] > maxx) | (b[:, 3] > maxy)
    return out & np.isfinite(b).all(axis=1)


def short_rings(geoms) -> np.ndarray:
    """Per geometry: the fewest distinct points of any of its polygon rings (consecutive repeats and the closing
    point not counted); a large number for geometries without rings."""
    geoms = np.asarray(geoms, dtype=object)
    out = np.full(len(geoms), np.iinfo(np.int64).max, dtype=np.int64)
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    if not polygonal.any():
        return out
    rings, owner = shapely.get_rings(geoms[polygonal], return_index=True)
    if not len(rings):
        return out
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    new_ring = np.r_[True, ring_of[1:] != ring_of[:-1]]
    moved = np.r_[True, (coords[1:] != coords[:-1]).any(axis=1)]
    distinct = np.bincount(ring_of[moved | new_ring], minlength=len(rings)) - 1   # the closing point
    distinct = np.maximum(distinct, 0)
    fewest = np.full(int(polygonal.sum()), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(fewest, owner, distinct)
    out[polygonal] = fewest
    return out


def coordinate_problems(geoms, crs, margin_deg: float | None) -> dict[int, str]:
    """Position → reason for every geometry with non-finite coordinates, coordinates far outside ``crs``'s area
    of use (skipped when ``crs`` or ``margin_deg`` is None) or a ring of fewer than 3 distinct points."""
    geoms = np.asarray(geoms, dtype=object)
    problems: dict[int, str] = {}
    bad = nonfinite(geoms)
    for k in np.flatnonzero(bad):
        problems[int(k)] = "坐标含非数值（NaN）或无穷大（inf），无法使用"
    if crs is not None and margin_deg is not None:
        far = outside(np.where(bad, None, geoms), crs, margin_deg)
        if far.any():
            name = CRS.from_user_input(crs).name
            bounds = shapely.bounds(geoms[far])
            for k, (x0, y0, x1, y1) in zip(np.flatnonzero(far), bounds):
                problems[int(k)] = (f"坐标（{_num(x0)}, {_num(y0)} — {_num(x1)}, {_num(y1)}）远在坐标系"
                                    f"“{name}”的适用范围之外（放宽 {margin_deg:g}° 后仍在外），坐标有误或坐标系不对")
    few = short_rings(np.where(bad, None, geoms))
    for k in np.flatnonzero(few < 3):
        problems.setdefault(int(k), f"面的边界只有 {int(few[k])} 个不同的点（至少需 3 个），无法构成面")
    return problems


def projection_problems(geoms, target, margin_deg: float | None) -> dict[int, str]:
    """Position → reason for geometries that could not be projected into ``target``: infinite/NaN coordinates
    after the transformation, or coordinates far outside the target's area of use."""
    geoms = np.asarray(geoms, dtype=object)
    name = CRS.from_user_input(target).name
    problems: dict[int, str] = {}
    bad = nonfinite(geoms)
    for k in np.flatnonzero(bad):
        problems[int(k)] = f"无法投影到工作空间的坐标系“{name}”（转换后坐标为无穷大），可能远离本县或坐标系不对"
    if margin_deg is not None:
        far = outside(np.where(bad, None, geoms), target, margin_deg)
        for k in np.flatnonzero(far):
            problems[int(k)] = (f"无法可靠投影到工作空间的坐标系“{name}”：要素远在其适用范围之外"
                                f"（放宽 {margin_deg:g}° 后仍在外），可能远离本县或坐标系不对")
    return problems


def limit_vertices(geoms, crs, max_vertices: int, tolerance_m: float) -> tuple[np.ndarray, dict[int, str],
                                                                               dict[int, str]]:
    """(geometries, simplified {position: note}, refused {position: reason}): a geometry of more than
    ``max_vertices`` vertices simplified within ``tolerance_m`` metres (degrees ≈ metres / 111 320 in a geographic
    CRS), topology kept; refused when still over the limit. Others are returned as they are."""
    geoms = np.array(geoms, dtype=object)
    counts = shapely.get_num_coordinates(geoms)
    over = np.flatnonzero(counts > max_vertices)
    simplified: dict[int, str] = {}
    refused: dict[int, str] = {}
    if not len(over):
        return geoms, simplified, refused
    geographic = CRS.from_user_input(crs).is_geographic if crs is not None else False
    tolerance = tolerance_m / METRES_PER_DEGREE if geographic else tolerance_m
    smaller = shapely.simplify(geoms[over], tolerance, preserve_topology=True)
    after = shapely.get_num_coordinates(smaller)
    for k, g, n0, n1 in zip(over, smaller, counts[over], after):
        if n1 > max_vertices or shapely.is_empty(g):
            refused[int(k)] = (f"顶点数 {int(n0):,} 超过上限 {max_vertices:,}，在测量精度 {tolerance_m:g} m 内"
                               f"化简后仍有 {int(n1):,} 个：请在 GIS 中化简或拆分后再导入")
        else:
            geoms[k] = g
            simplified[int(k)] = (f"顶点数 {int(n0):,} 超过上限 {max_vertices:,}，已在测量精度 {tolerance_m:g} m 内"
                                  f"化简为 {int(n1):,} 个（化简后边界与原边界相差不超过 {tolerance_m:g} m）")
    return geoms, simplified, refused


def _num(v: float) -> str:
    return f"{v:.6g}"
