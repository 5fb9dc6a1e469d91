#!/usr/bin/env python3
"""Benchmark: ``import-layer`` of a seeded county's parcels as another office's GeoPackage and FileGDB (100k
parcels by default), and of a 坐标文件 of 1,000 parcels (a 1,000-parcel county's, imported back into it).
Prints a table of medians.

    python bench/bench_import.py [--parcels 100000] [--coordfile 1000] [--runs 3]

A county is seeded once; each run is a fresh subprocess timing read (GDAL) + CRS/geometry checks + field mapping +
parks by location + the workspace's validation (``import_layer``, --replace) and the atomic write back
(``store_result``: row by row through the store, audited) into a copy of the workspace. Targets (issue 13):
≤ 10 s for 100k parcels from GPKG/FileGDB,
≤ 2 s for the 坐标文件 of 1,000 parcels. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PREPARE = r"""
import sys, warnings
sys.path.insert(0, sys.argv[1])
warnings.simplefilter("ignore")
import geopandas as gpd, pyogrio
from seeds.generator import write_county
from geo.settings import load_settings
from stores.gpkg_file import load_workspace
from geo.vocab import PARCEL_STATUS_LABELS
from formats.coordfile import write_coordfile
n, folder, m = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
write_county(f"{folder}/ws.gpkg", parcels=n, projects=50, seed=7)
settings = load_settings()
ws = load_workspace(f"{folder}/ws.gpkg", settings)
p = ws.parcels
layer = gpd.GeoDataFrame({"宗地号": p["parcel_id"].to_numpy(),
                          "供地状态": p["status"].map(PARCEL_STATUS_LABELS).to_numpy(),
                          "可供日期": p["ready_date"].dt.strftime("%Y-%m-%d").fillna("").to_numpy(),
                          "面积": (p["area_mu"] * 10000 / 15).to_numpy(), "所属园区": p["zone_id"].to_numpy()},
                         geometry=p.geometry.to_numpy(), crs=ws.crs)
pyogrio.write_dataframe(layer, f"{folder}/地块.gpkg", layer="DK")
pyogrio.write_dataframe(layer, f"{folder}/地块.gdb", driver="OpenFileGDB", layer="DK")
write_county(f"{folder}/small.gpkg", parcels=m, projects=50, seed=7)
few = load_workspace(f"{folder}/small.gpkg", settings).parcels
few = few.assign(name=[f"地块{i}" for i in range(len(few))])
open(f"{folder}/报批.txt", "wb").write(write_coordfile(few, unit="XX县自然资源局"))
"""

CHILD = r"""
import json, resource, shutil, sys, time, warnings
sys.path.insert(0, sys.argv[1])
warnings.simplefilter("ignore")
from geo.settings import load_settings
from stores import open_store
from formats.layer_import import import_layer
from stores.layer_write import store_result
folder, source, replace, base = sys.argv[2], sys.argv[3], sys.argv[4] == "1", sys.argv[5]
shutil.copy(f"{folder}/{base}", f"{folder}/work.gpkg")
settings = load_settings()
with open_store(f"{folder}/work.gpkg", settings) as store:
    ws = store.load()
t0 = time.perf_counter()
result = import_layer(ws, "parcels", f"{folder}/{source}", replace=replace, defaults=["status=available"])
t1 = time.perf_counter()
store_result(f"{folder}/work.gpkg", settings, ws, result, None, "bench")
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "write": t2 - t1, "features": result.tally["input"],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--coordfile", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-c", PREPARE, str(ROOT), str(args.parcels), tmp, str(args.coordfile)],
                       check=True, capture_output=True, text=True)
        for source, replace, target, base in (("地块.gpkg", "1", 10.0, "ws.gpkg"), ("地块.gdb", "1", 10.0, "ws.gpkg"),
                                              ("报批.txt", "0", 2.0, "small.gpkg")):
            runs = []
            for _ in range(args.runs):
                out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), tmp, source, replace, base],
                                     capture_output=True, text=True, check=True).stdout
                runs.append(json.loads(out.strip().splitlines()[-1]))
            med = {k: statistics.median(r[k] for r in runs) for k in ("import", "write", "peak_mb")}
            rows.append((source, runs[0]["features"], med, target))
    print(f"machine: {platform.machine()}, {platform.processor() or '?'}, python {platform.python_version()}, "
          f"{len(os.sched_getaffinity(0))} cores; median of {args.runs} runs; GPKG/FileGDB: {args.parcels} parcels "
          f"replacing a county's; 坐标文件: {args.coordfile} parcels updating a {args.coordfile}-parcel county")
    print(f"{'source':<12} {'features':>9} {'import s':>9} {'write s':>8} {'total s':>8} {'target s':>9} "
          f"{'peak MB':>8}")
    for source, n, m, target in rows:
        total = m["import"] + m["write"]
        print(f"{source:<12} {n:>9} {m['import']:>9.2f} {m['write']:>8.2f} {total:>8.2f} {target:>9.1f} "
              f"{m['peak_mb']:>8.0f}{'' if total <= target else '  OVER'}")


if __name__ == "__main__":
    main()
