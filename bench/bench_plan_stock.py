"""Benchmark: the plan (用地保障方案) with the stock actions (存量盘活: reclaim, negotiate, redevelop) against the plan
without them — not part of the test suite. Target (issue 19): within 1.5× of today's plan time on the 10k county.

    .venv/bin/python bench/bench_plan_stock.py [--parcels 10000] [--projects 500] [--budgets 0,3000,20000]

The seeded county (``cli.py seed --parcels 10000 --projects 500``, seed 0) carries no contract dates yet, so this
script gives a share of its supplied parcels stock attributes, deterministically (seed 0): 10 % not started for
three years (reclaimable), 10 % for eighteen months (idle), 3 % idle by the government's doing, each with a land
price; and 4 % D-grade land (low efficiency: set in the classification frame, as geo.mujun would grade it). Prints,
per budget: seconds without and with stock actions (the model, then each plan with its verification by match),
the ratio, the stock actions chosen and the priority placed.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.settings import load_settings  # noqa: E402
from geo.stock import classify_workspace  # noqa: E402
from matching.plan import Planner  # noqa: E402

AS_OF = pd.Timestamp("2026-12-01")


def with_stock(ws, seed: int = 0):
    """The workspace with stock attributes on a share of its supplied parcels, and its classification frame."""
    rng = np.random.default_rng(seed)
    p = ws.parcels.copy()
    sup = p.index[p["status"] == "supplied"]
    draw = rng.random(len(sup))
    chosen = sup[draw < 0.23]
    start = pd.Series(pd.NaT, index=p.index, dtype="datetime64[ns]")
    start.loc[sup[draw < 0.10]] = AS_OF - pd.DateOffset(years=3)
    start.loc[sup[(draw >= 0.10) & (draw < 0.23)]] = AS_OF - pd.DateOffset(months=18)
    p["agreed_start"] = start
    p["supplied_date"] = start - pd.DateOffset(years=1)
    mu = p.loc[chosen, "area_mu"].to_numpy(dtype=float)
    p.loc[chosen, "price_wan"] = np.round(mu * rng.uniform(8, 20, len(chosen)), 1)
    p.loc[sup[(draw >= 0.20) & (draw < 0.23)], "gov_delay"] = 1
    ws = dataclasses.replace(ws, parcels=p)
    stock = classify_workspace(ws, AS_OF, load_settings())
    low = sup[(draw >= 0.23) & (draw < 0.27)]
    stock.loc[low, "stock_class"] = "low_efficiency"
    return ws, stock


def timed(ws, settings, budgets, stock) -> tuple[float, list[tuple[float, object]]]:
    t = time.perf_counter()
    planner = Planner(ws, settings, as_of=AS_OF, stock=stock)
    _ = planner.baseline
    model = time.perf_counter() - t
    out = []
    for b in budgets:
        t = time.perf_counter()
        got = planner.plan(b)
        out.append((time.perf_counter() - t, got))
    return model, out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parcels", type=int, default=10000)
    ap.add_argument("--projects", type=int, default=500)
    ap.add_argument("--budgets", default="0,3000,20000")
    args = ap.parse_args()
    from seeds.generator import generate_workspace
    settings = load_settings()
    budgets = [float(b) for b in args.budgets.split(",")]
    ws = generate_workspace(parcels=args.parcels, projects=args.projects, seed=0)
    ws_stock, stock = with_stock(ws)
    counts = stock["stock_class"].value_counts()
    print(f"# bench_plan_stock — {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"{args.parcels} parcels / {args.projects} projects, as of {AS_OF.date()}, "
          f"time_limit_s={settings.plan.time_limit_s}")
    print("# stock classes: " + ", ".join(f"{k} {v}" for k, v in counts.items() if k != "normal"))
    m0, base = timed(ws, settings, budgets, False)
    m1, withs = timed(ws_stock, settings, budgets, stock)
    print(f"{'budget万元':>10} {'today s':>8} {'stock s':>8} {'ratio':>6} {'actions':>8} {'stock acts':>10} "
          f"{'prio today':>10} {'prio stock':>10} {'verified':>8}")
    print(f"{'(model)':>10} {m0:8.1f} {m1:8.1f} {m1 / max(m0, 1e-9):6.2f}")
    for b, (t0, p0), (t1, p1) in zip(budgets, base, withs):
        n_stock = sum(1 for a in p1.actions if a.action in ("reclaim", "negotiate", "redevelop"))
        ok = p1.verification is None or p1.verification.exact
        print(f"{b:10.0f} {t0:8.1f} {t1:8.1f} {t1 / max(t0, 1e-9):6.2f} {len(p1.actions):8d} {n_stock:10d} "
              f"{p0.placed_priority:10.1f} {p1.placed_priority:10.1f} {str(ok):>8}")
    total0 = m0 + sum(t for t, _ in base)
    total1 = m1 + sum(t for t, _ in withs)
    print(f"{'total':>10} {total0:8.1f} {total1:8.1f} {total1 / total0:6.2f}   (target ≤ 1.50)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
