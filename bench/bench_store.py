"""Store speed: load, one project edit (apply alone and diff + apply), a 100-row ledger import, per store.

    PYTHONPATH=. .venv/bin/python bench/bench_store.py [--parcels N] [--repeat R]

The PostGIS rows use a throw-away cluster (tests/pg_cluster.py); they are left out when PostgreSQL/PostGIS are
not installed. Target (issue 14): an edit of one project in PostGIS ≤ 100 ms.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from geo.settings import load_settings  # noqa: E402

SETTINGS = load_settings()      # the configuration, once, at the top
RATE = SETTINGS.ledger.cny_per_usd


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def bench(target, repeat: int, ledger: bytes) -> list[tuple[str, float]]:
    from formats.ledger import import_ledger
    from stores import diff, open_store
    rows = []
    with open_store(target, SETTINGS) as store:
        rows.append(("load (whole workspace)", timed(store.load, repeat)))
        state = {"ws": store.load(), "i": 0}

        def edited():
            ws = state["ws"]
            state["i"] += 1
            p = ws.projects.copy()
            p.loc[p.index[0], "investment_yi"] = 10.0 + state["i"]
            return ws, ws.with_projects(p)

        def apply_only():
            ws, new = edited()
            changes = diff(ws, new)
            t = time.perf_counter()
            store.apply(changes, ws.store_versions, "bench")
            apply_only.times.append(time.perf_counter() - t)
            state["ws"] = store.load()
        apply_only.times = []
        for _ in range(repeat):
            apply_only()
        rows.append(("edit 1 project: apply (1 row + audit, one transaction)",
                     statistics.median(apply_only.times) * 1000))
        ws, new = edited()
        rows.append(("edit 1 project: diff of the whole workspace", timed(lambda: diff(ws, new), repeat)))

        def import_once():
            ws = store.load()
            new = import_ledger(ws, ledger, "bench.csv", cny_per_usd=RATE)[0]
            store.save(ws, new, "bench")
        rows.append(("import 100-row ledger (load + merge + validate + save)", timed(import_once, 1)))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parcels", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    from pg_cluster import PgCluster, missing_reason

    from seeds.generator import write_county
    from stores import open_store
    from stores.migrate import migrate
    tmp = Path(tempfile.mkdtemp(prefix="bench-store-"))
    gpkg = tmp / "county.gpkg"
    write_county(gpkg, parcels=args.parcels, seed=0)
    ledger = ("项目名称,产业,阶段,需用地（亩）,意向园区\n" + "".join(
        f"压测项目{i},纺织鞋服,在谈,20,QDB\n" for i in range(100))).encode()
    results = {"GeoPackage": bench(gpkg, args.repeat, ledger)}
    cluster = None
    reason = missing_reason()
    if reason is None:
        cluster = PgCluster().start()
        try:
            url = cluster.create_database("bench")
            fresh = tmp / "fresh.gpkg"
            write_county(fresh, parcels=args.parcels, seed=0)
            with open_store(fresh, SETTINGS) as src, open_store(url, SETTINGS) as dst:
                migrate(src, dst)
            results["PostGIS"] = bench(url, args.repeat, ledger)
        finally:
            cluster.stop()
    names = [n for n, _ in results["GeoPackage"]]
    n_parcels = args.parcels or "sample"
    print(f"store bench — parcels: {n_parcels}, median of {args.repeat} (import: 1 run), ms")
    head = f"{'operation':58s}" + "".join(f"{k:>12s}" for k in results)
    print(head)
    print("-" * len(head))
    for i, name in enumerate(names):
        print(f"{name:58s}" + "".join(f"{results[k][i][1]:12.1f}" for k in results))
    if reason:
        print(f"(PostGIS left out: {reason})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
