"""Stage 1 of a placement, geometry → a plain model: the projects as arrays, the land model (blocks per date level,
``candidates.LandModel``), the free land left by what is already taken, the factories, and zones as integer codes.

``build_instance(ws, projects, settings, ...)`` gives an ``Instance``: read-only data every later stage (options,
problem rows, polish, carving, reasons) reads and none writes.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from geo.cache import DerivedCache, own
from geo.county import counties, project_counties, zones_in_county
from geo.netland import net_key, workspace_net
from geo.settings import MatchingSettings, Settings
from geo.units import M2_PER_MU
from geo.workspace import Workspace
from matching.bounds import SimplifyRule
from matching.candidates import LandModel, admitting_zones, factory_ready_mask, land_model, project_level


@dataclass
class Taken:
    """Land and factory space already taken (committed projects in ``fit``): metric site geometries, floor m²."""
    sites: list = field(default_factory=list)
    floor: dict = field(default_factory=dict)


def fingerprint(section) -> tuple:
    """A hashable key of a settings section (frozen dataclass, mappings included): cache keys that depend on
    settings include it, so two settings never share an entry."""
    def plain(v):
        if hasattr(v, "items"):
            return tuple(sorted((k, plain(x)) for k, x in v.items()))
        if isinstance(v, (list, tuple)):
            return tuple(plain(x) for x in v)
        return v
    return tuple((f.name, plain(getattr(section, f.name))) for f in dataclasses.fields(section))


@dataclass(frozen=True, eq=False)
class Instance:
    """The plain model of placing ``projects`` (a DataFrame like ws.projects, sorted by id) on ``ws``.

    Per project ``p``: ``pid``, ``need`` (亩), ``floor`` (m²), ``priority``, ``pref`` (preferred zone or None),
    ``industry``, ``level`` (date up to which it may use pipeline land) and ``li`` (its index in ``model.levels``).
    Land: ``model``, ``free_mu`` (block areas less the taken sites), ``block_zone`` / ``block_rank`` (zone code and
    ready-date rank per block). Zones: ``zone_names`` (code → id), ``zone_codes`` (id → code), ``pref_code``.
    Factories (sorted by id): ``fac_id``, ``fac_zone``, ``fac_status``, ``fac_vacant`` (less the taken floor),
    ``fac_ready_date``, ``fac_code`` (zone code, -1 for an unknown zone).
    """
    ws: Workspace
    projects: pd.DataFrame
    settings: MatchingSettings
    as_of: object
    only_zone: str | None
    taken: Taken
    pid: np.ndarray
    need: np.ndarray
    floor: np.ndarray
    priority: np.ndarray
    pref: np.ndarray
    industry: np.ndarray
    level: list
    li: np.ndarray
    model: LandModel
    admit: dict
    free_mu: pd.Series
    zone_names: np.ndarray
    zone_codes: pd.Series
    pref_code: np.ndarray
    block_rank: np.ndarray
    block_zone: np.ndarray
    factories: pd.DataFrame
    fac_id: np.ndarray
    fac_zone: np.ndarray
    fac_status: np.ndarray
    fac_vacant: np.ndarray
    fac_ready_date: np.ndarray
    fac_code: np.ndarray
    cache: DerivedCache = field(default_factory=DerivedCache)
    """The derived-data cache the instance's land model came from (later stages derive into it too)."""
    home: np.ndarray | None = None
    """Per project its county (``geo.county.project_counties``: None = any park); None when no park has a code."""
    county_zones: dict = field(default_factory=dict)
    """County code → the parks its projects may use (``geo.county.zones_in_county``)."""

    @property
    def tol(self) -> float:
        """The cut tolerance: the rows reserve need × (1 + tol) so a site can be cut."""
        return self.settings.cut_tolerance

    def zones_for(self, p: int) -> set[str]:
        """Zones admitting project ``p``'s industry, in its county unless it may go to any (``geo.county``) —
        the one place a project's candidate parks are made — and only ``only_zone`` when the search is
        restricted."""
        zones = self.admit[self.industry[p]]
        county = self.home[p] if self.home is not None else None
        if county is not None:
            zones = zones & self.county_zones[county]
        return zones & {self.only_zone} if self.only_zone is not None else zones

    def admit_key(self, p: int) -> tuple:
        """Projects with the same key have the same ``zones_for``."""
        return (self.industry[p], self.home[p] if self.home is not None else None, self.only_zone)

    def fac_ready_at(self, li: int) -> np.ndarray:
        """Factories that can take tenants by date level ``li``."""
        return factory_ready_mask(self.factories, self.model.levels[li])


