"""The plan (用地保障方案, matching/plan.py): optimal against an exhaustive search over every subset of pipeline
parcels evaluated by ``match``; partial clearing; combinations; the frontier; the sample county's P-RJB-01."""
from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from geo.settings import load_settings
from geo.vocab import PIPELINE_STATUSES
from matching import Scenario, match
from matching.actions import CLEAR, plan_actions
from matching.plan import Planner, plan
from tests.conftest import validated_by
from tests.matching.test_matching_support import make_ws

SETTINGS = load_settings()   # loaded once, as the CLI and the app do


def with_costs(ws, costs: dict[str, float]):
    parcels = ws.parcels.copy()
    parcels["clearing_cost_wan"] = pd.Series(costs, dtype=float).reindex(parcels.index)
    return dataclasses.replace(ws, parcels=parcels)


def random_instance(seed: int):
    """2–3 parks of touching strips, ≤ 8 pipeline parcels with costs, ≤ 8 projects (investment = priority, so
    match's own choice among equal-priority placements is also the most investment)."""
    rng = np.random.default_rng(seed)
    n_zones = int(rng.integers(2, 4))
    industries = ["纺织鞋服", "健康食品", "纺织鞋服;健康食品"]
    zones, n_pipe = [], 0
    for z in range(n_zones):
        strips = []
        for _ in range(int(rng.integers(3, 6))):
            status = str(rng.choice(["available", "leveling", "demolition", "demolition"]))
            if status in PIPELINE_STATUSES:
                if n_pipe >= 8:
                    status = "available"
                else:
                    n_pipe += 1
            ready = str(rng.choice(["2027-03-31", "2029-03-31"])) if status in PIPELINE_STATUSES else None
            strips.append((("mu", float(rng.uniform(6, 30))), status, ready))
        zones.append((f"Z{z}", industries[z % 3], strips))
    projects = []
    for i in range(int(rng.integers(3, 9))):
        prio = float(rng.choice([1, 2, 3]))
        projects.append({"industry": str(rng.choice(["纺织鞋服", "健康食品"])), "priority": prio,
                         "investment_yi": prio, "land_mu": float(round(rng.uniform(10, 60), 1)),
                         "needed_by": [None, None, "2027-06-30"][int(rng.integers(0, 3))],
                         "preferred_zone": f"Z{int(rng.integers(0, n_zones))}"})
    ws = make_ws(zones, projects)
    pipe = ws.parcels.index[ws.parcels["status"].isin(PIPELINE_STATUSES)]
    return with_costs(ws, {p: float(rng.integers(1, 20)) * 10 for p in pipe})


def exhaustive(ws, settings):
    """(cost, priority, investment) of match on every subset of pipeline parcels cleared."""
    pipe = sorted(ws.parcels.index[ws.parcels["status"].isin(PIPELINE_STATUSES)])
    cost = ws.parcels["clearing_cost_wan"]
    inv = dict(zip(ws.projects["project_id"], ws.projects["investment_yi"]))
    out = []
    for k in range(len(pipe) + 1):
        for sub in itertools.combinations(pipe, k):
            r = match(ws, Scenario(cleared_parcels=sub), settings=settings, unlocks=False)
            out.append((float(cost[list(sub)].sum()), r.placed_priority, sum(inv[p.project_id] for p in r.placed)))
    return out


@pytest.mark.parametrize("seed", [1, 3])      # 200 more against an independent reference: test_plan_random.py
def test_plan_is_optimal_against_every_subset(settings, seed):
    ws = random_instance(seed)
    table = exhaustive(ws, settings)
    planner = Planner(ws, settings)
    total = sum(c for c, _, _ in table[-1:])
    for budget in sorted({0.0, 30.0, 80.0, 150.0, total}):
        got = planner.plan(budget)
        ok = [t for t in table if t[0] <= budget + 1e-6]
        best_p = max(t[1] for t in ok)
        assert got.placed_priority == pytest.approx(best_p), (seed, budget)
        best_i = max(t[2] for t in ok if abs(t[1] - best_p) < 1e-6)
        assert got.placed_investment_yi == pytest.approx(best_i), (seed, budget)
        least = min(t[0] for t in ok if abs(t[1] - best_p) < 1e-6 and abs(t[2] - best_i) < 1e-6)
        assert got.cost_wan == pytest.approx(least), (seed, budget)
        assert got.cost_wan <= budget + 1e-6
        assert got.verification.exact, (seed, budget, got.verification.to_dict())
        assert got.status == "optimal"


