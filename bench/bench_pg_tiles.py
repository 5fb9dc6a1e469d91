#!/usr/bin/env python3
"""Benchmark: tiles made by PostGIS (stores/pg_tiles.py) for a seeded county in a throw-away cluster.

    python bench/bench_pg_tiles.py --workspace county.gpkg [--tiles 100]

The county is migrated (``stores.migrate``) into a fresh PostGIS database of a throw-away cluster
(tests/pg_cluster.py, as the tests start it); then ``--tiles`` z14 tiles around random parcels are made one by one
(``raw_tile``: no cache), and the same for z12 and z10 views; median and p95 in ms, and the query plan of one z14
tile (the GiST index on the parcels' geometry must be used). Not part of the test suite.
"""
from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", type=Path, required=True)
    ap.add_argument("--tiles", type=int, default=100)
    args = ap.parse_args()
    import pyogrio
    from pg_cluster import PgCluster, missing_reason
    from pyproj import Transformer

    from geo.settings import load_settings
    from stores import open_store
    from stores.migrate import migrate
    from stores.pg_tiles import PostgisTiles
    reason = missing_reason()
    if reason:
        print(f"PostGIS 不可用：{reason}")
        return 1
    settings = load_settings()
    cluster = PgCluster().start()
    try:
        url = cluster.create_database("tiles_bench")
        t = time.perf_counter()
        with open_store(args.workspace, settings) as src, open_store(url, settings) as dst:
            migrate(src, dst)
        migrate_s = time.perf_counter() - t
        source = PostgisTiles(url)
        source._conn().execute("ANALYZE parcels")
        frame = pyogrio.read_dataframe(args.workspace, layer="parcels", columns=[])
        pts = frame.geometry.representative_point()
        lon, lat = Transformer.from_crs(frame.crs, "EPSG:4326", always_xy=True).transform(pts.x.values,
                                                                                          pts.y.values)
        rng = random.Random(0)
        print(f"{len(frame)} parcels, migrated in {migrate_s:.1f} s")
        print(f"{'zoom':>5}{'tiles':>7}{'median ms':>11}{'p95 ms':>9}{'median KB':>11}")
        plan = None
        for z in (14, 12, 10):
            times, sizes = [], []
            for _ in range(args.tiles):
                i = rng.randrange(len(lon))
                k = 1 << z
                x = int((lon[i] + 180) / 360 * k)
                y = int((1 - math.asinh(math.tan(math.radians(lat[i]))) / math.pi) / 2 * k)
                t = time.perf_counter()
                data = source.raw_tile("parcels", z, x, y)
                times.append(time.perf_counter() - t)
                sizes.append(len(data))
                if plan is None and z == 14:
                    plan = [r[0] for r in source._conn().execute(
                        "EXPLAIN " + source.sql("parcels", z), {"z": z, "x": x, "y": y, "layer": "parcels"})]
            s = sorted(times)
            print(f"{z:>5}{len(times):>7}{statistics.median(times) * 1000:>11.1f}"
                  f"{s[min(len(s) - 1, math.ceil(0.95 * len(s)) - 1)] * 1000:>9.1f}"
                  f"{statistics.median(sizes) / 1000:>11.1f}")
        print("z14 plan:\n  " + "\n  ".join(plan or []))
        print("GiST index used" if any("gix_parcels" in line for line in plan or []) else "GiST index NOT used")
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
