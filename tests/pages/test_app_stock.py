"""存量盘活 page (issue 19): on a county with contract dates and a firms ledger, the 督办单 table's rows are
`geo.stock.stock_report`'s, the Excel download read back with openpyxl equals the table (title, date, Chinese
headers), the firms' grades and counts are the report's, the map colours every parcel by its class, and a date that
cannot be read is said so."""
from __future__ import annotations

import io
import json
import re

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.stock import stock_report
from geo.vocab import FIELD_LABELS as F, STOCK_CLASS_LABELS, STOCK_LABELS as S, STOCK_PAGE_LABELS as P
from layers import stock
from tests.pages.test_app import APP, app, ok  # noqa: F401 (the fixture)
from tests.stock_county import AS_OF, stock_path  # noqa: F401 (the fixture)


@pytest.fixture
def stock_app(stock_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("LANDGAP_WORKSPACE", str(stock_path[0]))
    monkeypatch.delenv("LANDGAP_TIANDITU_KEY", raising=False)
    return AppTest.from_file(APP, default_timeout=120)


def _open(at, when: str):
    at.run()
    at.switch_page("pages/stock_page.py").run()
    at.text_input(key="stock_as_of").set_value(when).run()
    return at


def _frame(at, key: str | None = None) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe]
    return frames[0] if key is None else next(d.value for d in at.dataframe if d.proto.id and key in d.proto.id)


def test_table_and_download_equal_the_report(stock_app, stock_path, settings):  # noqa: F811
    path, ws = stock_path
    at = _open(stock_app, AS_OF.isoformat())
    ok(at)
    want = stock_report(ws, AS_OF, settings)
    assert len(want.parcels) > 10 and want.totals["fees_wan"] > 0
    shown = at.dataframe[0].value
    assert list(shown.columns) == list(stock.PARCEL_COLUMNS.values())
    # the rows: the report's parcels in its order, each with its class, 亩, days, fee, holder, step and deadline
    d = want.to_dict()["parcels"]
    assert list(shown[F["parcel_id"]]) == [r["parcel_id"] for r in d]
    assert list(shown[S["class"]]) == [STOCK_CLASS_LABELS[r["class"]] for r in d]
    assert list(shown[F["area_mu"]]) == pytest.approx([r["area_mu"] for r in d], abs=0.005)
    assert list(shown[S["fee_wan"]]) == pytest.approx([r["fee_wan"] for r in d], abs=0.005)
    days = [None if pd.isna(v) else int(v) for v in shown[S["days_overdue"]]]
    assert days == [r["days_overdue"] for r in d]
    assert [None if pd.isna(v) else v for v in shown[S["deadline"]]] == [r["deadline"] for r in d]
    assert list(shown[S["next_step"]]) == [r["next_step"] for r in d]
    assert list(shown[F["holder"]]) == [r["holder"] for r in d]
    names = dict(ws.zones["name"])
    assert list(shown[P["zone_name"]]) == [names[r["zone_id"]] for r in d]
    # the headline figures are the totals
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[S["fees_wan"]] == f"{want.totals['fees_wan']:,.2f}"
    assert any(f"{S['parcels']} {len(d)} 宗" in h.value for h in at.subheader)

    # the 督办单 download, read back: title, the date, Chinese headers, then the very rows of the table
    button = next(b for b in at.get("download_button") if b.proto.label == P["download"])
    assert button.proto.label == P["download"]
    data = stock.supervision_xlsx(ws, stock.report_for(ws, AS_OF, settings), settings.app.county_name)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book[P["sheet_name"]]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == f"{settings.app.county_name}{P['sheet_title']}"
    assert rows[1][0].startswith(f"{S['as_of']} {AS_OF.isoformat()}")
    assert list(rows[2]) == list(shown.columns)
    body = rows[3:]
    assert len(body) == len(shown)
    for got, (_, want_row) in zip(body, shown.iterrows()):
        for g, w in zip(got, want_row):
            if w is None or (not isinstance(w, str) and pd.isna(w)):
                assert g is None
            elif isinstance(w, str):
                assert g == w
            else:
                assert g == pytest.approx(float(w), abs=1e-9)


