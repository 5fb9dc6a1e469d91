#!/usr/bin/env python3
"""Benchmark: per-parcel terrain and net land on a 5 m DEM. Prints a table of medians (default 3 runs).

    python bench/bench_terrain.py [--parcels 10000] [--runs 3] [--cell 5]

Seeds a county with cli.py seed (its DEM is 20 m), resamples the DEM bilinearly to ``--cell`` metres (untimed),
makes synthetic constraint layers (farmland and red-line discs, a river's flood zones of mixed return periods, a
development boundary that misses a corner of every park), then times: reading the DEM window, slope, the exact
coverage pass, the per-parcel figures, too-steep polygons, and net land with no layer, the four planning layers,
and the four plus slope; and, for the issue's "available with all four layers ≤ 1.5× without", `available_report`
on the loaded workspace as the baseline. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import rasterio  # noqa: E402
import shapely  # noqa: E402
from rasterio.warp import Resampling, reproject  # noqa: E402

from formats.dem import read_dem_for, steep_polygons, with_steep_land  # noqa: E402
from geo.blocks import contiguous_blocks  # noqa: E402
from geo.constraints import flood_exclusion, net_land, net_pieces  # noqa: E402
from geo.parcel_terrain import exact_coverage, parcel_terrain, slope_under  # noqa: E402
from geo.settings import Settings  # noqa: E402
from geo.units import M2_PER_MU  # noqa: E402


def seed(folder: Path, n: int) -> Path:
    out = folder / "county.gpkg"
    subprocess.run([sys.executable, str(ROOT / "cli.py"), "seed", "--out", str(out), "--parcels", str(n),
                    "--projects", str(max(50, n // 20))], check=True, cwd=ROOT, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    return out


def resample(src_path: Path, dst_path: Path, cell: float) -> tuple[float, tuple[int, int]]:
    with rasterio.open(src_path) as src:
        res = src.res[0]
        f = res / cell
        w, h = int(round(src.width * f)), int(round(src.height * f))
        t = src.transform * src.transform.scale(src.width / w, src.height / h)
        prof = src.profile | {"width": w, "height": h, "transform": t, "tiled": True, "blockxsize": 512,
                              "blockysize": 512, "compress": "deflate", "dtype": "float32", "nodata": -9999.0}
        out = np.empty((h, w), np.float32)
        reproject(rasterio.band(src, 1), out, dst_transform=t, dst_crs=src.crs, resampling=Resampling.bilinear,
                  dst_nodata=-9999.0)
        with rasterio.open(dst_path, "w", **prof) as dst:
            dst.write(out, 1)
    return res, (h, w)


def constraint_layers(parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, rng) -> dict:
    """Synthetic 三区三线: discs on ~8 % (farmland) and ~5 % (red line) of parcels, partly overlapping; a river's
    flood zones (return periods 20/50/100 years); a boundary = each park's envelope less its north-east corner."""
    crs = parcels.crs
    c = shapely.centroid(np.asarray(parcels.geometry.values))
    x, y = shapely.get_x(c), shapely.get_y(c)
    n = len(c)
    farm_i = rng.choice(n, size=n * 8 // 100, replace=False)
    red_i = rng.choice(n, size=n * 5 // 100, replace=False)
    farm = shapely.buffer(shapely.points(x[farm_i] + rng.normal(0, 40, len(farm_i)), y[farm_i]),
                          rng.uniform(40, 120, len(farm_i)))
    red = shapely.buffer(shapely.points(x[red_i] + 60, y[red_i] + rng.normal(0, 40, len(red_i))),
                         rng.uniform(40, 120, len(red_i)))
    x0, y0, x1, y1 = parcels.total_bounds
    xs = np.linspace(x0, x1, 200)
    river = shapely.linestrings(xs, (y0 + y1) / 2 + (y1 - y0) * 0.2 * np.sin((xs - x0) / (x1 - x0) * 6))
    flood = gpd.GeoDataFrame({"return_period": [20, 50, 100]},
                             geometry=[shapely.buffer(river, d) for d in (60, 150, 300)], crs=crs)
    env = shapely.envelope(np.asarray(zones.geometry.values))
    ex0, ey0, ex1, ey1 = shapely.bounds(env).T
    corner = shapely.box(ex0 + 0.8 * (ex1 - ex0), ey0 + 0.8 * (ey1 - ey0), ex1 + 10, ey1 + 10)
    boundary = shapely.difference(shapely.buffer(env, 20), corner)
    return {"farmland": gpd.GeoSeries(farm, crs=crs), "eco_redline": gpd.GeoSeries(red, crs=crs),
            "flood": flood, "dev_boundary": gpd.GeoSeries(boundary, crs=crs)}


def _net_blocks(eligible, layers, sliver):
    """Net land of the eligible parcels, then blocks formed from its pieces (what `available` will do)."""
    net = net_land(eligible, layers, **sliver)
    pieces = net_pieces(net, eligible)
    blocks = Settings.default().blocks
    return contiguous_blocks(pieces.assign(net_mu=pieces["area_mu"]), blocks.touch_gap_m, blocks.min_shared_edge_m)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cell", type=float, default=5.0)
    args = ap.parse_args()
    settings = Settings.default()
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory(prefix="bench_terrain_") as tmp:
        tmp = Path(tmp)
        gpkg = seed(tmp, args.parcels)
        native, shape = resample(gpkg.with_name(gpkg.stem + ".dem.tif"), tmp / "dem5.tif", args.cell)
        from geo.supply import available_report, eligible_parcels
        from stores.gpkg_file import load_workspace
        ws = load_workspace(gpkg, settings)
        parcels = ws.parcels.set_index("parcel_id", drop=False).rename_axis(None)
        zones = ws.zones
        eligible = parcels[eligible_parcels(parcels)]
        layers = constraint_layers(parcels, zones, rng)
        four = {**layers, "flood": flood_exclusion(layers["flood"], settings.constraints.flood_return_period)}
        sliver = dict(sliver_m2=settings.matching.sliver_mu * M2_PER_MU,
                      sliver_width_m=settings.matching.sliver_width_m)
        times: dict[str, list[float]] = {}

        cpu: dict[str, list[float]] = {}

        def timed(name, fn):
            t0, c0 = time.perf_counter(), time.process_time()
            out = fn()
            times.setdefault(name, []).append(time.perf_counter() - t0)
            cpu.setdefault(name, []).append(time.process_time() - c0)
            return out

        for _ in range(args.runs):
            grid = timed("read DEM window", lambda: read_dem_for(tmp / "dem5.tif", parcels))
            geoms = parcels.geometry if parcels.crs == grid.crs else parcels.geometry.to_crs(grid.crs)
            slope = timed("slope (Horn)", lambda: slope_under(grid, geoms))
            cov = timed("exact coverage", lambda: exact_coverage(geoms, grid.transform, grid.z.shape))
            steep = timed("steep polygons", lambda: steep_polygons(grid, slope, settings.terrain.max_slope_pct,
                                                                    within=cov))
            timed("net land: none", lambda: net_land(parcels, {}, **sliver))
            timed("net land: 4 layers", lambda: net_land(parcels, four, **sliver))
            net = timed("net land: 4 + slope", lambda: net_land(parcels, {**four, "slope": steep.to_crs(parcels.crs)},
                                                                **sliver))
            res = timed("parcel figures", lambda: parcel_terrain(grid, parcels, settings.terrain, slope=slope,
                                                                 coverage=cov, net_mu=net.net_mu))
            # the `available` path: blocks of the eligible parcels, without and with the four planning layers
            timed("available: load + report", lambda: available_report(with_steep_land(
                load_workspace(gpkg, settings), settings.terrain.max_slope_pct), settings=settings))
            timed("available: blocks (gross)", lambda: contiguous_blocks(eligible, settings.blocks.touch_gap_m,
                                                                        settings.blocks.min_shared_edge_m))
            timed("available: net + blocks", lambda: _net_blocks(eligible, four, sliver))
            grid = slope = cov = None      # free the grids before the next run
        med = {k: statistics.median(v) for k, v in times.items()}
        mcpu = {k: statistics.median(v) for k, v in cpu.items()}
        steps = ("read DEM window", "slope (Horn)", "exact coverage", "steep polygons", "net land: 4 + slope",
                 "parcel figures")
        terrain_total, terrain_cpu = sum(med[k] for k in steps), sum(mcpu[k] for k in steps)
        print(f"{args.parcels} parcels, DEM {native:g} m resampled to {args.cell:g} m: {shape[1]} × {shape[0]} cells; "
              f"median of {args.runs}, {os.cpu_count()} cores (shared)")
        print(f"{'step':<28}{'wall s':>10}{'CPU s':>10}")
        for k, v in med.items():
            print(f"{k:<28}{v:>10.2f}{mcpu[k]:>10.2f}")
        print(f"{'terrain + net land (total)':<28}{terrain_total:>10.2f}{terrain_cpu:>10.2f}   target ≤ 10 s")
        base, withc = med["available: blocks (gross)"], med["available: net + blocks"]
        whole = med["available: load + report"]
        print(f"`available` (load + report) {whole:.2f} s today; with the four layers (net land of the "
              f"{len(eligible)} eligible parcels, blocks from its pieces) ≈ {whole - base + withc:.2f} s = "
              f"{(whole - base + withc) / whole:.2f}× (target ≤ 1.5×); the blocks step alone {withc / base:.2f}×")
        t = res.table
        print(f"steep polygons {len(steep)}; parcels with terrain {int(t['mean_slope_pct'].notna().sum())}; "
              f"net {net.net_mu.sum():.0f} of {net.gross_mu.sum():.0f} 亩; constrained by "
              + ", ".join(f"{k} {v:.0f}" for k, v in net.constrained_by.sum().items()))


if __name__ == "__main__":
    main()
