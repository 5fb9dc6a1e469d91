"""Invariants, reasons, unlocks, fit, scenarios and the 标准地 check of the matching engine."""
from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.settings import load_settings
from geo.supply import zone_admits
from geo.units import M2_PER_MU
from geo.vocab import PIPELINE_STATUSES
from matching import REASONS, Prospect, Scenario, compare, fit, intensity_check, intensity_floor, match
from matching.carve import CarveRules, carve, carve_options
from tests.matching.test_matching_support import make_ws

TOL_M2 = 0.01 * M2_PER_MU      # 0.01 亩


def check_invariants(ws, result, as_of=None):
    """No two sites overlap; each site is one Polygon inside eligible land of an admitting zone ready by the
    project's date; area ≥ need; factory vacancy respected."""
    parcels = ws.metric("parcels")
    prj = ws.projects
    land = [p for p in result.placed if p.kind == "land"]
    for p in land:
        row = prj.loc[p.project_id]
        assert shapely.get_type_id(p.site) == 3, p.project_id
        assert p.site_mu >= row["land_mu"] - 1e-6
        assert zone_admits(ws.zones, row["industry"]).loc[p.zone_id]
        dates = [d for d in (row["needed_by"], as_of) if d is not None and not pd.isna(d)]
        by = max(pd.Timestamp(d) for d in dates) if dates else None
        ok = parcels["status"] == "available"
        if by is not None:
            ok |= parcels["status"].isin(PIPELINE_STATUSES) & (parcels["ready_date"] <= by)
        eligible = shapely.union_all(parcels[ok & (parcels["zone_id"] == p.zone_id)].geometry.values)
        assert shapely.area(shapely.difference(p.site, eligible)) < TOL_M2, p.project_id
        # the WKT is the same site, in the workspace CRS
        back = gpd.GeoSeries.from_wkt([p.site_wkt], crs=ws.crs).to_crs(ws.metric_crs).iloc[0]
        assert abs(shapely.area(back) - shapely.area(p.site)) < 1.0
    sites = np.array([p.site for p in land], dtype=object)
    if len(sites):
        a, b = shapely.STRtree(sites).query(sites, predicate="intersects")
        keep = a < b
        overlap = shapely.area(shapely.intersection(sites[a[keep]], sites[b[keep]]))
        assert (overlap < TOL_M2).all()
    used = {}
    for p in result.placed:
        if p.kind == "factory":
            used[p.factory_id] = used.get(p.factory_id, 0.0) + p.floor_m2
            assert zone_admits(ws.zones, prj.at[p.project_id, "industry"]).loc[p.zone_id]
    for f, floor in used.items():
        assert floor <= ws.factories.at[f, "vacant_m2"] + 1e-6
    placed = {p.project_id for p in result.placed}
    assert placed.isdisjoint(u.project_id for u in result.unplaced)
    assert placed | {u.project_id for u in result.unplaced} == set(prj.index)


# ------------------------------------------------------------------------------------------ sample county

@pytest.fixture(scope="module")
def sample_result(settings, sample_ws):
    return match(sample_ws, settings=settings)


def test_sample_county_invariants_and_json(sample_ws, sample_result):
    check_invariants(sample_ws, sample_result)
    d = sample_result.to_dict()
    assert set(d) >= {"status", "gap", "placed", "unplaced", "zones", "unlocks", "objective"}
    assert d["status"] == "optimal" and d["gap"] == 0
    assert json.loads(json.dumps(d, ensure_ascii=False)) == d          # plain JSON types only
    total = d["zones"][-1]
    assert total["total"] and total["pending_count"] == len(sample_ws.projects)
    assert total["unplaced_count"] == len(d["unplaced"])
    assert total["placed_count"] == d["objective"]["placed_count"]
    assert total["unplaced_mu"] == pytest.approx(sum(u["need_mu"] or 0 for u in d["unplaced"]), abs=0.05)


def test_sample_county_shortfall_projects_and_their_unlock(settings, sample_ws, sample_result):
    """The report's 新能源材料 (冉家坝) and 安井 (*溪) projects have no site today because their land is still in the
    pipeline; finishing the work the result proposes places them."""
    reasons = {u.project_id: u for u in sample_result.unplaced}
    for pid, zone in (("P-RJB-01", "冉家坝"), ("P-TX-01", "桐溪")):
        assert reasons[pid].reason == "NOT_READY"
        assert zone in reasons[pid].detail and reasons[pid].gap_mu > 0
    unlocks = [u for u in sample_result.unlocks if {"P-RJB-01", "P-TX-01"} & set(u.places)]
    assert unlocks
    again = match(sample_ws, Scenario(cleared_parcels=tuple(unlocks[0].parcel_ids)), unlocks=False, settings=settings)
    assert set(unlocks[0].places) <= {p.project_id for p in again.placed}


