"""Declarative LIST partitioning of the PostGIS store by county (docs/store.md#partitioning-by-county).

``zones``, ``parcels`` and ``factories`` carry a store column ``county_key`` (TEXT NOT NULL, '' = no code), the
partition key: a zone's is its ``county_code``; a parcel's and a factory's is its zone's, written by the store (a
parcel has no county field of its own: the key is derived, never entered). One partition per county code
(``<table>_p<code>``) and a DEFAULT partition (no code, or a code that arrived after the partitions were made and
will be moved when its partition is created). A county's read, ``WHERE county_key = %s``, touches only its
partition (partition pruning; tests/stores/test_pg_partition.py checks the EXPLAIN).

The key is not layer data: reads leave it out (``KEY`` is skipped with the bookkeeping columns); every write ends
with ``sync`` (new partitions for new codes, then the rows whose key changed moved — an UPDATE of the key moves a
row between partitions). A unique id is unique per county (PostgreSQL requires the key in every unique index);
the load's DUPLICATE_ID check covers the whole workspace.
"""
from __future__ import annotations

import re

from stores.common import quote

KEY = "county_key"
PARTITIONED = ("zones", "parcels", "factories")
_CODE = re.compile(r"^[0-9]{6}$")


def table_clauses(name: str) -> tuple[list[str], list[str]]:
    """(first columns, constraints) of a layer's CREATE TABLE: the key column and the (fid, key) primary key — or
    the plain table's for an unpartitioned layer."""
    if name not in PARTITIONED:
        return ["fid BIGSERIAL PRIMARY KEY"], []
    return ["fid BIGSERIAL", f"{KEY} TEXT NOT NULL DEFAULT ''"], [f"PRIMARY KEY (fid, {KEY})"]


def create_table(conn, name: str, columns: list[str]) -> None:
    """CREATE TABLE of a layer: ``PARTITION BY LIST`` on the key with its DEFAULT partition when partitioned."""
    partition = f" PARTITION BY LIST ({KEY})" if name in PARTITIONED else ""
    conn.execute(f"CREATE TABLE {quote(name)} ({', '.join(columns)}){partition}")
    create_default(conn, name)


def unique_columns(name: str, id_field: str) -> str:
    """The columns of the layer's unique id index (with the key when partitioned)."""
    return f"{quote(id_field)}, {KEY}" if name in PARTITIONED else quote(id_field)


def create_default(conn, name: str) -> None:
    if name in PARTITIONED:
        conn.execute(f"CREATE TABLE {quote(name + '_pdefault')} PARTITION OF {quote(name)} DEFAULT")


def is_partitioned(conn) -> bool:
    """Whether this database's layers are partitioned (a store made before partitioning is not)."""
    return bool(conn.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'parcels' AND "
                             "column_name = %s AND table_schema = current_schema()", (KEY,)).fetchone()[0])


def _has_code(conn) -> bool:
    return bool(conn.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'zones' AND "
                             "column_name = 'county_code' AND table_schema = current_schema()").fetchone()[0])


def sync(conn) -> None:
    """Partitions for every county code the zones carry, then every row's key set from its zone (moving rows
    between partitions); only rows whose key differs are written."""
    if not is_partitioned(conn):
        return
    code = "COALESCE(z.county_code, '')" if _has_code(conn) else "''"
    codes = [r[0] for r in conn.execute(f"SELECT DISTINCT {code} FROM zones z").fetchall()] if code != "''" else []
    existing = {r[0] for r in conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'parcels'").fetchall()}
    for c in sorted(x for x in codes if _CODE.match(x or "")):       # a malformed code stays in the default
        if f"parcels_p{c}" in existing:
            continue
        for table in PARTITIONED:       # the default holds none of it yet (its rows' keys are set below)
            conn.execute(f"CREATE TABLE {quote(f'{table}_p{c}')} PARTITION OF {quote(table)} FOR VALUES IN ('{c}')")
    conn.execute(f"UPDATE zones z SET {KEY} = {code} WHERE z.{KEY} <> {code}")
    for table in ("parcels", "factories"):
        t = quote(table)
        conn.execute(f"UPDATE {t} r SET {KEY} = z.{KEY} FROM zones z WHERE r.zone_id = z.zone_id "
                     f"AND r.{KEY} <> z.{KEY}")
        conn.execute(f"UPDATE {t} r SET {KEY} = '' WHERE r.{KEY} <> '' AND NOT EXISTS "
                     f"(SELECT 1 FROM zones z WHERE z.zone_id = r.zone_id)")


def county_where(name: str, county: str | None) -> tuple[str, tuple]:
    """The WHERE of one county's rows of a partitioned layer ('' and () otherwise)."""
    if county is None or name not in PARTITIONED:
        return "", ()
    return f" WHERE {KEY} = %s", (county,)
