"""Vector tiles made by PostGIS for the team store (团队库): ``ST_AsMVTGeom`` / ``ST_AsMVT`` over the parcels table,
its GiST index doing the spatial filter, so the app server never holds a city's parcels to draw them.

A tile of layer ``parcels`` has the same features and attributes as the embedded store's (layers/tiles.py):
parcel_id, zone_id, status, area_mu (亩 to 0.1, ellipsoidal: ``ST_Area`` of the CGCS2000 geography) — only status
and zone_id below the detail zoom, nothing below the minimum zoom. ``ST_AsMVTGeom`` clips to the tile plus a
64-unit margin and snaps to the 4096 grid (which simplifies to under a unit per zoom). Constraint layers come from
the tables of the same names. Tiles are gzip-compressed and kept in an LRU for the store's revision; each thread
of the server uses its own connection (psycopg connections are not shared between threads).

The tile connections run without parallel query (``max_parallel_workers_per_gather = 0``): summed over the ~100
county partitions the GiST probes of one tile cost enough for the planner to start two workers, whose start-up
(tens of ms on a busy 2-core server) dwarfs the work (~2 ms for a z14 tile of a 1M-parcel province;
bench/bench_pg_tiles.py) — and a tile server already runs many tiles at once.
"""
from __future__ import annotations

import gzip
import threading

from geo.cache import BytesLRU
from geo.settings import Settings
from stores import mask_password
from stores.base import StoreIOError
from stores.common import quote

EXTENT = 4096
BUFFER = 64
MIN_ZOOM = {"parcels": 8}
DETAIL_ZOOM = 12
CONSTRAINT_LAYERS = ("farmland", "eco_redline", "flood", "dev_boundary")
MU_M2 = 10000.0 / 15.0

_PARCELS_SQL = """
WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS tile,
                    ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {margin}) AS outer_box),
rows AS (
  SELECT ST_AsMVTGeom(ST_Transform(p.geom, 3857), env.tile, {extent}, {buffer}, true) AS geom, {columns}
  FROM {table} p, env
  WHERE p.geom && ST_Transform(env.outer_box, {srid})
)
SELECT ST_AsMVT(rows.*, %(layer)s, {extent}, 'geom') FROM rows WHERE geom IS NOT NULL
"""

_DETAIL = ("p.parcel_id::text AS parcel_id, p.zone_id::text AS zone_id, p.status::text AS status, "
           f"round((ST_Area(ST_Transform(p.geom, 4490)::geography) / {MU_M2})::numeric, 1)::float8 AS area_mu")
_COARSE = "p.zone_id::text AS zone_id, p.status::text AS status"


class PostgisTiles:
    """Tiles of the PostGIS workspace at ``url`` (the layers' tables and their SRIDs read once)."""

    def __init__(self, url: str, settings: Settings | None = None, max_bytes: float = 128e6):
        import psycopg
        self.url, self.settings, self.max_bytes = url, settings, max_bytes
        self._psycopg = psycopg
        self._local = threading.local()
        self._lock = threading.Lock()
        self._tiles = BytesLRU(max_bytes)
        conn = self._conn()
        self.srids = {layer: int(srid) for layer, srid in conn.execute(
            "SELECT layer, srid FROM landgap_layers WHERE srid IS NOT NULL").fetchall()}
        names = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = ANY(current_schemas(false))").fetchall()}
        self.layers = {n for n in ("parcels", *CONSTRAINT_LAYERS) if n in names}
        conn.rollback()

    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            try:
                conn = self._psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            except self._psycopg.Error as exc:
                raise StoreIOError(f"无法连接数据库 {mask_password(self.url)}：{exc}") from exc
            try:
                conn.execute("SET max_parallel_workers_per_gather = 0")     # see the module doc
            except self._psycopg.Error:
                pass                                                # a server without the setting: its default
            self._local.conn = conn
        return conn

    def _srid(self, layer: str) -> int:
        if layer in self.srids:
            return self.srids[layer]
        row = self._conn().execute("SELECT Find_SRID(current_schema(), %s, 'geom')", (layer,)).fetchone()
        self.srids[layer] = int(row[0])
        return self.srids[layer]

    def sql(self, layer: str, z: int) -> str:
        """The query of one tile of ``layer`` at zoom ``z`` (parameters z, x, y, layer)."""
        if layer == "parcels":
            columns = _COARSE if z < DETAIL_ZOOM else _DETAIL
        else:
            columns = "%(layer)s::text AS layer"
        return _PARCELS_SQL.format(margin=BUFFER / EXTENT, extent=EXTENT, buffer=BUFFER, columns=columns,
                                   table=quote(layer), srid=self._srid(layer))

    def raw_tile(self, layer: str, z: int, x: int, y: int) -> bytes:
        """The MVT bytes PostGIS makes (uncompressed; b"" when the tile is empty)."""
        if layer not in self.layers or z < MIN_ZOOM.get(layer, 0):
            return b""
        row = self._conn().execute(self.sql(layer, z), {"z": z, "x": x, "y": y, "layer": layer}).fetchone()
        return bytes(row[0] or b"")

    def tile(self, layer: str, z: int, x: int, y: int) -> bytes:
        return self._tiles.get((layer, z, x, y),
                               lambda: gzip.compress(self.raw_tile(layer, z, x, y), compresslevel=5, mtime=0))
