"""缺口分析 → 用地保障方案 in AppTest: the figures and actions shown are matching.plan's at the slider's budget."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from formats.dem import workspace_dem
from geo.vocab import PLAN_LABELS as L

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def gap_page(sample_path, monkeypatch):
    monkeypatch.setenv("LANDGAP_WORKSPACE", str(sample_path))
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/gap_page.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any(s.key == "plan_budget" for s in at.slider)          # not solved until asked for
    at.toggle(key="plan_on").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _shown(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _actions_table(at):
    return next((d.value for d in at.dataframe if L["cost_wan"] in d.value.columns and L["target"] in d.value.columns),
                None)


def test_the_plan_at_the_sliders_budget_is_the_engines(gap_page, sample_ws, settings):
    from matching.plan import Planner
    at = gap_page
    assert any(h.value == L["title"] for h in at.subheader)
    planner = Planner(sample_ws, settings, dem=workspace_dem(sample_ws))
    for budget in (0.0, float(at.slider(key="plan_budget").max)):
        at.slider(key="plan_budget").set_value(budget).run()
        assert not at.exception, [e.value for e in at.exception]
        want = planner.plan(budget)
        shown = _shown(at)
        assert shown[L["cost_wan"]] == f"{want.cost_wan:,.1f}"
        assert shown[L["placed_count"]] == str(want.placed_count)
        table = _actions_table(at)
        if want.actions:
            assert sorted(table[L["target"]]) == sorted("、".join(a.parcel_ids) or a.factory_id for a in want.actions)
            assert table[L["cost_wan"]].sum() == pytest.approx(want.cost_wan, abs=0.05)
        else:
            assert table is None
    assert want.actions and want.placed_count > planner.plan(0.0).placed_count    # funding everything places more
