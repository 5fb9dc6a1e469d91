"""The constraint layers (永久基本农田, 生态保护红线, 城镇开发边界, flood zones) replaced inside a GeoPackage store: in one
SQLite transaction with the store's other writes locked out and an audit row per layer — never by rewriting the
file, which would lose a colleague's row edit made meanwhile. A kill during the write leaves the previous layer
(SQLite's rollback journal). The layers stay ordinary GeoPackage layers (QGIS opens them)."""
from __future__ import annotations

import json
import warnings

import geopandas as gpd
import pandas as pd
import shapely

from ..schema import CONSTRAINT_LAYERS
from .base import StoreIOError, dtype_kind, utc_now
from .common import KIND_SQL_GPKG, kind_of_declared, quote
from .gpkg_blob import gpkg_blobs

WHOLE_LAYER = "（整层）"
"""The audit row's id for a layer replaced whole."""


def _cell(value, kind: str):
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if kind == "date":
        return pd.Timestamp(value).date().isoformat()
    if kind == "integer":
        return int(value)
    if kind == "real":
        return float(value)
    return str(value)


def create_missing(store, names: list[str], layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Tables for the layers the file lacks, empty, with GDAL (the GeoPackage's contents, geometry column and R-tree
    as QGIS expects); only the schema, before the transaction that fills them."""
    from ..gpkg import write_constraint
    present = {r[0] for r in store.conn.execute("SELECT table_name FROM gpkg_contents")}
    missing = [n for n in names if n not in present]
    if not missing:
        return
    store.conn.close()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in missing:
                write_constraint(store.path, name, layers[name].iloc[:0])
    finally:
        store.reconnect()


def layer_audit(now: str, user: str, name: str, old: int, new: int) -> tuple:
    """The audit row of a layer replaced whole (both stores): (at, by, layer, id, action, before, after)."""
    return (now, user or "unknown", name, WHOLE_LAYER, "replace", json.dumps({"features": old}),
            json.dumps({"features": new}))


def replace_layer(conn, name: str, frame: gpd.GeoDataFrame, geom: tuple[str, int, str],
                  columns: list[tuple[str, str]]) -> tuple[int, int]:
    """Inside the caller's transaction: every feature of ``name`` replaced by ``frame``'s; (old, new) counts."""
    t = quote(name)
    existing = {n for n, _ in columns}
    attrs = frame.drop(columns=frame.geometry.name)
    for col in attrs.columns:
        if col not in existing and col != geom[0]:
            conn.execute(f"ALTER TABLE {t} ADD COLUMN {quote(col)} {KIND_SQL_GPKG[dtype_kind(attrs[col])]}")
            columns = columns + [(col, KIND_SQL_GPKG[dtype_kind(attrs[col])])]
    cols = [(n, kind_of_declared(d)) for n, d in columns if n in attrs.columns and n != geom[0]]
    old = conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
    conn.execute(f"DELETE FROM {t}")
    blobs = gpkg_blobs(frame.geometry.values, geom[1])
    values = [[_cell(v, k) for v in attrs[c].tolist()] for c, k in cols]
    names = ", ".join([quote(geom[0])] + [quote(c) for c, _ in cols])
    conn.executemany(f"INSERT INTO {t} ({names}) VALUES ({', '.join('?' * (len(cols) + 1))})",
                     [[b, *row] for b, *row in zip(blobs, *values)])
    types = set(shapely.get_type_id(frame.geometry.values).tolist())
    if types - {3} and geom[2].upper() == "POLYGON":     # MultiPolygons in a Polygon layer: declare it general
        conn.execute("UPDATE gpkg_geometry_columns SET geometry_type_name = 'GEOMETRY' WHERE table_name = ?", (name,))
    return int(old), len(frame)


def write_constraints(store, layers: dict[str, gpd.GeoDataFrame], user: str | None) -> None:
    """Replace the constraint layers named in ``layers`` (GeoDataFrames in the workspace CRS) in ``store`` (a
    GeoPackageStore): all of them or none, each with an audit row (who, when, the feature counts before/after)
    unless ``user`` is None (a copy, not an edit)."""
    from .gpkg import AUDIT_TABLE
    names = [n for n in layers if n in CONSTRAINT_LAYERS]
    if not names:
        return
    create_missing(store, names, layers)
    conn = store.conn
    try:
        conn.execute("BEGIN IMMEDIATE")
    except Exception as exc:
        raise StoreIOError(f"工作空间 {store.path} 正被占用或不可写（未写入任何数据）：{exc}") from exc
    try:
        store._migrate_locked()         # a file LandGap has not yet written through the store: bookkeeping first
        now = utc_now()
        for name in names:
            geom = store._geom_column(name)
            old, new = replace_layer(conn, name, layers[name], geom, store._columns(name))
            store._update_extent(name, geom[0])
            conn.execute("UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (now, name))
            if user is not None:
                conn.execute(f'INSERT INTO {AUDIT_TABLE} (at, "by", layer, "id", action, before, after) '
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", layer_audit(now, user, name, old, new))
        conn.execute("COMMIT")
    except BaseException as exc:
        try:
            conn.execute("ROLLBACK")
        except Exception:
            pass
        if type(exc).__module__ == "sqlite3":
            raise StoreIOError(f"写入工作空间 {store.path} 失败（未写入任何数据）：{exc}") from exc
        raise
