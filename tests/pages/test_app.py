"""Streamlit AppTest: every page runs on the sample county, and its key numbers equal the engine's answers."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.settings import load_settings
from geo.supply import available_report
from geo.units import fmt_mu
from geo.vocab import FIELD_LABELS as F, GAP_ZONE_LABELS as G

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def app(sample_path, monkeypatch):
    monkeypatch.setenv("LANDGAP_WORKSPACE", str(sample_path))
    monkeypatch.delenv("LANDGAP_TIANDITU_KEY", raising=False)
    return AppTest.from_file(APP, default_timeout=120)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def metric_rows(at, first_label: str = G["pending_count"]) -> list[dict[str, str]]:
    """The metrics in page order, split into groups that each start at ``first_label`` (scenario A, then B)."""
    groups: list[dict[str, str]] = []
    for m in at.metric:
        if m.label == first_label or not groups:
            groups.append({})
        groups[-1][m.label] = m.value
    return [g for g in groups if first_label in g]


def ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_map_page_headline_equals_available_report(app, sample_ws):
    at = app.run()
    ok(at)
    report = available_report(sample_ws, settings=SETTINGS)
    shown = metrics(at)
    assert shown[F["available_mu"]] == fmt_mu(report.total_available_mu)
    assert shown[F["pipeline_mu"]] == fmt_mu(sum(z.pipeline_mu for z in report.zones))
    assert shown[F["largest_block_mu"]] == fmt_mu(max(z.largest_block_mu for z in report.zones))
    assert shown[F["vacant_factory_m2"]] == f"{sum(z.vacant_factory_m2 for z in report.zones):,.0f}"
    # the sample county has constraint layers: gross beside net, and what they take (the difference)
    gross = sum(z.gross_available_mu for z in report.zones)
    taken = sum(z.constrained_mu for z in report.zones)
    assert taken > 0 and shown[F["gross_available_mu"]] == fmt_mu(gross)
    assert shown[F["constrained_mu"]] == fmt_mu(taken)
    assert report.total_available_mu < gross


def test_sidebar_filters_follow_cli_semantics_and_survive_page_switch(app, sample_ws):
    at = app.run()
    zone = sample_ws.zones.index[2]
    at.selectbox(key="_flt_zone").set_value(zone)
    at.number_input(key="_flt_min_mu").set_value(50.0)
    at.run()
    ok(at)
    report = available_report(sample_ws, zone=zone, min_mu=50.0, settings=SETTINGS)
    assert metrics(at)[F["available_mu"]] == fmt_mu(report.total_available_mu)
    # the filter matters
    assert report.total_available_mu != available_report(sample_ws, settings=SETTINGS).total_available_mu
    at.switch_page("pages/data_page.py").run()
    at.switch_page("pages/map_page.py").run()
    assert at.selectbox(key="_flt_zone").value == zone
    assert metrics(at)[F["available_mu"]] == fmt_mu(report.total_available_mu)


def test_gap_page_totals_equal_match(app, sample_ws):
    import matching
    at = app.run()
    at.switch_page("pages/gap_page.py").run()
    ok(at)
    result = matching.match(sample_ws, settings=SETTINGS).to_dict()
    county = next(z for z in result["zones"] if z.get("total"))
    shown = metrics(at)
    assert shown[G["pending_count"]] == str(county["pending_count"])
    assert shown[G["unplaced_count"]] == str(county["unplaced_count"]) == str(len(result["unplaced"]))
    assert shown[G["unplaced_mu"]] == fmt_mu(county["unplaced_mu"])
    assert county["unplaced_count"] > 0                      # the sample county has a gap to show
    unplaced = next(df.value for df in at.dataframe if "原因" in df.value.columns)
    assert sorted(unplaced["项目编号"]) == sorted(u["project_id"] for u in result["unplaced"])
    assert unplaced["原因"].str.len().min() > 0


def test_gap_page_totals_equal_an_independent_count_of_the_workspace(app, sample_ws):
    """The headline is checked against the workspace itself, not against the engine's own county row: every project
    of the ledger is pending, its 亩 is the ledger's land need, placed + unplaced = all."""
    import matching
    at = app.run()
    at.switch_page("pages/gap_page.py").run()
    ok(at)
    prj = sample_ws.projects
    result = matching.match(sample_ws, settings=SETTINGS)
    unplaced_ids = {u.project_id for u in result.unplaced}
    placed_ids = {p.project_id for p in result.placed}
    assert placed_ids | unplaced_ids == set(prj.index) and not placed_ids & unplaced_ids
    shown = metrics(at)
    assert shown[G["pending_count"]] == str(len(prj))
    assert shown[G["pending_mu"]] == fmt_mu(prj["land_mu"].fillna(0).sum())
    assert shown[G["placed_count"]] == str(len(placed_ids))
    assert shown[G["unplaced_count"]] == str(len(unplaced_ids))
    assert shown[G["unplaced_mu"]] == fmt_mu(prj.loc[sorted(unplaced_ids), "land_mu"].fillna(0).sum())
    assert 0 < len(unplaced_ids) < len(prj)                  # neither all nor none: the numbers can tell apart
    gap_table = next(df.value for df in at.dataframe if "原因" in df.value.columns)
    assert len(gap_table) == len(unplaced_ids)


