"""招商考核 page (issue 21): runs on the sample county, its figures equal `geo.kpi` on the same match, the
not-started list carries the site status, and a project without a site opens the fit check prefilled."""
from __future__ import annotations

import datetime as dt

import matching
from briefing.kpi_text import kpi_from_match
from geo.vocab import KPI_LABELS as K
from tests.pages.test_app import app, metrics, ok  # noqa: F401 (the fixture)


def test_kpi_page_figures_equal_the_indicators(app, sample_ws, settings):  # noqa: F811
    at = app.run()
    at.switch_page("pages/kpi_page.py").run()
    at.date_input(key="kpi_from").set_value(dt.date(2026, 1, 1))
    at.date_input(key="kpi_to").set_value(dt.date(2026, 6, 30))
    at.date_input(key="kpi_as_of").set_value(dt.date(2026, 6, 30))
    at.run()
    ok(at)
    result = matching.match(sample_ws, settings=settings)
    k = kpi_from_match(sample_ws.projects, result, dt.date(2026, 1, 1), dt.date(2026, 6, 30), settings=settings.kpi)
    shown = metrics(at)
    assert shown[K["signed_count"]] == str(k.signed_count)
    assert shown[K["signed_yi"]] == f"{k.signed_yi:,.2f}"
    assert shown[K["funds_rate_pct"]] == f"{k.funds_rate_pct:.1f}%"
    assert any(f"其中无选址 {len(k.unsited)} 个" in h.value for h in at.subheader)
    assert k.unsited
    at.selectbox(key="kpi_fit_pick").set_value(k.unsited[0].project_id)
    at.button(key="kpi_fit_go").click().run()
    ok(at)
    assert at.session_state["fit_name"] == k.unsited[0].name
