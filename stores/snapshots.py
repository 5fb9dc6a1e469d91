"""Weekly history: a snapshot of the match's headline figures (the county ``ZoneRow``) and the land status
(parcel id → status) and projects (id → name, stage, placed) at a briefing or on demand, kept in the store's
``snapshots`` table (one row per snapshot, written in one transaction; both stores); and "本周 vs 上周": what
changed between two snapshots (``SnapshotDiff``). The model and the diff are pure; see docs/store.md.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from geo.errors import InputError
from geo.workspace import Workspace
from stores.base import StoreIOError, utc_now

TABLE = "snapshots"
# the county row's figures a snapshot keeps (matching.summary.ZoneRow)
FIGURES = ("pending_count", "pending_mu", "placed_count", "placed_mu", "unplaced_count", "unplaced_mu",
           "unplaced_gap_mu", "available_left_mu", "pipeline_mu", "vacant_factory_m2")


@dataclass(frozen=True)
class Snapshot:
    at: str                            # when taken (UTC ISO 8601)
    by: str
    data_date: str                     # the data's date (the briefing's 数据日期, YYYY-MM-DD)
    county: dict                       # FIGURES → value
    parcels: dict                      # parcel id → status
    projects: dict                     # project id → {"name", "stage", "placed"}
    scenario: str = "现状"
    id: int | None = None              # given by the store

    def to_dict(self) -> dict:
        return asdict(self)


def take(ws: Workspace, result, by: str, data_date, at: str | None = None) -> Snapshot:
    """The snapshot of ``ws`` and its match ``result`` (a matching.MatchResult)."""
    placed = {p.project_id for p in result.placed}
    county = {k: float(getattr(result.county, k)) for k in FIGURES}
    parcels = {str(i): str(s) for i, s in zip(ws.parcels["parcel_id"], ws.parcels["status"])}
    pr = ws.projects
    projects = {str(i): {"name": str(n), "stage": str(s), "placed": str(i) in placed}
                for i, n, s in zip(pr.index if pr.index.name == "project_id" else pr["project_id"], pr["name"],
                                   pr["stage"])}
    return Snapshot(at or utc_now(), by, str(data_date)[:10], county, parcels, projects,
                    getattr(result, "scenario", "现状"))


@dataclass(frozen=True)
class SnapshotDiff:
    """What changed from snapshot ``before`` to ``after`` (ids in their order of appearance)."""
    before_id: int | None
    after_id: int | None
    before_date: str
    after_date: str
    parcels_changed: list = field(default_factory=list)     # (parcel id, old status or None, new status or None)
    projects_added: list = field(default_factory=list)      # (project id, name)
    projects_advanced: list = field(default_factory=list)   # (project id, name, old stage, new stage)
    projects_placed: list = field(default_factory=list)     # (project id, name): newly given a site
    figures: dict = field(default_factory=dict)             # FIGURES → (before, after, after − before)

    @property
    def gap_change_mu(self) -> float:
        return self.figures["unplaced_gap_mu"][2]

    @property
    def empty(self) -> bool:
        return not (self.parcels_changed or self.projects_added or self.projects_advanced or self.projects_placed
                    or any(abs(d) > 1e-9 for _, _, d in self.figures.values()))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["gap_change_mu"] = self.gap_change_mu
        return d


def compare(before: Snapshot, after: Snapshot, stage_order=("negotiating", "signed", "started")) -> SnapshotDiff:
    """本周 vs 上周. "Advanced": the stage moved later in ``stage_order`` (a step back is listed too, as a change
    of stage: it is news)."""
    parcels = [(pid, before.parcels.get(pid), s) for pid, s in after.parcels.items() if before.parcels.get(pid) != s]
    parcels += [(pid, s, None) for pid, s in before.parcels.items() if pid not in after.parcels]
    added = [(pid, p["name"]) for pid, p in after.projects.items() if pid not in before.projects]
    advanced, placed = [], []
    for pid, p in after.projects.items():
        old = before.projects.get(pid)
        if old is not None and old["stage"] != p["stage"]:
            advanced.append((pid, p["name"], old["stage"], p["stage"]))
        if p["placed"] and not (old or {}).get("placed"):
            placed.append((pid, p["name"]))
    figures = {k: (before.county.get(k, 0.0), after.county.get(k, 0.0),
                   round(after.county.get(k, 0.0) - before.county.get(k, 0.0), 6)) for k in FIGURES}
    return SnapshotDiff(before.id, after.id, before.data_date, after.data_date, parcels, added, advanced, placed,
                        figures)


# ------------------------------------------------------------------------------------------------ storage

def _kind(store) -> str:
    from stores.gpkg import GpkgStore
    return "gpkg" if isinstance(store, GpkgStore) else "postgis"


def _payload(s: Snapshot) -> str:
    d = s.to_dict()
    d.pop("id")
    return json.dumps(d, ensure_ascii=False, sort_keys=True)


def _from_row(rid, payload) -> Snapshot:
    d = json.loads(payload)
    return Snapshot(id=int(rid), **d)


def save(store, snap: Snapshot) -> Snapshot:
    """Write ``snap`` in one transaction (the table created on first use); returns it with its id."""
    try:
        if _kind(store) == "gpkg":
            c = store.conn
            c.execute("BEGIN IMMEDIATE")
            try:
                c.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
                          'at TEXT NOT NULL, "by" TEXT, data_date TEXT, payload TEXT NOT NULL)')
                c.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, "
                          "last_change) VALUES (?, 'attributes', ?, ?, ?)",
                          (TABLE, TABLE, "LandGap 周报快照（缺口、地块状态、项目）", utc_now()))
                rid = c.execute(f'INSERT INTO {TABLE} (at, "by", data_date, payload) VALUES (?, ?, ?, ?)',
                                (snap.at, snap.by, snap.data_date, _payload(snap))).lastrowid
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
        else:
            with store.conn.transaction():
                store.conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (fid BIGSERIAL PRIMARY KEY, "
                                   'at TEXT NOT NULL, "by" TEXT, data_date TEXT, payload TEXT NOT NULL)')
                rid = store.conn.execute(f'INSERT INTO {TABLE} (at, "by", data_date, payload) '
                                         "VALUES (%s, %s, %s, %s) RETURNING fid",
                                         (snap.at, snap.by, snap.data_date, _payload(snap))).fetchone()[0]
    except StoreIOError:
        raise
    except Exception as exc:                    # sqlite3.Error / psycopg.Error: nothing written
        raise StoreIOError(f"保存快照失败（未写入）：{exc}") from exc
    from dataclasses import replace
    return replace(snap, id=int(rid))


def all_snapshots(store) -> list[Snapshot]:
    """Every snapshot, oldest first ([] when none was taken)."""
    try:
        if _kind(store) == "gpkg":
            c = store.conn
            if c.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TABLE,)).fetchone() is None:
                return []
            rows = c.execute(f"SELECT fid, payload FROM {TABLE} ORDER BY fid").fetchall()
        else:
            with store.conn.transaction():
                if not store.conn.execute("SELECT to_regclass(%s)", (TABLE,)).fetchone()[0]:
                    return []
                rows = store.conn.execute(f"SELECT fid, payload FROM {TABLE} ORDER BY fid").fetchall()
    except Exception as exc:
        raise StoreIOError(f"读取快照失败：{exc}") from exc
    return [_from_row(r, p) for r, p in rows]


def pick(snaps: list[Snapshot], snapshot_id: int | None) -> Snapshot:
    """The snapshot ``snapshot_id`` (None: the latest)."""
    if not snaps:
        raise InputError("还没有快照：先运行 `cli.py snapshot` 或生成一次简报")
    if snapshot_id is None:
        return snaps[-1]
    for s in snaps:
        if s.id == snapshot_id:
            return s
    raise InputError(f"没有编号为 {snapshot_id} 的快照（已有：{'、'.join(str(s.id) for s in snaps)}）")


def copy_all(src, dst) -> int:
    """Migration: every snapshot of ``src`` into the PostGIS store ``dst``, ids kept, in one transaction."""
    saved = all_snapshots(src)
    if not saved:
        return 0
    try:
        with dst.conn.transaction():
            dst.conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (fid BIGSERIAL PRIMARY KEY, "
                             'at TEXT NOT NULL, "by" TEXT, data_date TEXT, payload TEXT NOT NULL)')
            dst.conn.cursor().executemany(
                f'INSERT INTO {TABLE} (fid, at, "by", data_date, payload) VALUES (%s, %s, %s, %s, %s)',
                [(s.id, s.at, s.by, s.data_date, _payload(s)) for s in saved])
            dst.conn.execute(f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'fid'), %s)", (saved[-1].id,))
    except Exception as exc:
        raise StoreIOError(f"迁移快照失败：{exc}") from exc
    return len(saved)
