"""Accounts of the team mode: argon2 hashes, roles, lockout after the configured wrong passwords, sessions that
expire (injected clock), and the `cli.py user` round trip (password from stdin, never an argument)."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from team.accounts import AccountError, Accounts, LoginError, role_allows

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_800_000_000.0


@pytest.fixture
def policy(settings):
    return dataclasses.replace(settings.accounts, max_failures=3, lockout_minutes=10, session_minutes=30)


@pytest.fixture
def acc(tmp_path, policy):
    with Accounts(tmp_path / "accounts.sqlite", policy) as a:
        a.add("王科长", "editor", "correct-horse", now=T0)
        yield a


def test_password_is_stored_as_an_argon2_hash(acc):
    stored = acc.conn.execute("SELECT hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$") and "correct-horse" not in stored
    assert acc.login("王科长", "correct-horse", now=T0).role == "editor"


def test_wrong_password_locks_out_after_the_configured_tries(acc, policy):
    for left in (2, 1):
        with pytest.raises(LoginError, match=f"还可再试 {left} 次"):
            acc.login("王科长", "wrong", now=T0)
    with pytest.raises(LoginError, match="锁定"):
        acc.login("王科长", "wrong", now=T0)
    # locked: even the right password is refused until the lockout ends
    with pytest.raises(LoginError, match="锁定"):
        acc.login("王科长", "correct-horse", now=T0 + 60)
    assert acc.login("王科长", "correct-horse", now=T0 + policy.lockout_minutes * 60 + 1)
    # a success resets the count: two more wrong tries do not lock
    for _ in range(policy.max_failures - 1):
        with pytest.raises(LoginError, match="还可再试"):
            acc.login("王科长", "wrong", now=T0 + 1000)


def test_a_reset_password_unlocks(acc):
    for _ in range(3):
        with pytest.raises(LoginError):
            acc.login("王科长", "wrong", now=T0)
    acc.set_password("王科长", "new-password-1", now=T0)
    assert acc.login("王科长", "new-password-1", now=T0 + 1).name == "王科长"


def test_unknown_name_reads_like_a_wrong_password(acc):
    with pytest.raises(LoginError) as exc:
        acc.login("无此人", "whatever", now=T0)
    assert str(exc.value) == "账号或密码错误"


def test_session_expires_after_session_minutes_of_inactivity(acc, policy):
    s = acc.login("王科长", "correct-horse", now=T0)
    limit = policy.session_minutes * 60
    assert acc.session(s.token, now=T0 + limit - 1).name == "王科长"          # use moves the expiry on
    assert acc.session(s.token, now=T0 + 2 * limit - 2) is not None
    assert acc.session(s.token, now=T0 + 3 * limit) is None                  # idle too long
    assert acc.session(s.token, now=T0 + 3 * limit - 100) is None            # and removed for good
    assert acc.conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_disabling_ends_sessions_and_refuses_login(acc):
    s = acc.login("王科长", "correct-horse", now=T0)
    acc.set_disabled("王科长")
    assert acc.session(s.token, now=T0 + 1) is None
    with pytest.raises(LoginError, match="停用"):
        acc.login("王科长", "correct-horse", now=T0 + 2)


def test_only_the_token_hash_is_stored(acc):
    s = acc.login("王科长", "correct-horse", now=T0)
    stored = [r[0] for r in acc.conn.execute("SELECT token_sha256 FROM sessions")]
    assert stored and s.token not in stored


def test_bad_input_is_refused(acc):
    with pytest.raises(AccountError, match="已存在"):
        acc.add("王科长", "viewer", "another-pass")
    with pytest.raises(AccountError, match="至少"):
        acc.add("李四", "viewer", "short")
    with pytest.raises(AccountError, match="未知角色"):
        acc.add("李四", "root", "long-enough")


def test_roles_are_ordered():
    assert role_allows("admin", "editor") and role_allows("editor", "viewer") and role_allows("viewer", "viewer")
    assert (not role_allows("viewer", "editor") and not role_allows("editor", "admin")
            and not role_allows(None, "viewer"))


def _cli(*args, stdin: str = "", db: Path):
    import os
    env = dict(os.environ, PYTHONPATH=str(ROOT), LANDGAP_ACCOUNTS_DB=str(db))
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], input=stdin, capture_output=True,
                          text=True, env=env, cwd=ROOT)


def test_cli_user_round_trip(tmp_path, settings):
    db = tmp_path / "acc.sqlite"
    out = _cli("user", "add", "--name", "赵六", "--role", "viewer", "--password-stdin", stdin="first-pass\n", db=db)
    assert out.returncode == 0, out.stderr
    assert "--password" not in " ".join(_cli("user", "add", "--help", db=db).stdout.split("--password-stdin"))
    with Accounts(db, settings.accounts) as a:
        assert a.login("赵六", "first-pass").role == "viewer"
    assert _cli("user", "passwd", "--name", "赵六", "--role", "editor", "--password-stdin", stdin="second-pass\n",
                db=db).returncode == 0
    with Accounts(db, settings.accounts) as a:
        with pytest.raises(LoginError):
            a.login("赵六", "first-pass")
        assert a.login("赵六", "second-pass").role == "editor"
    assert _cli("user", "disable", "--name", "赵六", db=db).returncode == 0
    with Accounts(db, settings.accounts) as a:
        with pytest.raises(LoginError, match="停用"):
            a.login("赵六", "second-pass")
    listed = _cli("user", "list", "--json", db=db)
    assert '"disabled": true' in listed.stdout
    dup = _cli("user", "add", "--name", "赵六", "--password-stdin", stdin="x-long-pass\n", db=db)
    assert dup.returncode == 1 and "已存在" in dup.stderr
