"""The stock-land fields (存量土地) and the firms table (亩均效益台账) on load: every bad cell an error naming its row
and field, missing contract dates on supplied land a warning, 是/否 read as 1/0 — each case on a GeoPackage written
by GDAL and read back."""
import pandas as pd
import pyogrio
import pytest

from geo.settings import load_settings
from geo.workspace import build_workspace
from stores.gpkg_file import read_workspace
from tests.conftest import make_layers, parcel, validated_by

SETTINGS = load_settings()


def _read(tmp_path, parcels, firms=None):
    layers = make_layers(parcels)
    if firms is not None:
        layers["firms"] = pd.DataFrame(firms)
    path = tmp_path / "stock.gpkg"
    for name, frame in layers.items():
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")
    return read_workspace(path, SETTINGS)


def _found(report, level="error"):
    return {(i.feature, i.field, i.code) for i in report.issues if i.level == level and i.layer in ("parcels", "firms")}


def test_good_stock_fields_load_typed_with_yes_no_as_flags(tmp_path):
    ws, report = _read(tmp_path, [
        parcel("S1", (0, 0, 100, 100), "supplied", holder="甲公司", supplied_date="2023-03-01",
               agreed_start="2023-09-01", agreed_completion="2025-09-01", actual_start="2023年10月",
               price_wan=1200.0, developed_share=0.4, invested_share=0.3, gov_delay="是"),
        parcel("S2", (100, 0, 200, 100), "supplied", supplied_date="2024-01-01", agreed_start="2024-06-01",
               gov_delay="否"),
        parcel("A1", (200, 0, 300, 100), "available", approved_date="2022-05-10")],
        firms=[{"firm_id": "F1", "name": "甲公司", "parcel_ids": "S1；S2", "year": 2025, "revenue_wan": 5000,
                "tax_wan": 120, "energy_tce": 300, "employees": 80, "rd_wan": 90}])
    assert ws is not None and not report.errors, report.issues
    p = ws.parcels
    assert p.at["S1", "actual_start"] == pd.Timestamp("2023-10-01") and p.at["S1", "holder"] == "甲公司"
    assert int(p.at["S1", "gov_delay"]) == 1 and int(p.at["S2", "gov_delay"]) == 0
    assert p.at["A1", "approved_date"] == pd.Timestamp("2022-05-10")
    assert ws.firms.at["F1", "parcel_ids"] == "S1；S2" and ws.firms.at["F1", "employees"] == 80


def test_each_bad_stock_cell_is_an_error_naming_row_and_field_and_nothing_loads(tmp_path):
    ws, report = _read(tmp_path, [
        parcel("B1", (0, 0, 100, 100), "supplied", supplied_date="2023-01-01", agreed_start="2024-06-01",
               agreed_completion="2024-01-01"),
        parcel("B2", (100, 0, 200, 100), "supplied", supplied_date="2023-05-01", agreed_start="2023-08-01",
               actual_start="2023-04-01", actual_completion="2023-03-01"),
        parcel("B3", (200, 0, 300, 100), "supplied", supplied_date="2023-05-01", agreed_start="2023-08-01",
               developed_share=35.0, invested_share=1.5, gov_delay=2)],
        firms=[{"firm_id": "F1", "name": "甲", "parcel_ids": "B1;NOPE"},
               {"firm_id": "F2", "name": "乙", "parcel_ids": "；"}])
    assert ws is None
    assert _found(report) == {
        ("B1", "agreed_start", "AGREED_START_AFTER_COMPLETION"),
        ("B2", "actual_start", "START_BEFORE_SUPPLY"), ("B2", "actual_completion", "COMPLETION_BEFORE_START"),
        ("B3", "developed_share", "SHARE_OUT_OF_RANGE"), ("B3", "invested_share", "SHARE_OUT_OF_RANGE"),
        ("B3", "gov_delay", "BAD_FLAG"),
        ("F2", "parcel_ids", "NO_PARCEL")}
    text = {i.code: i.message for i in report.errors}
    assert "地块编号 B1（fid 1）" in text["AGREED_START_AFTER_COMPLETION"]
    assert "2024-06-01" in text["AGREED_START_AFTER_COMPLETION"] and "约定竣工日期" in text[
        "AGREED_START_AFTER_COMPLETION"]
    # a firm on a parcel the layer has not got: a warning on load (the ledger import refuses it)
    [unknown] = [i for i in report.warnings if i.code == "UNKNOWN_PARCEL"]
    assert (unknown.feature, unknown.field) == ("F1", "parcel_ids") and "NOPE" in unknown.message
    assert "企业编号 F1" in unknown.message
    assert any("现为 35；" in i.message and "0.35" in i.message for i in report.errors)


def test_supplied_land_without_contract_dates_is_a_warning_once_the_layer_has_any(tmp_path):
    ws, report = _read(tmp_path, [
        parcel("S1", (0, 0, 100, 100), "supplied", supplied_date="2023-01-01", agreed_start="2023-06-01"),
        parcel("S2", (100, 0, 200, 100), "supplied"),
        parcel("S3", (200, 0, 300, 100), "supplied", supplied_date="2020-01-01"),
        parcel("A1", (300, 0, 400, 100), "available")])
    assert ws is not None
    warned = {(i.feature, i.field) for i in report.warnings if i.code == "MISSING_CONTRACT_DATES"}
    assert warned == {("S2", "supplied_date"), ("S3", "agreed_start")}
    assert any("交地日期、约定动工日期" in i.message for i in report.warnings if i.feature == "S2")
    # a layer that records no contracts at all (every workspace before issue 19): no warning
    ws, report = build_workspace(make_layers([parcel("S2", (0, 0, 100, 100), "supplied")]), **validated_by(SETTINGS))
    assert ws is not None and not [i for i in report.issues if i.code == "MISSING_CONTRACT_DATES"]


@pytest.mark.parametrize("value,expected", [("Y", 1), ("n", 0), ("1", 1), (0, 0), ("否", 0)])
def test_gov_delay_aliases(tmp_path, value, expected):
    ws, report = _read(tmp_path, [parcel("S1", (0, 0, 100, 100), "supplied", supplied_date="2023-01-01",
                                         agreed_start="2023-06-01", gov_delay=value)])
    assert ws is not None, report.issues
    assert int(ws.parcels.at["S1", "gov_delay"]) == expected
