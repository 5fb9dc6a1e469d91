"""Counties in one workspace: a match never places a project outside its county unless it says so (any_county),
checked against an exhaustive search; county codes are checked on load (GB/T 2260)."""
from __future__ import annotations

import itertools

import pandas as pd
import pytest

from geo.county import code_problem, project_counties, zones_in_county
from geo.errors import ValidationError
from matching import match
from tests.matching.test_matching_support import make_ws

# one 40 亩 block per park: a 25 亩 project takes it whole, so each park holds at most one project
ZONES = [(z, "", [(("mu", 40), "available", None)]) for z in ("A1", "A2", "B1", "C1")]
ZONE_COUNTY = {"A1": "511521", "A2": "511521", "B1": "511522", "C1": None}      # C1: no code = any county's


def county_ws(projects: list[dict]):
    ws = make_ws(ZONES, [{k: v for k, v in p.items() if k not in ("county_code", "any_county")} for p in projects])
    zones = ws.zones.copy()
    zones["county_code"] = zones["zone_id"].map(ZONE_COUNTY)
    prj = ws.projects.copy()
    prj["county_code"] = [p.get("county_code") for p in projects]
    prj["any_county"] = [p.get("any_county") for p in projects]
    return ws.with_layers(zones=zones, projects=prj)


def allowed(p: dict) -> set[str]:
    """The parks a project may use, from the rule as the issue states it (independent of geo.county)."""
    home = p.get("county_code") or (ZONE_COUNTY.get(p.get("preferred_zone")) if p.get("preferred_zone") else None)
    if p.get("any_county") == 1 or home is None:
        return set(ZONE_COUNTY)
    return {z for z, c in ZONE_COUNTY.items() if c in (home, None)}


def best_priority(projects: list[dict]) -> float:
    """Exhaustive: every way of giving each project one allowed park or none, one project per park."""
    best = 0.0
    options = [sorted(allowed(p)) + [None] for p in projects]
    for choice in itertools.product(*options):
        used = [z for z in choice if z is not None]
        if len(used) == len(set(used)):
            best = max(best, sum(p["priority"] for p, z in zip(projects, choice) if z is not None))
    return best


CASES = [
    # four projects from county 511521 compete for its two parks and the uncoded one; the B1 park stays empty
    [{"county_code": "511521", "priority": 3.0}, {"county_code": "511521", "priority": 2.0},
     {"county_code": "511521", "priority": 1.5}, {"county_code": "511521", "priority": 1.0}],
    # one may cross counties (any_county = 1): it takes B1 and all are placed
    [{"county_code": "511521", "priority": 3.0}, {"county_code": "511521", "priority": 2.0},
     {"county_code": "511521", "priority": 1.5}, {"county_code": "511521", "priority": 1.0, "any_county": 1}],
    # no code of its own: the preferred park's county binds it (B1's), and a project of 511522 competes there
    [{"preferred_zone": "B1", "priority": 2.0}, {"county_code": "511522", "priority": 1.0},
     {"preferred_zone": "A1", "priority": 1.0}, {"priority": 0.5}],
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_match_keeps_projects_in_their_county_and_is_optimal(settings, case):
    projects = [dict(p, land_mu=25) for p in CASES[case]]
    ws = county_ws(projects)
    result = match(ws, unlocks=False, settings=settings)
    spec = {f"P{i + 1:02d}": p for i, p in enumerate(projects)}
    for pl in result.placed:
        assert pl.zone_id in allowed(spec[pl.project_id]), (pl.project_id, pl.zone_id)
    assert sum(spec[pl.project_id]["priority"] for pl in result.placed) == pytest.approx(best_priority(projects))


def test_a_county_with_no_admitting_park_says_so(settings):
    zones = [("A1", "冶金", [(("mu", 40), "available", None)]), ("B1", "纺织鞋服", [(("mu", 40), "available", None)])]
    ws = make_ws(zones, [{"land_mu": 25}])
    z = ws.zones.copy()
    z["county_code"] = ["511521", "511522"]
    p = ws.projects.copy()
    p["county_code"] = "511521"
    ws = ws.with_layers(zones=z, projects=p)
    result = match(ws, unlocks=False, settings=settings)
    assert not result.placed
    (u,) = result.unplaced
    assert u.reason == "NO_ZONE" and "511521" in u.detail
    p["any_county"] = 1                                          # 可跨县安排: the other county's park takes it
    assert [pl.zone_id for pl in match(ws.with_layers(projects=p), unlocks=False, settings=settings).placed] == ["B1"]


def test_without_codes_a_workspace_is_one_county(settings):
    ws = make_ws(ZONES, [{"land_mu": 25, "preferred_zone": "B1"}])
    assert project_counties(ws.projects, ws.zones).tolist() == [None]
    assert zones_in_county(ws.zones, None) == set(ZONE_COUNTY)
    assert [pl.zone_id for pl in match(ws, unlocks=False, settings=settings).placed] == ["B1"]


@pytest.mark.parametrize("code, ok", [("511521", True), ("110101", True), ("51152", False), ("5115210", False),
                                      ("51152a", False), ("991521", False), ("511500", False), ("510000", False)])
def test_county_code_format(code, ok):
    assert (code_problem(code) is None) == ok


def test_bad_county_codes_are_named_by_row_and_field():
    ws = make_ws(ZONES, [{"land_mu": 25}])
    zones = ws.zones.copy()
    zones["county_code"] = ["511521", 511522.0, "5115", "511500"]   # a spreadsheet number is read as its code
    with pytest.raises(ValidationError) as exc:
        ws.with_layers(zones=zones)
    bad = [i for i in exc.value.report.errors if i.code == "BAD_COUNTY_CODE"]
    assert [(i.row, i.field) for i in bad] == [(3, "county_code"), (4, "county_code")]
    assert "县级行政区划代码“5115”无效" in bad[0].message and "园区编号 B1（第 3 行）" in bad[0].message
    zones["county_code"] = ["511521", 511522.0, None, None]
    codes = ws.with_layers(zones=zones).zones["county_code"]
    assert codes[:2].tolist() == ["511521", "511522"] and codes[2:].isna().all()
    prj = ws.projects.copy()
    prj["any_county"] = 2
    with pytest.raises(ValidationError) as exc:
        ws.with_layers(projects=prj)
    assert [(i.code, i.field) for i in exc.value.report.errors] == [("BAD_FLAG", "any_county")]
    assert pd.isna(ws.projects["county_code"]).all()
