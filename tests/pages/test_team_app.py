"""The team mode in the app (AppTest): login required, a viewer sees no edit/import controls and the write
function itself refuses a viewer (a forged request), sessions expire, workspaces come from the admin's list;
the desktop mode has no login."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.settings import load_settings
from stores import open_store
from team.accounts import Accounts
from tests.stores.test_store import pg, pg_template  # noqa: F401 (the throw-away PostGIS fixtures)

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
DATA = str(ROOT / "pages" / "data_page.py")
PASSWORD = "team-pass-123"


@pytest.fixture
def team(sample_path, tmp_path, monkeypatch, settings):
    """Team mode with one registered copy of the sample county and three accounts."""
    path = tmp_path / "county.gpkg"
    shutil.copy(sample_path, path)
    db = tmp_path / "accounts.sqlite"
    monkeypatch.setenv("LANDGAP_MODE", "team")
    monkeypatch.setenv("LANDGAP_ACCOUNTS_DB", str(db))
    monkeypatch.setenv("LANDGAP_WORKSPACE", str(tmp_path / "not-registered.gpkg"))
    monkeypatch.delenv("LANDGAP_TIANDITU_KEY", raising=False)
    with Accounts(db, settings.accounts) as acc:
        for name, role in (("查看员", "viewer"), ("编辑员", "editor"), ("管理员", "admin")):
            acc.add(name, role, PASSWORD)
        acc.register_workspace("示例县", str(path), "管理员")
    return path, db


def login_token(db, settings, name) -> str:
    with Accounts(db, settings.accounts) as acc:
        return acc.login(name, PASSWORD).token


def _labels(at) -> set[str]:
    return {b.label for b in at.button}


def test_team_mode_shows_the_way_to_the_login_page_until_logged_in(team, settings, monkeypatch):
    """The login form is the HTTP one (tests/test_login_http.py); the page before login only points there
    and shows nothing of the workspace. With the cookie's token (the websocket handshake's) it is the app."""
    from pages import auth
    _, db = team
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value.endswith("登录") and not at.metric and not at.text_input
    note = " ".join(m.value for m in at.markdown)
    assert 'href="/auth/login"' in note and "前往登录页" in note
    token = login_token(db, settings, "编辑员")
    monkeypatch.setattr(auth, "_cookie_token", lambda: token)
    at.run()
    assert not at.exception and at.session_state["auth_token"] == token
    assert at.title[0].value == "用地一张图"
    assert any("当前账号：编辑员" in c.value for c in at.sidebar.caption)


def test_sidebar_logout_kills_the_token_and_posts_the_logout(team, settings, monkeypatch):
    from pages import auth
    _, db = team
    token = login_token(db, settings, "编辑员")
    monkeypatch.setattr(auth, "_cookie_token", lambda: token)           # the browser still sends the cookie
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.sidebar.button(key="auth_logout").click().run()
    with Accounts(db, settings.accounts) as acc:
        assert acc.session(token) is None                               # dead server-side at once
    assert at.title[0].value.endswith("登录") and "auth_token" not in at.session_state
    script = at.get("iframe")[0].proto.srcdoc if at.get("iframe") else ""
    assert "/auth/logout" in script and "post" in script                # the POST that expires the cookie


def test_desktop_mode_has_no_login(sample_path, monkeypatch):
    monkeypatch.delenv("LANDGAP_MODE", raising=False)
    monkeypatch.setenv("LANDGAP_WORKSPACE", str(sample_path))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception and at.title[0].value == "用地一张图" and "auth_token" not in at.session_state


def _data_page(token):
    at = AppTest.from_file(DATA, default_timeout=120)
    at.session_state["auth_token"] = token
    return at.run()


def test_a_viewer_sees_no_edit_or_import_controls(team, settings):
    _, db = team
    viewer = _data_page(login_token(db, settings, "查看员"))
    assert not viewer.exception, [e.value for e in viewer.exception]
    editor = _data_page(login_token(db, settings, "编辑员"))
    write_controls = {"校验并应用", "保存到文件"}
    assert write_controls <= _labels(editor)                          # the editor has them …
    assert not write_controls & _labels(viewer)                       # … the viewer has none
    assert not viewer.get("data_editor") and editor.get("data_editor") is not None
    assert not any("导入" in e.label for e in viewer.expander)
    assert any("导入" in e.label for e in editor.expander)
    # team mode: no server path typed, no upload opened — only the registered list
    for at in (viewer, editor):
        assert not any("路径" in t.label for t in at.text_input)
        assert "打开该路径" not in _labels(at) and "ws_upload" not in at.session_state
        assert at.selectbox(key="ws_registered").options == ["示例县"]


def _forged_save():
    """What a forged request would make the server do: the write function with an edited workspace."""
    from pages import common
    ws = common.current()[0]
    common.set_workspace(edited=ws.with_projects(ws.projects.iloc[1:]))
    common.save_edits(common.workspace_path())


@pytest.mark.parametrize("name, refused", [("查看员", True), ("编辑员", False)])
def test_the_write_function_refuses_a_viewer(team, settings, name, refused):
    path, db = team
    at = AppTest.from_function(_forged_save, default_timeout=120)
    at.session_state["auth_token"] = login_token(db, settings, name)
    at.run()
    with open_store(path, SETTINGS) as store:
        history = store.history()
    if refused:
        assert at.exception and "无权" in at.exception[0].message and history == []
    else:
        assert not at.exception, [e.value for e in at.exception]
        assert [h.action for h in history] == ["delete"] and history[0].by == "编辑员"   # audit names the account


def test_a_session_expires(team, settings, monkeypatch):
    _, db = team
    from pages import auth
    at = _data_page(login_token(db, settings, "编辑员"))
    assert at.title[0].value == "数据管理"
    later = time.time() + settings.accounts.session_minutes * 60 + 5
    monkeypatch.setattr(auth, "clock", lambda: later)
    at.run()
    assert at.title[0].value.endswith("登录") and "登录已过期" in at.info[0].value
    assert "auth_token" not in at.session_state


def test_only_an_admin_manages_accounts_and_workspaces(team, settings):
    _, db = team
    admin_page = str(ROOT / "pages" / "admin_page.py")
    editor = AppTest.from_file(admin_page, default_timeout=60)
    editor.session_state["auth_token"] = login_token(db, settings, "编辑员")
    editor.run()
    assert editor.error and "仅管理员" in editor.error[0].value and not editor.text_input
    admin = AppTest.from_file(admin_page, default_timeout=60)
    admin.session_state["auth_token"] = login_token(db, settings, "管理员")
    admin.run()
    assert not admin.exception, [e.value for e in admin.exception]
    admin.text_input[0].set_value("新同事")
    admin.text_input[1].set_value("new-colleague-1")
    next(b for b in admin.button if b.label == "添加账号").click().run()
    assert admin.success and "新同事" in admin.success[0].value
    with Accounts(db, settings.accounts) as acc:
        assert acc.get("新同事").role == "viewer"


def _history(at):
    return next(d.value for d in at.dataframe if "操作人" in d.value.columns)


def test_the_audit_trail_on_the_data_page_filters_by_id_and_date(team, settings):
    path, db = team
    with open_store(path, SETTINGS) as store:
        ws = store.load()
        first, second = ws.projects.index[:2]
        p = ws.projects.copy()
        p.loc[first, "name"] = "改名甲"
        p.loc[second, "name"] = "改名乙"
        store.save(ws, ws.with_projects(p), "编辑员")
    at = _data_page(login_token(db, settings, "查看员"))          # every role reads the history
    table = _history(at)
    assert set(table["编号"]) == {first, second} and set(table["操作人"]) == {"编辑员"}
    assert set(table["操作"]) == {"修改"} and (table["改动字段"] == "name").all()
    at.text_input(key="hist_id").set_value(second).run()
    assert list(_history(at)["编号"]) == [second]
    at.text_input(key="hist_id").set_value("").run()
    at.checkbox(key="hist_use_since").check().run()
    at.date_input(key="hist_since").set_value(__import__("datetime").date.today()
                                              + __import__("datetime").timedelta(days=1)).run()
    assert "没有符合条件的修改记录" in " ".join(c.value for c in at.caption)


def test_team_mode_on_a_postgis_workspace(team, settings, request):
    """A registered postgresql:// workspace: pages read it, an editor's save goes through the store, audited
    under the account; the page never shows the URL's password."""
    from tests.stores.test_store import fresh_pg_db
    url = fresh_pg_db(request.getfixturevalue("pg"), request.getfixturevalue("pg_template"))
    _, db = team
    with Accounts(db, settings.accounts) as acc:
        acc.remove_workspace("示例县")
        acc.register_workspace("全县（数据库）", url, "管理员")
    viewer = _data_page(login_token(db, settings, "查看员"))
    assert not viewer.exception, [e.value for e in viewer.exception]
    assert viewer.title[0].value == "数据管理" and viewer.metric
    at = AppTest.from_function(_forged_save, default_timeout=120)
    at.session_state["auth_token"] = login_token(db, settings, "编辑员")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    with open_store(url, SETTINGS) as store:
        assert [(h.action, h.by) for h in store.history()] == [("delete", "编辑员")]
    from pages.targets import as_target, display
    shown = display(as_target("postgresql://landgap:s3cret@db.bureau.local:5432/landgap"))
    assert shown == "postgresql://landgap:***@db.bureau.local:5432/landgap"


