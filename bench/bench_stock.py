"""Benchmark of the stock-land classes and the 亩均 grading (issue 19) — not part of the test suite.

    .venv/bin/python bench/bench_stock.py [--parcels 100000] [--firms 10000] [--repeat 5] [--county PATH]

Prints one table: ``classify_parcels`` on that many random parcels (contract dates spread over 2020–2027), and
``grade_firms`` on that many firms, in process, median of ``--repeat``; then `cli.py stock --json` end to end on a
seeded county of ``--parcels`` parcels (``cli.py seed``, made once under /tmp unless ``--county`` names one) against a
bare ``pyogrio.read_dataframe`` of its parcels layer, both as whole processes, paired, median of ``--repeat``.
Targets: classify 100k ≤ 1 s; grade 10k ≤ 1 s; stock ≤ 3× the bare read.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.mujun import grade_firms  # noqa: E402
from geo.settings import load_settings  # noqa: E402
from geo.stock import classify_parcels  # noqa: E402

SETTINGS = load_settings()


def random_parcels(n: int, rng: np.random.Generator) -> pd.DataFrame:
    day0 = np.datetime64("2020-01-01")

    def dates(p_empty: float) -> np.ndarray:
        d = day0 + rng.integers(0, 2900, n).astype("timedelta64[D]")
        return np.where(rng.random(n) < p_empty, np.datetime64("NaT"), d).astype("datetime64[ns]")

    return pd.DataFrame({
        "status": rng.choice(np.array(["supplied", "available", "reserved", "leveling"], dtype=object), n),
        "agreed_start": dates(0.2), "actual_start": dates(0.5), "halted_date": dates(0.8),
        "actual_completion": dates(0.7), "agreed_completion": dates(0.3), "approved_date": dates(0.6),
        "developed_share": rng.random(n), "invested_share": rng.random(n), "gov_delay": rng.integers(0, 2, n),
        "price_wan": rng.random(n) * 3000}, index=pd.Index([f"P{i}" for i in range(n)]))


def random_firms(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.Series]:
    ids = np.array([f"F{i}" for i in range(n)], dtype=object)
    parcels = np.array([f"P{i}" for i in range(n)], dtype=object)
    shared = parcels[rng.integers(0, n, n)]
    firms = pd.DataFrame({"firm_id": ids, "name": ids, "parcel_ids": parcels + ";" + shared,
                          "revenue_wan": rng.random(n) * 1e4, "tax_wan": rng.random(n) * 500,
                          "energy_tce": rng.random(n) * 1000, "employees": rng.integers(1, 500, n),
                          "rd_wan": rng.random(n) * 300}, index=ids)
    return firms, pd.Series(rng.random(n) * 50 + 1, index=parcels)


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def process_time(args: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--firms", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--county", type=Path)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    parcels = random_parcels(a.parcels, rng)
    firms, area = random_firms(a.firms, rng)
    rows = [(f"classify_parcels（{a.parcels:,} 宗）", median_time(
                lambda: classify_parcels(parcels, "2026-12-01", SETTINGS.stock), a.repeat), "≤ 1 s"),
            (f"grade_firms（{a.firms:,} 家）", median_time(lambda: grade_firms(firms, area, SETTINGS.mujun), a.repeat),
             "≤ 1 s")]
    county = a.county or Path(f"/tmp/landgap-bench-stock-{a.parcels}/county.gpkg")
    if not county.exists():
        subprocess.run([sys.executable, "cli.py", "seed", "--out", str(county), "--parcels", str(a.parcels),
                        "--projects", "2000", "--seed", "7"], check=True, cwd=ROOT)
    stock = [sys.executable, "cli.py", "stock", "--workspace", str(county), "--as-of", "2026-12-01", "--json"]
    bare = [sys.executable, "-c", f"import pyogrio; pyogrio.read_dataframe({str(county)!r}, layer='parcels')"]
    pairs = [(process_time(stock), process_time(bare)) for _ in range(a.repeat)]
    s, b = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
    ratio = statistics.median(p[0] / p[1] for p in pairs)
    rows += [("cli.py stock --json（整个进程）", s, f"{ratio:.2f}× 裸读（目标 ≤ 3×）"),
             ("pyogrio.read_dataframe parcels（整个进程）", b, "")]
    width = max(len(r[0]) for r in rows) + 4
    print(f"{'what':<{width}}{'median s':>10}  note")
    for name, sec, note in rows:
        print(f"{name:<{width}}{sec:>10.3f}  {note}")


if __name__ == "__main__":
    main()
