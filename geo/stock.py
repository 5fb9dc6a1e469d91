"""Stock land (存量土地) at a date: 批而未供, 逾期/闲置 supplied land by the rules of 《闲置土地处置办法》
(国土资源部令第53号, 2012), 逾期未竣工, and the land of D-grade firms (低效用地) — one class per parcel.

Pure and vectorised over the parcels table (``classify_parcels``); ``classify_workspace`` adds the 亩均 grading
(``geo.mujun``) for the low-efficiency class; ``stock_report`` is the ``stock`` command's result. Thresholds: the
``[stock]`` section of config/landgap.toml (docs/standards.md §14). "A full year" is by calendar date: land agreed to
start on 2025-03-15 is idle from 2026-03-15 (a 29 February start: from 28 February); for land started and then halted
(the 1/3-area / 25 %-investment rule of 第二条) the years count from ``halted_date``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from geo.mujun import INDICATORS, grade_firms, parcels_of_grade
from geo.vocab import STOCK_CLASS_LABELS, STOCK_NEXT_STEPS

CLASSES: tuple[str, ...] = tuple(STOCK_CLASS_LABELS)
"""The classes in the order they are tested (the first that applies wins); "normal" last."""
STOCK_ACTION_OF_CLASS: dict[str, str] = {"reclaimable": "reclaim", "idle": "negotiate", "gov_delay": "negotiate",
                                         "low_efficiency": "redevelop"}
"""The plan's action on a class of stock land (无偿收回, 协议收回/置换, 低效用地再开发)."""
TOTAL_KEYS: tuple[str, ...] = ("approved_unsupplied_mu", "due_soon_mu", "overdue_mu", "idle_mu", "reclaimable_mu",
                                "gov_delay_mu", "completion_overdue_mu", "low_efficiency_mu")
"""The ``stock --json`` totals (亩 per class), in the issue's order; then ``fees_wan``."""


def _dates(parcels: pd.DataFrame, name: str) -> np.ndarray:
    """A date column as datetime64[ns] (NaT when empty or absent): numpy arrays, so nothing aligns on the index."""
    if name not in parcels.columns:
        return np.full(len(parcels), np.datetime64("NaT"), dtype="datetime64[ns]")
    return pd.to_datetime(parcels[name], errors="coerce").to_numpy(dtype="datetime64[ns]")