def test_every_unlock_is_true(settings, sample_ws, sample_result):
    assert sample_result.unlocks
    before = {p.project_id for p in sample_result.placed}
    for u in sample_result.unlocks:
        sc = Scenario(cleared_parcels=tuple(u.parcel_ids), ready_factories=(u.factory_id,) if u.factory_id else ())
        after = {p.project_id for p in match(sample_ws, sc, unlocks=False, settings=settings).placed}
        assert u.places and set(u.places) <= after - before


def test_match_is_deterministic(settings, sample_ws, sample_result):
    assert match(sample_ws, settings=settings).to_dict() == sample_result.to_dict()


def test_scaled_seed_invariants(settings):
    from seeds.generator import generate_workspace
    ws = generate_workspace(parcels=1000, projects=50, seed=3)
    result = match(ws, unlocks=False, settings=settings)
    check_invariants(ws, result)
    assert result.status in ("optimal", "feasible") and 0 <= result.gap <= 0.02


def test_as_of_scenario_and_compare(settings, sample_ws, sample_result):
    later = match(sample_ws, Scenario(as_of=dt.date(2027, 12, 31)), unlocks=False, settings=settings)
    check_invariants(sample_ws, later, as_of=dt.date(2027, 12, 31))
    diff = compare(sample_result, later)
    assert {"P-RJB-01", "P-TX-01"} <= set(diff.newly_placed)
    assert diff.placed_priority.change == pytest.approx(later.placed_priority - sample_result.placed_priority)


def test_without_planned_factories(settings, sample_ws):
    as_of = dt.date(2028, 12, 31)
    with_f = match(sample_ws, Scenario(as_of=as_of), unlocks=False, settings=settings)
    without = match(sample_ws, Scenario(as_of=as_of, without_planned_factories=True), unlocks=False, settings=settings)
    planned = set(sample_ws.factories.index[sample_ws.factories["status"] == "planned"])
    assert not {p.factory_id for p in without.placed} & planned
    assert without.placed_priority <= with_f.placed_priority


# ------------------------------------------------------------------------------------------ reasons

def reason_ws():
    zones = [
        ("A", "纺织鞋服", [(("mu", 30), "available", None), (("mu", 30), "supplied", None),
                          (("mu", 50), "demolition", "2027-06-30"), (("mu", 30), "available", None)]),
        ("B", "健康食品", [(("mu", 20), "available", None)]),
    ]
    projects = [
        {"project_id": "P-NOZONE", "industry": "冶金", "land_mu": 10},
        {"project_id": "P-SMALL", "industry": "健康食品", "land_mu": 60},
        {"project_id": "P-LATE", "industry": "纺织鞋服", "land_mu": 70, "priority": 5},
        {"project_id": "P-WIN", "industry": "纺织鞋服", "land_mu": 25, "priority": 3, "name": "赢家项目"},
        {"project_id": "P-WIN2", "industry": "纺织鞋服", "land_mu": 25, "priority": 3, "name": "赢家二号"},
        {"project_id": "P-LOSE", "industry": "纺织鞋服", "land_mu": 20, "priority": 1},
        {"project_id": "P-FLOOR", "industry": "纺织鞋服", "floor_m2": 9000},
    ]
    factories = [{"factory_id": "F1", "zone_id": "A", "vacant_m2": 5000.0, "status": "built"},
                 {"factory_id": "F2", "zone_id": "A", "vacant_m2": 12000.0, "status": "planned",
                  "ready_date": pd.Timestamp("2028-03-31")}]
    return make_ws(zones, projects, factories)


