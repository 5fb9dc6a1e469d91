"""简报: the land-gap report to the county government (Word, PDF) from the current match run."""
import streamlit as st

import briefing
from pages import common, snapshot_panel
from pages.context import derived, settings

ws, key = common.require_workspace()
common.sidebar(ws)
st.title("简报")

scenario = common.scenario_controls("brief", "报告依据的情景")
result = common.run_match(ws, key, scenario)


@st.cache_resource(show_spinner="正在生成简报……", max_entries=4)
def _brief(_ws, ws_key: str, scenario_key: tuple, _result, as_of, budget_wan, since_key, _since):
    plan = (briefing.briefing_plan(_ws, settings(), budget_wan, as_of=as_of, cache=derived())
            if settings().briefing.plan else None)
    return briefing.build(_ws, _result, settings(), as_of=as_of, scenario=_result.scenario, plan=plan, since=_since,
                          cache=derived())


snap, since = snapshot_panel.since_last(ws, result)
try:
    # the 用地保障方案 at the budget chosen on 缺口分析, else the configured one
    budget = float(st.session_state.get("plan_budget", settings().briefing.plan_budget_wan))
    brief = _brief(ws, key, scenario.key(), result, scenario.as_of, budget, since and since.before_id, since)
except briefing.MissingFontError as exc:
    st.error(f"无法生成简报：{exc}")
    st.stop()

c1, c2 = st.columns(2)
with c1:
    st.download_button("下载 Word 简报（.docx）", brief.to_docx_bytes, f"{briefing.FILE_STEM}.docx",
                       "application/vnd.openxmlformats-officedocument.wordprocessingml.document", on_click="ignore",
                       type="primary")
with c2:
    if briefing.pdf_available(settings().runtime):
        st.download_button("下载 PDF", brief.to_pdf_bytes, f"{briefing.FILE_STEM}.pdf", "application/pdf",
                           on_click="ignore")
    else:
        st.caption("本机未安装 LibreOffice，无法导出 PDF（Word 版不受影响）。")
snapshot_panel.render(snap, since)
st.divider()
st.html(brief.to_html())
