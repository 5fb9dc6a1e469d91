"""The GeoPackage store: the workspace file itself, written row by row through SQLite transactions.

Reads are one consistent snapshot of all the layers (stores/gpkg_read.py: columnar, between two equal
``PRAGMA data_version``; else one SQLite read transaction). Writes take ``BEGIN IMMEDIATE``
(one writer at a time; others wait up to ``timeout`` seconds), check every row's version, write the rows
(``UPDATE … WHERE id = ? AND version = ?``) with GeoPackageBinary geometry (header, xy envelope, little-endian
WKB), their audit rows, and the ``gpkg_contents`` extent and ``last_change``, then commit: a crash at any moment
leaves the previous state (SQLite's rollback journal). GDAL's R-tree triggers call ST_IsEmpty/ST_MinX…, which are
registered on the connection, so the spatial index stays right.

A workspace written before the store (no bookkeeping columns) is migrated in place by its first write, inside
that write's transaction (so opening or reading never modifies the file, and a refused import leaves it byte for
byte): ``ALTER TABLE ADD COLUMN`` version (DEFAULT 1: what reads assume while it is absent)/updated_at/updated_by,
an index on each layer's id field and the ``audit`` attribute table (registered in gpkg_contents so QGIS lists
it). gpkg_data_columns is not touched. ``migrate()`` does it on demand.
"""
from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import replace
from pathlib import Path

from geo.errors import WorkspaceError
from geo.schema import LAYERS
from geo.settings import Settings
from stores import common
from stores.base import (
    BOOKKEEPING,
    AuditEntry,
    Conflict,
    ConflictError,
    RawLayer,
    RowChange,
    StoreIOError,
    Versions,
    utc_now,
)
from stores.common import AUDIT_TABLE, quote
from stores.gpkg_blob import blob_bounds, blob_empty, blob_wkb, bound, gpkg_blobs
from stores.gpkg_create import create_attribute_table
from stores.gpkg_schema import GpkgSchema


def _connect(path: Path, timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)
    conn.create_function("ST_IsEmpty", 1, blob_empty, deterministic=True)
    for name, i in (("ST_MinX", 0), ("ST_MinY", 1), ("ST_MaxX", 2), ("ST_MaxY", 3)):
        conn.create_function(name, 1, bound(i), deterministic=True)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    return conn


# ------------------------------------------------------------------------------------------------ store

