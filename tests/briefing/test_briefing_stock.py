"""一、基本情况's 存量土地情况 (issue 19): its figures are `geo.stock.stock_report`'s totals at the report's date
(批而未供, 闲置 and the fees, 可无偿收回, 低效用地), the Word file read back states them; with a 用地保障方案 the
sentence names the plan's stock actions (parcels, cost, date, the projects they place) and 五、意见建议 names the
work; a workspace without stock land has no such paragraph."""
from __future__ import annotations

import dataclasses
import io
import re

import docx
import pandas as pd
import pytest

import briefing
import matching
from briefing.content import build_document
from geo.stock import TOTAL_KEYS, stock_report
from geo.units import fmt_mu
from matching.plan_result import Plan, PlanAction
from tests.geo.test_stock import AS_OF, random_parcels
from tests.stock_county import stock_path  # noqa: F401 (the fixture)

LEAD = "存量土地情况。"


def _stock_paragraph(doc):
    found = [b for b in doc.sections[0].blocks if getattr(b, "lead", "").endswith(LEAD)]
    return found[0] if found else None


@pytest.fixture(scope="module")
def matched(stock_path, settings):  # noqa: F811
    _, ws = stock_path
    return ws, matching.match(ws, settings=settings, unlocks=False)


def test_figures_are_the_stock_report_totals_and_the_docx_states_them(matched, settings):
    ws, result = matched
    want = stock_report(ws, AS_OF, settings)
    b = briefing.build(ws, result, settings, as_of=AS_OF, figures=False)
    for k in (*TOTAL_KEYS, "fees_wan"):
        assert b.totals[f"stock_{k}"] == pytest.approx(want.totals[k])
    assert b.totals["stock_parcel_count"] == len(want.parcels)
    assert b.totals["stock_d_firm_count"] == (want.firms["grade"] == "D").sum() > 0
    para = _stock_paragraph(b.document)
    assert para is not None and para.lead == ("（四）" if b.document.facts.kpi is not None else "（三）") + LEAD
    # the Word file, read back: the figures as the report phrases them
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(b.to_docx_bytes())).paragraphs)
    body = next(line for line in text.splitlines() if LEAD in line)
    t = want.totals
    assert "截至2026年12月1日" in body
    assert f"共{len(want.parcels)}宗、{fmt_mu(want.parcels['area_mu'].sum())}亩" in body
    assert f"批而未供土地{fmt_mu(t['approved_unsupplied_mu'])}亩" in body
    assert f"闲置土地{fmt_mu(t['idle_mu'])}亩" in body
    assert f"可依法无偿收回的{fmt_mu(t['reclaimable_mu'])}亩" in body
    assert f"土地闲置费合计{t['fees_wan']:,.2f}万元" in body
    assert f"D档企业{(want.firms['grade'] == 'D').sum()}家，其用地中{fmt_mu(t['low_efficiency_mu'])}亩列为低效用地" \
        in body
    assert "建议依法征缴闲置费" in body          # no plan: what the law asks next


def test_with_a_plan_the_stock_actions_are_named_with_cost_date_and_projects(matched, settings):
    """The plan's stock actions (kinds of STOCK_ACTION_LABELS, as matching.plan reports them: parcel_ids, cost_wan,
    ready_by, places, basis) on the county's own reclaimable and idle parcels and unplaced projects."""
    ws, result = matched
    cls = stock_report(ws, AS_OF, settings).parcels.set_index("parcel_id")
    reclaim = cls.index[cls["stock_class"] == "reclaimable"][:2]
    idle = cls.index[cls["stock_class"] == "idle"][:1]
    waiting = [u.project_id for u in result.unplaced][:2] or list(ws.projects.index[:2])
    assert len(reclaim) == 2 and len(idle) == 1 and len(waiting) == 2
    basis = "《闲置土地处置办法》第十四条：满两年未动工的，无偿收回"     # as the plan writes it: citation, gloss
    acts = [PlanAction("reclaim", list(reclaim), None, cls.at[reclaim[0], "zone_id"],
                       float(cls.loc[reclaim, "area_mu"].sum()), 0.0, pd.Timestamp("2027-03-15"), [waiting[0]],
                       basis=basis),
            PlanAction("negotiate", list(idle), None, cls.at[idle[0], "zone_id"], float(cls.at[idle[0], "area_mu"]),
                       812.5, pd.Timestamp("2027-06-01"), [waiting[1]], basis=basis)]
    plan = Plan("optimal", 0.0, None, 812.5, acts, [], waiting, 0.0, 0.0, (), ())
    doc = build_document(ws, result, settings, as_of=AS_OF, plan=plan)
    t = doc.totals
    assert t["stock_plan_action_count"] == 2 and t["stock_plan_cost_wan"] == pytest.approx(812.5)
    assert t["stock_plan_places_count"] == 2
    yi = ws.projects["investment_yi"].reindex(waiting).sum()
    assert t["stock_plan_places_investment_yi"] == pytest.approx(yi)
    text = _stock_paragraph(doc).text
    names = ws.projects["name"]
    area = fmt_mu(sum(a.area_mu for a in acts))
    assert f"建议盘活其中3宗、{area}亩（无偿收回2宗、协议收回/置换1宗），估算费用812万元" in text   # 812.5 → 812
    assert "2027年6月前全部完成" in text                 # the later of the two dates
    assert f"可保障{names[waiting[0]]}、{names[waiting[1]]}落地（共2个项目、总投资" in text
    assert text.endswith("具体措施见“五、意见建议”。")
    # 五、意见建议 names the work by its Chinese name, not its code
    advice = " ".join((getattr(b, "lead", "") or "") + b.text for s in doc.sections if s.key == "advice"
                      for b in s.blocks if hasattr(b, "text"))
    assert "的无偿收回" in advice and "reclaim" not in advice
    # ... one by one there, each with its parcels, legal basis, cost, date and the project it places
    first, second = re.findall(r"完成[^。]*?地块（[^。]*?。", advice)[:2]
    assert all(pid in first for pid in reclaim) and "的无偿收回（依据《闲置土地处置办法》第十四条），" in first
    assert "估算费用0万元，2027年3月前完成" in first and names[waiting[0]] in first
    assert idle[0] in second and "的协议收回/置换（依据" in second and "估算费用812万元" in second
    assert "2027年6月前完成" in second and names[waiting[1]] in second
    assert "按方案分步推进拆迁、平整、存量土地盘活和标准厂房建设" in advice
    assert "存量土地盘活、标准厂房建设与项目选址" in advice


