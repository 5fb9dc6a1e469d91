"""The stores (geo/store): the same suite against the GeoPackage store and the PostGIS store.

The PostGIS variants run against a throw-away cluster (tests/pg_cluster.py) and are skipped, with the reason,
when PostgreSQL/PostGIS are not installed (``python3 run.py test`` installs them).
"""
from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely

import cli
from geo.errors import WorkspaceError
from geo.settings import load_settings
from stores import ConflictError, StoreIOError, diff, open_store
from stores.base import RowChange
from stores.gpkg_blob import blob_wkb, gpkg_blob
from stores.gpkg_file import load_workspace
from tests.pg_cluster import PgCluster, missing_reason

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

ROOT = Path(__file__).resolve().parents[2]
LAYER_NAMES = ("zones", "parcels", "factories", "projects", "firms")


# ------------------------------------------------------------------------------------------------ fixtures

@pytest.fixture(scope="session")
def pg():
    """A running throw-away cluster with a template database holding the sample county; stopped at the end."""
    reason = missing_reason()
    if reason:
        pytest.skip(f"PostGIS 测试跳过：{reason}")
    cluster = PgCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg, sample_path, tmp_path_factory):
    from stores.migrate import migrate
    url = pg.create_database("landgap_tpl")
    copy = tmp_path_factory.mktemp("tpl") / "county.gpkg"
    shutil.copy(sample_path, copy)
    with open_store(copy, SETTINGS) as src, open_store(url, SETTINGS) as dst:
        migrate(src, dst)
    return "landgap_tpl"


