"""What both stores share: RawLayer → Workspace (through build_workspace), save/retry, the change loop."""
from __future__ import annotations

import json
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import ValidationError, WorkspaceError
from geo.schema import LAYERS
from geo.workspace import shared_text
from stores.base import BOOKKEEPING, AuditEntry, ConflictError, RawLayer, RowChange, Versions, diff

AUDIT_TABLE = "audit"
"""The audit attribute table of both stores (who changed which row, when, before/after)."""

KIND_SQL_PG = {"text": "TEXT", "real": "DOUBLE PRECISION", "integer": "BIGINT", "date": "DATE"}
KIND_SQL_GPKG = {"text": "TEXT", "real": "REAL", "integer": "INTEGER", "date": "DATE"}


def quote(name: str) -> str:
    """A quoted SQL identifier (both SQLite and PostgreSQL)."""
    return '"' + str(name).replace('"', '""') + '"'


def kind_of_declared(decl: str) -> str:
    d = (decl or "").upper()
    if d.startswith("DATE") and "TIME" not in d:
        return "date"
    if any(t in d for t in ("INT", "BOOL")):
        return "integer"
    if any(t in d for t in ("REAL", "DOUB", "FLOA", "NUMERIC", "DECIMAL")):
        return "real"
    return "text"


def frame_from_raw(raw: RawLayer, crs) -> pd.DataFrame:
    """The table as pyogrio would hand it to build_workspace: fid as index, typed columns, ``geometry``."""
    n_cols = len(raw.columns)
    fids = [r[0] for r in raw.rows]
    data = {}
    for j, (name, kind) in enumerate(raw.columns):
        values = [r[2 + j] for r in raw.rows]
        if kind == "real":
            s = pd.Series([np.nan if v is None else v for v in values], dtype=object)
            s = pd.to_numeric(s, errors="coerce") if all(isinstance(v, (int, float)) or v is None for v in values) \
                else pd.Series(values, dtype=object)
        elif kind == "integer":
            if all(isinstance(v, int) for v in values):
                s = pd.Series(values, dtype="int64")
            elif all(isinstance(v, (int, float)) or v is None for v in values):
                s = pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
            else:
                s = pd.Series(values, dtype=object)
        elif kind == "date":
            s = pd.Series(values, dtype=object)
            parsed = pd.to_datetime(s, errors="coerce", format="ISO8601")
            if name not in {f.name for f in LAYERS[raw.name].fields} or (parsed.notna() == s.notna()).all():
                s = parsed.astype("datetime64[ms]")   # as pyogrio reads a DATE column
            # else: left as text, so the load report names each bad date
        else:
            s = pd.Series(values, dtype=object)
        data[name] = s.to_numpy() if len(values) else pd.Series([], dtype=s.dtype).to_numpy()
    index = pd.Index(fids, name="fid")
    frame = shared_text(pd.DataFrame(data, index=index) if n_cols else pd.DataFrame(index=index))
    if LAYERS[raw.name].geometry:
        geoms = shapely.from_wkb(np.array([r[1] for r in raw.rows], dtype=object)) if raw.rows \
            else np.array([], dtype=object)
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=index, crs=crs), crs=crs)
    return frame


def versions_from_raw(raws: dict[str, RawLayer]) -> Versions:
    out: Versions = {}
    for name, raw in raws.items():
        names = [c for c, _ in raw.columns]
        id_field = LAYERS[name].id_field
        if id_field not in names:
            out[name] = {}
            continue
        j = 2 + names.index(id_field)
        v = 2 + len(names)
        out[name] = {str(r[j]): int(r[v] or 1) for r in raw.rows if r[j] is not None}
    return out


def fid_of(raw: RawLayer) -> pd.Series:
    """The fid of each feature of a stored layer, indexed by its id (as text)."""
    names = [c for c, _ in raw.columns]
    j = 2 + names.index(LAYERS[raw.name].id_field)
    return pd.Series([r[0] for r in raw.rows], index=[str(r[j]) for r in raw.rows], dtype=object)


def workspace_from_raw(raws: dict[str, RawLayer], source: str, settings, crs=None):
    """(Workspace | None, LoadReport, versions) from stored tables, validated exactly like a file load (with the
    caller's ``settings``)."""
    from pyproj import CRS

    from geo.report import LoadReport
    from geo.schema import REQUIRED_LAYERS
    from geo.workspace import build_workspace
    report = LoadReport(source=source)
    report.missing_layers(LAYERS, REQUIRED_LAYERS, set(raws), source)
    if report.errors:
        return None, report, {}
    frames = {}
    for name, raw in raws.items():
        layer_crs = CRS.from_user_input(raw.crs_wkt) if raw.crs_wkt else crs
        frames[name] = frame_from_raw(raw, layer_crs)
    ws, report = build_workspace(frames, source=source, report=report, validation=settings.validation,
                                 stage_priority=settings.matching.stage_priority)
    versions = versions_from_raw(raws)
    if ws is not None:
        ws = replace(ws, store_versions=versions)
    return ws, report, versions


def load_or_raise(store):
    ws, report, _ = store.read()
    if ws is None:
        lines = "\n".join(str(i) for i in report.errors[:20])
        raise ValidationError(f"工作空间 {store.target} 有 {report.summary()}：\n{lines}", report)
    return ws


