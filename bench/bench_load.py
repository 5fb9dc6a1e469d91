#!/usr/bin/env python3
"""Load test of the team mode: one real server (`python3 run.py serve`: login, roles, GeoPackage store) on
loopback, 20 browser-less sessions (websocket clients speaking Streamlit's protocol, bench/st_client.py, each
logged in with its own 查看 account's cookie) reading 用地一张图 and 缺口分析 while one editor imports a 500-row
land ledger (土地台账: 500 parcels' status and dates, `cli.py import-parcels` in its own process, through the store).

A session behaves like a planner: opens a page, reads it for a think time (uniform between --think-min and
--think-max seconds), opens the other page, and so on. Checks: no errors; every read shows either the old or the
new totals (可供 acreage on the map page, the county gap figures on the gap page — never a mix). Prints the median
page time idle (one session alone), with 20 sessions, and with 20 sessions during the import; and, as a stress
figure, 20 sessions with no think time at all. Not part of the test suite.

    python bench/bench_load.py [--sessions 20] [--parcels 1000] [--seconds 60]
"""
from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
warnings.simplefilter("ignore")
PY = sys.executable


def make_ledger(ws, rows: int) -> bytes:
    """500 parcels of the county: the available ones become 已供, the others keep status and date."""
    from geo.vocab import PARCEL_STATUS_LABELS as P
    p = ws.parcels.head(rows)
    lines = ["地块编号,供地状态,预计可供时间"]
    for pid, s, d in zip(p["parcel_id"], p["status"], p["ready_date"]):
        lines.append(f"{pid},{P['supplied'] if s == 'available' else P[s]},"
                     f"{'' if d is None or str(d) == 'NaT' else str(d)[:10]}")
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def totals(ws, settings) -> tuple[str, tuple]:
    """What the pages show: the map's 可供 metric text and the gap page's county row."""
    import matching
    from formats.dem import with_steep_land
    ws = with_steep_land(ws, settings.terrain.max_slope_pct)      # as the app loads it
    from geo.supply import available_report
    from geo.units import fmt_mu
    from layers.tables import gap_totals
    avail = fmt_mu(available_report(ws, settings=settings).total_available_mu)
    t = gap_totals(matching.match(ws, None, settings=settings))
    return avail, (int(t["pending_count"]), int(t["placed_count"]), int(t["unplaced_count"]), fmt_mu(t["gap_mu"]))


def shown(kind: str, run) -> tuple | str | None:
    """What a page showed of the totals: the map's 可供 metric, the gap page's county figures."""
    from geo.vocab import FIELD_LABELS as F, GAP_ZONE_LABELS as G
    m = run.metrics
    if kind == "map":
        return m.get(F["available_mu"])
    keys = ("pending_count", "placed_count", "unplaced_count", "unplaced_gap_mu")
    return tuple(int(m[G[k]]) if k.endswith("count") else m[G[k]] for k in keys) if all(G[k] in m for k in keys) \
        else None


class Reader(threading.Thread):
    """One planner's browser tab: pages alternately, a think time between them, until ``stop`` is set."""

    def __init__(self, port: int, cookie: str, think: tuple[float, float], stop: threading.Event, seed: int):
        super().__init__(daemon=True)
        self.port, self.cookie, self.think, self.stop, self.rng = port, cookie, think, stop, random.Random(seed)
        self.reads: list[dict] = []

    def run(self) -> None:
        from st_client import Session
        s = Session(self.port, self.cookie)
        kinds = ["map", "gap"] if self.rng.random() < 0.5 else ["gap", "map"]
        time.sleep(self.rng.uniform(0, self.think[1]))          # tabs do not all open at the same instant
        i = 0
        while not self.stop.is_set():
            kind = kinds[i % 2]
            t0 = time.time()
            try:
                r = s.open(kind)
                err = "; ".join(e for e in r.exceptions if not e.startswith("page not found")) or \
                    (None if r.finished else "unfinished")
                self.reads.append({"kind": kind, "t0": t0, "t1": t0 + r.seconds, "s": r.seconds,
                                   "value": shown(kind, r), "error": err})
            except Exception as exc:                          # a dropped connection is an error to report
                self.reads.append({"kind": kind, "t0": t0, "t1": time.time(), "s": time.time() - t0,
                                   "value": None, "error": repr(exc)})
                s = Session(self.port, self.cookie)
            i += 1
            if self.think[1] > 0:
                self.stop.wait(self.rng.uniform(*self.think))
        s.close()