def _forged_snapshot_and_admin():
    """A viewer's forged requests to the other writing functions: the snapshot save and an admin action."""
    import streamlit as st

    from pages import snapshot_panel
    from team.accounts import PermissionDenied
    refused = []
    for write in (lambda: snapshot_panel.save(None), lambda: __import__("pages.auth").auth.require_role(
            "admin", "管理账号和工作空间")):
        try:
            write()
        except PermissionDenied:
            refused.append(True)
    st.write(f"refused {len(refused)}")


def test_other_writes_refuse_a_viewer(team, settings):
    path, db = team
    at = AppTest.from_function(_forged_snapshot_and_admin, default_timeout=60)
    at.session_state["auth_token"] = login_token(db, settings, "查看员")
    at.run()
    assert not at.exception and at.markdown[0].value == "refused 2"
    from stores import snapshots
    with open_store(path, SETTINGS) as store:
        assert snapshots.all_snapshots(store) == []


def test_sessions_asking_for_the_same_match_compute_it_once(sample_ws, monkeypatch):
    import threading

    import matching
    from pages import common
    calls = []

    def slow_match(ws, scenario, settings=None, progress=None, cache=None):
        calls.append(1)
        time.sleep(0.3)
        return f"result {len(calls)}"

    monkeypatch.setattr(matching, "match", slow_match)
    key = f"single-flight:{time.time_ns()}"
    got = []
    threads = [threading.Thread(target=lambda: got.append(common.run_match(sample_ws, key, matching.Scenario())))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1] and got == ["result 1"] * 8


def test_a_reload_keeps_the_login_through_the_cookie_until_logout(team, settings, monkeypatch):
    """A reload is a new browser session: the login comes back from the cookie's token, checked against the
    accounts file — so after logout (or expiry) the same cookie gets the login page."""
    from pages import auth
    _, db = team
    token = login_token(db, settings, "编辑员")
    monkeypatch.setattr(auth, "_cookie_token", lambda: token)
    at = AppTest.from_file(APP, default_timeout=120).run()            # fresh session, only the cookie
    assert not at.exception and at.title[0].value == "用地一张图"
    with Accounts(db, settings.accounts) as acc:
        acc.logout(token)
    again = AppTest.from_file(APP, default_timeout=120).run()
    assert again.title[0].value.endswith("登录")