def save(store, old, new, user: str, layers=None):
    versions = old.store_versions
    if versions is None:
        raise WorkspaceError("要保存的修改不是从工作空间读取的版本开始的（缺少行版本），"
                             "无法检查是否有他人同时修改：请重新读取后再改")
    return store.apply(diff(old, new, layers), versions, user)


def save_with_retry(store, old, rebuild, user: str, attempts: int = 5):
    """Write ``rebuild(ws)`` → (new_ws, *extra) over ``old``; when the only conflicts are ids a concurrent writer
    has just inserted (an import numbering its new rows), re-read and rebuild, up to ``attempts`` times. Any
    other conflict (a row someone else changed) is raised. Returns (written_ws, extra, versions)."""
    ws = old
    for attempt in range(attempts):
        result = rebuild(ws)
        new = result[0]
        try:
            versions = save(store, ws, new, user)
            return new, result[1:], versions
        except ConflictError as exc:
            if not exc.only_inserts or attempt == attempts - 1:
                raise
            ws = store.load()
    raise AssertionError("unreachable")


def plan(changes: list[RowChange], expected: Versions, current: dict[tuple[str, str], tuple]):
    """Conflicts of ``changes`` against ``current`` ((layer, id) → (version, updated_by, updated_at))."""
    from stores.base import Conflict
    conflicts = []
    for ch in changes:
        cur = current.get(ch.key)
        exp = expected.get(ch.layer, {}).get(ch.id)
        if ch.action == "insert":
            if cur is not None:
                conflicts.append(Conflict(ch.layer, ch.id, None, cur[0], cur[1], cur[2]))
        elif cur is None or exp is None or int(cur[0]) != int(exp):
            conflicts.append(Conflict(ch.layer, ch.id, exp, None if cur is None else cur[0],
                                      None if cur is None else cur[1], None if cur is None else cur[2]))
    return conflicts


def audit_rows(now: str, user: str, changes: list[RowChange]) -> list[tuple]:
    """The audit rows of ``changes`` (at, by, layer, id, action, before, after): each record as JSON, plain values
    with the geometry as WKT at full precision (its area is left to readers: the WKT is enough to recompute it);
    the WKT made in one vectorised call (a 100k-parcel import's audit was a third of its write)."""
    import numpy as np
    import shapely
    records = [r for c in changes for r in (c.before, c.after)]
    shapes = [r["geometry"] if r is not None and r.get("geometry") is not None else None for r in records]
    wkt = shapely.to_wkt(np.array(shapes, dtype=object), rounding_precision=-1) if shapes else []

    def one(record, text):
        if record is None:
            return None
        out = {k: v for k, v in record.items() if k != "geometry"}
        if "geometry" in record:
            out["geometry"] = text
        return json.dumps(out, ensure_ascii=False, sort_keys=False)

    return [(now, user, c.layer, c.id, c.action, one(c.before, wkt[2 * i]), one(c.after, wkt[2 * i + 1]))
            for i, c in enumerate(changes)]


def entry(row) -> AuditEntry:
    at, by, layer, rid, action, before, after = row
    return AuditEntry(at, by, layer, rid, action, json.loads(before) if before else None,
                      json.loads(after) if after else None)


def since_bound(since) -> str | None:
    """A --since value (date or datetime) as the ISO text audit times compare with."""
    if since is None:
        return None
    text = since.isoformat() if hasattr(since, "isoformat") else str(since)
    return text


def row_values(record: dict, columns: list[tuple[str, str]]) -> list:
    from stores.base import plain
    return [plain(record.get(c), k) for c, k in columns]


def stored_columns(changes: list[RowChange], layer: str, existing: list[str]):
    """Columns the changes write that the table lacks (extra fields added by a bureau), with kinds."""
    from stores.base import column_kind
    seen = {}
    for ch in changes:
        if ch.layer != layer or ch.after is None:
            continue
        for k, v in ch.after.items():
            if k == "geometry" or k in existing or k in BOOKKEEPING or k in seen:
                continue
            seen[k] = column_kind(layer, k, None) if k in {f.name for f in LAYERS[layer].fields} else (
                "real" if isinstance(v, float) else "integer" if isinstance(v, int) else "text")
    return list(seen.items())


__all__ = ["quote", "frame_from_raw", "workspace_from_raw", "save", "save_with_retry", "plan"]


def history_query(table: str, mark: str, since=None, id=None) -> tuple[str, list]:
    """The audit query of both stores (``mark``: the driver's parameter mark, ``?`` or ``%s``), without its ORDER BY;
    parameterised, never formatted with values."""
    sql = f'SELECT at, "by", layer, "id", action, before, after FROM {table}'
    where, params = [], []
    if since is not None:
        where.append(f"at >= {mark}")
        params.append(since_bound(since))
    if id is not None:
        where.append(f'"id" = {mark}')
        params.append(str(id))
    return (sql + (" WHERE " + " AND ".join(where) if where else "")), params


class StoreCommon:
    """What both stores do the same way on top of their own ``read`` and ``apply``."""

    def load(self):
        return load_or_raise(self)

    def save(self, old, new, user: str, layers=None):
        return save(self, old, new, user, layers)