def row_ws(strips, need, cost_each=100.0):
    ws = make_ws([("Z1", "纺织鞋服", strips)], [{"project_id": "P1", "land_mu": need, "priority": 2.0}])
    pipe = ws.parcels.index[ws.parcels["status"].isin(PIPELINE_STATUSES)]
    return with_costs(ws, {p: cost_each for p in pipe})


def test_partial_clearing_clears_only_the_adjacent_parcels(settings):
    # a 289 亩 block, then a long row of 15 亩 待拆迁 parcels: 360 亩 need → the first five (75 亩), not all twelve
    strips = [(("mu", 289.2), "available", None)] + [(("mu", 15.0), "demolition", "2030-06-30")] * 12
    ws = row_ws(strips, 360.0)
    today = match(ws, settings=settings)
    assert today.unlocks and len(today.unlocks[0].parcel_ids) == 5        # the unlock is the least-cost set too
    got = plan(ws, settings=settings)
    assert got.placed_added == ["P1"] and got.verification.exact
    assert got.cleared_parcels == tuple(f"Z1-{k:02d}" for k in range(2, 7))
    assert got.cost_wan == pytest.approx(500.0)
    assert got.actions[0].area_mu == pytest.approx(75.0, abs=0.2) and got.actions[0].places == ["P1"]


def test_two_half_blocks_only_together(settings):
    # [待拆迁 60][可供 10][待平整 60]: 125 亩 needs both pipeline blocks, which today's unlocks test one at a time
    strips = [(("mu", 60.0), "demolition", "2030-06-30"), (("mu", 10.0), "available", None),
              (("mu", 60.0), "leveling", "2030-06-30")]
    ws = row_ws(strips, 125.0)
    got = plan(ws, settings=settings)
    assert got.cleared_parcels == ("Z1-01", "Z1-03") and got.placed_added == ["P1"]
    assert got.verification.exact
    assert plan(ws, settings=settings, budget_wan=150.0).placed_added == []     # one alone is not enough


def test_budget_and_must_errors(settings):
    ws = row_ws([(("mu", 60.0), "demolition", "2030-06-30")], 50.0)
    with pytest.raises(InputError):
        plan(ws, settings=settings, budget_wan=-1.0)
    with pytest.raises(InputError):
        plan(ws, settings=settings, must=["NOPE"])
    bad = row_ws([(("mu", 20.0), "demolition", "2030-06-30")], 50.0)
    got = plan(bad, settings=settings, must=["P1"])
    assert [f["reason"] for f in got.must_failed] == ["TOO_SMALL"]
    low = plan(ws, settings=settings, must=["P1"], budget_wan=10.0)
    assert [f["reason"] for f in low.must_failed] == ["BUDGET"]


def test_costs_from_config_and_fields(settings):
    ws = row_ws([(("mu", 60.0), "demolition", "2030-06-30"), (("mu", 30.0), "leveling", "2030-06-30")], 50.0)
    ws = dataclasses.replace(ws, parcels=ws.parcels.drop(columns=["clearing_cost_wan"]))
    ps = settings.plan
    s2 = dataclasses.replace(settings, plan=dataclasses.replace(
        ps, demolition_wan_per_mu_by_zone={"Z1": 50.0}))
    acts = {a.parcel_id: a for a in plan_actions(ws, s2, start="2026-12-01") if a.kind == CLEAR}
    assert acts["Z1-01"].cost_wan == pytest.approx(60.0 * 50.0, rel=1e-3)
    assert acts["Z1-02"].cost_wan == pytest.approx(30.0 * ps.leveling_wan_per_mu, rel=1e-3)
    assert acts["Z1-01"].ready_by == pd.Timestamp("2026-12-01") + pd.DateOffset(months=int(ps.lead_months_demolition))
    acts = {a.parcel_id: a for a in plan_actions(ws, s2, earthwork_cost_wan={"Z1-02": 7.5}) if a.kind == CLEAR}
    assert acts["Z1-02"].cost_wan == 7.5 and acts["Z1-02"].cost_source == "earthwork"
    ws = with_costs(ws, {"Z1-01": 1.0})
    acts = {a.parcel_id: a for a in plan_actions(ws, s2) if a.kind == CLEAR}
    assert acts["Z1-01"].cost_wan == 1.0 and acts["Z1-01"].cost_source == "field"


