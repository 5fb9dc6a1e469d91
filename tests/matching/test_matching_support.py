"""Small in-memory workspaces for the matching tests: each zone is a row of rectangular strips 100 m deep."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from geo.settings import load_settings
from geo.units import M2_PER_MU
from geo.workspace import build_workspace
from tests.conftest import validated_by

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

CRS = "EPSG:4544"
DEPTH = 100.0


def strip_row(zone_id: str, y0: float, strips: list[tuple], x0: float = 500_000.0) -> list[dict]:
    """``strips`` = [(width_m or ("mu", area), status, ready_date|None), ...] laid side by side (touching)."""
    rows, x = [], x0
    for k, (width, status, ready) in enumerate(strips):
        if isinstance(width, tuple):
            width = width[1] * M2_PER_MU / DEPTH
        rows.append({"parcel_id": f"{zone_id}-{k + 1:02d}", "zone_id": zone_id, "status": status,
                     "ready_date": pd.Timestamp(ready) if ready else pd.NaT,
                     "geometry": shapely.box(x, y0, x + width, y0 + DEPTH)})
        x += width
    return rows


def make_ws(zones: list[tuple[str, str, list[tuple]]], projects: list[dict], factories: list[dict] = ()):
    """``zones`` = [(zone_id, industries, strips)]; rows are 1 km apart. Returns the Workspace (asserts valid)."""
    parcels, zone_rows = [], []
    for k, (zid, industries, strips) in enumerate(zones):
        y0 = 3_500_000.0 + k * 1000
        rows = strip_row(zid, y0, strips)
        parcels += rows
        xmax = max(r["geometry"].bounds[2] for r in rows) if rows else 500_100.0
        zone_rows.append({"zone_id": zid, "name": f"{zid}园区", "industries": industries,
                          "geometry": shapely.box(499_990.0, y0 - 10, xmax + 10, y0 + DEPTH + 10)})
    fac_rows = []
    for f in factories:
        zi = [z[0] for z in zones].index(f["zone_id"])
        y0 = 3_500_000.0 + zi * 1000
        fac_rows.append({"floors": 4, "name": f["factory_id"], "floor_area_m2": f.get("vacant_m2", 0) * 2,
                         "ready_date": pd.NaT, **f,
                         "geometry": shapely.box(499_995.0, y0 - 8, 499_999.0, y0 - 2)})
    proj = []
    for i, p in enumerate(projects):
        proj.append({"project_id": p.get("project_id", f"P{i + 1:02d}"), "name": p.get("name", f"项目{i + 1}"),
                     "industry": p.get("industry", "纺织鞋服"), "investment_yi": p.get("investment_yi", 1.0),
                     "land_mu": p.get("land_mu"), "floor_m2": p.get("floor_m2"),
                     "preferred_zone": p.get("preferred_zone"), "stage": p.get("stage", "signed"),
                     "priority": p.get("priority", 1.0),
                     "needed_by": pd.Timestamp(p["needed_by"]) if p.get("needed_by") else pd.NaT})
    fac_cols = ["factory_id", "zone_id", "name", "floors", "floor_area_m2", "vacant_m2", "status", "ready_date",
                "geometry"]
    layers = {
        "zones": gpd.GeoDataFrame(zone_rows, geometry="geometry", crs=CRS),
        "parcels": gpd.GeoDataFrame(parcels, geometry="geometry", crs=CRS),
        "factories": gpd.GeoDataFrame(fac_rows, columns=fac_cols, geometry="geometry", crs=CRS),
        "projects": pd.DataFrame(proj, columns=["project_id", "name", "industry", "investment_yi", "land_mu",
                                                "floor_m2", "preferred_zone", "stage", "priority", "needed_by"]),
    }
    ws, report = build_workspace(layers, source="test", **validated_by(SETTINGS))
    assert ws is not None, [str(i) for i in report.errors]
    return ws
