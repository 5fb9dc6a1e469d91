"""招商考核: the bureau's own figures for the projects signed in a period (签约、开工率、履约率、投产率、资金到位率)
against their targets, the funnel 签约 → 开工 → 投产, signings by month, and the signed-not-started projects with
their site status from the match (the same figures as `cli.py kpi`)."""
import datetime as dt

import pandas as pd
import streamlit as st

import matching
from briefing.kpi_text import kpi_from_match, kpi_sentence
from geo.kpi import cohort
from geo.vocab import FIELD_LABELS as F, KPI_LABELS as K
from pages import common
from pages.context import settings

ws, key = common.require_workspace()
f = common.sidebar(ws)
st.title(K["title"])

signed = pd.to_datetime(ws.projects["signed_date"])
if not signed.notna().any():
    st.info(f"项目表中没有{F['signed_date']}：在数据管理页导入含“签约日期”“实际开工日期”“投产日期”“到位资金”等列的"
            "招商项目台账后，这里给出招商考核指标。")
    st.stop()
today = dt.date.today()
c1, c2, c3, c4 = st.columns(4)
start = c1.date_input(K["from"], dt.date(today.year, 1, 1), key="kpi_from")
end = c2.date_input(K["to"], today, key="kpi_to")
as_of = c3.date_input(K["as_of"], end, key="kpi_as_of")
events = sorted({str(e) for e in ws.projects["event"].dropna()})
event = c4.selectbox(K["event"], [K["all_events"], *events], key="kpi_event")
if end < start:
    st.error(f"{K['to']}早于{K['from']}。")
    st.stop()

result = common.run_match(ws, key, matching.Scenario())
k = kpi_from_match(ws.projects, result, start, end, settings=settings().kpi, as_of=as_of,
                   event=None if event == K["all_events"] else event)
st.write(kpi_sentence(k))


def _pct(v):
    return "—" if v is None else f"{v:.1f}%"


def _delta(v):
    return None if v is None else f"同比 {v:+.1f}%"


m = st.columns(6)
m[0].metric(K["signed_count"], k.signed_count, _delta(k.signed_count_yoy_pct))
m[1].metric(K["signed_yi"], f"{k.signed_yi:,.2f}", _delta(k.signed_yi_yoy_pct))
m[2].metric(K["big_signed_count"], k.big_signed_count)
m[3].metric(K["big_start_rate_pct"], _pct(k.big_start_rate_pct))
m[4].metric(K["on_time_rate_pct"], _pct(k.on_time_rate_pct))
m[5].metric(K["production_rate_pct"], _pct(k.production_rate_pct))
st.metric(K["funds_rate_pct"], _pct(k.funds_rate_pct))
if k.targets:
    st.subheader("目标任务完成情况")
    common.grid(pd.DataFrame([t.to_dict() for t in k.targets]).drop(columns="indicator").rename(
        columns={"label": K["indicator"], "target": K["target"], "actual": K["actual"],
                 "completion_pct": K["completion_pct"]}))

left, right = st.columns(2)
with left:
    st.subheader(K["funnel"])
    st.bar_chart(pd.DataFrame({"项目数": [k.signed_count, k.started_count, k.production_count]},
                              index=[f"1 {K['signed']}", f"2 {K['started']}", f"3 {K['production']}"]))
with right:
    st.subheader(K["by_month"])
    c = cohort(ws.projects, start, end, None if event == K["all_events"] else event)
    months = pd.to_datetime(c["signed_date"]).dt.strftime("%Y-%m")
    by_month = c.assign(month=months).groupby("month").agg(**{
        K["signed_count"]: ("project_id", "size"), K["signed_yi"]: ("investment_yi", "sum")})
    if by_month.empty:
        st.write("统计期内无签约项目。")
    else:
        st.bar_chart(by_month[[K["signed_count"]]])

st.subheader(f"{K['not_started']}（{len(k.not_started)} 个，其中无选址 {len(k.unsited)} 个）")
rows = pd.DataFrame([dict(p.to_dict(), need_mu=p.need_mu) for p in k.not_started],
                    columns=["project_id", "name", "investment_yi", "need_mu", "placed", "reason"])
rows["placed"] = rows["placed"].map({True: K["placed_yes"], False: K["placed_no"]})
rows["reason"] = rows["reason"].map(lambda r: matching.REASONS.get(r, r) if isinstance(r, str) else "")
common.grid(rows.rename(columns={"project_id": F["project_id"], "name": F["project_name"],
                                 "investment_yi": F["investment_yi"], "need_mu": F["land_mu"],
                                 "placed": K["placed"], "reason": F["reason"]}))
unsited = {p.project_id: p for p in k.unsited}
if unsited:
    names = dict(zip(ws.projects["project_id"], ws.projects["name"]))
    pick = st.selectbox("检查无选址项目的选址（转到项目选址页）", list(unsited),
                        format_func=lambda pid: f"{pid} {names.get(pid, '')}", key="kpi_fit_pick")
    if st.button("检查选址", key="kpi_fit_go"):
        p = ws.projects.set_index("project_id").loc[pick]
        land = pd.notna(p["land_mu"])
        st.session_state.update({
            "fit_name": str(p["name"]), "fit_industry": str(p["industry"]),
            "fit_investment": float(p["investment_yi"]) if pd.notna(p["investment_yi"]) else 0.0,
            "fit_kind": F["land_mu"] if land else F["floor_m2"],
            "fit_amount": float(p["land_mu"] if land else p["floor_m2"]),
            "fit_zone": p["preferred_zone"] if isinstance(p["preferred_zone"], str) else common.ALL})
        st.switch_page("pages/fit_page.py")
