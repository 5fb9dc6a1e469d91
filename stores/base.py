"""The store interface shared by the GeoPackage and the PostGIS store, and the records it speaks in.

A store holds the layers of ``geo.schema.LAYERS`` (zones, parcels, factories, projects, firms) as tables with the
schema's fields, any extra columns a bureau added, and three bookkeeping columns per row: ``version`` (int, 1 on
insert, +1 on every update), ``updated_at`` (UTC ISO 8601) and ``updated_by``. Every write goes through ``apply``:
row-level changes, one transaction, each row checked against the version the writer read (optimistic concurrency),
an ``audit`` row per change written in the same transaction.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Iterable, Protocol, runtime_checkable

import numpy as np
import pandas as pd
import shapely

from geo.errors import WorkspaceError
from geo.schema import CONSTRAINT_LAYERS, DERIVED_COLUMNS, LAYERS, STORE_COLUMNS
from geo.vocab import IMPORT_TARGET_LABELS

BOOKKEEPING = STORE_COLUMNS
"""Columns every stored row carries; never part of a Workspace's frames."""
ACTIONS = ("insert", "update", "delete")
LAYER_LABELS = {"zones": "园区", "parcels": "地块", "factories": "标准厂房", "projects": "项目", "firms": "企业",
                **{n: IMPORT_TARGET_LABELS[n] for n in CONSTRAINT_LAYERS}}
ACTION_LABELS = {"insert": "新增", "update": "修改", "delete": "删除", "replace": "整层替换"}

Versions = dict[str, dict[str, int]]
"""layer → row id → version, as read."""


# ------------------------------------------------------------------------------------------------- records

@dataclass(frozen=True)
class RowChange:
    """One row to insert, update or delete. ``before``/``after``: field → value (text/float/int/ISO date, None),
    and ``geometry`` a shapely geometry for layers that have one; ``before`` is None on insert, ``after`` on delete."""
    layer: str
    id: str
    action: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    def __post_init__(self):
        if self.layer not in LAYERS:
            raise WorkspaceError(f"未知图层 {self.layer!r}")
        if self.action not in ACTIONS:
            raise WorkspaceError(f"未知的修改类型 {self.action!r}（应为 insert/update/delete）")

    @property
    def key(self) -> tuple[str, str]:
        return self.layer, self.id


@dataclass(frozen=True)
class Conflict:
    """A row whose stored version is no longer the one the writer read: who changed it and when (None: the row
    is gone, or appeared, without a trace in the audit)."""
    layer: str
    id: str
    expected: int | None        # None: the writer thought the row absent (an insert)
    actual: int | None          # None: the row no longer exists
    updated_by: str | None = None
    updated_at: str | None = None

    def message(self) -> str:
        what = f"{LAYER_LABELS.get(self.layer, self.layer)} {self.id}"
        who = f"{self.updated_by or '未知用户'} 于 {self.updated_at or '未知时间'}"
        if self.actual is None:
            return f"{what} 已被删除（读取时为第 {self.expected} 版）"
        if self.expected is None:
            return f"{what} 已被 {who} 新增（编号已被占用）"
        return f"{what} 已被 {who} 修改（读取时为第 {self.expected} 版，现为第 {self.actual} 版）"


class ConflictError(WorkspaceError):
    """Nothing was written: rows changed since they were read. ``conflicts`` names each (layer, id, who, when)."""

    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = list(conflicts)
        lines = "；".join(c.message() for c in self.conflicts[:20])
        more = f" 等 {len(self.conflicts)} 条" if len(self.conflicts) > 20 else ""
        super().__init__(f"保存冲突，未写入任何数据：{lines}{more}。请重新读取最新数据后再修改。")

    @property
    def only_inserts(self) -> bool:
        """Every conflict is an id taken by a concurrent insert (an import can re-read and re-number)."""
        return all(c.expected is None for c in self.conflicts)


class StoreIOError(WorkspaceError, OSError):
    """The store cannot be reached, read or written (file locked/unwritable, database down)."""


@dataclass(frozen=True)
class AuditEntry:
    at: str
    by: str
    layer: str
    id: str
    action: str
    before: dict | None
    after: dict | None

    def to_dict(self) -> dict:
        return {"at": self.at, "by": self.by, "layer": self.layer, "id": self.id, "action": self.action,
                "before": self.before, "after": self.after}


