"""The typed match result and its gap summary, and the tables and headline totals built from it.

References are independent of matching.summary: counts straight from the workspace and from the result's own
placed/unplaced lists.
"""
from __future__ import annotations

import json

import pytest

import matching
from geo.settings import load_settings
from geo.vocab import FIELD_LABELS, GAP_ZONE_LABELS
from geo.workspace import build_workspace
from layers import tables
from tests.conftest import make_layers, parcel, validated_by

SETTINGS = load_settings()   # loaded once, as the CLI and the app do


def _ws(**kw):
    ws, report = build_workspace(make_layers(**kw), **validated_by(SETTINGS))
    assert ws is not None, report.summary()
    return ws


@pytest.fixture(scope="module")
def loose_ws():
    """Two parks; a project with no preferred park that no park admits (unzoned row), one placed, one too big."""
    zones = [{"zone_id": "Z1", "name": "一号园", "industries": "纺织鞋服", "geometry": (-50, -50, 900, 900)},
             {"zone_id": "Z2", "name": "二号园", "industries": "健康食品", "geometry": (1000, -50, 2000, 900)}]
    parcels = [parcel("A1", (0, 0, 200, 200), zone="Z1"), parcel("B1", (1100, 0, 1300, 200), zone="Z2")]
    projects = [
        {"project_id": "P1", "name": "鞋厂", "industry": "纺织鞋服", "land_mu": 30.0, "preferred_zone": "Z1",
         "stage": "signed", "investment_yi": 3.0},
        {"project_id": "P2", "name": "电池厂", "industry": "新能源电池", "land_mu": 20.0, "stage": "negotiating",
         "investment_yi": 8.0},
        {"project_id": "P3", "name": "食品厂", "industry": "健康食品", "land_mu": 500.0, "preferred_zone": "Z2",
         "stage": "signed", "investment_yi": 5.0},
    ]
    return _ws(zones=zones, parcels=parcels, projects=projects)


def test_rows_are_typed_and_the_county_row_is_its_own_field(loose_ws):
    r = matching.match(loose_ws, settings=SETTINGS)
    assert [z.kind for z in r.zones] == ["zone", "zone", "unzoned"]
    assert r.county.kind == "county" and r.county.total and not any(z.total for z in r.zones)
    assert r.county.pending_count == len(loose_ws.projects) == 3
    assert r.zone_row(None).pending_count == 1 and r.zone_row(None).unplaced_count == 1
    # every project counts in exactly one row
    assert sum(z.pending_count for z in r.zones) == r.county.pending_count
    assert sum(z.unplaced_count for z in r.zones) == r.county.unplaced_count == len(r.unplaced)
    d = r.to_dict()
    assert [z["total"] for z in d["zones"]] == [False, False, False, True]
    json.dumps(d, ensure_ascii=False)


def test_headline_totals_are_the_county_row_not_the_unzoned_row(loose_ws):
    """Defect: gap_totals matched ``zone_id is None`` first and took the 未定园区 row (1 project, not 3)."""
    r = matching.match(loose_ws, settings=SETTINGS)
    t = tables.gap_totals(r)
    assert t["pending_count"] == len(loose_ws.projects)
    assert t["placed_count"] == len(r.placed) and t["unplaced_count"] == len(r.unplaced) == 2
    assert t["pending_mu"] == pytest.approx(loose_ws.projects["land_mu"].sum())


def test_need_and_shortfall_are_two_columns_with_two_names(loose_ws):
    """Defect: the column 无选址缺口（亩） held the unplaced projects' need, while the briefing's 缺口 is the
    shortfall (gap_mu). Now the need is 需用地 and the shortfall 缺口, everywhere."""
    r = matching.match(loose_ws, settings=SETTINGS)
    need = sum(u.need_mu for u in r.unplaced)
    short = sum(u.gap_mu or 0.0 for u in r.unplaced)
    assert need != pytest.approx(short)            # the instance tells them apart
    zt = tables.zone_gap_table(r).set_index(GAP_ZONE_LABELS["name"])
    county = zt.loc[r.county.name]
    assert county[GAP_ZONE_LABELS["unplaced_mu"]] == pytest.approx(need, abs=0.05)
    assert county[GAP_ZONE_LABELS["unplaced_gap_mu"]] == pytest.approx(short, abs=0.01)
    assert "缺口" not in GAP_ZONE_LABELS["unplaced_mu"] and "需用地" in GAP_ZONE_LABELS["unplaced_mu"]
    ut = tables.unplaced_table(loose_ws, r)
    assert ut[FIELD_LABELS["land_mu"]].sum() == pytest.approx(need)
    assert ut[FIELD_LABELS["gap_mu"]].sum() == pytest.approx(short, abs=0.01)
    assert FIELD_LABELS["land_mu"].startswith("需用地") and FIELD_LABELS["gap_mu"].startswith("缺口")


def test_cli_match_table_names_need_and_shortfall_apart(capsys):
    import cli
    assert cli.main(["match"]) == 0
    out = capsys.readouterr().out
    head = out.splitlines()[2]
    assert GAP_ZONE_LABELS["unplaced_mu"] in head and GAP_ZONE_LABELS["unplaced_gap_mu"] in head
    assert "无选址缺口" not in out


def test_project_zone_rule():
    assert matching.project_zone("Z1", "Z2") == "Z1"
    assert matching.project_zone(None, "Z2") == "Z2"
    assert matching.project_zone(float("nan"), None) is None and matching.project_zone("", None) is None


def test_compare_keeps_the_unzoned_and_county_rows_apart(loose_ws):
    a = matching.match(loose_ws, settings=SETTINGS)
    b = matching.match(loose_ws, matching.Scenario(cleared_parcels=()), settings=SETTINGS)
    diff = matching.compare(a, b)
    assert diff.zones == ()                   # same county, same rows
    kinds = {(z.kind, z.zone_id) for z in [*a.zones, a.county]}
    assert ("unzoned", None) in kinds and ("county", None) in kinds
