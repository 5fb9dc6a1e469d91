"""Real server, real browser: `streamlit run server.py` in the team mode, logged in through the HTTP login page
in headless chromium. The session cookie is HttpOnly (no script of the page sees it) while the app shows the
logged-in sidebar; a reload stays logged in; logout ends the session and lands on the login page."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from team.accounts import Accounts
from tests.browser_util import CHROMIUM, browser, running_app

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} 不存在（apt-get install chromium）")]
PASSWORD = "team-pass-123"
WHO = "当前账号：编辑员"


def _session_cookie(ctx):
    return next((c for c in ctx.cookies() if c["name"] == "landgap_session"), None)


def test_the_real_login_keeps_the_cookie_out_of_reach_of_scripts(sample_path, tmp_path, settings):
    workspace = tmp_path / "county.gpkg"
    shutil.copy(sample_path, workspace)
    db = tmp_path / "accounts.sqlite"
    with Accounts(db, settings.accounts) as acc:
        acc.add("编辑员", "editor", PASSWORD)
        acc.register_workspace("示例县", str(workspace), "管理员")
    env = {"LANDGAP_MODE": "team", "LANDGAP_ACCOUNTS_DB": str(db)}
    with running_app(workspace, env, script="server.py") as url, browser(str(tmp_path / "profile")) as ctx:
        page = ctx.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)                                                  # no session: the gate sends it on
        assert page.url == f"{url}/auth/login"
        page.fill("#name", "编辑员")
        page.fill("#password", "wrong-password")
        page.click("button[type=submit]")
        assert "账号或密码错误" in page.inner_text("main") and _session_cookie(ctx) is None
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.get_by_text(WHO).wait_for(timeout=60_000)                 # the app, logged in, from the cookie
        cookie = _session_cookie(ctx)
        assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
        assert "landgap_session" not in page.evaluate("document.cookie")
        assert cookie["value"] not in page.content()
        page.reload()
        page.get_by_text(WHO).wait_for(timeout=60_000)
        with page.expect_navigation(url=f"{url}/auth/login?out=1", timeout=30_000):
            page.get_by_role("button", name="退出登录").click()
        assert "已退出登录" in page.inner_text("main") and _session_cookie(ctx) is None
        with Accounts(db, settings.accounts) as acc:
            assert acc.session(cookie["value"]) is None
        page.goto(url)
        assert page.url == f"{url}/auth/login"
    assert ctx.outside == [], ctx.outside
    assert not errors, errors
