"""账号与工作空间 (team mode, 管理 only): accounts (add, reset password, role, disable) and the list of workspaces
the team may open. Every action re-checks the role where it writes (auth.require_role)."""
import pandas as pd
import streamlit as st

from geo.errors import LandGapError
from geo.vocab import ROLE_LABELS
from pages import auth, common
from team.accounts import ROLES


def admin_action(run, done: str) -> None:
    """Run an account or workspace change if the current account is an admin (checked here, server side)."""
    try:
        auth.require_role("admin", "管理账号和工作空间")
        with auth.open_accounts() as acc:
            run(acc)
    except LandGapError as exc:
        st.error(str(exc))
    else:
        st.session_state["admin_done"] = done
        st.rerun()


auth.require_login()
st.title("账号与工作空间")
if not auth.can("admin"):
    st.error("仅管理员可用。")
    st.stop()
if "admin_done" in st.session_state:
    st.success(st.session_state.pop("admin_done"))

st.subheader("账号")
with auth.open_accounts() as acc:
    users = acc.users()
common.grid(pd.DataFrame([{"账号": u.name, "角色": ROLE_LABELS[u.role], "状态": "已停用" if u.disabled else
                           ("已锁定" if u.locked(auth.clock()) else "正常")} for u in users],
                         columns=["账号", "角色", "状态"]))
with st.form("admin_add"):
    c = st.columns(3)
    name = c[0].text_input("新账号名")
    role = c[1].selectbox("角色", ROLES, format_func=ROLE_LABELS.get)
    password = c[2].text_input("初始密码", type="password")
    if st.form_submit_button("添加账号"):
        admin_action(lambda a: a.add(name, role, password), f"已添加账号 {name}")
if users:
    with st.form("admin_edit"):
        c = st.columns(3)
        who = c[0].selectbox("账号", [u.name for u in users])
        new_role = c[1].selectbox("改为角色", ROLES, format_func=ROLE_LABELS.get)
        new_pw = c[2].text_input("新密码（留空不改）", type="password")
        b = st.columns(3)
        if b[0].form_submit_button("修改角色/密码"):
            def change(a):
                a.set_role(who, new_role)
                if new_pw:
                    a.set_password(who, new_pw)
            admin_action(change, f"已修改账号 {who}")
        if b[1].form_submit_button("停用"):
            admin_action(lambda a: a.set_disabled(who, True), f"已停用账号 {who}")
        if b[2].form_submit_button("启用"):
            admin_action(lambda a: a.set_disabled(who, False), f"已启用账号 {who}")

st.subheader("工作空间")
st.caption("团队成员只能打开这里登记的工作空间（服务器上的 .gpkg 文件或 postgresql:// 数据库），不能在页面上输入路径。")
registered = auth.registered_workspaces()
common.grid(pd.DataFrame({"名称": list(registered), "位置": list(registered.values())}))
with st.form("admin_ws"):
    c = st.columns(2)
    ws_name = c[0].text_input("名称")
    ws_target = c[1].text_input("位置（路径或 postgresql://…）")
    b = st.columns(2)
    if b[0].form_submit_button("登记"):
        admin_action(lambda a: a.register_workspace(ws_name, ws_target, auth.current_user()), f"已登记 {ws_name}")
    if b[1].form_submit_button("取消登记"):
        admin_action(lambda a: a.remove_workspace(ws_name), f"已取消登记 {ws_name}")
