"""The GeoPackage store's tables as the file has them, and their upgrade: an older workspace file gets the
bookkeeping columns (version, updated_at, updated_by), an index on each id field and the audit table; missing
optional layers are created empty. A mixin of ``stores.gpkg.GpkgStore`` (``self.conn``, ``self.path``)."""
from __future__ import annotations

import sqlite3
import warnings

from geo.schema import LAYERS
from stores.base import BOOKKEEPING, StoreIOError, utc_now
from stores.common import AUDIT_TABLE, quote


class GpkgSchema:
    """Table and column lookups of the open GeoPackage, and the migration of an older file."""

    def tables(self) -> dict[str, str]:
        """layer → data_type for the workspace layers present."""
        rows = self.conn.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall()
        present = {r[0]: r[1] for r in rows}
        return {name: present[name] for name in LAYERS if name in present}

    def columns(self, table: str) -> list[tuple[str, str]]:
        return [(r[1], r[2]) for r in self.conn.execute(f"PRAGMA table_info({quote(table)})").fetchall()]

    def geom_column(self, table: str) -> tuple[str, int, str] | None:
        row = self.conn.execute("SELECT column_name, srs_id, geometry_type_name FROM gpkg_geometry_columns "
                                "WHERE table_name = ?", (table,)).fetchone()
        return None if row is None else (row[0], int(row[1]), row[2])

    def primary_key(self, table: str) -> str:
        for r in self.conn.execute(f"PRAGMA table_info({quote(table)})").fetchall():
            if r[5]:
                return r[1]
        return "rowid"

    def needs_migration(self) -> bool:
        tables = self.tables()
        return any(c not in [n for n, _ in self.columns(t)] for t in tables for c in BOOKKEEPING) or \
            self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                              (AUDIT_TABLE,)).fetchone() is None

    def migrate(self) -> bool:
        """Add what the store needs to an older workspace file now (apply does it anyway, in its own
        transaction); True when something was added."""
        try:
            if not self.needs_migration():
                return False
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                self._migrate_locked()
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            return True
        except sqlite3.Error as exc:
            raise StoreIOError(f"无法升级工作空间文件 {self.path}：{exc}") from exc

    def _migrate_locked(self) -> None:
        """The migration, inside the caller's write transaction: ALTER TABLE ADD COLUMN version (DEFAULT 1, which
        is what reads assume while the column is absent), updated_at, updated_by; an index on each id field; the
        audit table, registered in gpkg_contents as an attribute table. gpkg_data_columns is left alone."""
        if not self.needs_migration():
            return
        for t in self.tables():
            names = [n for n, _ in self.columns(t)]
            if "version" not in names:
                self.conn.execute(f"ALTER TABLE {quote(t)} ADD COLUMN version INTEGER NOT NULL DEFAULT 1")
            if "updated_at" not in names:
                self.conn.execute(f"ALTER TABLE {quote(t)} ADD COLUMN updated_at TEXT")
            if "updated_by" not in names:
                self.conn.execute(f"ALTER TABLE {quote(t)} ADD COLUMN updated_by TEXT")
            id_field = LAYERS[t].id_field
            if id_field in names:
                self.conn.execute(f"CREATE INDEX IF NOT EXISTS {quote('idx_' + t + '_' + id_field)} "
                                  f"ON {quote(t)} ({quote(id_field)})")
        if self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                             (AUDIT_TABLE,)).fetchone() is None:
            self.conn.execute(
                f"CREATE TABLE {AUDIT_TABLE} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, at TEXT NOT NULL, "
                '"by" TEXT, layer TEXT NOT NULL, "id" TEXT NOT NULL, action TEXT NOT NULL, before TEXT, '
                "after TEXT)")
            self.conn.execute(f'CREATE INDEX idx_audit_id ON {AUDIT_TABLE} ("id")')
            self.conn.execute(f"CREATE INDEX idx_audit_at ON {AUDIT_TABLE} (at)")
            self.conn.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
                              "description, last_change) VALUES (?, 'attributes', ?, ?, ?)",
                              (AUDIT_TABLE, AUDIT_TABLE, "LandGap 修改记录（谁、何时、改了什么）", utc_now()))

    def ensure_layers(self, crs) -> None:
        """Create the optional layers the file lacks (empty, as save_workspace writes them), then migrate."""
        from geo.workspace import empty_layer
        from stores.gpkg_file import write_layer
        missing = [n for n in LAYERS if n not in self.tables()]
        if not missing:
            return
        self.conn.close()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in missing:
                write_layer(self.path, name, empty_layer(name, crs), crs)
        self.reconnect()