def test_every_reason_code_with_its_sentence(settings):
    ws = reason_ws()
    result = match(ws, settings=settings)
    check_invariants(ws, result)
    by = {u.project_id: u for u in result.unplaced}
    assert set(by) == {"P-NOZONE", "P-SMALL", "P-LATE", "P-LOSE", "P-FLOOR"}
    assert {u.reason for u in by.values()} == set(REASONS) - {"CONSTRAINED"}   # no constraint layers here:
    # CONSTRAINED is tests/test_net_wiring.py's
    assert by["P-NOZONE"].reason == "NO_ZONE" and "冶金" in by["P-NOZONE"].detail
    small = by["P-SMALL"]
    assert small.reason == "TOO_SMALL" and small.gap_mu == pytest.approx(60 - 20, abs=0.05)
    assert "20.0 亩" in small.detail
    late = by["P-LATE"]
    assert late.reason == "NOT_READY" and "A-03" in late.detail and "2027-06-30" in late.detail
    assert late.gap_mu == pytest.approx(70 - 30, abs=0.05)
    lose = by["P-LOSE"]
    assert lose.reason == "OUTCOMPETED" and "赢家" in lose.detail and set(lose.blockers) <= {"P-WIN", "P-WIN2"}
    floor = by["P-FLOOR"]
    assert floor.reason == "NO_FACTORY_SPACE" and "F2" in floor.detail and "5,000" in floor.detail
    assert all(u.detail for u in result.unplaced)
    # unlocks: clearing A-03 places P-LATE; completing F2 places P-FLOOR — each verified by re-running
    acts = {(tuple(u.parcel_ids), u.factory_id): u.places for u in result.unlocks}
    assert acts[(("A-03",), None)] == ["P-LATE"]
    assert acts[((), "F2")] == ["P-FLOOR"]
    assert result.unlocks[0].factory_id == "F2"           # clears no land: ranks first


def test_priority_decides_and_needed_by_allows_pipeline(settings):
    ws = reason_ws()
    prj = ws.projects.copy()
    prj.loc["P-LOSE", "priority"] = 5.0                       # now P-LOSE beats one of the winners
    prj.loc["P-LATE", "needed_by"] = pd.Timestamp("2027-09-30")   # the demolition parcel is ready in time
    result = match(ws.with_projects(prj), unlocks=False, settings=settings)
    placed = {p.project_id: p for p in result.placed}
    assert "P-LOSE" in placed and "P-LATE" in placed
    assert "A-03" in placed["P-LATE"].parcel_ids
    assert placed["P-LATE"].ready_date == pd.Timestamp("2027-06-30")


def test_preferred_zone_breaks_ties(settings):
    zones = [("A", "纺织鞋服", [(("mu", 40), "available", None)]), ("B", "纺织鞋服", [(("mu", 40), "available", None)])]
    for pref in ("A", "B"):
        ws = make_ws(zones, [{"land_mu": 20, "preferred_zone": pref}])
        assert match(ws, unlocks=False, settings=settings).placed[0].zone_id == pref


def test_several_projects_share_a_block_without_overlap(settings):
    ws = make_ws([("A", "纺织鞋服", [(("mu", 40), "available", None), (("mu", 40), "available", None)])],
                 [{"land_mu": 25}, {"land_mu": 25}, {"land_mu": 25}])
    result = match(ws, unlocks=False, settings=settings)
    assert len(result.placed) == 3
    check_invariants(ws, result)


# ------------------------------------------------------------------------------------------ fit

def test_fit_candidates_and_reasons(settings, sample_ws):
    ok = fit(Prospect(industry="纺织鞋服", need_mu=40), sample_ws, settings=settings)
    assert ok.fits and ok.candidates and ok.reason is None
    areas = [c.area_mu for c in ok.candidates]
    assert all(a >= 40 - 1e-6 for a in areas)
    for c in ok.candidates:
        assert zone_admits(sample_ws.zones, "纺织鞋服").loc[c.zone_id]
    sites = [gpd.GeoSeries.from_wkt([c.site_wkt], crs=sample_ws.crs).iloc[0] for c in ok.candidates]
    assert all(shapely.get_type_id(s) == 3 for s in sites)
    d = ok.to_dict()
    assert set(d) >= {"fits", "candidates", "reason", "gap_mu", "unlocks"}
    assert set(d["candidates"][0]) >= {"zone_id", "parcel_ids", "area_mu", "surplus_mu", "ready_date", "site_wkt"}
    one = fit(Prospect(industry="纺织鞋服", need_mu=40, zone_id="LZ"), sample_ws, settings=settings)
    assert one.fits and {c.zone_id for c in one.candidates} == {"LZ"}
    # on all free land the pipeline block would hold it; by default the signed P-RJB-01 (360 亩) takes it first
    big = fit(Prospect(industry="新能源电池", need_mu=360), sample_ws, all_free_land=True, settings=settings)
    assert not big.fits and big.reason == "NOT_READY" and big.gap_mu > 0
    assert big.unlocks and big.unlocks[0].parcel_ids
    again = fit(Prospect(industry="新能源电池", need_mu=360), sample_ws,
                Scenario(cleared_parcels=tuple(big.unlocks[0].parcel_ids)), all_free_land=True, settings=settings)
    assert again.fits
    assert not fit(Prospect(industry="新能源电池", need_mu=360), sample_ws, settings=settings).unlocks
    nozone = fit(Prospect(industry="冶金", need_mu=10), sample_ws, settings=settings)
    assert nozone.reason == "NO_ZONE" and not nozone.fits


