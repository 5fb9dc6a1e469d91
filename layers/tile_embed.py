"""The downloadable map of a large county: the vector tiles of the view it covers, embedded in the one HTML file.

A 100k-parcel county is 32 MB of GeoJSON; its parcels' tiles from the fitted view's zoom one or two levels in are a
few MB (gzip, base64). The file's MapLibre reads them through a ``landgap://`` protocol from the page itself (no
server, no request), over-zooming the deepest level embedded; the tiles are those the app serves
(layers/tiles.py), so the file shows what the app showed.
"""
from __future__ import annotations

import base64

from layers.tiles import MAX_ZOOM, MIN_ZOOM, WorkspaceTiles, covering, fit_zoom

BUDGET_BYTES = 6_000_000          # compressed tiles at most (a file still e-mailed and opened on an office PC)
MAX_TILES_PER_LEVEL = 256


def embedded_tiles(source: WorkspaceTiles, view_px: tuple[int, int] = (1000, 600),
                   budget: int = BUDGET_BYTES, factories: bool = False) -> tuple[dict[str, str], int, int]:
    """{"layer/z/x/y": base64 of the gzip MVT}, the first and the last zoom embedded: the parcels' tiles from
    the zoom MapLibre asks for when the map is fitted to them, level after level while the budget lasts (always
    the first), then the constraint layers' (and with ``factories`` the factories') tiles of the same levels."""
    index = source.index("parcels")
    if index is None or index.bounds is None:
        return {}, 0, 0
    first = max(MIN_ZOOM["parcels"], int(fit_zoom(index.bounds, view_px)) - 1)
    out: dict[str, str] = {}
    size, last = 0, first
    for z in range(first, MAX_ZOOM + 1):
        cells = covering(index.bounds, z)
        if len(cells) > MAX_TILES_PER_LEVEL and z > first:
            break
        level = {}
        for x, y in cells:
            data = source.tile("parcels", z, x, y)
            if len(data) > 40:                      # an empty tile compresses to a few bytes: left out
                level[f"parcels/{z}/{x}/{y}"] = data
        level_size = sum(len(d) for d in level.values())
        if z > first and size + level_size > budget:
            break
        out.update({k: base64.b64encode(v).decode("ascii") for k, v in level.items()})
        size, last = size + level_size, z
    from layers.tiles import CONSTRAINT_LAYERS
    for name in CONSTRAINT_LAYERS + (("factories",) if factories else ()):
        for z in range(first, last + 1):
            for x, y in covering(index.bounds, z):
                data = source.tile(name, z, x, y)
                if len(data) > 40:
                    out[f"{name}/{z}/{x}/{y}"] = base64.b64encode(data).decode("ascii")
    return out, first, last
