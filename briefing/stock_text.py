"""一、基本情况's 存量土地情况 (issue 19): 批而未供, 闲置 (亩 and the 土地闲置费 due), land reclaimable without
compensation, the land of D-grade firms (低效用地) — the figures of ``geo.stock.stock_report`` at the report's date —
and, when the briefing carries a 用地保障方案, which waiting projects its stock actions (无偿收回, 协议收回/置换,
低效用地再开发) would place, at what cost and by when. Pure phrasing: the numbers are computed once in
``briefing.facts`` (``stock_totals``, into ``Facts.totals``)."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from briefing.document import as_date, fmt_date, fmt_yi, join_names
from briefing.facts import stock_actions
from geo.units import fmt_mu
from geo.vocab import STOCK_ACTION_LABELS, STOCK_CLASS_LABELS as C, UNZONED_LABEL


def _figures(t: dict, as_of: dt.date) -> str:
    """The classes' 亩: 批而未供, 闲置 and 可收回 with the fees, 低效 always; the others when there are any."""
    def part(key: str, text: str) -> str:
        return text if round(t[f"stock_{key}_mu"], 1) > 0 else ""
    supplied = [p for p in (
        part("due_soon", f"{C['due_soon']}日期的{fmt_mu(t['stock_due_soon_mu'])}亩"),
        part("overdue", f"已过约定动工日期、未满一年的{fmt_mu(t['stock_overdue_mu'])}亩"),
        f"{C['idle']}土地{fmt_mu(t['stock_idle_mu'])}亩（闲置满一年、未满两年）",
        f"闲置满两年、可依法无偿收回的{fmt_mu(t['stock_reclaimable_mu'])}亩",
        part("gov_delay", f"因政府原因造成闲置的{fmt_mu(t['stock_gov_delay_mu'])}亩"),
        part("completion_overdue", f"{C['completion_overdue']}的{fmt_mu(t['stock_completion_overdue_mu'])}亩"))
        if p]
    firms = (f"亩均效益评价D档企业{t['stock_d_firm_count']:.0f}家，其用地中{fmt_mu(t['stock_low_efficiency_mu'])}"
             "亩列为低效用地" if t["stock_firm_count"] else
             f"{C['low_efficiency']}{fmt_mu(t['stock_low_efficiency_mu'])}亩（尚未开展亩均效益评价）")
    return (f"截至{fmt_date(as_of)}，全县纳入监测的存量土地共{t['stock_parcel_count']:.0f}宗、{fmt_mu(t['stock_mu'])}"
            f"亩。其中，{C['approved_unsupplied']}土地{fmt_mu(t['stock_approved_unsupplied_mu'])}亩；已供土地中，"
            f"{'，'.join(supplied)}，依照《闲置土地处置办法》应征缴土地闲置费合计{t['stock_fees_wan']:,.2f}万元；"
            f"{firms}。")


def _action_text(f, ws, a) -> str:
    """'对冉家坝新能源产业园RJB-007地块（32.0亩）实施无偿收回（依据《闲置土地处置办法》第十四条），估算费用0万元，
    2027年3月前完成，可保障新能源材料生产项目（18亿元）落地'."""
    p = f.projects
    zone = str(ws.zones["name"].get(a.zone_id, a.zone_id)) if isinstance(a.zone_id, str) else UNZONED_LABEL
    ids = join_names(a.parcel_ids, limit=4, unit="宗")
    basis = (getattr(a, "basis", "") or "").split("：")[0]      # the citation, without the plan's gloss
    when = as_date(a.ready_by)
    places = [pid for pid in a.places if pid in p.index]
    secured = "、".join(f"{p.at[pid, 'name']}（{fmt_yi(p.at[pid, 'investment_yi'])}亿元）" for pid in places)
    return (f"对{zone}{ids}地块（{fmt_mu(a.area_mu)}亩）实施{STOCK_ACTION_LABELS[a.action]}"
            + (f"（依据{basis}）" if basis else "") + f"，估算费用{a.cost_wan:,.0f}万元"
            + (f"，{when.year}年{when.month}月前完成" if when else "")
            + (f"，可保障{secured}落地" if places else "，可增加可供土地"))


def _plan_text(f, ws) -> str:
    """What the 用地保障方案 does with the stock land: its stock actions with cost, date and projects, and the
    total; or that it has none."""
    t = f.totals
    acts = stock_actions(f.plan)
    if not acts:
        return "本次用地保障方案未安排存量土地盘活措施。"
    items = "；".join(f"{i}.{_action_text(f, ws, a)}" for i, a in enumerate(acts, 1))
    return (f"经用地保障方案统筹测算，建议实施存量土地盘活措施{len(acts)}项：{items}。以上合计盘活土地"
            f"{fmt_mu(t['stock_plan_area_mu'])}亩，估算费用{t['stock_plan_cost_wan']:,.0f}万元，可保障待落地项目"
            f"{t['stock_plan_places_count']:.0f}个、总投资{fmt_yi(t['stock_plan_places_investment_yi'])}亿元落地。")


def stock_paragraph(f, ws) -> str | None:
    """The 存量土地情况 paragraph of ``Facts`` ``f`` (None without stock land): the figures, then the plan's stock
    actions when the briefing carries a plan, else what the law asks next."""
    if f.stock is None:
        return None
    t = f.totals
    text = _figures(t, pd.Timestamp(f.stock.as_of).date())
    if f.plan is not None:
        return text + _plan_text(f, ws)
    if t["stock_idle_mu"] + t["stock_reclaimable_mu"] + t["stock_gov_delay_mu"] > 0:
        text += "建议依法征缴闲置费、收回满两年未动工土地，政府原因造成闲置的协商处置，盘活后优先保障待落地项目用地。"
    return text
