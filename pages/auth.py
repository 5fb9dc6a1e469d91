"""Login and roles of the team mode (``python3 run.py serve`` sets $LANDGAP_MODE=team); the desktop mode
(``run.py app``) has no login and every right (one person on 127.0.0.1).

Every page calls ``require_login()`` before anything else. A function that writes calls ``require_role`` itself,
so a forged request that reaches it without the button is refused too: the role is read from the accounts file
on every check (a disabled or downgraded account loses its rights at once), never from the browser session.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import streamlit as st

from geo.accounts import Accounts, LoginError, PermissionDenied, accounts_path, role_allows
from geo.vocab import LOGIN_TEXTS as T, ROLE_LABELS
from pages.context import settings

MODE_ENV = "LANDGAP_MODE"
TOKEN_KEY = "auth_token"
COOKIE = "landgap_session"


def team_mode() -> bool:
    return os.environ.get(MODE_ENV, "").lower() == "team"


def clock() -> float:
    """Now, in seconds since the epoch (one place, so tests can move it)."""
    return time.time()


def open_accounts() -> Accounts:
    cfg = settings().accounts
    return Accounts(accounts_path(cfg.database), cfg)


def desktop_user() -> str:
    """Who the audit trail names for an edit in the single-user desktop mode: the OS account."""
    import getpass
    try:
        return getpass.getuser()
    except Exception:       # no login name (some containers)
        return "desktop"


def registered_workspaces() -> dict[str, str]:
    """Team mode: name → target of the workspaces an admin registered."""
    with open_accounts() as acc:
        return acc.workspaces()


def registered_workspace_path() -> Path:
    """Team mode: the session's workspace, always one an admin registered (the first by default)."""
    registered = registered_workspaces()
    if not registered:
        st.warning("尚未登记工作空间：请管理员在“账号与工作空间”页或用 `python cli.py workspace-register` 登记。")
        st.stop()
    if st.session_state.get("ws_path") not in registered.values():
        st.session_state["ws_path"] = next(iter(registered.values()))
    from pages.targets import as_target
    return as_target(st.session_state["ws_path"])


def session():
    """The logged-in session (geo.accounts.Session) or None; always None in the desktop mode. The token is the
    browser session's, or its cookie's after a reload (checked against the accounts file either way)."""
    if not team_mode():
        return None
    token = st.session_state.get(TOKEN_KEY) or _cookie_token()
    if not token:
        return None
    with open_accounts() as acc:
        s = acc.session(token, clock())
    if s is not None:
        st.session_state[TOKEN_KEY] = token
    return s


def _cookie_token() -> str | None:
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:           # no browser context (bare script, some test runners)
        return None
    return token if isinstance(token, str) and token else None


def _set_cookie(token: str | None) -> None:
    """Keep (or, None, drop) the login across reloads: a same-site cookie on this server's path, set from the
    page (Streamlit cannot set one from the server); the token means nothing without the accounts file."""
    import json
    from streamlit.components.v1 import html as component_html
    value = f"{COOKIE}={token}; path=/; SameSite=Strict" if token else f"{COOKIE}=; path=/; max-age=0; SameSite=Strict"
    component_html(f"<script>window.parent.document.cookie = {json.dumps(value)};</script>", height=0)


def current_user() -> str:
    """Who the audit trail names: the logged-in account (team mode), the OS account (desktop mode)."""
    if not team_mode():
        return desktop_user()
    s = session()
    if s is None:
        raise PermissionDenied("未登录或登录已过期")
    return s.name


def role() -> str | None:
    """The current role: ``admin`` in the desktop mode; the account's (or None before login) in the team mode."""
    if not team_mode():
        return "admin"
    s = session()
    return None if s is None else s.role


def can(needed: str) -> bool:
    return role_allows(role(), needed)


def require_role(needed: str, action: str) -> None:
    """Raise PermissionDenied unless the current account's role includes ``needed`` (checked server-side)."""
    r = role()
    if not role_allows(r, needed):
        raise PermissionDenied(T["denied"].format(role=ROLE_LABELS.get(r, "未登录"), action=action))


def require_login():
    """Team mode: the session, or the Chinese login form and stop the page. Desktop mode: None, nothing shown.
    Draws nothing once logged in (pages call it more than once a run); app.py adds ``account_sidebar()``."""
    if not team_mode():
        return None
    s = session()
    if s is not None:
        return s
    expired = st.session_state.pop(TOKEN_KEY, None) is not None
    if st.session_state.pop("auth_logged_out", False) or expired:
        _set_cookie(None)
    _login_form(expired)
    st.stop()


def account_sidebar() -> None:
    """Team mode: who is logged in, and the logout button (app.py, once a run)."""
    s = session()
    if s is None:
        return
    if st.session_state.pop("auth_cookie_pending", False):
        with st.sidebar:
            _set_cookie(s.token)
    st.sidebar.caption(T["who"].format(name=s.name, role=ROLE_LABELS[s.role]))
    if st.sidebar.button(T["logout"], key="auth_logout"):
        with open_accounts() as acc:
            acc.logout(s.token)         # the cookie's token is dead from now on, whatever the browser keeps
        st.session_state.clear()
        st.session_state["auth_logged_out"] = True
        st.rerun()


def _login_form(expired: bool) -> None:
    st.title(T["title"])
    if expired:
        st.info(T["expired"])
    with st.form("login_form"):
        name = st.text_input(T["name"], key="login_name")
        password = st.text_input(T["password"], type="password", key="login_password")
        submitted = st.form_submit_button(T["submit"], type="primary")
    if submitted:
        try:
            with open_accounts() as acc:
                s = acc.login(name.strip(), password, clock())
        except LoginError as exc:
            st.error(str(exc))
        else:
            st.session_state[TOKEN_KEY] = s.token
            st.session_state["auth_cookie_pending"] = True
            st.rerun()
