"""Shared fixtures: small hand-made workspaces and the sample county (generated once per session)."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

GK = 4544          # CGCS2000 / 3-degree Gauss-Kruger CM 105E
X0, Y0 = 520_000.0, 3_575_000.0


def make_layers(parcels: list[dict] | None = None, zones: list[dict] | None = None,
                projects: list[dict] | None = None, factories: list[dict] | None = None, crs=GK) -> dict:
    """Layers from plain dicts; geometries given as (minx, miny, maxx, maxy) offsets from (X0, Y0) or shapely."""
    def geom(g):
        return box(X0 + g[0], Y0 + g[1], X0 + g[2], Y0 + g[3]) if isinstance(g, tuple) else g

    def frame(rows, geometry=True):
        rows = [dict(r) for r in rows]
        if not geometry:
            return pd.DataFrame(rows)
        for r in rows:
            r["geometry"] = geom(r["geometry"])
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)

    zones = zones or [{"zone_id": "Z1", "name": "测试园区", "industries": "纺织鞋服",
                       "geometry": (-50, -50, 2000, 2000)}]
    layers = {"zones": frame(zones), "parcels": frame(parcels or [])}
    if projects is not None:
        layers["projects"] = frame(projects, geometry=False)
    if factories is not None:
        layers["factories"] = frame(factories)
    return layers


def parcel(pid: str, bounds, status: str = "available", zone: str = "Z1", **kw) -> dict:
    return {"parcel_id": pid, "zone_id": zone, "status": status, "geometry": bounds, **kw}


def validated_by(settings) -> dict:
    """``build_workspace``'s ``validation`` and ``stage_priority`` from ``settings``, as the stores pass them."""
    return {"validation": settings.validation, "stage_priority": settings.matching.stage_priority}


@pytest.fixture(scope="session")
def sample_path(tmp_path_factory):
    from seeds.generator import write_county
    path = tmp_path_factory.mktemp("sample") / "county.gpkg"
    write_county(path, seed=0)
    return path


@pytest.fixture(scope="session")
def sample_ws(sample_path, settings):
    """The sample county as the edge loads it for the engine: with its DEM's steep land."""
    from formats.dem import with_steep_land
    from stores.gpkg_file import load_workspace
    return with_steep_land(load_workspace(sample_path, settings), settings.terrain.max_slope_pct)


@pytest.fixture(scope="session")
def settings():
    """The configuration as frozen Settings, passed to matching like the CLI and the app do."""
    from geo.settings import load_settings
    return load_settings()


@pytest.fixture(scope="session")
def ws_path(tmp_path_factory, settings):
    """A small workspace file: two parcels in one park (import tests write into copies of it)."""
    from geo.workspace import build_workspace
    from stores.gpkg_file import save_workspace
    ws, report = build_workspace(make_layers([parcel("P1", (0, 0, 100, 100)), parcel("P2", (300, 0, 400, 100))]),
                                 **validated_by(settings))
    assert ws is not None, report.errors
    path = tmp_path_factory.mktemp("ws") / "ws.gpkg"
    save_workspace(ws, path)
    return path
