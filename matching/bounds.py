"""Bounded engine work on any workspace: the parcel geometry the engine cuts (over-dense rings simplified within the
survey tolerance) and the deadline its long loops check.

A parcel of a million vertices makes every overlay of its block (carving, free land, the touching pairs) cost
seconds; the engine uses a copy simplified at 1 mm first (the grid its overlays snap to anyway), coarser only while
its area stays within ``engine_simplify_max_mu`` 亩 and the tolerance within ``engine_simplify_max_m`` (界址点
accuracy). The workspace itself keeps its geometry. The deadline is an absolute ``time.perf_counter()`` passed in by
the caller (``fit``/``match``/``plan`` take their time limit as an argument): nothing here reads a clock setting.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import shapely

from geo.settings import MatchingSettings
from geo.units import M2_PER_MU

_TOLERANCES_M = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
_CHUNK = 1000       # GEOS's Douglas-Peucker recurses once per kept vertex: a long jagged ring overflows its stack


@dataclass(frozen=True)
class SimplifyRule:
    """When and how far a parcel's geometry is simplified for the engine (``[matching] engine_*``)."""
    max_vertices: int
    max_tolerance_m: float
    max_area_m2: float

    @classmethod
    def from_settings(cls, ms: MatchingSettings) -> "SimplifyRule":
        return cls(int(ms.engine_max_vertices), float(ms.engine_simplify_max_m),
                   float(ms.engine_simplify_max_mu) * M2_PER_MU)


def engine_geometry(geoms: np.ndarray, rule: SimplifyRule) -> tuple[np.ndarray, np.ndarray]:
    """``geoms`` (metric CRS) with every geometry of more than ``rule.max_vertices`` vertices simplified
    (topology kept) at the smallest tolerance that brings it under the limit — or the largest one allowed, where
    the area changes by at most ``rule.max_area_m2``. Returns the geometries and the indices simplified; the others
    are the same objects."""
    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms):
        return geoms, np.zeros(0, dtype=np.int64)
    dense = np.flatnonzero(shapely.get_num_coordinates(geoms) > rule.max_vertices)
    if not len(dense):
        return geoms, dense
    out = geoms.copy()
    done = []
    for i in dense:
        g = geoms[i]
        area, best = shapely.area(g), None
        for tol in _TOLERANCES_M:
            if tol > rule.max_tolerance_m + 1e-12:
                break
            s = _simplify(g, tol)
            if shapely.is_empty(s) or not shapely.is_valid(s) or abs(shapely.area(s) - area) > rule.max_area_m2:
                break
            best = s
            if shapely.get_num_coordinates(s) <= rule.max_vertices:
                break
        if best is not None and shapely.get_num_coordinates(best) < shapely.get_num_coordinates(g):
            out[i] = best
            done.append(i)
    return out, np.asarray(done, dtype=np.int64)


def _simplify_ring(xy: np.ndarray, tol: float) -> np.ndarray:
    """Douglas-Peucker of a closed ring in pieces of ``_CHUNK`` vertices, then again over the joints while it
    shrinks."""
    if len(xy) <= 4:
        return xy
    cuts = list(range(0, len(xy) - 1, _CHUNK)) + [len(xy) - 1]
    lines = np.array([shapely.LineString(xy[a:b + 1]) for a, b in zip(cuts[:-1], cuts[1:])], dtype=object)
    pieces = shapely.simplify(lines, tol, preserve_topology=False)
    out = np.concatenate([shapely.get_coordinates(p)[:-1] for p in pieces] + [xy[-1:]])
    if len(out) < 4:
        return xy
    return _simplify_ring(out, tol) if len(cuts) > 2 and 2 * len(out) < len(xy) else out   # again: the joints


def _simplify(geom, tol: float):
    """``geom`` (Polygon or MultiPolygon) with every ring simplified at ``tol``; validity is checked by the caller."""
    def polygon(p):
        rings = [shapely.get_exterior_ring(p), *shapely.get_interior_ring(p, range(shapely.get_num_interior_rings(p)))]
        xy = [_simplify_ring(shapely.get_coordinates(r), tol) for r in rings]
        return shapely.Polygon(xy[0], xy[1:])
    if shapely.get_type_id(geom) == 3:
        return polygon(geom)
    return shapely.MultiPolygon([polygon(p) for p in shapely.get_parts(geom)])


class Deadline:
    """An absolute ``time.perf_counter()`` time (None: no limit); ``hit`` is set once a loop found it passed."""

    def __init__(self, at: float | None = None):
        self.at = at
        self.hit = False

    @classmethod
    def after(cls, seconds: float | None) -> "Deadline":
        return cls(None if seconds is None else time.perf_counter() + max(0.0, float(seconds)))

    def passed(self) -> bool:
        """True (and remembered in ``hit``) once the time is up."""
        if self.at is not None and time.perf_counter() >= self.at:
            self.hit = True
        return self.hit

    def left(self, default: float) -> float:
        """Seconds left (``default`` when there is no limit), never below zero."""
        return default if self.at is None else max(0.0, self.at - time.perf_counter())
