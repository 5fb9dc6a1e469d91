#!/usr/bin/env python3
"""One entry point that sets itself up on a fresh machine (only Python needed), then runs the app or the tests.

    python3 run.py app     # the single-user desktop mode: the sample county, 127.0.0.1 only, no login
    python3 run.py serve   # the team mode: on the network (0.0.0.0, [accounts] port), login and roles (server.py)
    python3 run.py test    # run the whole test suite (unit, AppTest, real browser)

Set-up (idempotent, skipped when already done): a virtualenv in .venv with requirements.txt (and, for ``test`` and
``setup``, requirements-dev.txt: the test and lint tools), and, for the tests and PDF briefings, the Debian packages
below (installed with apt-get when running as root).
Standard library only: this file runs before anything is installed.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
STAMP = VENV / ".requirements.sha256"
REQUIREMENTS = ROOT / "requirements.txt"
DEV_REQUIREMENTS = ROOT / "requirements-dev.txt"     # tests, browser, linters (import-linter, ruff)

# Debian packages: a real browser for the browser tests, CJK fonts for maps and briefings, poppler for PDF checks,
# LibreOffice Writer (no GUI; ~260 MB installed) to turn the briefing's DOCX into PDF, a 楷体 (AR PL UKai, 17 MB)
# for the briefing's （一） headings.
# PostgreSQL 15 with PostGIS 3 for the team store's tests (a throw-away cluster in a temp dir: tests/pg_cluster.py).
APT_PACKAGES = ["chromium", "fonts-noto-cjk", "poppler-utils", "libreoffice-writer-nogui", "fonts-arphic-ukai",
                "postgresql", "postgresql-15-postgis-3"]
# Commands that tell whether each package is present (dpkg may be absent on non-Debian machines).
APT_PROBES = {"chromium": "/usr/bin/chromium", "fonts-noto-cjk": "/usr/share/fonts/opentype/noto",
              "poppler-utils": "/usr/bin/pdftotext", "libreoffice-writer-nogui": "/usr/bin/soffice",
              "fonts-arphic-ukai": "/usr/share/fonts/truetype/arphic/ukai.ttc",
              "postgresql": "/usr/lib/postgresql/15/bin/initdb",
              "postgresql-15-postgis-3": "/usr/share/postgresql/15/extension/postgis.control"}


def sh(cmd: list[str], **kw) -> None:
    print("+", " ".join(map(str, cmd)), flush=True)
    subprocess.run(cmd, check=True, **kw)


def ensure_venv(dev: bool = False) -> None:
    """The virtualenv with requirements.txt, and requirements-dev.txt too for ``test`` and ``setup``; installed again
    when a file changed (the stamp holds the digest of each file installed)."""
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    files = [REQUIREMENTS, DEV_REQUIREMENTS] if dev else [REQUIREMENTS]
    wanted = {f"{f.name}:{hashlib.sha256(f.read_bytes()).hexdigest()}" for f in files}
    done = set(STAMP.read_text().split()) if STAMP.exists() else set()
    if not wanted <= done:
        # requirements-dev.txt includes requirements.txt (-r): one install covers both
        sh([str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", str(files[-1])])
        names = {f.name for f in files}
        STAMP.write_text("\n".join(sorted({d for d in done if d.split(":")[0] not in names} | wanted)) + "\n")


def ensure_system_packages() -> None:
    missing = [p for p in APT_PACKAGES if not Path(APT_PROBES.get(p, "/nonexistent")).exists()]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(f"注意：缺少系统软件包 {' '.join(missing)}，请以 root 运行本命令或手动 apt-get install；"
              "相关测试将被跳过。", file=sys.stderr)
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sh(["apt-get", "update", "-qq"], env=env)
    sh(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)


FONTCONFIG = ROOT / "config" / "fontconfig" / "fonts.conf"
OFFICIAL_FONTS = ("方正小标宋简体", "黑体", "楷体_GB2312", "仿宋_GB2312", "宋体")


def check_fonts() -> None:
    """The project's fontconfig set-up (config/fontconfig/fonts.conf; the briefing's PDF and figures use it):
    say which installed font stands in for each official 公文 face, and warn when one has no Chinese."""
    if not shutil.which("fc-match"):
        return
    env = dict(os.environ, FONTCONFIG_FILE=os.environ.get("LANDGAP_FONTCONFIG") or str(FONTCONFIG))
    for name in OFFICIAL_FONTS:
        out = subprocess.run(["fc-match", "--format", "%{family[0]}\t%{style[0]}\t%{lang}", name], env=env,
                             capture_output=True, text=True).stdout.split("\t")
        ok = len(out) == 3 and "zh-cn" in out[2].split("|")
        print(f"字体 {name} → {' '.join(out[:2]) if ok else '无中文字体'}", file=sys.stdout if ok else sys.stderr)


def ensure_map_assets() -> None:
    """Leaflet and its plugins for the offline map: `npm ci` of assets/package-lock.json → static/vendor/."""
    if not shutil.which("npm") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        sh(["apt-get", "update", "-qq"], env=env)
        sh(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "npm"], env=env)
    vendor = os.environ.get("LANDGAP_VENDOR_DIR")        # layers.assets reads no environment: told here
    sh([str(PY), "-m", "layers.assets", *(["--vendor", vendor] if vendor else [])], cwd=ROOT)


def serve_settings() -> tuple[int, int]:
    """[accounts] port and [uploads] max_file_mb (as Streamlit's whole-MB server.maxUploadSize) of the
    configuration (the venv's Python reads it: tomllib needs 3.11); 8501 and 200 when it cannot be read."""
    out = subprocess.run([str(PY), "-c", "import math; from geo.settings import load_settings; s = load_settings(); "
                          "print(s.accounts.port, max(1, math.ceil(s.uploads.max_file_mb)))"], cwd=ROOT,
                         capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    values = out.stdout.split()
    ok = out.returncode == 0 and len(values) == 2 and all(v.isdigit() for v in values)
    return (int(values[0]), int(values[1])) if ok else (8501, 200)


# The app server's own environment: glibc gives each thread its own heap arena (up to 8 per core), and what one
# arena freed another cannot reuse; Streamlit's and the tile route's threads kept a province's (1M parcels)
# server ~50 MB higher. Two arenas, as Python web servers commonly run.
SERVER_ENV = {"MALLOC_ARENA_MAX": "2"}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("app", "serve", "test", "setup"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_venv(dev=command in ("test", "setup"))
    ensure_map_assets()
    env = dict(os.environ, PYTHONPATH=str(ROOT), STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    if command == "setup":
        ensure_system_packages()
        check_fonts()
        return 0
    if command in ("app", "serve"):
        env.update(SERVER_ENV)
    if command == "app":          # desktop: this machine only, no login (pages/auth.py); server.py: app.py + tiles
        return subprocess.call([str(PY), "-m", "streamlit", "run", str(ROOT / "server.py"),
                                "--server.address", "127.0.0.1", *rest], cwd=ROOT, env=env)
    if command == "serve":        # team: every interface, login required (server.py: the HTTP login), roles enforced
        env["LANDGAP_MODE"] = "team"
        port, max_upload_mb = serve_settings()      # uploads: team.uploads checks the same limit server-side
        return subprocess.call([str(PY), "-m", "streamlit", "run", str(ROOT / "server.py"), "--server.address",
                                "0.0.0.0", "--server.port", str(port), "--server.maxUploadSize", str(max_upload_mb),
                                *rest], cwd=ROOT, env=env)
    ensure_system_packages()
    # the suite is CPU-bound in one process: one worker per core (at most 4: each starts its own PostGIS cluster
    # and browser), a test file kept on one worker (its module fixtures are built once)
    workers = str(min(4, os.cpu_count() or 1))
    return subprocess.call([str(PY), "-m", "pytest", "-q", "-n", workers, "--dist", "loadfile", *rest], cwd=ROOT,
                           env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
