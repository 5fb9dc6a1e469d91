"""五、意见建议 from the 用地保障方案 (matching.plan): which 拆迁/平整/标准厂房 work to fund first, what it costs, when
it can be done and which projects it secures. Pure phrasing: every number comes from ``Facts`` (the plan result)."""
from __future__ import annotations

from briefing.document import Block, Figure, Paragraph, as_date, fmt_m2, fmt_yi, join_names
from briefing.facts import Facts, stock_actions, zone_name
from briefing.labels import action_label
from briefing.stock_text import basis_citation
from geo.units import fmt_mu
from geo.vocab import PLAN_LABELS
from geo.workspace import Workspace


def _when(ready_by) -> str:
    d = as_date(ready_by)
    return f"，{d.year}年{d.month}月前完成" if d else ""


def _action_text(f: Facts, ws: Workspace, a) -> str:
    """'完成冉家坝新能源产业园RJB-001-3、RJB-001-4共2宗地块（76.2亩）的拆迁，估算费用X万元，2027年3月前完成，
    可保障新能源材料生产项目（18亿元）落地。'"""
    p = f.projects
    places = [pid for pid in a.places if pid in p.index]
    secured = "、".join(f"{p.at[pid, 'name']}（{fmt_yi(p.at[pid, 'investment_yi'])}亿元）" for pid in places)
    gain = f"，可保障{secured}落地" if places else "，可增加可供土地"
    cost = f"估算费用{a.cost_wan:,.0f}万元{_when(a.ready_by)}"
    if a.factory_id:
        fac = ws.factories.loc[a.factory_id] if a.factory_id in ws.factories.index else None
        where = zone_name(ws, fac["zone_id"]) if fac is not None else ""
        space = f"，空置面积{fmt_m2(float(fac['vacant_m2']))}平方米" if fac is not None else ""
        return f"建成{where}标准厂房{a.factory_id}（{cost}{space}）{gain}。"
    statuses = list(ws.parcels["status"].reindex(a.parcel_ids).dropna())
    ids = a.parcel_ids
    which = join_names(ids, limit=4, unit="宗") + (f"共{len(ids)}宗" if 1 < len(ids) <= 4 else "")
    return (f"完成{zone_name(ws, a.zone_id)}{which}地块（{fmt_mu(a.area_mu)}亩）的{action_label(a.action, statuses)}"
            f"{basis_citation(a)}，{cost}{gain}。")


def plan_advice(f: Facts, ws: Workspace, lead: str) -> list[Block]:
    """The advice's first part when the briefing carries a plan: the budget, the work in order, the total."""
    t, plan = f.totals, f.plan
    budget = "在不限预算的情况下" if plan.budget_wan is None else f"按{plan.budget_wan:,.0f}万元预算测算"
    if not plan.actions:
        return [Paragraph(f"{budget}，现有在途土地和在建、规划厂房的清理、建设不能新增落地项目，需研究新增用地指标。",
                          lead=lead)]
    blocks: list[Block] = [Paragraph(
        f"{budget}，经统筹测算（拆迁、平整、{'存量土地盘活、' if stock_actions(plan) else ''}标准厂房建设与项目选址"
        "一并优化，并经重新匹配复核），建议优先实施以下"
        f"{t['plan_action_count']:.0f}项工作，估算费用合计{t['plan_cost_wan']:,.0f}万元，清理土地"
        f"{fmt_mu(t['plan_area_mu'])}亩，可新增落地项目{t['plan_added_count']:.0f}个、总投资"
        f"{fmt_yi(t['plan_added_investment_yi'])}亿元：", lead=lead)]
    for i, a in enumerate(plan.actions, 1):
        blocks.append(Paragraph(_action_text(f, ws, a), lead=f"{i}. ", lead_level=3))
    if plan.frontier:
        blocks.append(Paragraph("不同投入下可落地的投资见图3（每个拐点都是该预算下的最优方案，均经重新匹配复核）。"))
        blocks.append(Figure("frontier", f"图3  {PLAN_LABELS['figure']}"))
    blocks.append(Paragraph("费用为按配置单价的估算（拆迁按各县征收补偿标准、平整按高程数据测算的土方量），"
                            "实施前应按实际核定。建议列入县级重点工作，明确责任单位和完成时限，实行台账管理、销号推进。"))
    return blocks
