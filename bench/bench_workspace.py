#!/usr/bin/env python3
"""Benchmark: seed + load + `available` (blocks) at 1k, 10k, 100k parcels. Prints a table of medians.

    python bench/bench_workspace.py [--sizes 1000 10000 100000] [--runs 3]

Each run is a fresh subprocess (so peak RSS is that run's own): generate and save a county, then time
load_workspace (read + validate + ellipsoidal areas + overlap check), available_report (eligibility + blocks) and
import_parcel_layer of the same parcels as a GBK Shapefile without .cpg (detect, map fields, parks by location,
validate).
Not part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from seeds.generator import write_county
from stores.gpkg_file import load_workspace
from geo.supply import available_report
from geo.settings import load_settings
settings = load_settings()
n, out = int(sys.argv[2]), sys.argv[3]
t0 = time.perf_counter(); write_county(out, parcels=n, projects=max(50, n // 20), seed=7); t1 = time.perf_counter()
ws = load_workspace(out, settings); t2 = time.perf_counter()
r = available_report(ws, settings=settings); t3 = time.perf_counter()
# the same parcels as another office's Shapefile: GBK, no .cpg, Chinese field names, areas in m²
import io, zipfile
import geopandas as gpd
from formats.shapefile import import_parcel_layer, shapefile_zip
from geo.vocab import PARCEL_STATUS_LABELS
p = ws.parcels
layer = gpd.GeoDataFrame({"宗地号": p["parcel_id"].to_numpy(),
                          "供地状态": p["status"].map(PARCEL_STATUS_LABELS).to_numpy(),
                          "可供日期": p["ready_date"].dt.strftime("%Y-%m-%d").fillna("").to_numpy(),
                          "面积": (p["area_mu"] * 10000 / 15).to_numpy()}, geometry=p.geometry.to_numpy(), crs=ws.crs)
with zipfile.ZipFile(io.BytesIO(shapefile_zip(layer, "地块"))) as z:
    parts = {n: z.read(n) for n in z.namelist() if not n.endswith(".cpg")}
t4 = time.perf_counter()
import_parcel_layer(ws, parts, "地块.shp"); t5 = time.perf_counter()
print(json.dumps({"seed": t1 - t0, "load": t2 - t1, "available": t3 - t2, "shapefile": t5 - t4,
                  "blocks": len(r.blocks), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        runs = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(n), f"{tmp}/c.gpkg"],
                                     capture_output=True, text=True, check=True).stdout
                runs.append(json.loads(out.strip().splitlines()[-1]))
        med = {k: statistics.median(r[k] for r in runs) for k in ("seed", "load", "available", "shapefile", "peak_mb")}
        rows.append((n, med, runs[0]["blocks"]))
    print(f"machine: {platform.machine()}, {platform.processor() or '?'}, python {platform.python_version()}, "
          f"{len(__import__('os').sched_getaffinity(0))} cores; median of {args.runs} runs")
    print(f"{'parcels':>8} {'seed s':>8} {'load s':>8} {'available s':>12} {'load+blocks s':>14} {'shp import s':>13} "
          f"{'peak MB':>8} {'blocks':>7}")
    for n, m, blocks in rows:
        print(f"{n:>8} {m['seed']:>8.2f} {m['load']:>8.2f} {m['available']:>12.2f} "
              f"{m['load'] + m['available']:>14.2f} {m['shapefile']:>13.2f} {m['peak_mb']:>8.0f} {blocks:>7}")


if __name__ == "__main__":
    main()