@dataclass
class RawLayer:
    """A stored table as it is: ``columns`` (name, kind) in table order, kind ∈ text/real/integer/date; ``rows``
    (fid, geometry WKB or None, *values, version, updated_at, updated_by)."""
    name: str
    columns: list[tuple[str, str]]
    rows: list[tuple]
    crs_wkt: str | None = None
    geometry_type: str | None = None


@runtime_checkable
class Store(Protocol):
    """What the app and the CLI use, whichever store is behind it."""
    target: str

    def load(self):
        """The Workspace (validated by geo.workspace.build_workspace); its ``store_versions`` field holds the
        versions read (a consistent snapshot). Raises ValidationError like load_workspace."""

    def read(self) -> tuple[Any, Any, Versions]:
        """(Workspace | None, LoadReport, versions): read_workspace's contract plus the versions."""

    def apply(self, changes: Iterable[RowChange], expected_versions: Versions, user: str) -> dict[tuple[str, str], int]:
        """Write ``changes`` in one transaction if each row's version is still ``expected_versions``' (an insert:
        the id still absent); else write nothing and raise ConflictError. Returns (layer, id) → new version."""

    def save(self, old, new, user: str, layers=None) -> dict[tuple[str, str], int]:
        """``apply(diff(old, new, layers), old.store_versions, user)``: an editor's or an import's save."""

    def history(self, since: str | None = None, id: str | None = None) -> list[AuditEntry]:
        """Audit entries, oldest first, at or after ``since`` (ISO date/time, UTC) and/or of one row id."""

    def revision(self) -> str:
        """A token that changes with every write (a cache key for the app's loaded workspace)."""

    def raw_layers(self) -> dict[str, RawLayer]:
        """Every layer as stored (all columns, bookkeeping included), for migration and comparison."""

    def close(self) -> None: ...


# -------------------------------------------------------------------------------------------- values / diff

def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def column_kind(layer: str, name: str, series: pd.Series | None = None) -> str:
    kinds = {f.name: f.kind for f in LAYERS[layer].fields}
    if name in kinds:
        return kinds[name]
    return "text" if series is None else dtype_kind(series)


def dtype_kind(series: pd.Series) -> str:
    """The stored kind of a column of no declared field, by its dtype."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "real"
    return "text"


def plain(value, kind: str):
    """A cell as stored and compared: str / float / int / 'YYYY-MM-DD' / None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    t = type(value)
    if t is str and kind == "text" or t is int and kind == "integer":      # already plain (a store's own record)
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    if t is float and kind == "real":
        return value
    if kind == "date":
        if isinstance(value, str):
            return value[:10] if value else None
        try:
            return pd.Timestamp(value).date().isoformat()
        except (ValueError, TypeError):
            return str(value)
    if kind == "integer":
        try:
            return int(value)
        except (ValueError, TypeError):
            return str(value)
    if kind == "real":
        try:
            f = float(value)
        except (ValueError, TypeError):
            return str(value)
        return None if math.isnan(f) else f
    if isinstance(value, (np.generic,)):
        value = value.item()
    return str(value)


def plain_column(series: pd.Series, kind: str) -> list:
    """``plain`` of every cell of a column, vectorised for the dtypes a workspace has (floats, ints, datetimes);
    any other column cell by cell."""
    if kind in ("real", "integer") and pd.api.types.is_float_dtype(series) or \
            kind == "real" and pd.api.types.is_integer_dtype(series):
        arr = series.to_numpy(dtype="float64")
        na = np.isnan(arr)
        vals = (arr if kind == "real" else np.trunc(np.where(na, 0, arr)).astype("int64")).astype(object)
        vals[na] = None
        return vals.tolist()
    if kind == "integer" and pd.api.types.is_integer_dtype(series) and \
            not isinstance(series.dtype, pd.api.extensions.ExtensionDtype):
        return series.to_numpy().astype(object).tolist()
    if kind == "date" and pd.api.types.is_datetime64_any_dtype(series):
        text = series.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
        text[series.isna().to_numpy()] = None
        return text.tolist()
    return [plain(v, kind) for v in series.tolist()]


def layer_columns(layer: str, frame: pd.DataFrame) -> list[tuple[str, str]]:
    """The stored columns of a Workspace frame: schema fields, then extra columns; no geometry, derived or
    bookkeeping columns."""
    names = [f.name for f in LAYERS[layer].fields]
    extra = [c for c in frame.columns if c not in names and c != "geometry" and c not in DERIVED_COLUMNS
             and c not in BOOKKEEPING]
    return [(c, column_kind(layer, c, frame[c] if c in frame.columns else None)) for c in names + extra]


