"""LandGap: industrial land and the 有项目、无选址 gap, in the browser (``python3 run.py app``).

Thin on purpose: navigation only; each page module is UI, calling geo/, matching/, layers/.
"""
import numpy as np
import streamlit as st
from PIL import Image

from layers import assets
from pages import auth
from pages.context import settings

# The favicon is an in-memory image: a ":material/…" or emoji page_icon is fetched from Google's servers.
ICON = np.zeros((32, 32, 3), dtype=np.uint8)
ICON[:] = (46, 157, 74)
ICON[8:24, 8:24] = (242, 183, 5)
st.set_page_config(page_title="LandGap 工业用地保障", page_icon=Image.fromarray(ICON), layout="wide")

PAGES = [
    st.Page("pages/map_page.py", title="用地一张图", icon=":material/map:", default=True, url_path="home"),
    st.Page("pages/fit_page.py", title="项目选址", icon=":material/add_location:", url_path="fit"),
    st.Page("pages/gap_page.py", title="缺口分析", icon=":material/bar_chart:", url_path="gap"),
    st.Page("pages/kpi_page.py", title="招商考核", icon=":material/trending_up:", url_path="kpi"),
    st.Page("pages/stock_page.py", title="存量盘活", icon=":material/recycling:", url_path="stock"),
    st.Page("pages/briefing_page.py", title="简报", icon=":material/description:", url_path="briefing"),
    st.Page("pages/data_page.py", title="数据管理", icon=":material/folder_open:", url_path="data"),
    # the map is the home page ("/"; the default page reserves its url_path without answering to it); its own
    # address /map (a bookmark, a link in a briefing) opens it too, not Streamlit's English "Page not found"
    st.Page("pages/map_page.py", title="用地一张图", url_path="map", visibility="hidden"),
]
if auth.team_mode() and auth.session() is None:
    # team mode: only the login page until logged in (no page list, not even the pages/ folder's); the pages
    # check again themselves
    st.navigation([st.Page(auth.require_login, title="登录", url_path="login")], position="hidden").run()
    st.stop()
auth.account_sidebar()
if auth.team_mode() and auth.can("admin"):
    PAGES.append(st.Page("pages/admin_page.py", title="账号与工作空间", icon=":material/manage_accounts:",
                         url_path="admin"))
page = st.navigation(PAGES)
# `streamlit run app.py` before the set-up, or from another folder: say why the map would stay empty, on every page.
problem = assets.setup_problem(assets.vendor_dir(settings().runtime.vendor_dir),
                               static_serving=bool(st.get_option("server.enableStaticServing")))
if problem:
    st.error(problem, icon=":material/map:")
page.run()
