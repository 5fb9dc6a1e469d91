"""The constraint layers (永久基本农田, 生态保护红线, 城镇开发边界, flood zones) replaced inside a GeoPackage store: in
one SQLite transaction with the store's other writes locked out and an audit row per layer — never by rewriting the
file, which would lose a colleague's row edit made meanwhile. A kill during the write leaves the previous layer
(SQLite's rollback journal). The layers stay ordinary GeoPackage layers (QGIS opens them)."""
from __future__ import annotations

import json
import warnings

import geopandas as gpd
import shapely

from geo.schema import CONSTRAINT_LAYERS
from stores.base import dtype_kind, plain_column, utc_now
from stores.common import AUDIT_TABLE, KIND_SQL_GPKG, kind_of_declared, quote
from stores.gpkg_blob import gpkg_blobs

WHOLE_LAYER = "（整层）"
"""The audit row's id for a layer replaced whole."""


def create_missing(store, names: list[str], layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Tables for the layers the file lacks, empty, with GDAL (the GeoPackage's contents, geometry column and R-tree
    as QGIS expects); only the schema, before the transaction that fills them."""
    from stores.gpkg_file import write_constraint
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
            declared = KIND_SQL_GPKG[dtype_kind(attrs[col])]
            conn.execute(f"ALTER TABLE {t} ADD COLUMN {quote(col)} {declared}")
            columns = columns + [(col, declared)]
    cols = [(n, kind_of_declared(d)) for n, d in columns if n in attrs.columns and n != geom[0]]
    old = conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
    conn.execute(f"DELETE FROM {t}")
    blobs = gpkg_blobs(frame.geometry.values, geom[1])
    values = [plain_column(attrs[c], k) for c, k in cols]        # as the row writes store cells
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
    names = [n for n in layers if n in CONSTRAINT_LAYERS]
    if not names:
        return
    create_missing(store, names, layers)
    with store.write_transaction() as conn:
        now = utc_now()
        for name in names:
            geom = store.geom_column(name)
            old, new = replace_layer(conn, name, layers[name], geom, store.columns(name))
            store._update_extent(name, geom[0])
            conn.execute("UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (now, name))
            if user is not None:
                conn.execute(f'INSERT INTO {AUDIT_TABLE} (at, "by", layer, "id", action, before, after) '
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", layer_audit(now, user, name, old, new))
