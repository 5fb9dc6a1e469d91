"""Stock land as supply (存量盘活, issue 19 part 4): the stock actions' costs, dates and legal basis; the plan choosing
them against clearing at least cost, verified by match; match's and fit's reasons and verified unlocks naming
stock land; ``available --by`` counting it apart."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from geo.supply import available_report
from geo.vocab import STOCK_ACTION_BASIS
from matching import Scenario, fit, match
from matching.actions import NEGOTIATE, RECLAIM, plan_actions
from matching.model import Prospect
from matching.plan import plan
from tests.matching.test_matching_support import SETTINGS, make_ws

AS_OF = pd.Timestamp("2026-12-01")
PS = SETTINGS.plan


def county(reclaim_start="2023-01-01", idle_start="2025-06-01", zb_cost=500.0, projects=2):
    """Park ZA: 10 亩 可供, then a supplied parcel not started since ``reclaim_start`` (reclaimable at AS_OF: two
    full years), then one not started since ``idle_start`` (idle: one full year), price 400 万元; park ZB: a 35 亩
    待平整 parcel at ``zb_cost``. Two 30 亩 projects."""
    strips = {"ZA": [(("mu", 10.0), "available", None), (("mu", 25.0), "supplied", None),
                     (("mu", 30.0), "supplied", None)],
              "ZB": [(("mu", 35.0), "leveling", "2030-06-30")]}
    ws = make_ws([(z, "纺织鞋服", s) for z, s in strips.items()],
                 [{"project_id": f"P{i + 1}", "land_mu": 30.0, "priority": 2.0} for i in range(projects)])
    p = ws.parcels.copy()
    p["clearing_cost_wan"] = p.index.map({"ZB-01": zb_cost})
    for pid, start, price in (("ZA-02", reclaim_start, 300.0), ("ZA-03", idle_start, 400.0)):
        p.loc[pid, "supplied_date"] = pd.Timestamp(start) - pd.DateOffset(years=1)
        p.loc[pid, "agreed_start"] = pd.Timestamp(start)
        p.loc[pid, "price_wan"] = price
    p.loc["ZA-03", "developed_share"] = 0.25
    return dataclasses.replace(ws, parcels=p)


def test_stock_actions_cost_date_and_basis():
    ws = county()
    acts = {a.parcel_id: a for a in plan_actions(ws, SETTINGS, start=AS_OF)}
    r, n = acts["ZA-02"], acts["ZA-03"]
    assert (r.kind, r.stock_class, n.kind, n.stock_class) == (RECLAIM, "reclaimable", NEGOTIATE, "idle")
    assert r.cost_wan == pytest.approx(25.0 * PS.reclaim_wan_per_mu, rel=1e-3)
    assert n.cost_wan == pytest.approx(400.0 * (1 - 0.25) * PS.negotiate_price_share, rel=1e-6)
    assert r.ready_by == AS_OF + pd.DateOffset(months=int(PS.lead_months_reclaim))
    assert n.ready_by == AS_OF + pd.DateOffset(months=int(PS.lead_months_negotiate))
    assert r.basis == STOCK_ACTION_BASIS["reclaim"] and "第十四条" in r.basis
    assert r.days_overdue == (AS_OF - pd.Timestamp("2023-01-01")).days
    # a parcel with no price: 万元/亩 of the config; no stock actions when asked for none
    ws2 = dataclasses.replace(ws, parcels=ws.parcels.assign(price_wan=float("nan")))
    n2 = next(a for a in plan_actions(ws2, SETTINGS, start=AS_OF) if a.parcel_id == "ZA-03")
    assert n2.cost_wan == pytest.approx(30.0 * PS.negotiate_wan_per_mu, rel=1e-3)
    assert all(a.kind == "clear" for a in plan_actions(ws, SETTINGS, start=AS_OF, stock=False))


def test_plan_takes_stock_land_at_least_cost_and_match_agrees():
    ws = county()
    got = plan(ws, settings=SETTINGS, as_of=AS_OF)
    # reclaim (12.5) + negotiate (300) places both in ZA; ZB's leveling (500) is dearer than negotiating
    assert got.status == "optimal" and got.placed_added == ["P1", "P2"] and got.verification.exact
    assert got.stock_parcels == ("ZA-02", "ZA-03") and set(got.cleared_parcels) == {"ZA-02", "ZA-03"}
    assert got.cost_wan == pytest.approx(25.0 * PS.reclaim_wan_per_mu + 300.0, rel=1e-3)
    again = match(ws, got.scenario(AS_OF), settings=SETTINGS, unlocks=False)
    assert {p.project_id for p in again.placed} == {"P1", "P2"}
    d = got.to_dict()
    kinds = {a["action"]: a for a in d["actions"]}
    assert set(kinds) == {"reclaim", "negotiate"}
    for a in d["actions"]:
        assert {"action", "parcel_ids", "cost_wan", "ready_by", "places", "basis"} <= set(a)
    assert kinds["reclaim"]["ready_by"] == (AS_OF + pd.DateOffset(months=6)).strftime("%Y-%m-%d")
    # with ZB's leveling cheaper than the negotiation, the plan levels ZB instead
    cheap = plan(county(zb_cost=100.0), settings=SETTINGS, as_of=AS_OF)
    assert set(cheap.cleared_parcels) == {"ZA-02", "ZB-01"} and cheap.stock_parcels == ("ZA-02",)
    assert cheap.verification.exact


def test_no_stock_action_before_the_law_allows_it():
    # contracted start 2026-06-01: only overdue at AS_OF (not a full year) — no action, nothing reclaimed
    ws = county(reclaim_start="2026-06-01", idle_start="2026-06-01")
    assert not [a for a in plan_actions(ws, SETTINGS, start=AS_OF) if a.kind != "clear"]
    got = plan(ws, settings=SETTINGS, as_of=AS_OF)
    assert got.stock_parcels == () and got.cleared_parcels == ("ZB-01",)


def test_match_names_stock_land_and_verifies_a_stock_unlock():
    ws = county(projects=1)
    r = match(ws, Scenario(as_of=AS_OF), settings=SETTINGS)
    u = r.unplaced_project("P1")
    # the gap is 20 亩: the smallest stock parcel that meets it (with the 10 亩 beside it), by 2027-06
    days = (AS_OF - pd.Timestamp("2023-01-01")).days
    assert f"ZA园区另有可无偿收回地块 ZA-02（25 亩，闲置 {days} 天）可于 2027-06 前无偿收回" in u.detail
    stock = [x for x in r.unlocks if x.action in ("reclaim", "negotiate")]
    assert [(x.action, x.parcel_ids, x.places) for x in stock] == [("reclaim", ["ZA-02"], ["P1"])]
    assert "12.5 万元" in stock[0].detail and "2027-06-01" in stock[0].detail
    again = match(ws, Scenario(as_of=AS_OF, cleared_parcels=tuple(stock[0].parcel_ids)), settings=SETTINGS,
                  unlocks=False)
    assert "P1" in {p.project_id for p in again.placed}


def test_fit_names_stock_land_and_verifies_its_unlocks():
    ws = county(projects=0)
    got = fit(Prospect(industry="纺织鞋服", need_mu=28.0, zone_id="ZA"), ws, Scenario(as_of=AS_OF),
              settings=SETTINGS)
    assert not got.fits and "另有可无偿收回地块 ZA-02（25 亩" in got.detail
    # each stock parcel of the park, verified by re-running fit; least 亩 per priority first
    assert [(u.action, u.parcel_ids) for u in got.unlocks] == [("reclaim", ["ZA-02"]), ("negotiate", ["ZA-03"])]
    for u in got.unlocks:
        again = fit(Prospect(industry="纺织鞋服", need_mu=28.0, zone_id="ZA"), ws,
                    Scenario(as_of=AS_OF, cleared_parcels=tuple(u.parcel_ids)), settings=SETTINGS)
        assert again.fits


def test_available_by_counts_stock_land_apart():
    ws = county()
    keys = set(available_report(ws, settings=SETTINGS).to_dict())
    early = available_report(ws, by=pd.Timestamp("2027-07-01"), settings=SETTINGS, as_of=AS_OF)
    late = available_report(ws, by=pd.Timestamp("2027-12-31"), settings=SETTINGS, as_of=AS_OF)
    za = {z.zone_id: z for z in late.zones}["ZA"]
    assert {z.zone_id: z.stock_pipeline_mu for z in early.zones} == {"ZA": pytest.approx(25.0), "ZB": 0.0}
    assert za.stock_pipeline_mu == pytest.approx(55.0) and za.pipeline_mu == 0.0 and za.available_mu == 10.0
    assert [(s.parcel_id, s.action) for s in late.stock] == [("ZA-02", "reclaim"), ("ZA-03", "negotiate")]
    d = late.to_dict()
    assert keys <= set(d) and d["total_stock_pipeline_mu"] == pytest.approx(55.0)
    assert d["stock_parcels"][1] == {"parcel_id": "ZA-03", "zone_id": "ZA", "class": "idle", "action": "negotiate",
                                     "area_mu": pytest.approx(30.0), "ready_by": "2027-09-01"}
