"""Cutting a site (选址) of the needed area out of a block's free land.

The site is one polygon. It is cut with a straight line swept across the free piece — first along the piece's
long axis from either end (full-depth, compact sites), then along the short axis — and the line is placed by
bisection so the site takes between the need and need × (1 + cut_tolerance). A remainder that would be a sliver
(under ``sliver_mu`` 亩, or narrower than ``sliver_width_m`` everywhere) goes with the site when it touches it.
A free piece whose area is within the split window (need … need × (1 + split_surplus)) or whose leftover would be
a sliver is taken whole: no cut. Everything here is in a planar metre CRS.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from geo.constraints import sliver_mask
from geo.settings import MatchingSettings
from geo.units import M2_PER_MU

_MIN_PART_M2 = 1.0          # parts smaller than this are numerical dust from cutting, not land
GRID_M = 0.001              # overlay operations snap to a 1 mm grid: robust against near-coincident edges


@dataclass(frozen=True)
class CarveRules:
    """Thresholds (from ``MatchingSettings``) in planar m², for one block's area scale."""
    split_surplus: float
    cut_tolerance: float
    sliver_m2: float
    sliver_width_m: float

    @classmethod
    def from_settings(cls, settings: MatchingSettings, scale: float = 1.0) -> "CarveRules":
        """From ``MatchingSettings``; ``scale`` = ellipsoidal / planar area of the block, so 亩 thresholds hold on the
        ellipsoid."""
        return cls(split_surplus=settings.split_surplus, cut_tolerance=settings.cut_tolerance,
                   sliver_m2=settings.sliver_mu * M2_PER_MU / scale, sliver_width_m=settings.sliver_width_m)


def is_sliver(geom, rules: CarveRules) -> bool:
    """Under ``sliver_mu`` 亩, or nowhere as wide as ``sliver_width_m``: the one rule, ``geo.constraints.sliver_mask``
    (net land drops the same pieces)."""
    parts = np.empty(1, dtype=object)
    parts[0] = geom
    return bool(sliver_mask(parts, np.array([rules.sliver_m2]), rules.sliver_width_m)[0])


def _parts(geom) -> list:
    """The polygons of any geometry (collections flattened), without lines, points and numerical dust."""
    if geom is None or shapely.is_empty(geom):
        return []
    todo, out = [shapely.make_valid(geom)], []
    while todo:
        g = todo.pop()
        kind = shapely.get_type_id(g)
        if kind == 3:
            if shapely.area(g) >= _MIN_PART_M2:
                out.append(g)
        elif kind in (6, 7):
            todo.extend(shapely.get_parts(g))
    return sorted(out, key=lambda p: tuple(shapely.bounds(p)))


def polygonal(geom):
    """Only the polygonal part of an overlay result (a grid-snapped difference can leave lines and points)."""
    return _union(_parts(geom))


def _long_axis_angle(geom) -> float:
    """Angle (radians) of the longer side of the minimum rotated rectangle."""
    rect = shapely.oriented_envelope(geom)
    xy = shapely.get_coordinates(rect)
    if len(xy) < 4:
        return 0.0
    e1, e2 = xy[1] - xy[0], xy[2] - xy[1]
    edge = e1 if np.hypot(*e1) >= np.hypot(*e2) else e2
    return float(np.arctan2(edge[1], edge[0]))


def _rotate(geom, angle: float, origin):
    c, s = np.cos(angle), np.sin(angle)
    ox, oy = origin

    def f(xy):
        x, y = xy[:, 0] - ox, xy[:, 1] - oy
        return np.column_stack([x * c - y * s + ox, x * s + y * c + oy])
    return shapely.transform(geom, f)


def _clip(piece, rect: tuple[float, float, float, float]):
    """``clip_by_rect`` (fast), or the exact intersection where GEOS's rectangle clipper fails: on net land with
    holes (a steep hollow, a farmland patch inside a parcel) it can build a three-point ring."""
    try:
        return shapely.clip_by_rect(piece, *rect)
    except shapely.errors.GEOSException:
        return shapely.intersection(piece, shapely.box(*rect))


