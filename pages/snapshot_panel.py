"""简报 → 本周 vs 上周: what changed since the latest snapshot (the briefing's 附 says it too), and, for editors,
saving this briefing's figures as the new snapshot (stores.snapshots)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from geo.errors import LandGapError
from geo.vocab import PARCEL_STATUS_LABELS as P, PROJECT_STAGE_LABELS as S
from geo.workspace import Workspace
from pages import auth, common
from pages.context import settings
from stores import open_store, snapshots


def since_last(ws: Workspace, result):
    """(this briefing's snapshot, unsaved; the SnapshotDiff from the latest saved one or None)."""
    from briefing import workspace_data_date
    snap = snapshots.take(ws, result, "", workspace_data_date(ws) or dt.date.today())
    if "ws_edited" in st.session_state or not ws.path:        # unsaved edits: no "since" over them
        return snap, None
    try:
        with open_store(common.workspace_path(), settings()) as store:
            saved = snapshots.all_snapshots(store)
    except LandGapError:
        return snap, None
    return snap, (snapshots.compare(saved[-1], snap) if saved else None)


def save(snap) -> int:
    """The write: editors only (checked here)."""
    auth.require_role("editor", "保存快照")
    from dataclasses import replace
    with open_store(common.workspace_path(), settings()) as store:
        return snapshots.save(store, replace(snap, by=auth.current_user(), at=snapshots.utc_now())).id


def render(snap, since) -> None:
    with st.expander("本周 vs 上周（与最近一次快照比较）", expanded=since is not None and not since.empty):
        if since is None:
            st.caption("还没有快照。保存一次后，下次简报的“附”将说明此后的变化。")
        else:
            b, a, d = since.figures["unplaced_gap_mu"]
            st.markdown(f"上次快照 {since.before_id}（数据日期 {since.before_date}）以来：用地缺口 {b:.1f} → {a:.1f} 亩"
                        f"（{d:+.1f}）")
            rows = ([("地块状态", pid, P.get(o, o or "—"), P.get(n, n or "已删除"))
                     for pid, o, n in since.parcels_changed]
                    + [("新增项目", f"{pid} {name}", "", "") for pid, name in since.projects_added]
                    + [("阶段推进", f"{pid} {name}", S.get(o, o), S.get(n, n))
                       for pid, name, o, n in since.projects_advanced]
                    + [("新落实选址", f"{pid} {name}", "", "") for pid, name in since.projects_placed])
            if rows:
                common.grid(pd.DataFrame(rows, columns=["变化", "对象", "原", "现"]))
        if auth.can("editor") and "ws_edited" not in st.session_state and st.button("保存为本周快照",
                                                                                     key="snapshot_save"):
            try:
                st.success(f"已保存快照 {save(snap)}。")
            except LandGapError as exc:
                st.error(str(exc))
