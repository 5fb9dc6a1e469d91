#!/usr/bin/env python3
"""Load test: 20 concurrent browser-less sessions (Streamlit AppTest, one process each: AppTest's runtime is
per process) reading the 用地一张图 and 缺口分析 pages while one editor imports a 500-row land ledger
(土地台账: 500 parcels' status and dates, `cli.py import-parcels` in its own process, through the store).

Checks: no session errors; every reader sees either the old or the new totals (可供 acreage on the map page, the
county gap row on the gap page — never a mix); prints the median page time idle (one session alone), with 20
sessions, and with 20 sessions during the import. Not part of the test suite.

    python bench/bench_load.py [--sessions 20] [--parcels 1000] [--rounds 4]
"""
from __future__ import annotations

import argparse
import os
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
warnings.simplefilter("ignore")
SPANS: list[tuple[float, float]] = []       # every read's (start, end), epoch seconds
PAGES = {"map": ROOT / "pages" / "map_page.py", "gap": ROOT / "pages" / "gap_page.py"}


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
    from geo.supply import available_report
    from geo.units import fmt_mu
    from layers.tables import gap_totals
    avail = fmt_mu(available_report(ws)["total_available_mu"])
    t = gap_totals(matching.match(ws, None, settings=settings))
    return avail, (int(t["pending_count"]), int(t["placed_count"]), int(t["unplaced_count"]), fmt_mu(t["gap_mu"]))


def read_page(kind: str):
    """One session opening a page: (seconds, what it shows, error or None)."""
    from streamlit.testing.v1 import AppTest
    from layers.tables import gap_totals  # noqa: F401 (import outside the timing)
    t0 = time.perf_counter()
    at = AppTest.from_file(str(PAGES[kind]), default_timeout=600).run()
    dt_ = time.perf_counter() - t0
    if at.exception:
        return dt_, None, at.exception[0].message
    m = {x.label: x.value for x in at.metric}
    if kind == "map":
        from geo.vocab import FIELD_LABELS as F
        return dt_, m.get(F["available_mu"]), None
    from geo.vocab import GAP_ZONE_LABELS as G
    return dt_, (int(m[G["pending_count"]]), int(m[G["placed_count"]]), int(m[G["unplaced_count"]]),
                 m[G["unplaced_gap_mu"]]), None


def worker(rounds: int, go: str) -> None:
    """One session in its own process (AppTest's runtime is one per process): warm up (caches, imports),
    say "ready", wait for the go file, then read both pages ``rounds`` times, one JSON line per read."""
    import json
    read_page("map"), read_page("gap")
    print("ready", flush=True)
    while not Path(go).exists():
        time.sleep(0.05)
    for r in range(rounds):
        for kind in ("map", "gap") if r % 2 == 0 else ("gap", "map"):
            t0 = time.time()
            dt_, value, error = read_page(kind)
            print(json.dumps({"kind": kind, "t0": t0, "t1": t0 + dt_, "s": dt_, "value": value, "error": error},
                             ensure_ascii=False), flush=True)


