"""Leaflet and its plugins, served by the app itself: the map must work on an intranet with no internet.

The files come from the npm packages pinned in assets/package.json + package-lock.json (``npm ci``) and are copied
into static/vendor/ (git-ignored), which Streamlit serves at /app/static/vendor/ (.streamlit/config.toml).
Standard library only: ``python -m layers.assets`` runs from run.py's set-up before anything else is imported.

``LANDGAP_VENDOR_DIR`` (``Settings.runtime.vendor_dir``, passed in as ``vendor``; ``--vendor DIR`` when run as a
module) names another folder to look for (and install) the files in — the tests point it at an empty folder to see
what a user who skipped the set-up sees. Streamlit itself only serves static/ next to app.py.
"""
from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NPM_DIR = ROOT / "assets"
VENDOR = ROOT / "static" / "vendor"
URL_PREFIX = "/app/static/vendor/"

# (name, npm file under node_modules, vendor path) — the order is the load order.
JS: list[tuple[str, str, str]] = [
    ("leaflet", "leaflet/dist/leaflet.js", "leaflet/leaflet.js"),
    ("leaflet_draw_js", "leaflet-draw/dist/leaflet.draw.js", "leaflet-draw/leaflet.draw.js"),
    # vector tiles (layers/tile_layer.py): MapLibre GL draws them (WebGL) inside a Leaflet layer
    ("maplibre_gl_js", "maplibre-gl/dist/maplibre-gl.js", "maplibre-gl/maplibre-gl.js"),
    ("maplibre_gl_leaflet_js", "@maplibre/maplibre-gl-leaflet/leaflet-maplibre-gl.js",
     "maplibre-gl-leaflet/leaflet-maplibre-gl.js"),
]
CSS: list[tuple[str, str, str]] = [
    ("leaflet_css", "leaflet/dist/leaflet.css", "leaflet/leaflet.css"),
    ("leaflet_draw_css", "leaflet-draw/dist/leaflet.draw.css", "leaflet-draw/leaflet.draw.css"),
    ("maplibre_gl_css", "maplibre-gl/dist/maplibre-gl.css", "maplibre-gl/maplibre-gl.css"),
]
IMAGE_DIRS: list[tuple[str, str]] = [("leaflet/dist/images", "leaflet/images"),
                                     ("leaflet-draw/dist/images", "leaflet-draw/images")]


CACHE = ROOT / "static" / "cache"
CACHE_PREFIX = "/app/static/cache/"


def cached_json_url(text: str, max_mb: float) -> str:
    """Write layer data once under static/cache/ (named by its hash) and return the URL the map fetches it from;
    a new file prunes the cache to ``max_mb`` (``Settings.app.cache_max_mb``).

    A large layer fetched by the map (JSON.parse, in parallel) opens much faster than the same data embedded in
    the component's script, which Streamlit ships over its websocket and the browser must parse as JavaScript.
    """
    return cached_url(text.encode("utf-8"), ".json", max_mb)


def cached_data_url(data_url: str, max_mb: float) -> str:
    """A ``data:image/…;base64,…`` URI (the hillshade, the slope overlay: megabytes at a large county) as a file
    under static/cache/: the browser fetches and caches it instead of receiving it with every map."""
    import base64 as b64
    head, _, body = data_url.partition(",")
    suffix = ".png" if "png" in head else ".jpg"
    return cached_url(b64.b64decode(body), suffix, max_mb)


def cached_url(content: bytes, suffix: str, max_mb: float) -> str:
    """``content`` once under static/cache/ as ``<hash><suffix>``; its URL. A new file prunes the cache."""
    import hashlib
    name = hashlib.sha1(content).hexdigest()[:20] + suffix
    path = CACHE / name
    if path.exists():
        os.utime(path)                      # recently used: pruned last
    else:
        CACHE.mkdir(parents=True, exist_ok=True)
        # per process and thread: sessions (and test workers) may write the same layer at once
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(content)
        tmp.replace(path)
        prune_cache(max_mb * 1e6, keep=path)
    return CACHE_PREFIX + name


def prune_cache(max_bytes: float, keep: Path | None = None) -> list[Path]:
    """Delete the least recently used layer files until static/cache/ holds at most ``max_bytes`` (never ``keep``,
    the file just served). Returns what was deleted."""
    files = sorted(((f.stat().st_mtime, f) for f in CACHE.iterdir()
                    if f.suffix in (".json", ".png", ".jpg") and f != keep), reverse=True)
    total = sum(f.stat().st_size for _, f in files) + (keep.stat().st_size if keep and keep.exists() else 0)
    gone = []
    while files and total > max_bytes:
        _, f = files.pop()
        size = f.stat().st_size
        f.unlink(missing_ok=True)
        total -= size
        gone.append(f)
    return gone


def url(vendor_path: str) -> str:
    return URL_PREFIX + vendor_path


INSTALL_COMMANDS = ("python3 run.py setup", "python -m layers.assets")


