"""GeoPackage geometry blobs (GeoPackageBinary: the "GP" header, flags, SRS id, optional envelope, then WKB), and the
SQL functions GDAL's R-tree triggers call (ST_IsEmpty, ST_MinX …), for row-level writes with sqlite3."""
from __future__ import annotations

import struct

import shapely

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


# ------------------------------------------------------------------------------------- GeoPackageBinary

def gpkg_blob(geom, srs_id: int) -> bytes | None:
    """GeoPackageBinary: 'GP', version 0, flags (little-endian; xy envelope, or the empty flag), srs_id, WKB."""
    if geom is None:
        return None
    wkb = shapely.to_wkb(geom, byte_order=1, output_dimension=2, include_srid=False)
    if shapely.is_empty(geom):
        return b"GP\x00" + bytes([0b00010001]) + struct.pack("<i", srs_id) + wkb
    minx, miny, maxx, maxy = shapely.bounds(geom)
    return b"GP\x00\x03" + struct.pack("<i4d", srs_id, minx, maxx, miny, maxy) + wkb


def gpkg_blobs(geoms, srs_id: int) -> list[bytes | None]:
    """``gpkg_blob`` of many geometries, the WKB, bounds and emptiness computed in vectorised calls."""
    import numpy as np
    arr = np.asarray(geoms, dtype=object)
    if not len(arr):
        return []
    wkb = shapely.to_wkb(arr, byte_order=1, output_dimension=2, include_srid=False)
    bounds, empty, missing = shapely.bounds(arr), shapely.is_empty(arr), shapely.is_missing(arr)
    head_empty = b"GP\x00" + bytes([0b00010001]) + struct.pack("<i", srs_id)
    pack = struct.Struct("<i4d").pack
    return [None if m else head_empty + w if e else b"GP\x00\x03" + pack(srs_id, b[0], b[2], b[1], b[3]) + w
            for w, b, e, m in zip(wkb, bounds.tolist(), empty.tolist(), missing.tolist())]


def blob_wkb(blob) -> bytes | None:
    """The WKB inside a GeoPackageBinary blob (None for NULL)."""
    if blob is None:
        return None
    blob = bytes(blob)
    if blob[:2] != b"GP":
        return blob                        # plain WKB (not conformant, but seen in the wild)
    flags = blob[3]
    return blob[8 + _ENVELOPE_BYTES.get((flags >> 1) & 0b111, 0):]


def blob_empty(blob) -> int:
    if blob is None:
        return 1
    blob = bytes(blob)
    if blob[:2] == b"GP":               # the header's empty flag says it (R-tree triggers call this per row)
        return 1 if blob[3] & 0b00010000 else 0
    return int(shapely.is_empty(shapely.from_wkb(blob_wkb(blob))))


def blob_bounds(blob):
    blob = bytes(blob)
    if blob[:2] == b"GP" and (blob[3] >> 1) & 0b111:
        endian = "<" if blob[3] & 1 else ">"
        minx, maxx, miny, maxy = struct.unpack(endian + "4d", blob[8:40])
        return minx, miny, maxx, maxy
    return tuple(shapely.bounds(shapely.from_wkb(blob_wkb(blob))))


def bound(i):
    def f(blob):
        return None if blob is None else blob_bounds(blob)[i]
    return f
