"""The plan (用地保障方案) against an exhaustive reference on hundreds of small random instances with every action kind
(clearing 待平整/待拆迁, completing a factory, and the stock actions reclaim / negotiate / redevelop on supplied
parcels classified by hand), independent of the engine (tests.matching.plan_reference); a few
instances also against ``match`` on every subset; the held-out instance of issue 19 (two half-blocks in one park)."""
from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd
import pytest

from geo.vocab import PIPELINE_STATUSES
from matching import Scenario, match
from matching.plan import Planner
from tests.matching.plan_reference import Item, optimum, reference_table
from tests.matching.test_matching_support import SETTINGS, make_ws

AS_OF = pd.Timestamp("2026-12-01")
INDUSTRIES = ["纺织鞋服", "健康食品", "纺织鞋服;健康食品"]
N_TEMPLATES = 8


@functools.lru_cache(maxsize=None)
def template(t: int):
    """A geometry (3 parks of 3–4 touching strips, one factory per park; on odd templates park Z0 is two stacked
    rows of strips, whose parcels form rings), built once; the instances vary statuses, dates, costs and projects."""
    rng = np.random.default_rng(1000 + t)
    zones = []
    for z in range(3):
        strips = [(("mu", float(rng.uniform(6, 30))), "available", None) for _ in range(int(rng.integers(3, 5)))]
        zones.append((f"Z{z}", INDUSTRIES[z], strips))
    facs = [{"factory_id": f"F{z}", "zone_id": f"Z{z}", "vacant_m2": 4000.0, "status": "built"} for z in range(3)]
    projects = [{"project_id": f"P{i}", "land_mu": 10.0} for i in range(5)]
    ws = make_ws(zones, projects, facs)
    if t % 2:
        ws = with_second_row(ws, "Z0", [float(rng.uniform(40, 160)) for _ in range(3)])
    return ws


def with_second_row(ws, zone_id: str, widths: list[float]):
    """``ws`` with a second row of strips (``widths`` m, 100 m deep) on top of park ``zone_id``'s row, ending where
    that row ends minus 7 m (no corner meets a corner)."""
    import geopandas as gpd
    import shapely

    from geo.workspace import build_workspace
    from tests.conftest import validated_by
    from tests.matching.test_matching_support import DEPTH
    row = ws.parcels[ws.parcels["zone_id"] == zone_id]
    x0, y0, x1, y1 = row.total_bounds
    scale = (x1 - x0 - 7.0) / sum(widths)
    extra, x = [], x0
    for k, w in enumerate(widths):
        extra.append({"parcel_id": f"{zone_id}-U{k + 1}", "zone_id": zone_id, "status": "available",
                      "ready_date": pd.NaT, "geometry": shapely.box(x, y1, x + w * scale, y1 + DEPTH)})
        x += w * scale
    zones = ws.zones.reset_index(drop=True).copy()
    zi = zones.index[zones["zone_id"] == zone_id][0]
    zones.loc[zi, "geometry"] = shapely.box(x0 - 10, y0 - 10, x1 + 10, y1 + DEPTH + 10)
    parcels = pd.concat([ws.parcels.reset_index(drop=True)[["parcel_id", "zone_id", "status", "ready_date",
                                                             "geometry"]],
                         gpd.GeoDataFrame(extra, geometry="geometry", crs=ws.crs)], ignore_index=True)
    layers = {"zones": zones, "parcels": gpd.GeoDataFrame(parcels, geometry="geometry", crs=ws.crs),
              "factories": ws.factories.reset_index(drop=True), "projects": ws.projects.reset_index(drop=True)}
    new, report = build_workspace(layers, source="test", **validated_by(SETTINGS))
    assert new is not None, [str(i) for i in report.errors]
    return new