def phase(sessions: int, rounds: int, tmp: Path, during=None) -> list[tuple[str, float, object, str | None]]:
    """``sessions`` processes reading together; ``during`` runs 1 s after they start."""
    import json
    go = tmp / f"go-{time.time_ns()}"
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", str(rounds), str(go)], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
             for _ in range(sessions)]
    for p in procs:
        assert p.stdout.readline().strip() == "ready", "a session failed to start"
    go.touch()
    side = threading.Thread(target=during) if during else None
    if side:
        time.sleep(1.0)
        side.start()
    out = []
    for p in procs:
        for line in p.stdout:
            d = json.loads(line)
            SPANS.append((d["t0"], d["t1"]))
            v = d["value"]
            out.append((d["kind"], d["s"], tuple(v) if isinstance(v, list) else v, d["error"]))
        p.wait()
    if side:
        side.join()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--parcels", type=int, default=1000)
    ap.add_argument("--ledger-rows", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from geo.settings import load_settings
    from geo.workspace import load_workspace
    from seeds.generator import write_county
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    path = tmp / "county.gpkg"
    write_county(path, parcels=args.parcels, seed=0)
    os.environ["LANDGAP_WORKSPACE"] = str(path)
    os.environ.pop("LANDGAP_MODE", None)
    settings = load_settings()
    ws = load_workspace(path)
    ledger = tmp / "土地台账.csv"
    ledger.write_bytes(make_ledger(ws, args.ledger_rows))
    old = totals(ws, settings)

    idle = phase(1, args.rounds, tmp)
    crowd = phase(args.sessions, 1, tmp)
    SPANS.clear()
    imported = {}

    def editor():
        t0 = time.perf_counter()
        imported["t0"] = time.time()
        r = subprocess.run([sys.executable, str(ROOT / "cli.py"), "import-parcels", "--workspace", str(path),
                            "--ledger", str(ledger), "--user", "压测编辑"], capture_output=True, text=True,
                           env=dict(os.environ, PYTHONPATH=str(ROOT)))
        imported.update(rc=r.returncode, out=(r.stdout + r.stderr).strip(), s=time.perf_counter() - t0,
                        t1=time.time())

    loaded = phase(args.sessions, args.rounds, tmp, during=editor)
    new = totals(load_workspace(path), settings)

    print(f"load test — {args.parcels} parcels, {args.sessions} sessions × {args.rounds} rounds × 2 pages; "
          f"import of a {args.ledger_rows}-row land ledger: rc {imported.get('rc')}, {imported.get('s', 0):.1f} s "
          f"({imported.get('out', '')[:80]})")
    overlap = sum(a < imported["t1"] and b > imported["t0"] for a, b in SPANS)
    print(f"reads overlapping the import: {overlap}")
    print(f"totals old: map {old[0]} 亩, gap {old[1]};  new: map {new[0]} 亩, gap {new[1]}")
    print(f"{'phase':34s}{'page':>6s}{'reads':>7s}{'median s':>10s}{'p90 s':>8s}{'errors':>8s}{'old':>6s}{'new':>6s}"
          f"{'other':>7s}")
    bad = 0
    for name, rows in (("idle (1 session)", idle), (f"{args.sessions} sessions", crowd),
                       (f"{args.sessions} sessions + import", loaded)):
        for kind in ("map", "gap"):
            rs = [r for r in rows if r[0] == kind]
            times = sorted(r[1] for r in rs)
            idx = 0 if kind == "map" else 1
            n_old = sum(r[2] == old[idx] for r in rs)
            n_new = sum(r[2] == new[idx] and new[idx] != old[idx] for r in rs)
            errors = [r[3] for r in rs if r[3]]
            other = len(rs) - n_old - n_new - len(errors)
            bad += other + len(errors)
            p90 = times[min(len(times) - 1, int(0.9 * len(times)))] if times else 0
            print(f"{name:34s}{kind:>6s}{len(rs):>7d}{statistics.median(times):>10.2f}{p90:>8.2f}{len(errors):>8d}"
                  f"{n_old:>6d}{n_new:>6d}{other:>7d}")
            for e in errors[:3]:
                print("   error:", e[:200])
    med = {k: statistics.median(r[1] for r in rows if r[0] == k) for rows, k in ((idle, "map"), (idle, "gap"))}
    under = {k: statistics.median(r[1] for r in loaded if r[0] == k) for k in ("map", "gap")}
    print("median under load ÷ idle: " + ", ".join(f"{k} {under[k] / med[k]:.1f}×" for k in med))
    print("PASS" if bad == 0 and imported.get("rc") == 0 else f"FAIL ({bad} reads neither old nor new, or errors)")
    return 0 if bad == 0 and imported.get("rc") == 0 else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(main())
