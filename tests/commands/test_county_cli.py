"""A workspace of several counties: `available`/`match`/`plan`/`fit` by county (--county) or for the whole city with a
per-county table; a county's read filters its rows in GDAL, not after reading everything."""
import json
from pathlib import Path

import pyogrio
import pytest

from briefing.counties import county_table
from geo.report import LoadReport
from geo.settings import load_settings
from seeds.province import county_codes, write_province
from stores import gpkg_file
from stores.gpkg_file import load_workspace
from tests.commands.test_cli import run

CODES = county_codes(3)


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    return write_province(tmp_path_factory.mktemp("city") / "city.gpkg", counties=3, parcels_per_county=400,
                          projects_per_county=12, seed=1)


def test_available_by_county_and_the_city_table(city):
    whole = json.loads(run("available", "--workspace", city, "--json").stdout)
    zone_county = {z["zone_id"]: z["zone_id"].split("-")[0] for z in whole["zones"]}
    rows = {r["county_code"]: r for r in whole["counties"]}
    assert sorted(rows) == CODES
    for code in CODES:
        one = json.loads(run("available", "--workspace", city, "--county", code, "--json").stdout)
        assert "counties" not in one
        assert {z["zone_id"] for z in one["zones"]} == {z for z, c in zone_county.items() if c == code}
        assert {b["block_id"] for b in one["blocks"]} <= {b["block_id"] for b in whole["blocks"]}
        mine = [z for z in whole["zones"] if zone_county[z["zone_id"]] == code]
        assert rows[code]["available_mu"] == pytest.approx(one["total_available_mu"], abs=1e-3)
        assert rows[code]["available_mu"] == pytest.approx(sum(z["available_mu"] for z in mine), abs=1e-3)
        assert rows[code]["largest_block_mu"] == pytest.approx(max(z["largest_block_mu"] for z in mine))
        assert rows[code]["zone_count"] == len(mine)
    bad = run("available", "--workspace", city, "--county", "519999", check=False)
    assert bad.returncode == 1 and "县级行政区划代码“519999”不在本工作空间中" in bad.stderr


def test_match_by_county_keeps_projects_home(city):
    whole = json.loads(run("match", "--workspace", city, "--json", "--time-limit", "20").stdout)
    for p in whole["placed"]:
        assert p["zone_id"].split("-")[0] == p["project_id"].split("-")[0]
    rows = {r["county_code"]: r for r in whole["counties"]}
    assert sorted(rows) == CODES
    code = CODES[1]
    one = json.loads(run("match", "--workspace", city, "--county", code, "--json", "--time-limit", "20").stdout)
    assert "counties" not in one
    county_row = next(z for z in one["zones"] if z.get("total"))
    assert rows[code]["pending_count"] == county_row["pending_count"]     # every project names its park here
    assert {p["project_id"].split("-")[0] for p in one["placed"]} == {code}


def test_fit_by_county_looks_in_that_county_only(city):
    whole = json.loads(run("fit", "--workspace", city, "--industry", "纺织鞋服", "--need-mu", "20", "--json").stdout)
    parks = lambda out: {c["zone_id"].split("-")[0] for c in out["candidates"]}      # noqa: E731
    assert len(parks(whole)) > 1
    for code in CODES:
        one = json.loads(run("fit", "--workspace", city, "--county", code, "--industry", "纺织鞋服", "--need-mu",
                             "20", "--json").stdout)
        assert parks(one) <= {code}


def test_a_county_read_is_filtered_in_gdal(city, monkeypatch):
    seen = {}
    real = pyogrio.read_dataframe

    def spy(path, layer=None, **kw):
        frame = real(path, layer=layer, **kw)
        seen[layer] = len(frame)
        return frame
    monkeypatch.setattr(gpkg_file.pyogrio, "read_dataframe", spy)
    layers = gpkg_file.read_layers(city, LoadReport(), county=CODES[2])
    total = pyogrio.read_info(city, layer="parcels")["features"]
    assert seen["parcels"] == len(layers["parcels"]) == total // 3           # only that county's rows were read
    assert set(layers["parcels"]["zone_id"].str[:6]) == {CODES[2]}
    assert set(layers["projects"]["county_code"]) == {CODES[2]}


def test_city_briefing_table_sums_the_counties(city):
    import matching
    settings = load_settings()
    ws = load_workspace(city, settings)
    result = matching.match(ws, settings=settings, unlocks=False, time_limit=20)
    table = county_table(ws, result)
    assert [r[0] for r in table.rows] == CODES
    placed = {c: sum(p.zone_id.startswith(c) for p in result.placed) for c in CODES}
    assert [int(r[3]) for r in table.rows] == [placed[c] for c in CODES]
    one = load_workspace(ws.path, settings, county=CODES[0])
    assert county_table(one, matching.match(one, settings=settings, unlocks=False, time_limit=20)) is None


def test_plan_by_county_and_the_city_table(city):
    whole = json.loads(run("plan", "--workspace", city, "--json").stdout)
    by_county = {r["county_code"]: r for r in whole.get("counties", [])}
    for a in whole["actions"]:
        code = (a["factory_id"] or a["parcel_ids"][0]).split("-")[0]
        assert code in by_county
    for code, row in by_county.items():
        mine = [a for a in whole["actions"] if (a["factory_id"] or a["parcel_ids"][0]).startswith(code)]
        assert row["action_count"] == len(mine)
        assert row["cost_wan"] == pytest.approx(sum(a["cost_wan"] for a in mine), abs=1e-3)
    one = json.loads(run("plan", "--workspace", city, "--county", CODES[0], "--json").stdout)
    assert "counties" not in one
    assert all((a["factory_id"] or a["parcel_ids"][0]).startswith(CODES[0]) for a in one["actions"])
    assert all(p.startswith(CODES[0]) for p in one["placed_added"])
