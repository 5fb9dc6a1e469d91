"""缺口分析: match all pending projects; placed sites, the 有项目、无选址 list with reasons, gap per park, unlocks,
scenario controls and a side-by-side comparison of two scenarios."""
import pandas as pd
import streamlit as st

import matching
from geo.vocab import GAP_ZONE_LABELS, PLAN_LABELS
from layers import build, export, tables
from pages import common, map_component, map_panels, plan_panel

ws, key = common.require_workspace()
f = common.sidebar(ws)
st.title("缺口分析（有项目、无选址）")

left, right = st.columns(2)
with left:
    scen_a = common.scenario_controls("sa", "情景 A")
with right:
    compare_on = st.toggle("与另一情景对比", key="compare_on")
    scen_b = common.scenario_controls("sb", "情景 B") if compare_on else None

a = common.run_match(ws, key, scen_a)
status = "最优解" if a.status == "optimal" else f"可行解（最优性差距 {a.gap:.2%}）"
st.caption(f"情景：{a.scenario}；求解状态：{status}；与 `python cli.py match --json` 的结果一致。")
common.gap_metrics(a)

if scen_b is not None:
    b = common.run_match(ws, key, scen_b)
    st.subheader("情景对比")
    ca, cb = st.columns(2)
    with ca:
        st.markdown(f"**A：{a.scenario}**")
        common.grid(tables.zone_gap_table(a))
    with cb:
        st.markdown(f"**B：{b.scenario}**")
        common.gap_metrics(b)
        common.grid(tables.zone_gap_table(b))
    diff = matching.compare(a, b)
    st.markdown(f"B 比 A 多安排 **{diff.placed_count.change}** 个项目。")
    for name, frame in tables.compare_tables(diff).items():
        if not frame.empty:
            st.markdown(f"**{name}**")
            common.grid(frame)

the_plan = plan_panel.current(ws, key, scen_a.as_of)
placed = tables.placed_table(ws, a)
unplaced = tables.unplaced_table(ws, a)
unlocks = tables.unlock_table(ws, a.unlocks)
zone_gap = tables.zone_gap_table(a)


def make_map(filters: common.Filters = f, fetch: bool = True):
    m = map_panels.base_map(ws, filters, fetch_data=fetch)
    sites = tables.sites_frame(ws, [dict(p.to_dict(), zone=tables.zone_name(ws, p.zone_id)) for p in a.placed])
    build.add_sites(m, sites, "placed", [("project_id", "项目编号", "text"), ("name", "项目名称", "text"),
                                         ("site_mu", "选址面积", "mu"), ("zone", "园区", "text")],
                    {"project_id": "project_id", "name": "name", "site_mu": "site_mu", "zone": "zone"})
    unlock_ids = sorted({p for u in a.unlocks for p in u.parcel_ids})
    if unlock_ids:
        up = ws.metric("parcels").loc[unlock_ids]
        build.add_sites(m, up, "unlock", build.PARCEL_FIELDS[:3], {"id": "parcel_id", "s": "status", "a": "area_mu"})
    if the_plan is not None and the_plan.actions:
        build.add_sites(m, plan_panel.parcels(ws, the_plan), "unlock", build.PARCEL_FIELDS[:3],
                        {"id": "parcel_id", "s": "status", "a": "area_mu"}, name=PLAN_LABELS["parcels_layer"])
    return build.finish(m, draw=True)




st.subheader("选址分布")
drawn = map_component.content_key(f, [p.to_dict() for p in a.placed],
                                  sorted({p for u in a.unlocks for p in u.parcel_ids}),
                                  None if the_plan is None else [a_.parcel_ids for a_ in the_plan.actions])
map_panels.map_with_details(ws, key, f, drawn, make_map, "map_gap",
                        "红色为已安排的选址，橙色虚线为建议优先平整/拆迁的地块。")

st.subheader(f"有项目、无选址（{len(unplaced)} 个）")
common.grid(unplaced)
st.subheader("各园区缺口")
chart = pd.DataFrame([z.to_dict() for z in a.zones]).set_index("name")[
    ["unplaced_gap_mu", "available_left_mu", "pipeline_mu"]].rename(columns=GAP_ZONE_LABELS)
st.bar_chart(chart, stack=False, y_label="亩")
common.grid(zone_gap)
st.subheader("建议措施（按每亩可落地项目排序，均已复核）")
if unlocks.empty:
    st.write("无：未安排的项目不能靠完成现有在途地块或厂房解决。")
else:
    common.grid(unlocks)
plan_panel.render(ws, key, scen_a.as_of)
st.subheader(f"已安排项目（{len(placed)} 个）")
common.grid(placed)

c1, c2, c3 = st.columns(3)
with c1:
    common.excel_download("下载全部表格（Excel）", {"无选址项目": unplaced, "各园区缺口": zone_gap, "建议措施": unlocks,
                                            "已安排项目": placed}, "缺口分析")
with c2:
    map_panels.map_download(lambda: make_map(map_panels.offline_filters(f, ws), fetch=False), "缺口分析地图")
with c3:
    st.download_button("下载选址图层（Shapefile，.zip）", lambda: export.sites_shapefile_zip(a, ws), "选址方案.zip",
                       "application/zip", on_click="ignore",
                       help="已安排用地项目的选址范围（GBK 编码，字段：项目编号、项目名称、园区、地块编号、需用地亩、"
                            "选址亩、可供日期、优先级），可在 ArcGIS/QGIS 中打开")
