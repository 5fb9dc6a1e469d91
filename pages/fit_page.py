"""项目选址: test a prospective project (意向项目) — candidate sites, or why it does not fit and what would unblock
it; the prospect can be added to the project list."""
import datetime as dt

import pandas as pd
import streamlit as st

import matching
from geo.errors import LandGapError, ValidationError
from geo.supply import known_industries
from geo.units import fmt_mu
from geo.vocab import FIELD_LABELS as F, PLACEMENT_KIND_LABELS
from layers import build, tables
from pages import common, map_component, map_panels
from pages.context import derived, settings

ws, key = common.require_workspace()
f = common.sidebar(ws)
st.title("项目选址")

names = dict(ws.zones["name"])
with st.form("prospect"):
    c1, c2, c3 = st.columns(3)
    name = c1.text_input("项目名称", "意向项目", key="fit_name")
    industry = c2.selectbox("产业", known_industries(ws.zones, ws.projects), key="fit_industry")
    investment = c3.number_input(F["investment_yi"], min_value=0.0, value=5.0, step=0.5, key="fit_investment")
    c4, c5, c6 = st.columns(3)
    kind = c4.radio("需求", [F["land_mu"], F["floor_m2"]], horizontal=True, key="fit_kind")
    amount = c5.number_input("数量", min_value=0.0, value=100.0, step=10.0, key="fit_amount")
    zone = c6.selectbox("意向园区", [common.ALL, *ws.zones.index],
                        format_func=lambda z: "不限" if z == common.ALL else f"{names[z]}（{z}）", key="fit_zone")
    c7, c8 = st.columns(2)
    use_by = c7.checkbox("指定需用地时间（计入届时完成平整/拆迁的地块）")
    by = c7.date_input("需用地时间", dt.date.today() + dt.timedelta(days=180))
    all_free = c8.checkbox("与已签约/已开工项目竞争全部空闲土地",
                           help="默认只在已签约、已开工项目安排之后剩余的土地中选址")
    submitted = st.form_submit_button("检查选址", type="primary", key="fit_submit")

if submitted:
    try:
        prospect = matching.Prospect(industry=industry, need_mu=amount if kind == F["land_mu"] else None,
                                     floor_m2=amount if kind == F["floor_m2"] else None,
                                     zone_id=None if zone == common.ALL else zone, by=by if use_by else None,
                                     investment_yi=investment, name=name)
        result = common.with_progress(lambda progress: matching.fit(prospect, ws, settings=settings(),
                                                                    all_free_land=all_free,
                                                                    progress=progress, cache=derived()))
        st.session_state["fit_result"] = (key, prospect, result)
    except LandGapError as exc:
        st.error(str(exc))

saved = st.session_state.get("fit_result")
if not saved or saved[0] != key:
    st.info("填写意向项目后点击“检查选址”。")
    st.stop()
_, prospect, fit_result = saved
res = fit_result.to_dict()
need = f"{fmt_mu(prospect.need_mu)} 亩" if prospect.need_mu else f"{prospect.floor_m2:,.0f} m² 标准厂房"
if res["fits"]:
    st.success(f"“{prospect.name}”（{prospect.industry}，{need}）可以安排：共 {res['candidate_count']} 个候选，"
               f"下表列出前 {len(res['candidates'])} 个（按剩余面积最少、可用最早排序）。")
else:
    from briefing.labels import reason_label
    gap = f"，缺口 {fmt_mu(res['gap_mu'])} 亩" if res.get("gap_mu") else ""
    st.error(f"“{prospect.name}”（{need}）暂无合适选址：{reason_label(res['reason'])}{gap}。{res['detail']}")

rows = [dict(c, rank=i, zone=tables.zone_name(ws, c["zone_id"])) for i, c in enumerate(res["candidates"], 1)]
cand = pd.DataFrame([{F["row_number"]: r["rank"], F["placement_kind"]: PLACEMENT_KIND_LABELS[r["kind"]],
                      F["zone_name"]: r["zone"], F["site_mu"]: r["area_mu"], F["surplus_mu"]: r["surplus_mu"],
                      F["site_ready_date"]: r["ready_date"], F["parcel_ids"]: "、".join(r["parcel_ids"]),
                      F["factory_id"]: r["factory_id"], F["vacant_m2"]: r["vacant_m2"]} for r in rows])
unlocks = tables.unlock_table(ws, fit_result.unlocks)


def make_map(filters: common.Filters = f, fetch: bool = True):
    m = map_panels.base_map(ws, filters, fetch_data=fetch)
    build.add_sites(m, tables.sites_frame(ws, rows), "candidate",
                    [("rank", "候选序号", "text"), ("zone", "园区", "text"), ("area_mu", "面积", "mu")],
                    {"rank": "rank", "zone": "zone", "area_mu": "area_mu"})
    ids = sorted({p for u in res["unlocks"] for p in u["parcel_ids"]})
    if ids:
        build.add_sites(m, ws.metric("parcels").loc[ids], "unlock", build.PARCEL_FIELDS[:3],
                        {"id": "parcel_id", "s": "status", "a": "area_mu"})
    return build.finish(m, draw=True)


drawn = map_component.content_key(f, rows, sorted({p for u in res["unlocks"] for p in u["parcel_ids"]}))
map_panels.map_with_details(ws, key, f, drawn, make_map, "map_fit", "紫色虚线为候选选址，橙色虚线为可解决缺口的地块。")
if not cand.empty:
    st.subheader("候选选址")
    common.grid(cand)
if not unlocks.empty:
    st.subheader("可解决的措施（均已复核）")
    common.grid(unlocks)

if st.button("加入招商项目表（在谈）", key="fit_save"):
    whole = common.current()[0]            # the whole workspace, not the county the sidebar shows
    row = {"project_id": f"P-NEW-{len(whole.projects) + 1:03d}", "name": prospect.name, "industry": prospect.industry,
           "investment_yi": prospect.investment_yi, "land_mu": prospect.need_mu, "floor_m2": prospect.floor_m2,
           "preferred_zone": prospect.zone_id, "stage": "negotiating", "priority": 1.0,
           "needed_by": pd.Timestamp(prospect.by) if prospect.by else pd.NaT}
    while row["project_id"] in whole.projects.index:
        row["project_id"] += "A"
    try:
        new = whole.with_projects(pd.concat([whole.projects, pd.DataFrame([row])], ignore_index=True))
    except ValidationError as exc:
        st.error(str(exc))
    else:
        common.set_workspace(edited=new)
        st.success(f"已加入项目表（{row['project_id']}），在“数据管理”页保存到文件。")
c1, c2 = st.columns(2)
with c1:
    common.excel_download("下载候选表（Excel）", {"候选选址": cand, "措施": unlocks}, "项目选址")
with c2:
    map_panels.map_download(lambda: make_map(map_panels.offline_filters(f, ws), fetch=False), "项目选址地图")