def phase(port: int, cookies: list[str], think: tuple[float, float], seconds: float, during=None) -> list[dict]:
    """len(cookies) sessions reading for ``seconds`` (and until ``during``, started after a sixth of them, has
    ended)."""
    stop = threading.Event()
    readers = [Reader(port, c, think, stop, i) for i, c in enumerate(cookies)]
    for r in readers:
        r.start()
    side = threading.Thread(target=during) if during else None
    t_end = time.time() + seconds
    if side:
        time.sleep(seconds / 6)
        side.start()
    time.sleep(max(0.0, t_end - time.time()))
    if side:
        side.join()
    stop.set()
    for r in readers:
        r.join()
    return [x for r in readers for x in r.reads]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp: Path, env: dict) -> tuple[subprocess.Popen, int]:
    """`python3 run.py serve` on a free port (its [accounts] port, through a LANDGAP_CONFIG override)."""
    import urllib.request
    port = free_port()
    cfg = tmp / "override.toml"
    cfg.write_text(f"[accounts]\nport = {port}\n", encoding="utf-8")
    env = dict(env, LANDGAP_CONFIG=str(cfg))
    proc = subprocess.Popen([PY, str(ROOT / "run.py"), "serve", "--server.headless", "true"], cwd=ROOT, env=env,
                            stdout=open(tmp / "server.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(600):
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).status == 200:
                return proc, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start: " + (tmp / "server.log").read_text()[-2000:])


def summary(name: str, rows: list[dict], old, new) -> tuple[int, dict]:
    bad, med = 0, {}
    for kind in ("map", "gap"):
        rs = [r for r in rows if r["kind"] == kind]
        idx = 0 if kind == "map" else 1
        value = [tuple(r["value"]) if isinstance(r["value"], list) else r["value"] for r in rs]
        n_old = sum(v == old[idx] for v in value)
        n_new = sum(v == new[idx] and new[idx] != old[idx] for v in value)
        errors = [r["error"] for r in rs if r["error"]]
        other = len(rs) - n_old - n_new - len(errors)
        bad += other + len(errors)
        times = sorted(r["s"] for r in rs)
        med[kind] = statistics.median(times) if times else float("nan")
        p90 = times[min(len(times) - 1, int(0.9 * len(times)))] if times else 0
        print(f"{name:36s}{kind:>6s}{len(rs):>7d}{med[kind]:>10.3f}{p90:>8.3f}{len(errors):>8d}{n_old:>6d}"
              f"{n_new:>6d}{other:>7d}")
        for e in errors[:3]:
            print("   error:", str(e)[:200])
    return bad, med


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--parcels", type=int, default=1000)
    ap.add_argument("--ledger-rows", type=int, default=500)
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each phase with many sessions")
    ap.add_argument("--think-min", type=float, default=2.0)
    ap.add_argument("--think-max", type=float, default=8.0)
    args = ap.parse_args()
    from geo.settings import load_settings
    from seeds.generator import write_county
    from stores.gpkg_file import load_workspace
    from team.accounts import Accounts
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    path = tmp / "county.gpkg"
    write_county(path, parcels=args.parcels, seed=0)
    settings = load_settings()
    env = dict(os.environ, PYTHONPATH=str(ROOT), LANDGAP_ACCOUNTS_DB=str(tmp / "accounts.sqlite"))
    env.pop("LANDGAP_WORKSPACE", None)
    os.environ["LANDGAP_ACCOUNTS_DB"] = env["LANDGAP_ACCOUNTS_DB"]
    password = "load-test-密码-2026"
    with Accounts(Path(env["LANDGAP_ACCOUNTS_DB"]), settings.accounts) as acc:
        acc.register_workspace("压测县", str(path), "bench")
        cookies = []
        for i in range(args.sessions):
            acc.add(f"查看员{i:02d}", "viewer", password)
            cookies.append(f"landgap_session={acc.login(f'查看员{i:02d}', password).token}")
        acc.add("压测编辑", "editor", password)
    ws = load_workspace(path, settings)
    ledger = tmp / "土地台账.csv"
    ledger.write_bytes(make_ledger(ws, args.ledger_rows))
    old = totals(ws, settings)
    server, port = start_server(tmp, env)
    think = (args.think_min, args.think_max)
    try:
        phase(port, cookies[:2], (0, 0), 8)                       # warm up: imports, caches, the first render
        idle = phase(port, cookies[:1], (0.5, 1.0), args.seconds / 2)   # one planner alone
        crowd = phase(port, cookies, think, args.seconds)
        imported = {}

        def editor():
            t0 = time.perf_counter()
            imported["t0"] = time.time()
            r = subprocess.run([PY, str(ROOT / "cli.py"), "import-parcels", "--workspace", str(path), "--ledger",
                                str(ledger), "--user", "压测编辑"], capture_output=True, text=True, env=env)
            imported.update(rc=r.returncode, out=(r.stdout + r.stderr).strip(), s=time.perf_counter() - t0,
                            t1=time.time())

        loaded = phase(port, cookies, think, args.seconds, during=editor)
        new = totals(load_workspace(path, settings), settings)
        stress = phase(port, cookies, (0, 0), args.seconds / 3)
    finally:
        os.killpg(server.pid, 15)
        server.wait()

    print(f"load test — `run.py serve` on loopback, {args.parcels}-parcel county (GeoPackage store); "
          f"{args.sessions} sessions, think time {think[0]:g}–{think[1]:g} s; import of a {args.ledger_rows}-row "
          f"land ledger: rc {imported.get('rc')}, {imported.get('s', 0):.1f} s ({imported.get('out', '')[:80]})")
    overlap = sum(r["t0"] < imported["t1"] and r["t1"] > imported["t0"] for r in loaded)
    print(f"reads overlapping the import: {overlap}")
    print(f"totals old: map {old[0]} 亩, gap {old[1]};  new: map {new[0]} 亩, gap {new[1]}")
    print(f"{'phase':36s}{'page':>6s}{'reads':>7s}{'median s':>10s}{'p90 s':>8s}{'errors':>8s}{'old':>6s}{'new':>6s}"
          f"{'other':>7s}")
    bad = 0
    meds = {}
    for name, rows, o, n in (("idle (1 session)", idle, old, old), (f"{args.sessions} sessions", crowd, old, old),
                             (f"{args.sessions} sessions + import", loaded, old, new),
                             (f"{args.sessions} sessions, no think time", stress, new, new)):
        b, meds[name] = summary(name, rows, o, n)
        bad += b
    idle_m, under = meds["idle (1 session)"], meds[f"{args.sessions} sessions + import"]
    stress_m = meds[f"{args.sessions} sessions, no think time"]
    print("median under load ÷ idle: " + ", ".join(f"{k} {under[k] / idle_m[k]:.2f}×" for k in idle_m) +
          "   (stress, no think time: " + ", ".join(f"{k} {stress_m[k] / idle_m[k]:.1f}×" for k in idle_m) + ")")
    ok = bad == 0 and imported.get("rc") == 0 and overlap > 0
    print("PASS" if ok else f"FAIL ({bad} reads neither old nor new, or errors; import rc {imported.get('rc')})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
