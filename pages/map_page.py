"""用地一张图: parks, parcels and factories on one map; available acreage for the sidebar filters."""
import streamlit as st

from geo.vocab import STOCK_CLASS_LABELS
from layers import build, tables
from pages import common, map_panels
from pages.context import settings

ws, key = common.require_workspace()
# The map is what the user waits for: its element goes to the browser first (filters read from the session state
# the sidebar keeps), then the sidebar widgets and the headline numbers fill in around it.
f = common.filters(ws)
st.title("用地一张图")
when = f"截至 {f.by}（含届时完成平整/拆迁的地块）" if f.by else "当前"
st.caption(f"{when}可供地：按园区、产业、最小连片面积筛选；与 `python cli.py available --json` 的结果一致。")
if f.stock_classes:
    st.caption(f"地图只显示存量分类为{'、'.join(STOCK_CLASS_LABELS[c] for c in f.stock_classes)}的地块"
               f"（截至 {f.stock_as_of}）；可供地统计不受此筛选影响。")
headline_slot = st.container()


def make_map(filters: common.Filters = f, fetch: bool = True):
    return build.finish(map_panels.base_map(ws, filters, fetch_data=fetch), draw=True)


left, right = st.columns([3, 1])
with left:
    out = map_panels.show_map(ws, f, make_map, key="map_main")
if common.sidebar(ws) != f:      # same session state, so equal by construction; if not, draw again with the widgets'
    st.rerun()
report = common.report_for(ws, key, f)
with headline_slot:
    common.headline(report)
with right:
    st.markdown("单击地块查看详情；用左侧工具画多边形统计范围内各状态面积。")
    map_panels.interaction_panels(ws, key, f, out)

zones = tables.zone_table(report)
by_county = tables.county_table(report, ws.zones)
if not by_county.empty:
    st.subheader("各县可供地")
    st.html(tables.html_table(by_county))
st.subheader("各园区可供地")
# A static HTML table (one row per park): st.dataframe's grid (its script chunk, canvas and layout) and st.table's
# Markdown cells share the browser's main thread with the map iframe (~0.5 s and ~0.3 s of the map's drawing at 100
# parks); a city's or a province's hundreds of parks are shown on demand.
few_parks = len(zones) <= settings().app.park_table_rows
if few_parks or st.toggle(f"显示各园区明细（{len(zones)} 个园区）", key="show_parks"):
    st.html(tables.html_table(zones))
# the blocks' table (100k parcels: 0.4 s to build) only when shown or downloaded
if st.toggle(f"显示连片地块明细（{len(report.blocks)} 片）", key="show_blocks"):
    common.grid(tables.block_table(report))
c1, c2 = st.columns(2)
with c1:
    common.excel_download("下载表格（Excel）", lambda: {"各园区可供地": zones, "连片地块": tables.block_table(report)},
                          "可供地")
with c2:
    map_panels.map_download(lambda: make_map(map_panels.offline_filters(f, ws), fetch=False), "用地一张图")