def fresh_pg_db(pg, template: str) -> str:
    import psycopg
    name = "t_" + uuid.uuid4().hex[:10]
    with psycopg.connect(pg.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return pg.url(name)


def store_copy(request, source, tmp_path, stem: str, make_database):
    """A fresh copy of ``source`` in the store under test (``request.param``): a .gpkg path, or the postgresql://
    URL ``make_database(pg)`` returns."""
    if request.param == "gpkg":
        path = tmp_path / f"{stem}.gpkg"
        shutil.copy(source, path)
        return path
    return make_database(request.getfixturevalue("pg"))


@pytest.fixture(params=["gpkg", "postgis"])
def target(request, sample_path, tmp_path):
    """A fresh copy of the sample county in the store under test: a .gpkg path or a postgresql:// URL."""
    return store_copy(request, sample_path, tmp_path, "county",
                      lambda pg: fresh_pg_db(pg, request.getfixturevalue("pg_template")))


@pytest.fixture(scope="session")
def small_path(tmp_path_factory):
    """A small county (40 parcels) for the fault tests, where each trial loads and validates the workspace."""
    from seeds.generator import write_county
    path = tmp_path_factory.mktemp("small") / "small.gpkg"
    write_county(path, parcels=40, projects=10, seed=1)
    return path


@pytest.fixture(params=["gpkg", "postgis"])
def small_target(request, small_path, tmp_path):
    def migrated(pg):
        from stores.migrate import migrate
        url = pg.create_database("t_small_" + uuid.uuid4().hex[:8])
        with open_store(small_path, SETTINGS) as src, open_store(url, SETTINGS) as dst:
            migrate(src, dst)
        return url
    return store_copy(request, small_path, tmp_path, "small", migrated)


def edit_project(ws, pid, **values):
    p = ws.projects.copy()
    for k, v in values.items():
        p.loc[pid, k] = v
    return ws.with_projects(p)


def frames_equal(a, b) -> None:
    for name in LAYER_NAMES:
        pd.testing.assert_frame_equal(pd.DataFrame(getattr(a, name)), pd.DataFrame(getattr(b, name)),
                                      check_dtype=False)


# --------------------------------------------------------------------------------------------- reads

def test_store_load_is_the_file_load(target, sample_path):
    with open_store(target, SETTINGS) as store:
        ws = store.load()
    ref = load_workspace(sample_path, SETTINGS)
    frames_equal(ws, ref)
    # the constraint layers travel with the workspace in both stores (migrated to PostGIS), every field kept, and
    # so does their validation warning (PROTECTED_AVAILABLE)
    assert set(ws.constraints) == set(ref.constraints) == {"farmland", "eco_redline", "dev_boundary", "flood"}
    for name, frame in ref.constraints.items():
        got = ws.constraints[name]
        assert len(got) == len(frame) and list(got.columns) == list(frame.columns)
        assert got.geometry.area.sum() == pytest.approx(frame.geometry.area.sum(), rel=1e-9)
    assert ws.crs == ref.crs and ws.report.summary() == ref.report.summary()
    assert set(ws.store_versions["projects"].values()) == {1}


def test_gpkg_blob_round_trip_and_header():
    poly = shapely.box(520_000, 3_575_000, 520_100, 3_575_050)
    blob = gpkg_blob(poly, 4544)
    assert blob[:2] == b"GP" and blob[2] == 0 and blob[3] == 0b011       # little-endian, xy envelope
    assert int.from_bytes(blob[4:8], "little") == 4544
    assert shapely.from_wkb(blob_wkb(blob)).equals_exact(poly, 0)
    empty = gpkg_blob(shapely.Polygon(), 4544)
    assert empty[3] & 0b10000 and shapely.from_wkb(blob_wkb(empty)).is_empty


# --------------------------------------------------------------------------------------------- edits

def test_edit_writes_one_row_bumps_its_version_and_audits(target):
    with open_store(target, SETTINGS) as store:
        ws = store.load()
        new = edit_project(ws, "P-TX-01", stage="started", investment_yi=13.5)
        changes = diff(ws, new)
        assert [(c.layer, c.id, c.action) for c in changes] == [("projects", "P-TX-01", "update")]
        rev = store.revision()
        assert store.save(ws, new, "张三") == {("projects", "P-TX-01"): 2}
        assert store.revision() != rev
        back = store.load()
        assert back.projects.at["P-TX-01", "stage"] == "started"
        assert back.store_versions["projects"]["P-TX-01"] == 2
        others = {k: v for k, v in back.store_versions["projects"].items() if k != "P-TX-01"}
        assert set(others.values()) == {1}
        (entry,) = store.history()
        assert (entry.by, entry.layer, entry.id, entry.action) == ("张三", "projects", "P-TX-01", "update")
        assert entry.before["stage"] == "signed" and entry.after["stage"] == "started"
        assert entry.after["investment_yi"] == 13.5 and entry.at.endswith("Z")
        frames_equal(back, new)


def test_two_editors_one_row_one_conflict_no_loss(target):
    with open_store(target, SETTINGS) as a, open_store(target, SETTINGS) as b:
        wa, wb = a.load(), b.load()
        a.save(wa, edit_project(wa, "P-TX-01", stage="started"), "甲")
        with pytest.raises(ConflictError) as err:
            b.save(wb, edit_project(wb, "P-TX-01", investment_yi=99.0), "乙")
        (c,) = err.value.conflicts
        assert (c.layer, c.id, c.updated_by, c.expected, c.actual) == ("projects", "P-TX-01", "甲", 1, 2)
        assert "项目 P-TX-01 已被 甲" in str(err.value) and "未写入任何数据" in str(err.value)
        assert isinstance(err.value, WorkspaceError)
        back = b.load()                                   # the fresh reload: 甲's edit is there, 乙's is not
        assert back.projects.at["P-TX-01", "stage"] == "started"
        assert back.projects.at["P-TX-01", "investment_yi"] == 12.0
        b.save(back, edit_project(back, "P-TX-01", investment_yi=99.0), "乙")   # after reloading it lands
        final = a.load().projects.loc["P-TX-01"]
        assert (final["stage"], final["investment_yi"]) == ("started", 99.0)
        assert [e.by for e in a.history(id="P-TX-01")] == ["甲", "乙"]


def test_a_conflict_writes_nothing_even_for_the_other_rows(target):
    with open_store(target, SETTINGS) as a, open_store(target, SETTINGS) as b:
        wa, wb = a.load(), b.load()
        a.save(wa, edit_project(wa, "P-FZ-01", stage="started"), "甲")
        edited = edit_project(edit_project(wb, "P-FZ-02", stage="started"), "P-FZ-01", land_mu=1.0)
        with pytest.raises(ConflictError):
            b.save(wb, edited, "乙")
        back = b.load()
        assert back.projects.at["P-FZ-02", "stage"] == wb.projects.at["P-FZ-02", "stage"]
        assert len(b.history()) == 1


def test_edits_of_different_rows_both_land(target):
    with open_store(target, SETTINGS) as a, open_store(target, SETTINGS) as b:
        wa, wb = a.load(), b.load()
        a.save(wa, edit_project(wa, "P-FZ-01", stage="started"), "甲")
        b.save(wb, edit_project(wb, "P-FZ-02", stage="started"), "乙")
        back = a.load()
        assert back.projects.loc[["P-FZ-01", "P-FZ-02"], "stage"].tolist() == ["started", "started"]


def test_insert_delete_and_geometry_change(target):
    with open_store(target, SETTINGS) as store:
        ws = store.load()
        parcels = ws.parcels.drop(columns=["area_mu", "net_mu"]).copy()
        first, gone = parcels.index[0], parcels.index[1]
        parcels.loc[first, "geometry"] = parcels.loc[first, "geometry"].buffer(-5)
        parcels = parcels.drop(index=gone)
        projects = pd.concat([ws.projects, pd.DataFrame([{"project_id": "NEW-1", "name": "新项目",
                                                          "industry": "健康食品",
                                                          "land_mu": 50.0, "stage": "negotiating"}])])
        new = ws.with_layers(parcels=parcels.reset_index(drop=True), projects=projects.reset_index(drop=True))
        kinds = sorted((c.layer, c.id, c.action) for c in diff(ws, new))
        assert kinds == sorted([("parcels", first, "update"), ("parcels", gone, "delete"),
                                ("projects", "NEW-1", "insert")])
        versions = store.save(ws, new, "李四")
        assert versions == {("parcels", first): 2, ("projects", "NEW-1"): 1}
        back = store.load()
        assert gone not in back.parcels.index and "NEW-1" in back.projects.index
        assert back.parcels.at[first, "geometry"].equals_exact(new.parcels.at[first, "geometry"], 0)
        assert back.parcels.at[first, "area_mu"] == pytest.approx(new.parcels.at[first, "area_mu"])
        assert {e.action for e in store.history()} == {"update", "delete", "insert"}
        deleted = store.history(id=gone)[0]
        assert deleted.after is None and deleted.before["geometry"].startswith("POLYGON")
        # deleting a row someone already deleted is a conflict naming who deleted it
        with pytest.raises(ConflictError, match="已被删除"):
            store.apply([RowChange("parcels", gone, "delete", {"parcel_id": gone}, None)],
                        ws.store_versions, "王五")


def _drop_cost_columns(target) -> None:
    """Make ``target`` a workspace stored before the cost fields were declared: no such columns in its tables."""
    execute_sql(target, ["ALTER TABLE parcels DROP COLUMN clearing_cost_wan",
                         "ALTER TABLE factories DROP COLUMN completion_cost_wan"])


def execute_sql(target, sql: list[str]) -> None:
    """Run plain SQL statements on a GeoPackage path or a postgresql:// workspace (to make an older store)."""
    if isinstance(target, Path):
        con = sqlite3.connect(target)
        try:
            for statement in sql:
                con.execute(statement)
            con.commit()
        finally:
            con.close()
    else:
        import psycopg
        with psycopg.connect(target, autocommit=True) as conn:
            for statement in sql:
                conn.execute(statement)


@pytest.mark.parametrize("older", [False, True], ids=["declared", "older-tables"])
def test_known_costs_are_stored_and_read_back(target, older):
    """clearing_cost_wan (a parcel's) and completion_cost_wan (a factory's) survive a save and a reload in both
    stores, typed as numbers, audited; a store whose tables predate them gains the columns on the first write."""
    from stores.base import column_kind
    if older:
        _drop_cost_columns(target)
    with open_store(target, SETTINGS) as store:
        ws = store.load()
        assert ws.parcels["clearing_cost_wan"].isna().all() and ws.factories["completion_cost_wan"].isna().all()
        pid = ws.parcels.index[ws.parcels["status"].isin(["leveling", "demolition"])][0]
        fid = ws.factories.index[ws.factories["status"].isin(["building", "planned"])][0]
        parcels, factories = ws.parcels.drop(columns=["area_mu", "net_mu"]).copy(), ws.factories.copy()
        parcels.loc[pid, "clearing_cost_wan"] = 88.5
        factories.loc[fid, "completion_cost_wan"] = 250.0
        new = ws.with_layers(parcels=parcels.reset_index(drop=True), factories=factories.reset_index(drop=True))
        assert sorted((c.layer, c.id) for c in diff(ws, new)) == sorted([("parcels", pid), ("factories", fid)])
        store.save(ws, new, "王五")
        back = store.load()
        assert back.parcels.at[pid, "clearing_cost_wan"] == 88.5
        assert back.parcels["clearing_cost_wan"].drop(index=pid).isna().all()
        assert back.factories.at[fid, "completion_cost_wan"] == 250.0
        raws = store.raw_layers()
        assert (dict(raws["parcels"].columns)["clearing_cost_wan"] == "real"
                == column_kind("parcels", "clearing_cost_wan"))
        assert dict(raws["factories"].columns)["completion_cost_wan"] == "real"
        assert {(e.layer, e.id): e.after for e in store.history()}[("parcels", pid)]["clearing_cost_wan"] == 88.5
        assert diff(back, store.load()) == []


def test_gpkg_stays_a_geopackage_gdal_reads(sample_path, tmp_path):
    path = tmp_path / "county.gpkg"
    shutil.copy(sample_path, path)
    before = pyogrio.read_dataframe(path, layer="parcels")
    with open_store(path, SETTINGS) as store:
        ws = store.load()
        parcels = ws.parcels.drop(columns=["area_mu", "net_mu"]).copy()
        pid = parcels.index[3]
        parcels.loc[pid, "geometry"] = shapely.affinity.translate(parcels.loc[pid, "geometry"], 20_000, 0)
        parcels.loc[pid, "status"] = "reserved"
        store.save(ws, ws.with_layers(parcels=parcels.reset_index(drop=True)), "tester")
    after = pyogrio.read_dataframe(path, layer="parcels")
    assert len(after) == len(before) and list(after["parcel_id"]) == list(before["parcel_id"])
    row = after[after["parcel_id"] == pid].iloc[0]
    assert row["status"] == "reserved" and row["version"] == 2 and row["updated_by"] == "tester"
    assert row.geometry.equals_exact(parcels.loc[pid, "geometry"], 0)
    info = pyogrio.read_info(path, layer="parcels")
    assert info["features"] == len(before)
    con = sqlite3.connect(path)
    try:
        minx, maxx = con.execute("SELECT min_x, max_x FROM gpkg_contents WHERE table_name = 'parcels'").fetchone()
        assert maxx >= row.geometry.bounds[2] - 1e-6                  # the extent grew with the moved parcel
        rtree = con.execute("SELECT minx, maxx FROM rtree_parcels_geom WHERE id = (SELECT fid FROM parcels WHERE "
                            "parcel_id = ?)", (pid,)).fetchone()
        assert rtree[0] == pytest.approx(row.geometry.bounds[0], abs=1)  # the spatial index follows (float32)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert (con.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'audit'").fetchone()[0]
                == "attributes")
    finally:
        con.close()
    # a spatial filter through GDAL (the R-tree) finds the parcel at its new place
    hit = pyogrio.read_dataframe(path, layer="parcels", bbox=row.geometry.bounds)
    assert pid in set(hit["parcel_id"])


