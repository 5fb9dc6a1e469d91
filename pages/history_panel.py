"""数据管理 → 修改记录: the store's audit trail (who, when, layer, id, action, changed fields), filterable by
date and id; every role may read it."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from geo.errors import LandGapError
from geo.vocab import HISTORY_LABELS as H
from pages.context import settings
from stores import open_store
from stores.base import ACTION_LABELS, LAYER_LABELS

MAX_ROWS = 2000


def changed_fields(entry) -> str:
    """The fields an update changed (geometry included), or every field of an insert/delete: "、"-joined."""
    before, after = entry.before or {}, entry.after or {}
    if entry.action == "update":
        keys = [k for k in after if before.get(k) != after.get(k)]
    else:
        keys = list(after or before)
    return "、".join(keys)


def history_frame(entries) -> pd.DataFrame:
    """The audit entries, newest first, as the page shows them (labels from geo.vocab). Values are plain text:
    the grid shows them as text (no HTML)."""
    rows = [{H["at"]: e.at, H["by"]: e.by, H["layer"]: LAYER_LABELS.get(e.layer, e.layer), H["id"]: e.id,
             H["action"]: ACTION_LABELS.get(e.action, e.action), H["fields"]: changed_fields(e)}
            for e in reversed(entries)]
    return pd.DataFrame(rows, columns=[H[k] for k in ("at", "by", "layer", "id", "action", "fields")])


def render(path) -> None:
    from pages import common
    st.subheader("修改记录")
    c = st.columns(3)
    use_since = c[0].checkbox("只看某日起", key="hist_use_since")
    since = c[1].date_input("起始日期（UTC）", value=dt.date.today() - dt.timedelta(days=7), key="hist_since",
                            disabled=not use_since)
    rid = c[2].text_input("编号（项目、地块、园区、厂房）", key="hist_id").strip() or None
    try:
        with open_store(path, settings()) as store:
            entries = store.history(since=since if use_since else None, id=rid)
    except LandGapError as exc:
        st.error(str(exc))
        return
    if not entries:
        st.caption("没有符合条件的修改记录。")
        return
    st.caption(f"共 {len(entries)} 条" + (f"，显示最近 {MAX_ROWS} 条" if len(entries) > MAX_ROWS else ""))
    common.grid(history_frame(entries[-MAX_ROWS:]), key="hist_table")
