"""The plan's answer: its actions grouped as reported (``PlanAction``), the verification by match
(``Verification``) and the ``Plan`` with its ``to_dict`` (``cli.py plan --json``)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from matching.actions import CLEAR, COMPLETE_FACTORY, STOCK_KINDS, Action
from matching.model import Scenario, iso, r1
from matching.plan_model import PlanModel


# ---------------------------------------------------------------------------------------------- the answer
@dataclass
class PlanAction:
    """A group of actions on one connected piece of pipeline land, one stock parcel (reclaim / negotiate /
    redevelop) or one factory, as reported."""
    action: str
    parcel_ids: list[str]
    factory_id: str | None
    zone_id: str
    area_mu: float
    cost_wan: float
    ready_by: object
    places: list[str] = field(default_factory=list)
    basis: str | None = None            # stock actions (reclaim / negotiate / redevelop): the legal basis
    stock_class: str | None = None      # ... the parcel's stock class (geo.stock)
    days_overdue: float | None = None

    def to_dict(self) -> dict:
        """The existing actions keep their keys; a stock action adds ``basis``, ``stock_class``, ``days_overdue``."""
        d = {"action": self.action, "parcel_ids": list(self.parcel_ids), "factory_id": self.factory_id,
             "area_mu": r1(self.area_mu), "cost_wan": round(self.cost_wan, 2), "ready_by": iso(self.ready_by),
             "places": list(self.places)}
        if self.action in STOCK_KINDS:
            d.update({"basis": self.basis, "stock_class": self.stock_class,
                      "days_overdue": None if self.days_overdue is None else int(self.days_overdue)})
        return d


@dataclass
class Verification:
    """``match`` re-run on the scenario of the plan's actions: ``exact`` when it places the claimed projects."""
    placed: list[str]
    claimed_only: list[str]
    match_only: list[str]
    placed_priority: float
    tie_swapped: tuple = ()      # (claimed, match's) projects swapped among placements of equal totals

    @property
    def exact(self) -> bool:
        return not self.claimed_only and not self.match_only

    def to_dict(self) -> dict:
        return {"exact": self.exact, "claimed_only": self.claimed_only, "match_only": self.match_only,
                "match_placed_priority": round(self.placed_priority, 6)}


@dataclass
class Plan:
    status: str
    gap: float
    budget_wan: float | None
    cost_wan: float
    actions: list[PlanAction]
    placed: list[str]                  # every project placed after the plan (claimed)
    placed_added: list[str]
    placed_priority: float
    placed_investment_yi: float
    cleared_parcels: tuple[str, ...]      # every parcel the plan makes offerable now (cleared, or stock land)
    ready_factories: tuple[str, ...]
    verification: Verification | None = None
    frontier: list["Plan"] | None = None
    must_failed: list[dict] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stock_parcels: tuple[str, ...] = ()   # those of cleared_parcels taken back or redeveloped (存量盘活)

    @property
    def placed_count(self) -> int:
        return len(self.placed)

    @property
    def area_mu(self) -> float:
        return float(sum(a.area_mu for a in self.actions))

    def scenario(self, as_of=None) -> Scenario:
        return Scenario(as_of=as_of, cleared_parcels=self.cleared_parcels, ready_factories=self.ready_factories)

    def point(self) -> dict:
        return {"budget_wan": None if self.budget_wan is None else round(self.budget_wan, 2),
                "cost_wan": round(self.cost_wan, 2), "placed_priority": round(self.placed_priority, 6),
                "placed_investment_yi": round(self.placed_investment_yi, 2), "placed_count": self.placed_count,
                "actions": [a.to_dict() for a in self.actions]}

    def to_dict(self) -> dict:
        """``plan --json`` (``frontier`` only when computed; ``verification`` only when match disagrees;
        ``must_failed`` only in --must mode when some project cannot be placed)."""
        d = {"status": self.status, "gap": round(float(self.gap), 6), **self.point(),
             "placed_added": list(self.placed_added)}
        d = {k: d[k] for k in ("status", "gap", "budget_wan", "cost_wan", "actions", "placed_added",
                               "placed_priority", "placed_investment_yi", "placed_count")}
        if self.frontier is not None:
            d["frontier"] = [p.point() for p in self.frontier]
        if self.verification is not None and not self.verification.exact:
            d["verification"] = self.verification.to_dict()
        if self.must_failed:
            d["must_failed"] = list(self.must_failed)
        return d


def group_actions(pm: PlanModel, y: np.ndarray, placements) -> list[PlanAction]:
    """Chosen actions grouped: touching cleared parcels of one park together (a piece of land), factories alone;
    ``places`` = the projects whose (verified) site or factory uses them."""
    chosen = [pm.actions[i] for i in np.flatnonzero(y > 0.5)]
    m = pm.inst.model
    clear = [a for a in chosen if a.kind == CLEAR]
    idx = {a.parcel_id: k for k, a in enumerate(clear)}
    parent = list(range(len(clear)))

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k
    for a, b in zip(m.left, m.right):
        pa, pb = m.pid[a], m.pid[b]
        if pa in idx and pb in idx:
            parent[find(idx[pa])] = find(idx[pb])
    groups: dict[int, list[Action]] = {}
    for k, a in enumerate(clear):
        groups.setdefault(find(k), []).append(a)
    uses: dict[str, set] = {}
    for pl in placements:
        for q in pl.parcel_ids:
            uses.setdefault(q, set()).add(pl.project_id)
        if pl.factory_id:
            uses.setdefault(f"factory:{pl.factory_id}", set()).add(pl.project_id)
    out = []
    for members in groups.values():
        ids = sorted(a.parcel_id for a in members)
        out.append(PlanAction(CLEAR, ids, None, members[0].zone_id, sum(a.area_mu for a in members),
                              sum(a.cost_wan for a in members), max(a.ready_by for a in members),
                              sorted(set().union(*(uses.get(q, set()) for q in ids)))))
    for a in chosen:
        if a.kind in STOCK_KINDS:
            out.append(PlanAction(a.kind, [a.parcel_id], None, a.zone_id, a.area_mu, a.cost_wan, a.ready_by,
                                  sorted(uses.get(a.parcel_id, set())), a.basis, a.stock_class, a.days_overdue))
    for a in chosen:
        if a.kind == COMPLETE_FACTORY:
            out.append(PlanAction(COMPLETE_FACTORY, [], a.factory_id, a.zone_id, 0.0, a.cost_wan, a.ready_by,
                                  sorted(uses.get(a.key, set()))))
    rank = {CLEAR: 0, **{k: 1 for k in STOCK_KINDS}, COMPLETE_FACTORY: 2}
    out.sort(key=lambda g: (rank[g.action], g.zone_id, g.parcel_ids, g.factory_id or ""))
    return out