def test_gap_headline_counts_every_pending_project_when_one_has_no_park(tmp_path, monkeypatch):
    """A pending project without a preferred park that cannot be placed: the engine adds a 未定园区 row; the headline
    must still count the whole county (2 projects), not that row (1)."""
    from stores.gpkg_file import save_workspace
    from tests.matching.test_matching_support import make_ws
    ws = make_ws([("A", "纺织鞋服", [(("mu", 30), "available", None)])],
                 [{"project_id": "P-A", "industry": "纺织鞋服", "land_mu": 20, "preferred_zone": "A"},
                  {"project_id": "P-LOOSE", "industry": "纺织鞋服", "land_mu": 500}])
    path = save_workspace(ws, tmp_path / "loose.gpkg")
    monkeypatch.setenv("LANDGAP_WORKSPACE", str(path))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/gap_page.py").run()
    ok(at)
    shown = metrics(at)
    assert shown[G["unplaced_count"]] == "1"
    assert shown[G["pending_count"]] == "2"
    assert shown[G["pending_mu"]] == fmt_mu(520)


def test_gap_page_compares_two_scenarios(app, sample_ws):
    """Scenario B (as of a year on: leveling and demolition done by then count) on the page shows the numbers
    `match` gives for B run on its own, and the stated difference is B's placed count minus A's."""
    import matching
    at = app.run()
    at.switch_page("pages/gap_page.py").run()
    at.toggle(key="compare_on").set_value(True).run()
    at.checkbox(key="sb_use_date").check().run()
    ok(at)
    as_of = at.date_input(key="sb_as_of").value
    res_a = matching.match(sample_ws, matching.Scenario(), settings=SETTINGS)
    res_b = matching.match(sample_ws, matching.Scenario(as_of=as_of), settings=SETTINGS)
    assert len(res_b.placed) != len(res_a.placed)            # the scenario changes something the test can see
    shown_a, shown_b = metric_rows(at)
    for shown, res in ((shown_a, res_a), (shown_b, res_b)):
        assert shown[G["placed_count"]] == str(len(res.placed))
        assert shown[G["unplaced_count"]] == str(len(res.unplaced))
        assert shown[G["unplaced_mu"]] == fmt_mu(sum(u.need_mu or 0 for u in res.unplaced))
    assert any(m.value.startswith("**B：") and f"截至 {as_of}" in m.value for m in at.markdown)
    change = len(res_b.placed) - len(res_a.placed)
    assert any(m.value == f"B 比 A 多安排 **{change}** 个项目。" for m in at.markdown), [m.value for m in at.markdown]
    newly = {p.project_id for p in res_b.placed} - {p.project_id for p in res_a.placed}
    lost = {p.project_id for p in res_a.placed} - {p.project_id for p in res_b.placed}
    ids = [set(df.value["项目编号"]) for df in at.dataframe if list(df.value.columns) == ["项目编号"]]
    assert ids == [s for s in (newly, lost) if s]            # 新增安排, then 不再能安排 (empty tables not shown)


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
    assert metrics(at)["招商项目"] == str(len(sample_ws.projects))
    editor = next(el for el in at.dataframe if el.proto.editing_mode)             # the project editor
    frame = editor.value
    assert list(frame["project_id"]) == list(sample_ws.projects["project_id"])
    assert len(frame) == len(sample_ws.projects)
    at.switch_page("pages/briefing_page.py").run()
    assert not at.exception, [e.value for e in at.exception]


def test_data_page_tables_show_empty_cells_as_empty(app, sample_ws):
    """Missing values (a project without a park, a floor-only project's 亩) are blank, not the grid's "None"."""
    at = app.run()
    at.switch_page("pages/data_page.py").run()
    ok(at)
    grids = list(at.dataframe)
    editor = next(el for el in grids if el.proto.editing_mode)
    assert editor.value.isna().any().any()                    # the sample has empty cells to show
    assert all(el.proto.HasField("placeholder") and el.proto.placeholder == "" for el in grids), \
        [(el.proto.HasField("placeholder"), el.proto.placeholder) for el in grids]


def test_missing_map_assets_are_named_on_the_page(sample_path, monkeypatch, tmp_path):
    """`streamlit run app.py` before set-up: the page says in Chinese which command installs the map's files."""
    monkeypatch.setenv("LANDGAP_WORKSPACE", str(sample_path))
    monkeypatch.setenv("LANDGAP_VENDOR_DIR", str(tmp_path))          # an empty folder: nothing installed
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(e.value for e in at.error)
    assert "地图" in text and "python3 run.py setup" in text and "python -m layers.assets" in text, text
    assert at.title and at.title[0].value == "用地一张图"             # the rest of the page still works


def test_installed_map_assets_raise_no_warning(app):
    at = app.run()
    ok(at)
    assert not any("layers.assets" in e.value for e in at.error)


def test_data_page_shows_the_firms_and_the_parcels_stock_fields(app, sample_ws):
    """Issue 19: the 亩均效益台账 and the parcels' contract fields are visible to a planner (read-only)."""
    from geo.vocab import FIRM_FIELD_LABELS, PARCEL_FIELD_LABELS, STOCK_DATA_TEXTS
    at = app.run()
    at.switch_page("pages/data_page.py").run()
    ok(at)
    assert metrics(at)[STOCK_DATA_TEXTS["firms_metric"]] == str(len(sample_ws.firms))
    grids = [el.value for el in at.dataframe if not el.proto.editing_mode]
    firms = next(g for g in grids if FIRM_FIELD_LABELS["tax_wan"] in g.columns)
    assert list(firms[FIRM_FIELD_LABELS["firm_id"]]) == list(sample_ws.firms["firm_id"])
    stock = next(g for g in grids if PARCEL_FIELD_LABELS["agreed_start"] in g.columns)
    p = sample_ws.parcels
    recorded = p[["holder", "supplied_date", "agreed_start", "approved_date", "price_wan"]].notna().any(axis=1)
    assert len(stock) == int(recorded.sum())
    row = stock.set_index(PARCEL_FIELD_LABELS["parcel_id"]).loc["RJB-005-9"]
    assert row[PARCEL_FIELD_LABELS["agreed_start"]] == "2022-09-15"
