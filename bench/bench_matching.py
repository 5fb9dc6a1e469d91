"""Benchmark of the matching engine on seeded counties (not part of the test suite).

    .venv/bin/python bench/bench_matching.py [--sizes 1000:50,10000:500,100000:5000] [--repeat 3] [--seeds 0,1,2,3]

Prints a table of medians: workspace generation, fit (cold = first call, which solves the committed projects'
placement; warm = later calls on the same workspace), match without and with the unlock search, MILP status and
gap, and how far the greedy spreadsheet method (priority first, first block that fits) falls short.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.settings import load_settings  # noqa: E402
from matching import Prospect, fit, match  # noqa: E402
from matching.instance import build_instance  # noqa: E402
from matching.spreadsheet import spreadsheet_value  # noqa: E402
from seeds.generator import generate_workspace  # noqa: E402

PROSPECTS = [Prospect(industry="纺织鞋服", need_mu=60), Prospect(industry="其他", need_mu=35),
             Prospect(industry="健康食品", need_mu=120), Prospect(industry="纺织鞋服", floor_m2=5000),
             Prospect(industry="新能源电池", need_mu=500)]


def timed(f):
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def bench(n_parcels: int, n_projects: int, repeat: int, with_unlocks: bool = True, seed: int = 0) -> dict:
    settings = load_settings()
    t_gen, ws = timed(lambda: generate_workspace(parcels=n_parcels, projects=n_projects, seed=seed))
    t_cold, _ = timed(lambda: fit(PROSPECTS[0], ws, settings=settings))
    warm = [timed(lambda p=p: fit(p, ws, settings=settings))[0] for _ in range(repeat) for p in PROSPECTS]
    solves = [timed(lambda: match(ws, unlocks=False, settings=settings)) for _ in range(repeat)]
    result = solves[-1][1]
    # the unlock search re-runs match once per candidate unlock: > 20 min at 100k, so optional there
    t_full, full = timed(lambda: match(ws, settings=settings)) if with_unlocks else (float("nan"), result)
    # the spreadsheet method sees every block, not only each project's best candidates
    every_block = settings.with_matching(columns_per_project=1_000_000_000)
    greedy, n_options = spreadsheet_value(build_instance(ws, ws.projects, every_block))
    return {"seed": seed, "parcels": len(ws.parcels), "projects": len(ws.projects), "gen_s": t_gen,
            "fit_cold_s": t_cold, "fit_warm_s": statistics.median(warm),
            "match_s": statistics.median(t for t, _ in solves), "match_unlocks_s": t_full,
            "unlocks": len(full.unlocks) if with_unlocks else "—", "status": result.status, "gap": result.gap,
            "placed": len(result.placed), "priority": result.placed_priority, "greedy": greedy,
            "greedy_short": (result.placed_priority - greedy) / max(result.placed_priority, 1e-9),
            "options": n_options}   # all (project, block/factory) options


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000:50,10000:500,100000:5000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seeds", default="0", help="seeded counties to run each size on, e.g. 0,1,2,3")
    ap.add_argument("--unlocks-up-to", type=int, default=10_000, help="time match with unlocks up to this many parcels")
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    cols = ["seed", "parcels", "projects", "options", "gen_s", "fit_cold_s", "fit_warm_s", "match_s", "match_unlocks_s",
            "unlocks", "status", "gap", "placed", "priority", "greedy", "greedy_short"]
    print(" | ".join(cols))
    for size in args.sizes.split(","):
        n, k = (int(v) for v in size.split(":"))
        for seed in map(int, args.seeds.split(",")):
            r = bench(n, k, args.repeat if n <= 10_000 else 1, with_unlocks=n <= args.unlocks_up_to, seed=seed)
            print(" | ".join(f"{r[c]:.3f}" if isinstance(r[c], float) else str(r[c]) for c in cols), flush=True)


if __name__ == "__main__":
    main()
