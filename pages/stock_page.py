"""存量盘活: the county's stock land at a date (批而未供, 逾期/闲置/可收回, 政府原因, 逾期未竣工, 低效用地) on the map
coloured by class, the 督办单 (days overdue, fee, next legal step and its deadline) with its Excel download, the
firms' 亩均效益 grades with each indicator, and the stock 亩 by class and park — the same figures as
`cli.py stock` (geo.stock.stock_report)."""
import datetime as dt

import streamlit as st

from geo.errors import InputError
from geo.parse import parse_date
from geo.units import fmt_mu
from geo.vocab import STOCK_CLASS_LABELS, STOCK_LABELS as S, STOCK_PAGE_LABELS as P
from layers import build, stock
from pages import common, map_panels
from pages.context import derived, settings

ws, key = common.require_workspace()
f = common.sidebar(ws)
st.title(S["title"])
st.caption("依据《闲置土地处置办法》（国土资源部令第53号）和亩均效益评价规则，按截至日期对已供、批而未供土地分类，"
           "给出下一步处置和期限；与 `python cli.py stock --json` 的结果一致。")

text = st.text_input(f"{S['as_of']}日期（如 2026-12-01 或 2026年12月1日）", dt.date.today().isoformat(),
                     key="stock_as_of")
try:
    as_of = parse_date(text)
except InputError as exc:
    as_of, problem = None, str(exc)
else:
    problem = None if as_of else f"{P['bad_date']}：请填写日期。"
if as_of is None:
    st.error(f"{P['bad_date']}（“{text}”）：{problem}")
    st.stop()

report = stock.report_for(ws, as_of, settings(), derived())
classes = stock.classes_for(ws, as_of, settings(), derived())
if report.parcels.empty and report.firms.empty:
    st.info(P["no_data"])
    st.stop()

t = report.totals
m = st.columns(5)
m[0].metric(STOCK_CLASS_LABELS["approved_unsupplied"], fmt_mu(t["approved_unsupplied_mu"]))
m[1].metric(STOCK_CLASS_LABELS["idle"], fmt_mu(t["idle_mu"]))
m[2].metric(STOCK_CLASS_LABELS["reclaimable"], fmt_mu(t["reclaimable_mu"]))
m[3].metric(STOCK_CLASS_LABELS["low_efficiency"], fmt_mu(t["low_efficiency_mu"]))
m[4].metric(S["fees_wan"], f"{t['fees_wan']:,.2f}")

scope = tuple(common.zone_scope(ws, f))
day = as_of.isoformat()


def make_map(filters: common.Filters = f, fetch: bool = True):
    mp = build.new_map(ws, filters.basemap, map_panels.MAP_HEIGHT, fetch, settings=settings(), cache=derived())
    build.add_zones(mp, ws, scope)
    stock.add_stock_parcels(mp, ws, classes, scope, only=filters.stock_classes, key=day)
    return build.finish(mp, legend=stock.legend_items())


st.subheader(f"{S['parcels']}分布图（{S['as_of']} {day}）")
map_panels.show_map(ws, ("stock", day, f, scope), make_map, key="map_stock")

table = stock.parcel_table(ws, report)
st.subheader(f"{S['parcels']} {len(table)} 宗、{fmt_mu(float(report.parcels['area_mu'].sum()))} 亩")
common.grid(table)
c1, c2 = st.columns(2)
with c1:
    st.download_button(P["download"], lambda: stock.supervision_xlsx(ws, report, settings().app.county_name),
                       f"{P['file_stem']}_{day}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_stock_sheet",
                       on_click="ignore")
with c2:
    map_panels.map_download(lambda: make_map(map_panels.offline_filters(f, ws), fetch=False), P["file_stem"])

st.subheader(P["by_class_zone"])
chart = stock.mu_by_class_zone(ws, report)
if chart.empty:
    st.write("截至该日无存量土地。")
else:
    st.bar_chart(chart, stack=True, horizontal=True, x_label="", y_label="", color=stock.chart_colors(chart))

st.subheader(f"{S['firms']}（{len(report.firms)} 家）")
if report.firms.empty:
    st.write("工作空间中没有亩均效益台账（`python cli.py import-firms --ledger 台账.xlsx` 导入）。")
else:
    counts = stock.grade_counts(report)
    left, right = st.columns([1, 3])
    with left:
        st.markdown(f"**{P['grade_counts']}**")
        common.grid(counts, key="stock_grade_counts")
    with right:
        common.grid(stock.firm_table(report), key="stock_firms")
