"""The GeoPackage store's read: the layers through GDAL's columnar reader, the row versions by SQL, one snapshot.

Reading the layers as SQLite rows turns every value into a Python object held in a tuple until the frames are
built: a province's 1M parcels are ~1 GB of tuples on top of the frames (the app server past its 2 GB). Instead
the layers are read as the CLI reads a file (``stores.gpkg_file.read_workspace``: pyogrio, Arrow, the same
checks) and each layer's row versions with one ``SELECT id, version``. The versions are read first and the
layers after, both between two readings of ``PRAGMA data_version`` on the store's connection (it changes when any
other connection commits): equal, nothing was written in between and the versions are those of the rows read;
otherwise it is read again. A save then checks these versions as after a one-transaction read (no lost update).
"""
from __future__ import annotations

from dataclasses import replace

from geo.schema import LAYERS
from stores.base import Versions
from stores.common import quote
from stores.gpkg_schema import GpkgSchema  # the store: its tables, columns, connection, path and settings


def _data_version(store: GpkgSchema) -> int:
    return int(store.conn.execute("PRAGMA data_version").fetchone()[0])


def row_versions(store: GpkgSchema) -> Versions:
    """Each layer's {id: version} (1 for a row, or a file, the store has not written yet)."""
    out: Versions = {}
    for table in store.tables():
        names = [n for n, _ in store.columns(table)]
        id_field = LAYERS[table].id_field
        if id_field not in names:
            out[table] = {}
            continue
        version = quote("version") if "version" in names else "1"
        rows = store.conn.execute(f"SELECT {quote(id_field)}, {version} FROM {quote(table)} "
                                  f"WHERE {quote(id_field)} IS NOT NULL").fetchall()
        out[table] = {str(i): int(v or 1) for i, v in rows}
    return out


def read_snapshot(store: GpkgSchema, attempts: int = 5):
    """(Workspace | None, LoadReport, versions) of the store's file, or None when other writers kept committing
    during ``attempts`` reads (the caller then reads in one SQLite transaction)."""
    from stores.gpkg_file import read_workspace
    for _ in range(attempts):
        before = _data_version(store)
        versions = row_versions(store)
        ws, report = read_workspace(store.path, store.settings)
        if _data_version(store) == before:
            return (replace(ws, store_versions=versions) if ws is not None else None), report, versions
    return None
