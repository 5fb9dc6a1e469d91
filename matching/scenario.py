"""Scenarios (情景): apply a what-if to a workspace, and compare two match results."""
from __future__ import annotations

import dataclasses

import pandas as pd

from geo.errors import InputError
from geo.settings import Settings
from geo.workspace import build_workspace

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


def apply_scenario(ws, scenario: Scenario | None, *, settings: Settings):
    """A workspace with the scenario's land and factory changes applied (the same object when there are none);
    ``settings`` for the 标准地 floors of ``justified_land_need``."""
    return scenario_workspace(ws, scenario, settings=settings)[0]


def scenario_workspace(ws, scenario: Scenario | None, *, settings: Settings):
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


def compare(a: MatchResult, b: MatchResult) -> dict:
    """What changed from result ``a`` to result ``b``: newly placed / newly unplaced projects, projects that moved,
    reason changes, and the per-zone and county differences of the gap summary."""
    pa = {p.project_id: p for p in a.placed}
    pb = {p.project_id: p for p in b.placed}
    ua = {u.project_id: u for u in a.unplaced}
    ub = {u.project_id: u for u in b.unplaced}
    moved = [{"project_id": k, "from": _where(pa[k]), "to": _where(pb[k])}
             for k in sorted(set(pa) & set(pb)) if _where(pa[k]) != _where(pb[k])]
    reasons = [{"project_id": k, "from": ua[k].reason, "to": ub[k].reason}
               for k in sorted(set(ua) & set(ub)) if ua[k].reason != ub[k].reason]
    za = {(z.kind, z.zone_id): z for z in [*a.zones, a.county]}
    zb = {(z.kind, z.zone_id): z for z in [*b.zones, b.county]}
    numeric = ("placed_count", "placed_mu", "unplaced_count", "unplaced_mu", "unplaced_gap_mu", "available_left_mu",
               "pipeline_mu")
    zones = []
    order = {"zone": 0, "unzoned": 1, "county": 2}
    for key in sorted(set(za) | set(zb), key=lambda k: (order[k[0]], str(k[1]))):
        x, y = za.get(key), zb.get(key)
        diff = {k: round(float(getattr(y, k, 0) or 0) - float(getattr(x, k, 0) or 0), 2) for k in numeric}
        if any(diff.values()):
            zones.append({"zone_id": key[1], "kind": key[0], "name": (y or x).name, **diff})
    return {
        "scenario_a": a.scenario, "scenario_b": b.scenario,
        "newly_placed": sorted(set(pb) - set(pa)), "newly_unplaced": sorted(set(pa) - set(pb)),
        "moved": moved, "reason_changed": reasons, "zones": zones,
        "placed_priority": {"a": round(a.placed_priority, 6), "b": round(b.placed_priority, 6),
                            "change": round(b.placed_priority - a.placed_priority, 6)},
        "placed_count": {"a": len(a.placed), "b": len(b.placed), "change": len(b.placed) - len(a.placed)},
    }


def _where(p) -> tuple:
    return (p.kind, p.zone_id, p.factory_id, tuple(p.parcel_ids))
