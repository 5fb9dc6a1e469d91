"""标准地 check: investment intensity (投资强度, 万元/亩) of land projects against the configured floor."""
from __future__ import annotations

import numpy as np
import pandas as pd

from geo.settings import Settings
from geo.units import WAN_PER_YI, investment_intensity_wan_per_mu
from geo.workspace import Workspace


def intensity_floor(zone_id: str | None, industry: str | None, *, settings: Settings) -> float:
    """The floor (万元/亩) for a park and industry: [intensity.by_zone] entry for the industry, then its "*", then
    [intensity.by_industry], then the default (``settings.intensity``; its ``source`` names where they come from)."""
    cfg = settings.intensity
    zone = cfg.by_zone.get(zone_id or "", {})
    if industry in zone:
        return float(zone[industry])
    if "*" in zone:
        return float(zone["*"])
    if industry in cfg.by_industry:
        return float(cfg.by_industry[industry])
    return float(cfg.default_wan_per_mu)


def intensity_check(ws: Workspace, *, settings: Settings) -> pd.DataFrame:
    """One row per land project with an investment: intensity, floor (of its preferred park, else the county
    default), ``below`` and the standard-justified land need (标准地核定用地 = investment / floor, 亩).

    Indexed by project_id, sorted by it; the floor's source is in the ``source`` column.
    """
    p = ws.projects
    p = p[p["land_mu"].notna() & p["investment_yi"].notna()].sort_values("project_id")
    floors = np.array([intensity_floor(z if isinstance(z, str) else None, i, settings=settings)
                       for z, i in zip(p["preferred_zone"], p["industry"])], dtype=float)
    intensity = investment_intensity_wan_per_mu(p["investment_yi"].to_numpy(float), p["land_mu"].to_numpy(float))
    justified = p["investment_yi"].to_numpy(float) * WAN_PER_YI / floors
    out = pd.DataFrame({
        "project_id": p["project_id"].to_numpy(), "name": p["name"].to_numpy(), "industry": p["industry"].to_numpy(),
        "zone_id": p["preferred_zone"].to_numpy(), "investment_yi": p["investment_yi"].to_numpy(float),
        "land_mu": p["land_mu"].to_numpy(float), "intensity_wan_per_mu": np.round(intensity, 1),
        "floor_wan_per_mu": floors, "below": intensity < floors,
        "justified_mu": np.round(np.minimum(justified, p["land_mu"].to_numpy(float)), 1),
        "source": settings.intensity.source,
    }, index=p.index)
    return out
