"""LandGap matching engine (项目选址匹配): pure decisions, no Streamlit, no file I/O.

- ``fit(prospect, ws)``: candidate sites for one prospective project, or why none and what would unblock it;
- ``match(ws, scenario)``: optimal placement of all pending projects (MILP), reasons for the unplaced
  (有项目、无选址), per-zone gap summary and verified unlocks;
- ``compare(a, b)``: what changed between two scenarios; ``intensity_check(ws)``: the 标准地 check.
"""
from .api import fit, match
from .intensity import intensity_check, intensity_floor
from .model import (FitCandidate, FitResult, MatchResult, Placement, Prospect, Scenario, Unlock, Unplaced)
from .summary import ZoneRow, project_zone, summarize
from .reasons import REASONS
from .scenario import apply_scenario, compare

__all__ = ["fit", "match", "compare", "intensity_check", "intensity_floor", "apply_scenario",
           "Prospect", "Scenario", "Placement", "Unplaced", "Unlock", "MatchResult", "ZoneRow", "project_zone", "summarize", "FitResult", "FitCandidate",
           "REASONS"]
