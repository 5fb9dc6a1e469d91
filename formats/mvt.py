"""Mapbox Vector Tile (MVT 2.1) encoding of polygon layers, vectorised with numpy and shapely 2.

The map draws parcels from vector tiles (layers/tiles.py cuts them, MapLibre draws them); this module only turns
polygons already in tile coordinates (0…extent, y down) and their attributes into the protobuf bytes of the
specification (https://github.com/mapbox/vector-tile-spec/tree/master/2.1):

- geometry: coordinates snapped to the integer grid with ``shapely.set_precision`` (valid output; parts that
  collapse are dropped), exterior rings with positive surveyor's area in tile coordinates (clockwise as drawn,
  y down), interior rings negative; MoveTo / LineTo / ClosePath command integers, zig-zag deltas, one cursor per
  feature — built for the whole tile at once (no per-vertex Python);
- attributes: keys and deduplicated values per layer (strings, doubles, integers, booleans; None omitted).

A tile is the concatenation of its encoded layers (``tile([...])``).
"""
from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import shapely

EXTENT = 4096
_MOVE_TO, _LINE_TO, _CLOSE = 1, 2, 7


def varints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Protobuf varint bytes of non-negative integers (< 2**35): (all bytes, byte count of each value)."""
    v = np.asarray(values, dtype=np.uint64)
    n = np.ones(len(v), dtype=np.int64)
    for shift in (7, 14, 21, 28):
        n += v >= (1 << shift)
    total = int(n.sum())
    owner = np.repeat(np.arange(len(v)), n)
    start = np.cumsum(n) - n
    k = np.arange(total) - np.repeat(start, n)                     # byte index within its value
    byte = (v[owner] >> (7 * k).astype(np.uint64)) & np.uint64(0x7F)
    more = k < (n[owner] - 1)
    return (byte | (more.astype(np.uint64) << np.uint64(7))).astype(np.uint8), n


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _zigzag(n: np.ndarray) -> np.ndarray:
    n = n.astype(np.int64)
    return ((n << 1) ^ (n >> 63)).astype(np.uint64)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def _value(value) -> bytes:
    """A Value message."""
    if isinstance(value, (bool, np.bool_)):
        return bytes([0x38, 1 if value else 0])
    if isinstance(value, (int, np.integer)):
        v = int(value)
        return bytes([0x30]) + _varint((v << 1) ^ (v >> 63))      # sint_value (zig-zag)
    if isinstance(value, (float, np.floating)):
        return bytes([0x19]) + struct.pack("<d", float(value))    # double_value
    return _field(1, str(value).encode("utf-8"))


def _segments(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For items of ``counts`` elements laid end to end: (item of each element, index within its item)."""
    owner = np.repeat(np.arange(len(counts)), counts)
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, within


def _place(out: np.ndarray, starts: np.ndarray, data: np.ndarray, counts: np.ndarray) -> None:
    """Copy ``data`` (items of ``counts`` bytes end to end) into ``out`` with item i starting at ``starts[i]``."""
    owner, within = _segments(counts)
    out[starts[owner] + within] = data


