"""Plain data of the matching engine: inputs (Prospect, Scenario) and answers (Placement, Unplaced, Unlock, results).

Every ``to_dict`` gives exactly what ``cli.py --json`` prints: areas in 亩 rounded to 0.1 (planners' precision,
docs/standards.md) except gaps kept to 0.01, dates as ``YYYY-MM-DD``, geometry as WKT in the workspace CRS.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from geo.errors import NEED_REQUIRED, InputError
from geo.vocab import FIELD_LABELS


def iso(date) -> str | None:
    """A date (or NaT/None) as ``YYYY-MM-DD`` / None."""
    if date is None or (not isinstance(date, str) and pd.isna(date)):
        return None
    return pd.Timestamp(date).date().isoformat()


def r1(x: float | None) -> float | None:
    return None if x is None else round(float(x), 1)


@dataclass(frozen=True)
class Prospect:
    """A prospective project (意向项目) to test with ``fit``.

    ``need_mu`` = land (拟用地, 亩) and/or ``floor_m2`` = standard-factory floor space (标准厂房, m²);
    ``zone_id`` restricts the search to one park (园区); ``by`` = needed-by date (需用地时间; None = now).
    """
    industry: str
    need_mu: float | None = None
    floor_m2: float | None = None
    zone_id: str | None = None
    by: dt.date | None = None
    investment_yi: float | None = None
    name: str = "意向项目"
    priority: float = 1.0

    def __post_init__(self):
        if self.need_mu is None and self.floor_m2 is None:
            raise InputError(f"请给出{FIELD_LABELS['land_mu']}或{FIELD_LABELS['floor_m2']}", code=NEED_REQUIRED)
        for label, v in (("拟用地面积", self.need_mu), ("厂房面积", self.floor_m2)):
            if v is not None and not (v > 0 and v < float("inf")):
                raise InputError(f"{label}必须是正数（现为 {v}）")
        if self.investment_yi is not None and not self.investment_yi >= 0:
            raise InputError(f"总投资必须是非负数（现为 {self.investment_yi}）")


@dataclass(frozen=True, eq=False)
class Scenario:
    """A what-if (情景). ``as_of``: judge the county at date D — pipeline land (待平整/待拆迁) and factories ready by
    D count, and each project may use what is ready by the later of D and its needed_by.
    ``without_planned_factories``: ignore 规划 standard factories. ``justified_land_need``: projects below the 标准地
    investment-intensity floor ask only their standard-justified land. ``extra_parcels``: hypothetical parcels (a
    GeoDataFrame with the parcels layer's columns). ``cleared_parcels``: parcel ids treated as cleared (可供) now.
    ``ready_factories``: factory ids treated as built now.
    """
    as_of: dt.date | None = None
    without_planned_factories: bool = False
    justified_land_need: bool = False
    extra_parcels: object | None = None
    cleared_parcels: tuple[str, ...] = ()
    ready_factories: tuple[str, ...] = ()
    name: str = ""

    def key(self) -> tuple:
        return (iso(self.as_of), self.without_planned_factories, self.justified_land_need,
                id(self.extra_parcels) if self.extra_parcels is not None else None,
                tuple(sorted(self.cleared_parcels)), tuple(sorted(self.ready_factories)))

    def describe(self) -> str:
        parts = []
        if self.as_of:
            parts.append(f"截至 {iso(self.as_of)}")
        if self.without_planned_factories:
            parts.append("不计规划标准厂房")
        if self.justified_land_need:
            parts.append("按标准地核定用地")
        if self.extra_parcels is not None:
            parts.append(f"新增地块 {len(self.extra_parcels)} 块")
        if self.cleared_parcels:
            parts.append(f"完成清理地块 {'、'.join(sorted(self.cleared_parcels))}")
        if self.ready_factories:
            parts.append(f"建成厂房 {'、'.join(sorted(self.ready_factories))}")
        return self.name or ("，".join(parts) if parts else "现状")


@dataclass
class Placement:
    """A placed project: on a carved land site (``kind="land"``) or in a standard factory (``kind="factory"``)."""
    project_id: str
    name: str
    kind: str
    zone_id: str
    priority: float
    parcel_ids: list[str] = field(default_factory=list)
    factory_id: str | None = None
    need_mu: float | None = None
    site_mu: float | None = None
    floor_m2: float | None = None
    ready_date: object = None
    site: object = None            # shapely geometry in the metric CRS (internal)
    site_wkt: str | None = None    # in the workspace CRS

    def to_dict(self) -> dict:
        surplus = None if self.site_mu is None or self.need_mu is None else round(self.site_mu - self.need_mu, 2)
        return {"project_id": self.project_id, "name": self.name, "kind": self.kind, "zone_id": self.zone_id,
                "parcel_ids": list(self.parcel_ids), "factory_id": self.factory_id, "site_mu": r1(self.site_mu),
                "surplus_mu": surplus, "floor_m2": self.floor_m2, "ready_date": iso(self.ready_date),
                "site_wkt": self.site_wkt}


@dataclass
class Unplaced:
    """A project with no site (有项目、无选址): reason code, its Chinese sentence and the shortfall in 亩."""
    project_id: str
    name: str
    need_mu: float | None
    reason: str
    gap_mu: float | None
    detail: str
    floor_m2: float | None = None
    blockers: list[str] = field(default_factory=list)   # OUTCOMPETED: the projects that took the land

    def to_dict(self) -> dict:
        return {"project_id": self.project_id, "name": self.name, "need_mu": r1(self.need_mu),
                "floor_m2": self.floor_m2, "reason": self.reason,
                "gap_mu": None if self.gap_mu is None else round(float(self.gap_mu), 2), "detail": self.detail}


@dataclass
class Unlock:
    """A land action that, applied and re-run, places ``places``: finish parcels (平整/拆迁) or complete a factory."""
    action: str                    # "clear" (完成平整/拆迁) | "complete_factory" (建成标准厂房)
    parcel_ids: list[str]
    factory_id: str | None
    area_mu: float
    places: list[str]
    priority: float = 0.0
    investment_yi: float = 0.0
    detail: str = ""

    def to_dict(self) -> dict:
        return {"parcel_ids": list(self.parcel_ids), "factory_id": self.factory_id, "action": self.action,
                "area_mu": r1(self.area_mu), "places": list(self.places), "placed_priority": round(self.priority, 3),
                "placed_investment_yi": round(self.investment_yi, 2), "detail": self.detail}


@dataclass
class FitCandidate:
    kind: str
    zone_id: str
    parcel_ids: list[str]
    area_mu: float | None
    surplus_mu: float | None
    ready_date: object
    site_wkt: str | None
    factory_id: str | None = None
    vacant_m2: float | None = None
    preferred: bool = False

    def to_dict(self) -> dict:
        return {"kind": self.kind, "zone_id": self.zone_id, "parcel_ids": list(self.parcel_ids),
                "area_mu": r1(self.area_mu),
                "surplus_mu": None if self.surplus_mu is None else round(self.surplus_mu, 2),
                "ready_date": iso(self.ready_date), "site_wkt": self.site_wkt, "factory_id": self.factory_id,
                "vacant_m2": self.vacant_m2}


@dataclass
class FitResult:
    """Answer of ``fit``: ranked candidate sites, or the binding reason, the gap in 亩 and verified unlocks."""
    prospect: Prospect
    candidates: list[FitCandidate]
    candidate_count: int
    reason: str | None = None
    gap_mu: float | None = None
    detail: str = ""
    unlocks: list[Unlock] = field(default_factory=list)
    status: str = "complete"         # "complete" | "timeout" (the time limit cut the search short)

    @property
    def fits(self) -> bool:
        return bool(self.candidates)

    def to_dict(self) -> dict:
        """``fit --json``; ``status`` "timeout" is added when the time limit cut the search short."""
        d = {"fits": self.fits, "candidates": [c.to_dict() for c in self.candidates],
             "candidate_count": self.candidate_count, "reason": self.reason,
             "gap_mu": None if self.gap_mu is None else round(float(self.gap_mu), 2), "detail": self.detail,
             "unlocks": [u.to_dict() for u in self.unlocks]}
        if self.status != "complete":
            d["status"] = self.status
        return d


@dataclass
class MatchResult:
    """Answer of ``match``: placements, unplaced projects with reasons, the gap summary per park (``zones``: parks
    and the unzoned row, ``summary.ZoneRow``) and for the county (``county``), unlocks, objective."""
    status: str                      # "optimal" | "feasible" | "timeout" (carving or unlocks cut short)
    gap: float                       # relative optimality gap (0 when optimal)
    placed: list[Placement]
    unplaced: list[Unplaced]
    zones: list                      # list[summary.ZoneRow]: kind "zone" / "unzoned"
    county: object                   # summary.ZoneRow, kind "county"
    unlocks: list[Unlock]
    placed_priority: float
    scenario: str = "现状"
    solve_seconds: float = 0.0
    bound: float | None = None

    def placement(self, project_id: str) -> Placement | None:
        return next((p for p in self.placed if p.project_id == project_id), None)

    def unplaced_project(self, project_id: str) -> Unplaced | None:
        return next((u for u in self.unplaced if u.project_id == project_id), None)

    def zone_row(self, zone_id: str | None):
        """The row of park ``zone_id`` (None: the unzoned row), or None."""
        return next((z for z in self.zones if z.zone_id == zone_id), None)

    def to_dict(self) -> dict:
        """``match --json``: ``zones`` lists the parks, the unzoned row and last the county row (``total`` true)."""
        return {"status": self.status, "gap": round(float(self.gap), 6),
                "placed": [p.to_dict() for p in self.placed], "unplaced": [u.to_dict() for u in self.unplaced],
                "zones": [z.to_dict() for z in [*self.zones, self.county]],
                "unlocks": [u.to_dict() for u in self.unlocks],
                "objective": {"placed_priority": round(self.placed_priority, 6), "placed_count": len(self.placed)},
                "scenario": self.scenario}
