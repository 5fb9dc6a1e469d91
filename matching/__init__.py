"""LandGap matching engine (项目选址匹配): pure decisions, no Streamlit, no file I/O, no configuration read here —
every entry point takes the caller's frozen ``geo.settings.Settings``.

- ``fit(prospect, ws, settings=...)``: candidate sites for one prospective project, or why none and what would
  unblock it;
- ``match(ws, scenario, settings=...)``: optimal placement of all pending projects (MILP), reasons for the unplaced
  (有项目、无选址), per-zone gap summary and verified unlocks;
- ``plan(ws, settings=..., budget_wan=...)``: the 用地保障方案 — which 拆迁/平整/标准厂房 work to fund, one MILP with
  the placements, verified by re-running match; its budget frontier;
- ``compare(a, b)``: what changed between two scenarios; ``intensity_check(ws, settings=...)``: the 标准地 check.

The stages (docs/matching.md): ``build_instance`` → ``build_options`` → ``build_problem`` → a ``Solver`` →
``polish`` (large instances) → ``carve_sites``.
"""
from matching.api import fit, match
from matching.intensity import intensity_check, intensity_floor
from matching.model import FitCandidate, FitResult, MatchResult, Placement, Prospect, Scenario, Unlock, Unplaced
from matching.plan import Planner, plan
from matching.plan_result import Plan, PlanAction
from matching.reasons import REASONS
from matching.scenario import apply_scenario, compare
from matching.solve import HighsSolver, Solution, Solver
from matching.summary import ZoneRow, project_zone, summarize

__all__ = ["fit", "match", "compare", "intensity_check", "intensity_floor", "apply_scenario", "summarize",
           "project_zone", "Prospect", "Scenario", "Placement", "Unplaced", "Unlock", "MatchResult", "ZoneRow",
           "FitResult", "FitCandidate", "REASONS", "Solver", "HighsSolver", "Solution", "plan", "Planner", "Plan",
           "PlanAction"]
