"""Deterministic generator of a realistic (fictional) sample county, and of scaled-up counties for benchmarks.

Layout: each park (园区) is a jittered, rotated road grid in a valley of hilly north Sichuan, in CGCS2000 /
3-degree Gauss-Krüger CM 105E (EPSG:4544). Road blocks (inset from the road centre lines) are cut into irregular
strips and part-strips: the parcels. A synthetic DEM has flat valley floors under the parks and hills around.
Everything is vectorised (numpy → shapely.polygons) so 100k parcels take seconds.
"""
from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from formats.dem import DEM_SUFFIX
from geo.blocks import block_labels
from geo.errors import ValidationError
from geo.settings import shipped_settings
from geo.workspace import Workspace, build_workspace
from seeds import sample_data as sd
from seeds.project_dates import with_dates
from seeds.stock_seed import add_stock, firms_table
from stores.gpkg_file import save_workspace

SAMPLE_CRS = CRS.from_epsg(4544)
CENTER_XY = (528_000.0, 3_575_000.0)           # ≈ 105.3°E, 32.3°N
TARGET_PARCEL_M2 = 24_000.0                     # ≈ 36 亩, a typical industrial parcel
ROAD_WIDTH_M = 22.0
STATUS_P = {"supplied": 0.44, "available": 0.30, "leveling": 0.10, "demolition": 0.06, "reserved": 0.10}
READY_DATES = pd.to_datetime([f"{y}-{m:02d}-{d}" for y in (2027, 2028) for m, d in ((3, 31), (6, 30), (9, 30),
                                                                                    (12, 31))])
SYNTHETIC_INDUSTRIES = ("纺织鞋服", "其他", "纺织鞋服;其他")   # keeps the two shortfall cases in their parks


def _zone_specs(n_parcels: int | None, rng: np.random.Generator) -> list[dict]:
    specs = [dict(zone_id=z, name=n, industries=i, spacing=s, rows=r, cols=c, angle=a, offset=o, floor=f)
             for z, n, i, s, r, c, a, o, f in sd.ZONES]
    if n_parcels is None:
        return specs
    n_zones = max(len(specs), math.ceil(n_parcels / 1000))
    per_zone = 1.15 * n_parcels / n_zones        # overshoot, trimmed to exactly n_parcels later
    grid = math.ceil(math.sqrt(n_zones))
    for k in range(len(specs), n_zones):
        specs.append(dict(zone_id=f"EXT{k:03d}", name=f"扩展园区{k:03d}", industries=SYNTHETIC_INDUSTRIES[k % 3],
                          spacing=(350, 300), rows=0, cols=0, angle=float(rng.uniform(-25, 25)), offset=None,
                          floor=float(rng.uniform(500, 700))))
    for k, spec in enumerate(specs):
        sx, sy = spec["spacing"]
        parcels_per_block = max(1.0, 0.8 * sx * sy / TARGET_PARCEL_M2)
        cells = max(1, round(per_zone / parcels_per_block))
        spec["cols"] = max(1, round(math.sqrt(cells * sy / sx)))
        spec["rows"] = max(1, math.ceil(cells / spec["cols"]))
        if k >= len(sd.ZONES) or n_zones > len(sd.ZONES):
            span = max(max(spec["rows"] * sy, spec["cols"] * sx) for spec in specs[:1]) / 1000 + 3
            gx, gy = k % grid, k // grid
            spec["offset"] = ((gx - grid / 2) * span, (gy - grid / 2) * span)
    return specs


def _rotate(x: np.ndarray, y: np.ndarray, angle_deg: float) -> tuple[np.ndarray, np.ndarray]:
    a = math.radians(angle_deg)
    return x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)