class GpkgStore(GpkgSchema, common.StoreCommon):
    """The workspace GeoPackage at ``path`` as a store (see the module doc), read with the caller's ``settings``."""

    def __init__(self, path, settings: Settings, timeout: float = 60.0, migrate: bool = False):
        self.path, self.settings = Path(path), settings
        self.target = str(self.path)
        self.timeout = timeout
        if not self.path.exists():
            raise WorkspaceError(f"工作空间文件不存在：{self.path}")
        try:
            self.conn = _connect(self.path, timeout)
            self.conn.execute("SELECT count(*) FROM gpkg_contents").fetchone()
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(f"无法打开工作空间文件 {self.path}：{exc}（应为 GeoPackage .gpkg 文件）") from exc
        if migrate:
            self.migrate()

    # ------------------------------------------------------------------------------ schema / migration
    def reconnect(self) -> None:
        """A new connection (after GDAL wrote the file's schema through its own)."""
        self.conn = _connect(self.path, self.timeout)

    def write_constraints(self, layers, user: str | None = None) -> None:
        """Replace the constraint layers named in ``layers`` ({name: GeoDataFrame in the workspace CRS}) in one
        transaction, audited under ``user`` (stores.gpkg_constraints)."""
        from stores.gpkg_constraints import write_constraints
        write_constraints(self, layers, user)

    def _parcels_crs(self):
        from pyproj import CRS
        geom = self.geom_column("parcels")
        srs = self._srs(geom[1]) if geom else None
        return CRS.from_user_input(srs) if srs else None

    # -------------------------------------------------------------------------------------------- reads
    def _srs(self, srs_id: int) -> str | None:
        row = self.conn.execute("SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys "
                                "WHERE srs_id = ?", (srs_id,)).fetchone()
        if row is None or srs_id <= 0:
            return None
        if row[0] and row[0].upper() == "EPSG":
            return f"EPSG:{row[1]}"
        return row[2]

    def _raw_layers_locked(self) -> dict[str, RawLayer]:
        out = {}
        for t in self.tables():
            geom = self.geom_column(t)
            pk = self.primary_key(t)
            skip = {pk, *BOOKKEEPING} | ({geom[0]} if geom else set())
            cols = [(n, common.kind_of_declared(d)) for n, d in self.columns(t) if n not in skip]
            present = [n for n, _ in self.columns(t)]
            keeping = [c if c in present else ("1" if c == "version" else "NULL") for c in BOOKKEEPING]
            select = ", ".join([quote(pk), quote(geom[0]) if geom else "NULL"] + [quote(c) for c, _ in cols]
                               + keeping)
            rows = self.conn.execute(f"SELECT {select} FROM {quote(t)} ORDER BY {quote(pk)}").fetchall()
            if geom:
                rows = [(r[0], blob_wkb(r[1])) + tuple(r[2:]) for r in rows]
            out[t] = RawLayer(t, cols, rows, self._srs(geom[1]) if geom else None, geom[2] if geom else None)
        return out

    def raw_layers(self) -> dict[str, RawLayer]:
        try:
            self.conn.execute("BEGIN")
            try:
                return self._raw_layers_locked()
            finally:
                self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreIOError(f"读取工作空间 {self.path} 失败：{exc}") from exc

    def read(self):
        """(Workspace | None, LoadReport, versions): columnar, checked to be one snapshot (stores.gpkg_read);
        in one SQLite read transaction of rows when writers kept committing meanwhile."""
        from stores.gpkg_read import read_snapshot
        snapshot = read_snapshot(self)
        if snapshot is not None:
            return snapshot
        raws = self.raw_layers()
        ws, report, versions = common.workspace_from_raw(raws, str(self.path), self.settings)
        if ws is not None:
            dem = self.path.with_name(self.path.stem + ".dem.tif")
            from geo.netland import report_constraints
            from stores.gpkg_file import read_constraints
            ws2 = replace(ws, path=self.path, dem_path=dem if dem.exists() else None,
                          constraints=read_constraints(self.path, ws.crs))
            report_constraints(ws2, common.fid_of(raws["parcels"]), report, self.settings)   # as a file load does
            ws = ws2
        return ws, report, versions

    def revision(self) -> str:
        """Changes whenever the stored data may have: the file's mtime and the last audit row (an app's cache key)."""
        try:
            has = self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (AUDIT_TABLE,)).fetchone()
            last = self.conn.execute(f"SELECT max(fid) FROM {AUDIT_TABLE}").fetchone()[0] if has else 0
        except sqlite3.Error as exc:
            raise StoreIOError(f"读取工作空间 {self.path} 失败：{exc}") from exc
        return f"{self.path.stat().st_mtime_ns}:{last or 0}"

    def history(self, since=None, id=None) -> list[AuditEntry]:
        sql, params = common.history_query(AUDIT_TABLE, "?", since, id)
        try:
            if self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (AUDIT_TABLE,)).fetchone() is None:
                return []
            rows = self.conn.execute(sql + " ORDER BY fid", params).fetchall()
        except sqlite3.Error as exc:
            raise StoreIOError(f"读取修改记录失败：{exc}") from exc
        return [common.entry(r) for r in rows]

    # ------------------------------------------------------------------------------------------- writes
    def apply(self, changes, expected_versions: Versions, user: str) -> dict[tuple[str, str], int]:
        try:
            return self._apply(changes, expected_versions, user)
        except sqlite3.Error as exc:          # outside the transaction (locked before it began): nothing written
            what = "正被占用或不可写" if "locked" in str(exc) or "busy" in str(exc) else "写入失败"
            raise StoreIOError(f"工作空间 {self.path} {what}（未写入任何数据）：{exc}") from exc

    def _apply(self, changes, expected_versions: Versions, user: str) -> dict[tuple[str, str], int]:
        changes: list[RowChange] = list(changes)
        if not changes:
            return {}
        user = user or "unknown"
        tables = self.tables()
        if any(ch.layer not in tables and LAYERS[ch.layer].geometry for ch in changes):
            self.ensure_layers(self._parcels_crs())
        with self.write_transaction() as conn:
            # an attribute table the file was made without (firms, issue 19): created inside this transaction, so
            # that two first writers do not both create it and a refused write leaves the file as it was
            for layer in {ch.layer for ch in changes} - set(self.tables()):
                if not LAYERS[layer].geometry:
                    create_attribute_table(conn, layer, utc_now(), [
                        *((f.name, common.KIND_SQL_GPKG[f.kind]) for f in LAYERS[layer].fields),
                        ("version", "INTEGER NOT NULL DEFAULT 1"), ("updated_at", "TEXT"), ("updated_by", "TEXT")])
                    conn.execute(f"CREATE INDEX {quote('idx_' + layer + '_' + LAYERS[layer].id_field)} "
                                 f"ON {quote(layer)} ({quote(LAYERS[layer].id_field)})")
            tables = self.tables()
            current: dict[tuple[str, str], tuple] = {}
            by_layer: dict[str, list[RowChange]] = {}
            for ch in changes:
                by_layer.setdefault(ch.layer, []).append(ch)
            for layer, chs in by_layer.items():
                if layer not in tables:
                    continue
                id_field = quote(LAYERS[layer].id_field)
                ids = sorted({c.id for c in chs})
                for k in range(0, len(ids), 500):
                    part = ids[k:k + 500]
                    for rid, v, by, at in conn.execute(
                            f"SELECT {id_field}, version, updated_by, updated_at FROM {quote(layer)} "
                            f"WHERE {id_field} IN ({','.join('?' * len(part))})", part):
                        current[(layer, str(rid))] = (int(v), by, at)
            conflicts = common.plan(changes, expected_versions, current)
            if conflicts:
                conflicts = [self._who_deleted(c) for c in conflicts]
                raise ConflictError(conflicts)
            missing = [layer for layer in by_layer if layer not in tables]
            if missing:
                raise WorkspaceError(f"工作空间 {self.path} 缺少图层 {'、'.join(missing)}")
            now = utc_now()
            out = {}
            for layer, chs in by_layer.items():
                out.update(self._write_layer(layer, chs, now, user, expected_versions))
            conn.executemany(f'INSERT INTO {AUDIT_TABLE} (at, "by", layer, "id", action, before, after) '
                             "VALUES (?, ?, ?, ?, ?, ?, ?)",
                             common.audit_rows(now, user, changes))
            conn.execute("UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (now, AUDIT_TABLE))
        return out

    @contextlib.contextmanager
    def write_transaction(self):
        """BEGIN IMMEDIATE (one writer at a time), bookkeeping migrated, … COMMIT; on any error ROLLBACK (an SQLite
        error raised as StoreIOError): nothing written."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreIOError(f"工作空间 {self.path} 正被占用或不可写：{exc}") from exc
        try:
            self._migrate_locked()
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if isinstance(exc, sqlite3.Error):
                raise StoreIOError(f"写入工作空间 {self.path} 失败（未写入任何数据）：{exc}") from exc
            raise

    def _who_deleted(self, c):
        if c.actual is not None:
            return c
        row = self.conn.execute(f'SELECT "by", at FROM {AUDIT_TABLE} WHERE layer = ? AND "id" = ? AND action = '
                                "'delete' ORDER BY fid DESC LIMIT 1", (c.layer, c.id)).fetchone()
        return replace(c, updated_by=row[0], updated_at=row[1]) if row else c

    def _write_layer(self, layer: str, chs: list[RowChange], now: str, user: str, expected: Versions) -> dict:
        conn = self.conn
        t = quote(layer)
        id_field = LAYERS[layer].id_field
        geom = self.geom_column(layer)
        pk = self.primary_key(layer)
        existing = [n for n, _ in self.columns(layer)]
        for name, kind in common.stored_columns(chs, layer, existing):
            conn.execute(f"ALTER TABLE {t} ADD COLUMN {quote(name)} {common.KIND_SQL_GPKG[kind]}")
        skip = {pk, *BOOKKEEPING} | ({geom[0]} if geom else set())
        cols = [(n, common.kind_of_declared(d)) for n, d in self.columns(layer) if n not in skip]
        names = [quote(c) for c, _ in cols]
        out = {}
        gcol = [quote(geom[0])] if geom else []
        retype = False
        inserts, updates = [], []
        blobs = iter(gpkg_blobs([ch.after.get("geometry") for ch in chs if ch.action != "delete"], geom[1])) \
            if geom else None
        for ch in chs:
            if ch.action == "delete":
                cur = conn.execute(f"DELETE FROM {t} WHERE {quote(id_field)} = ? AND version = ?",
                                   (ch.id, expected.get(layer, {}).get(ch.id)))
                if cur.rowcount != 1:
                    raise ConflictError([Conflict(layer, ch.id, expected.get(layer, {}).get(ch.id), None)])
                continue
            values = common.row_values(ch.after, cols)
            g = []
            if geom:
                shape = ch.after.get("geometry")
                g = [next(blobs)]
                if shape is not None and geom[2].upper() not in ("GEOMETRY", shape.geom_type.upper()):
                    retype = True
            if ch.action == "insert":
                inserts.append(g + values + [1, now, user])
                out[ch.key] = 1
            else:
                updates.append(g + values + [now, user, ch.id, expected.get(layer, {}).get(ch.id)])
                out[ch.key] = int(expected[layer][ch.id]) + 1
        # in batches: the versions were checked in this transaction (common.plan), so a row count short of the
        # batch's is a conflict all the same — named by the rows not at their new version
        if inserts:
            conn.executemany(f"INSERT INTO {t} ({', '.join(gcol + names)}, version, updated_at, updated_by) "
                             f"VALUES ({', '.join('?' * (len(inserts[0])))})", inserts)
        if updates:
            sets = ", ".join(f"{n} = ?" for n in gcol + names)
            cur = conn.executemany(f"UPDATE {t} SET {sets}, version = version + 1, updated_at = ?, updated_by = ? "
                                   f"WHERE {quote(id_field)} = ? AND version = ?", updates)
            if cur.rowcount != len(updates):
                short = [u[-2] for u in updates if self._version(layer, u[-2]) != (u[-1] or 0) + 1]
                raise ConflictError([Conflict(layer, rid, expected.get(layer, {}).get(rid), None) for rid in short])
        if geom:
            if retype:
                conn.execute("UPDATE gpkg_geometry_columns SET geometry_type_name = 'GEOMETRY' WHERE table_name = ?",
                             (layer,))
            self._update_extent(layer, geom[0])
        conn.execute("UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (now, layer))
        return out

    def _version(self, layer, rid):
        row = self.conn.execute(f"SELECT version FROM {quote(layer)} WHERE {quote(LAYERS[layer].id_field)} = ?",
                                (rid,)).fetchone()
        return None if row is None else int(row[0])

    def _update_extent(self, layer: str, gcol: str) -> None:
        rtree = f"rtree_{layer}_{gcol}"
        if self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (rtree,)).fetchone():
            ext = self.conn.execute(f"SELECT min(minx), min(miny), max(maxx), max(maxy) FROM {quote(rtree)}").fetchone()
        else:
            blobs = [r[0] for r in self.conn.execute(f"SELECT {quote(gcol)} FROM {quote(layer)}")]
            b = [blob_bounds(x) for x in blobs if x is not None and not blob_empty(x)]
            ext = (min(v[0] for v in b), min(v[1] for v in b), max(v[2] for v in b), max(v[3] for v in b)) if b \
                else (None,) * 4
        self.conn.execute("UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?",
                          (*ext, layer))

    def close(self) -> None:
        try:
            self.conn.close()
        except sqlite3.Error:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
