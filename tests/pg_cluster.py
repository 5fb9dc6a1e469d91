"""A throw-away PostgreSQL + PostGIS cluster for the store tests (also usable by hand: ``python tests/pg_cluster.py``).

``PgCluster().start()`` runs initdb in a fresh temp dir (as the ``postgres`` user when we are root: initdb
refuses root), starts the server on a free port listening only on a unix socket in that dir, and
``create_database(name)`` makes a database with ``CREATE EXTENSION postgis``. ``stop()`` stops it (fast mode)
and removes the dir; it is also registered with atexit so an aborted session leaves nothing running.
"""
from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BIN_DIRS = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)


def find_bin() -> Path | None:
    """PostgreSQL's bin dir: $LANDGAP_PG_BIN when set, else Debian's newest /usr/lib/postgresql/N/bin, else PATH."""
    dirs = [os.environ["LANDGAP_PG_BIN"]] if os.environ.get("LANDGAP_PG_BIN") else \
        BIN_DIRS + [os.path.dirname(shutil.which("initdb") or "") or "/nonexistent"]
    for d in dirs:
        if Path(d, "initdb").exists() and Path(d, "pg_ctl").exists():
            return Path(d)
    return None


def postgis_available(bindir: Path) -> bool:
    version = bindir.parent.name                    # /usr/lib/postgresql/15/bin → 15
    return bool(glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"))


def missing_reason() -> str | None:
    """Why the PostGIS tests cannot run here (None: they can)."""
    bindir = find_bin()
    if bindir is None:
        return ("PostgreSQL 未安装（无 initdb/pg_ctl；Debian: apt-get install postgresql postgresql-15-postgis-3，"
                "或 python3 run.py setup）")
    if not postgis_available(bindir):
        return f"PostGIS 未安装（{bindir.parent} 无 postgis 扩展；Debian: apt-get install postgresql-15-postgis-3）"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg 未安装（pip install -r requirements.txt）"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self):
        self.bindir = find_bin()
        self.dir: Path | None = None
        self.port: int | None = None
        self.proc_user = "postgres" if os.geteuid() == 0 else None
        self.running = False

    def _run(self, *cmd, check=True, **kw):
        argv = [str(c) for c in cmd]
        if self.proc_user:
            argv = ["runuser", "-u", self.proc_user, "--", *argv]
        return subprocess.run(argv, check=check, capture_output=True, text=True, **kw)

    def start(self) -> "PgCluster":
        self.dir = Path(tempfile.mkdtemp(prefix="landgap-pg-"))
        if self.proc_user:
            shutil.chown(self.dir, self.proc_user, self.proc_user)
        self.dir.chmod(0o700)
        data = self.dir / "data"
        self.port = _free_port()
        atexit.register(self.stop)
        self._run(self.bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8" if Path("/usr/lib/locale/C.utf8").exists() else "--no-locale")
        # a throw-away cluster: no durability needed against a crash of the server itself (the fault tests kill
        # clients), so no fsync — CREATE DATABASE and commits are then fast on a busy machine
        opts = (f"-c listen_addresses='' -c unix_socket_directories='{self.dir}' -p {self.port} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60 -c shared_buffers=32MB")
        self.running = True                 # from here on stop() runs pg_ctl stop (harmless if it never started)
        self._run(self.bindir / "pg_ctl", "-D", data, "-l", self.dir / "log", "-o", opts, "-w", "-t", "60", "start")
        return self

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@/{dbname}?host={self.dir}&port={self.port}"

    def create_database(self, name: str) -> str:
        import psycopg
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(self.url(name), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        return self.url(name)

    def stop(self) -> None:
        if self.running and self.dir is not None:
            self._run(self.bindir / "pg_ctl", "-D", self.dir / "data", "-m", "immediate", "-w", "stop", check=False)
            self.running = False
        if self.dir is not None and self.dir.exists():
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


if __name__ == "__main__":
    c = PgCluster().start()
    t = time.time()
    print(c.create_database("landgap_demo"), f"{time.time() - t:.2f}s")
    c.stop()