def polygon_geometry(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Command integers of polygon geometries in tile coordinates, for all features at once.

    Coordinates are rounded to the grid; repeated points and rings left with no area are dropped, exterior rings
    wound with positive surveyor's area (interior negative). Returns (kept: indices of ``geoms`` with a ring
    left, varint bytes of all kept features' command integers, byte count of each kept feature's geometry)."""
    geoms = np.asarray(geoms, dtype=object)
    polys, owner = shapely.get_parts(geoms, return_index=True)
    is_poly = shapely.get_type_id(polys) == 3
    polys, owner = polys[is_poly], owner[is_poly]
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    exterior = np.r_[True, ring_poly[1:] != ring_poly[:-1]] if len(rings) else np.zeros(0, dtype=bool)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    if not len(coords):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64)
    xy = np.round(coords).astype(np.int64)
    # drop each ring's closing point and points equal to the one before (on the grid)
    same_ring_prev = np.r_[False, ring_of[1:] == ring_of[:-1]]
    last = np.r_[ring_of[1:] != ring_of[:-1], True]
    dup = same_ring_prev & np.r_[False, (xy[1:] == xy[:-1]).all(axis=1)]
    keep = ~last & ~dup
    xy, ring_of = xy[keep], ring_of[keep]
    n = np.bincount(ring_of, minlength=len(rings))
    start = np.cumsum(n) - n
    # the last point may now repeat the first
    has = n > 0
    tail_dup = np.zeros(len(rings), dtype=bool)
    tail_dup[has] = (xy[start[has] + n[has] - 1] == xy[start[has]]).all(axis=1) & (n[has] > 1)
    if tail_dup.any():
        drop = np.zeros(len(xy), dtype=bool)
        drop[(start + n - 1)[tail_dup]] = True
        xy, ring_of = xy[~drop], ring_of[~drop]
        n = np.bincount(ring_of, minlength=len(rings))
        start = np.cumsum(n) - n
    # signed area (shoelace) per ring, on the grid
    _, j = _segments(n)
    nxt = np.where(j == n[ring_of] - 1, start[ring_of], np.arange(len(xy)) + 1)
    cross = xy[:, 0] * xy[nxt, 1] - xy[nxt, 0] * xy[:, 1] if len(xy) else np.zeros(0, dtype=np.int64)
    area2 = np.bincount(ring_of, weights=cross, minlength=len(rings))
    ok = (n >= 3) & (area2 != 0)
    ok &= ok[np.flatnonzero(exterior)[np.cumsum(exterior) - 1]]      # no hole without its exterior
    reverse = np.where(exterior, area2 < 0, area2 > 0)
    src = np.where(reverse[ring_of], start[ring_of] + n[ring_of] - 1 - j, np.arange(len(xy)))
    xy = xy[src]
    pts_ok = ok[ring_of]
    xy, ring_of = xy[pts_ok], ring_of[pts_ok]
    ring_ids = np.flatnonzero(ok)
    n, ring_feature = n[ring_ids], owner[ring_poly[ring_ids]]
    _, j = _segments(n)
    point_feature = np.repeat(ring_feature, n)
    prev = np.vstack([np.zeros((1, 2), dtype=np.int64), xy[:-1]])
    prev[np.r_[True, point_feature[1:] != point_feature[:-1]][:len(xy)]] = 0
    delta = _zigzag(xy - prev)
    ints_per_ring = 2 * n + 3
    ring_start = np.cumsum(ints_per_ring) - ints_per_ring
    out = np.empty(int(ints_per_ring.sum()), dtype=np.uint64)
    out[ring_start] = _MOVE_TO | (1 << 3)
    out[ring_start + 3] = (_LINE_TO | ((n - 1) << 3)).astype(np.uint64)
    out[ring_start + ints_per_ring - 1] = _CLOSE | (1 << 3)
    ring_index = np.repeat(np.arange(len(n)), n)
    pos = ring_start[ring_index] + np.where(j == 0, 1, 2 + 2 * j)
    out[pos] = delta[:, 0]
    out[pos + 1] = delta[:, 1]
    data, nbytes = varints(out)
    kept = np.unique(ring_feature)
    per_feature = np.bincount(np.repeat(ring_feature, ints_per_ring), weights=nbytes,
                              minlength=len(geoms)).astype(np.int64)
    return kept, data, per_feature[kept]


def _codes(column: Sequence, kept: np.ndarray) -> tuple[np.ndarray, list]:
    """Value codes of the kept features (-1: no value) and the distinct values."""
    values = pd.Series(list(column), dtype=object).iloc[kept]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, list(uniques)


def layer(name: str, geoms: np.ndarray, properties: Mapping[str, Sequence], extent: int = EXTENT) -> bytes:
    """One encoded Layer message: polygons in tile coordinates and their attributes (``properties``: column name
    → one value per geometry; None and NaN are left out). Features that vanish on the grid are dropped."""
    kept, geom_data, geom_bytes = polygon_geometry(geoms)
    keys = list(properties)
    values: list[bytes] = []
    tag_ints = np.zeros((len(kept), 2 * len(keys)), dtype=np.int64)
    present = np.zeros((len(kept), 2 * len(keys)), dtype=bool)
    for k, key in enumerate(keys):
        codes, uniques = _codes(properties[key], kept)
        tag_ints[:, 2 * k] = k
        tag_ints[:, 2 * k + 1] = codes + len(values)
        present[:, 2 * k] = present[:, 2 * k + 1] = codes >= 0
        values.extend(_value(v) for v in uniques)
    tag_data, tag_n = varints(tag_ints[present])
    tag_bytes = np.bincount(np.nonzero(present)[0], weights=tag_n,
                            minlength=len(kept)).astype(np.int64) if len(kept) else np.zeros(0, dtype=np.int64)
    # Feature: 0x12 len(tags) tags 0x18 0x03 0x22 len(geometry) geometry; in the layer: 0x12 len(feature) feature
    tl_data, tl_n = varints(tag_bytes)
    gl_data, gl_n = varints(geom_bytes)
    feature_len = 1 + tl_n + tag_bytes + 3 + gl_n + geom_bytes
    fl_data, fl_n = varints(feature_len)
    total = 1 + fl_n + feature_len
    begin = np.cumsum(total) - total
    out = np.empty(int(total.sum()), dtype=np.uint8)
    out[begin] = 0x12
    _place(out, begin + 1, fl_data, fl_n)
    at = begin + 1 + fl_n
    out[at] = 0x12
    _place(out, at + 1, tl_data, tl_n)
    at = at + 1 + tl_n
    _place(out, at, tag_data, tag_bytes)
    at = at + tag_bytes
    out[at], out[at + 1], out[at + 2] = 0x18, 0x03, 0x22
    _place(out, at + 3, gl_data, gl_n)
    _place(out, at + 3 + gl_n, geom_data, geom_bytes)
    parts = [_field(1, name.encode("utf-8")), out.tobytes()]
    parts.extend(_field(3, key.encode("utf-8")) for key in keys)
    parts.extend(_field(4, v) for v in values)
    parts.append(bytes([0x28]) + _varint(extent))
    parts.append(bytes([0x78, 2]))                                  # version 2
    return b"".join(parts)


def tile(layers: Sequence[bytes]) -> bytes:
    """A tile from encoded layers (``layer(...)``); empty layers may be left out by the caller."""
    return b"".join(_field(3, encoded) for encoded in layers)
