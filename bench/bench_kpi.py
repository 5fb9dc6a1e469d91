"""Benchmark of the 招商考核 indicators (geo.kpi, `cli.py kpi`) — not part of the test suite.

    .venv/bin/python bench/bench_kpi.py [--projects 5000] [--parcels 10000] [--repeat 5] [--with-match]

Seeds a county (``cli.py seed``'s generator, seed 0) with that many projects — the generated signed and started
ones dated across 2025–2026 — and times the indicators for the 2026 H1 cohort with the match cached (its placement
given: the command's own work beyond the match), median of ``--repeat``. ``--with-match`` also runs the match once
(cold) and times the command's composition on its real result. Target (issue 21): ≤ 1 s with the match cached;
cold = the match's own time plus ≤ 1 s.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from briefing.kpi_text import kpi_from_match  # noqa: E402
from geo.kpi import kpi_report  # noqa: E402
from geo.settings import load_settings  # noqa: E402

SETTINGS = load_settings()
FROM, TO = dt.date(2026, 1, 1), dt.date(2026, 6, 30)


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=5000)
    ap.add_argument("--parcels", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--with-match", action="store_true")
    args = ap.parse_args()
    from seeds.generator import generate_workspace
    ws = generate_workspace(parcels=args.parcels, projects=args.projects, seed=0)
    p = ws.projects
    ids = list(p["project_id"])
    placed = frozenset(ids[::2])                                   # a cached placement: every other project
    reasons = {pid: "OUTCOMPETED" for pid in ids[1::2]}
    rows = []
    secs, k = timed(lambda: kpi_report(p, FROM, TO, settings=SETTINGS.kpi, placed=placed,
                                       unplaced_reasons=reasons), args.repeat)
    rows.append(("indicators, match cached", secs, k))
    if args.with_match:
        import matching
        t = time.perf_counter()
        result = matching.match(ws, settings=SETTINGS, unlocks=False)
        match_s = time.perf_counter() - t
        secs, k = timed(lambda: kpi_from_match(p, result, FROM, TO, settings=SETTINGS.kpi), args.repeat)
        rows.append((f"cold: match {match_s:.1f} s + indicators", secs, k))
    print(f"county: {args.parcels} parcels, {len(p)} projects ({int(p['signed_date'].notna().sum())} dated)")
    print(f"| {'what':<40} | {'s':>6} | cohort | not started | target |")
    print(f"|{'-' * 42}|{'-' * 8}|-------:|------------:|--------|")
    for what, s, k in rows:
        print(f"| {what:<40} | {s:6.3f} | {k.signed_count:6d} | {len(k.not_started):11d} | ≤ 1 s  |")


if __name__ == "__main__":
    main()
