"""数据管理's view of stock land (issue 19): the parcels' contract and progress fields and the firms table
(亩均效益台账), read-only; they are changed by the land ledger and the firms ledger imports."""
from __future__ import annotations

import streamlit as st

from geo.vocab import FIRM_FIELD_LABELS, PARCEL_FIELD_LABELS, STOCK_DATA_TEXTS
from pages import common

STOCK_COLUMNS = ("parcel_id", "zone_id", "status", "holder", "supplied_date", "agreed_start", "agreed_completion",
                 "actual_start", "actual_completion", "price_wan", "developed_share", "invested_share", "halted_date",
                 "gov_delay", "approved_date")


def render(ws) -> None:
    """Two expanders: the parcels that have any stock field, and the firms."""
    cols = [c for c in STOCK_COLUMNS if c in ws.parcels.columns]
    stock = ws.parcels[cols]
    has = stock[[c for c in cols[3:]]].notna().any(axis=1)
    with st.expander(f"{STOCK_DATA_TEXTS['parcels_title']}（{int(has.sum())} 块）"):
        st.caption(STOCK_DATA_TEXTS["parcels_caption"])
        frame = stock[has].copy()
        for c in frame.columns:
            if frame[c].dtype.kind == "M":
                frame[c] = frame[c].dt.strftime("%Y-%m-%d")
        common.grid(frame.rename(columns=PARCEL_FIELD_LABELS))
    with st.expander(f"{STOCK_DATA_TEXTS['firms_title']}（{len(ws.firms)} 家）"):
        if ws.firms.empty:
            st.info(STOCK_DATA_TEXTS["firms_none"])
        else:
            common.grid(ws.firms.rename(columns=FIRM_FIELD_LABELS))
