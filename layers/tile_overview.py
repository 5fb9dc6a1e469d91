"""The parcels' overview tiles (概览): below ``OVERVIEW_BELOW`` a parcels tile is a grid, not the parcels.

At a county's or a province's zoom a parcel is under a pixel (100 m at z8 is 0.4 px): drawing 100k or 1M
polygons there costs seconds of WebGL per view and shows nothing more than where land of each status lies. An
overview tile divides its box into ``CELLS`` × ``CELLS`` cells (two screen pixels each, tiles being drawn 512 px
wide) and marks, for every (park, status, 存量 class) present, the cells its parcels cover (their bounding boxes,
so a large parcel still covers its cells); the marked cells of one kind are merged into rectangles (runs along a
row, then equal runs of consecutive rows) and sent as one multipolygon feature with that kind's attributes — the
colour expression and the status, park and class filters of the detailed tiles apply unchanged. Each feature also
carries ``parcels`` and ``area_mu``: the number and 亩 of its kind's parcels whose centroid is in this tile (so the
tiles of a zoom count every parcel once). Pure numpy over arrays made once per workspace version (``OverviewIndex``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import shapely

from formats import mvt

OVERVIEW_BELOW = 11            # below this zoom the overview (MapLibre's, 512-px tiles: at z10 100 m is 1.5 px)
CELLS = 256                    # cells per tile side: two screen pixels each (512-px tiles)
KIND_ATTRIBUTES = ("zone_id", "status", "stock_class")
CHUNK = 200_000                # parcels whose cells are found at once


class OverviewIndex:
    """Parcels as arrays in Web Mercator: bounding boxes, centroids, areas and a kind code (one per distinct
    combination of ``KIND_ATTRIBUTES``), sorted by the boxes' west edge so a tile takes a contiguous slice.
    ``boxes`` (n × 4) and ``centres`` (n × 2): Web Mercator, NaN for a parcel without geometry (left out);
    ``properties``: the parcels' tile attributes, ``area_mu`` and the ``KIND_ATTRIBUTES`` among them."""

    def __init__(self, boxes: np.ndarray, centres: np.ndarray, properties: Mapping[str, Sequence]):
        keep = np.flatnonzero(np.isfinite(boxes).all(axis=1) & np.isfinite(centres).all(axis=1))
        order = keep[np.argsort(boxes[keep, 0], kind="stable")]
        self.bounds = boxes[order]
        self.cx, self.cy = centres[order, 0], centres[order, 1]
        self.area_mu = np.asarray(properties["area_mu"], dtype=float)[order]
        # one code per distinct combination, from each attribute's own codes (integers only: a province's million
        # rows are never a frame of Python tuples)
        combined = np.zeros(len(order), dtype=np.int64)
        values: dict[str, np.ndarray] = {}
        codes_of: dict[str, np.ndarray] = {}
        for k in (k for k in KIND_ATTRIBUTES if k in properties):
            codes, uniques = pd.factorize(pd.Series(properties[k]).iloc[order], use_na_sentinel=True)
            values[k] = np.append(np.asarray(uniques, dtype=object), None)          # code -1 (missing) → None
            codes_of[k] = np.where(codes < 0, len(uniques), codes)
            combined = combined * (len(uniques) + 1) + codes_of[k]
        _, first, self.kind = np.unique(combined, return_index=True, return_inverse=True)
        self.kind = self.kind.astype(np.int64)
        self.kinds = {k: values[k][codes_of[k][first]] for k in values}
        self.widest = float((self.bounds[:, 2] - self.bounds[:, 0]).max()) if len(order) else 0.0

    def cut(self, name: str, box: tuple[float, float, float, float], cells: int = CELLS,
            extent: int = mvt.EXTENT) -> bytes:
        """The encoded overview layer of the tile with EPSG:3857 box ``box`` (b"" when no parcel is in it)."""
        minx, miny, maxx, maxy = box
        lo = np.searchsorted(self.bounds[:, 0], minx - self.widest, side="left")
        hi = np.searchsorted(self.bounds[:, 0], maxx, side="right")
        b = self.bounds[lo:hi]
        hit = (b[:, 2] >= minx) & (b[:, 1] <= maxy) & (b[:, 3] >= miny)
        if not hit.any():
            return b""
        idx = lo + np.flatnonzero(hit)
        # the marked cells, a chunk of parcels at a time (a province-wide tile: 1M parcels' arrays at once would
        # be ~150 MB for a moment)
        key = np.unique(np.concatenate([self._cells(idx[i:i + CHUNK], box, cells)
                                        for i in range(0, len(idx), CHUNK)]))
        kind_of, rest = np.divmod(key, cells * cells)
        row_of, col_of = np.divmod(rest, cells)
        # runs of consecutive cells of one kind in one row → one rectangle each
        start = np.r_[True, (kind_of[1:] != kind_of[:-1]) | (row_of[1:] != row_of[:-1])
                      | (col_of[1:] != col_of[:-1] + 1)]
        first = np.flatnonzero(start)
        last = np.r_[first[1:] - 1, len(key) - 1]
        kind_run, row_run, c0_run, c1_run = kind_of[first], row_of[first], col_of[first], col_of[last]
        # runs of one kind spanning the same columns in consecutive rows → one taller rectangle
        order = np.lexsort((row_run, c1_run, c0_run, kind_run))
        kind_run, row_run, c0_run, c1_run = kind_run[order], row_run[order], c0_run[order], c1_run[order]
        top = np.r_[True, (kind_run[1:] != kind_run[:-1]) | (c0_run[1:] != c0_run[:-1])
                    | (c1_run[1:] != c1_run[:-1]) | (row_run[1:] != row_run[:-1] + 1)]
        first = np.flatnonzero(top)
        bottom = row_run[np.r_[first[1:] - 1, len(row_run) - 1]]
        unit = extent / cells
        rects = shapely.box(c0_run[first] * unit, row_run[first] * unit, (c1_run[first] + 1) * unit,
                            (bottom + 1) * unit)
        present, part_of = np.unique(kind_run[first], return_inverse=True)
        geoms = shapely.multipolygons(rects, indices=part_of)
        # parcels counted in the tile holding their centroid
        cx, cy = self.cx[idx], self.cy[idx]
        own = (cx >= minx) & (cx < maxx) & (cy > miny) & (cy <= maxy)
        slot = np.searchsorted(present, self.kind[idx][own])
        count = np.bincount(slot, minlength=len(present))
        area = np.bincount(slot, weights=self.area_mu[idx][own], minlength=len(present))
        props = {k: v[present] for k, v in self.kinds.items()}
        props |= {"parcels": count.astype(np.int64), "area_mu": np.round(area, 1)}
        return mvt.layer(name, geoms, props, extent)

    def _cells(self, idx: np.ndarray, box: tuple[float, float, float, float], cells: int) -> np.ndarray:
        """Distinct keys (kind · cells² + row · cells + col) of every cell the boxes of parcels ``idx`` cover."""
        minx, _, maxx, maxy = box
        b = self.bounds[idx]
        size = (maxx - minx) / cells
        c0 = np.clip(((b[:, 0] - minx) / size).astype(np.int64), 0, cells - 1)
        c1 = np.clip(((b[:, 2] - minx) / size).astype(np.int64), 0, cells - 1)
        r0 = np.clip(((maxy - b[:, 3]) / size).astype(np.int64), 0, cells - 1)
        r1 = np.clip(((maxy - b[:, 1]) / size).astype(np.int64), 0, cells - 1)
        w, h = c1 - c0 + 1, r1 - r0 + 1               # most parcels: one cell
        n = w * h
        owner = np.repeat(np.arange(len(idx)), n)
        k = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
        col = c0[owner] + k % w[owner]
        row = r0[owner] + k // w[owner]
        return np.unique((self.kind[idx][owner] * cells + row) * cells + col)
