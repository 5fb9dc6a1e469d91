"""A feature table created inside the caller's SQLite transaction, exactly as GDAL creates one (the table with its
``fid`` and ``geom`` columns, its rows in gpkg_contents, gpkg_geometry_columns, gpkg_ogr_contents and
gpkg_extensions, its R-tree and the triggers that keep the R-tree and the feature count right): a write that fails
afterwards rolls the new layer back with everything else, so a refused import leaves the file byte for byte.
The triggers call ST_IsEmpty/ST_MinX…, registered on the store's connection (stores.gpkg)."""
from __future__ import annotations

from stores.common import quote

GEOMETRY_TYPES = ("POLYGON", "MULTIPOLYGON", "GEOMETRY")

_RTREE_TRIGGERS = (
    ('insert', 'AFTER INSERT ON {t} WHEN (new.{g} NOT NULL AND NOT ST_IsEmpty(NEW.{g})) BEGIN INSERT OR REPLACE INTO '
     '{r} VALUES (NEW."fid",ST_MinX(NEW.{g}), ST_MaxX(NEW.{g}),ST_MinY(NEW.{g}), ST_MaxY(NEW.{g})); END'),
    ('update1', 'AFTER UPDATE OF {g} ON {t} WHEN OLD."fid" = NEW."fid" AND (NEW.{g} NOTNULL AND NOT '
     'ST_IsEmpty(NEW.{g})) BEGIN INSERT OR REPLACE INTO {r} VALUES (NEW."fid",ST_MinX(NEW.{g}), ST_MaxX(NEW.{g}),'
     'ST_MinY(NEW.{g}), ST_MaxY(NEW.{g})); END'),
    ('update2', 'AFTER UPDATE OF {g} ON {t} WHEN OLD."fid" = NEW."fid" AND (NEW.{g} ISNULL OR ST_IsEmpty(NEW.{g})) '
     'BEGIN DELETE FROM {r} WHERE id = OLD."fid"; END'),
    ('update3', 'AFTER UPDATE ON {t} WHEN OLD."fid" != NEW."fid" AND (NEW.{g} NOTNULL AND NOT ST_IsEmpty(NEW.{g})) '
     'BEGIN DELETE FROM {r} WHERE id = OLD."fid"; INSERT OR REPLACE INTO {r} VALUES (NEW."fid",ST_MinX(NEW.{g}), '
     'ST_MaxX(NEW.{g}),ST_MinY(NEW.{g}), ST_MaxY(NEW.{g})); END'),
    ('update4', 'AFTER UPDATE ON {t} WHEN OLD."fid" != NEW."fid" AND (NEW.{g} ISNULL OR ST_IsEmpty(NEW.{g})) '
     'BEGIN DELETE FROM {r} WHERE id IN (OLD."fid", NEW."fid"); END'),
    ('delete', 'AFTER DELETE ON {t} WHEN old.{g} NOT NULL BEGIN DELETE FROM {r} WHERE id = OLD."fid"; END'),
)


def create_feature_table(conn, name: str, geometry_type: str, srs_id: int, now: str,
                         columns: list[tuple[str, str]] = ()) -> None:
    """Create the empty feature table ``name`` (geometry column ``geom`` of ``geometry_type``, SRS ``srs_id``; the
    attribute ``columns`` as (name, declared SQL type)) inside the caller's transaction."""
    if geometry_type not in GEOMETRY_TYPES:
        raise ValueError(geometry_type)
    t, g, r = quote(name), quote("geom"), quote(f"rtree_{name}_geom")
    attrs = "".join(f", {quote(c)} {d}" for c, d in columns)
    conn.execute(f'CREATE TABLE {t} ( "fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, {g} {geometry_type}{attrs})')
    conn.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id) "
                 "VALUES (?, 'features', ?, '', ?, ?)", (name, name, now, srs_id))
    conn.execute("INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) "
                 "VALUES (?, 'geom', ?, ?, 0, 0)", (name, geometry_type, srs_id))
    conn.execute(f"CREATE VIRTUAL TABLE {r} USING rtree(id, minx, maxx, miny, maxy)")
    conn.execute("INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES "
                 "(?, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', "
                 "'write-only')", (name,))
    for suffix, body in _RTREE_TRIGGERS:
        conn.execute(f"CREATE TRIGGER {quote(f'rtree_{name}_geom_{suffix}')} " + body.format(t=t, g=g, r=r))
    _feature_count(conn, name)


def create_attribute_table(conn, name: str, now: str, columns: list[tuple[str, str]] = ()) -> None:
    """Create the empty attribute table ``name`` (no geometry; ``columns`` as (name, declared SQL type), the store's
    bookkeeping among them) inside the caller's transaction, registered as GDAL registers one (gpkg_contents
    'attributes', gpkg_ogr_contents and its feature-count triggers)."""
    t = quote(name)
    attrs = "".join(f", {quote(c)} {d}" for c, d in columns)
    conn.execute(f'CREATE TABLE {t} ( "fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL{attrs})')
    conn.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                 "VALUES (?, 'attributes', ?, '', ?)", (name, name, now))
    _feature_count(conn, name)


def _feature_count(conn, name: str) -> None:
    t = quote(name)
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_ogr_contents'").fetchone():
        conn.execute("INSERT INTO gpkg_ogr_contents (table_name, feature_count) VALUES (?, 0)", (name,))
        lit = "'" + name.replace("'", "''") + "'"
        for event, sign in (("insert", "+"), ("delete", "-")):
            conn.execute(f"CREATE TRIGGER {quote(f'trigger_{event}_feature_count_{name}')} AFTER {event.upper()} ON "
                         f"{t} BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count {sign} 1 WHERE "
                         f"lower(table_name) = lower({lit}); END")


def drop_feature_table(conn, name: str, geom_column: str) -> None:
    """Remove the feature table ``name`` with its R-tree, triggers and registrations (inside the caller's
    transaction: to re-create it with another geometry type)."""
    conn.execute(f"DROP TABLE {quote(name)}")                      # its triggers go with it
    conn.execute(f"DROP TABLE IF EXISTS {quote(f'rtree_{name}_{geom_column}')}")
    for table in ("gpkg_extensions", "gpkg_geometry_columns", "gpkg_ogr_contents", "gpkg_contents"):
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone():
            conn.execute(f"DELETE FROM {table} WHERE table_name = ?", (name,))


def geometry_type_of(type_ids, declared: str | None = None) -> str:
    """The layer's real geometry type for shapely type ids ``type_ids`` (3 Polygon, 6 MultiPolygon): MULTIPOLYGON
    when any is multi (or the layer is declared so), POLYGON when all are polygons, else GEOMETRY."""
    kinds = set(type_ids) - {-1}
    if kinds - {3, 6}:
        return "GEOMETRY"
    return "MULTIPOLYGON" if 6 in kinds or (declared or "").upper() == "MULTIPOLYGON" else "POLYGON"