@pytest.mark.parametrize("seed", [2, 6])
def test_frontier_monotone_and_verified(settings, seed):
    ws = random_instance(seed)
    points = Planner(ws, settings).frontier()
    assert points[0].budget_wan == 0.0 and points[0].cost_wan == 0.0
    for a, b in zip(points, points[1:]):
        assert b.budget_wan > a.budget_wan
        assert (b.placed_priority, b.placed_investment_yi) > (a.placed_priority, a.placed_investment_yi) \
            or b is points[-1]
        assert b.placed_priority >= a.placed_priority - 1e-9
    for p in points:
        assert p.cost_wan <= p.budget_wan + 1e-6
        again = match(ws, p.scenario(), settings=settings, unlocks=False)
        assert again.placed_priority == pytest.approx(p.placed_priority)
        assert p.verification.exact
    total = float(ws.parcels["clearing_cost_wan"].sum())
    assert points[-1].budget_wan == pytest.approx(total)


def test_sample_county_places_the_rjb_project_with_less_than_the_whole_row(settings, sample_ws):
    today = match(sample_ws, settings=settings)
    # the whole 待拆迁 row (net: the DEM takes 0.1 亩)
    assert "422.1 亩" in today.unplaced_project("P-RJB-01").detail
    got = plan(sample_ws, settings=settings, must=["P-RJB-01"])
    assert not got.must_failed and got.verification.exact
    assert "P-RJB-01" in got.placed_added
    assert 0 < got.area_mu < 422.2
    assert got.cost_wan > 0 and all(a.cost_wan > 0 for a in got.actions)
    assert any("P-RJB-01" in a.places for a in got.actions)
    # match's unlock for it is now the least-cost set (verified like every unlock), with its cost named
    unlock = next(u for u in today.unlocks if "P-RJB-01" in u.places)
    assert unlock.area_mu < 422.2 and "万元" in unlock.detail
    again = match(sample_ws, Scenario(cleared_parcels=tuple(unlock.parcel_ids)), settings=settings, unlocks=False)
    assert "P-RJB-01" in {p.project_id for p in again.placed}
    d = got.to_dict()
    assert list(d)[:9] == ["status", "gap", "budget_wan", "cost_wan", "actions", "placed_added", "placed_priority",
                           "placed_investment_yi", "placed_count"]