def records(frame: pd.DataFrame, layer: str, ids=None) -> dict[str, dict]:
    """id → record (plain values, ``geometry`` a shapely geometry on layers with one), in frame order."""
    id_field = LAYERS[layer].id_field
    if ids is not None:
        frame = frame[frame[id_field].isin(list(ids))]
    cols = layer_columns(layer, frame)
    out: dict[str, dict] = {}
    geo = LAYERS[layer].geometry is not None and "geometry" in frame.columns
    values = {c: plain_column(frame[c], k) if c in frame.columns else [None] * len(frame) for c, k in cols}
    geoms = list(frame.geometry.values) if geo else None
    for i, rid in enumerate(frame[id_field].tolist()):
        rec = {c: values[c][i] for c, _ in cols}
        if geo:
            rec["geometry"] = geoms[i]
        out[str(rid)] = rec
    return out


def _differs(a: pd.Series, b: pd.Series, kind: str) -> np.ndarray:
    """Row by row: do the cells differ as stored? (vectorised; the few candidates re-checked as plain values)"""
    av, bv = a.to_numpy(dtype=object, copy=True), b.to_numpy(dtype=object, copy=True)
    na, nb = pd.isna(a).to_numpy(), pd.isna(b).to_numpy()
    av[na], bv[nb] = None, None          # pd.NA (an empty Int64 cell) compares to NA, not to a bool
    neq = np.asarray(av != bv, dtype=bool)
    neq = (neq & ~(na & nb)) | (na ^ nb)
    for i in np.flatnonzero(neq):
        neq[i] = plain(av[i], kind) != plain(bv[i], kind)
    return neq


def diff_layer(layer: str, old: pd.DataFrame, new: pd.DataFrame) -> list[RowChange]:
    id_field = LAYERS[layer].id_field
    old = old.set_index(old[id_field].astype(str), drop=False)
    new = new.set_index(new[id_field].astype(str), drop=False)
    old_ids, new_ids = list(old.index), list(new.index)
    old_set, new_set = set(old_ids), set(new_ids)
    gone = [i for i in old_ids if i not in new_set]
    added = [i for i in new_ids if i not in old_set]
    both = [i for i in new_ids if i in old_set]
    changes: list[RowChange] = []
    if both:
        if old.index.equals(new.index):
            a, b = old, new
        else:
            a, b = old.iloc[old.index.get_indexer(both)], new.iloc[new.index.get_indexer(both)]
        changed = np.zeros(len(both), dtype=bool)
        cols = {c: k for c, k in layer_columns(layer, a) + layer_columns(layer, b)}
        for c, k in cols.items():
            sa = a[c] if c in a.columns else pd.Series([None] * len(a), index=a.index)
            sb = b[c] if c in b.columns else pd.Series([None] * len(b), index=b.index)
            changed |= _differs(sa, sb, k)
        if LAYERS[layer].geometry:
            wa = shapely.to_wkb(np.asarray(a.geometry.values))
            wb = shapely.to_wkb(np.asarray(b.geometry.values))
            changed |= wa != wb
        upd = [i for i, c in zip(both, changed) if c]
        if upd:
            ra = records(old.iloc[old.index.get_indexer(upd)], layer)
            rb = records(new.iloc[new.index.get_indexer(upd)], layer)
            changes += [RowChange(layer, i, "update", ra[i], rb[i]) for i in upd]
    if added:
        rb = records(new.iloc[new.index.get_indexer(added)], layer)
        changes += [RowChange(layer, i, "insert", None, rb[i]) for i in added]
    if gone:
        ra = records(old.iloc[old.index.get_indexer(gone)], layer)
        changes += [RowChange(layer, i, "delete", ra[i], None) for i in gone]
    return changes


def diff(old_ws, new_ws, layers: Iterable[str] | None = None) -> list[RowChange]:
    """The row-level changes that turn ``old_ws`` into ``new_ws`` (both Workspaces): per layer and id, inserts,
    updates (any stored field or the geometry differs) and deletes. Derived columns are ignored. ``layers``: only
    those (an editor that changed only projects skips comparing 100k parcels)."""
    out: list[RowChange] = []
    for layer in (LAYERS if layers is None else list(layers)):
        out += diff_layer(layer, getattr(old_ws, layer), getattr(new_ws, layer))
    return out