def test_fit_competes_only_for_land_committed_projects_leave(settings):
    ws = make_ws([("A", "纺织鞋服", [(("mu", 50), "available", None)])],
                 [{"project_id": "P-SIGNED", "land_mu": 40, "stage": "signed", "name": "已签约项目"}])
    p = Prospect(industry="纺织鞋服", need_mu=30)
    taken = fit(p, ws, settings=settings)
    assert not taken.fits and taken.reason == "OUTCOMPETED" and "已签约项目" in taken.detail
    assert taken.gap_mu == pytest.approx(30 - 10, abs=0.1)
    free = fit(p, ws, all_free_land=True, settings=settings)
    assert free.fits and free.candidates[0].area_mu >= 30


def test_fit_reports_progress_while_it_first_places_committed_projects(settings):
    from geo.cache import DerivedCache
    ws = make_ws([("A", "纺织鞋服", [(("mu", 50), "available", None)])],
                 [{"project_id": "P-SIGNED", "land_mu": 40, "stage": "signed", "name": "已签约项目"}])
    p = Prospect(industry="纺织鞋服", need_mu=30)
    calls, cache = [], DerivedCache()          # the caller's cache (the app's: pages.context.derived)
    first = fit(p, ws, progress=lambda f, msg: calls.append((f, msg)), settings=settings, cache=cache)
    assert calls and calls[0] == (0.0, "首次检查：先安排已签约、已开工项目的选址")
    assert all(0.0 <= f <= 1.0 for f, _ in calls)
    calls.clear()
    again = fit(p, ws, progress=lambda f, msg: calls.append((f, msg)), settings=settings, cache=cache)
    assert calls == [] and again.to_dict() == first.to_dict()          # cached: nothing to wait for, same answer


def test_fit_factory_candidates_first(settings):
    ws = make_ws([("A", "纺织鞋服", [(("mu", 50), "available", None)])], [],
                 [{"factory_id": "F1", "zone_id": "A", "vacant_m2": 8000.0, "status": "built"}])
    r = fit(Prospect(industry="纺织鞋服", need_mu=20, floor_m2=6000), ws, settings=settings)
    assert [c.kind for c in r.candidates] == ["factory", "land"]
    assert not fit(Prospect(industry="纺织鞋服", floor_m2=9000), ws, settings=settings).fits


# ------------------------------------------------------------------------------------------ carving

def test_carve_cuts_one_polygon_within_the_window():
    rules = CarveRules(0.02, 0.002, 5 * M2_PER_MU, 30.0)
    ell = shapely.union_all([shapely.box(0, 0, 300, 100), shapely.box(0, 100, 100, 300)])
    site, rest = carve(ell, 10_000.0, rules)
    assert shapely.get_type_id(site) == 3
    assert 10_000 <= shapely.area(site) <= 10_000 * 1.002 + 1e-6
    assert shapely.area(shapely.difference(site, ell)) < 1e-3
    assert shapely.area(rest) == pytest.approx(shapely.area(ell) - shapely.area(site), abs=1e-2)


def test_carve_gives_slivers_to_the_site():
    rules = CarveRules(0.02, 0.002, 5 * M2_PER_MU, 30.0)
    # leftover 3 亩 (< 5 亩): the whole piece goes
    piece = shapely.box(0, 0, 100, (20 + 3) * M2_PER_MU / 100)
    site, rest = carve(piece, 20 * M2_PER_MU, rules)
    assert shapely.area(site) == pytest.approx(shapely.area(piece)) and shapely.is_empty(rest)
    long = shapely.box(0, 0, 400, 100)                                   # 400 × 100 m = 60 亩
    site, rest = carve(long, 37_900.0, rules)          # leaves ≤ 2100 m² (21 m wide, 3.2 亩): a sliver, goes
    assert shapely.is_empty(rest) and shapely.area(site) == pytest.approx(40_000)
    site, rest = carve(long, 34_000.0, rules)          # leaves ~6000 m², 60 m wide, 9 亩: stays available
    assert 40_000 - 34_000 * 1.002 - 1e-6 <= shapely.area(rest) <= 6000 + 1e-6
    # leftover 100 m × 25 m = 3.75 亩 … under 5 亩 anyway; make one that is wide in area but narrow: 400 × 25 m
    wide = shapely.box(0, 0, 400, 125)                 # cut along x would leave a 400 × 25 m strip (15 亩)
    site, rest = carve(wide, 40_000.0, CarveRules(0.0, 0.002, 5 * M2_PER_MU, 30.0))
    assert shapely.get_type_id(site) == 3 and shapely.area(site) >= 40_000
    assert shapely.is_empty(rest) or not shapely.is_empty(shapely.buffer(rest, -15))


