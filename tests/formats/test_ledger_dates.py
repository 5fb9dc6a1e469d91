"""The project ledger's lifecycle columns (签约日期 … 外资到位): Chinese headers, dates written loosely, funds in
万元, and stage/date checks naming the ledger's Excel row (issue 21)."""
from __future__ import annotations

import pandas as pd
import pytest

from formats.ledger import import_ledger
from geo.errors import ValidationError
from geo.settings import load_settings
from tests.formats.test_ledger import xlsx

SETTINGS = load_settings()
HEADER = ["项目名称", "所属产业", "总投资（亿元）", "拟用地（亩）", "项目阶段", "签约时间", "合同约定开工日期",
          "实际开工日期", "投产日期", "到位资金（万元）", "签约平台/活动", "外资到位（万美元）"]


def _import(sample_ws, rows):
    return import_ledger(sample_ws, xlsx([HEADER, *rows]), "日期.xlsx", cny_per_usd=SETTINGS.ledger.cny_per_usd)


def test_date_headers_are_read_into_the_project_fields(sample_ws):
    new, counts, report = _import(sample_ws, [
        ["日期甲项目", "纺织鞋服", 3, 50, "已开工", "2025年3月", "2025.9", "2025-08-15", "2026年5月", 12000, "西博会",
         "约300"],
        ["日期乙项目", "健康食品", 1.5, 30, "已签约", "2026-01-10", None, None, None, None, None, None]])
    assert counts["added"] == 2 and not report.errors
    p = new.projects.set_index("name")
    a = p.loc["日期甲项目"]
    assert a["signed_date"] == pd.Timestamp("2025-03-01") and a["agreed_start"] == pd.Timestamp("2025-09-01")
    assert a["started_date"] == pd.Timestamp("2025-08-15") and a["production_date"] == pd.Timestamp("2026-05-01")
    assert a["funds_in_yi"] == pytest.approx(1.2) and a["event"] == "西博会" and a["foreign_usd_wan"] == 300
    b = p.loc["日期乙项目"]
    assert b["signed_date"] == pd.Timestamp("2026-01-10") and pd.isna(b["started_date"]) and pd.isna(b["funds_in_yi"])
    assert not any(i.code == "EXCHANGE_RATE" for i in report.issues)       # 万美元 stays in dollars


def test_a_start_before_signing_is_an_error_naming_the_row_and_nothing_is_imported(sample_ws):
    before = sample_ws.projects.copy()
    with pytest.raises(ValidationError) as err:
        _import(sample_ws, [
            ["好项目", "纺织鞋服", 3, 50, "已签约", "2025-03-01", None, None, None, None, None, None],
            ["倒序项目", "纺织鞋服", 3, 50, "已开工", "2025-06-01", None, "2025-04-01", "2025-03-01",
             None, None, None]])
    found = {(i.row, i.field, i.code) for i in err.value.report.errors}
    assert found == {(3, "started_date", "START_BEFORE_SIGNING"), (3, "production_date", "PRODUCTION_BEFORE_START")}
    assert "台账第 3 行" in err.value.report.errors[0].message
    assert "2025-04-01" in err.value.report.errors[0].message
    pd.testing.assert_frame_equal(sample_ws.projects, before)


def test_a_started_project_without_its_start_date_is_a_warning_by_row(sample_ws):
    new, _, report = _import(sample_ws, [
        ["无开工日期项目", "纺织鞋服", 3, 50, "已开工", "2025-03-01", None, None, None, None, None, None],
        ["有开工日期的签约项目", "纺织鞋服", 2, 20, "已签约", "2025-03-01", None, "2025-05-01",
         None, None, None, None]])
    warned = {(i.row, i.code) for i in report.warnings if i.layer == "projects"}
    assert (2, "STARTED_WITHOUT_DATE") in warned and (3, "DATE_STAGE_MISMATCH") in warned
    assert any("台账第 2 行" in i.message and "实际开工日期" in i.message for i in report.warnings)
    assert "无开工日期项目" in set(new.projects["name"])
