"""The bureau's own figures (招商考核): signings, big projects, start, on-time, production and funds rates of a cohort
of projects signed in [start, end], as of a date — pure functions of the project list (definitions with their
sources in docs/standards.md, 招商考核指标).

Whether the match finds a not-started project a site is an input (``placed``, ``unplaced_reasons`` from a
``matching.MatchResult``): this module does no matching. Rates are % rounded to 0.1, None when the denominator is
0 (never 0, never an error).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.settings import KpiSettings
from geo.vocab import KPI_LABELS

RATE_INDICATORS = ("big_start_rate_pct", "on_time_rate_pct", "production_rate_pct", "funds_rate_pct")


def rate_pct(numerator: float, denominator: float) -> float | None:
    """100 × numerator ÷ denominator rounded to 0.1; None when the denominator is 0."""
    return None if not denominator else round(100.0 * numerator / denominator, 1)


def yoy_pct(current: float, prior: float) -> float | None:
    """Year-on-year change in % (同比), rounded to 0.1; None when the prior figure is 0."""
    return None if not prior else round(100.0 * (current - prior) / prior, 1)


def cohort(projects: pd.DataFrame, start: dt.date, end: dt.date, event: str | None = None) -> pd.DataFrame:
    """The projects signed in [start, end] (both days included), of one signing event (签约平台/活动) if given."""
    signed = pd.to_datetime(projects["signed_date"])
    keep = (signed >= pd.Timestamp(start)) & (signed <= pd.Timestamp(end))
    if event:
        keep &= projects["event"].fillna("").astype(str).str.strip() == event.strip()
    return projects[keep.to_numpy()]


def check_window(start: dt.date, end: dt.date) -> None:
    """A cohort's window must not end before it starts (InputError)."""
    if end < start:
        raise InputError(f"统计期的结束日期 {end} 早于开始日期 {start}")


