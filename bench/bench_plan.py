"""Benchmark of the plan (用地保障方案, matching/plan.py) — not part of the test suite.

    .venv/bin/python bench/bench_plan.py [--workspace W ...] [--budgets 0,5000,20000] [--no-frontier]

Without --workspace: the sample county and a seeded county of 10 000 parcels / 500 projects (``cli.py seed
--parcels 10000 --projects 500``, seed 0). Prints one row per (workspace, budget): seconds (the plan with its
verification by match), status, gap, cost, placed priority, projects added, whether match placed exactly what the
plan claims; then the full frontier: seconds, points, every point verified.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from formats.dem import with_steep_land  # noqa: E402
from geo.settings import load_settings  # noqa: E402
from matching.plan import Planner  # noqa: E402
from stores.gpkg_file import load_workspace as _load  # noqa: E402


def load_workspace(path):
    """As the edge loads a workspace for the engine: with its DEM's steep land."""
    settings = load_settings()
    return with_steep_land(_load(path, settings), settings.terrain.max_slope_pct)


def workspaces(paths: list[str]) -> list[tuple[str, object]]:
    if paths:
        return [(Path(p).name, load_workspace(p)) for p in paths]
    from seeds.generator import generate_workspace
    from seeds.sample import sample_workspace_path
    return [("sample", load_workspace(sample_workspace_path(load_settings().runtime.cache_dir))),
            ("seed 10k/500", generate_workspace(parcels=10000, projects=500, seed=0))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", action="append", default=[])
    ap.add_argument("--budgets", default="0,3000,20000")
    ap.add_argument("--no-frontier", action="store_true")
    args = ap.parse_args()
    settings = load_settings()
    budgets = [float(b) for b in args.budgets.split(",")]
    print(f"# bench_plan — {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"time_limit_s={settings.plan.time_limit_s}")
    print(f"{'workspace':<14} {'budget万元':>10} {'s':>6} {'status':<9} {'gap':>7} {'cost万元':>10} "
          f"{'priority':>9} {'added':>5} {'verified':>8}")
    for name, ws in workspaces(args.workspace):
        t = time.perf_counter()
        planner = Planner(ws, settings)
        _ = planner.baseline
        setup = time.perf_counter() - t
        print(f"{name:<14} {'(model)':>10} {setup:6.1f}  columns={planner.pm.n_cols} large={planner.large}")
        for b in budgets:
            t = time.perf_counter()
            p = planner.plan(b)
            s = time.perf_counter() - t
            print(f"{name:<14} {b:10.0f} {s:6.1f} {p.status:<9} {p.gap:7.2%} {p.cost_wan:10.1f} "
                  f"{p.placed_priority:9.1f} {len(p.placed_added):5d} {str(p.verification.exact):>8}")
        if not args.no_frontier:
            t = time.perf_counter()
            points = planner.frontier()
            s = time.perf_counter() - t
            exact = sum(p.verification.exact for p in points)
            mono = all(b.placed_priority >= a.placed_priority - 1e-9 for a, b in zip(points, points[1:]))
            print(f"{name:<14} {'frontier':>10} {s:6.1f}  points={len(points)} verified_exact={exact}/{len(points)} "
                  f"monotone={mono} last: {points[-1].cost_wan:.1f} 万元 → priority {points[-1].placed_priority:.1f}"
                  f" (max gap {max(p.gap for p in points):.2%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
