"""The constraint layers (永久基本农田, 生态保护红线, 城镇开发边界, flood zones) replaced inside a GeoPackage store: in
one SQLite transaction with the store's other writes locked out and an audit row per layer — never by rewriting the
file, which would lose a colleague's row edit made meanwhile. A kill during the write leaves the previous layer
(SQLite's rollback journal), and so does a failed one: a layer the file lacked is created inside the same
transaction (stores.gpkg_create), registered with its real geometry type.
The layers stay ordinary GeoPackage layers (QGIS opens them)."""
from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import shapely

from geo.schema import CONSTRAINT_LAYERS
from stores.base import dtype_kind, plain_column, utc_now
from stores.common import AUDIT_TABLE, KIND_SQL_GPKG, kind_of_declared, quote
from stores.gpkg_blob import gpkg_blobs
from stores.gpkg_create import create_feature_table, drop_feature_table, geometry_type_of

WHOLE_LAYER = "（整层）"
"""The audit row's id for a layer replaced whole."""


def layer_table(store, conn, name: str, frame: gpd.GeoDataFrame, now: str) -> tuple[tuple[str, int, str], int]:
    """The table ``frame`` is to replace the features of, registered (and declared in its CREATE TABLE, which GDAL
    compares) with the layer's real geometry type: created when the file lacks it, re-created empty (its columns
    kept) when its type does not fit — all inside the caller's transaction, so a failed write leaves no trace.
    Returns (the geometry column, the layer's feature count before)."""
    geom = store.geom_column(name)
    needed = geometry_type_of(shapely.get_type_id(frame.geometry.values).tolist(), geom[2] if geom else None)
    if geom is None:
        parcels = store.geom_column("parcels")
        create_feature_table(conn, name, needed, parcels[1] if parcels else 0, now)
        return store.geom_column(name), 0
    columns = store.columns(name)
    column_type = next((d for n, d in columns if n == geom[0]), "").upper()
    old = conn.execute(f"SELECT count(*) FROM {quote(name)}").fetchone()[0]
    if geom[2].upper() != needed or column_type != needed:
        pk = store.primary_key(name)
        drop_feature_table(conn, name, geom[0])
        create_feature_table(conn, name, needed, geom[1], now, [(n, d) for n, d in columns if n not in (pk, geom[0])])
        geom = store.geom_column(name)
    return geom, int(old)


def layer_audit(now: str, user: str, name: str, old: int, new: int) -> tuple:
    """The audit row of a layer replaced whole (both stores): (at, by, layer, id, action, before, after)."""
    return (now, user or "unknown", name, WHOLE_LAYER, "replace", json.dumps({"features": old}),
            json.dumps({"features": new}))


def replace_layer(conn, name: str, frame: gpd.GeoDataFrame, geom: tuple[str, int, str],
                  columns: list[tuple[str, str]]) -> int:
    """Inside the caller's transaction: every feature of ``name`` replaced by ``frame``'s (a Polygon promoted in a
    MULTIPOLYGON layer); the count written."""
    t = quote(name)
    existing = {n for n, _ in columns}
    attrs = frame.drop(columns=frame.geometry.name)
    for col in attrs.columns:
        if col not in existing and col != geom[0]:
            declared = KIND_SQL_GPKG[dtype_kind(attrs[col])]
            conn.execute(f"ALTER TABLE {t} ADD COLUMN {quote(col)} {declared}")
            columns = columns + [(col, declared)]
    cols = [(n, kind_of_declared(d)) for n, d in columns if n in attrs.columns and n != geom[0]]
    conn.execute(f"DELETE FROM {t}")
    geoms = frame.geometry.values
    if geom[2].upper() == "MULTIPOLYGON":                # every feature as the layer's type (GDAL warns otherwise)
        geoms = np.array([shapely.MultiPolygon([g]) if shapely.get_type_id(g) == 3 else g for g in geoms],
                         dtype=object)
    blobs = gpkg_blobs(geoms, geom[1])
    values = [plain_column(attrs[c], k) for c, k in cols]        # as the row writes store cells
    names = ", ".join([quote(geom[0])] + [quote(c) for c, _ in cols])
    conn.executemany(f"INSERT INTO {t} ({names}) VALUES ({', '.join('?' * (len(cols) + 1))})",
                     [[b, *row] for b, *row in zip(blobs, *values)])
    return len(frame)


def write_constraints(store, layers: dict[str, gpd.GeoDataFrame], user: str | None) -> None:
    """Replace the constraint layers named in ``layers`` (GeoDataFrames in the workspace CRS) in ``store`` (a
    GeoPackageStore): all of them or none, each with an audit row (who, when, the feature counts before/after)
    unless ``user`` is None (a copy, not an edit)."""
    names = [n for n in layers if n in CONSTRAINT_LAYERS]
    if not names:
        return
    with store.write_transaction() as conn:
        now = utc_now()
        for name in names:
            geom, old = layer_table(store, conn, name, layers[name], now)
            new = replace_layer(conn, name, layers[name], geom, store.columns(name))
            store._update_extent(name, geom[0])
            conn.execute("UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (now, name))
            if user is not None:
                conn.execute(f'INSERT INTO {AUDIT_TABLE} (at, "by", layer, "id", action, before, after) '
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", layer_audit(now, user, name, old, new))
