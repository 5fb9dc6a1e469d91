"""Weekly history: a snapshot keeps the county's headline figures, parcel statuses and projects; "本周 vs 上周"
lists parcels whose status changed, projects added, advanced or newly placed, and the gap's change; snapshots
live in the store (both stores); `cli.py snapshot` / `changes`; the briefing's 附 states what changed."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from geo.settings import load_settings
from geo.workspace import build_workspace
from stores import open_store, snapshots
from stores.snapshots import FIGURES
from tests.conftest import make_layers, parcel, validated_by
from tests.stores.test_store import pg, pg_template, target  # noqa: F401 (the store fixtures: both stores)

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

ROOT = Path(__file__).resolve().parents[2]


def _ws(statuses: dict, projects: list[dict]):
    layers = make_layers(
        parcels=[parcel(pid, (i * 100, 0, i * 100 + 90, 90), status=s, ready_date="2027-06-30")
                 for i, (pid, s) in enumerate(statuses.items())],
        projects=[{"industry": "纺织鞋服", "land_mu": 10, **p} for p in projects])
    ws, report = build_workspace(layers, **validated_by(SETTINGS))
    assert ws is not None, [i.message for i in report.issues]
    return ws


def _result(placed: list[str], gap_mu: float):
    county = SimpleNamespace(**{k: 0.0 for k in FIGURES})
    county.unplaced_gap_mu = gap_mu
    return SimpleNamespace(placed=[SimpleNamespace(project_id=p) for p in placed], county=county, scenario="现状")


def test_the_diff_of_two_hand_made_weeks():
    last = _ws({"A": "available", "B": "available", "C": "leveling"},
               [{"project_id": "P1", "name": "甲", "stage": "negotiating"},
                {"project_id": "P2", "name": "乙", "stage": "signed"}])
    this = _ws({"A": "supplied", "B": "available", "C": "available"},
               [{"project_id": "P1", "name": "甲", "stage": "signed"},
                {"project_id": "P2", "name": "乙", "stage": "signed"},
                {"project_id": "P3", "name": "丙", "stage": "negotiating"}])
    before = snapshots.take(last, _result(["P2"], 50.0), "王", "2026-11-24")
    after = snapshots.take(this, _result(["P2", "P1"], 32.5), "王", "2026-12-01")
    d = snapshots.compare(before, after)
    assert d.parcels_changed == [("A", "available", "supplied"), ("C", "leveling", "available")]
    assert d.projects_added == [("P3", "丙")]
    assert d.projects_advanced == [("P1", "甲", "negotiating", "signed")]
    assert d.projects_placed == [("P1", "甲")]                   # P2 was placed already: not news
    assert d.gap_change_mu == -17.5 and d.figures["unplaced_gap_mu"][:2] == (50.0, 32.5)
    assert not d.empty and snapshots.compare(after, after).empty


def test_snapshots_are_kept_in_the_store(target):
    ws = _ws({"A": "available"}, [{"project_id": "P1", "name": "甲", "stage": "signed"}])
    with open_store(target, SETTINGS) as store:
        assert snapshots.all_snapshots(store) == []
        first = snapshots.save(store, snapshots.take(ws, _result([], 10.0), "王", "2026-11-24"))
        second = snapshots.save(store, snapshots.take(ws, _result(["P1"], 0.0), "李", "2026-12-01"))
    with open_store(target, SETTINGS) as store:        # read back on a new connection
        kept = snapshots.all_snapshots(store)
        assert [s.id for s in kept] == [first.id, second.id] and first.id < second.id
        assert kept[0] == first and kept[1].by == "李" and kept[1].projects["P1"]["placed"] is True
        assert snapshots.pick(kept, None) == second and snapshots.pick(kept, first.id) == first
        assert store.history() == []                          # a snapshot is not a data change


def _cli(*args, env: dict | None = None):
    out = subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                         cwd=ROOT, env={**__import__("os").environ, "PYTHONPATH": str(ROOT), **(env or {})})
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_cli_snapshot_then_changes(sample_path, tmp_path):
    path = tmp_path / "county.gpkg"
    shutil.copy(sample_path, path)
    snap = json.loads(_cli("snapshot", "--workspace", path, "--json", "--data-date", "2026-11-24"))
    with open_store(path, SETTINGS) as store:                  # a parcel is supplied meanwhile
        ws = store.load()
        pid = ws.parcels.loc[ws.parcels["status"] == "available", "parcel_id"].iloc[0]
        p = ws.parcels.copy()
        p.loc[p["parcel_id"] == pid, "status"] = "supplied"
        store.save(ws, ws.with_layers(parcels=p), "测试", ["parcels"])
    d = json.loads(_cli("changes", "--workspace", path, "--since-snapshot", snap["id"], "--json"))
    assert d["before_id"] == snap["id"] and d["after_id"] is None
    assert d["parcels_changed"] == [[pid, "available", "supplied"]]
    assert d["projects_added"] == [] and "gap_change_mu" in d
    assert f"地块 {pid}：" in _cli("changes", "--workspace", path)


def test_the_briefing_appendix_states_what_changed(sample_ws, settings):
    import matching
    from briefing.content import build_document
    result = matching.match(sample_ws, None, settings=settings)
    now = snapshots.take(sample_ws, result, "王", "2026-12-01")
    before = snapshots.take(sample_ws, result, "王", "2026-11-24")
    first = next(iter(before.parcels))
    before = snapshots.Snapshot(before.at, before.by, before.data_date, {**before.county, "unplaced_gap_mu":
                                before.county["unplaced_gap_mu"] + 12.0}, {**before.parcels, first: "reserved"},
                                before.projects)
    doc = build_document(sample_ws, result, settings, since=snapshots.compare(before, now))
    text = "".join(b.text for b in doc.sections[-1].blocks)
    assert "与上次快照（数据日期2026年11月24日）相比" in text and "地块状态变化1宗" in text
    assert "用地缺口减少12" in text
    plain = build_document(sample_ws, result, settings)
    assert "与上次快照" not in "".join(b.text for b in plain.sections[-1].blocks)


def test_the_briefing_page_compares_with_the_latest_snapshot(sample_path, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest
    path = tmp_path / "county.gpkg"
    shutil.copy(sample_path, path)
    monkeypatch.setenv("LANDGAP_WORKSPACE", str(path))
    monkeypatch.delenv("LANDGAP_MODE", raising=False)
    page = str(ROOT / "pages" / "briefing_page.py")
    at = AppTest.from_file(page, default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("与上次快照" in h.proto.body for h in at.get("html"))       # no snapshot yet
    at.button(key="snapshot_save").click().run()
    assert at.success and "已保存快照" in at.success[0].value
    with open_store(path, SETTINGS) as store:
        assert len(snapshots.all_snapshots(store)) == 1
    at = AppTest.from_file(page, default_timeout=180).run()
    assert any("与上次快照" in h.proto.body and "地块状态变化0宗" in h.proto.body for h in at.get("html"))


def test_cli_brief_snapshot(sample_path, tmp_path):
    path = tmp_path / "county.gpkg"
    shutil.copy(sample_path, path)
    no_plan = tmp_path / "no-plan.toml"        # the snapshot is the subject here, not the 用地保障方案 (its own tests)
    no_plan.write_text("[briefing]\nplan = false\n", encoding="utf-8")
    for out in ("a.docx", "b.docx"):
        _cli("brief", "--workspace", path, "--out", tmp_path / out, "--snapshot", env={"LANDGAP_CONFIG": str(no_plan)})
    with open_store(path, SETTINGS) as store:
        assert len(snapshots.all_snapshots(store)) == 2
    from docx import Document
    text = "\n".join(p.text for p in Document(tmp_path / "b.docx").paragraphs)
    assert "与上次快照" in text and "与上次快照" not in "\n".join(
        p.text for p in Document(tmp_path / "a.docx").paragraphs)


def test_migrate_carries_the_snapshots(sample_path, tmp_path, pg):  # noqa: F811
    from stores.migrate import migrate
    path = tmp_path / "county.gpkg"
    shutil.copy(sample_path, path)
    ws = _ws({"A": "available"}, [{"project_id": "P1", "name": "甲", "stage": "signed"}])
    with open_store(path, SETTINGS) as store:
        for gap in (10.0, 4.0):
            snapshots.save(store, snapshots.take(ws, _result([], gap), "王", "2026-11-24"))
        kept = snapshots.all_snapshots(store)
    url = pg.create_database("t_snap_" + __import__("uuid").uuid4().hex[:8])
    with open_store(path, SETTINGS) as src, open_store(url, SETTINGS) as dst:
        migrate(src, dst)
    with open_store(url, SETTINGS) as dst:
        assert snapshots.all_snapshots(dst) == kept
        nxt = snapshots.save(dst, snapshots.take(ws, _result([], 1.0), "李", "2026-12-01"))
    assert nxt.id == kept[-1].id + 1
