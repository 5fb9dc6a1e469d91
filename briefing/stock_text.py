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
from geo.vocab import STOCK_ACTION_LABELS, STOCK_CLASS_LABELS as C


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


def basis_citation(a) -> str:
    """A stock action's legal basis as the briefing cites it — '（依据《闲置土地处置办法》第十四条）' — without the
    plan's gloss after the colon; '' for other actions."""
    basis = (getattr(a, "basis", "") or "").split("：")[0]
    return f"（依据{basis}）" if basis and a.action in STOCK_ACTION_LABELS else ""


def _plan_text(f) -> str:
    """What the 用地保障方案 does with the stock land, in sum: parcels and 亩 by action, cost, the date all is done
    by, the projects placed (the actions one by one are in 五、意见建议); or that it has none."""
    t, p = f.totals, f.projects
    acts = stock_actions(f.plan)
    if not acts:
        return "本次用地保障方案未安排存量土地盘活措施。"
    kinds = "、".join(f"{label}{n}宗" for kind, label in STOCK_ACTION_LABELS.items()
                      if (n := sum(len(a.parcel_ids) for a in acts if a.action == kind)))
    dates = [d for d in (as_date(a.ready_by) for a in acts) if d]
    when = f"，{max(dates).year}年{max(dates).month}月前全部完成" if dates else ""
    places = list(dict.fromkeys(pid for a in acts for pid in a.places if pid in p.index))
    count = "" if len(places) > 3 else f"共{len(places)}个项目、"    # past three: 'A、B、C等7个项目'
    gain = (f"，可保障{join_names([str(p.at[pid, 'name']) for pid in places], limit=3)}落地（{count}"
            f"总投资{fmt_yi(t['stock_plan_places_investment_yi'])}亿元）" if places else "，可增加可供土地")
    return (f"经用地保障方案统筹测算，建议盘活其中{sum(len(a.parcel_ids) for a in acts)}宗、"
            f"{fmt_mu(t['stock_plan_area_mu'])}亩（{kinds}），估算费用{t['stock_plan_cost_wan']:,.0f}万元{when}{gain}，"
            "具体措施见“五、意见建议”。")


def stock_paragraph(f, ws) -> str | None:
    """The 存量土地情况 paragraph of ``Facts`` ``f`` (None without stock land): the figures, then the plan's stock
    actions when the briefing carries a plan, else what the law asks next."""
    if f.stock is None:
        return None
    t = f.totals
    text = _figures(t, pd.Timestamp(f.stock.as_of).date())
    if f.plan is not None:
        return text + _plan_text(f)
    if t["stock_idle_mu"] + t["stock_reclaimable_mu"] + t["stock_gov_delay_mu"] > 0:
        text += "建议依法征缴闲置费、收回满两年未动工土地，政府原因造成闲置的协商处置，盘活后优先保障待落地项目用地。"
    return text
