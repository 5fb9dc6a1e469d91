"""Accounts of the team mode (``run.py serve``): users with a role, argon2 password hashes, lockout after repeated
wrong passwords, sessions that expire, and the admin-registered list of workspaces.

Stored in one SQLite file of the server (``Settings.accounts.database``: $LANDGAP_ACCOUNTS_DB, else ``[accounts]
database`` of config/landgap.toml; default var/accounts.sqlite), not in a workspace store: accounts and the
workspace list span every workspace, and a
workspace file handed to someone else must not carry the bureau's password hashes. The desktop mode (``run.py app``)
never opens it. Every function that depends on the time takes ``now`` (seconds since the epoch) so tests inject
the clock. See docs/accounts.md.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from geo.errors import InputError, LandGapError, WorkspaceIOError

ROLES = ("viewer", "editor", "admin")
"""Each role may do what the ones before it may (查看 < 编辑 < 管理)."""
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "var" / "accounts.sqlite"


class AccountError(LandGapError, ValueError):
    """An account operation cannot be done: unknown or duplicate name, bad role, too short a password."""


class LoginError(LandGapError, PermissionError):
    """A login was refused: wrong name or password, the account locked or disabled. The message says which,
    without telling an outsider whether the name exists (wrong name and wrong password read the same)."""


class PermissionDenied(LandGapError, PermissionError):
    """The logged-in account's role does not allow this action (checked where the write happens)."""


def role_allows(role: str | None, needed: str) -> bool:
    """Does ``role`` include ``needed``? (None: no account, as in a team-mode page before login: nothing.)"""
    if needed not in ROLES:
        raise AccountError(f"未知角色 {needed!r}（应为 {'/'.join(ROLES)}）")
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def accounts_path(configured: str = "") -> Path:
    """The accounts file: ``configured`` (``Settings.accounts.database``: $LANDGAP_ACCOUNTS_DB, else ``[accounts]
    database``), else var/accounts.sqlite."""
    return Path(configured or DEFAULT_PATH)


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    disabled: bool
    failures: int
    locked_until: float | None

    def locked(self, now: float) -> bool:
        return self.locked_until is not None and now < self.locked_until


@dataclass(frozen=True)
class Session:
    token: str          # what the browser session holds; only its SHA-256 is stored
    name: str
    role: str


_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0, locked_until REAL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (token_sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, created_at REAL NOT NULL,
    last_seen REAL NOT NULL);
CREATE TABLE IF NOT EXISTS workspaces (name TEXT PRIMARY KEY, target TEXT NOT NULL, registered_by TEXT,
    registered_at REAL NOT NULL);
