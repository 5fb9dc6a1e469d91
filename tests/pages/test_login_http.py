"""The team mode's HTTP login (pages/login_http.py) on a bare Starlette app of its routes: the server-set HttpOnly
cookie, the Chinese errors, lockout, the Origin check on the POSTs, logout, and a login page with nothing external.

Driven through ASGI directly (a few lines below): starlette.testclient needs httpx2, not a project dependency."""
from __future__ import annotations

import asyncio
import dataclasses
import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from pages.login_http import COOKIE, LoginGate, is_page, login_routes
from team.accounts import Accounts

PASSWORD = "team-pass-123"
HOST = "http://testserver"
SAME = {"Origin": HOST}


@pytest.fixture
def policy(settings):
    return dataclasses.replace(settings.accounts, max_failures=3, lockout_minutes=10, session_minutes=45)


@pytest.fixture
def db(tmp_path, policy):
    path = tmp_path / "accounts.sqlite"
    with Accounts(path, policy) as acc:
        acc.add("编辑员", "editor", PASSWORD)
    return path


@dataclasses.dataclass
class Reply:
    status_code: int
    headers: dict[str, str]
    text: str


class Client:
    """One ASGI request at a time against ``app``; ``cookies`` are sent as the Cookie header."""

    def __init__(self, app, base_url=HOST):
        self.app, self.base, self.cookies = app, urlsplit(base_url), {}

    def request(self, method, target, headers=None, content=b"") -> Reply:
        path, _, query = target.partition("?")
        sent = {"host": self.base.netloc, **{k.lower(): v for k, v in (headers or {}).items()}}
        if self.cookies:
            sent["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": self.base.scheme, "path": path, "raw_path": path.encode(), "query_string": query.encode(),
                 "root_path": "", "server": (self.base.hostname, 443 if self.base.scheme == "https" else 80),
                 "client": ("127.0.0.1", 5000),
                 "headers": [(k.encode(), v.encode())
                             for k, v in {**sent, "content-length": str(len(content))}.items()]}
        messages, chunks = [], [{"type": "http.request", "body": content, "more_body": False}]

        async def receive():
            return chunks.pop(0) if chunks else {"type": "http.disconnect"}

        async def send(message):
            messages.append(message)
        asyncio.run(self.app(scope, receive, send))
        start = next(m for m in messages if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        return Reply(start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]},
                     body.decode("utf-8"))

    def get(self, target, headers=None) -> Reply:
        return self.request("GET", target, headers)

    def post(self, target, data=None, headers=None, content=None, kind=None) -> Reply:
        headers = dict(headers or {})
        if data is not None:
            content, kind = urlencode(data).encode(), "application/x-www-form-urlencoded"
        if kind:
            headers["Content-Type"] = kind
        return self.request("POST", target, headers, content or b"")


def _client(db, policy, secure=False, gate=False, base_url=HOST) -> Client:
    def open_accounts():
        return Accounts(db, policy)

    async def shell(request):
        return PlainTextResponse("streamlit page shell")
    routes = login_routes(open_accounts, secure_cookie=secure) + [Route("/{page:path}", shell)]
    middleware = [Middleware(LoginGate, open_accounts=open_accounts)] if gate else []
    return Client(Starlette(routes=routes, middleware=middleware), base_url)


def _post(client, name="编辑员", password=PASSWORD, headers=SAME):
    return client.post("/auth/login", data={"name": name, "password": password}, headers=headers)


def _set_cookie(response) -> dict:
    raw = response.headers.get("set-cookie", "")
    attrs = {}
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        attrs[key.lower()] = value
    return {"raw": raw, **attrs}


def test_a_login_sets_an_httponly_strict_browser_session_cookie(db, policy):
    response = _post(_client(db, policy))
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = _set_cookie(response)
    assert cookie["raw"].startswith(f"{COOKIE}=")
    assert "httponly" in cookie and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    assert "max-age" not in cookie and "expires" not in cookie         # gone with the browser; the server expires it
    assert "secure" not in cookie                                      # plain http, flag off
    token = SimpleCookie(cookie["raw"])[COOKIE].value
    with Accounts(db, policy) as acc:
        assert acc.session(token).name == "编辑员"


def test_a_new_login_ends_the_browsers_previous_session(db, policy):
    client = _client(db, policy)
    old = SimpleCookie(_set_cookie(_post(client))["raw"])[COOKIE].value
    client.cookies[COOKIE] = old
    new = SimpleCookie(_set_cookie(_post(client))["raw"])[COOKIE].value
    with Accounts(db, policy) as acc:
        assert new != old and acc.session(old) is None and acc.session(new) is not None


def test_secure_over_https_or_by_the_flag(db, policy):
    assert "secure" in _set_cookie(_post(_client(db, policy, secure=True)))
    client = _client(db, policy, base_url="https://testserver")
    assert "secure" in _set_cookie(_post(client, headers={"Origin": "https://testserver"}))


