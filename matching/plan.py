"""The plan (用地保障方案): which clearing (拆迁/平整) and factory work to fund, chosen together with the placements in
one MILP (HiGHS), so that the most priority lands within a budget — then verified by re-running ``match``.

The model (docs/matching.md, "用地保障方案 / The plan"), in matching/plan_model.py and matching/plan_milp.py:
- **cells**: the blocks of land available now and every 待平整/待拆迁 parcel on its own;
- **candidate sites** of a land project: at its date level, minimal connected sets of nodes (the level's blocks, and
  the pipeline parcels not ready by then, each needing its action) whose area reaches need × (1 + cut tolerance);
  the site may use its cells and, once cleared, the action cells touching it. Candidate factories: ready by its
  date, or 在建/规划 (then the completion action is needed);
- **rows**: one option per project; each cell's area shared out among the sites using it; per (project, action)
  the project's sites needing it ≤ the action; factory vacancy; Σ cost ≤ budget;
- **objective**, lexicographic by sequential solves: max priority; then max investment; then min cost (+ 亩 cleared
  below 0.01 万元).
Every plan is checked by ``match`` on the scenario of its actions (``Verification``); the totals reported are
match's. Large instances (more than ``[plan] large_projects`` projects) keep match's placements today and plan the
others, each in one park (status feasible, gap against match's bound with every action applied).
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np

from geo.cache import DerivedCache, own
from geo.errors import InputError
from geo.settings import Settings
from geo.vocab import PIPELINE_STATUSES
from geo.workspace import Workspace
from matching.actions import COMPLETE_FACTORY, LAND_KINDS, STOCK_KINDS, Action
from matching.matcher import run_match, solve_scenario
from matching.model import Scenario
from matching.plan_milp import PlanSolver, Solved
from matching.plan_model import build_plan_model
from matching.plan_result import Plan, PlanAction, Verification, group_actions

__all__ = ["plan", "Planner", "Plan", "PlanAction", "Verification", "build_plan_model", "PlanSolver"]


class Planner:
    """Plans on one workspace: the plan model, its MILP and the match re-runs that verify each plan."""

    def __init__(self, ws: Workspace, settings: Settings, *, as_of=None, dem=None, earthwork_cost_wan=None,
                 time_limit: float | None = None, verify: bool = True, cache: DerivedCache | None = None,
                 stock=None):
        self.ws, self.settings, self.as_of = ws, settings, as_of
        self.cache = own(cache)         # the caller's, or one for this planner (its match re-runs share it)
        self.verify = verify
        self.must_rounds = 8
        self._baseline = None
        self._base_placements = None
        self._zero = None
        self.bound = None
        self.large = len(ws.projects) > settings.plan.large_projects
        zone_of = self._zone_of() if self.large else None
        self.pm = build_plan_model(ws, settings, as_of=as_of, dem=dem, earthwork_cost_wan=earthwork_cost_wan,
                                   zone_of=zone_of, fixed=self._base_placements if self.large else None,
                                   cache=self.cache, stock=stock)
        self.solver = PlanSolver(self.pm, time_limit or settings.plan.time_limit_s)
        self.total_cost = float(sum(a.cost_wan for a in self.pm.actions))

    # -------------------------------------------------------------------------------------------- match
    def _match(self, cleared=(), factories=()):
        """``match`` on the scenario of these actions (with the explanations: the --must diagnosis)."""
        sc = Scenario(as_of=self.as_of, cleared_parcels=tuple(cleared), ready_factories=tuple(factories))
        return run_match(self.ws, sc, self.settings, cache=self.cache)

    def _placements(self, cleared=(), factories=()):
        """The placements ``match`` makes on the scenario of these actions (its placement stage, as its unlock
        re-runs do: no optimality proof, no explanations)."""
        from matching.solve import HighsSolver
        sc = Scenario(as_of=self.as_of, cleared_parcels=tuple(cleared), ready_factories=tuple(factories))
        _, placements, _ = solve_scenario(self.ws, sc, self.settings,
                                          HighsSolver.from_settings(self.settings.matching), None, prove=False,
                                          cache=self.cache)
        return placements

    @property
    def baseline(self) -> set[str]:
        if self._baseline is None:
            self._base_placements = self._placements()
            self._baseline = {pl.project_id for pl in self._base_placements}
        return self._baseline

    def _zone_of(self) -> dict[str, str]:
        """Large instances: each project's one park — where match places it today, else its preferred park,
        else the admitting park with the most land counting all pipeline parcels."""
        _ = self.baseline
        out = {pl.project_id: pl.zone_id for pl in self._base_placements}
        parcels = self.ws.parcels
        land = parcels[parcels["status"].isin(("available", *PIPELINE_STATUSES))].groupby("zone_id")["net_mu"].sum()
        from matching.candidates import admitting_zones
        for _, p in self.ws.projects.iterrows():
            pid = str(p["project_id"])
            if pid in out:
                continue
            zones = admitting_zones(self.ws.zones, p["industry"])
            pref = p["preferred_zone"]
            if isinstance(pref, str) and pref in zones:
                out[pid] = pref
            elif zones:
                out[pid] = max(sorted(zones), key=lambda z: float(land.get(z, 0.0)))
        return out

    def upper_bound(self) -> float:
        """Large instances: no plan places more priority than match with every action applied (its bound)."""
        if self.bound is None:
            acts = self.pm.actions
            res = self._match([a.parcel_id for a in acts if a.kind in LAND_KINDS],
                              [a.factory_id for a in acts if a.kind == COMPLETE_FACTORY])
            self.bound = float(res.bound if res.bound is not None else res.placed_priority)
        return self.bound

    # ---------------------------------------------------------------------------------------------- plans
    def _plan(self, sol: Solved, budget) -> Plan:
        pm, inst = self.pm, self.pm.inst
        chosen = np.flatnonzero(sol.x > 0.5)
        placed = sorted({str(inst.pid[p]) for p in pm.col_project[chosen]})
        acts = [pm.actions[i] for i in np.flatnonzero(sol.y > 0.5)]
        # an action no chosen site needs is never funded (the cost objective drops it; guard anyway)
        needed = {a for j in chosen for a in pm.col_actions[j]} | \
            {int(a) for j in chosen for _, req in pm.col_ext[j] for a in req}
        y = np.array([1.0 if (i in needed and sol.y[i] > 0.5) else 0.0 for i in range(len(pm.actions))])
        acts = [pm.actions[i] for i in np.flatnonzero(y > 0.5)]
        cleared = tuple(sorted(a.parcel_id for a in acts if a.kind in LAND_KINDS))     # stock land too
        stock = tuple(sorted(a.parcel_id for a in acts if a.kind in STOCK_KINDS))
        facs = tuple(sorted(a.factory_id for a in acts if a.kind == COMPLETE_FACTORY))
        prio = {str(k): float(v) for k, v in zip(inst.pid, inst.priority)}
        inv = {str(k): float(v) for k, v in zip(inst.pid, pm.investment)}
        verification, placements = None, []
        if self.verify:
            placements = self._placements(cleared, facs)
            got = sorted(pl.project_id for pl in placements)
            verification = Verification(got, sorted(set(placed) - set(got)), sorted(set(got) - set(placed)),
                                        float(sum(pl.priority for pl in placements)))
            if not verification.exact and \
                    abs(sum(prio[p] for p in got) - sum(prio[p] for p in placed)) < self.solver.res / 4 and \
                    abs(sum(inv[p] for p in got) - sum(inv[p] for p in placed)) < 0.004:
                # a tie: match's own choice among placements of equal priority and investment is reported
                verification = Verification(got, [], [], verification.placed_priority,
                                            (verification.claimed_only, verification.match_only))
            placed = got      # the totals reported are match's (the truth); a difference stays in verification
        status, gap = sol.status, sol.gap
        if (pm.truncated or self.large) and status == "optimal":
            status = "feasible"          # optimal over the candidates kept only
        plan = Plan(status=status, gap=gap, budget_wan=budget, cost_wan=float(sum(a.cost_wan for a in acts)),
                    actions=group_actions(pm, y, placements), placed=placed,
                    placed_added=sorted(set(placed) - self.baseline) if self.verify else [],
                    placed_priority=float(sum(prio[p] for p in placed)),
                    placed_investment_yi=float(sum(inv[p] for p in placed)),
                    cleared_parcels=cleared, ready_factories=facs, verification=verification, stock_parcels=stock,
                    truncated=list(pm.truncated))
        return plan

    def plan(self, budget_wan: float | None = None) -> Plan:
        """The best plan within ``budget_wan`` (None: no limit)."""
        t0 = time.perf_counter()
        sol = self.solver.best(budget_wan)
        plan = self._plan(sol, budget_wan)
        if self.large:
            self._large_gap(plan)
        plan.seconds = time.perf_counter() - t0
        return plan

    def _large_gap(self, plan: Plan) -> None:
        """Large instances (each project restricted to one park): the gap against match's bound with every
        action applied (valid for any budget, so loose for small ones)."""
        ub = self.upper_bound()
        plan.status = "feasible"
        plan.gap = max(plan.gap, max(0.0, (ub - plan.placed_priority) / max(ub, 1e-9)))

    def must(self, project_ids: list[str], budget_wan: float | None = None) -> Plan:
        """The least-cost plan that places ``project_ids`` (then as much priority as those actions allow), or a
        plan with ``must_failed`` naming the projects no plan can place and why."""
        inst = self.pm.inst
        index = {str(p): i for i, p in enumerate(inst.pid)}
        unknown = [p for p in project_ids if p not in index]
        if unknown:
            raise InputError(f"项目编号不存在：{'、'.join(unknown)}")
        # a project no plan can place even alone is reported, and the plan is made for the others
        impossible = []
        if len(project_ids) > 1:
            for pid in project_ids:
                one = np.full(len(inst.pid), -np.inf)
                one[index[pid]] = 1.0
                if self.solver.least_cost(None, one).status == "infeasible":
                    impossible.append(pid)
            if impossible and len(impossible) < len(project_ids):
                rest = self.must([p for p in project_ids if p not in impossible], budget_wan)
                rest.must_failed = self._why_not(impossible, budget_wan) + rest.must_failed
                return rest
        # first: keep what is placed today and add the listed projects (match maximises priority, so a plan that
        # only makes room for them may see that room go to other projects of equal priority); then: the listed
        # projects alone, excluding action sets match was seen to give to others
        lo, target = self._must_bounds(project_ids, index)
        sol = None
        for min_prio in (target - self.solver.res / 4, None):
            outside: list[np.ndarray] = []
            for _ in range(self.must_rounds):
                sol = self.solver.least_cost(budget_wan, lo, min_prio=min_prio, outside=outside)
                if sol.status in ("infeasible", "timeout"):
                    break
                best = self.solver.best(None, fix_y=sol.y)   # the most priority under exactly these actions
                plan = self._plan(best if best.status not in ("infeasible", "timeout") else sol, budget_wan)
                got = set(plan.verification.placed if plan.verification is not None else plan.placed)
                if set(project_ids) <= got:
                    if sol.status != "optimal":
                        plan.status, plan.gap = "feasible", max(plan.gap, sol.gap)
                    return plan
                outside.append(sol.y)
        plan = self._plan(self.solver.best(budget_wan), budget_wan)
        plan.must_failed = self._why_not(project_ids, budget_wan)
        if sol is not None and sol.status == "timeout":
            plan.status = "feasible"
        return plan

    def _must_bounds(self, project_ids: list[str], index: dict[str, int]) -> tuple[np.ndarray, float]:
        """(a lower bound of 1 on each listed project's placement, the priority of today's placement plus theirs)."""
        inst = self.pm.inst
        lo = np.full(len(inst.pid), -np.inf)
        lo[[index[p] for p in project_ids]] = 1.0
        base = self.plan_at_zero()
        return lo, base.placed_priority + float(sum(inst.priority[index[p]] for p in project_ids
                                                    if p not in base.placed))

    def plan_at_zero(self) -> Plan:
        if self._zero is None:
            self._zero = self.plan(0.0)
        return self._zero

    def least_cost_actions(self, project_ids: list[str]) -> tuple[list[Action], set[str]] | None:
        """The least-cost actions after which match places ``project_ids`` as well as what it places today
        (one MILP and one match re-run; no fallback): (actions, projects match places then), or None."""
        inst = self.pm.inst
        index = {str(p): i for i, p in enumerate(inst.pid)}
        if any(p not in index for p in project_ids):
            return None
        lo, target = self._must_bounds(project_ids, index)
        sol = self.solver.least_cost(None, lo, min_prio=target - self.solver.res / 4)
        if sol.status in ("infeasible", "timeout"):
            return None
        acts = [self.pm.actions[i] for i in np.flatnonzero(sol.y > 0.5)]
        got = {pl.project_id for pl in self._placements([a.parcel_id for a in acts if a.kind in LAND_KINDS],
                                                        [a.factory_id for a in acts if a.kind == COMPLETE_FACTORY])}
        return (acts, got) if set(project_ids) <= got else None

    def _why_not(self, project_ids, budget_wan) -> list[dict]:
        """Per project that no plan can place: its reason code from match with every action applied (as match
        reports it), or BUDGET / TOGETHER when it can be placed alone but not within the budget or not with the
        others."""
        inst = self.pm.inst
        index = {str(p): i for i, p in enumerate(inst.pid)}
        out = []
        everything = None
        for pid in project_ids:
            lo = np.full(len(inst.pid), -np.inf)
            lo[index[pid]] = 1.0
            alone = self.solver.least_cost(None, lo)
            if alone.status not in ("infeasible", "timeout"):
                cost = float(self.solver.cost[self.solver.rows.n_x + self.solver.rows.n_u:] @ alone.y)
                if budget_wan is not None and cost > budget_wan + 1e-6:
                    out.append({"project_id": pid, "reason": "BUDGET",
                                "detail": f"单独安排至少需投入 {cost:,.1f} 万元，超过预算 {budget_wan:,.1f} 万元"})
                else:
                    out.append({"project_id": pid, "reason": "TOGETHER",
                                "detail": "单独可以安排，但与所列其他项目不能同时安排（用地或厂房不足）"})
                continue
            if everything is None:
                acts = self.pm.actions
                everything = self._match([a.parcel_id for a in acts if a.kind in LAND_KINDS],
                                         [a.factory_id for a in acts if a.kind == COMPLETE_FACTORY])
            u = everything.unplaced_project(pid)
            if u is not None:
                out.append({"project_id": pid, "reason": u.reason, "detail": "完成全部平整/拆迁和厂房建设后仍无法安排："
                            + u.detail})
            else:
                out.append({"project_id": pid, "reason": "TOO_SMALL",
                            "detail": f"候选选址中没有足够的连片（最多 {self.settings.plan.max_site_cells} 块相连）"})
        return out

    def frontier(self) -> list[Plan]:
        """Every budget breakpoint from 0 to the cost of all actions: at each, the best plan (the least budget at
        which more priority, or at equal priority more investment, can be placed), then the point at the cost of
        everything. The model's independent parts (groups of parks sharing projects) each get their own
        breakpoints; the county's are their best combinations (exact: the lexicographic order of (priority,
        investment) adds up). Monotone by construction."""
        res = self.solver.res
        parts = self.solver.split()
        R = self.solver.rows
        fixed = R.x_lo > 0.5
        states = [(0.0, float(self.solver.prio[:R.n_x][fixed].sum()), float(self.solver.inv[:R.n_x][fixed].sum()),
                   ())]
        for k, (sub, _) in enumerate(parts):
            pts = sub.pareto()
            merged = [(c0 + c, p0 + p, i0 + i, ch + (j,)) for c0, p0, i0, ch in states
                      for j, (c, p, i, _) in enumerate(pts)]
            merged.sort(key=lambda t: (round(t[0], 6), -t[1], -t[2]))
            states = []
            for t in merged:
                if not states or t[1] > states[-1][1] + res / 4 or \
                        (t[1] > states[-1][1] - res / 4 and t[2] > states[-1][2] + 0.004):
                    states.append(t)
            parts[k] = (sub, parts[k][1], pts)
        n_xu = R.n_x + R.n_u
        points = []
        for cost, _, _, choice in states:
            z = np.zeros(self.solver.n)
            z[:R.n_x][fixed] = 1.0
            status, gap = "optimal", 0.0
            for (sub, vs, pts), j in zip(parts, choice):
                sol = pts[j][3]
                z[vs[:sub.rows.n_x]] = sol.x
                z[vs[sub.rows.n_x + sub.rows.n_u:]] = sol.y
                if sol.status != "optimal":
                    status, gap = "feasible", max(gap, sol.gap)
            plan = self._plan(Solved(z[:R.n_x], z[n_xu:], status, gap), round(cost, 2))
            if self.large:
                self._large_gap(plan)
            points.append(plan)
        end = points[-1]
        if end.budget_wan < self.total_cost - 0.005:
            last = dataclasses.replace(end, budget_wan=round(self.total_cost, 2))
            points.append(last)
        return points


def plan(ws: Workspace, *, settings: Settings, budget_wan: float | None = None, must: list[str] | None = None,
         as_of=None, frontier: bool = False, dem=None, earthwork_cost_wan=None, time_limit: float | None = None,
         verify: bool = True, cache: DerivedCache | None = None, stock=None) -> Plan:
    """The plan (用地保障方案) for ``ws``: the best actions within ``budget_wan`` (None: no limit), or with ``must``
    the least-cost plan placing those projects; ``frontier`` adds every budget breakpoint. ``settings``:
    ``geo.settings.Settings`` (costs from its ``plan`` section); ``earthwork_cost_wan``: leveling costs per parcel
    computed elsewhere. Every plan is verified by re-running ``match`` on its scenario (``Plan.verification``).
    ``cache``: the caller's derived-data cache (None: one for this call). ``stock``: the stock classes at ``as_of``
    (``geo.stock.classify_workspace``; None: classified here) — the stock actions (reclaim, negotiate, redevelop)
    are chosen with the others."""
    if budget_wan is not None and not budget_wan >= 0:
        raise InputError(f"预算必须是非负数（现为 {budget_wan} 万元）")
    t0 = time.perf_counter()
    planner = Planner(ws, settings, as_of=as_of, dem=dem, earthwork_cost_wan=earthwork_cost_wan,
                      time_limit=time_limit, verify=verify, cache=cache, stock=stock)
    result = planner.must(list(must), budget_wan) if must else planner.plan(budget_wan)
    if frontier:
        result.frontier = planner.frontier()
    result.seconds = time.perf_counter() - t0
    return result
