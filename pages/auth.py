"""Login and roles of the team mode (``python3 run.py serve`` sets $LANDGAP_MODE=team); the desktop mode
(``run.py app``) has no login and every right (one person on 127.0.0.1).

Every page calls ``require_login()`` before anything else. A function that writes calls ``require_role`` itself,
so a forged request that reaches it without the button is refused too: the role is read from the accounts file
on every check (a disabled or downgraded account loses its rights at once), never from the browser session.

The login itself is HTTP, outside Streamlit (pages/login_http.py, mounted by server.py): the server sets the
session token as an HttpOnly cookie that this module reads from ``st.context.cookies``; no script here writes it.
"""
from __future__ import annotations

import html
import json
import time
from pathlib import Path

import streamlit as st

from geo.vocab import LOGIN_TEXTS as T, ROLE_LABELS
from pages.context import settings
from pages.login_http import COOKIE, LOGIN_PATH, LOGOUT_PATH
from team.accounts import Accounts, PermissionDenied, accounts_path, role_allows

MODE_ENV = "LANDGAP_MODE"
TOKEN_KEY = "auth_token"


def team_mode() -> bool:
    """$LANDGAP_MODE=team, as the settings' runtime section has it (``MODE_ENV``)."""
    return settings().runtime.team_mode


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
    """The logged-in session (team.accounts.Session) or None; always None in the desktop mode. The token is the
    browser session's, or the HttpOnly cookie's (checked against the accounts file either way)."""
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
    """The token of the HttpOnly cookie the login route set (pages/login_http.py): no script can read it, the
    browser sends it with the websocket handshake, which Streamlit exposes as ``st.context.cookies``."""
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:           # no browser context (bare script, some test runners)
        return None
    return token if isinstance(token, str) and token else None


def _top_window(script: str) -> None:
    """Run ``script`` (a fixed one of this module) against the top window: the login page lives outside
    Streamlit, so the page navigates there itself."""
    st.iframe(f"<script>{script}</script>", height=1)    # same-origin iframe: it may reach window.parent


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
    """Team mode: the session, or a short note with the way to the login page (/auth/login, where the top window
    is sent) and stop the page. Desktop mode: None, nothing shown. Draws nothing once logged in (pages call it
    more than once a run); app.py adds ``account_sidebar()``."""
    if not team_mode():
        return None
    s = session()
    if s is not None:
        return s
    expired = st.session_state.pop(TOKEN_KEY, None) is not None
    if st.session_state.pop("auth_logged_out", False):
        # the token is dead already (account_sidebar); the POST expires the cookie and lands on the login page
        _top_window(f"const d = window.parent.document, f = d.createElement('form'); f.method = 'post'; "
                    f"f.action = {json.dumps(LOGOUT_PATH)}; d.body.appendChild(f); f.submit();")
    else:
        target = f"{LOGIN_PATH}?expired=1" if expired or _cookie_token() else LOGIN_PATH
        _top_window(f"window.parent.location.replace({json.dumps(target)});")
    st.title(T["title"])
    if expired:
        st.info(T["expired"])
    st.markdown(f'{html.escape(T["need_login"])} <a href="{LOGIN_PATH}" target="_self">'
                f'{html.escape(T["go_login"])}</a>', unsafe_allow_html=True)
    st.stop()


def account_sidebar() -> None:
    """Team mode: who is logged in, and the logout button (app.py, once a run)."""
    s = session()
    if s is None:
        return
    st.sidebar.caption(T["who"].format(name=s.name, role=ROLE_LABELS[s.role]))
    if st.sidebar.button(T["logout"], key="auth_logout"):
        with open_accounts() as acc:
            acc.logout(s.token)         # the cookie's token is dead from now on, whatever the browser keeps
        st.session_state.clear()
        st.session_state["auth_logged_out"] = True
        st.rerun()
