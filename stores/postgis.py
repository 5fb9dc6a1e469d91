"""The PostgreSQL + PostGIS store (team mode): psycopg 3, parameterised plain SQL, plain PostGIS functions only
(ST_GeomFromWKB, ST_AsBinary), so that PostgreSQL-protocol databases used in government IT (KingbaseES, Highgo)
run it too.

Tables (schema ``public`` or the connection's search_path): one per layer — ``fid`` BIGSERIAL PRIMARY KEY, ``geom``
geometry(Geometry, srid) on the three spatial layers, the schema's fields (TEXT / DOUBLE PRECISION / BIGINT /
DATE) and any extra columns, then ``version`` INTEGER, ``updated_at`` TEXT (UTC ISO), ``updated_by`` TEXT; a UNIQUE
index on the id field; ``audit`` (fid, at, "by", layer, "id", action, before, after — JSON as TEXT);
``landgap_layers`` (layer, crs_wkt, geometry_type, srid): the layer's CRS as the GeoPackage had it.

Reads: one REPEATABLE READ READ ONLY transaction. Writes: one transaction, ``SELECT … FOR UPDATE`` of the rows
to change, versions compared, UPDATE … WHERE id AND version, INSERTs (a concurrent insert of the same id is a
unique violation → ConflictError), audit rows; any failure rolls back everything.
"""
from __future__ import annotations

from geo.errors import WorkspaceError
from geo.schema import LAYERS
from geo.settings import Settings
from stores import common, mask_password
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

META_TABLE = "landgap_layers"


def _psycopg():
    try:
        import psycopg
    except ImportError as exc:                      # pragma: no cover - requirements.txt has it
        raise StoreIOError("未安装 psycopg（PostgreSQL 驱动）：pip install -r requirements.txt") from exc
    return psycopg