def _inset_quads(q: np.ndarray, d: float) -> np.ndarray:
    """Move each edge of counter-clockwise quads (n, 4, 2) inwards by ``d`` (half a road)."""
    p, e = q, np.roll(q, -1, axis=1) - q                        # edge k: p_k + t·e_k
    normal = np.stack([-e[..., 1], e[..., 0]], axis=-1) / np.linalg.norm(e, axis=-1, keepdims=True)
    p = p + d * normal                                          # offset lines
    p_prev, e_prev = np.roll(p, 1, axis=1), np.roll(e, 1, axis=1)
    # corner k = intersection of offset edge k-1 and offset edge k
    cross = e_prev[..., 0] * e[..., 1] - e_prev[..., 1] * e[..., 0]
    diff = p - p_prev
    t = (diff[..., 0] * e[..., 1] - diff[..., 1] * e[..., 0]) / cross
    return p_prev + t[..., None] * e_prev


def _road_blocks(spec: dict, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Block quads (n, 4, 2) of one park and the park's cell quads (for its outline)."""
    rows, cols, (sx, sy) = spec["rows"], spec["cols"], spec["spacing"]
    jj, ii = np.meshgrid(np.arange(cols + 1), np.arange(rows + 1))
    x = (jj - cols / 2) * sx + rng.uniform(-0.12, 0.12, jj.shape) * sx
    y = (ii - rows / 2) * sy + rng.uniform(-0.12, 0.12, ii.shape) * sy
    x, y = _rotate(x, y, spec["angle"])
    ox, oy = spec["offset"]
    x, y = x + CENTER_XY[0] + ox * 1000, y + CENTER_XY[1] + oy * 1000
    nodes = np.stack([x, y], axis=-1)
    cells = np.stack([nodes[:-1, :-1], nodes[:-1, 1:], nodes[1:, 1:], nodes[1:, :-1]], axis=2).reshape(-1, 4, 2)
    corner = ((np.arange(rows)[:, None] % max(rows - 1, 1) == 0) & (np.arange(cols)[None, :] % max(cols - 1, 1) == 0))
    keep = ~(corner.ravel() & (rng.random(rows * cols) < 0.5)) if rows * cols > 4 else np.ones(rows * cols, bool)
    cells = cells[keep]
    return _inset_quads(cells, ROAD_WIDTH_M / 2), cells


def _subdivide(blocks: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Cut each block quad into strips across its long side, and some strips in two: (parcel quads, block index)."""
    a, b, c, d = (blocks[:, k] for k in range(4))
    long_ab = np.linalg.norm(b - a, axis=1) >= np.linalg.norm(d - a, axis=1)
    # reorder so that a→b is the long side
    a, b, c, d = (np.where(long_ab[:, None], u, v) for u, v in ((a, d), (b, a), (c, b), (d, c)))
    area = shapely.area(shapely.polygons(blocks))
    m = np.clip(np.round(area / (TARGET_PARCEL_M2 * 1.6) * rng.uniform(0.6, 1.4, len(blocks))), 1, 8).astype(int)
    owner = np.repeat(np.arange(len(blocks)), m)
    k = np.arange(len(owner)) - np.repeat(np.cumsum(m) - m, m)          # strip number within its block
    step = 1.0 / m[owner]
    jitter = rng.uniform(-0.22, 0.22, len(owner)) * step
    t0 = np.where(k == 0, 0.0, k * step + jitter)
    t1 = np.r_[t0[1:], 0.0]
    t1 = np.where(k == m[owner] - 1, 1.0, t1)
    skew = rng.uniform(-0.04, 0.04, len(owner)) * step
    s0 = np.where(k == 0, 0.0, t0 + skew)
    s1 = np.r_[s0[1:], 0.0]
    s1 = np.where(k == m[owner] - 1, 1.0, s1)
    A, B, C, D = a[owner], b[owner], c[owner], d[owner]
    p0, p1 = A + (B - A) * t0[:, None], A + (B - A) * t1[:, None]
    q1, q0 = D + (C - D) * s1[:, None], D + (C - D) * s0[:, None]
    strips = np.stack([p0, p1, q1, q0], axis=1)
    # split about 40 % of the strips across, at 35–65 %
    split = rng.random(len(strips)) < 0.4
    u = rng.uniform(0.35, 0.65, split.sum())[:, None]
    s = strips[split]
    m0, m1 = s[:, 0] + (s[:, 3] - s[:, 0]) * u, s[:, 1] + (s[:, 2] - s[:, 1]) * u
    half_a = np.stack([s[:, 0], s[:, 1], m1, m0], axis=1)
    half_b = np.stack([m0, m1, s[:, 2], s[:, 3]], axis=1)
    quads = np.concatenate([strips[~split], half_a, half_b])
    owners = np.concatenate([owner[~split], owner[split], owner[split]])
    order = np.lexsort((quads[:, 0, 1], quads[:, 0, 0], owners))
    return quads[order], owners[order]


def _assign_status(n_blocks: int, owner: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    names = np.array(list(STATUS_P))
    p = np.array(list(STATUS_P.values()))
    block_status = rng.choice(names, size=n_blocks, p=p)
    own = rng.choice(names, size=len(owner), p=p)
    return np.where(rng.random(len(owner)) < 0.7, block_status[owner], own)


def _cap_available_blocks(parcels: pd.DataFrame, zone_id: str, cap_mu: float) -> None:
    """Turn parcels to `supplied` until no contiguous available block of the park reaches ``cap_mu``."""
    for _ in range(200):
        sel = parcels.index[(parcels["zone_id"] == zone_id) & (parcels["status"] == "available")]
        if len(sel) == 0:
            return
        geoms = np.asarray(parcels.loc[sel, "geometry"].values)
        blocks = shipped_settings().blocks       # the sample county is the same whatever the caller configures
        labels = block_labels(geoms, np.zeros(len(sel), dtype=int), blocks.touch_gap_m, blocks.min_shared_edge_m)
        area = parcels.loc[sel, "area_mu"].groupby(labels).transform("sum").to_numpy()
        big = area >= cap_mu
        if not big.any():
            return
        # the largest parcel of each oversize block becomes supplied (an existing firm), splitting the block
        cand = pd.DataFrame({"label": labels[big], "mu": parcels.loc[sel[big], "area_mu"].to_numpy()}, index=sel[big])
        parcels.loc[cand.groupby("label")["mu"].idxmax().to_numpy(), "status"] = "supplied"


def generate_layers(parcels: int | None = None, projects: int | None = None, seed: int = 0,
                    stock: bool = True) -> dict:
    """The five layers (GeoDataFrames / DataFrames) and the DEM of a county; see module docstring. ``stock``: the
    supplied parcels' contracts and the firms table (``seeds.stock_seed``; drawn last, the rest unchanged)."""
    rng = np.random.default_rng(seed)
    specs = _zone_specs(parcels, rng)
    zone_rows, parcel_frames, block_base = [], [], 0
    for spec in specs:
        blocks, cells = _road_blocks(spec, rng)
        quads, owner = _subdivide(blocks, rng)
        outline = shapely.buffer(shapely.union_all(shapely.polygons(cells)), 40, join_style="mitre")
        zone_rows.append(dict(zone_id=spec["zone_id"], name=spec["name"], industries=spec["industries"],
                              remark=sd.FICTIONAL_NOTE, floor_m=spec["floor"], geometry=outline))
        n = len(quads)
        k = np.arange(n) - np.searchsorted(owner, owner)   # parcel number within its block (owner sorted)
        parcel_frames.append(pd.DataFrame({
            "parcel_id": [f"{spec['zone_id']}-{o + 1:03d}-{j + 1}" for o, j in zip(owner, k)],
            "zone_id": spec["zone_id"],
            "status": _assign_status(len(blocks), owner, rng),
            "road_block": owner + block_base,
            "geometry": shapely.polygons(np.concatenate([quads, quads[:, :1]], axis=1)),
        }))
        block_base += len(blocks)
    zones = gpd.GeoDataFrame(zone_rows, geometry="geometry", crs=SAMPLE_CRS)
    pf = pd.concat(parcel_frames, ignore_index=True)
    if parcels is not None:
        pf = pf.iloc[np.sort(rng.choice(len(pf), size=min(parcels, len(pf)), replace=False))].reset_index(drop=True)
    pf = gpd.GeoDataFrame(pf, geometry="geometry", crs=SAMPLE_CRS)
    pf["area_mu"] = shapely.area(np.asarray(pf.geometry.values)) * 15 / 10000   # planar, only to steer the layout
    pipeline = pf["status"].isin(("leveling", "demolition"))
    pf["ready_date"] = pd.NaT
    pf.loc[pipeline, "ready_date"] = READY_DATES[rng.integers(0, len(READY_DATES), pipeline.sum())]

    project_table = _projects(zones, projects, rng)
    _shape_shortfall_cases(pf, project_table)
    pf["land_use"] = np.where(rng.random(len(pf)) < 0.8, "100101", "100102")
    pf["registered_mu"] = pf["area_mu"].round(1)
    odd = rng.choice(len(pf), size=min(3, len(pf)), replace=False)
    pf.loc[pf.index[odd], "registered_mu"] = (pf["area_mu"].iloc[odd] * rng.uniform(1.03, 1.08, len(odd))).round(1)
    pf["occupant"] = None
    for zone_id, firms in sd.FIRMS.items():
        supplied = pf.index[(pf["zone_id"] == zone_id) & (pf["status"] == "supplied")][:len(firms)]
        pf.loc[supplied, "occupant"] = firms[:len(supplied)]
    factories = _factories(pf, zones, parcels, rng)
    firms = None
    if stock:           # the sample county's own cases; any other county a random mix
        own = parcels is None and seed == sd.SAMPLE_SEED
        add_stock(pf, rng, sample=own)
        firms = firms_table(pf, rng, sample=own)
    pf = pf.drop(columns=["area_mu", "road_block"])
    dem = _dem(zones, pf, rng)
    from seeds.constraint_layers import sample_constraints
    constraints = sample_constraints(zones, pf) if parcels is None else {}     # the sample county only
    return {"zones": zones.drop(columns=["floor_m"]), "parcels": pf, "factories": factories,
            "projects": project_table, "dem": dem, "constraints": constraints,
            **({"firms": firms} if firms is not None else {})}


def _shape_shortfall_cases(pf: gpd.GeoDataFrame, projects: pd.DataFrame) -> None:
    """Make the report's two 有项目、无选址 cases true: too little land today, enough once pipeline work is done."""
    for project_id, (zone_id, status, ready) in sd.SHORTFALL_CASES.items():
        if project_id not in set(projects["project_id"]) or not (pf["zone_id"] == zone_id).any():
            continue
        need = float(projects.loc[projects["project_id"] == project_id, "land_mu"].iloc[0])
        in_zone = pf[pf["zone_id"] == zone_id]
        block_area = in_zone.groupby("road_block")["area_mu"].sum()
        big = block_area[block_area >= need * 1.08]
        if len(big):
            # the smallest road block that is large enough goes into the pipeline as one piece
            pf.loc[in_zone.index[in_zone["road_block"] == big.idxmin()], ["status", "ready_date"]] = \
                (status, pd.Timestamp(ready))
    for industry in projects.loc[projects["project_id"].isin(list(sd.SHORTFALL_CASES)), "industry"]:
        need = projects.loc[(projects["project_id"].isin(list(sd.SHORTFALL_CASES))) &
                            (projects["industry"] == industry), "land_mu"].min()
        for zone_id in {z for z, _, ind, *_ in sd.ZONES if industry in ind.split(";")}:
            _cap_available_blocks(pf, zone_id, need * 0.9)


def _projects(zones: gpd.GeoDataFrame, n: int | None, rng: np.random.Generator) -> pd.DataFrame:
    cols = ["project_id", "name", "industry", "investment_yi", "land_mu", "floor_m2", "preferred_zone", "stage",
            "needed_by"]
    table = pd.DataFrame(sd.PROJECTS, columns=cols)
    if n is not None and n > len(table):
        k = n - len(table)
        industries = np.array(["纺织鞋服", "健康食品", "新能源电池", "其他"])
        ind = industries[rng.integers(0, 4, k)]
        land = np.round(np.clip(rng.lognormal(math.log(45), 0.6, k), 8, 400), 0)
        floor_only = rng.random(k) < 0.15
        admitting = {i: [z for z, s in zip(zones["zone_id"], zones["industries"]) if i in s.split(";")]
                     for i in industries}
        pref = [rng.choice(admitting[i]) if admitting[i] and rng.random() < 0.7 else None for i in ind]
        extra = pd.DataFrame({
            "project_id": [f"P-X{j:05d}" for j in range(k)], "name": [f"扩展招商项目{j:05d}" for j in range(k)],
            "industry": ind, "investment_yi": np.round(land * rng.uniform(0.015, 0.06, k), 2),
            "land_mu": np.where(floor_only, np.nan, land),
            "floor_m2": np.where(floor_only, np.round(land * 150, -2), np.nan),
            "preferred_zone": pref, "stage": rng.choice(["negotiating", "signed", "started"], k, p=[0.5, 0.35, 0.15]),
            "needed_by": [None if rng.random() < 0.7 else str(d.date()) for d in
                          READY_DATES[rng.integers(0, len(READY_DATES), k)]],
        })
        table = pd.concat([table, extra], ignore_index=True)
    elif n is not None:
        table = table.iloc[:n]
    table["priority"] = table["stage"].map(shipped_settings().matching.stage_priority)
    table["remark"] = sd.FICTIONAL_NOTE
    return with_dates(table, rng)



def _factories(pf: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, n_parcels: int | None,
               rng: np.random.Generator) -> gpd.GeoDataFrame:
    plan = list(sd.FACTORIES)
    if n_parcels is not None:
        extra_zones = [z for z in zones["zone_id"] if z.startswith("EXT")]
        statuses = [("built", None), ("building", "2027-06-30"), ("planned", "2028-06-30")]
        plan += [(extra_zones[i % len(extra_zones)], *statuses[i % 3], 4)
                 for i in range(max(0, n_parcels // 50 - len(plan)))] if extra_zones else []
    rows, used = [], set()
    for i, (zone_id, status, ready, floors) in enumerate(plan):
        cand = pf.index[(pf["zone_id"] == zone_id) & (pf["status"] == "supplied") & (pf["area_mu"] < 60)]
        cand = [c for c in cand if c not in used]
        if not cand:
            continue
        host = cand[int(rng.integers(0, len(cand)))]
        used.add(host)
        footprint = shapely.buffer(pf.at[host, "geometry"], -15, join_style="mitre")
        floor_area = round(float(shapely.area(footprint)) * 0.6 * floors, -2)
        footprint = shapely.buffer(footprint, -(1 - 0.6 ** 0.5) * 20, join_style="mitre")
        vacant = floor_area if status != "built" else round(floor_area * float(rng.uniform(0.25, 0.6)), -2)
        rows.append(dict(factory_id=f"F-{zone_id}-{i + 1:02d}", zone_id=zone_id, name=f"标准厂房{i + 1}号",
                         floors=floors, floor_area_m2=floor_area, vacant_m2=vacant, status=status,
                         ready_date=pd.Timestamp(ready) if ready else pd.NaT, host_parcel=pf.at[host, "parcel_id"],
                         geometry=footprint))
    cols = ["factory_id", "zone_id", "name", "floors", "floor_area_m2", "vacant_m2", "status", "ready_date",
            "host_parcel", "geometry"]
    return gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=SAMPLE_CRS)


def _dem(zones: gpd.GeoDataFrame, pf: gpd.GeoDataFrame, rng: np.random.Generator) -> dict:
    """Hills with flat valley floors under the parks; land awaiting leveling keeps hummocks of a few metres."""
    from rasterio import features
    from rasterio.transform import from_origin
    from scipy import ndimage

    minx, miny, maxx, maxy = zones.total_bounds
    minx, miny, maxx, maxy = minx - 1500, miny - 1500, maxx + 1500, maxy + 1500
    cell = max(20.0, math.ceil(max(maxx - minx, maxy - miny) / 2500))
    width, height = int((maxx - minx) // cell) + 1, int((maxy - miny) // cell) + 1
    transform = from_origin(minx, maxy, cell, cell)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    x, y = xx * cell, yy * cell
    hills = 700 + 160 * np.sin(x / 2300 + 1.3) * np.cos(y / 1900) + 90 * np.sin((x + y) / 1100)
    for _ in range(12):
        cx, cy, r, h = rng.uniform(0, width * cell), rng.uniform(0, height * cell), rng.uniform(600, 1800), \
            rng.uniform(80, 260)
        hills += h * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r ** 2))
    floor = features.rasterize(zip(zones.geometry, zones["floor_m"]), out_shape=(height, width),
                               transform=transform, fill=0, dtype="float32")
    inside = floor > 0
    dist, (iy, ix) = ndimage.distance_transform_edt(~inside, return_indices=True)
    nearest_floor = floor[iy, ix]
    blend = np.clip(dist * cell / 700.0, 0, 1) ** 1.5
    z = nearest_floor * (1 - blend) + np.maximum(hills, nearest_floor + 20) * blend
    z += 1.5 * np.sin(x / 90.0) * np.cos(y / 110.0)                          # gentle valley-floor relief
    rough = pf.geometry[pf["status"] == "leveling"]
    if len(rough):
        # hummocks on a hillside: each parcel tilts 8 % along x about its centre (thousands of m³ per 亩)
        label = features.rasterize(((g, i + 1) for i, g in enumerate(rough)), out_shape=(height, width),
                                   transform=transform, fill=0, dtype="int32")
        mask = label > 0
        cx = shapely.get_x(shapely.centroid(np.asarray(rough.values))) - minx
        tilt = 0.08 * (x[mask] - cx[label[mask] - 1])
        z[mask] += (4 + 3 * np.sin(x[mask] / 60.0) * np.cos(y[mask] / 45.0) + tilt).astype(np.float32)
    return {"array": z.astype("float32"), "transform": transform, "crs": SAMPLE_CRS}


def _validated(layers: dict, source: str):
    """``build_workspace`` with the shipped configuration: the sample county is the same whatever the caller
    configures (as its blocks and priorities above)."""
    shipped = shipped_settings()
    return build_workspace(layers, source=source, validation=shipped.validation,
                           stage_priority=shipped.matching.stage_priority)


def generate_workspace(parcels: int | None = None, projects: int | None = None, seed: int = 0) -> Workspace:
    """The validated in-memory Workspace of a generated county (without the DEM)."""
    layers = generate_layers(parcels, projects, seed)
    layers.pop("dem")
    constraints = layers.pop("constraints")
    ws, report = _validated(layers, source=f"seed={seed}")
    if ws is None:  # a generator bug, not user input
        raise ValidationError(f"生成的示例县未通过校验（生成器的缺陷）：{report.summary()}", report)
    return dataclasses.replace(ws, constraints=constraints)


def write_dem(dem: dict, path: Path) -> Path:
    import rasterio
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")      # per process: two may seed the same county
    with rasterio.open(tmp, "w", driver="GTiff", width=dem["array"].shape[1], height=dem["array"].shape[0], count=1,
                       dtype="float32", crs=dem["crs"], transform=dem["transform"], compress="deflate", tiled=True,
                       predictor=3, nodata=-9999) as dst:
        dst.write(dem["array"], 1)
        dst.update_tags(NOTE=sd.FICTIONAL_NOTE, UNITS="metre")
    tmp.replace(path)
    return path


def write_county(out: str | Path, parcels: int | None = None, projects: int | None = None, seed: int = 0) -> Workspace:
    """Generate a county into ``out`` (GeoPackage) and its DEM beside it (``<stem>.dem.tif``)."""
    out = Path(out)
    layers = generate_layers(parcels, projects, seed)
    dem = layers.pop("dem")
    constraints = layers.pop("constraints")
    ws, report = _validated(layers, source=str(out))
    if ws is None:
        raise ValidationError(f"生成的示例县未通过校验（生成器的缺陷）：{report.summary()}", report)
    ws = dataclasses.replace(ws, constraints=constraints)
    save_workspace(ws, out)
    write_dem(dem, out.with_name(out.stem + DEM_SUFFIX))
    return ws
