"""招商考核 beside the land: the cohort's indicators (geo.kpi) with the match's placement of its not-started projects,
and the briefing's sentence bridging the bureau's figures to the land gap. Used by ``cli.py kpi``, the 招商考核 page
and 一、基本情况 of the briefing."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from geo.kpi import KpiReport, kpi_report
from geo.settings import KpiSettings
from geo.units import fmt_mu
from matching.model import MatchResult


def placement(result: MatchResult) -> tuple[frozenset[str], dict[str, str]]:
    """The project ids a match places and the reason code of each it does not."""
    return frozenset(p.project_id for p in result.placed), {u.project_id: u.reason for u in result.unplaced}


def kpi_from_match(projects: pd.DataFrame, result: MatchResult, start: dt.date, end: dt.date, *,
                   settings: KpiSettings, as_of: dt.date | None = None, event: str | None = None) -> KpiReport:
    """``geo.kpi.kpi_report`` with the not-started projects' site status from ``result``."""
    placed, reasons = placement(result)
    return kpi_report(projects, start, end, settings=settings, as_of=as_of, event=event, placed=placed,
                      unplaced_reasons=reasons)


def year_to_date(projects: pd.DataFrame, as_of: dt.date) -> tuple[dt.date, dt.date] | None:
    """The briefing's cohort: signed from 1 January of ``as_of``'s year to ``as_of``; None when the list has no
    signing dates at all (then the briefing says nothing of the indicators)."""
    if "signed_date" not in projects.columns or not pd.to_datetime(projects["signed_date"]).notna().any():
        return None
    return dt.date(as_of.year, 1, 1), as_of


def fmt_yi(yi: float) -> str:
    """亿元 as the briefing writes them (``briefing.document.fmt_yi``: two decimals at most, no trailing zeros)."""
    text = f"{yi:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _yoy(value: float | None) -> str:
    if value is None:
        return "（上年同期无签约，不计同比）"
    return f"（同比{'增长' if value >= 0 else '下降'}{abs(value):.1f}%）"


def kpi_sentence(k: KpiReport) -> str:
    """One paragraph: signings with 同比, big projects and the rates, then how many signed projects have not started
    and how many of those lack a site, with the land they need."""
    if not k.signed_count:
        return (f"{k.start.year}年{k.start.month}月{k.start.day}日至{k.end.month}月{k.end.day}日，"
                "台账中暂无新签约项目。")
    text = (f"{k.start.year}年{k.start.month}月{k.start.day}日至{k.end.month}月{k.end.day}日，全县新签约项目"
            f"{k.signed_count}个{_yoy(k.signed_count_yoy_pct)}，签约金额{fmt_yi(k.signed_yi)}亿元"
            f"{_yoy(k.signed_yi_yoy_pct)}；其中{fmt_yi(k.big_threshold_yi)}亿元以上项目{k.big_signed_count}个，"
            f"开工率{_pct(k.big_start_rate_pct)}；履约率{_pct(k.on_time_rate_pct)}，投产率"
            f"{_pct(k.production_rate_pct)}，资金到位率{_pct(k.funds_rate_pct)}。")
    if not k.not_started:
        return text + "签约项目均已开工。"
    unsited = k.unsited
    if not unsited:
        return text + f"已签约未开工项目{len(k.not_started)}个，均已有可落实的选址。"
    return text + (f"已签约未开工项目{len(k.not_started)}个，其中{len(unsited)}个目前无可落实的选址，"
                   f"需用地{fmt_mu(k.unsited_need_mu)}亩，是项目开工慢、入库少的主要原因之一。")
