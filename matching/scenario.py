"""Scenarios (情景): apply a what-if to a workspace, and compare two match results."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pandas as pd

from geo.errors import InputError
from geo.settings import Settings
from geo.workspace import Workspace, build_workspace
from matching.model import MatchResult, Scenario


def _made_ready(frame: pd.DataFrame, ids, status: str, what: str) -> pd.DataFrame:
    """A copy where ``ids`` are ready now (cleared land → available, finished factory → built)."""
    unknown = sorted(set(ids) - set(frame.index))
    if unknown:
        raise InputError(f"情景中的{what}编号不存在：{'、'.join(unknown)}")
    frame = frame.copy()
    if "status" in frame.columns and what == "地块":
        # land leveled by the scenario counts as leveled (geo.netland spares it the DEM's slope rule)
        was = frame["status"].eq("leveling")
        frame["leveled"] = (frame["leveled"].fillna(False).astype(bool) if "leveled" in frame.columns
                            else pd.Series(False, index=frame.index)) | (was & frame.index.isin(list(ids)))
    frame.loc[list(ids), ["status", "ready_date"]] = (status, pd.NaT)
    return frame


def apply_scenario(ws: Workspace, scenario: Scenario | None, *, settings: Settings):
    """A workspace with the scenario's land and factory changes applied (the same object when there are none);
    ``settings`` for the 标准地 floors of ``justified_land_need``."""
    return scenario_workspace(ws, scenario, settings=settings)[0]


def scenario_workspace(ws: Workspace, scenario: Scenario | None, *, settings: Settings):
    """(the scenario's workspace, the workspace its geometry is derived from): ``ws`` itself when the scenario
    changes only statuses, dates and needs — the touching pairs derived from ``ws`` hold for the copy (keyed by
    ``ws.version`` in geo.cache) — else the new workspace (extra parcels)."""
    if scenario is None:
        return ws, ws
    parcels, factories, projects = ws.parcels, ws.factories, ws.projects
    changed = False
    if scenario.cleared_parcels:
        parcels = _made_ready(parcels, scenario.cleared_parcels, "available", "地块")
        changed = True
    if scenario.ready_factories:
        factories = _made_ready(factories, scenario.ready_factories, "built", "厂房")
        changed = True
    if scenario.without_planned_factories:
        factories = factories[factories["status"] != "planned"]
        changed = True
    if scenario.justified_land_need:
        from matching.intensity import intensity_check
        check = intensity_check(ws, settings=settings)
        below = check[check["below"]]
        if len(below):
            projects = projects.copy()
            projects.loc[below.index, "land_mu"] = below["justified_mu"].clip(upper=below["land_mu"])
            changed = True
    if scenario.extra_parcels is not None and len(scenario.extra_parcels):
        extra = scenario.extra_parcels
        if "geometry" not in extra or extra.crs is None:
            raise InputError("新增地块必须是带坐标系的 GeoDataFrame（字段同 parcels 图层）")
        clash = sorted(set(extra["parcel_id"]) & set(parcels.index))
        if clash:
            raise InputError(f"新增地块编号与现有地块重复：{'、'.join(clash)}")
        layers = {"zones": ws.zones.reset_index(drop=True), "factories": factories.reset_index(drop=True),
                  "projects": projects.reset_index(drop=True),
                  "parcels": pd.concat([parcels.reset_index(drop=True), extra.to_crs(ws.crs)], ignore_index=True)}
        new, report = build_workspace(layers, source="scenario", validation=ws.validation,   # as ws was checked
                                      stage_priority=ws.stage_priority)
        if new is None:
            raise InputError(f"新增地块有误：{report.summary()}；{'；'.join(str(i) for i in report.errors[:3])}")
        return new, new
    if not changed:
        return ws, ws
    return dataclasses.replace(ws, parcels=parcels, factories=factories, projects=projects), ws


_NUMERIC = ("placed_count", "placed_mu", "unplaced_count", "unplaced_mu", "unplaced_gap_mu", "available_left_mu",
            "pipeline_mu")


@dataclass(frozen=True)
class Change:
    """A figure in scenario A, in B, and B − A."""
    a: float
    b: float
    change: float

    def to_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "change": self.change}


@dataclass(frozen=True)
class ProjectChange:
    """A project whose site (kind, zone, factory, parcels) or unplaced reason differs from A to B."""
    project_id: str
    before: Any
    after: Any

    def to_dict(self) -> dict:
        return {"project_id": self.project_id, "from": self.before, "to": self.after}


@dataclass(frozen=True)
class ZoneChange:
    """A gap-summary row (park, unzoned or county) whose figures differ: each B − A, rounded to 2 places."""
    zone_id: str | None
    kind: str
    name: str
    placed_count: float
    placed_mu: float
    unplaced_count: float
    unplaced_mu: float
    unplaced_gap_mu: float
    available_left_mu: float
    pipeline_mu: float

    def to_dict(self) -> dict:
        return {"zone_id": self.zone_id, "kind": self.kind, "name": self.name,
                **{k: getattr(self, k) for k in _NUMERIC}}


@dataclass(frozen=True)
class ScenarioComparison:
    """What changed from result A to result B; ``to_dict()`` is the comparison as JSON."""
    scenario_a: str
    scenario_b: str
    newly_placed: tuple[str, ...]
    newly_unplaced: tuple[str, ...]
    moved: tuple[ProjectChange, ...]
    reason_changed: tuple[ProjectChange, ...]
    zones: tuple[ZoneChange, ...]
    placed_priority: Change
    placed_count: Change

    def to_dict(self) -> dict:
        return {
            "scenario_a": self.scenario_a, "scenario_b": self.scenario_b,
            "newly_placed": list(self.newly_placed), "newly_unplaced": list(self.newly_unplaced),
            "moved": [m.to_dict() for m in self.moved], "reason_changed": [r.to_dict() for r in self.reason_changed],
            "zones": [z.to_dict() for z in self.zones],
            "placed_priority": self.placed_priority.to_dict(), "placed_count": self.placed_count.to_dict(),
        }


def compare(a: MatchResult, b: MatchResult) -> ScenarioComparison:
    """What changed from result ``a`` to result ``b``: newly placed / newly unplaced projects, projects that moved,
    reason changes, and the per-zone and county differences of the gap summary."""
    pa = {p.project_id: p for p in a.placed}
    pb = {p.project_id: p for p in b.placed}
    ua = {u.project_id: u for u in a.unplaced}
    ub = {u.project_id: u for u in b.unplaced}
    moved = tuple(ProjectChange(k, _where(pa[k]), _where(pb[k]))
                  for k in sorted(set(pa) & set(pb)) if _where(pa[k]) != _where(pb[k]))
    reasons = tuple(ProjectChange(k, ua[k].reason, ub[k].reason)
                    for k in sorted(set(ua) & set(ub)) if ua[k].reason != ub[k].reason)
    za = {(z.kind, z.zone_id): z for z in [*a.zones, a.county]}
    zb = {(z.kind, z.zone_id): z for z in [*b.zones, b.county]}
    zones = []
    order = {"zone": 0, "unzoned": 1, "county": 2}
    for key in sorted(set(za) | set(zb), key=lambda k: (order[k[0]], str(k[1]))):
        x, y = za.get(key), zb.get(key)
        diff = {k: round(float(getattr(y, k, 0) or 0) - float(getattr(x, k, 0) or 0), 2) for k in _NUMERIC}
        if any(diff.values()):
            zones.append(ZoneChange(zone_id=key[1], kind=key[0], name=(y or x).name, **diff))
    return ScenarioComparison(
        scenario_a=a.scenario, scenario_b=b.scenario,
        newly_placed=tuple(sorted(set(pb) - set(pa))), newly_unplaced=tuple(sorted(set(pa) - set(pb))),
        moved=moved, reason_changed=reasons, zones=tuple(zones),
        placed_priority=Change(round(a.placed_priority, 6), round(b.placed_priority, 6),
                               round(b.placed_priority - a.placed_priority, 6)),
        placed_count=Change(len(a.placed), len(b.placed), len(b.placed) - len(a.placed)),
    )


def _where(p) -> tuple:
    return (p.kind, p.zone_id, p.factory_id, tuple(p.parcel_ids))