def _sweep(piece, need: float, hi_area: float, axis: int, from_low: bool):
    """Cut ``piece`` (already rotated) perpendicular to ``axis`` so the low (or high) side has area in
    [need, hi_area]; None when bisection cannot get there (area is monotone in the cut position)."""
    xmin, ymin, xmax, ymax = shapely.bounds(piece)
    lo, hi = (xmin, xmax) if axis == 0 else (ymin, ymax)

    def side(c):
        if axis == 0:
            return (xmin - 1, ymin - 1, c, ymax + 1) if from_low else (c, ymin - 1, xmax + 1, ymax + 1)
        return (xmin - 1, ymin - 1, xmax + 1, c) if from_low else (xmin - 1, c, xmax + 1, ymax + 1)

    a, b = lo, hi          # invariant: area(side(a)) < need ≤ area(side(b)) when from_low (mirrored otherwise)
    for _ in range(60):
        mid = (a + b) / 2
        area = shapely.area(_clip(piece, side(mid)))
        if need <= area <= hi_area:
            return shapely.intersection(piece, shapely.box(*side(mid)), grid_size=GRID_M)
        grow = area < need
        if from_low:
            a, b = (mid, b) if grow else (a, mid)
        else:
            a, b = (a, mid) if grow else (mid, b)
        if abs(b - a) < 1e-6:
            break
    return None


def carve(free, need_m2: float, rules: CarveRules):
    """A site (Polygon) of at least ``need_m2`` out of ``free`` and the land left over, or None.

    Tries the free pieces large enough, smallest first (best fit), and for each the whole piece, then sweeps in
    four directions; prefers the first cut that leaves the rest in one piece (so it stays usable).
    """
    return next(carve_options(free, need_m2, rules), None)


def carve_options(free, need_m2: float, rules: CarveRules, within=None):
    """Every site ``carve`` would consider, best first, as (site, land left over): lazily, so the first costs what
    ``carve`` costs. A block whose sites cannot all be cut the first way searches the next ones.

    ``within``: the block's whole free land when ``free`` is only its part ready by the project's date. Then, after
    the usual cuts, come cuts that leave a remainder which is a sliver of ``free`` but not of ``within`` (it joins
    land ready later), instead of handing it to this site.
    """
    hi_whole = need_m2 * (1 + rules.split_surplus)
    all_parts = _parts(free)
    parts = sorted((p for p in all_parts if shapely.area(p) >= need_m2),
                   key=lambda p: (shapely.area(p), tuple(shapely.bounds(p))))
    for part in parts:
        others = [q for q in all_parts if q is not part]
        area = shapely.area(part)
        if area <= hi_whole or area - need_m2 < rules.sliver_m2:
            yield part, _union(others)
            continue
        yield from _cuts(part, others, need_m2, rules, lambda r: is_sliver(r, rules))
    if within is None:
        return
    around = _parts(shapely.difference(within, free, grid_size=GRID_M))
    if not around:
        return

    def sliver_here(r) -> bool:
        if not is_sliver(r, rules):
            return False
        touching = [a for a in around if shapely.intersects(shapely.buffer(r, 0.01), a)]
        joined = [q for q in _parts(shapely.union_all([r, *touching], grid_size=GRID_M)) if shapely.intersects(q, r)]
        return not joined or is_sliver(joined[0], rules)
    for part in parts:
        if shapely.area(part) > hi_whole:
            others = [q for q in all_parts if q is not part]
            yield from _cuts(part, others, need_m2, rules, sliver_here, only_kept=True)


def _cuts(part, others: list, need_m2: float, rules: CarveRules, sliver, only_kept: bool = False):
    """Sweep cuts of one free piece, those leaving the rest in one piece first; remainders for which ``sliver``
    holds (and touch the site) go with it. ``only_kept``: only cuts where some sliver-sized remainder stays out
    (the others were already offered)."""
    hi_cut = need_m2 * (1 + rules.cut_tolerance)
    split = []                      # cuts that leave the rest in several pieces: after the others of this piece
    angle = _long_axis_angle(part)
    origin = shapely.get_coordinates(shapely.centroid(part))[0]
    rotated = _rotate(part, -angle, origin)
    for axis, from_low in ((0, True), (0, False), (1, True), (1, False)):
        cut = _sweep(rotated, need_m2, hi_cut, axis, from_low)
        if cut is None:
            continue
        site_parts = _parts(cut)
        if len(site_parts) != 1:
            continue
        site = site_parts[0]
        rest = _parts(shapely.difference(rotated, site, grid_size=GRID_M))
        touching = [r for r in rest if shapely.intersects(shapely.buffer(r, 0.01), site)]
        slivers = [r for r in touching if sliver(_rotate(r, angle, origin))]
        if only_kept and not any(is_sliver(r, rules) for r in touching if not any(r is s for s in slivers)):
            continue
        if slivers:
            merged = _parts(shapely.union_all([site, *slivers], grid_size=GRID_M))
            if len(merged) != 1:
                continue
            site = merged[0]
            rest = [r for r in rest if not any(r is s for s in slivers)]
        result = (_rotate(site, angle, origin), _union([_rotate(r, angle, origin) for r in rest] + others))
        if len(rest) <= 1:
            yield result
        else:
            split.append(result)
    yield from split


def _union(parts: list):
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts, grid_size=GRID_M) if len(parts) > 1 else parts[0]