def instance(seed: int):
    """Statuses (可供, 待平整, 待拆迁; ≤ 5 of them actions), ready dates, costs, factory statuses and 2–5 projects
    (land or floor space, needed now or by mid-2027) on a template."""
    rng = np.random.default_rng(seed)
    ws = template(seed % N_TEMPLATES)
    parcels = ws.parcels.copy()
    n_act = 0
    status, ready, cost = [], [], []
    for _ in parcels.index:
        s = str(rng.choice(["available", "available", "leveling", "demolition", "supplied", "supplied"]))
        if s != "available" and n_act >= 5:
            s = "available"
        n_act += s != "available"
        status.append(s)
        ready.append(pd.Timestamp(str(rng.choice(["2027-03-31", "2029-03-31"]))) if s in PIPELINE_STATUSES
                     else pd.NaT)
        cost.append(float(rng.integers(1, 20)) * 10 if s in PIPELINE_STATUSES else np.nan)
    parcels["status"], parcels["ready_date"], parcels["clearing_cost_wan"] = status, ready, cost
    supplied = parcels["status"].eq("supplied").to_numpy()
    parcels["price_wan"] = np.where(supplied & (rng.random(len(parcels)) < 0.7),
                                    rng.integers(5, 40, len(parcels)) * 10.0, np.nan)
    parcels["developed_share"] = np.where(supplied, rng.choice([0.0, 0.2, 0.5], len(parcels)), np.nan)
    fac = ws.factories.copy()
    fs = [str(rng.choice(["built", "building", "planned"])) for _ in fac.index]
    fac["status"] = fs
    fac["ready_date"] = [pd.NaT if s == "built" else pd.Timestamp("2030-01-01") for s in fs]
    fac["vacant_m2"] = [float(rng.choice([2000, 3000, 5000])) for _ in fac.index]
    fac["completion_cost_wan"] = [np.nan if s == "built" else float(rng.integers(2, 15)) * 10 for s in fs]
    n = int(rng.integers(2, 6))
    proj = ws.projects.iloc[:n].copy()
    floor = rng.random(n) < 0.25
    proj["industry"] = [str(rng.choice(["纺织鞋服", "健康食品"])) for _ in range(n)]
    proj["land_mu"] = np.where(floor, np.nan, np.round(rng.uniform(6, 45, n), 1))
    proj["floor_m2"] = np.where(floor, rng.choice([2000.0, 3000.0, 4000.0], n), np.nan)
    proj["priority"] = rng.choice([1.0, 2.0, 3.0], n)
    proj["investment_yi"] = rng.choice([0.5, 1.0, 2.0, 3.0], n)
    proj["needed_by"] = pd.to_datetime([None if rng.random() < 0.6 else "2027-06-30" for _ in range(n)])
    proj["preferred_zone"] = [f"Z{int(rng.integers(0, 3))}" for _ in range(n)]
    ws = dataclasses.replace(ws, parcels=parcels, factories=fac, projects=proj)
    return ws, stock_frame(ws, rng)


STOCK_CLASSES = ["reclaimable", "idle", "gov_delay", "low_efficiency", "overdue"]


def stock_frame(ws, rng) -> pd.DataFrame:
    """A classification frame as ``geo.stock.classify_workspace`` returns it, by hand: each supplied parcel a
    random class (overdue has no action)."""
    cls = np.where(ws.parcels["status"].eq("supplied"), rng.choice(STOCK_CLASSES, len(ws.parcels)), "normal")
    return pd.DataFrame({"stock_class": cls, "days_overdue": rng.integers(100, 1500, len(cls)).astype(float),
                         "fee_wan": 0.0, "next_step": "", "deadline": pd.NaT}, index=ws.parcels.index)


def stock_cost(ws, pid: str, cls: str) -> float:
    """The config's formula (config/landgap.toml [plan]), restated."""
    ps = SETTINGS.plan
    mu = float(ws.parcels.at[pid, "net_mu"])
    price, dev = ws.parcels.at[pid, "price_wan"], ws.parcels.at[pid, "developed_share"]
    if cls == "reclaimable":
        return mu * ps.reclaim_wan_per_mu
    if cls in ("idle", "gov_delay"):
        return mu * ps.negotiate_wan_per_mu if pd.isna(price) else price * (1 - dev) * ps.negotiate_price_share
    return mu * ps.redevelop_wan_per_mu


def items_of(ws, stock) -> list[Item]:
    p, f = ws.parcels, ws.factories
    out = [Item("parcel", k, float(p.at[k, "clearing_cost_wan"])) for k in p.index[p["status"].isin(PIPELINE_STATUSES)]]
    out += [Item("parcel", k, round(stock_cost(ws, k, c), 2)) for k, c in stock["stock_class"].items()
            if c in ("reclaimable", "idle", "gov_delay", "low_efficiency")]
    return out + [Item("factory", k, float(f.at[k, "completion_cost_wan"])) for k in f.index[f["status"] != "built"]]


def check(ws, budgets, *, verify=False, stock=None):
    stock = stock if stock is not None else stock_frame(ws, np.random.default_rng(0))
    table = reference_table(ws, items_of(ws, stock), tol=SETTINGS.matching.cut_tolerance, as_of=AS_OF)
    planner = Planner(ws, SETTINGS, as_of=AS_OF, verify=verify, stock=stock)
    for budget in budgets:
        got = planner.plan(budget)
        p, i, c = optimum(table, budget)
        where = (budget, got.cleared_parcels, got.ready_factories)
        assert got.placed_priority == pytest.approx(p), where
        assert got.placed_investment_yi == pytest.approx(i), where
        assert got.cost_wan == pytest.approx(c), where
        assert got.status == "optimal", where
        if verify:
            assert got.verification.exact, (where, got.verification.to_dict())
    return table


