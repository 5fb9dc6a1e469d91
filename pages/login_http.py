"""The team mode's HTTP login: Starlette routes that server.py mounts beside the Streamlit app.

GET  /auth/login   a standalone Chinese login page (plain HTML: no script, no CDN, no external font).
POST /auth/login   checks name and password with team.accounts (lockout and all its rules); on success the server
                   sets ``landgap_session=<token>; HttpOnly; SameSite=Strict; Path=/`` (a browser-session cookie)
                   (+ ``Secure`` over https or with ``[accounts] secure_cookie``) and 303-redirects to ``/``;
                   on failure the page again with the Chinese error, status 401 (wrong name or password),
                   429 (locked) or 403 (disabled). The password travels in the POST body, never the URL.
POST /auth/logout  ends the session in the accounts file and expires the cookie, then the login page.

HttpOnly: no script of the page can read the token (an injected one included); the browser still sends it with
the websocket handshake, where pages/auth.py reads it from ``st.context.cookies``. CSRF: SameSite=Strict (a
cross-site request carries no cookie) and, on every POST, an Origin (else Referer) that must name this host.

``LoginGate`` sends a page request (an HTML navigation) without a live session to the login page before
Streamlit serves its page shell. Both are UI edge: geo/ never imports Starlette.
"""
from __future__ import annotations

import html
import time
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from geo.vocab import LOGIN_TEXTS as T
from pages.context import settings
from team.accounts import Accounts, LoginError, accounts_path

COOKIE = "landgap_session"
LOGIN_PATH = "/auth/login"
LOGOUT_PATH = "/auth/logout"
MAX_BODY = 4096
"""Bytes of a login form body at most (name and password are a few dozen): read bounded, then parsed."""
NOT_PAGES = ("/_stcore/", "/static/", "/media/", "/component/", "/app/static/", "/auth/")
"""Path prefixes that are never a page (Streamlit's reserved ones, static serving, these routes)."""
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                      "frame-ancestors 'none'; base-uri 'none'"}
"""The login page runs no script, loads nothing from anywhere, posts only to itself and is never framed."""

OpenAccounts = Callable[[], Accounts]


def default_accounts() -> OpenAccounts:
    """The server's accounts file (``$LANDGAP_ACCOUNTS_DB``, else ``[accounts] database``), opened per request."""
    policy = settings().accounts
    return lambda: Accounts(accounts_path(policy.database), policy)


def login_page(error: str = "", name: str = "", note: str = "", status: int = 200) -> HTMLResponse:
    """The login page; ``error`` and ``note`` are the app's own messages, ``name`` the one typed (escaped)."""
    e = html.escape
    message = (f'<p class="error" role="alert">{e(error)}</p>' if error else "") + \
              (f'<p class="note">{e(note)}</p>' if note else "")
    body = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(T["title"])}</title>