"""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """The accounts file. ``policy``: the [accounts] settings (max_failures, lockout_minutes, session_minutes,
    min_password_length)."""

    def __init__(self, path, policy):
        from argon2 import PasswordHasher
        self.path = Path(path)
        self.policy = policy
        self._hasher = PasswordHasher()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None, check_same_thread=False)
            self.conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise WorkspaceIOError(f"无法打开账号文件 {self.path}：{exc}") from exc
        if os.name == "posix":
            try:
                os.chmod(self.path, 0o600)          # password hashes: the service account only
            except OSError:
                pass

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ----------------------------------------------------------------------------------------- users
    def _check_password(self, password: str) -> None:
        if len(password or "") < self.policy.min_password_length:
            raise AccountError(f"密码至少 {self.policy.min_password_length} 位")

    @staticmethod
    def _check_role(role: str) -> None:
        if role not in ROLES:
            raise AccountError(f"未知角色 {role!r}（应为 {'/'.join(ROLES)}）")

    def get(self, name: str) -> Account | None:
        row = self.conn.execute("SELECT name, role, disabled, failures, locked_until FROM users WHERE name = ?",
                                (name,)).fetchone()
        return None if row is None else Account(row[0], row[1], bool(row[2]), int(row[3]), row[4])

    def users(self) -> list[Account]:
        rows = self.conn.execute("SELECT name, role, disabled, failures, locked_until FROM users ORDER BY name")
        return [Account(r[0], r[1], bool(r[2]), int(r[3]), r[4]) for r in rows.fetchall()]

    def add(self, name: str, role: str, password: str, now: float | None = None) -> Account:
        name = (name or "").strip()
        if not name:
            raise AccountError("账号名不能为空")
        self._check_role(role)
        self._check_password(password)
        now = time.time() if now is None else now
        try:
            self.conn.execute("INSERT INTO users (name, role, hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                              (name, role, self._hasher.hash(password), now, now))
        except sqlite3.IntegrityError:
            raise AccountError(f"账号 {name} 已存在") from None
        return self.get(name)

    def _require(self, name: str) -> Account:
        acc = self.get(name)
        if acc is None:
            raise AccountError(f"没有账号 {name}")
        return acc

    def set_password(self, name: str, password: str, now: float | None = None) -> None:
        """A new password; also unlocks the account and ends its sessions."""
        self._require(name)
        self._check_password(password)
        now = time.time() if now is None else now
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("UPDATE users SET hash = ?, failures = 0, locked_until = NULL, updated_at = ? "
                              "WHERE name = ?", (self._hasher.hash(password), now, name))
            self.conn.execute("DELETE FROM sessions WHERE name = ?", (name,))

    def set_role(self, name: str, role: str, now: float | None = None) -> None:
        self._require(name)
        self._check_role(role)
        self.conn.execute("UPDATE users SET role = ?, updated_at = ? WHERE name = ?",
                          (role, time.time() if now is None else now, name))

    def set_disabled(self, name: str, disabled: bool = True, now: float | None = None) -> None:
        """Disable (or re-enable) an account; disabling ends its sessions at once."""
        self._require(name)
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("UPDATE users SET disabled = ?, updated_at = ? WHERE name = ?",
                              (int(disabled), time.time() if now is None else now, name))
            if disabled:
                self.conn.execute("DELETE FROM sessions WHERE name = ?", (name,))

    # ----------------------------------------------------------------------------------------- login
    def login(self, name: str, password: str, now: float | None = None) -> Session:
        """A new session, or LoginError. ``max_failures`` wrong passwords in a row lock the account for
        ``lockout_minutes`` (a locked account refuses even the right password until then)."""
        from argon2.exceptions import InvalidHashError, VerificationError
        now = time.time() if now is None else now
        row = self.conn.execute("SELECT hash FROM users WHERE name = ?", (name,)).fetchone()
        acc = self.get(name)
        if acc is None or row is None:
            try:                                     # the same work as a real check: no timing oracle on names
                self._hasher.verify(self._hasher.hash("x" * 8), password or "")
            except VerificationError:
                pass
            raise LoginError("账号或密码错误")
        if acc.disabled:
            raise LoginError("该账号已停用，请联系管理员")
        if acc.locked(now):
            raise LoginError(f"密码错误次数过多，账号已锁定，请 {_minutes(acc.locked_until - now)} 分钟后再试"
                             "或联系管理员重置密码")
        try:
            self._hasher.verify(row[0], password or "")
        except (VerificationError, InvalidHashError):
            failures = acc.failures + 1
            locked = now + self.policy.lockout_minutes * 60 if failures >= self.policy.max_failures else None
            self.conn.execute("UPDATE users SET failures = ?, locked_until = ? WHERE name = ?",
                              (0 if locked else failures, locked, name))
            if locked:
                raise LoginError(f"密码错误次数过多（{failures} 次），账号已锁定 "
                                 f"{_minutes(self.policy.lockout_minutes * 60)} 分钟") from None
            raise LoginError(f"账号或密码错误（还可再试 {self.policy.max_failures - failures} 次）") from None
        token = secrets.token_urlsafe(32)
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("UPDATE users SET failures = 0, locked_until = NULL WHERE name = ?", (name,))
            self.conn.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)", (_digest(token), name, now, now))
        return Session(token, acc.name, acc.role)

    def session(self, token: str | None, now: float | None = None) -> Session | None:
        """The session of ``token`` if it is still valid (used within ``session_minutes``; the account enabled),
        its last use moved to ``now``; None otherwise (an expired session is removed)."""
        if not token:
            return None
        now = time.time() if now is None else now
        row = self.conn.execute("SELECT s.name, s.last_seen, u.role, u.disabled FROM sessions s JOIN users u "
                                "ON u.name = s.name WHERE s.token_sha256 = ?", (_digest(token),)).fetchone()
        if row is None:
            return None
        if row[3] or now - row[1] > self.policy.session_minutes * 60:
            self.conn.execute("DELETE FROM sessions WHERE token_sha256 = ?", (_digest(token),))
            return None
        self.conn.execute("UPDATE sessions SET last_seen = ? WHERE token_sha256 = ?", (now, _digest(token)))
        return Session(token, row[0], row[2])

    def logout(self, token: str) -> None:
        self.conn.execute("DELETE FROM sessions WHERE token_sha256 = ?", (_digest(token),))

    # ---------------------------------------------------------------------------------- workspaces
    def register_workspace(self, name: str, target: str, by: str, now: float | None = None) -> None:
        """Register (or re-point) a workspace the team may open: a .gpkg path on the server or a postgresql:// URL."""
        name, target = (name or "").strip(), (target or "").strip()
        if not name or not target:
            raise InputError("工作空间名称和位置都不能为空")
        self.conn.execute("INSERT INTO workspaces VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                          "target = excluded.target, registered_by = excluded.registered_by, "
                          "registered_at = excluded.registered_at", (name, target, by, time.time() if now is None
                                                                     else now))

    def remove_workspace(self, name: str) -> None:
        self.conn.execute("DELETE FROM workspaces WHERE name = ?", (name,))

    def workspaces(self) -> dict[str, str]:
        """name → target, by name."""
        return dict(self.conn.execute("SELECT name, target FROM workspaces ORDER BY name").fetchall())


def _minutes(seconds: float) -> int:
    return max(1, int(-(-seconds // 60)))
