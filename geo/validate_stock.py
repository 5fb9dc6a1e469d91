"""Checks of the stock-land fields (存量土地) on parcels and of the 亩均效益台账 (firms), run on every load.

Errors name the row and the field: a contracted start after the contracted completion, a start before the land was
handed over, a completion before the start, a share outside 0–1, a 政府原因 flag that is neither 0 nor 1, a firm
on no parcel. A firm on a parcel the workspace does not have is a warning (an error when its ledger is imported).
A supplied parcel without its 交地日期 or 约定动工日期 is a
warning only (old land often has none), and only once the layer records contract dates at all.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from geo.report import LoadReport
from geo.vocab import FIRM_FIELD_LABELS, FLAG_ALIASES, PARCEL_FIELD_LABELS

SHARE_FIELDS = ("developed_share", "invested_share")
CONTRACT_FIELDS = ("supplied_date", "agreed_start")


def flag_cells(col: pd.Series) -> pd.Series:
    """是/否, Y/N, true/false … → 1/0 (``geo.vocab.FLAG_ALIASES``); anything else as it was (numbers stay)."""
    def one(v):
        if isinstance(v, str):
            return FLAG_ALIASES.get(v.strip().lower(), v)
        if isinstance(v, (bool, np.bool_)):
            return int(v)
        return v
    return col if pd.api.types.is_numeric_dtype(col) else col.astype(object).map(one)


def split_ids(text) -> list[str]:
    """'A-1;A-2' → ['A-1', 'A-2'] (also ；、，, and spaces-around accepted); empty → []."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    text = str(text)
    for sep in ("；", "、", "，", ","):
        text = text.replace(sep, ";")
    return [t.strip() for t in text.split(";") if t.strip()]


def _dates(frame: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_datetime(frame[name]) if name in frame.columns else pd.Series(pd.NaT, index=frame.index)


def _order(frame: pd.DataFrame, report: LoadReport, code: str, early: str, late: str, field: str) -> None:
    """An error for each row where ``late`` (a date) falls before ``early``; ``field`` is the one named."""
    a, b = _dates(frame, early), _dates(frame, late)
    labels = PARCEL_FIELD_LABELS
    for row in frame.index[(b < a).to_numpy()]:
        report.error("parcels", code, f"{labels[late]} {b[row].date()} 早于{labels[early]} {a[row].date()}",
                     row=row, field=field)


def check_parcel_stock(parcels: pd.DataFrame, report: LoadReport) -> None:
    """The stock-land fields of the parcel layer (coerced by ``geo.validate.coerce_layer``): date order, shares
    in 0–1, the 0/1 flag, and the supplied parcels' missing contract dates (warnings)."""
    labels = PARCEL_FIELD_LABELS
    a_start, a_done = _dates(parcels, "agreed_start"), _dates(parcels, "agreed_completion")
    for row in parcels.index[(a_start > a_done).to_numpy()]:
        report.error("parcels", "AGREED_START_AFTER_COMPLETION",
                     f"{labels['agreed_start']} {a_start[row].date()} 晚于{labels['agreed_completion']} "
                     f"{a_done[row].date()}", row=row, field="agreed_start")
    _order(parcels, report, "START_BEFORE_SUPPLY", "supplied_date", "actual_start", "actual_start")
    _order(parcels, report, "COMPLETION_BEFORE_START", "actual_start", "actual_completion", "actual_completion")
    for name in SHARE_FIELDS:
        if name not in parcels.columns:
            continue
        share = pd.to_numeric(parcels[name], errors="coerce")
        for row in parcels.index[(share > 1).to_numpy()]:
            report.error("parcels", "SHARE_OUT_OF_RANGE",
                         f"{labels[name]}应为 0–1 之间的比例（现为 {share[row]:g}；如 35% 应写作 0.35）",
                         row=row, field=name)
    if "gov_delay" in parcels.columns:
        flag = pd.to_numeric(parcels["gov_delay"], errors="coerce")
        for row in parcels.index[(flag.notna() & ~flag.isin([0, 1])).to_numpy()]:
            report.error("parcels", "BAD_FLAG", f"{labels['gov_delay']}应为 1（是）或 0（否），现为 {flag[row]:g}",
                         row=row, field="gov_delay")
    if not all(c in parcels.columns for c in CONTRACT_FIELDS):
        return
    dated = parcels[list(CONTRACT_FIELDS)].notna()
    if not dated.to_numpy().any():          # the layer records no contracts at all: nothing to warn about
        return
    gap = (parcels["status"] == "supplied").to_numpy()[:, None] & ~dated.to_numpy()
    lacking = gap.any(axis=1)
    for row, gaps in zip(parcels.index[lacking], gap[lacking]):          # only the rows to warn about
        if gaps.any():
            missing = "、".join(labels[f] for f, gap in zip(CONTRACT_FIELDS, gaps) if gap)
            report.warning("parcels", "MISSING_CONTRACT_DATES",
                           f"已供地块未填{missing}（老地块常无合同日期；无约定动工日期则无法判断是否闲置）",
                           row=row, field=next(f for f, gap in zip(CONTRACT_FIELDS, gaps) if gap))


def check_firms(firms: pd.DataFrame, parcel_ids: pd.Index | pd.Series, report: LoadReport) -> None:
    """Every firm names at least one parcel (an error), each one the workspace has (``parcel_ids``). On load a
    parcel the layer no longer has is a warning — its land counts for nothing: the parcel layer and the firms
    ledger come from different offices, and an error would let neither be replaced before the other (a new survey
    renumbering the parcels). Importing a firms ledger refuses it (``formats.ledger_stock``)."""
    if firms.empty:
        return
    label = FIRM_FIELD_LABELS["parcel_ids"]
    text = firms["parcel_ids"].astype(object).where(firms["parcel_ids"].notna(), "").astype(str)
    known = pd.Index(parcel_ids).astype(str).unique()
    each = text.str.replace(r"[；、，,]", ";", regex=True).str.split(";").explode().str.strip()   # as split_ids
    listed = pd.Series(known.get_indexer(each) >= 0, index=each.index) | (each == "")
    fine = (each != "").groupby(level=0).any() & listed.groupby(level=0).all()
    bad = text.index[~fine.reindex(text.index, fill_value=False).to_numpy()]
    for row, text in firms.loc[bad, "parcel_ids"].items():      # only the firms to report
        ids = split_ids(text)
        if not ids:
            if text is not None and not pd.isna(text):       # an empty required cell is MISSING_VALUE already
                report.error("firms", "NO_PARCEL", f"{label}“{text}”中没有地块编号", row=row, field="parcel_ids")
            continue
        unknown = [i for i in ids if i not in known]
        if unknown:
            report.warning("firms", "UNKNOWN_PARCEL", f"{label}中的 {'、'.join(unknown)} 不在工作空间的地块图层中"
                           "（其用地不计入亩均效益评价；请更新亩均效益台账）", row=row, field="parcel_ids")