<style>
body {{ margin: 0; font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       background: #f3f5f4; color: #1f2a24; }}
main {{ max-width: 22rem; margin: 12vh auto; background: #fff; padding: 2rem 2.2rem; border-radius: 8px;
       box-shadow: 0 2px 12px rgba(0, 0, 0, .08); }}
h1 {{ font-size: 1.25rem; margin: 0 0 .4rem; }}
.hint {{ color: #5b6b62; font-size: .85rem; margin: 0 0 1.4rem; }}
label {{ display: block; margin: .9rem 0 .3rem; font-size: .95rem; }}
input {{ width: 100%; box-sizing: border-box; padding: .55rem .6rem; font-size: 1rem; border: 1px solid #b9c4bd;
        border-radius: 4px; }}
button {{ margin-top: 1.4rem; width: 100%; padding: .6rem; font-size: 1rem; color: #fff; background: #2e9d4a;
         border: 0; border-radius: 4px; cursor: pointer; }}
.error {{ background: #fdecea; color: #8a1c12; padding: .6rem .7rem; border-radius: 4px; }}
.note {{ background: #eaf4fd; color: #12438a; padding: .6rem .7rem; border-radius: 4px; }}
</style></head>
<body><main>
<h1>{e(T["title"])}</h1>
<p class="hint">{e(T["hint"])}</p>
{message}
<form method="post" action="{LOGIN_PATH}" autocomplete="on">
<label for="name">{e(T["name"])}</label>
<input id="name" name="name" value="{e(name)}" autocomplete="username" required autofocus>
<label for="password">{e(T["password"])}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{e(T["submit"])}</button>
</form>
</main></body></html>"""
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def same_origin(request: Request) -> bool:
    """Does the POST come from a page of this server? Its Origin (else its Referer) must name the host the request
    was sent to (``Host``, or ``X-Forwarded-Host`` behind a proxy — a cross-site form cannot set either)."""
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    parts = urlsplit(source) if source != "null" else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    hosts = {request.headers.get("host", ""), request.headers.get("x-forwarded-host", "").split(",")[0].strip()}
    return parts.netloc.lower() in {h.lower() for h in hosts if h}


async def read_form(request: Request) -> dict[str, str] | None:
    """The fields of an ``application/x-www-form-urlencoded`` body of at most MAX_BODY bytes, or None (another
    type, too long, too many fields). Parsed here with urllib: bounded before anything is parsed."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=8, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return None
    return {k: v[0] for k, v in fields.items()}


def _secure(request: Request, flag: bool) -> bool:
    return flag or request.url.scheme == "https"


def login_routes(open_accounts: OpenAccounts | None = None, clock: Callable[[], float] = time.time,
                 secure_cookie: bool | None = None) -> list[Route]:
    """The login and logout routes (for ``st.App(routes=...)`` or a bare Starlette app in the tests).
    ``open_accounts`` opens the accounts file (default: the server's); ``clock`` is the time of every check;
    ``secure_cookie`` overrides ``[accounts] secure_cookie``."""
    open_accounts = open_accounts or default_accounts()
    if secure_cookie is None:
        secure_cookie = bool(settings().accounts.secure_cookie)

    async def show(request: Request) -> Response:
        note = T["logged_out"] if "out" in request.query_params else \
            T["expired"] if "expired" in request.query_params else ""     # fixed texts: nothing of the URL shown
        return login_page(note=note)

    def attempt(name: str, password: str, previous: str | None):
        with open_accounts() as acc:
            now = clock()
            try:
                session = acc.login(name, password, now)
                if previous:
                    acc.logout(previous)        # a new login replaces the browser's old session, never adds one
                return session, None
            except LoginError as exc:
                account = acc.get(name)
                status = 429 if account and account.locked(now) else 403 if account and account.disabled else 401
                return None, (str(exc), status)

    async def login(request: Request) -> Response:
        if not same_origin(request):
            return login_page(T["bad_origin"], status=403)
        form = await read_form(request)
        if form is None:
            return login_page(T["bad_form"], status=400)
        name = form.get("name", "").strip()
        session, failed = await run_in_threadpool(attempt, name, form.get("password", ""),
                                                  request.cookies.get(COOKIE))
        if failed:
            return login_page(failed[0], name=name, status=failed[1])
        response = RedirectResponse("/", status_code=303, headers={"Cache-Control": "no-store"})
        # no Max-Age: a browser-session cookie (gone when the browser closes); the server's idle expiry, which
        # slides while the planner works, decides how long the login lasts (a fixed Max-Age would end a long day)
        response.set_cookie(COOKIE, session.token, path="/", httponly=True, samesite="Strict",
                            secure=_secure(request, secure_cookie))
        return response

    def end(token: str) -> None:
        with open_accounts() as acc:
            acc.logout(token)

    async def logout(request: Request) -> Response:
        if not same_origin(request):
            return login_page(T["bad_origin"], status=403)
        token = request.cookies.get(COOKIE)
        if token:
            await run_in_threadpool(end, token)
        response = RedirectResponse(f"{LOGIN_PATH}?out=1", status_code=303, headers={"Cache-Control": "no-store"})
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Strict",
                               secure=_secure(request, secure_cookie))
        return response

    async def logout_get(request: Request) -> Response:
        # A GET never ends a session: any page could make the browser GET a URL (a link, an <img>), and though
        # SameSite=Strict keeps the cookie off cross-site requests, a sibling port of the same host is same-site.
        # Logout is the Origin-checked POST; this route only shadows Streamlit's own GET /auth/logout (st.logout).
        return RedirectResponse(LOGIN_PATH, status_code=303)

    return [Route(LOGIN_PATH, show, methods=["GET"]), Route(LOGIN_PATH, login, methods=["POST"]),
            Route(LOGOUT_PATH, logout, methods=["POST"]), Route(LOGOUT_PATH, logout_get, methods=["GET"])]


def is_page(path: str) -> bool:
    """Is this GET a page of the app (Streamlit answers it with its page shell), not an asset or an API?"""
    return not path.startswith(NOT_PAGES) and "." not in path.rsplit("/", 1)[-1]


class LoginGate:
    """ASGI middleware: a page request without a live session cookie is sent to the login page (303); all other
    requests pass. The Streamlit page checks the session again on every run (pages/auth.py)."""

    def __init__(self, app: ASGIApp, open_accounts: OpenAccounts | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.app = app
        self.open_accounts = open_accounts or default_accounts()
        self.clock = clock

    def live(self, token: str) -> bool:
        with self.open_accounts() as acc:
            return acc.session(token, self.clock()) is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and is_page(scope["path"]):
            token = Request(scope).cookies.get(COOKIE)
            if not token or not await run_in_threadpool(self.live, token):
                target = f"{LOGIN_PATH}?expired=1" if token else LOGIN_PATH      # a dead cookie: expired
                await RedirectResponse(target, status_code=303)(scope, receive, send)
                return
        await self.app(scope, receive, send)