def test_reading_never_modifies_an_old_file(sample_path, tmp_path):
    path = tmp_path / "county.gpkg"
    shutil.copy(sample_path, path)
    data = path.read_bytes()
    with open_store(path, SETTINGS) as store:
        store.load()
        assert store.history() == []
    assert path.read_bytes() == data
    with open_store(path, SETTINGS) as store:         # the first write migrates, in its own transaction
        ws = store.load()
        store.save(ws, edit_project(ws, "P-FZ-01", stage="started"), "x")
    cols = [r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(zones)")]
    assert cols[-3:] == ["version", "updated_at", "updated_by"]


def test_imports_renumber_on_id_collisions_but_never_overwrite_an_edit(target, tmp_path):
    """Two imports read the same state: new projects both numbered TZ-001 → the second re-reads and lands as
    TZ-002; an import updating a row someone changed meanwhile is a conflict, not a silent overwrite."""
    from formats.ledger import import_ledger
    from stores import Store
    from stores.common import save_with_retry
    with open_store(target, SETTINGS) as a, open_store(target, SETTINGS) as b:
        assert isinstance(a, Store)
        wa, wb = a.load(), b.load()
        ledger_a = ledger_csv(tmp_path / "a.csv", ["同时导入甲"]).read_bytes()
        ledger_b = ledger_csv(tmp_path / "b.csv", ["同时导入乙"]).read_bytes()
        save_with_retry(a, wa, lambda ws: import_ledger(ws, ledger_a, "a.csv",
                                                        cny_per_usd=SETTINGS.ledger.cny_per_usd), "甲")
        new, (counts, _), _ = save_with_retry(b, wb, lambda ws: import_ledger(ws, ledger_b, "b.csv",
                                                                              cny_per_usd=SETTINGS.ledger.cny_per_usd),
                                              "乙")
        assert counts["added"] == 1
        projects = a.load().projects
        ids = dict(zip(projects["name"], projects["project_id"]))
        assert {ids["同时导入甲"], ids["同时导入乙"]} == {"TZ-001", "TZ-002"}
        # both change the same project: one lands, the other is refused
        wa, wb = a.load(), b.load()
        upd = b"\xef\xbb\xbf" + ("项目编号,项目名称,产业,阶段,需用地（亩）\n"
                                 "P-TX-01,福建安井速冻食品生产基地项目,健康食品,已开工,290\n").encode()
        a.save(wa, edit_project(wa, "P-TX-01", investment_yi=50.0), "甲")
        with pytest.raises(ConflictError, match="P-TX-01"):
            save_with_retry(b, wb, lambda ws: import_ledger(ws, upd, "upd.csv",
                                                            cny_per_usd=SETTINGS.ledger.cny_per_usd), "乙")
        assert a.load().projects.at["P-TX-01", "investment_yi"] == 50.0


def test_a_locked_file_is_an_io_error_and_nothing_is_written(sample_path, tmp_path):
    from stores.gpkg import GpkgStore
    path = tmp_path / "county.gpkg"
    shutil.copy(sample_path, path)
    store = GpkgStore(path, SETTINGS, timeout=0.2)
    ws = store.load()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")                        # e.g. QGIS in the middle of saving an edit
    try:
        with pytest.raises(StoreIOError, match="正被占用") as err:
            store.save(ws, edit_project(ws, "P-FZ-01", stage="started"), "x")
        assert isinstance(err.value, OSError)
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.save(ws, edit_project(ws, "P-FZ-01", stage="started"), "x")    # once free, the same save lands
    assert store.load().projects.at["P-FZ-01", "stage"] == "started"
    store.close()


def test_errors_are_library_errors():
    assert issubclass(StoreIOError, OSError) and issubclass(StoreIOError, WorkspaceError)
    assert issubclass(ConflictError, WorkspaceError)
    with pytest.raises(WorkspaceError, match="不存在"):
        open_store("/nonexistent/county.gpkg", SETTINGS)


# --------------------------------------------------------------------------------------------- CLI

def ledger_csv(path: Path, names: list[str], zone: str = "QDB") -> Path:
    lines = ["项目名称,产业,阶段,需用地（亩）,意向园区"] + [f"{n},纺织鞋服,在谈,30,{zone}" for n in names]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_import_through_the_store_and_history(target, tmp_path, capsys):
    ledger = ledger_csv(tmp_path / "台账.csv", ["审计测试项目"])
    assert cli.main(["import-projects", "--workspace", str(target), "--ledger", str(ledger), "--json",
                     "--user", "经合局-王"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["imported"] and payload["added"] == 1 and payload["workspace"] == str(target)
    assert cli.main(["history", "--workspace", str(target), "--json"]) == 0
    changes = json.loads(capsys.readouterr().out)["changes"]
    assert len(changes) == 1 and set(changes[0]) == {"at", "by", "layer", "id", "action", "before", "after"}
    assert (changes[0]["by"], changes[0]["layer"], changes[0]["action"]) == ("经合局-王", "projects", "insert")
    assert changes[0]["after"]["name"] == "审计测试项目"
    pid = changes[0]["id"]
    assert cli.main(["history", "--workspace", str(target), "--id", pid]) == 0
    assert "新增" in capsys.readouterr().out
    assert cli.main(["history", "--workspace", str(target), "--since", "2999-01-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"changes": []}
    # the same ledger again: the project is updated by name, nothing changes, nothing is written
    assert cli.main(["import-projects", "--workspace", str(target), "--ledger", str(ledger), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["updated"] == 1
    assert len(open_store(target, SETTINGS).history()) == 1


def test_cli_import_racing_an_edit_of_the_same_row_is_refused(target, tmp_path, capsys, monkeypatch):
    """An editor saves P-TX-01 while an import that also changes it is between its read and its write: the import
    writes nothing and says who changed the row; the editor's value stays."""
    import formats.ledger
    real = formats.ledger.import_ledger

    def racing(ws, *a, **kw):
        out = real(ws, *a, **kw)
        with open_store(target, SETTINGS) as other:
            mine = other.load()
            other.save(mine, edit_project(mine, "P-TX-01", investment_yi=77.0), "数据管理-赵")
        return out
    monkeypatch.setattr(formats.ledger, "import_ledger", racing)
    ledger = tmp_path / "台账.csv"
    ledger.write_text("项目编号,项目名称,产业,阶段,需用地（亩）\nP-TX-01,福建安井速冻食品生产基地项目,健康食品,已开工,290\n"
                      "NEW-9,新项目,健康食品,在谈,20\n", encoding="utf-8")
    assert cli.main(["import-projects", "--workspace", str(target), "--ledger", str(ledger)]) == 1
    err = capsys.readouterr().err
    assert "保存冲突" in err and "项目 P-TX-01 已被 数据管理-赵" in err
    with open_store(target, SETTINGS) as store:
        ws = store.load()
        assert ws.projects.at["P-TX-01", "investment_yi"] == 77.0 and ws.projects.at["P-TX-01", "stage"] == "signed"
        assert "NEW-9" not in ws.projects.index                       # nothing of the import was written
        assert [e.by for e in store.history()] == ["数据管理-赵"]


def test_cli_database_url_from_environment(pg, pg_template, tmp_path, capsys, monkeypatch):
    url = fresh_pg_db(pg, pg_template)
    monkeypatch.setenv("LANDGAP_DATABASE_URL", url)
    ledger = ledger_csv(tmp_path / "台账.csv", ["环境变量项目"])
    assert cli.main(["import-projects", "--ledger", str(ledger), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["workspace"] == url
    assert "环境变量项目" in set(open_store(url, SETTINGS).load().projects["name"])


def test_cli_migrate_loses_nothing(pg, sample_path, tmp_path, capsys):
    from stores.migrate import compare
    src = tmp_path / "county.gpkg"
    shutil.copy(sample_path, src)
    with open_store(src, SETTINGS) as store:                    # some history to carry over
        ws = store.load()
        store.save(ws, edit_project(ws, "P-FZ-01", stage="started"), "甲")
    url = pg.create_database("t_migrate")
    assert cli.main(["migrate", "--from", str(src), "--to", url, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["identical"] and out["audit_rows"] == 1
    assert {x["layer"] for x in out["layers"]} == set(LAYER_NAMES) and all(x["identical"] for x in out["layers"])
    parcels = next(x for x in out["layers"] if x["layer"] == "parcels")
    assert "occupant" in parcels["fields"]                      # an extra (non-schema) field came along
    with open_store(src, SETTINGS) as a, open_store(url, SETTINGS) as b:
        assert compare(a, b)["identical"]
        frames_equal(a.load(), b.load())
        assert b.load().store_versions == a.load().store_versions
    assert cli.main(["migrate", "--from", str(src), "--to", url]) == 1   # never over an existing workspace
    assert "已有工作空间" in capsys.readouterr().err
    assert cli.main(["migrate", "--from", str(src), "--to", pg.create_database("t_migrate2")]) == 0
    text = capsys.readouterr().out
    assert "全部一致，未丢失任何数据" in text and "parcels：" in text and "修改记录（audit）：1 条" in text


def test_both_stores_give_the_same_results(pg, pg_template, sample_path, tmp_path):
    """The same reads, edits and imports on both stores: the same workspace, versions and audit (but times)."""
    from formats.ledger import import_ledger, import_parcel_ledger
    gpkg = tmp_path / "county.gpkg"
    shutil.copy(sample_path, gpkg)
    url = fresh_pg_db(pg, pg_template)
    ledger = ledger_csv(tmp_path / "台账.csv", ["对照项目甲", "对照项目乙"]).read_bytes()
    results = []
    for target in (gpkg, url):
        with open_store(target, SETTINGS) as store:
            ws = store.load()
            store.save(ws, edit_project(ws, "P-TX-01", stage="started", needed_by=pd.Timestamp("2027-03-01")), "u")
            ws = store.load()
            store.save(ws, import_ledger(ws, ledger, "台账.csv", cny_per_usd=SETTINGS.ledger.cny_per_usd)[0], "u")
            ws = store.load()
            pid = ws.parcels.index[5]
            land = f"宗地号,供地状态\n{pid},已出让\n".encode()
            store.save(ws, import_parcel_ledger(ws, land, "土地.csv")[0], "u")
            final = store.load()
            results.append((final, [dict(e.to_dict(), at=None) for e in store.history()]))
    (a, ha), (b, hb) = results
    frames_equal(a, b)
    assert a.store_versions == b.store_versions
    assert ha == hb and len(ha) == 4


# ------------------------------------------------------------------------------------- concurrency

def test_concurrent_cli_imports_of_different_ledgers_all_land(small_target, tmp_path):
    target = small_target
    n = 4
    ledgers = [ledger_csv(tmp_path / f"台账{i}.csv", [f"并发测试项目{i}"]) for i in range(n)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("LANDGAP_DATABASE_URL", None)
    procs = [subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "import-projects", "--workspace", str(target),
                               "--ledger", str(p), "--json", "--user", f"user{i}"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i, p in enumerate(ledgers)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * n, [o[1] for o in outs]
    with open_store(target, SETTINGS) as store:
        ws = store.load()
        names = set(ws.projects["name"])
        assert {f"并发测试项目{i}" for i in range(n)} <= names
        assert ws.projects["project_id"].is_unique
        assert sorted(e.by for e in store.history()) == [f"user{i}" for i in range(n)]


def _import_child(target, ws, ledger):
    """An import as the CLI does it (merge, validate, write through the store), on the state the parent read."""
    from formats.ledger import import_ledger
    from stores.common import save_with_retry
    with open_store(target, SETTINGS) as store:
        save_with_retry(store, ws, lambda w: import_ledger(w, ledger, "故障.csv",
                                                           cny_per_usd=SETTINGS.ledger.cny_per_usd), "kill")
    os._exit(0)


def _save_child(target, changes, versions):
    """A save of every parcel (one transaction of a few hundred row updates)."""
    with open_store(target, SETTINGS) as store:
        store.apply(changes, versions, "kill")
    os._exit(0)


def test_kill_9_during_import_or_save_leaves_the_previous_state(small_target):
    """20 writers killed (SIGKILL) at random moments — 10 ledger imports (anywhere in read, merge, validate,
    write) and 10 saves of every parcel (inside the write transaction): each time the store holds the whole
    change or nothing, loads without errors, and (GeoPackage) passes SQLite's integrity check and reads in GDAL."""
    from stores.base import records
    target = small_target
    ctx = multiprocessing.get_context("fork")
    rng = random.Random(14)
    n_rows = 20

    def ledger(k):
        return ("项目名称,产业,阶段,需用地（亩）,意向园区\n" + "".join(
            f"故障测试{k}-{i},纺织鞋服,在谈,30,QDB\n" for i in range(n_rows))).encode()

    def parcel_changes(ws, k):
        recs = records(ws.parcels, "parcels")
        return [RowChange("parcels", pid, "update", r, dict(r, registered_mu=float(k))) for pid, r in recs.items()]

    def run(func, args, delay=None):
        proc = ctx.Process(target=func, args=(target, *args))
        start = time.perf_counter()
        proc.start()
        if delay is not None:
            time.sleep(delay)
            os.kill(proc.pid, 9)
        proc.join(60)
        assert delay is not None or proc.exitcode == 0
        return time.perf_counter() - start

    with open_store(target, SETTINGS) as store:
        ws = store.load()
    t_import = run(_import_child, (ws, ledger("calibrate")))
    with open_store(target, SETTINGS) as store:
        ws = store.load()
    t_save = run(_save_child, (parcel_changes(ws, -1), ws.store_versions))
    with open_store(target, SETTINGS) as store:
        ws = store.load()
    landed = 0
    with open_store(target, SETTINGS) as store:
        audit_before = len(store.history())
    for k in range(20):
        names, mu = set(ws.projects["name"]), set(ws.parcels["registered_mu"].fillna(-2))
        if k % 2 == 0:
            run(_import_child, (ws, ledger(k)), t_import * rng.uniform(0.2, 1.2))
        else:
            run(_save_child, (parcel_changes(ws, k), ws.store_versions), t_save * rng.uniform(0.1, 1.3))
        with open_store(target, SETTINGS) as store:
            ws = store.load()                                   # loads, validates
            if k % 2 == 0:
                new = {f"故障测试{k}-{i}" for i in range(n_rows)}
                now = set(ws.projects["name"])
                assert now in (names, names | new), f"trial {k}: partial import"
                done = now == names | new
            else:
                now = set(ws.parcels["registered_mu"].fillna(-2))
                assert now in (mu, {float(k)}), f"trial {k}: partial save {now}"
                done = now == {float(k)}
            landed += done
            audit = store.history()
            assert len(audit) - audit_before == ((n_rows if k % 2 == 0 else len(ws.parcels)) if done else 0)
            audit_before = len(audit)
        if isinstance(target, Path):
            con = sqlite3.connect(target)
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            con.close()
            assert len(pyogrio.read_dataframe(target, layer="projects")) == len(ws.projects)
    print(f"kill -9: {landed}/20 writes had committed before the kill (import {t_import:.2f}s, save {t_save:.2f}s)")


# ------------------------------------------------------------------------------------------------ speed

def test_edit_of_one_project_in_postgis_is_fast(pg, pg_template):
    url = fresh_pg_db(pg, pg_template)
    with open_store(url, SETTINGS) as store:
        ws = store.load()
        times = []
        for i in range(5):
            new = edit_project(ws, "P-FZ-01", investment_yi=float(i + 20))
            changes = diff(ws, new)
            t = time.perf_counter()
            store.apply(changes, ws.store_versions, "bench")
            times.append(time.perf_counter() - t)
            ws = store.load()
    assert sorted(times)[2] < 0.1, times


def test_flood_zone_without_return_period_is_warned_by_both_stores(target):
    """The load report of either store warns about a flood zone without a return period, as a file load does."""
    from stores.gpkg_file import write_constraint
    with open_store(target, SETTINGS) as store:
        flood = store.load().constraints["flood"].copy()
        flood["return_period"] = flood["return_period"].astype(object)
        flood.iloc[1, flood.columns.get_loc("return_period")] = None
        if isinstance(target, Path):
            write_constraint(target, "flood", flood)
        else:
            store.write_constraints({"flood": flood})
        _, report, _ = store.read()
    [warning] = [i for i in report.issues if i.code == "FLOOD_NO_RETURN_PERIOD"]
    assert warning.level == "warning" and warning.row == 2 and warning.message.startswith("fid 2：")