def test_carve_returns_none_when_no_piece_is_large_enough():
    rules = CarveRules(0.02, 0.002, 5 * M2_PER_MU, 30.0)
    two = shapely.union_all([shapely.box(0, 0, 100, 100), shapely.box(200, 0, 300, 100)])
    assert carve(two, 15_000.0, rules) is None
    assert carve(two, 9_000.0, rules) is not None


def test_carve_keeps_a_remainder_that_joins_later_land():
    """58 亩 out of a 61.2 亩 parcel ready now leaves 3.2 亩 (a sliver of today's land). Next to it lies 29.3 亩
    ready later: the remainder joins it, so a later 30 亩 project fits too."""
    rules = CarveRules(0.0, 0.002, 5 * M2_PER_MU, 30.0)
    now = shapely.box(0, 0, 61.2 * M2_PER_MU / 100, 100)
    later = shapely.box(61.2 * M2_PER_MU / 100, 0, 90.5 * M2_PER_MU / 100, 100)
    alone = list(carve_options(now, 58 * M2_PER_MU, rules))
    assert len(alone) == 1 and shapely.area(alone[0][0]) == pytest.approx(shapely.area(now))
    options = list(carve_options(now, 58 * M2_PER_MU, rules, within=shapely.union_all([now, later])))
    assert options[0][0].equals(alone[0][0])              # the usual cut stays first
    kept = options[1][0]
    assert 58 * M2_PER_MU <= shapely.area(kept) <= 58 * M2_PER_MU * 1.002 + 1e-6
    assert shapely.area(shapely.difference(kept, now)) < 1e-3
    rest = shapely.difference(shapely.union_all([now, later]), kept)
    assert carve(rest, 30 * M2_PER_MU, rules) is not None


def test_match_searches_other_cuts_when_a_block_cannot_be_carved(settings):
    ws = make_ws([("A", "纺织鞋服", [(("mu", 61.2), "available", None),
                                      (("mu", 29.3), "leveling", "2027-06-01")])],
                 [{"land_mu": 58, "priority": 2, "needed_by": "2026-12-01"},
                  {"land_mu": 30, "priority": 1, "needed_by": "2027-12-01"}])
    r = match(ws, unlocks=False, settings=settings)
    assert r.status == "optimal" and {p.project_id for p in r.placed} == {"P01", "P02"}
    check_invariants(ws, r)
    first = next(p for p in r.placed if p.project_id == "P01")
    assert first.parcel_ids == ["A-01"] and first.site_mu < 58 * 1.002 + 1e-6


# ------------------------------------------------------------------------------------------ intensity

def test_intensity_check_and_justified_need(settings, sample_ws, monkeypatch, tmp_path):
    table = intensity_check(sample_ws, settings=settings)
    row = table.loc["P-FZ-01"]
    assert row["intensity_wan_per_mu"] == pytest.approx(10.0 * 10000 / 120.0, abs=0.05)
    assert row["floor_wan_per_mu"] == 150.0 and "150" in row["source"]
    assert (table["below"] == (table["intensity_wan_per_mu"] < table["floor_wan_per_mu"])).all()
    base = match(sample_ws, unlocks=False, settings=settings)
    override = tmp_path / "o.toml"
    override.write_text('[intensity]\ndefault_wan_per_mu = 1200.0\n[intensity.by_zone]\nQDB = { "*" = 50.0 }\n',
                        encoding="utf-8")
    monkeypatch.setenv("LANDGAP_CONFIG", str(override))
    over = load_settings()
    assert intensity_floor("QDB", "纺织鞋服", settings=over) == 50.0
    assert intensity_floor("LZ", "纺织鞋服", settings=over) == 1200.0
    table = intensity_check(sample_ws, settings=over)
    low = table[table["below"]]
    assert len(low) and (low["justified_mu"] < low["land_mu"]).all() and not low["zone_id"].eq("QDB").any()
    assert np.allclose(low["justified_mu"], (low["investment_yi"] * 10000 / low["floor_wan_per_mu"]).round(1))
    just = match(sample_ws, Scenario(justified_land_need=True), unlocks=False, settings=over)
    need = {p.project_id: p.need_mu for p in just.placed if p.kind == "land"}
    checked = 0
    for pid, r in low.iterrows():
        if pid in need:
            assert need[pid] == pytest.approx(r["justified_mu"], abs=0.05)
            checked += 1
    assert checked
    assert just.placed_priority >= base.placed_priority
