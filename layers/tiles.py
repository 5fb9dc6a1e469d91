"""Vector tiles of a workspace's parcels and constraint layers (地块、三区三线、洪水淹没区), cut on request.

A county of 100k parcels is 32 MB of GeoJSON: the map instead draws the tiles of its view (MapLibre in a Leaflet
layer, layers/tile_layer.py). For the embedded store the tiles are cut from the workspace the app already holds:
once per workspace version the layer is projected to Web Mercator (EPSG:3857) and indexed (shapely STRtree); a
tile is then the parcels its box hits, clipped to the box plus a margin, simplified to under one tile unit at that
zoom and MVT-encoded (formats/mvt.py); encoded tiles are kept gzip-compressed in a memory LRU keyed by the
workspace version (a new version — an edit, an import — gets new tiles). The team store (PostGIS) has its tiles
made by the database (stores/pg_tiles.py) behind the same registry.

Attributes of a parcel feature: parcel_id, zone_id, status, area_mu (亩, 0.1) and, once the stock classification
exists (geo.stock.classify_workspace), stock_class — handed over to the PostGIS tiles too, which join it.
"""
from __future__ import annotations

import datetime as dt
import gzip
import math
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from formats import mvt
from geo.cache import BytesLRU
from geo.stock import classify_workspace
from geo.workspace import Workspace
from layers.tile_overview import OVERVIEW_BELOW, OverviewIndex

if TYPE_CHECKING:
    from geo.settings import Settings

