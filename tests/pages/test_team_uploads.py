"""Team mode, 数据管理 (AppTest): an upload is saved under the logged-in account first and imported from the stored
file; an over-limit upload is refused in Chinese with nothing stored or imported; a layer import into a PostGIS
workspace goes through the store (rows written, audited under the account), as ``cli.py import-layer`` does.
AppTest cannot upload, so ``st.file_uploader`` hands the page a real Streamlit UploadedFile."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import streamlit
from streamlit.proto.Common_pb2 import FileURLs
from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec
from streamlit.testing.v1 import AppTest

from geo.settings import load_settings
from stores import open_store
from team.accounts import Accounts
from tests.pages.test_team_app import DATA, login_token, team  # noqa: F401 (team mode with three accounts)
from tests.stores.test_store import fresh_pg_db, pg, pg_template  # noqa: F401 (the throw-away PostGIS fixtures)

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

LEDGER = ("项目名称,产业,阶段,拟用地（亩）\n上传测试项目,纺织鞋服,在谈,20\n").encode("utf-8")


def _uploaded(name: str, data: bytes) -> UploadedFile:
    return UploadedFile(UploadedFileRec(f"id-{name}", name, "application/octet-stream", data), FileURLs())


@pytest.fixture
def uploads(monkeypatch, tmp_path):
    """The upload storage in a temp dir, and ``give(key, files)`` to make the uploader ``key`` return ``files``."""
    root = tmp_path / "uploads"
    monkeypatch.setenv("LANDGAP_UPLOADS_DIR", str(root))
    given: dict = {}
    real = streamlit.file_uploader

    def fake(label, type=None, accept_multiple_files=False, key=None, **kw):
        real(label, type=type, accept_multiple_files=accept_multiple_files, key=key, **kw)
        files = [_uploaded(n, d) for n, d in given.get(key, [])]
        return files if accept_multiple_files else (files[0] if files else None)
    monkeypatch.setattr(streamlit, "file_uploader", fake)
    return root, lambda key, files: given.__setitem__(key, files)


@pytest.fixture
def small_limit(tmp_path, monkeypatch):
    """[uploads] max_file_mb = 0.0001 (100 bytes) for the app (its settings are read once per process)."""
    override = tmp_path / "limit.toml"
    override.write_text("[uploads]\nmax_file_mb = 0.0001\n", encoding="utf-8")
    monkeypatch.setenv("LANDGAP_CONFIG", str(override))   # the app's settings are keyed by the LANDGAP_* variables
    yield


def _editor_page(db, settings):
    at = AppTest.from_file(DATA, default_timeout=120)
    at.session_state["auth_token"] = login_token(db, settings, "编辑员")
    return at.run()


def _stored(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != ".meta.json") if root.exists() else []


def test_an_editors_ledger_is_stored_under_the_account_then_imported(team, settings, uploads):
    path, db = team
    root, give = uploads
    give("ledger_upload", [("招商台账.csv", LEDGER)])
    at = _editor_page(db, settings)
    assert not at.exception, [e.value for e in at.exception]
    at.button(key="ledger_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    stored = _stored(root)
    assert [p.relative_to(root).parts[0] for p in stored] == ["编辑员"] and stored[0].name == "招商台账.csv"
    assert stored[0].read_bytes() == LEDGER
    edited = at.session_state["ws_edited"]                  # imported (from the stored file), not yet saved
    assert "上传测试项目" in set(edited.projects["name"])
    assert "已导入台账 招商台账.csv" in at.success[0].value


def test_the_size_note_states_the_configured_limit(team, settings, uploads, small_limit):
    _, db = team
    at = _editor_page(db, settings)
    css = " ".join(h.proto.body for h in at.get("html"))
    assert "单个文件不超过 0.0001 MB" in css and "单个文件不超过 200 MB" not in css


def test_an_over_limit_upload_is_refused_and_nothing_is_stored_or_imported(team, settings, uploads, small_limit):
    path, db = team
    root, give = uploads
    before = path.read_bytes()
    give("ledger_upload", [("超大台账.csv", LEDGER + b"x" * 200)])
    give("layer_import_upload", [("超大图层.geojson", b"{" + b" " * 200 + b"}")])
    at = _editor_page(db, settings)
    at.button(key="ledger_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("超大台账.csv" in e.value and "0.0001 MB" in e.value and "上限" in e.value for e in at.error)
    assert "ws_edited" not in at.session_state and not at.success
    next(b for b in at.button if b.label == "检查并预览").click().run()
    assert any("超大图层.geojson" in e.value and "上限" in e.value for e in at.error)
    assert _stored(root) == [] and path.read_bytes() == before


def _parcel_layer(ws, tmp_path) -> tuple[str, bytes, str]:
    """A GeoJSON of one of the workspace's parcels with its status changed (an update by 地块编号)."""
    pid = ws.parcels.index[0]
    new = "available" if ws.parcels.at[pid, "status"] != "available" else "supplied"
    frame = gpd.GeoDataFrame({"parcel_id": [pid], "status": [new], "zone_id": [ws.parcels.at[pid, "zone_id"]]},
                             geometry=[ws.parcels.at[pid, "geometry"]], crs=ws.crs)
    out = tmp_path / "地块更新.geojson"
    frame.to_file(out, driver="GeoJSON")
    return pid, out.read_bytes(), new