class PostgisStore(common.StoreCommon):
    """The team workspace in the database at ``url``, read with the caller's ``settings``."""

    def __init__(self, url: str, settings: Settings, connect_timeout: int = 10):
        psycopg = _psycopg()
        self.settings = settings
        self.target = url
        self.url = url
        try:
            self.conn = psycopg.connect(url, autocommit=False, connect_timeout=connect_timeout)
        except psycopg.Error as exc:
            raise StoreIOError(f"无法连接数据库 {mask_password(url)}：{exc}") from exc
        self._errors = psycopg.Error

    # ------------------------------------------------------------------------------------------ schema
    def initialised(self) -> bool:
        with self.conn.transaction():
            row = self.conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = %s "
                                    "AND table_schema = current_schema()", (META_TABLE,)).fetchone()
        return bool(row[0])

    def layer_names(self) -> list[str]:
        with self.conn.transaction():
            return [r[0] for r in self.conn.execute(f"SELECT layer FROM {META_TABLE}").fetchall()
                    if r[0] in LAYERS]

    def create_from_raw(self, raws: dict[str, RawLayer], audit: list[AuditEntry] | None = None) -> None:
        """Create the tables and fill them exactly as ``raws`` (fids, versions, bookkeeping kept), and copy the
        audit; one transaction. Refuses a database that already holds a workspace."""
        if self.initialised():
            raise WorkspaceError(f"数据库 {mask_password(self.url)} 中已有工作空间（表 {META_TABLE}），未写入")
        try:
            with self.conn.transaction():
                c = self.conn
                c.execute(f"CREATE TABLE {META_TABLE} (layer TEXT PRIMARY KEY, crs_wkt TEXT, geometry_type TEXT, "
                          "srid INTEGER)")
                c.execute(f'CREATE TABLE {AUDIT_TABLE} (fid BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, "by" TEXT, '
                          'layer TEXT NOT NULL, "id" TEXT NOT NULL, action TEXT NOT NULL, before TEXT, after TEXT)')
                c.execute(f'CREATE INDEX idx_audit_id ON {AUDIT_TABLE} ("id")')
                c.execute(f"CREATE INDEX idx_audit_at ON {AUDIT_TABLE} (at)")
                for name in LAYERS:
                    raw = raws.get(name)
                    if raw is None:
                        raw = RawLayer(name, [(f.name, f.kind) for f in LAYERS[name].fields], [],
                                       next((r.crs_wkt for r in raws.values() if r.crs_wkt), None), "POLYGON")
                    self._create_layer(raw)
                if audit:
                    c.cursor().executemany(
                        f'INSERT INTO {AUDIT_TABLE} (at, "by", layer, "id", action, before, after) '
                        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        [(e.at, e.by, e.layer, e.id, e.action, common.json.dumps(e.before, ensure_ascii=False)
                          if e.before is not None else None,
                          common.json.dumps(e.after, ensure_ascii=False) if e.after is not None else None)
                         for e in audit])
        except self._errors as exc:
            raise StoreIOError(f"写入数据库 {mask_password(self.url)} 失败（未写入任何数据）：{exc}") from exc

    def _create_layer(self, raw: RawLayer) -> None:
        c = self.conn
        spatial = LAYERS[raw.name].geometry is not None
        srid = _srid(raw.crs_wkt) if spatial else None
        cols = ["fid BIGSERIAL PRIMARY KEY"]
        if spatial:
            cols.append(f"geom geometry(Geometry, {int(srid)})")
        cols += [f"{quote(n)} {common.KIND_SQL_PG[k]}" for n, k in raw.columns]
        cols += ["version INTEGER NOT NULL DEFAULT 1", "updated_at TEXT", "updated_by TEXT"]
        t = quote(raw.name)
        c.execute(f"CREATE TABLE {t} ({', '.join(cols)})")
        id_field = LAYERS[raw.name].id_field
        c.execute(f"CREATE UNIQUE INDEX {quote('uq_' + raw.name + '_' + id_field)} ON {t} ({quote(id_field)})")
        if spatial:
            c.execute(f"CREATE INDEX {quote('gix_' + raw.name)} ON {t} USING GIST (geom)")
        c.execute(f"INSERT INTO {META_TABLE} (layer, crs_wkt, geometry_type, srid) VALUES (%s, %s, %s, %s)",
                  (raw.name, raw.crs_wkt, raw.geometry_type, srid))
        if raw.rows:
            names = ["fid"] + (["geom"] if spatial else []) + [quote(n) for n, _ in raw.columns] + list(BOOKKEEPING)
            marks = ["%s"] + (["ST_GeomFromWKB(%s, %s)"] if spatial else []) + ["%s"] * (len(raw.columns) + 3)
            rows = []
            for r in raw.rows:
                vals = [r[0]] + ([r[1], srid] if spatial else []) + [_to_pg(v, k) for v, (_, k) in
                                                                       zip(r[2:2 + len(raw.columns)], raw.columns)]
                vals += [int(r[-3] or 1), r[-2], r[-1]]
                rows.append(vals)
            c.cursor().executemany(f"INSERT INTO {t} ({', '.join(names)}) VALUES ({', '.join(marks)})", rows)
            c.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'fid'), (SELECT max(fid) FROM {t}))", (raw.name,))

    def _add_layers(self, layers: list[str], meta: dict[str, tuple]) -> dict[str, tuple]:
        """Create, empty, the layers a database made before they existed lacks (the firms table, issue 19), inside
        the caller's transaction; the metadata table locked so that two writers do not both create one."""
        self.conn.execute(f"LOCK TABLE {META_TABLE} IN SHARE ROW EXCLUSIVE MODE")
        meta = self._meta()
        crs_wkt = meta.get("parcels", (None,))[0]
        for name in layers:
            if name not in meta:
                self._create_layer(RawLayer(name, [(f.name, f.kind) for f in LAYERS[name].fields], [], crs_wkt,
                                            "POLYGON" if LAYERS[name].geometry else None))
        return self._meta()

    def _meta(self) -> dict[str, tuple]:
        return {r[0]: r[1:] for r in self.conn.execute(
            f"SELECT layer, crs_wkt, geometry_type, srid FROM {META_TABLE}").fetchall()}

    def _columns(self, table: str) -> list[tuple[str, str]]:
        rows = self.conn.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
                                 "AND table_schema = current_schema() ORDER BY ordinal_position", (table,)).fetchall()
        out = []
        for name, dtype in rows:
            if name in ("fid", "geom", *BOOKKEEPING):
                continue
            d = dtype.lower()
            kind = "date" if d == "date" else "integer" if d in ("bigint", "integer", "smallint") else \
                "real" if d in ("double precision", "real", "numeric") else "text"
            out.append((name, kind))
        return out

    # -------------------------------------------------------------------------------------------- reads
    def _raw_locked(self) -> dict[str, RawLayer]:
        out = {}
        meta = self._meta()
        for name in LAYERS:
            if name not in meta:
                continue
            crs_wkt, gtype, srid = meta[name]
            cols = self._columns(name)
            spatial = LAYERS[name].geometry is not None
            select = ", ".join(["fid", "ST_AsBinary(geom)" if spatial else "NULL"] + [quote(c) for c, _ in cols]
                               + list(BOOKKEEPING))
            rows = self.conn.execute(f"SELECT {select} FROM {quote(name)} ORDER BY fid").fetchall()
            date_cols = [i for i, (_, k) in enumerate(cols) if k == "date"]
            fixed = []
            for r in rows:
                r = list(r)
                if spatial and r[1] is not None:
                    r[1] = bytes(r[1])
                for i in date_cols:
                    v = r[2 + i]
                    if v is not None:
                        r[2 + i] = v.isoformat()
                fixed.append(tuple(r))
            out[name] = RawLayer(name, cols, fixed, crs_wkt, gtype)
        return out

    def raw_layers(self) -> dict[str, RawLayer]:
        try:
            with self.conn.transaction():
                self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                if not self._has_meta():
                    raise WorkspaceError(f"数据库 {mask_password(self.url)} 中没有工作空间："
                                         "先运行 python cli.py migrate "
                                         f"--from W.gpkg --to {mask_password(self.url)}")
                return self._raw_locked()
        except self._errors as exc:
            raise StoreIOError(f"读取数据库 {mask_password(self.url)} 失败：{exc}") from exc

    def _has_meta(self) -> bool:
        return bool(self.conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = %s "
                                      "AND table_schema = current_schema()", (META_TABLE,)).fetchone()[0])

    def read(self):
        raws = self.raw_layers()
        ws, report, versions = common.workspace_from_raw(raws, mask_password(self.url), self.settings)
        if ws is not None:
            from dataclasses import replace

            from geo.netland import report_constraints
            from stores.pg_constraints import read_constraints
            try:
                with self.conn.transaction():
                    constraints = read_constraints(self.conn, ws.crs)
            except self._errors as exc:
                raise StoreIOError(f"读取数据库 {mask_password(self.url)} 失败：{exc}") from exc
            if constraints:
                ws = replace(ws, constraints=constraints)
                report_constraints(ws, common.fid_of(raws["parcels"]), report, self.settings)    # as a file load does
        return ws, report, versions

    def write_constraints(self, layers, user: str | None = None) -> None:
        """Replace the constraint layers named in ``layers`` ({name: GeoDataFrame in the workspace CRS}), audited
        under ``user`` (None: a copy, e.g. migrate, which carries the source's history instead)."""
        from stores.gpkg_constraints import layer_audit
        from stores.pg_constraints import write_constraints
        try:
            with self.conn.transaction():
                counts = write_constraints(self.conn, layers)
                if user is not None:
                    now = utc_now()
                    for name, (old, new) in counts.items():
                        self.conn.execute(f'INSERT INTO {AUDIT_TABLE} (at, "by", layer, "id", action, before, after) '
                                          "VALUES (%s, %s, %s, %s, %s, %s, %s)", layer_audit(now, user, name, old, new))
        except self._errors as exc:
            raise StoreIOError(f"写入数据库 {mask_password(self.url)} 失败：{exc}") from exc

    def revision(self) -> str:
        """Changes with every write through a store (the last audit row): an app's cache key."""
        try:
            with self.conn.transaction():
                last = self.conn.execute(f"SELECT max(fid) FROM {AUDIT_TABLE}").fetchone()[0]
        except self._errors as exc:
            raise StoreIOError(f"读取数据库 {mask_password(self.url)} 失败：{exc}") from exc
        return str(last or 0)

    def history(self, since=None, id=None) -> list[AuditEntry]:
        sql, params = common.history_query(AUDIT_TABLE, "%s", since, id)
        try:
            with self.conn.transaction():
                rows = self.conn.execute(sql + " ORDER BY fid", params).fetchall()
        except self._errors as exc:
            raise StoreIOError(f"读取修改记录失败：{exc}") from exc
        return [common.entry(r) for r in rows]

    # ------------------------------------------------------------------------------------------- writes
    def apply(self, changes, expected_versions: Versions, user: str) -> dict[tuple[str, str], int]:
        psycopg = _psycopg()
        changes: list[RowChange] = list(changes)
        if not changes:
            return {}
        user = user or "unknown"
        by_layer: dict[str, list[RowChange]] = {}
        for ch in changes:
            by_layer.setdefault(ch.layer, []).append(ch)
        try:
            with self.conn.transaction():
                c = self.conn
                meta = self._meta()
                if any(layer not in meta for layer in by_layer):
                    meta = self._add_layers(list(by_layer), meta)
                current: dict[tuple[str, str], tuple] = {}
                for layer, chs in by_layer.items():
                    id_field = quote(LAYERS[layer].id_field)
                    ids = sorted({ch.id for ch in chs})
                    # row locks in id order (no deadlock between two writers); inserts' ids checked too
                    for rid, v, by, at in c.execute(
                            f"SELECT {id_field}, version, updated_by, updated_at FROM {quote(layer)} "
                            f"WHERE {id_field} = ANY(%s) ORDER BY {id_field} FOR UPDATE", (ids,)).fetchall():
                        current[(layer, str(rid))] = (int(v), by, at)
                conflicts = common.plan(changes, expected_versions, current)
                if conflicts:
                    raise ConflictError([self._who_deleted(x) for x in conflicts])
                now = utc_now()
                out = {}
                for layer, chs in by_layer.items():
                    out.update(self._write_layer(layer, chs, now, user, expected_versions, meta[layer][2] or 0))
                c.cursor().executemany(
                    f'INSERT INTO {AUDIT_TABLE} (at, "by", layer, "id", action, before, after) '
                    "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    common.audit_rows(now, user, changes))
            return out
        except psycopg.errors.UniqueViolation:
            # a concurrent writer inserted one of our new ids after our check: report who
            raise ConflictError(self._inserted_conflicts(changes)) from None
        except self._errors as exc:
            raise StoreIOError(f"写入数据库 {mask_password(self.url)} 失败（未写入任何数据）：{exc}") from exc

    def _inserted_conflicts(self, changes) -> list[Conflict]:
        out = []
        with self.conn.transaction():
            for ch in changes:
                if ch.action != "insert":
                    continue
                row = self.conn.execute(f"SELECT version, updated_by, updated_at FROM {quote(ch.layer)} "
                                        f"WHERE {quote(LAYERS[ch.layer].id_field)} = %s", (ch.id,)).fetchone()
                if row:
                    out.append(Conflict(ch.layer, ch.id, None, int(row[0]), row[1], row[2]))
        return out or [Conflict(ch.layer, ch.id, None, None) for ch in changes if ch.action == "insert"][:1]

    def _who_deleted(self, x: Conflict) -> Conflict:
        if x.actual is not None:
            return x
        from dataclasses import replace
        row = self.conn.execute(f'SELECT "by", at FROM {AUDIT_TABLE} WHERE layer = %s AND "id" = %s AND '
                                "action = 'delete' ORDER BY fid DESC LIMIT 1", (x.layer, x.id)).fetchone()
        return replace(x, updated_by=row[0], updated_at=row[1]) if row else x

    def _write_layer(self, layer, chs, now, user, expected, srid) -> dict:
        c = self.conn
        t = quote(layer)
        id_field = quote(LAYERS[layer].id_field)
        existing = [n for n, _ in self._columns(layer)]
        for name, kind in common.stored_columns(chs, layer, existing):
            c.execute(f"ALTER TABLE {t} ADD COLUMN {quote(name)} {common.KIND_SQL_PG[kind]}")
        cols = self._columns(layer)
        spatial = LAYERS[layer].geometry is not None
        names = [quote(n) for n, _ in cols]
        out = {}
        inserts, updates, deletes = [], [], []
        import shapely
        for ch in chs:
            exp = expected.get(layer, {}).get(ch.id)
            if ch.action == "delete":
                deletes.append((ch.id, exp))
                continue
            vals = [_to_pg(v, k) for v, (_, k) in zip(common.row_values(ch.after, cols), cols)]
            g = []
            if spatial:
                shape = ch.after.get("geometry")
                g = [None if shape is None else shapely.to_wkb(shape, byte_order=1, output_dimension=2), srid]
            if ch.action == "insert":
                inserts.append(g + vals + [now, user])
                out[ch.key] = 1
            else:
                updates.append(g + vals + [now, user, ch.id, exp])
                out[ch.key] = int(exp) + 1
        gname = ["geom"] if spatial else []
        gmark = ["ST_GeomFromWKB(%s, %s)"] if spatial else []
        cur = c.cursor()
        if inserts:
            cur.executemany(f"INSERT INTO {t} ({', '.join(gname + names)}, version, updated_at, updated_by) "
                            f"VALUES ({', '.join(gmark + ['%s'] * len(names))}, 1, %s, %s)", inserts)
        for params in updates:
            sets = ", ".join([f"geom = {m}" for m in gmark] + [f"{n} = %s" for n in names])
            cur.execute(f"UPDATE {t} SET {sets}, version = version + 1, updated_at = %s, updated_by = %s "
                        f"WHERE {id_field} = %s AND version = %s", params)
            if cur.rowcount != 1:
                raise ConflictError([Conflict(layer, params[-2], params[-1], None)])
        for rid, exp in deletes:
            cur.execute(f"DELETE FROM {t} WHERE {id_field} = %s AND version = %s", (rid, exp))
            if cur.rowcount != 1:
                raise ConflictError([Conflict(layer, rid, exp, None)])
        return out

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _to_pg(value, kind):
    if value is None:
        return None
    if kind == "date":
        import datetime as dt
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            raise WorkspaceError(f"日期“{value}”无法写入 DATE 字段（请先在 GeoPackage 中改正）") from None
    return value


def _srid(crs_wkt: str | None) -> int:
    if not crs_wkt:
        return 0
    from pyproj import CRS
    epsg = CRS.from_user_input(crs_wkt).to_epsg()
    return int(epsg or 0)

