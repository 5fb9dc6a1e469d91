#!/usr/bin/env python3
"""Benchmark: tiles made by PostGIS (stores/pg_tiles.py) for a seeded county or province in a throw-away cluster.

    python bench/bench_pg_tiles.py --workspace W.gpkg [--tiles 100] [--url postgresql://…]

The workspace (a county, or a province of seeds/province.py as it is — read only, never written) is migrated
(``stores.migrate``) into a fresh PostGIS database of a throw-away cluster (tests/pg_cluster.py, as the tests start
it): migration wall time and this process's peak RSS. ``--url``: a database already holding that workspace instead
(no migration). Then ``--tiles`` z14 tiles around random parcels are made one by one (``raw_tile``: no cache), and
the same for z12 and z10 views: median and p95 in ms. Last, the plan of one z14 tile (EXPLAIN ANALYZE): planning and
execution time, how many partitions of the parcels table it scans, and whether the GiST index on the parcels'
geometry is used (it must be). ``--stock``: the workspace is also loaded and classified (geo.stock, today) and its
存量 classes handed over (``use_stock_classes``: a temporary table per connection, joined by parcel id): the time
to fill it, and every zoom again with the join, in the same run. A first line describes the machine (the numbers
mean little without it).
Not part of the test suite.
"""
from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
ZOOMS = (14, 12, 10)


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024


def machine_line(conn, parcels: int) -> str:
    pg = conn.execute("SHOW server_version").fetchone()[0]
    postgis = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
    buffers = conn.execute("SHOW shared_buffers").fetchone()[0]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"machine: {os.cpu_count()} cpus, {platform.machine()}, load {load}; {parcels} parcels; "
            f"PostgreSQL {pg}, PostGIS {postgis}, shared_buffers {buffers}; Python {platform.python_version()}; "
            f"{dt.datetime.now().isoformat(timespec='seconds')}")


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    k = 1 << z
    return int((lon + 180) / 360 * k), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * k)


def explain(source, z: int, x: int, y: int) -> list[str]:
    return [r[0] for r in source._conn().execute(
        "EXPLAIN (ANALYZE, BUFFERS) " + source.sql("parcels", z), {"z": z, "x": x, "y": y, "layer": "parcels"})]


def plan_summary(plan: list[str]) -> str:
    text = "\n".join(plan)
    scanned = {n for n in re.findall(r"\b(parcels_p\w+)", text) if not n.endswith("_idx")}
    planning = re.search(r"Planning Time: ([\d.]+)", text)
    execution = re.search(r"Execution Time: ([\d.]+)", text)
    gist = bool(re.search(r"Index Scan (using|on) \w*(gix_parcels|_geom_idx)\b", text))
    return (f"partitions scanned: {len(scanned)}; planning {planning.group(1) if planning else '?'} ms, "
            f"execution {execution.group(1) if execution else '?'} ms; "
            + ("GiST index used" if gist else "GiST index NOT used"))


def short_plan(plan: list[str], head: int = 24) -> list[str]:
    """The plan without its conditions (long geometry literals) and buffer lines; a plan of many partitions cut to
    its first ``head`` lines and its summary."""
    lines = [ln for ln in plan if not any(k in ln for k in ("Cond:", "Filter:", "Buffers:", "Heap Blocks:"))]
    if len(lines) <= head + 3:
        return lines
    return lines[:head] + [f"  … {len(lines) - head - 2} more lines (the other partitions alike)"] + lines[-2:]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", type=Path, required=True)
    ap.add_argument("--tiles", type=int, default=100)
    ap.add_argument("--url", help="a PostGIS database already holding the workspace (no migration)")
    ap.add_argument("--stock", action="store_true", help="also with the 存量 classes joined (see the doc)")
    args = ap.parse_args()
    import pandas as pd
    import pyogrio
    from pg_cluster import PgCluster, missing_reason
    from pyproj import Transformer

    from geo.settings import load_settings
    from stores import open_store
    from stores.migrate import migrate
    from stores.pg_tiles import PostgisTiles
    reason = None if args.url else missing_reason()
    if reason:
        print(f"PostGIS 不可用：{reason}")
        return 1
    settings = load_settings()
    cluster = None if args.url else PgCluster().start()
    try:
        url = args.url
        if cluster is not None:
            url = cluster.create_database("tiles_bench")
            t = time.perf_counter()
            with open_store(args.workspace, settings) as src, open_store(url, settings) as dst:
                migrate(src, dst)
            migrated = f"migrated in {time.perf_counter() - t:.1f} s, peak RSS {peak_rss_mb():.0f} MB"
        else:
            migrated = "not migrated (--url)"
        source = PostgisTiles(url)
        source._conn().execute("ANALYZE parcels")
        frame = pyogrio.read_dataframe(args.workspace, layer="parcels", columns=[])
        pts = frame.geometry.representative_point()
        lon, lat = Transformer.from_crs(frame.crs, "EPSG:4326", always_xy=True).transform(pts.x.values,
                                                                                          pts.y.values)
        print(machine_line(source._conn(), len(frame)))
        print(f"{len(frame)} parcels, {migrated}")
        classes = None
        if args.stock:
            from layers.tiles import stock_classes
            from stores.gpkg_file import load_workspace
            ws = load_workspace(args.workspace, settings)
            classes = stock_classes(ws, settings)
            ids = ws.parcels["parcel_id"].astype(str)
            del ws
            if not (classes != "normal").any():     # a seeded province has no stock dates: the worst case instead
                print("no stock parcels in the workspace: every parcel listed as idle (the join's worst case)")
                classes = pd.Series("idle", index=classes.index)
        print(f"{'存量':>6}{'zoom':>5}{'tiles':>7}{'median ms':>11}{'p95 ms':>9}{'median KB':>11}")
        probe = None
        for joined in ((False, True) if classes is not None else (False,)):
            if joined:
                source.use_stock_classes(ids, classes)
                t = time.perf_counter()
                source._stock_conn()
                print(f"{(classes != 'normal').sum()} stock parcels handed over: temporary table filled in "
                      f"{time.perf_counter() - t:.2f} s")
            rng = random.Random(0)                   # the same tiles with and without the join
            for z in ZOOMS:
                times, sizes = [], []
                for _ in range(args.tiles):
                    i = rng.randrange(len(lon))
                    x, y = tile_of(lon[i], lat[i], z)
                    probe = probe or (z, x, y)
                    t = time.perf_counter()
                    data = source.raw_tile("parcels", z, x, y)
                    times.append(time.perf_counter() - t)
                    sizes.append(len(data))
                s = sorted(times)
                print(f"{'joined' if joined else '-':>6}{z:>5}{len(times):>7}{statistics.median(times) * 1000:>11.1f}"
                      f"{s[min(len(s) - 1, math.ceil(0.95 * len(s)) - 1)] * 1000:>9.1f}"
                      f"{statistics.median(sizes) / 1000:>11.1f}")
        plan = explain(source, *probe)
        print(f"z{probe[0]} plan (EXPLAIN ANALYZE, shortened):\n  " + "\n  ".join(short_plan(plan)))
        print(f"z{probe[0]} tile: " + plan_summary(plan))
    finally:
        if cluster is not None:
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