def free_area(model: LandModel, taken: Taken) -> pd.Series:
    """Block areas (亩), less the taken sites inside them (exactly, by geometry, for blocks they touch)."""
    area = model.blocks["area_mu"].copy()
    if not taken.sites:
        return area
    tree = shapely.STRtree(model.geom)
    sites = np.array(taken.sites, dtype=object)
    s_idx, n_idx = tree.query(sites, predicate="intersects")
    if len(n_idx) == 0:
        return area
    inter = shapely.area(shapely.intersection(sites[s_idx], model.geom[n_idx])) / M2_PER_MU
    for li in range(len(model.levels)):
        keys = model.node_block[li, n_idx]
        ok = keys >= 0
        used = pd.Series(inter[ok]).groupby(keys[ok]).sum()
        area.loc[used.index] -= used.to_numpy() * model.blocks.loc[used.index, "scale"].to_numpy()
    return area


def build_instance(ws: Workspace, projects: pd.DataFrame, settings: Settings, as_of=None, taken: Taken | None = None,
                   only_zone: str | None = None, geometry_of=None, cache: DerivedCache | None = None) -> Instance:
    """The plain model of placing ``projects`` on ``ws``. ``geometry_of``: the workspace ``ws`` was copied from
    with the same geometry (a scenario's base, ``matching.scenario.scenario_workspace``), else None. ``cache``: the
    caller's derived-data cache (None: one for this call)."""
    ms = settings.matching
    cache = own(cache)
    taken = taken or Taken()
    p = projects.sort_values("project_id", kind="stable")
    level = [project_level(nb, as_of) for nb in p["needed_by"]]
    model = land_model(ws, set(level), ms.touch_gap_m, settings.blocks.min_shared_edge_m, geometry_of,
                       net=workspace_net(ws, settings, cache), net_key=net_key(settings), cache=cache,
                       simplify=SimplifyRule.from_settings(ms))
    industry = p["industry"].to_numpy()
    pref = p["preferred_zone"].astype(object).where(p["preferred_zone"].notna(), None).to_numpy()
    blocks = model.blocks
    # zones as integer codes: admission and per-zone aggregation become array indexing (hot path)
    zone_names = np.array(sorted(set(blocks["zone_id"]) | set(ws.zones.index.astype(str))), dtype=object)
    zone_codes = pd.Series(np.arange(len(zone_names)), index=zone_names)
    ready_all = np.sort(blocks["ready"].dropna().unique())
    ready = blocks["ready"].to_numpy()
    fac = ws.factories.sort_values("factory_id", kind="stable")
    fac_id = np.array([str(v) for v in fac["factory_id"]], dtype=object)
    fac_zone = np.array([str(v) for v in fac["zone_id"]], dtype=object)
    return Instance(
        ws=ws, projects=p, settings=ms, as_of=as_of, only_zone=only_zone, taken=taken,
        pid=np.array([str(v) for v in p["project_id"]], dtype=object),
        need=p["land_mu"].to_numpy(dtype=float), floor=p["floor_m2"].to_numpy(dtype=float),
        priority=p["priority"].to_numpy(dtype=float), pref=pref, industry=industry, level=level,
        li=np.array([model.level_index(lv) for lv in level], dtype=np.int64), model=model,
        admit={ind: admitting_zones(ws.zones, ind) for ind in set(industry)},
        free_mu=free_area(model, taken), zone_names=zone_names, zone_codes=zone_codes,
        pref_code=np.array([zone_codes.get(z, -1) if z is not None else -1 for z in pref]),
        block_rank=np.where(pd.isna(ready), 0.0, (np.searchsorted(ready_all, ready) + 1) / (len(ready_all) + 1)),
        block_zone=zone_codes.loc[blocks["zone_id"].to_numpy()].to_numpy(),
        factories=fac, fac_id=fac_id, fac_zone=fac_zone, fac_status=fac["status"].to_numpy().astype(str),
        fac_vacant=fac["vacant_m2"].to_numpy(dtype=float) - np.array([taken.floor.get(f, 0.0) for f in fac_id]),
        fac_ready_date=fac["ready_date"].to_numpy(),
        fac_code=zone_codes.reindex(fac_zone).fillna(-1).astype(int).to_numpy() if len(fac_zone)
        else np.zeros(0, int), cache=cache, **_county_rules(ws, p))


def _county_rules(ws: Workspace, projects: pd.DataFrame) -> dict:
    """``home`` and ``county_zones`` of an Instance: nothing when no park has a county code (one county)."""
    if not counties(ws.zones):
        return {}
    home = project_counties(projects, ws.zones)
    return {"home": home, "county_zones": {c: zones_in_county(ws.zones, c) for c in set(home) - {None}}}