@pytest.mark.parametrize("block", range(4))
def test_plan_equals_the_exhaustive_optimum_on_random_instances(block):
    """200 instances (50 per test), each at no budget, a random budget and zero."""
    for seed in range(block * 50, block * 50 + 50):
        rng = np.random.default_rng(10_000 + seed)
        ws, stock = instance(seed)
        check(ws, [None, float(rng.integers(1, 30)) * 10, 0.0], stock=stock)


@pytest.mark.parametrize("seed", [3, 17, 9, 26])
def test_the_reference_agrees_with_match_on_every_subset(seed):
    """The reference's optimum per subset is what match places on that subset's scenario."""
    ws, stock = instance(seed)
    items = items_of(ws, stock)
    table = reference_table(ws, items, tol=SETTINGS.matching.cut_tolerance, as_of=AS_OF)
    inv = dict(zip(ws.projects["project_id"], ws.projects["investment_yi"]))
    import itertools
    subsets = [s for k in range(len(items) + 1) for s in itertools.combinations(items, k)]
    for sub, (_, prio, _) in list(zip(subsets, table))[::3]:
        sc = Scenario(as_of=AS_OF, cleared_parcels=tuple(i.key for i in sub if i.kind == "parcel"),
                      ready_factories=tuple(i.key for i in sub if i.kind == "factory"))
        r = match(ws, sc, settings=SETTINGS, unlocks=False)
        assert r.placed_priority == pytest.approx(prio), [i.key for i in sub]
        assert sum(inv[p.project_id] for p in r.placed) <= max(t[2] for t in table) + 1e-9
    # verified by match: its totals are reported, and match breaks ties in priority by its own tie-breaks, not by
    # investment — so investment = priority here (match's choice is then also the most investment)
    ws = dataclasses.replace(ws, projects=ws.projects.assign(investment_yi=ws.projects["priority"]))
    check(ws, [None, 100.0, 0.0], verify=True, stock=stock)


def held_out():
    """Park A: 10 亩 可供 beside a 52 亩 待平整 parcel (400 万元): once leveled, one 62 亩 block for both 30 亩
    projects; parks B and C: one 35 亩 parcel each (500 万元), one project each."""
    strips = {"ZA": [(("mu", 10.0), "available", None), (("mu", 52.0), "leveling", "2030-06-30")],
              "ZB": [(("mu", 35.0), "leveling", "2030-06-30")], "ZC": [(("mu", 35.0), "demolition", "2030-06-30")]}
    ws = make_ws([(z, "纺织鞋服", s) for z, s in strips.items()],
                 [{"project_id": "P1", "land_mu": 30.0, "priority": 2.0}, {"project_id": "P2", "land_mu": 30.0,
                                                                           "priority": 2.0}])
    parcels = ws.parcels.copy()
    parcels["clearing_cost_wan"] = parcels.index.map({"ZA-02": 400.0, "ZB-01": 500.0, "ZC-01": 500.0})
    return dataclasses.replace(ws, parcels=parcels)


def test_held_out_two_half_blocks_in_one_park():
    """The cause (docs/matching.md): a candidate site could grow only into the pipeline parcels touching it, not
    into free land beyond, so the 52 亩 parcel held one project and the plan paid 900 万元 (before, with 1 000
    in the issue's shape) where 400 places both."""
    ws = held_out()
    got = plan_of(ws)
    assert got.cleared_parcels == ("ZA-02",) and got.cost_wan == pytest.approx(400.0)
    assert got.placed_priority == pytest.approx(4.0) and got.status == "optimal" and got.verification.exact
    check(ws, [None, 400.0, 900.0])


def plan_of(ws, budget=None):
    return Planner(ws, SETTINGS, as_of=AS_OF).plan(budget)


def test_a_site_larger_than_the_cap_is_never_hidden_behind_optimal():
    """A 65 亩 project on a row of fourteen 5 亩 待拆迁 parcels needs all of them (65 × (1 + cut tolerance) > 13 × 5),
    more than max_site_cells (12):
    the candidates were cut, so the plan is 'feasible' with the project listed as truncated — never 'optimal'."""
    strips = [(("mu", 5.0), "demolition", "2030-06-30")] * 14
    ws = make_ws([("Z1", "纺织鞋服", strips)], [{"project_id": "P1", "land_mu": 65.0, "priority": 2.0}])
    assert SETTINGS.plan.max_site_cells == 12
    got = Planner(ws, SETTINGS, as_of=AS_OF, verify=False).plan(None)
    assert got.status == "feasible" and got.truncated == ["P1"]
    wide = dataclasses.replace(SETTINGS, plan=dataclasses.replace(SETTINGS.plan, max_site_cells=14))
    got = Planner(ws, wide, as_of=AS_OF).plan(None)
    assert got.status == "optimal" and got.placed_added == ["P1"] and len(got.cleared_parcels) == 14