def test_leveling_cost_from_the_dem_earthwork(settings):
    from affine import Affine
    from pyproj import CRS

    from geo.terrain import Dem
    ws = row_ws([(("mu", 30.0), "leveling", "2030-06-30")], 20.0)
    ws = dataclasses.replace(ws, parcels=ws.parcels.drop(columns=["clearing_cost_wan"]))
    x0, y0, x1, y1 = ws.metric("parcels").total_bounds
    cols, rows = int((x1 - x0) // 5) + 4, int((y1 - y0) // 5) + 4
    z = np.tile(np.where(np.arange(cols) % 2 == 0, 101.0, 99.0), (rows, 1)).astype("float32")   # ±1 m ridges
    dem = Dem(z, Affine(5.0, 0, x0 - 10, 0, -5.0, y1 + 10), CRS.from_user_input(ws.metric("parcels").crs))
    acts = {a.parcel_id: a for a in plan_actions(ws, settings, dem=dem) if a.kind == CLEAR}
    a = acts["Z1-01"]
    assert a.cost_source == "dem"
    area_m2 = 30.0 * 10000 / 15
    # ±1 m ridges levelled at 100 m: 1 m cut over half the parcel, 1 m fill over the other half, balanced (no haul)
    t = settings.terrain
    assert a.cost_wan == pytest.approx(area_m2 * 0.5 * (t.cut_yuan_per_m3 + t.fill_yuan_per_m3) / 1e4, rel=0.1)


def test_must_reports_the_impossible_and_plans_for_the_others(settings):
    strips = [(("mu", 40.0), "available", None), (("mu", 30.0), "demolition", "2030-06-30")]
    ws = make_ws([("Z1", "纺织鞋服", strips)], [{"project_id": "P1", "land_mu": 60.0, "priority": 2.0},
                                            {"project_id": "P2", "land_mu": 500.0, "priority": 3.0}])
    ws = with_costs(ws, {"Z1-02": 80.0})
    got = plan(ws, settings=settings, must=["P1", "P2"])
    assert [(f["project_id"], f["reason"]) for f in got.must_failed] == [("P2", "TOO_SMALL")]
    assert got.placed_added == ["P1"] and got.cost_wan == pytest.approx(80.0) and got.verification.exact


@pytest.mark.parametrize("seed", [11])
def test_plan_with_factories_is_optimal_against_every_subset(settings, seed):
    """Parcels and 在建/规划 factories (cost from ``completion_cost_wan``): every subset of both, by match."""
    rng = np.random.default_rng(seed)
    ws = random_instance(seed)
    zones = list(ws.zones.index)
    floor_projects = [{"project_id": f"F-P{k}", "industry": "纺织鞋服;健康食品".split(";")[k % 2],
                       "floor_m2": float(rng.choice([2000, 3000, 4000])), "priority": float(rng.choice([1, 2])),
                       "investment_yi": 1.0} for k in range(3)]
    projects = ws.projects.reset_index(drop=True).to_dict("records")
    for p in floor_projects:
        projects.append({**{k: None for k in projects[0]}, **p, "name": p["project_id"], "stage": "signed",
                         "needed_by": pd.NaT, "preferred_zone": None, "land_mu": np.nan})
    from geo.workspace import build_workspace
    facs = [{"factory_id": f"F{j}", "zone_id": zones[j % len(zones)], "name": f"F{j}", "floors": 4,
             "floor_area_m2": 8000.0, "vacant_m2": float(rng.choice([3000, 5000])),
             "status": ["planned", "building", "built"][j],
             "ready_date": pd.Timestamp("2030-01-01") if j < 2 else pd.NaT,
             "geometry": ws.zones.geometry.iloc[j % len(zones)].centroid.buffer(3)} for j in range(3)]
    import geopandas as gpd
    layers = {"zones": ws.zones.reset_index(drop=True), "parcels": ws.parcels.reset_index(drop=True),
              "factories": gpd.GeoDataFrame(facs, geometry="geometry", crs=ws.crs),
              "projects": pd.DataFrame(projects)}
    ws2, report = build_workspace(layers, source="test", **validated_by(SETTINGS))
    assert ws2 is not None, [str(i) for i in report.errors]
    ws2 = with_costs(ws2, ws.parcels["clearing_cost_wan"].dropna().to_dict())
    fac = ws2.factories.copy()
    fac["completion_cost_wan"] = [60.0, 35.0, np.nan]
    ws2 = dataclasses.replace(ws2, factories=fac)
    pipe = sorted(ws2.parcels.index[ws2.parcels["status"].isin(PIPELINE_STATUSES)])[:6]
    ws2 = with_costs(ws2, {p: ws2.parcels.at[p, "clearing_cost_wan"] for p in pipe})
    parcels = ws2.parcels.copy()        # pipeline parcels beyond the first six: not for clearing (no action)
    items = [("p", p) for p in pipe] + [("f", "F0"), ("f", "F1")]
    cost = {("p", p): float(ws2.parcels.at[p, "clearing_cost_wan"]) for p in pipe}
    cost.update({("f", "F0"): 60.0, ("f", "F1"): 35.0})
    inv = dict(zip(ws2.projects["project_id"], ws2.projects["investment_yi"].fillna(0.0)))
    table = []
    others = [p for p in parcels.index if parcels.at[p, "status"] in PIPELINE_STATUSES and p not in pipe]
    for k in range(len(items) + 1):
        for sub in itertools.combinations(items, k):
            sc = Scenario(cleared_parcels=tuple(x for t, x in sub if t == "p"),
                          ready_factories=tuple(x for t, x in sub if t == "f"))
            r = match(ws2, sc, settings=settings, unlocks=False)
            table.append((sum(cost[s] for s in sub), r.placed_priority, sum(inv[p.project_id] for p in r.placed)))
    from matching.actions import plan_actions as pa
    acts = [a for a in pa(ws2, settings) if a.kind != CLEAR or a.parcel_id in pipe]
    planner = Planner.__new__(Planner)          # the same planner, with the actions limited to the items above
    from matching.plan_milp import PlanSolver
    from matching.plan_model import build_plan_model
    Planner.__init__(planner, ws2, settings)
    planner.pm = build_plan_model(ws2, settings, actions=acts)
    planner.solver = PlanSolver(planner.pm, 30.0)
    assert all(o not in {a.parcel_id for a in planner.pm.actions} for o in others)
    funded = set()
    for budget in (0.0, 40.0, 100.0, 1e6):
        got = planner.plan(budget)
        ok = [t for t in table if t[0] <= budget + 1e-6]
        best_p = max(t[1] for t in ok)
        best_i = max(t[2] for t in ok if abs(t[1] - best_p) < 1e-6)
        least = min(t[0] for t in ok if abs(t[1] - best_p) < 1e-6 and abs(t[2] - best_i) < 1e-6)
        assert (got.placed_priority, got.placed_investment_yi) == pytest.approx((best_p, best_i)), (seed, budget)
        assert got.cost_wan == pytest.approx(least), (seed, budget)
        assert got.verification.exact, got.verification.to_dict()
        funded |= set(got.ready_factories)
    assert funded            # a factory completion is part of some plan