def test_a_plan_without_stock_actions_says_so(matched, settings):
    ws, result = matched
    plan = Plan("optimal", 0.0, None, 0.0, [], [], [], 0.0, 0.0, (), ())
    text = _stock_paragraph(build_document(ws, result, settings, as_of=AS_OF, plan=plan)).text
    assert text.endswith("本次用地保障方案未安排存量土地盘活措施。")


def without_stock(ws):
    """``ws`` with every stock field of its parcels blank and no firms (a county whose ledgers carry none)."""
    blank = {c: (pd.NaT if pd.api.types.is_datetime64_any_dtype(v) else float("nan"))
             for c, v in random_parcels(1, 0).drop(columns="status").items()}
    plain = ws.with_layers(parcels=ws.parcels.drop(columns=["area_mu", "net_mu"]).assign(**blank),
                           firms=ws.firms.iloc[0:0])
    return dataclasses.replace(plain, path=None)


def test_no_stock_land_no_paragraph(sample_ws, settings):
    plain = without_stock(sample_ws)
    result = matching.match(plain, settings=settings, unlocks=False)
    doc = build_document(plain, result, settings, as_of=AS_OF)
    assert _stock_paragraph(doc) is None and "stock_idle_mu" not in doc.totals


def test_the_plans_own_stock_actions_on_the_sample_county(sample_ws, settings):
    """matching.plan on the sample county with its other land held back (no free or pipeline land, no factories):
    the plan funds stock actions, and the paragraph names each — its parcels, cost, date and the projects placed —
    with the totals summed from the plan."""
    from formats.dem import with_steep_land, workspace_dem
    from geo.vocab import STOCK_ACTION_LABELS
    from seeds.sample_data import STOCK_AS_OF
    p = sample_ws.parcels.copy()
    p.loc[p["status"].isin(["available", "leveling", "demolition"]), "status"] = "reserved"
    p["ready_date"] = None
    ws = sample_ws.with_layers(parcels=p.drop(columns=["area_mu", "net_mu"]),
                               factories=sample_ws.factories.iloc[0:0])
    ws = with_steep_land(ws, settings.terrain.max_slope_pct)
    as_of = pd.Timestamp(STOCK_AS_OF).date()
    plan = matching.plan(ws, settings=settings, as_of=as_of, dem=workspace_dem(ws))
    acts = [a for a in plan.actions if a.action in STOCK_ACTION_LABELS]
    assert acts and all(a.places for a in acts)
    result = matching.match(ws, settings=settings, unlocks=False)
    doc = build_document(ws, result, settings, as_of=as_of, plan=plan)
    text = _stock_paragraph(doc).text
    names = ws.projects["name"]
    count = {k: sum(len(a.parcel_ids) for a in acts if a.action == k) for k in STOCK_ACTION_LABELS}
    kinds = "、".join(f"{label}{count[k]}宗" for k, label in STOCK_ACTION_LABELS.items() if count[k])
    assert f"建议盘活其中{sum(count.values())}宗、{fmt_mu(sum(a.area_mu for a in acts))}亩（{kinds}）" in text
    assert f"估算费用{sum(a.cost_wan for a in acts):,.0f}万元" in text
    last = max(a.ready_by for a in acts)
    assert f"{last.year}年{last.month}月前全部完成" in text
    placed = list(dict.fromkeys(pid for a in acts for pid in a.places))
    shown = [names[pid] for pid in placed]
    assert ("、".join(shown[:3]) + (f"等{len(shown)}个项目" if len(shown) > 3 else "") + "落地") in text
    # 五、意见建议: each action with its parcels, basis, cost, date and the projects it places
    advice = " ".join(b.text for s in doc.sections if s.key == "advice" for b in s.blocks if hasattr(b, "text"))
    for a in acts:
        item = next(x for x in re.findall(r"完成[^。]*?。", advice) if all(pid in x for pid in a.parcel_ids))
        assert f"的{STOCK_ACTION_LABELS[a.action]}（依据" in item and f"估算费用{a.cost_wan:,.0f}万元" in item
        assert f"{a.ready_by.year}年{a.ready_by.month}月前完成" in item
        assert all(names[pid] in item for pid in a.places)
    t = doc.totals
    assert t["stock_plan_cost_wan"] == pytest.approx(sum(a.cost_wan for a in acts))
    assert t["stock_plan_places_count"] == len({pid for a in acts for pid in a.places})
