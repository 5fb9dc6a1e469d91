"""招商考核 indicators (geo.kpi) against a small cohort computed by hand: each rate, null denominators, 同比 and the
prior cohort's window, targets, and the not-started list with the match's placement passed in."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from geo.kpi import kpi_report, prior_window
from geo.settings import load_settings

KPI = dataclasses.replace(load_settings().kpi, big_project_yi=1.0,
                          targets={"big_signed_count": 4, "signed_yi": 10.0, "on_time_rate_pct": 80.0})
D = pd.Timestamp
COLS = ["project_id", "name", "investment_yi", "land_mu", "stage", "signed_date", "agreed_start", "started_date",
        "production_date", "funds_in_yi", "event"]
ROWS = [
    # the 2026 H1 cohort
    ["A", "甲", 3.0, 50.0, "started", D("2026-01-10"), D("2026-03-01"), D("2026-02-20"), D("2026-06-01"), 2.0,
     "西博会"],
    ["B", "乙", 2.0, 30.0, "started", D("2026-02-01"), D("2026-04-01"), D("2026-05-10"), pd.NaT, 0.5, "西博会"],
    ["C", "丙", 1.0, 20.0, "signed", D("2026-03-15"), D("2026-06-01"), pd.NaT, pd.NaT, 0.0, "食博会"],
    ["D", "丁", 0.5, 10.0, "signed", D("2026-06-30"), D("2026-09-01"), pd.NaT, pd.NaT, None, None],
    ["E", "戊", 4.0, 80.0, "started", D("2026-04-01"), pd.NaT, pd.NaT, pd.NaT, 1.0, None],   # started, no date
    # the prior cohort (2025 H1) and projects outside both windows
    ["P1", "前一", 2.0, 10.0, "started", D("2025-01-01"), pd.NaT, D("2025-05-01"), pd.NaT, 2.0, None],
    ["P2", "前二", 3.0, 10.0, "started", D("2025-06-30"), pd.NaT, D("2025-08-01"), pd.NaT, 3.0, "西博会"],
    ["X1", "外一", 9.0, 10.0, "signed", D("2025-07-01"), pd.NaT, pd.NaT, pd.NaT, None, None],
    ["X2", "外二", 9.0, 10.0, "negotiating", pd.NaT, pd.NaT, pd.NaT, pd.NaT, None, None],
]
PROJECTS = pd.DataFrame(ROWS, columns=COLS)


def report(**kw):
    return kpi_report(PROJECTS, dt.date(2026, 1, 1), dt.date(2026, 6, 30), settings=KPI, **kw)


def test_each_indicator_by_hand():
    r = report(placed={"C"}, unplaced_reasons={"D": "NO_ZONE"})
    # signed A B C D E: 5 projects, 3 + 2 + 1 + 0.5 + 4 = 10.5 亿元; prior P1 P2: 2 projects, 5 亿元
    assert (r.signed_count, r.signed_yi, r.prior_signed_count, r.prior_signed_yi) == (5, 10.5, 2, 5.0)
    assert r.signed_count_yoy_pct == 150.0 and r.signed_yi_yoy_pct == 110.0
    # big (≥ 1 亿): A B C E = 4; started by 06-30: A, B, E (marked started) → 3/4
    assert r.big_signed_count == 4 and r.big_start_rate_pct == 75.0
    # contracted start ≤ 06-30: A (started 02-20 ≤ 03-01 ✓), B (05-10 > 04-01 ✗), C (not started ✗) → 1/3
    assert r.on_time_rate_pct == 33.3
    # production by 06-30: A → 1/5; funds (2 + 0.5 + 0 + 0 + 1) / 10.5 = 33.33 %
    assert r.production_rate_pct == 20.0 and r.funds_rate_pct == 33.3
    assert r.as_of == dt.date(2026, 6, 30)
    # not started: C (placed), D (unplaced, NO_ZONE), by investment
    assert [(p.project_id, p.placed, p.reason) for p in r.not_started] == [("C", True, None), ("D", False, "NO_ZONE")]
    assert r.unsited_need_mu == 10.0
    targets = {t.indicator: (t.target, t.actual, t.completion_pct) for t in r.targets}
    assert targets == {"big_signed_count": (4.0, 4, 100.0), "signed_yi": (10.0, 10.5, 105.0),
                       "on_time_rate_pct": (80.0, 33.3, 41.6)}


def test_an_earlier_as_of_date():
    r = report(as_of=dt.date(2026, 3, 31))
    # started by 03-31: A, E (no date, marked started) of big A B C E → 50 %; due by 03-31: A only, on time → 100 %
    assert r.big_start_rate_pct == 50.0 and r.on_time_rate_pct == 100.0 and r.production_rate_pct == 0.0
    assert [p.project_id for p in r.not_started] == ["B", "C", "D"]


def test_zero_denominators_are_null_never_zero():
    r = kpi_report(PROJECTS, dt.date(2024, 1, 1), dt.date(2024, 6, 30), settings=KPI)
    assert r.signed_count == 0 and r.prior_signed_count == 0
    assert r.signed_count_yoy_pct is None and r.signed_yi_yoy_pct is None
    assert (r.big_start_rate_pct, r.on_time_rate_pct, r.production_rate_pct, r.funds_rate_pct) == (None,) * 4
    first = kpi_report(PROJECTS, dt.date(2025, 1, 1), dt.date(2025, 6, 30), settings=KPI)
    assert first.signed_count == 2 and first.prior_signed_count == 0 and first.signed_count_yoy_pct is None
    assert first.on_time_rate_pct is None          # no contracted start dates in that cohort


def test_event_filter_and_the_prior_window():
    r = report(event="西博会")
    assert (r.signed_count, r.signed_yi, r.prior_signed_count, r.prior_signed_yi) == (2, 5.0, 1, 3.0)
    assert prior_window(dt.date(2024, 2, 29), dt.date(2024, 12, 31)) == (dt.date(2023, 2, 28), dt.date(2023, 12, 31))


def test_json_keys_exactly_as_the_issue_lists_them():
    d = report().to_dict()
    assert list(d) == ["from", "to", "as_of", "signed_count", "signed_yi", "prior_signed_count", "prior_signed_yi",
                       "signed_count_yoy_pct", "signed_yi_yoy_pct", "big_threshold_yi", "big_signed_count",
                       "big_start_rate_pct", "on_time_rate_pct", "production_rate_pct", "funds_rate_pct", "targets",
                       "not_started"]
    assert list(d["not_started"][0]) == ["project_id", "name", "investment_yi", "placed", "reason"]
    assert d["from"] == "2026-01-01" and d["as_of"] == "2026-06-30"


def test_an_unknown_target_and_a_reversed_window_are_refused():
    from geo.errors import InputError
    with pytest.raises(InputError, match="无法识别"):
        kpi_report(PROJECTS, dt.date(2026, 1, 1), dt.date(2026, 6, 30),
                   settings=dataclasses.replace(KPI, targets={"nonsense": 1}))
    with pytest.raises(InputError, match="早于"):
        kpi_report(PROJECTS, dt.date(2026, 6, 30), dt.date(2026, 1, 1), settings=KPI)
