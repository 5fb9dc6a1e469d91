"""The gap summary (缺口汇总) of one match: per park, the unzoned projects, and the county — computed here only.

Definitions, used by the CLI, the app, the Excel downloads and the briefing alike:
- a project counts in its preferred park (意向园区), else in the park it was placed in, else in the unzoned row
  (``project_zone``);
- pending 亩 (需用地) = Σ ``land_mu`` of the pending projects; 缺口 (shortfall) = Σ ``gap_mu`` of the unplaced;
  the unplaced projects' need (无选址项目需用地) = Σ their ``land_mu`` — the two are different numbers;
- land left = net 亩 of the parcels less the area the sites take (split by the status of the parcels under them).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import shapely

from geo.netland import offered_mu
from geo.units import M2_PER_MU
from geo.vocab import COUNTY_TOTAL_LABEL, PIPELINE_STATUSES, UNZONED_LABEL
from geo.workspace import Workspace
from matching.model import Placement, Unplaced

ZONE_ROW_KINDS = ("zone", "unzoned", "county")


@dataclass(frozen=True)
class ZoneRow:
    """One row of the gap summary: a park (``kind="zone"``), the projects with no park (``"unzoned"``, 未定园区),
    or the county total (``"county"``, 全县合计)."""
    kind: str
    zone_id: str | None
    name: str
    pending_count: int          # 待安排项目
    pending_mu: float           # their 需用地 (亩)
    pending_yi: float           # their investment (亿元)
    placed_count: int
    placed_mu: float            # area of the sites given (亩)
    unplaced_count: int         # 有项目、无选址
    unplaced_mu: float          # the unplaced projects' 需用地 (亩) — not the shortfall
    unplaced_gap_mu: float      # 缺口: how many 亩 they are short (Σ gap_mu)
    unplaced_yi: float          # the unplaced projects' investment (亿元)
    available_left_mu: float    # 可供 land left after the sites
    pipeline_mu: float          # 在途 (待平整/待拆迁) land left
    vacant_factory_m2: float    # standard-factory floor space left

    @property
    def total(self) -> bool:
        return self.kind == "county"

    def to_dict(self) -> dict:
        """The row of ``match --json`` ``zones`` (``total`` true on the county row, as before)."""
        d = asdict(self)
        d["total"] = self.total
        return d


def project_zone(preferred_zone, placed_zone: str | None) -> str | None:
    """The park a project counts in: its preferred park, else the park it was placed in, else None (unzoned)."""
    if isinstance(preferred_zone, str) and preferred_zone:
        return preferred_zone
    return placed_zone or None


def _site_use(ws: Workspace, placements: list[Placement]) -> pd.Series:
    """亩 of each parcel (parcels index) taken by the land sites, in the parcel's registered scale."""
    used = pd.Series(0.0, index=ws.parcels.index)
    land = [pl for pl in placements if pl.kind == "land" and pl.site is not None]
    if not land:
        return used
    geoms = np.asarray(ws.metric("parcels").geometry.values)
    sites = np.array([pl.site for pl in land], dtype=object)
    s_idx, g_idx = shapely.STRtree(geoms).query(sites, predicate="intersects")
    inter = shapely.area(shapely.intersection(sites[s_idx], geoms[g_idx])) / M2_PER_MU
    scale = ws.parcels["area_mu"].to_numpy()[g_idx] / np.maximum(shapely.area(geoms[g_idx]) / M2_PER_MU, 1e-12)
    np.add.at(used.values, g_idx, inter * scale)
    return used


def summarize(ws: Workspace, projects: pd.DataFrame, placements: list[Placement],
              unplaced: list[Unplaced], net=None) -> tuple[list[ZoneRow], ZoneRow]:
    """(rows per park in id order + the unzoned row when any project has no park, the county row). ``net``: the
    workspace's net land (geo.netland.workspace_net), so the land left is net land."""
    where = {pl.project_id: pl.zone_id for pl in placements}
    pids = [str(p) for p in projects["project_id"]]
    zone_of = pd.Series([project_zone(z, where.get(pid)) for pid, z in zip(pids, projects["preferred_zone"])],
                        index=pids, dtype=object)
    frame = pd.DataFrame({
        "zone": zone_of.fillna(""),
        "need": pd.to_numeric(projects["land_mu"], errors="coerce").fillna(0.0).to_numpy(),
        "yi": pd.to_numeric(projects["investment_yi"], errors="coerce").fillna(0.0).to_numpy()}, index=pids)
    placed_mu = {pl.project_id: (pl.site_mu or 0.0) for pl in placements}
    un = {u.project_id: u for u in unplaced}
    frame["placed"] = frame.index.isin(list(where))
    frame["unplaced"] = frame.index.isin(list(un))
    frame["site_mu"] = [placed_mu.get(p, 0.0) for p in frame.index]
    frame["gap"] = [float(un[p].gap_mu or 0.0) if p in un else 0.0 for p in frame.index]

    parcels = ws.parcels
    left = (offered_mu(parcels, net) - _site_use(ws, placements)).clip(lower=0)
    avail_left = left[parcels["status"] == "available"].groupby(parcels["zone_id"]).sum()
    pipe_left = left[parcels["status"].isin(PIPELINE_STATUSES)].groupby(parcels["zone_id"]).sum()
    floor_used = pd.Series({pl.factory_id: pl.floor_m2 for pl in placements if pl.kind == "factory"}, dtype=float)
    fac = ws.factories
    fac_left = (fac["vacant_m2"] - floor_used.groupby(level=0).sum().reindex(fac.index).fillna(0.0)) \
        .groupby(fac["zone_id"]).sum()

    def row(kind: str, zid: str | None, name: str, sel: pd.DataFrame, avail: float, pipe: float,
            vacant: float) -> ZoneRow:
        u = sel[sel["unplaced"]]
        return ZoneRow(kind=kind, zone_id=zid, name=name, pending_count=len(sel),
                       pending_mu=round(float(sel["need"].sum()), 1), pending_yi=round(float(sel["yi"].sum()), 2),
                       placed_count=int(len(sel) - len(u)), placed_mu=round(float(sel["site_mu"].sum()), 1),
                       unplaced_count=len(u), unplaced_mu=round(float(u["need"].sum()), 1),
                       unplaced_gap_mu=round(float(u["gap"].sum()), 2), unplaced_yi=round(float(u["yi"].sum()), 2),
                       available_left_mu=round(float(avail), 1), pipeline_mu=round(float(pipe), 1),
                       vacant_factory_m2=round(float(vacant), 0))

    rows = [row("zone", zid, str(ws.zones.at[zid, "name"]), frame[frame["zone"] == zid],
                avail_left.get(zid, 0.0), pipe_left.get(zid, 0.0), fac_left.get(zid, 0.0))
            for zid in sorted(ws.zones.index.astype(str))]
    loose = frame[frame["zone"] == ""]
    if len(loose):
        rows.append(row("unzoned", None, UNZONED_LABEL, loose, 0.0, 0.0, 0.0))
    county = row("county", None, COUNTY_TOTAL_LABEL, frame, avail_left.sum(), pipe_left.sum(), fac_left.sum())
    return rows, county