def vendor_dir(configured: str = "") -> Path:
    """Where the vendor files are: ``configured`` ($LANDGAP_VENDOR_DIR, ``Settings.runtime.vendor_dir``) when set,
    else static/vendor/."""
    return Path(configured) if configured else VENDOR


def missing(vendor: Path | None = None) -> list[str]:
    """Vendor files not yet installed (in ``vendor``, default ``vendor_dir()``)."""
    vendor = vendor or vendor_dir()
    return [v for _, _, v in JS + CSS if not (vendor / v).exists()]


def _modules_current() -> bool:
    """node_modules holds exactly the pinned packages (an earlier ``npm ci``): copying needs no npm and no network."""
    stamp = NPM_DIR / "node_modules" / ".landgap-lock"
    lock = NPM_DIR / "package-lock.json"
    return stamp.exists() and lock.exists() and stamp.read_text() == lock.read_text()


def setup_problem(vendor: Path | None = None, static_serving: bool = True) -> str | None:
    """What stops the map from drawing, in Chinese with the command that fixes it; None when nothing does.

    ``vendor``: where the files should be (default ``vendor_dir()``). ``static_serving``: Streamlit's
    ``server.enableStaticServing``, which .streamlit/config.toml turns on only when the app starts in the project
    folder (Streamlit reads the config of its working directory).
    """
    vendor = vendor or vendor_dir()
    gone = missing(vendor)
    if gone:
        setup, module = INSTALL_COMMANDS
        return (f"地图前端资源（Leaflet）未安装，地图无法显示：{vendor} 下缺少 {'、'.join(gone)}。"
                f"请在项目目录运行 `{setup}`（或在已装好依赖的环境中运行 `{module}`），然后刷新本页。")
    if not static_serving:
        return (f"本应用需要 Streamlit 的静态文件服务（server.enableStaticServing）来提供地图前端资源，当前未开启，"
                f"地图无法显示。请在项目目录启动：`cd {ROOT} && streamlit run app.py`（读取 .streamlit/config.toml），"
                f"或运行 `python3 run.py app`。")
    return None


def install(force: bool = False, vendor: Path | None = None) -> None:
    """``npm ci`` in assets/ (when node_modules is missing or stale) and copy the files into ``vendor``
    (default ``vendor_dir()``: static/vendor/)."""
    vendor = vendor or vendor_dir()
    modules = NPM_DIR / "node_modules"
    lock = NPM_DIR / "package-lock.json"
    stamp = modules / ".landgap-lock"
    if force or not _modules_current():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("缺少 npm：请安装 Node.js / npm（Debian: apt-get install npm）后重试")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=NPM_DIR, check=True)
        stamp.write_text(lock.read_text())
    for _, src, dst in JS + CSS:
        (vendor / dst).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(modules / src, vendor / dst)
    for src, dst in IMAGE_DIRS:
        shutil.copytree(modules / src, vendor / dst, dirs_exist_ok=True)


def _css_inline(vendor_path: str, vendor: Path) -> str:
    """A stylesheet with its relative url(images/…) turned into data: URIs, so it works inside one HTML file."""
    css_path = vendor / vendor_path
    text = css_path.read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        ref = match.group(1).strip("'\"")
        if ref.startswith("data:") or "://" in ref:
            return match.group(0)
        file = (css_path.parent / ref).resolve()
        if not file.exists():
            return match.group(0)
        mime = "image/svg+xml" if file.suffix == ".svg" else f"image/{file.suffix.lstrip('.')}"
        return f"url(data:{mime};base64,{base64.b64encode(file.read_bytes()).decode()})"
    return re.sub(r"url\(([^)]+)\)", data_uri, text)


def inline_assets(html: str, vendor: Path | None = None) -> str:
    """Replace every <script src>/<link href> to our vendor files (in ``vendor``, default ``vendor_dir()``) by the
    file's content (standalone offline HTML)."""
    vendor = vendor or vendor_dir()
    for _, _, v in JS:
        tag = re.compile(r'<script[^>]*src="' + re.escape(url(v)) + r'"[^>]*>\s*</script>')
        body = (vendor / v).read_text(encoding="utf-8").replace("</script", "<\\/script")
        html = tag.sub(lambda _m, b=body: f"<script>{b}</script>", html)
    for _, _, v in CSS:
        tag = re.compile(r'<link[^>]*href="' + re.escape(url(v)) + r'"[^>]*/?>')
        body = _css_inline(v, vendor)
        html = tag.sub(lambda _m, b=body: f"<style>{b}</style>", html)
    return html


if __name__ == "__main__":
    # run.py passes $LANDGAP_VENDOR_DIR as --vendor DIR
    where = vendor_dir(sys.argv[sys.argv.index("--vendor") + 1] if "--vendor" in sys.argv else "")
    install(force="--force" in sys.argv, vendor=where)
    print(f"地图前端资源已安装到 {where}")
