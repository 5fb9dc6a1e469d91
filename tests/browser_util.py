"""Shared by the browser tests and bench/bench_map.py: start the app on a free port, drive Debian's chromium
with every request that is not to localhost blocked and recorded, and count what Leaflet drew."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}

# Number of parcel features Leaflet projected and drew in the map iframe (canvas renderer: no SVG paths to count).
DRAWN_JS = """() => { const l = window.landgapLayers && window.landgapLayers.parcels;
  if (!l) return null;
  const all = l.getLayers();
  return {total: all.length, drawn: all.filter(x => x._parts && x._parts.length > 0).length,
          drawnAt: window.landgapDrawnAt || null}; }"""


# Parcels MapLibre drew from vector tiles in the map iframe (layers/tile_layer.py): rendered features of the view;
# ``parcels``: the parcels they stand for (an overview feature counts its ``parcels``, layers/tile_overview.py).
TILES_JS = """() => { const t = window.landgapTiles;
  if (!t || !t.gl || !t.drawnAt) return null;
  const f = t.gl.queryRenderedFeatures({layers: ['parcels-fill']});
  return {drawn: f.length, ids: f.slice(0, 50).map(x => x.properties.parcel_id || null),
          parcels: f.reduce((n, x) => n + (x.properties.parcels === undefined ? 1 : x.properties.parcels), 0),
          statuses: Array.from(new Set(f.map(x => x.properties.status))), drawnAt: t.drawnAt}; }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(workspace: Path, extra_env: dict | None = None, script: str = "app.py"):
    """Streamlit serving ``script`` (app.py; server.py: the st.App with the tile route, and the login in the team
    mode) on a free localhost port; yields the base URL."""
    from layers import assets
    if assets.missing():
        assets.install()
    port = free_port()
    from run import SERVER_ENV  # as `run.py app` starts it
    env = dict(os.environ, LANDGAP_WORKSPACE=str(workspace), PYTHONPATH=str(ROOT),
               STREAMLIT_BROWSER_GATHER_USAGE_STATS="false", **SERVER_ENV, **(extra_env or {}))
    env.pop("LANDGAP_TIANDITU_KEY", None)
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / script), "--server.port",
                             str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(Path(log.name).read_text())
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def browser(user_data_dir: str, intercept: bool = False):
    """A Playwright context on Debian's chromium, fresh profile; ``ctx.outside`` lists non-local URLs requested.

    Offline is enforced by chromium itself: every non-loopback request goes to a proxy port where nothing listens
    (chromium never proxies loopback) and no host name resolves except localhost; requests are recorded by a passive
    listener. ``intercept=True`` instead routes every request through Playwright (the former way): that disables
    chromium's HTTP cache and costs an IPC round trip per request (~400 for a Streamlit page), so "warm" visits
    then re-download every script — a test-harness cost no user pays.
    """
    from playwright.sync_api import sync_playwright
    dead = free_port()        # bound then released: connections there are refused
    args = CHROMIUM_ARGS + [f"--proxy-server=http://127.0.0.1:{dead}",
                            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(user_data_dir, executable_path=CHROMIUM, headless=True,
                                                   args=args, viewport={"width": 1400, "height": 1000},
                                                   locale="zh-CN")
        ctx.outside = []

        def outside(url: str) -> bool:
            return (not url.startswith(("data:", "blob:", "about:"))
                    and (urlparse(url).hostname or "") not in LOCAL_HOSTS)

        def record(request):
            if outside(request.url):
                ctx.outside.append(request.url)
        ctx.on("request", record)
        if intercept:
            def guard(route):
                if outside(route.request.url):
                    route.abort()
                else:
                    route.continue_()
            ctx.route("**/*", guard)
        try:
            yield ctx
        finally:
            ctx.close()


def wait_for_map(page, timeout_s: float = 60.0, min_total: int = 1):
    """(frame, counts) once the parcels layer of a map iframe has drawn features."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        for frame in page.frames:
            with contextlib.suppress(Exception):
                counts = frame.evaluate(DRAWN_JS)
                if counts and counts["total"] >= min_total and counts["drawn"] > 0 and counts["drawnAt"]:
                    return frame, counts
        time.sleep(0.05)
    raise AssertionError("地图未在限定时间内绘出地块")


def wait_for_tiles(page, timeout_s: float = 60.0):
    """(frame, counts) once MapLibre has drawn parcels from vector tiles in a map iframe."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        for frame in page.frames:
            with contextlib.suppress(Exception):
                counts = frame.evaluate(TILES_JS)
                if counts and counts["drawn"] > 0:
                    return frame, counts
        time.sleep(0.05)
    raise AssertionError("地图未在限定时间内从矢量切片绘出地块")


def wait_until_idle(page, timeout_ms: int = 90_000) -> None:
    """Until the app's script run has finished: while it runs, the elements of the last run are inert."""
    page.wait_for_function("() => document.querySelector(\"[data-testid='stApp']\")?.dataset.testScriptState"
                           " === 'notRunning'", timeout=timeout_ms)


FIND_MAP = "const m = Object.values(window).find(v => v instanceof L.Map);"
"""JavaScript that finds the page's Leaflet map as ``m`` (folium keeps it in a global)."""


def draw_square(page, frame) -> list[dict]:
    """Draw a square (half the map's smaller side, centred) with leaflet-draw's polygon tool, clicked as a planner
    would, closing it on the first corner; wait for the page's 绘制范围. Returns the corners: pixel x, y and the
    lat, lng the map gives them."""
    import re

    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    corners = frame.evaluate("""() => { """ + FIND_MAP + """
        const s = m.getSize(), c = [Math.round(s.x / 2), Math.round(s.y / 2)], d = Math.round(Math.min(s.x, s.y) / 4);
        return [[-d, -d], [d, -d], [d, d], [-d, d]].map(([dx, dy]) => {
            const ll = m.containerPointToLatLng([c[0] + dx, c[1] + dy]);
            return {x: c[0] + dx, y: c[1] + dy, lat: ll.lat, lng: ll.lng}; }); }""")
    frame.locator(".leaflet-draw-draw-polygon").click()
    box = frame.frame_element().bounding_box()
    vertices = frame.locator(".leaflet-editing-icon")

    def click_until(pt: dict, count: str, n: int) -> None:
        # leaflet-draw ignores a mousedown within 50 ms (a timer) of the last vertex; on a busy page the browser
        # runs queued input before that timer, so a click can be dropped: click again as a planner would
        for _ in range(3):
            page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
            try:
                frame.wait_for_function(f"n => document.querySelectorAll('.leaflet-editing-icon').length {count} n",
                                        arg=n, timeout=5_000)
                return
            except PlaywrightTimeout:
                continue
    for i, pt in enumerate(corners):
        click_until(pt, ">=", i + 1)
        assert vertices.count() == i + 1, f"第 {i + 1} 个角点未落下"
    click_until(corners[0], "===", 0)                # the first corner closes it: the vertex markers go
    page.get_by_text(re.compile(r"绘制范围")).first.wait_for(timeout=30_000)
    return corners
