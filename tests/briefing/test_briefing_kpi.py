"""一、基本情况's （三）招商考核情况 (issue 21): the year-to-date cohort's indicators and how many signed-not-started
projects lack a site, with the land they need — from the same match as the rest of the briefing; absent when the
project list has no signing dates."""
from __future__ import annotations

import datetime as dt

import pandas as pd

import matching
from briefing.content import build_document
from briefing.kpi_text import kpi_from_match, kpi_sentence
from geo.units import fmt_mu

AS_OF = dt.date(2026, 6, 30)


def _kpi_paragraph(doc):
    found = [b for b in doc.sections[0].blocks if getattr(b, "lead", "") == "（三）招商考核情况。"]
    return found[0].text if found else None


def test_the_basic_section_states_the_cohort_and_the_unsited_not_started(sample_ws, settings):
    result = matching.match(sample_ws, settings=settings, unlocks=False)
    text = _kpi_paragraph(build_document(sample_ws, result, settings, as_of=AS_OF))
    # by hand from the sample's dates: signed 2026-01-01..06-30 and 2025-01-01..06-30
    p = sample_ws.projects
    signed = pd.to_datetime(p["signed_date"])
    now = p[(signed >= "2026-01-01") & (signed <= "2026-06-30")]
    before = p[(signed >= "2025-01-01") & (signed <= "2025-06-30")]
    assert len(now) and len(before)
    assert f"全县新签约项目{len(now)}个" in text
    assert f"同比增长{100 * (len(now) - len(before)) / len(before):.1f}%" in text
    placed = {pl.project_id for pl in result.placed}
    started = pd.to_datetime(now["started_date"]) <= pd.Timestamp(AS_OF)
    waiting = now[~started & (now["stage"] != "started")]
    unsited = waiting[~waiting["project_id"].isin(placed)]
    assert f"已签约未开工项目{len(waiting)}个，其中{len(unsited)}个目前无可落实的选址" in text
    assert f"需用地{fmt_mu(unsited['land_mu'].sum())}亩" in text


def test_no_signing_dates_no_paragraph(sample_ws, settings):
    undated = sample_ws.with_projects(sample_ws.projects.assign(signed_date=pd.NaT, started_date=pd.NaT,
                                                                production_date=pd.NaT, agreed_start=pd.NaT))
    result = matching.match(undated, settings=settings, unlocks=False)
    assert _kpi_paragraph(build_document(undated, result, settings, as_of=AS_OF)) is None


def test_the_sentence_without_signings_and_with_every_project_sited(sample_ws, settings):
    result = matching.match(sample_ws, settings=settings, unlocks=False)
    empty = kpi_from_match(sample_ws.projects, result, dt.date(2020, 1, 1), dt.date(2020, 6, 30),
                           settings=settings.kpi)
    assert "暂无新签约项目" in kpi_sentence(empty)
    k = kpi_from_match(sample_ws.projects, result, dt.date(2025, 1, 1), dt.date(2025, 6, 30), settings=settings.kpi)
    text = kpi_sentence(k)
    assert "上年同期无签约" in text and "资金到位率" in text
