"""Streamlit AppTest: every page runs on the sample county, and its key numbers equal the engine's answers."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.supply import available_report
from geo.units import fmt_mu

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def app(sample_path, monkeypatch):
    monkeypatch.setenv("LANDGAP_WORKSPACE", str(sample_path))
    monkeypatch.delenv("LANDGAP_TIANDITU_KEY", raising=False)
    return AppTest.from_file(APP, default_timeout=120)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_map_page_headline_equals_available_report(app, sample_ws):
    at = app.run()
    ok(at)
    report = available_report(sample_ws)
    shown = metrics(at)
    assert shown["可供地（亩）"] == fmt_mu(report["total_available_mu"])
    assert shown["在途：待平整/待拆迁（亩）"] == fmt_mu(sum(z["pipeline_mu"] for z in report["zones"]))
    assert shown["最大连片（亩）"] == fmt_mu(max(z["largest_block_mu"] for z in report["zones"]))
    assert shown["空置标准厂房（m²）"] == f"{sum(z['vacant_factory_m2'] for z in report['zones']):,.0f}"


def test_sidebar_filters_follow_cli_semantics_and_survive_page_switch(app, sample_ws):
    at = app.run()
    zone = sample_ws.zones.index[2]
    at.selectbox(key="_flt_zone").set_value(zone)
    at.number_input(key="_flt_min_mu").set_value(50.0)
    at.run()
    ok(at)
    report = available_report(sample_ws, zone=zone, min_mu=50.0)
    assert metrics(at)["可供地（亩）"] == fmt_mu(report["total_available_mu"])
    assert report["total_available_mu"] != available_report(sample_ws)["total_available_mu"]  # the filter matters
    at.switch_page("pages/data_page.py").run()
    at.switch_page("pages/map_page.py").run()
    assert at.selectbox(key="_flt_zone").value == zone
    assert metrics(at)["可供地（亩）"] == fmt_mu(report["total_available_mu"])


def test_gap_page_totals_equal_match(app, sample_ws):
    import matching
    at = app.run()
    at.switch_page("pages/gap_page.py").run()
    ok(at)
    result = matching.match(sample_ws).to_dict()
    county = next(z for z in result["zones"] if z.get("total"))
    shown = metrics(at)
    assert shown["待安排项目（个）"] == str(county["pending_count"])
    assert shown["有项目、无选址（个）"] == str(county["unplaced_count"]) == str(len(result["unplaced"]))
    assert shown["无选址用地需求（亩）"] == fmt_mu(county["unplaced_mu"])
    assert county["unplaced_count"] > 0                      # the sample county has a gap to show
    unplaced = next(df.value for df in at.dataframe if "原因" in df.value.columns)
    assert sorted(unplaced["项目编号"]) == sorted(u["project_id"] for u in result["unplaced"])
    assert unplaced["原因"].str.len().min() > 0


def test_gap_page_compares_two_scenarios(app):
    at = app.run()
    at.switch_page("pages/gap_page.py").run()
    at.toggle(key="compare_on").set_value(True).run()
    at.checkbox(key="sb_no_planned").check().run()
    ok(at)
    assert any(m.value.startswith("**B：") and "不计规划" in m.value for m in at.markdown)
    assert any(m.value.startswith("B 比 A 多安排") for m in at.markdown)


def test_fit_page_reports_reason_then_fit_and_saves_prospect(app, sample_ws):
    at = app.run()
    at.switch_page("pages/fit_page.py").run()
    ok(at)
    at.number_input(key="fit_amount").set_value(5000.0)
    at.button(key="fit_submit").click().run()
    assert not at.exception
    assert at.error and "暂无合适选址" in at.error[0].value and "缺口" in at.error[0].value
    at.number_input(key="fit_amount").set_value(30.0)
    at.button(key="fit_submit").click().run()
    ok(at)
    assert at.success and "可以安排" in at.success[0].value
    assert any("候选" in str(df.value.columns.tolist()) or "序号" in df.value.columns for df in at.dataframe)
    at.button(key="fit_save").click().run()
    at.switch_page("pages/data_page.py").run()
    assert metrics(at)["招商项目"] == str(len(sample_ws.projects) + 1)


def test_data_and_briefing_pages_run(app, sample_ws):
    at = app.run()
    at.switch_page("pages/data_page.py").run()
    ok(at)
    assert metrics(at)["地块"] == str(len(sample_ws.parcels))
    assert any(df.value.shape[0] == len(sample_ws.projects) for df in at.dataframe) or at.get("arrow_data_frame")
    at.switch_page("pages/briefing_page.py").run()
    assert not at.exception, [e.value for e in at.exception]