def test_firms_grades_and_chart(stock_app, stock_path, settings):  # noqa: F811
    _, ws = stock_path
    at = _open(stock_app, AS_OF.isoformat())
    ok(at)
    want = stock_report(ws, AS_OF, settings)
    firms = next(d.value for d in at.dataframe if S["score"] in d.value.columns)
    assert list(firms[F["firm_id"]]) == list(want.firms["firm_id"])
    grades = [g if isinstance(g, str) else S["not_graded"] for g in want.firms["grade"]]
    assert list(firms[S["grade"]]) == grades
    for k in ("tax_per_mu", "revenue_per_mu", "revenue_per_employee", "revenue_per_energy", "rd_intensity"):
        assert list(firms[S[k]]) == pytest.approx(list(want.firms[k].round(2)), nan_ok=True)
    counts = next(d.value for d in at.dataframe if P["count"] in d.value.columns)
    got = dict(zip(counts[S["grade"]], counts[P["count"]]))
    for g in "ABCD":
        assert got[g] == sum(x == g for x in want.firms["grade"])
    # the chart's data: 亩 per class and park add up to the totals
    chart = stock.mu_by_class_zone(ws, want)
    for cls, label in STOCK_CLASS_LABELS.items():
        if label in chart.columns:
            assert chart[label].sum() == pytest.approx(want.totals[f"{cls}_mu"])
    assert len(at.get("vega_lite_chart")) >= 1


def test_map_colours_every_parcel_by_its_class(stock_path, settings):  # noqa: F811
    from layers import build
    _, ws = stock_path
    classes = stock.classes_for(ws, AS_OF, settings)
    m = build.new_map(ws, settings=settings)
    n = stock.add_stock_parcels(m, ws, classes, key=AS_OF.isoformat())
    assert n == len(ws.parcels)
    layer = next(c for c in m._children.values() if getattr(c, "kind", None) == "stock")
    feats = json.loads(layer.data)["features"]
    got = {f["properties"]["id"]: f["properties"] for f in feats}
    assert {p: v["k"] for p, v in got.items()} == dict(classes["stock_class"])
    fee = classes["fee_wan"]
    for pid, props in got.items():
        assert (props["f"] is None) == (fee[pid] <= 0)
        if props["f"]:
            assert float(props["f"].replace(",", "")) == pytest.approx(fee[pid], abs=0.005)
    # only the chosen classes
    m2 = build.new_map(ws, settings=settings)
    only = ("idle", "reclaimable")
    n2 = stock.add_stock_parcels(m2, ws, classes, only=only, key=AS_OF.isoformat())
    assert n2 == int(classes["stock_class"].isin(only).sum()) > 0
    html = build.finish(m2, legend=stock.legend_items()).get_root().render()
    assert all(label in html for label in STOCK_CLASS_LABELS.values())


def test_a_bad_date_is_said_and_nothing_else_shown(stock_app):
    at = _open(stock_app, "下个月")
    assert not at.exception
    assert at.error and "下个月" in at.error[0].value and P["bad_date"] in at.error[0].value
    assert not at.dataframe
    at.text_input(key="stock_as_of").set_value("2026年12月1日").run()
    ok(at)
    assert at.dataframe
    assert re.search(r"\d+ 宗", " ".join(h.value for h in at.subheader))


def test_the_sample_county_at_its_stock_date(app, sample_ws, settings):  # noqa: F811
    """The sample county's own stock land (seeds.sample_data.STOCK_AS_OF): the page lists the report's parcels and
    every class the report has."""
    from seeds.sample_data import STOCK_AS_OF
    want = stock_report(sample_ws, pd.Timestamp(STOCK_AS_OF), settings)
    at = _open(app, STOCK_AS_OF)
    ok(at)
    if want.parcels.empty:
        assert any(P["no_data"][:10] in i.value for i in at.info)
        return
    shown = at.dataframe[0].value
    assert list(shown[F["parcel_id"]]) == list(want.parcels["parcel_id"])
    assert set(shown[S["class"]]) == {STOCK_CLASS_LABELS[c] for c in want.parcels["stock_class"]}