def _numbers(parcels: pd.DataFrame, name: str) -> np.ndarray:
    if name not in parcels.columns:
        return np.full(len(parcels), np.nan)
    return pd.to_numeric(parcels[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _plus_years(when: np.ndarray, years: float) -> np.ndarray:
    """``when`` + whole calendar months (years × 12): the same day of the month, or its last day."""
    months = int(round(float(years) * 12))
    return (pd.DatetimeIndex(when) + pd.DateOffset(months=months)).to_numpy() if months else when


def classify_parcels(parcels: pd.DataFrame, as_of: date | pd.Timestamp, settings,
                     *, low_efficiency: pd.Index | None = None) -> pd.DataFrame:
    """Each parcel's stock class at ``as_of`` (index kept), with ``days_overdue`` (days past the contracted start,
    the halt, or the contracted completion; NaN where none applies), ``fee_wan`` (土地闲置费: ``idle_fee_share`` of
    ``price_wan`` for land idle or reclaimable by the dates and not the government's doing; 0 otherwise),
    ``next_step`` and its ``deadline`` (when the next rule applies: idle at one full year, reclaimable at two; the
    contracted start of land due soon). ``settings``: ``geo.settings.StockSettings``; ``low_efficiency``: the
    parcels of D-grade firms (``geo.mujun.parcels_of_grade``)."""
    day = np.datetime64(pd.Timestamp(as_of).normalize().to_datetime64(), "ns")
    idx = parcels.index
    supplied = (parcels["status"] == "supplied").to_numpy(dtype=bool) if "status" in parcels.columns \
        else np.zeros(len(idx), bool)
    start, started = _dates(parcels, "agreed_start"), _dates(parcels, "actual_start")
    halted, done = _dates(parcels, "halted_date"), _dates(parcels, "actual_completion")
    completion, approved = _dates(parcels, "agreed_completion"), _dates(parcels, "approved_date")
    gov = _numbers(parcels, "gov_delay") == 1
    not_started = supplied & np.isnat(started)
    # not started: count from the contracted start; started, under 1/3 developed or 25 % invested, halted: from the
    # halt (第二条)
    little = ((_numbers(parcels, "developed_share") < settings.developed_share_min)
              | (_numbers(parcels, "invested_share") < settings.invested_share_min))
    halted_rule = supplied & ~np.isnat(started) & np.isnat(done) & ~np.isnat(halted) & little
    base = np.where(halted_rule, halted, np.where(not_started, start, np.datetime64("NaT")))
    idle_from = np.where(halted_rule, _plus_years(base, settings.halted_years), _plus_years(base, settings.idle_years))
    reclaim_from = _plus_years(base, settings.reclaim_years)
    reclaimable = day >= reclaim_from                   # NaT compares False
    idle = (day >= idle_from) & ~reclaimable
    overdue = not_started & (day > start) & ~idle & ~reclaimable
    due_soon = not_started & (start >= day) & (start <= day + np.timedelta64(int(settings.warn_days), "D"))
    completion_overdue = supplied & ~np.isnat(started) & np.isnat(done) & (completion < day)
    low = idx.isin(low_efficiency) if low_efficiency is not None else np.zeros(len(idx), bool)
    approved_old = ~supplied & (day >= _plus_years(approved, settings.approved_years))
    by_dates = idle | reclaimable
    tests = {"gov_delay": by_dates & gov, "reclaimable": reclaimable & ~gov, "idle": idle & ~gov,
             "overdue": overdue, "due_soon": due_soon, "completion_overdue": completion_overdue,
             "low_efficiency": low, "approved_unsupplied": approved_old}
    cls = np.select([tests[c] for c in CLASSES[:-1]], list(CLASSES[:-1]), default="normal").astype(object)
    since = np.where(by_dates | overdue, base, np.where(cls == "completion_overdue", completion, np.datetime64("NaT")))
    days = (day - since) / np.timedelta64(1, "D")
    fee = np.where(by_dates & ~gov, np.nan_to_num(_numbers(parcels, "price_wan")) * float(settings.idle_fee_share),
                   0.0)
    deadline = np.where(cls == "overdue", idle_from, np.where(cls == "idle", reclaim_from,
                                                              np.where(cls == "due_soon", start, np.datetime64("NaT"))))
    steps = np.array([STOCK_NEXT_STEPS[c] for c in CLASSES], dtype=object)
    code = pd.Categorical(cls, categories=list(CLASSES)).codes
    return pd.DataFrame({"stock_class": cls, "days_overdue": days, "fee_wan": fee, "next_step": steps[code],
                         "deadline": deadline.astype("datetime64[ns]")}, index=idx)


def classify_workspace(ws, as_of: date | pd.Timestamp, settings) -> pd.DataFrame:
    """``classify_parcels`` of a workspace, the low-efficiency class from its firms' grades. ``settings``: the whole
    ``geo.settings.Settings`` (``stock`` and ``mujun``)."""
    return _classified(ws, as_of, settings)[0]


def _classified(ws, as_of, settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(``classify_parcels`` of the workspace, ``grade_firms`` of its firms): the D grade's land is low-efficiency."""
    graded = grade_firms(ws.firms, ws.parcels["area_mu"], settings.mujun)
    low = parcels_of_grade(ws.firms, graded["grade"]) if len(ws.firms) else None
    return classify_parcels(ws.parcels, as_of, settings.stock, low_efficiency=low), graded


@dataclass
class StockReport:
    """The ``stock`` command's result: the parcels not "normal" with their class, the firms' grades, the 亩 per
    class and the fees due."""
    as_of: pd.Timestamp
    parcels: pd.DataFrame        # classify_parcels' columns + parcel_id, zone_id, area_mu, holder
    firms: pd.DataFrame          # grade_firms' columns + firm_id, name
    totals: dict[str, float]

    def to_dict(self) -> dict:
        p = self.parcels
        parcels = [{"parcel_id": r.parcel_id, "zone_id": r.zone_id, "class": r.stock_class,
                    "area_mu": round(float(r.area_mu), 2),
                    "days_overdue": None if pd.isna(r.days_overdue) else int(r.days_overdue),
                    "fee_wan": round(float(r.fee_wan), 2), "holder": None if pd.isna(r.holder) else str(r.holder),
                    "next_step": r.next_step,
                    "deadline": None if pd.isna(r.deadline) else r.deadline.strftime("%Y-%m-%d")}
                   for r in p.itertuples(index=False)]
        firms = [{"firm_id": str(r["firm_id"]), "name": str(r["name"]), "land_mu": round(float(r["land_mu"]), 2),
                  "score": None if pd.isna(r["score"]) else round(float(r["score"]), 1),
                  "grade": r["grade"] if isinstance(r["grade"], str) else None,
                  "indicators": {k: None if pd.isna(r[k]) else round(float(r[k]), 2) for k in INDICATORS}}
                 for r in self.firms.to_dict("records")]
        return {"as_of": self.as_of.strftime("%Y-%m-%d"), "parcels": parcels, "firms": firms,
                "totals": {k: round(float(v), 2) for k, v in self.totals.items()}}


def stock_report(ws, as_of: date | pd.Timestamp, settings) -> StockReport:
    """The stock land of a workspace at ``as_of``: parcels by class (those not normal, most urgent class first,
    then most days overdue), the firms graded (best score first, ungraded last) and the totals."""
    firms = ws.firms
    cls, graded = _classified(ws, as_of, settings)
    holder = ws.parcels["holder"] if "holder" in ws.parcels.columns else pd.Series(None, index=ws.parcels.index)
    table = pd.concat([ws.parcels[["parcel_id", "zone_id", "area_mu"]], holder.rename("holder"), cls], axis=1)
    listed = table[table["stock_class"] != "normal"].copy()
    listed["order"] = listed["stock_class"].map({c: i for i, c in enumerate(CLASSES)})
    listed = listed.sort_values(["order", "days_overdue", "parcel_id"], ascending=[True, False, True],
                                na_position="last", kind="mergesort").drop(columns="order")
    mu = table.groupby("stock_class")["area_mu"].sum()
    totals = {key: float(mu.get(key[:-3], 0.0)) for key in TOTAL_KEYS}
    totals["fees_wan"] = float(cls["fee_wan"].sum())
    firm_table = pd.concat([firms[["firm_id", "name"]], graded], axis=1)
    firm_table = firm_table.sort_values(["score", "firm_id"], ascending=[False, True], na_position="last",
                                        kind="mergesort")
    return StockReport(pd.Timestamp(as_of).normalize(), listed, firm_table, totals)