def prior_window(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The same window one year earlier (29 Feb → 28 Feb)."""
    year = pd.DateOffset(years=1)
    return (pd.Timestamp(start) - year).date(), (pd.Timestamp(end) - year).date()


def started_by(c: pd.DataFrame, as_of: dt.date) -> np.ndarray:
    """Started on or before ``as_of``: by 实际开工日期, or marked 已开工 with no date (the ledger's own word; the
    load warns about the missing date)."""
    started = pd.to_datetime(c["started_date"])
    return ((started <= pd.Timestamp(as_of)) | (started.isna() & (c["stage"] == "started"))).to_numpy()


def signed_totals(c: pd.DataFrame) -> tuple[int, float]:
    return len(c), round(float(c["investment_yi"].fillna(0.0).sum()), 2)


def big_projects(c: pd.DataFrame, big_project_yi: float) -> np.ndarray:
    return (c["investment_yi"].fillna(0.0) >= big_project_yi).to_numpy()


def big_start_rate(c: pd.DataFrame, as_of: dt.date, big_project_yi: float) -> float | None:
    """开工率: started by ``as_of`` ÷ big signed projects."""
    big = big_projects(c, big_project_yi)
    return rate_pct(int((started_by(c, as_of) & big).sum()), int(big.sum()))


def on_time_rate(c: pd.DataFrame, as_of: dt.date) -> float | None:
    """履约率: of the projects whose 合同约定开工日期 is on or before ``as_of``, the share started on or before it."""
    agreed, started = pd.to_datetime(c["agreed_start"]), pd.to_datetime(c["started_date"])
    due = agreed <= pd.Timestamp(as_of)
    return rate_pct(int((due & (started <= agreed)).sum()), int(due.sum()))


def production_rate(c: pd.DataFrame, as_of: dt.date) -> float | None:
    """投产率: in production (投产日期) by ``as_of`` ÷ the cohort."""
    return rate_pct(int((pd.to_datetime(c["production_date"]) <= pd.Timestamp(as_of)).sum()), len(c))


def funds_rate(c: pd.DataFrame) -> float | None:
    """资金到位率: 到位资金 ÷ 合同投资总额 of the cohort (亿元)."""
    return rate_pct(float(c["funds_in_yi"].fillna(0.0).sum()), float(c["investment_yi"].fillna(0.0).sum()))


@dataclass(frozen=True)
class Target:
    """One task from ``[kpi] targets``: the indicator, its label, the task, the figure and 完成比 (%)."""
    indicator: str
    label: str
    target: float
    actual: float | None
    completion_pct: float | None

    def to_dict(self) -> dict:
        return {"indicator": self.indicator, "label": self.label, "target": self.target, "actual": self.actual,
                "completion_pct": self.completion_pct}


@dataclass(frozen=True)
class NotStarted:
    """A cohort project not started by the as-of date; ``placed``: the match finds it a site today, else ``reason``
    (matching's code: NO_ZONE, TOO_SMALL …; None when placed or not in the match). ``need_mu``: its land need."""
    project_id: str
    name: str
    investment_yi: float | None
    placed: bool
    reason: str | None
    need_mu: float | None = None

    def to_dict(self) -> dict:
        return {"project_id": self.project_id, "name": self.name, "investment_yi": self.investment_yi,
                "placed": self.placed, "reason": self.reason}


@dataclass(frozen=True)
class KpiReport:
    """The cohort's indicators (``cli.py kpi --json``: exactly ``to_dict``'s keys)."""
    start: dt.date
    end: dt.date
    as_of: dt.date
    signed_count: int
    signed_yi: float
    prior_signed_count: int
    prior_signed_yi: float
    signed_count_yoy_pct: float | None
    signed_yi_yoy_pct: float | None
    big_threshold_yi: float
    big_signed_count: int
    big_start_rate_pct: float | None
    on_time_rate_pct: float | None
    production_rate_pct: float | None
    funds_rate_pct: float | None
    targets: tuple[Target, ...]
    not_started: tuple[NotStarted, ...]
    event: str | None = None
    started_count: int = 0
    production_count: int = 0

    @property
    def unsited(self) -> tuple[NotStarted, ...]:
        """The not-started projects the match finds no site for."""
        return tuple(p for p in self.not_started if not p.placed)

    @property
    def unsited_need_mu(self) -> float:
        return round(sum(p.need_mu or 0.0 for p in self.unsited), 1)

    def to_dict(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "as_of": self.as_of.isoformat(),
                "signed_count": self.signed_count, "signed_yi": self.signed_yi,
                "prior_signed_count": self.prior_signed_count, "prior_signed_yi": self.prior_signed_yi,
                "signed_count_yoy_pct": self.signed_count_yoy_pct, "signed_yi_yoy_pct": self.signed_yi_yoy_pct,
                "big_threshold_yi": self.big_threshold_yi, "big_signed_count": self.big_signed_count,
                "big_start_rate_pct": self.big_start_rate_pct, "on_time_rate_pct": self.on_time_rate_pct,
                "production_rate_pct": self.production_rate_pct, "funds_rate_pct": self.funds_rate_pct,
                "targets": [t.to_dict() for t in self.targets],
                "not_started": [p.to_dict() for p in self.not_started]}


def _targets(figures: Mapping[str, float | None], targets: Mapping[str, float]) -> tuple[Target, ...]:
    out = []
    for name, task in targets.items():
        if name not in figures:
            raise InputError(f"[kpi] targets 中的指标“{name}”无法识别（可用：{'、'.join(figures)}）")
        actual = figures[name]
        out.append(Target(name, KPI_LABELS.get(name, name), float(task), actual,
                          None if actual is None else rate_pct(actual, float(task))))
    return tuple(out)


def _not_started(c: pd.DataFrame, as_of: dt.date, placed: Collection[str],
                 unplaced_reasons: Mapping[str, str]) -> tuple[NotStarted, ...]:
    rest = c[~started_by(c, as_of)]
    rest = rest.assign(_inv=rest["investment_yi"].fillna(-1.0)).sort_values(["_inv", "project_id"],
                                                                             ascending=[False, True])
    out = []
    for pid, name, inv, need in zip(rest["project_id"], rest["name"], rest["investment_yi"], rest["land_mu"]):
        pid = str(pid)
        here = pid in placed
        out.append(NotStarted(pid, str(name), None if pd.isna(inv) else float(inv), here,
                              None if here else unplaced_reasons.get(pid), None if pd.isna(need) else float(need)))
    return tuple(out)


def kpi_report(projects: pd.DataFrame, start: dt.date, end: dt.date, *, settings: KpiSettings,
               as_of: dt.date | None = None, event: str | None = None, placed: Collection[str] = frozenset(),
               unplaced_reasons: Mapping[str, str] | None = None) -> KpiReport:
    """The indicators of the projects signed in [start, end] as of ``as_of`` (default: ``end``), with the same
    window a year earlier for 同比; ``placed`` (project ids the match places) and ``unplaced_reasons`` (project id →
    reason code) describe the not-started ones' land."""
    check_window(start, end)
    as_of = as_of or end
    c = cohort(projects, start, end, event)
    count, yi = signed_totals(c)
    prior_count, prior_yi = signed_totals(cohort(projects, *prior_window(start, end), event))
    big = settings.big_project_yi
    figures = {
        "signed_count": count, "signed_yi": yi, "big_signed_count": int(big_projects(c, big).sum()),
        "big_start_rate_pct": big_start_rate(c, as_of, big), "on_time_rate_pct": on_time_rate(c, as_of),
        "production_rate_pct": production_rate(c, as_of), "funds_rate_pct": funds_rate(c)}
    return KpiReport(
        start=start, end=end, as_of=as_of, signed_count=count, signed_yi=yi, prior_signed_count=prior_count,
        prior_signed_yi=prior_yi, signed_count_yoy_pct=yoy_pct(count, prior_count),
        signed_yi_yoy_pct=yoy_pct(yi, prior_yi), big_threshold_yi=big, big_signed_count=figures["big_signed_count"],
        big_start_rate_pct=figures["big_start_rate_pct"], on_time_rate_pct=figures["on_time_rate_pct"],
        production_rate_pct=figures["production_rate_pct"], funds_rate_pct=figures["funds_rate_pct"],
        targets=_targets(figures, settings.targets),
        not_started=_not_started(c, as_of, frozenset(placed), unplaced_reasons or {}), event=event,
        started_count=int(started_by(c, as_of).sum()),
        production_count=int((pd.to_datetime(c["production_date"]) <= pd.Timestamp(as_of)).sum()))