@pytest.fixture
def pg_workspace(team, settings, request):
    """A fresh PostGIS copy of the sample county, the only registered workspace: (url, its workspace)."""
    url = fresh_pg_db(request.getfixturevalue("pg"), request.getfixturevalue("pg_template"))
    with Accounts(team[1], settings.accounts) as acc:
        acc.remove_workspace("示例县")
        acc.register_workspace("全县（数据库）", url, "管理员")
    with open_store(url, SETTINGS) as store:
        assert store.history() == []
        return url, store.load()


def test_a_layer_import_into_a_postgis_workspace_goes_through_the_store(team, settings, uploads, pg_workspace,
                                                                       tmp_path):
    (_, db), (root, give), (url, ws) = team, uploads, pg_workspace
    pid, data, status = _parcel_layer(ws, tmp_path)
    give("layer_import_upload", [("地块更新.geojson", data)])
    at = _editor_page(db, settings)
    next(b for b in at.button if b.label == "应用").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    with open_store(url, SETTINGS) as store:
        back = store.load()
        history = store.history()
    assert back.parcels.at[pid, "status"] == status                      # the row landed
    assert [(h.layer, h.id, h.action, h.by) for h in history] == [("parcels", pid, "update", "编辑员")]
    assert [p.name for p in _stored(root / "编辑员")] == ["地块更新.geojson"]
    assert "已导入" in at.success[0].value


def test_a_constraint_layer_import_into_a_postgis_workspace_replaces_the_stored_layer(team, settings, uploads,
                                                                                      pg_workspace, tmp_path):
    (_, db), (_, give), (url, ws) = team, uploads, pg_workspace
    frame = gpd.GeoDataFrame({"名称": ["基本农田一"]}, geometry=[ws.parcels.geometry.iloc[0]], crs=ws.crs)
    out = tmp_path / "永久基本农田.geojson"
    frame.to_file(out, driver="GeoJSON")
    give("layer_import_upload", [(out.name, out.read_bytes())])
    at = _editor_page(db, settings)
    at.selectbox[next(i for i, s in enumerate(at.selectbox) if s.label == "导入到")].set_value("farmland")
    at.checkbox(key="layer_import_replace").check()
    next(b for b in at.button if b.label == "应用").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with open_store(url, SETTINGS) as store:
        farmland = store.load().constraints["farmland"]
    assert len(farmland) == 1 and farmland.geometry.iloc[0].equals_exact(ws.parcels.geometry.iloc[0], 1e-6)


def test_the_cli_imports_a_layer_into_a_postgis_workspace_through_the_store(pg_workspace, tmp_path, capsys):
    import json

    import cli
    url, ws = pg_workspace
    pid, data, status = _parcel_layer(ws, tmp_path)
    layer = tmp_path / "cli.geojson"
    layer.write_bytes(data)
    assert cli.main(["import-layer", "--workspace", url, "--into", "parcels", "--file", str(layer),
                     "--user", "经合局-王", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["imported"]
    with open_store(url, SETTINGS) as store:
        assert store.load().parcels.at[pid, "status"] == status
        assert [(h.id, h.action, h.by) for h in store.history()] == [(pid, "update", "经合局-王")]
