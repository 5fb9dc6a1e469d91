"""Stock land in both stores (issue 19): the parcels' contract/progress fields and the firms table (亩均效益台账)
survive a save and a reload, typed and audited; a store made before they existed (no firms table, no columns)
loads, and its first write adds them; `import-firms` goes through the store like `import-projects`; `migrate`
keeps the firms."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import cli
from geo.settings import load_settings
from stores import open_store
from stores.base import column_kind
from tests.stores.test_store import execute_sql, pg, pg_template, small_path, small_target, target  # noqa: F401

SETTINGS = load_settings()
STOCK = ("holder", "supplied_date", "agreed_start", "agreed_completion", "actual_start", "actual_completion",
         "price_wan", "developed_share", "invested_share", "halted_date", "gov_delay", "approved_date")


def _make_older(target) -> None:  # noqa: F811
    """The store as written before issue 19: no stock columns on parcels, no firms table."""
    sql = [f"ALTER TABLE parcels DROP COLUMN {c}" for c in STOCK] + ["DROP TABLE firms"]
    if isinstance(target, Path):
        sql += ["DELETE FROM gpkg_contents WHERE table_name = 'firms'",
                "DELETE FROM gpkg_ogr_contents WHERE table_name = 'firms'"]
    else:
        sql += ["DELETE FROM landgap_layers WHERE layer = 'firms'"]
    execute_sql(target, sql)


@pytest.mark.parametrize("older", [False, True], ids=["declared", "older-tables"])
def test_stock_fields_and_firms_are_stored_and_read_back(target, older):  # noqa: F811
    if older:
        _make_older(target)
    with open_store(target, SETTINGS) as store:
        ws = store.load()
        if older:
            assert ws.firms.empty and ws.parcels["agreed_start"].isna().all()
        else:                 # the sample county's own stock data came through the store
            assert ws.parcels.at["RJB-005-9", "agreed_start"] == pd.Timestamp("2022-09-15")
            assert int(ws.parcels.at["RJB-007-9", "gov_delay"]) == 1 and len(ws.firms) == 20
        p = ws.parcels.copy()
        p.loc["RJB-005-9", ["holder", "price_wan", "developed_share", "gov_delay"]] = ["丙公司", 1500.0, 0.25, 1]
        p.loc["RJB-005-9", ["agreed_start", "halted_date"]] = [pd.Timestamp("2023-01-10"), pd.Timestamp("2025-02-01")]
        p.loc["RJB-005-9", "actual_start"] = pd.Timestamp("2023-03-01")
        f = pd.concat([ws.firms, pd.DataFrame([{"firm_id": "QY-NEW", "name": "新企业", "parcel_ids": "RJB-005-9",
                                                "year": 2025, "revenue_wan": 3000.0, "tax_wan": 0.0,
                                                "employees": 40}])], ignore_index=True)
        new = ws.with_layers(parcels=p.reset_index(drop=True), firms=f)
        store.save(ws, new, "王五")
        back = store.load()
        row = back.parcels.loc["RJB-005-9"]
        assert row["holder"] == "丙公司" and row["price_wan"] == 1500.0 and row["developed_share"] == 0.25
        assert int(row["gov_delay"]) == 1 and row["halted_date"] == pd.Timestamp("2025-02-01")
        assert pd.api.types.is_datetime64_any_dtype(back.parcels["agreed_start"])
        assert back.firms.at["QY-NEW", "tax_wan"] == 0.0 and back.firms.at["QY-NEW", "employees"] == 40
        assert len(back.firms) == len(ws.firms) + 1
        raws = store.raw_layers()
        cols = dict(raws["parcels"].columns)
        for name in STOCK:
            assert cols[name] == column_kind("parcels", name)
        assert dict(raws["firms"].columns)["parcel_ids"] == "text"
        audit = {(e.layer, e.id): e for e in store.history()}
        assert audit[("firms", "QY-NEW")].action == "insert" and audit[("firms", "QY-NEW")].by == "王五"
        assert audit[("parcels", "RJB-005-9")].after["halted_date"] == "2025-02-01"


def _firms_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(["企业编号,企业名称,地块编号,年度,营业收入（万元）,税收（万元）,从业人数", *rows]) + "\n",
                    encoding="utf-8")
    return path


def test_cli_import_firms_through_the_store_audited_and_a_bad_ledger_imports_nothing(target, tmp_path,  # noqa: F811
                                                                                     capsys):
    ledger = _firms_csv(tmp_path / "亩均.csv", ["QY-001,鸿星尔克,QDB-001-1,2025,23000,800,650",
                                               "QY-900,台账新企业,QDB-003-2、QDB-003-3,2025,5000,150,120"])
    assert cli.main(["import-firms", "--workspace", str(target), "--ledger", str(ledger), "--json",
                     "--user", "经合局-李"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["imported"] and payload["firms_added"] == 1 and payload["firms_updated"] == 1
    assert payload["firms"] == 21
    with open_store(target, SETTINGS) as store:
        ws = store.load()
        assert ws.firms.at["QY-001", "revenue_wan"] == 23000 and ws.firms.at["QY-900", "parcel_ids"] == \
            "QDB-003-2;QDB-003-3"
        changes = {(e.layer, e.id, e.action, e.by) for e in store.history()}
        assert changes == {("firms", "QY-001", "update", "经合局-李"), ("firms", "QY-900", "insert", "经合局-李")}
        revision = store.revision()
    bad = _firms_csv(tmp_path / "坏.csv", ["QY-901,好企业,QDB-003-2,2025,100,1,5",
                                          "QY-902,坏企业,QDB-999-9,2025,100,1,5"])
    assert cli.main(["import-firms", "--workspace", str(target), "--ledger", str(bad), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["imported"] is False
    [err] = [e for e in out["issues"] if e["level"] == "error"]
    assert err["row"] == 3 and err["field"] == "parcel_ids" and "QDB-999-9" in err["message"]
    with open_store(target, SETTINGS) as store:
        assert store.revision() == revision and "QY-901" not in store.load().firms.index


def test_migrate_keeps_the_firms_and_an_older_geopackage_gains_them(pg, sample_path, tmp_path):  # noqa: F811
    from stores.migrate import migrate
    src = tmp_path / "county.gpkg"
    shutil.copy(sample_path, src)
    url = pg.create_database("t_stock_migrate")
    with open_store(src, SETTINGS) as a, open_store(url, SETTINGS) as b:
        result = migrate(a, b)
        assert {r["layer"]: r["rows"] for r in result["layers"]}["firms"] == 20
        pd.testing.assert_frame_equal(a.load().firms, b.load().firms)
    older = tmp_path / "older.gpkg"
    shutil.copy(sample_path, older)
    _make_older(older)
    url = pg.create_database("t_stock_migrate_older")
    with open_store(older, SETTINGS) as a, open_store(url, SETTINGS) as b:
        migrate(a, b)
        assert b.load().firms.empty and "firms" in b.raw_layers()


def _concurrent_imports(where, parcels) -> None:
    """Two people import two firms ledgers at once: both land, each audited under its own name."""
    import os
    import subprocess
    import sys

    from tests.stores.test_store import ROOT
    tmp = Path(where) if isinstance(where, Path) else None
    ledgers = [_firms_csv((tmp.parent if tmp else Path(os.environ.get("TMPDIR", "/tmp"))) /
                          f"亩均并发{os.getpid()}_{i}.csv", [f"BF-{i},并发企业{i},{parcels[i]},2025,{100 + i},1,5"])
               for i in range(2)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("LANDGAP_DATABASE_URL", None)
    procs = [subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "import-firms", "--workspace", str(where),
                               "--ledger", str(p), "--json", "--user", f"user{i}"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i, p in enumerate(ledgers)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    with open_store(where, SETTINGS) as store:
        firms = store.load().firms
        assert {"BF-0", "BF-1"} <= set(firms.index) and firms.at["BF-1", "revenue_wan"] == 101
        assert sorted(e.by for e in store.history() if e.layer == "firms") == ["user0", "user1"]


def test_concurrent_cli_firm_imports_all_land(small_target):  # noqa: F811
    with open_store(small_target, SETTINGS) as store:
        parcels = list(store.load().parcels.index[:2])
    _concurrent_imports(small_target, parcels)


def test_concurrent_first_firm_imports_into_an_older_store_both_land(target):  # noqa: F811
    """The first two writes of firms into a store made before the table existed: it is created once, inside a
    write transaction, and neither import's rows are lost."""
    _make_older(target)
    _concurrent_imports(target, ["QDB-001-1", "QDB-001-2"])
    if isinstance(target, Path):            # GDAL reads the table the store created, with its feature count
        import pyogrio
        assert sorted(pyogrio.read_dataframe(target, layer="firms")["firm_id"]) == ["BF-0", "BF-1"]
        assert pyogrio.read_info(target, layer="firms")["features"] == 2