def test_a_wrong_password_gives_the_chinese_error_and_no_cookie(db, policy):
    response = _post(_client(db, policy), password="wrong-password")
    assert response.status_code == 401 and "set-cookie" not in response.headers
    assert "账号或密码错误（还可再试 2 次）" in response.text
    assert 'value="编辑员"' in response.text                            # the name stays typed, the password not
    unknown = _post(_client(db, policy), name="没有这人")
    assert unknown.status_code == 401 and "账号或密码错误" in unknown.text and "set-cookie" not in unknown.headers


def test_lockout_after_max_failures(db, policy):
    client = _client(db, policy)
    for _ in range(policy.max_failures - 1):
        assert _post(client, password="wrong-password").status_code == 401
    locked = _post(client, password="wrong-password")
    assert locked.status_code == 429 and "账号已锁定" in locked.text
    right = _post(client)                                              # even the right password, until it ends
    assert right.status_code == 429 and "账号已锁定" in right.text and "set-cookie" not in right.headers


def test_a_disabled_account_is_refused(db, policy):
    with Accounts(db, policy) as acc:
        acc.set_disabled("编辑员")
    response = _post(_client(db, policy))
    assert response.status_code == 403 and "已停用" in response.text and "set-cookie" not in response.headers


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Referer": "http://evil.example/x"},
                                     {"Origin": "null"}, {}])
def test_a_post_from_another_origin_is_refused(db, policy, headers):
    client = _client(db, policy)
    response = _post(client, headers=headers)
    assert response.status_code == 403 and "请求来源不符" in response.text and "set-cookie" not in response.headers
    token = SimpleCookie(_set_cookie(_post(client))["raw"])[COOKIE].value
    client.cookies[COOKIE] = token
    assert client.post("/auth/logout", headers=headers).status_code == 403
    with Accounts(db, policy) as acc:
        assert acc.session(token) is not None                          # a forged logout ends nothing


def test_same_origin_by_referer_or_behind_a_proxy(db, policy):
    assert _post(_client(db, policy), headers={"Referer": f"{HOST}/auth/login"}).status_code == 303
    proxied = {"Origin": "https://landgap.bureau.local", "X-Forwarded-Host": "landgap.bureau.local"}
    assert _post(_client(db, policy), headers=proxied).status_code == 303


def test_bad_bodies_are_refused_before_any_check(db, policy):
    client = _client(db, policy)
    big = client.post("/auth/login", content=b"name=x&password=" + b"a" * 5000, headers=SAME,
                      kind="application/x-www-form-urlencoded")
    multipart = client.post("/auth/login", content=b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n'
                            b"--b--\r\n", headers=SAME, kind="multipart/form-data; boundary=b")
    for response in (big, multipart):
        assert response.status_code == 400 and "格式不正确" in response.text
    assert client.get("/auth/login?name=编辑员&password=x").status_code == 200   # a GET logs nobody in
    with Accounts(db, policy) as acc:
        assert acc.get("编辑员").failures == 0


def test_logout_kills_the_token_and_expires_the_cookie(db, policy):
    client = _client(db, policy)
    token = SimpleCookie(_set_cookie(_post(client))["raw"])[COOKIE].value
    client.cookies[COOKIE] = token
    response = client.post("/auth/logout", headers=SAME)
    assert response.status_code == 303 and response.headers["location"].startswith("/auth/login")
    cookie = _set_cookie(response)
    assert cookie["raw"].startswith(f'{COOKIE}="";') or cookie["raw"].startswith(f"{COOKIE}=;")
    assert cookie["max-age"] == "0" and "httponly" in cookie and cookie["path"] == "/"
    with Accounts(db, policy) as acc:
        assert acc.session(token) is None
    assert client.get("/auth/logout").status_code == 303               # a GET changes nothing (and shadows st.logout)


def test_the_login_page_is_self_contained_chinese(db, policy):
    response = _client(db, policy).get("/auth/login")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert not re.search(r"(?i)(https?:)?//[a-z0-9]", page), "登录页引用了外部地址"
    assert "<script" not in page.lower() and 'method="post"' in page and 'action="/auth/login"' in page
    assert 'type="password"' in page and "账号" in page and "密码" in page and "登录" in page
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "已退出登录" in _client(db, policy).get("/auth/login?out=<script>").text
    assert "<script>" not in _client(db, policy).get("/auth/login?out=<script>").text


def test_the_gate_sends_a_page_without_a_live_session_to_the_login(db, policy):
    client = _client(db, policy, gate=True)
    first = client.get("/")
    assert first.status_code == 303 and first.headers["location"] == "/auth/login"
    assert client.get("/_stcore/health").status_code == 200            # assets and Streamlit's API pass
    assert client.get("/app/static/vendor/leaflet.js").status_code == 200
    token = SimpleCookie(_set_cookie(_post(client))["raw"])[COOKIE].value
    client.cookies[COOKIE] = token
    assert client.get("/fit").text == "streamlit page shell"
    with Accounts(db, policy) as acc:
        acc.logout(token)
    dead = client.get("/fit")
    assert dead.status_code == 303 and dead.headers["location"] == "/auth/login?expired=1"
    assert is_page("/") and is_page("/data") and not is_page("/favicon.png") and not is_page("/auth/login")
