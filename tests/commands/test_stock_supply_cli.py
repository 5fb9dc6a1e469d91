"""Stock land as supply through the CLI (issue 19): a small county with reclaimable and idle land written to a
GeoPackage and read back — ``plan --json`` lists stock actions with their keys, ``available --by --json`` counts
stock land apart with the existing keys unchanged, ``match --json`` names it in reasons and unlocks."""
from __future__ import annotations

import dataclasses
import json

import pytest

from stores.gpkg_file import save_workspace
from tests.commands.test_cli import run
from tests.matching.test_stock_supply import AS_OF, county

ACTION_KEYS = {"action", "parcel_ids", "factory_id", "area_mu", "cost_wan", "ready_by", "places"}


@pytest.fixture(scope="module")
def county_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("stockplan") / "county.gpkg"
    ws = county(projects=2)
    save_workspace(dataclasses.replace(ws, path=None), path)
    return path


def test_plan_json_stock_actions(county_path):
    d = json.loads(run("plan", "--workspace", county_path, "--as-of", AS_OF.date().isoformat(), "--json").stdout)
    stock = [a for a in d["actions"] if a["action"] in ("reclaim", "negotiate", "redevelop")]
    assert [a["parcel_ids"] for a in stock if a["action"] == "reclaim"] == [["ZA-02"]]
    for a in d["actions"]:
        extra = {"basis", "stock_class", "days_overdue"} if a in stock else set()
        assert set(a) == ACTION_KEYS | extra
    assert "第十四条" in stock[0]["basis"] and stock[0]["ready_by"] == "2027-06-01"
    assert set(d["placed_added"]) == {"P1", "P2"} and "verification" not in d
    text = run("plan", "--workspace", county_path, "--as-of", AS_OF.date().isoformat()).stdout
    assert "无偿收回" in text


def test_available_json_counts_stock_apart(county_path):
    now = json.loads(run("available", "--workspace", county_path, "--json").stdout)
    by = json.loads(run("available", "--workspace", county_path, "--by", "2027-12-31", "--as-of",
                        AS_OF.date().isoformat(), "--json").stdout)
    assert list(by)[:3] == list(now)[:3] == ["total_available_mu", "zones", "blocks"]
    assert list(by)[3:] == ["total_stock_pipeline_mu", "stock_parcels"]
    assert by["total_stock_pipeline_mu"] == pytest.approx(55.0, abs=0.1) and now["stock_parcels"] == []
    assert {s["parcel_id"]: s["action"] for s in by["stock_parcels"]} == {"ZA-02": "reclaim", "ZA-03": "negotiate"}
    text = run("available", "--workspace", county_path, "--by", "2027-12-31", "--as-of",
               AS_OF.date().isoformat()).stdout
    assert "可盘活存量" in text and "协议收回/置换" in text


def test_match_json_names_stock_land(county_path):
    d = json.loads(run("match", "--workspace", county_path, "--as-of", AS_OF.date().isoformat(), "--json").stdout)
    details = " ".join(u["detail"] for u in d["unplaced"])
    assert "可无偿收回地块 ZA-02" in details
    assert any(u["action"] == "reclaim" and u["parcel_ids"] == ["ZA-02"] for u in d["unlocks"])
