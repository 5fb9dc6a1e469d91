"""缺口分析 → 用地保障方案: which 拆迁/平整/标准厂房 work to fund within a budget (matching.plan), the budget
frontier as a chart, the plan's parcels on the map, its actions as a table and an Excel download. UI only."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from formats.dem import workspace_dem
from geo.units import fmt_mu
from geo.vocab import PLAN_LABELS as L
from geo.workspace import Workspace
from layers import tables
from pages import common
from pages.context import derived, settings


@st.cache_resource(show_spinner="正在求解用地保障方案……", max_entries=16)
def _plan(_ws, ws_key: str, budget_wan: float | None, as_of):
    from matching.plan import Planner
    return Planner(_ws, settings(), as_of=as_of, dem=workspace_dem(_ws), cache=derived()).plan(budget_wan)


@st.cache_resource(show_spinner="正在计算预算—效果曲线……", max_entries=4)
def _frontier(_ws, ws_key: str, as_of):
    from matching.plan import Planner
    return Planner(_ws, settings(), as_of=as_of, dem=workspace_dem(_ws), cache=derived()).frontier()


def _budget_range(ws: Workspace, key: str, as_of) -> float:
    """The cost of everything the plan could fund (the slider's top)."""
    return float(round(_plan(ws, key, None, as_of).cost_wan + 0.5))


def current(ws: Workspace, key: str, as_of):
    """The plan at the budget the slider holds (its default before the first run): computed before the map is
    drawn, so the map can outline its parcels. None when the section is closed or nothing could be funded."""
    if not st.session_state.get("plan_on"):
        return None
    top = _budget_range(ws, key, as_of)
    if top <= 0:
        return None
    budget = float(st.session_state.get("plan_budget", round(top / 2)))
    return _plan(ws, key, min(budget, top), as_of)


def parcels(ws: Workspace, plan):
    """The plan's parcels in the metric CRS (for the map)."""
    ids = [p for a in plan.actions for p in a.parcel_ids if p in ws.parcels.index]
    return ws.metric("parcels").loc[ids]


def render(ws: Workspace, key: str, as_of) -> None:
    """The section: budget slider, the plan's figures and actions, the frontier on demand, the Excel download."""
    st.subheader(L["title"])
    # opened on demand: on a county-wide workspace the plan's MILPs take seconds to minutes
    if not st.toggle("求解用地保障方案（在预算内选择拆迁、平整和标准厂房建设措施）", key="plan_on"):
        return
    top = _budget_range(ws, key, as_of)
    if top <= 0:
        st.write("无需新增措施：没有待平整、待拆迁地块或在建、规划厂房可以安排。")
        return
    budget = st.slider(L["budget_wan"], 0.0, top, float(min(top, round(top / 2))),
                       step=float(max(1, round(top / 200))),
                       key="plan_budget", help="在此预算内选择拆迁、平整和标准厂房建设措施，使落地项目的优先级合计最大"
                                              "（相同时投资最多、费用最省）；每个方案都经重新匹配复核")
    plan = _plan(ws, key, float(budget), as_of)
    c = st.columns(4)
    c[0].metric(L["cost_wan"], f"{plan.cost_wan:,.1f}")
    c[1].metric(L["placed_count"], plan.placed_count)
    c[2].metric(L["placed_investment_yi"], f"{plan.placed_investment_yi:,.2f}")
    c[3].metric(L["cleared_mu"], fmt_mu(plan.area_mu))
    status = "最优" if plan.status == "optimal" else f"可行解（距最优不超过 {plan.gap:.2%}）"
    added = "、".join(plan.placed_added) or "无"
    st.caption(f"求解状态：{status}；{L['placed_added']}：{added}；"
               f"与 `python cli.py plan --budget-wan {budget:g}` 一致。")
    if plan.verification is not None and not plan.verification.exact:
        st.warning("按方案重新匹配的结果与方案不完全一致（方案中有而匹配中无："
                   f"{'、'.join(plan.verification.claimed_only) or '无'}），以重新匹配的结果为准。")
    actions = tables.plan_table(ws, plan)
    if actions.empty:
        st.write("该预算内没有可带来新增落地项目的措施。")
    else:
        common.grid(actions)
    if st.toggle("显示预算—效果曲线（逐个预算拐点求解，需数秒）", key="plan_frontier_on"):
        points = _frontier(ws, key, as_of)
        frontier = tables.frontier_table(points)
        chart = pd.DataFrame({L["placed_investment_yi"]: [p.placed_investment_yi for p in points]},
                             index=pd.Index([p.cost_wan for p in points], name=L["cost_wan"]))
        st.line_chart(chart, x_label=L["cost_wan"], y_label=L["placed_investment_yi"])
        common.grid(frontier)
    else:
        frontier = None
    common.excel_download("下载用地保障方案（Excel）", {L["title"]: actions, **(
        {L["frontier"]: frontier} if frontier is not None else {})}, L["title"])
