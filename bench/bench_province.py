#!/usr/bin/env python3
"""`available` at province scale: a seeded workspace of --counties counties × --per-county parcels (seeds/province.py,
county codes in the ids, cached under /tmp), timed against a bare ``pyogrio.read_dataframe`` of its parcels layer.

Each measurement runs in a fresh process (as the CLI does), three rounds of the three runs interleaved (so that the
load of a shared machine falls on all alike); the table gives the median wall seconds and their ratio to the bare
read's median (same run), the median CPU seconds of the process (user + system, what contention does not inflate)
and their ratio, and the peak RSS (VmHWM of /proc/self/status).

    python bench/bench_province.py [--counties 100] [--per-county 10000] [--repeat 3] [--profile]

--profile: one more run of the province `available` under cProfile (top 25 by cumulative time, stderr).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
what, path, county = sys.argv[1], sys.argv[2], (sys.argv[3] or None)
t0 = time.perf_counter()
if what == "bare":
    import pyogrio
    frame = pyogrio.read_dataframe(path, layer="parcels")
    n = len(frame)
else:
    from geo.county import county_rows
    from geo.settings import load_settings
    from geo.supply import available_report
    from stores.gpkg_file import load_workspace
    settings = load_settings()
    t_import = time.perf_counter()
    ws = load_workspace(path, settings, county)
    t_load = time.perf_counter()
    report = available_report(ws, settings=settings)
    rows = county_rows(report.to_dict()["zones"], ws.zones)
    n = len(ws.parcels)
t1 = time.perf_counter()
use = resource.getrusage(resource.RUSAGE_SELF)
# VmHWM: this program's peak RSS (ru_maxrss would keep the forking parent's from before the exec)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
out = {"seconds": t1 - t0, "rows": n, "rss_mb": hwm / 1024, "cpu_s": use.ru_utime + use.ru_stime}
if what != "bare":
    out.update(load_s=t_load - t_import, available_s=t1 - t_load)
print(json.dumps(out))
"""


def cached_province(counties: int, per_county: int, seed: int = 0) -> Path:
    from seeds.province import write_province
    path = Path(tempfile.gettempdir()) / f"landgap-province-{counties}x{per_county}-s{seed}.gpkg"
    if not path.exists():
        t = time.perf_counter()
        write_province(path, counties, per_county, seed=seed)
        print(f"generated {path} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return path


def measure(what: str, path: Path, county: str = "") -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, what, str(path), county], cwd=ROOT, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def profile(path: Path) -> None:
    import cProfile
    import pstats

    from geo.settings import load_settings
    from geo.supply import available_report
    from stores.gpkg_file import load_workspace
    settings = load_settings()
    prof = cProfile.Profile()
    prof.enable()
    available_report(load_workspace(path, settings), settings=settings)
    prof.disable()
    pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(25)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counties", type=int, default=100)
    ap.add_argument("--per-county", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    path = cached_province(args.counties, args.per_county)
    from seeds.province import county_codes
    one = county_codes(args.counties)[args.counties // 2]
    runs = {"bare pyogrio read (parcels)": ("bare", ""), "available, whole province": ("available", ""),
            f"available --county {one}": ("available", one)}
    results = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, (what, county) in runs.items():
            results[name].append(measure(what, path, county))
    bare = statistics.median(r["seconds"] for r in results["bare pyogrio read (parcels)"])
    bare_cpu = statistics.median(r["cpu_s"] for r in results["bare pyogrio read (parcels)"])
    print(f"{args.counties} counties × {args.per_county:,} parcels ({path.stat().st_size / 2**20:,.0f} MB GeoPackage), "
          f"median of {args.repeat}, each in a fresh process")
    print(f"{'run':34} {'rows':>9} {'median s':>9} {'× bare':>7} {'load s':>7} {'avail s':>8} {'CPU s':>7} "
          f"{'× bare':>7} {'peak RSS MB':>12}")
    for name, rs in results.items():
        med = statistics.median(r["seconds"] for r in rs)
        part = f"{'':7} {'':8}"
        if "load_s" in rs[0]:
            load, avail = (statistics.median(r[k] for r in rs) for k in ("load_s", "available_s"))
            part = f"{load:7.2f} {avail:8.2f}"
        cpu = statistics.median(r["cpu_s"] for r in rs)
        print(f"{name:34} {rs[0]['rows']:9,} {med:9.2f} {med / bare:7.2f} {part} {cpu:7.2f} {cpu / bare_cpu:7.2f} "
              f"{max(r['rss_mb'] for r in rs):12,.0f}")
    if args.profile:
        profile(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
