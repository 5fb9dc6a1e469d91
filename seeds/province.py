"""A fictional province (or city) for benchmarks: many seeded counties side by side in one workspace, each with its
county code (GB/T 2260 form, geo.county) on its parks and projects and in every id (``510121-EXT012-004-2``).

One county is generated (``seeds.generator.generate_layers``) and copied: every copy's geometry shifted onto a grid
in one vectorised pass (shapely.get_coordinates / set_coordinates), its ids prefixed with its code — a million
parcels in a few seconds, written as a GeoPackage (``write_province``) without the per-county DEM.
"""
from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from seeds.generator import SAMPLE_CRS, generate_layers

GAP_M = 2_000.0          # between two counties' extents


def county_codes(n: int) -> list[str]:
    """``n`` county codes of one fictional province (51): 20 counties per prefecture, numbered from 21."""
    return [f"51{k // 20 + 1:02d}{k % 20 + 21:02d}" for k in range(n)]


def _shift(geoms: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    coords += np.column_stack([dx[index], dy[index]])
    return shapely.set_coordinates(geoms.copy(), coords)


def _copies(frame: pd.DataFrame, codes: list[str], ids: dict[str, str], offsets=None) -> pd.DataFrame:
    """``frame`` once per county: id columns prefixed with the code, geometry shifted by the county's offset."""
    n, k = len(frame), len(codes)
    out = pd.DataFrame({c: np.tile(frame[c].to_numpy(), k) for c in frame.columns if c != "geometry"})
    code = np.repeat(np.array(codes, dtype=object), n)
    for col, kind in ids.items():
        values = out[col]
        prefixed = pd.Series(code, index=out.index) + "-" + values.astype(str)
        out[col] = prefixed.where(values.notna(), None) if kind == "ref" else prefixed
    if "geometry" not in frame.columns:
        return out
    dx, dy = (np.repeat(o, n) for o in offsets)
    return gpd.GeoDataFrame(out, geometry=_shift(np.tile(np.asarray(frame.geometry.values), k), dx, dy),
                            crs=frame.crs)


def province_layers(counties: int = 100, parcels_per_county: int = 10_000, projects_per_county: int = 60,
                    seed: int = 0) -> dict[str, pd.DataFrame]:
    """zones, parcels, factories, projects of ``counties`` copies of one seeded county, each with its code."""
    one = generate_layers(parcels_per_county, projects_per_county, seed)
    codes = county_codes(counties)
    x0, y0, x1, y1 = one["zones"].total_bounds
    grid = math.ceil(math.sqrt(counties))
    col, row = np.arange(counties) % grid, np.arange(counties) // grid
    offsets = ((col - (grid - 1) / 2) * (x1 - x0 + GAP_M), (row - (grid - 1) / 2) * (y1 - y0 + GAP_M))
    zones = _copies(one["zones"], codes, {"zone_id": "id"}, offsets)
    zones["county_code"] = np.repeat(codes, len(one["zones"]))
    zones["name"] = zones["zone_id"]
    parcels = _copies(one["parcels"], codes, {"parcel_id": "id", "zone_id": "id"}, offsets)
    factories = _copies(one["factories"], codes, {"factory_id": "id", "zone_id": "id", "host_parcel": "ref"},
                        offsets)
    projects = _copies(one["projects"], codes, {"project_id": "id", "preferred_zone": "ref"})
    projects["county_code"] = np.repeat(codes, len(one["projects"]))
    return {"zones": zones, "parcels": parcels, "factories": factories, "projects": projects}


def write_province(out: str | Path, counties: int = 100, parcels_per_county: int = 10_000,
                   projects_per_county: int = 60, seed: int = 0) -> Path:
    """The province as a workspace GeoPackage at ``out`` (written as the store writes a workspace)."""
    import warnings

    from stores.gpkg_file import write_layer
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp.gpkg")
    tmp.unlink(missing_ok=True)
    layers = province_layers(counties, parcels_per_county, projects_per_county, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, frame in layers.items():
            write_layer(tmp, name, frame, SAMPLE_CRS)
    tmp.replace(out)
    return out