WEB_MERCATOR = "EPSG:3857"
HALF_WORLD = 20037508.342789244
BUFFER_UNITS = 64                     # margin around a tile (tile units of 4096): no seams where polygons are cut
MIN_ZOOM = {"parcels": 3, "factories": 10}   # below this a tile of the layer is empty (factories: under a pixel)
DETAIL_ZOOM = 12                      # below this parcels carry only what colours and filters them (status, zone)
COARSE_ATTRIBUTES = ("zone_id", "status", "stock_class")
MAX_ZOOM = 16                         # deeper views over-zoom this level's tiles
CONSTRAINT_LAYERS = ("farmland", "eco_redline", "flood", "dev_boundary")
LAYERS = ("parcels", "factories", *CONSTRAINT_LAYERS)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) of XYZ tile z/x/y in EPSG:3857 metres (y counted from the north)."""
    size = 2 * HALF_WORLD / (1 << z)
    minx = -HALF_WORLD + x * size
    maxy = HALF_WORLD - y * size
    return minx, maxy - size, minx + size, maxy


def valid_tile(z: int, x: int, y: int) -> bool:
    return 0 <= z <= 24 and 0 <= x < (1 << z) and 0 <= y < (1 << z)


def fit_zoom(bounds: tuple[float, float, float, float], view_px: tuple[int, int]) -> float:
    """The (fractional) Leaflet zoom at which EPSG:3857 ``bounds`` fill a ``view_px`` map."""
    minx, miny, maxx, maxy = bounds
    world = 2 * HALF_WORLD
    return min(math.log2(view_px[0] * world / 256 / max(maxx - minx, 1.0)),
               math.log2(view_px[1] * world / 256 / max(maxy - miny, 1.0)))


def covering(bounds: tuple[float, float, float, float], z: int) -> list[tuple[int, int]]:
    """The (x, y) of the zoom-``z`` tiles that EPSG:3857 ``bounds`` meet."""
    minx, miny, maxx, maxy = bounds
    world, n = 2 * HALF_WORLD, 1 << z
    x0, x1 = int((minx + HALF_WORLD) / world * n), int((maxx + HALF_WORLD) / world * n)
    y0, y1 = int((HALF_WORLD - maxy) / world * n), int((HALF_WORLD - miny) / world * n)
    return [(x, y) for x in range(max(x0, 0), min(x1, n - 1) + 1) for y in range(max(y0, 0), min(y1, n - 1) + 1)]


class LayerIndex:
    """One layer as the workspace holds it (its own CRS: no second copy of a province's million polygons) with its
    spatial index and tile attributes; ``cut`` projects only the geometries a tile hits to Web Mercator and makes
    one encoded MVT layer."""

    def __init__(self, name: str, geoms: np.ndarray, crs, properties: dict[str, pd.Series],
                 query: Callable | None = None):
        self.name = name
        self.geoms = geoms
        self.properties = {k: pd.Series(v).reset_index(drop=True) for k, v in properties.items()}
        self._query = query or shapely.STRtree(geoms).query
        self._to_merc = Transformer.from_crs(crs, WEB_MERCATOR, always_xy=True)
        self._from_merc = Transformer.from_crs(WEB_MERCATOR, crs, always_xy=True)
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) if len(geoms) else np.zeros(0, bool)
        self.bounds = (self._to_merc.transform_bounds(*shapely.total_bounds(geoms[present]), densify_pts=21)
                       if present.any() else None)

    @classmethod
    def from_frame(cls, name: str, frame, columns: dict[str, pd.Series]) -> "LayerIndex":
        """``frame``: a GeoDataFrame (any projected or geographic CRS), its spatial index shared (geopandas keeps
        it with the frame: the click look-up uses it too); ``columns``: attribute name → values."""
        geoms = np.asarray(frame.geometry.values, dtype=object)
        return cls(name, geoms, frame.crs, columns, query=frame.sindex.query if len(frame) else None)

    def to_mercator(self, geoms: np.ndarray) -> np.ndarray:
        def convert(xy: np.ndarray) -> np.ndarray:
            x, y = self._to_merc.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])
        return shapely.transform(geoms, convert)

    def mercator_boxes(self, chunk: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
        """Every feature's bounding box (n × 4, of its vertices projected) and centroid (n × 2) in Web Mercator;
        NaN: no geometry. Projected ``chunk`` features at a time (a province's vertices are never all copied)."""
        n = len(self.geoms)
        boxes, centres = np.full((n, 4), np.nan), np.full((n, 2), np.nan)
        for lo in range(0, n, chunk):
            part = self.geoms[lo:lo + chunk]
            xy, owner = shapely.get_coordinates(part, return_index=True)
            if not len(xy):
                continue
            x, y = self._to_merc.transform(xy[:, 0], xy[:, 1])
            first = np.r_[0, np.flatnonzero(np.diff(owner)) + 1]
            rows = lo + owner[first]
            boxes[rows] = np.column_stack([np.minimum.reduceat(x, first), np.minimum.reduceat(y, first),
                                           np.maximum.reduceat(x, first), np.maximum.reduceat(y, first)])
            c = shapely.get_coordinates(shapely.centroid(part[owner[first]]))
            centres[rows] = np.column_stack(self._to_merc.transform(c[:, 0], c[:, 1]))
        return boxes, centres

    def cut(self, z: int, x: int, y: int, extent: int = mvt.EXTENT, only: tuple[str, ...] | None = None) -> bytes:
        """The encoded MVT layer of tile z/x/y (b"" when nothing is in it); ``only``: these attributes alone."""
        minx, miny, maxx, maxy = tile_bounds(z, x, y)
        unit = (maxx - minx) / extent
        pad = BUFFER_UNITS * unit
        box = (minx - pad, miny - pad, maxx + pad, maxy + pad)
        hit = np.asarray(self._query(shapely.box(*self._from_merc.transform_bounds(*box, densify_pts=21))))
        if not len(hit):
            return b""
        hit.sort()
        geoms = shapely.clip_by_rect(self.to_mercator(self.geoms[hit]), *box)
        geoms = shapely.simplify(geoms, unit * 0.5, preserve_topology=False)
        scale = extent / (maxx - minx)

        def to_tile(xy: np.ndarray) -> np.ndarray:
            return np.column_stack([(xy[:, 0] - minx) * scale, (maxy - xy[:, 1]) * scale])
        geoms = shapely.transform(geoms, to_tile)
        props = {k: v.iloc[hit].to_numpy(dtype=object) for k, v in self.properties.items()
                 if only is None or k in only}
        return mvt.layer(self.name, geoms, props, extent)


def parcel_attributes(ws: Workspace, settings: Settings | None = None) -> dict[str, pd.Series]:
    """The attributes a parcel feature carries in the tiles."""
    p = ws.parcels
    out = {"parcel_id": p["parcel_id"].astype(str), "zone_id": p["zone_id"].astype(str),
           "status": p["status"].astype(str), "area_mu": p["area_mu"].astype(float).round(1)}
    stock = stock_classes(ws, settings)
    if stock is not None:
        out["stock_class"] = stock.reindex(p.index)
    return out


def stock_classes(ws: Workspace, settings: Settings | None) -> pd.Series | None:
    """Each parcel's 存量 class today (``geo.stock.classify_workspace``); None without settings."""
    if settings is None:
        return None
    frame = classify_workspace(ws, dt.date.today(), settings)
    return frame["stock_class"].astype(object).where(frame["stock_class"].notna(), None)


class TileSource(Protocol):
    """Whatever makes the tiles of one workspace version: ``tile(layer, z, x, y)`` → gzip-compressed MVT bytes."""

    def tile(self, layer: str, z: int, x: int, y: int) -> bytes: ...


class WorkspaceTiles:
    """Tiles of an in-memory workspace (the embedded store's), layers indexed on first use, tiles kept in an LRU
    of at most ``max_bytes`` (compressed). ``detail``: another source for every tile but the parcels' overview
    (the team store's PostGIS tiles; the overview is cut from the workspace the page holds, same version)."""

    def __init__(self, ws: Workspace, settings: Settings | None = None, max_bytes: float = 128e6,
                 detail: TileSource | None = None):
        self.ws, self.settings, self.max_bytes, self.detail = ws, settings, max_bytes, detail
        self._indexes: dict[str, LayerIndex | None] = {}
        self._overview: OverviewIndex | None = None
        self._overview_lock = threading.Lock()
        self._lock = threading.Lock()
        self._stock_lock = threading.Lock()
        self._stock_handed = False
        self._tiles = BytesLRU(max_bytes)

    def index(self, layer: str) -> LayerIndex | None:
        with self._lock:                   # built once even when the browser asks for six tiles at once
            if layer not in self._indexes:
                self._indexes[layer] = self._build(layer)
            return self._indexes[layer]

    def overview(self) -> OverviewIndex | None:
        """The parcels' overview arrays (layers/tile_overview.py), made once from the parcels' index."""
        index = self.index("parcels")
        with self._lock:
            if self._overview is None and index is not None:
                boxes, centres = index.mercator_boxes()
                self._overview = OverviewIndex(boxes, centres, index.properties)
            return self._overview

    def _build(self, layer: str) -> LayerIndex | None:
        if layer == "parcels":
            return LayerIndex.from_frame("parcels", self.ws.parcels, parcel_attributes(self.ws, self.settings))
        if layer == "factories":
            f = self.ws.factories
            return LayerIndex.from_frame("factories", f, {"factory_id": f["factory_id"].astype(str),
                                                          "zone_id": f["zone_id"].astype(str),
                                                          "status": f["status"].astype(str)})
        if self.settings is None:
            return None
        from layers.constraints import constraint_frames
        frames = constraint_frames(self.ws, self.settings)
        frame = frames.get(layer)
        if frame is None:
            return None
        area = frame[frame["s"] == "area"]
        return LayerIndex.from_frame(layer, area.reset_index(drop=True), {"layer": pd.Series([layer] * len(area))})

    def warm(self, view_px: tuple[int, int] = (700, 600)) -> None:
        """Index the parcels and cut the tiles a map fitted to them first asks for (MapLibre in Leaflet asks for
        512-px tiles one zoom below Leaflet's), then those one zoom in: run in the background when a page
        registers the workspace, so the browser's first requests find them made."""
        index = self.index("parcels")
        if index is None or index.bounds is None:
            return
        fit = fit_zoom(index.bounds, view_px)
        for z in (int(fit) - 1, int(fit)):
            if z < MIN_ZOOM["parcels"] or z > MAX_ZOOM:
                continue
            cells = covering(index.bounds, z)
            if len(cells) > 64:
                continue
            for x, y in cells:
                self.tile("parcels", z, x, y)

    def tile(self, layer: str, z: int, x: int, y: int) -> bytes:
        if layer in getattr(self.detail, "layers", ()) and not (layer == "parcels" and z < OVERVIEW_BELOW):
            if layer == "parcels":
                self._hand_over_stock()
            return self.detail.tile(layer, z, x, y)
        return self._tiles.get((layer, z, x, y), lambda: self._cut(layer, z, x, y))

    def _hand_over_stock(self) -> None:
        """Give the detail source the parcels' 存量 classes of the index (once): its tiles then carry them too."""
        with self._stock_lock:
            if self._stock_handed or not hasattr(self.detail, "use_stock_classes"):
                return
            index = self.index("parcels")
            if index is not None and "stock_class" in index.properties:
                self.detail.use_stock_classes(index.properties["parcel_id"], index.properties["stock_class"])
            self._stock_handed = True

    def _cut(self, layer: str, z: int, x: int, y: int) -> bytes:
        if layer == "parcels" and MIN_ZOOM["parcels"] <= z < OVERVIEW_BELOW:
            overview = self.overview()
            with self._overview_lock:       # one at a time: a province-wide tile's arrays are ~150 MB while cut
                raw = overview.cut("parcels", tile_bounds(z, x, y)) if overview is not None else b""
            return gzip.compress(mvt.tile([raw] if raw else []), compresslevel=5, mtime=0)
        index = self.index(layer)
        coarse = COARSE_ATTRIBUTES if layer == "parcels" and z < DETAIL_ZOOM else None
        raw = b"" if index is None or z < MIN_ZOOM.get(layer, 0) else index.cut(z, x, y, only=coarse)
        return gzip.compress(mvt.tile([raw] if raw else []), compresslevel=5, mtime=0)


class TileRegistry:
    """The tile sources the server's pages registered, by an unguessable token (in the tile URLs): one per
    workspace version, the least recently registered dropped past ``max_sources``. ``mounted``: the tile route
    is served by this process (server.py, desktop.py); without it the map keeps GeoJSON."""

    def __init__(self, max_sources: int = 6):
        self.max_sources = max_sources
        self.mounted = False
        self._lock = threading.Lock()
        self._by_key: OrderedDict[tuple, tuple[str, TileSource]] = OrderedDict()
        self._by_token: dict[str, TileSource] = {}

    def register(self, key: tuple, make: Callable[[], TileSource], warm: bool = True) -> str:
        """The token of the source for ``key`` (e.g. the workspace version), made by ``make()`` the first time;
        ``warm``: index the parcels and cut the first view's tiles in a background thread now, before the
        browser's first tile request."""
        with self._lock:
            if key in self._by_key:
                self._by_key.move_to_end(key)
                return self._by_key[key][0]
            token = secrets.token_urlsafe(12)
            source = make()
            self._by_key[key] = (token, source)
            self._by_token[token] = source
            while len(self._by_key) > self.max_sources:
                _, (old, _) = self._by_key.popitem(last=False)
                self._by_token.pop(old, None)
        if warm and hasattr(source, "warm"):
            threading.Thread(target=source.warm, daemon=True).start()
        return token

    def source(self, token: str) -> TileSource | None:
        with self._lock:
            return self._by_token.get(token)


def zoom_for_width(width_m: float, pixels: int = 900) -> int:
    """The Leaflet zoom at which ``width_m`` metres (at the equator) span about ``pixels`` screen pixels."""
    return max(0, min(MAX_ZOOM, int(math.log2(2 * HALF_WORLD * pixels / 256 / max(width_m, 1.0)))))
