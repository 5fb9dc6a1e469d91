"""五、意见建议 built from the 用地保障方案: the work, its cost, date and the projects it secures are the plan's."""
from __future__ import annotations

import datetime as dt
import re

import pytest

import briefing
import matching
from formats.dem import workspace_dem
from geo.units import fmt_mu


@pytest.fixture(scope="module")
def planned(sample_ws, settings):
    result = matching.match(sample_ws, settings=settings)
    plan = matching.plan(sample_ws, settings=settings, budget_wan=3000.0, dem=workspace_dem(sample_ws))
    b = briefing.build(sample_ws, result, settings, as_of=dt.date(2026, 12, 1), figures=False, plan=plan)
    md = b.to_markdown()
    return plan, b, md[md.index("五、意见建议"):md.index("特此报告")]


def test_advice_lists_every_action_of_the_plan_with_its_numbers(planned, sample_ws):
    plan, b, advice = planned
    assert plan.actions, "the sample county has work worth funding at 3000 万元"
    items = re.findall(r"\*\*(\d+)\. \*\*完成(.*?)。", advice)
    assert len(items) == len(plan.actions)
    for (_, text), a in zip(items, plan.actions):
        assert all(pid in text for pid in a.parcel_ids[:4])
        assert f"（{fmt_mu(a.area_mu)}亩）" in text and f"估算费用{a.cost_wan:,.0f}万元" in text
        for pid in a.places:
            assert sample_ws.projects.at[pid, "name"] in text
    assert f"估算费用合计{plan.cost_wan:,.0f}万元" in advice and "按3,000万元预算测算" in advice
    assert b.totals["plan_added_count"] == len(plan.placed_added)
    added_yi = sample_ws.projects["investment_yi"].reindex(plan.placed_added).fillna(0).sum()
    assert b.totals["plan_added_investment_yi"] == pytest.approx(added_yi)


def test_projects_the_plan_secures_are_not_called_hopeless(planned, sample_ws):
    plan, _, advice = planned
    rest = advice[advice.index("分类施策"):] if "分类施策" in advice else ""
    for pid in plan.placed_added:
        assert sample_ws.projects.at[pid, "name"] not in rest


def test_cli_brief_takes_the_plan_budget(tmp_path, capsys):
    import cli
    out = tmp_path / "b.docx"
    assert cli.main(["brief", "--out", str(out), "--budget-wan", "0", "--json"]) == 0
    import json
    totals = json.loads(capsys.readouterr().out)["totals"]
    assert totals["plan_cost_wan"] == 0 and totals["plan_added_count"] == 0
    assert cli.main(["brief", "--out", str(out), "--budget-wan", "-5"]) == 1
    assert "预算必须是非负数" in capsys.readouterr().err


def test_the_frontier_figure_is_drawn_from_the_plans_breakpoints(sample_ws, settings, tmp_path):
    from PIL import Image
    result = matching.match(sample_ws, settings=settings)
    plan = matching.plan(sample_ws, settings=settings, budget_wan=3000.0, dem=workspace_dem(sample_ws), frontier=True)
    assert plan.frontier and [p.cost_wan for p in plan.frontier] == sorted(p.cost_wan for p in plan.frontier)
    b = briefing.build(sample_ws, result, settings, as_of=dt.date(2026, 12, 1), plan=plan)
    assert set(b.figures) == {"map", "supply_demand", "frontier"}
    png = tmp_path / "f.png"
    png.write_bytes(b.figures["frontier"])
    with Image.open(png) as im:
        assert im.width > 400 and im.height > 100
    assert "图3" in b.to_markdown()
    docx = b.to_docx(tmp_path / "b.docx")
    import zipfile
    assert sum(n.startswith("word/media/") for n in zipfile.ZipFile(docx).namelist()) == 3
