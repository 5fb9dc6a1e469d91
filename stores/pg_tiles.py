"""Vector tiles made by PostGIS for the team store (团队库): ``ST_AsMVTGeom`` / ``ST_AsMVT`` over the parcels table,
its GiST index doing the spatial filter, so the app server never holds a city's parcels to draw them.

A tile of layer ``parcels`` has the same features and attributes as the embedded store's (layers/tiles.py):
parcel_id, zone_id, status, area_mu (亩 to 0.1, ellipsoidal: ``ST_Area`` of the CGCS2000 geography) — only status
and zone_id below the detail zoom, nothing below the minimum zoom — and stock_class once the app has handed over its
存量 classes (``use_stock_classes``): the rules stay in geo.stock, not rewritten in SQL; each tile connection holds
the listed parcels in a temporary table joined by parcel id. ``ST_AsMVTGeom`` clips to the tile plus a
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
from collections.abc import Sequence

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
  FROM {table} p{join}, env
  WHERE p.geom && ST_Transform(env.outer_box, {srid})
)
SELECT ST_AsMVT(rows.*, %(layer)s, {extent}, 'geom') FROM rows WHERE geom IS NOT NULL
"""

_DETAIL = ("p.parcel_id::text AS parcel_id, p.zone_id::text AS zone_id, p.status::text AS status, "
           f"round((ST_Area(ST_Transform(p.geom, 4490)::geography) / {MU_M2})::numeric, 1)::float8 AS area_mu")
_COARSE = "p.zone_id::text AS zone_id, p.status::text AS status"
STOCK_TABLE = "landgap_tile_stock"      # temporary, one per tile connection
_STOCK_COLUMN = ", coalesce(s.stock_class, 'normal') AS stock_class"
_STOCK_JOIN = f" LEFT JOIN pg_temp.{STOCK_TABLE} s ON s.parcel_id = p.parcel_id::text"


class PostgisTiles:
    """Tiles of the PostGIS workspace at ``url`` (the layers' tables and their SRIDs read once)."""

    def __init__(self, url: str, settings: Settings | None = None, max_bytes: float = 128e6):
        import psycopg
        self.url, self.settings, self.max_bytes = url, settings, max_bytes
        self._psycopg = psycopg
        self._local = threading.local()
        self._lock = threading.Lock()
        self._tiles = BytesLRU(max_bytes)
        self._stock: list[tuple[str, str]] | None = None
        self._stock_version = 0
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

    def use_stock_classes(self, parcel_ids: Sequence[str], classes: Sequence[str | None]) -> None:
        """Each parcel's 存量 class as the app classified it (``geo.stock.classify_workspace``): the parcels tiles
        carry it as ``stock_class`` ("normal" for a parcel not listed). Call before the first tile; tiles already
        made are dropped."""
        rows = [(str(p), str(c)) for p, c in zip(parcel_ids, classes) if c is not None and c != "normal"]
        with self._lock:
            self._stock, self._stock_version = rows, self._stock_version + 1
            self._tiles.clear()

    def _stock_conn(self):
        """This thread's connection, its temporary stock table filled with the classes last handed over."""
        conn = self._conn()
        if self._stock is None or getattr(self._local, "stock_version", 0) == self._stock_version:
            return conn
        with self._lock:
            rows, version = self._stock, self._stock_version
        try:
            conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STOCK_TABLE} "
                         "(parcel_id text PRIMARY KEY, stock_class text NOT NULL)")
            conn.execute(f"TRUNCATE {STOCK_TABLE}")
            with conn.cursor().copy(f"COPY {STOCK_TABLE} (parcel_id, stock_class) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            conn.execute(f"ANALYZE {STOCK_TABLE}")
        except self._psycopg.Error as exc:
            raise StoreIOError(f"无法向数据库 {mask_password(self.url)} 写入存量分类临时表：{exc}") from exc
        self._local.stock_version = version
        return conn

    def _srid(self, layer: str) -> int:
        if layer in self.srids:
            return self.srids[layer]
        row = self._conn().execute("SELECT Find_SRID(current_schema(), %s, 'geom')", (layer,)).fetchone()
        self.srids[layer] = int(row[0])
        return self.srids[layer]

    def sql(self, layer: str, z: int) -> str:
        """The query of one tile of ``layer`` at zoom ``z`` (parameters z, x, y, layer)."""
        join = ""
        if layer == "parcels":
            columns = _COARSE if z < DETAIL_ZOOM else _DETAIL
            if self._stock is not None:
                columns, join = columns + _STOCK_COLUMN, _STOCK_JOIN
        else:
            columns = "%(layer)s::text AS layer"
        return _PARCELS_SQL.format(margin=BUFFER / EXTENT, extent=EXTENT, buffer=BUFFER, columns=columns,
                                   join=join, table=quote(layer), srid=self._srid(layer))

    def raw_tile(self, layer: str, z: int, x: int, y: int) -> bytes:
        """The MVT bytes PostGIS makes (uncompressed; b"" when the tile is empty)."""
        if layer not in self.layers or z < MIN_ZOOM.get(layer, 0):
            return b""
        conn = self._stock_conn() if layer == "parcels" else self._conn()
        row = conn.execute(self.sql(layer, z), {"z": z, "x": x, "y": y, "layer": layer}).fetchone()
        return bytes(row[0] or b"")

    def tile(self, layer: str, z: int, x: int, y: int) -> bytes:
        return self._tiles.get((layer, z, x, y),
                               lambda: gzip.compress(self.raw_tile(layer, z, x, y), compresslevel=5, mtime=0))
