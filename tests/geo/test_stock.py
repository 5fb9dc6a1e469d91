"""Stock-land classes (geo/stock.py, issue 19) against a row-by-row reference written from 《闲置土地处置办法》 with
Python's own calendar (date.replace), on random parcels dated around the anniversaries; the law's edge days; the
totals per class; the report's JSON keys."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from geo.settings import load_settings
from geo.stock import CLASSES, TOTAL_KEYS, classify_parcels, classify_workspace, stock_report
from geo.vocab import STOCK_CLASS_LABELS

SETTINGS = load_settings()
STOCK = SETTINGS.stock
AS_OF = date(2026, 12, 1)


def add_years(d: date, years: int) -> date:
    """A full calendar year: the same day, or 28 February for a 29 February."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def nat(v) -> date | None:
    return None if v is None or pd.isna(v) else pd.Timestamp(v).date()


def reference(row: dict, as_of: date, low: bool) -> tuple[str, float | None, float, date | None]:
    """(class, days_overdue, fee_wan, deadline) of one parcel, written from the rules as the issue states them."""
    supplied = row["status"] == "supplied"
    start, started, halted = nat(row["agreed_start"]), nat(row["actual_start"]), nat(row["halted_date"])
    done, completion, approved = nat(row["actual_completion"]), nat(row["agreed_completion"]), nat(row["approved_date"])
    gov = row["gov_delay"] == 1
    base, first = None, None
    if supplied and started is None and start is not None:
        base, first = start, add_years(start, 1)
    elif supplied and started is not None and done is None and halted is not None and (
            (row["developed_share"] < 1 / 3 - 1e-6) or (row["invested_share"] < 0.25)):
        base, first = halted, add_years(halted, 1)
    second = add_years(base, 2) if base else None
    reclaim = base is not None and as_of >= second
    idle = base is not None and as_of >= first and not reclaim
    late = supplied and started is None and start is not None and as_of > start and not (idle or reclaim)
    soon = supplied and started is None and start is not None and start >= as_of and start <= as_of + timedelta(90)
    done_late = supplied and started is not None and done is None and completion is not None and completion < as_of
    old = not supplied and approved is not None and as_of >= add_years(approved, 2)
    fee = 0.2 * (row["price_wan"] if not pd.isna(row["price_wan"]) else 0.0) if (idle or reclaim) and not gov else 0.0
    for cls, applies in (("gov_delay", (idle or reclaim) and gov), ("reclaimable", reclaim), ("idle", idle),
                         ("overdue", late), ("due_soon", soon), ("completion_overdue", done_late),
                         ("low_efficiency", low), ("approved_unsupplied", old)):
        if applies:
            break
    else:
        cls = "normal"
    days = (as_of - base).days if cls in ("gov_delay", "reclaimable", "idle", "overdue") else \
        (as_of - completion).days if cls == "completion_overdue" else None
    deadline = {"overdue": first, "idle": second, "due_soon": start}.get(cls)
    return cls, days, fee, deadline


def random_parcels(n: int, seed: int) -> pd.DataFrame:
    """Dates clustered on the anniversaries of AS_OF (±2 days of 1 and 2 years back, 29 February 2024) and spread."""
    rng = np.random.default_rng(seed)
    anchors = [add_years(AS_OF, -1), add_years(AS_OF, -2), date(2024, 2, 29), AS_OF, AS_OF + timedelta(90),
               date(2024, 12, 1)]

    def dates(p_empty: float) -> list:
        out = []
        for _ in range(n):
            if rng.random() < p_empty:
                out.append(None)
            elif rng.random() < 0.6:
                out.append(anchors[rng.integers(len(anchors))] + timedelta(int(rng.integers(-2, 3))))
            else:
                out.append(date(2021, 1, 1) + timedelta(int(rng.integers(0, 2400))))
        return out

    frame = pd.DataFrame({
        "status": rng.choice(["supplied", "supplied", "available", "reserved", "leveling"], n),
        "agreed_start": dates(0.2), "actual_start": dates(0.5), "halted_date": dates(0.6),
        "actual_completion": dates(0.7), "agreed_completion": dates(0.3), "approved_date": dates(0.5),
        "developed_share": rng.choice([0.1, 1 / 3, 0.5, np.nan], n), "invested_share": rng.choice([0.1, 0.25, 0.9], n),
        "gov_delay": rng.choice([0, 1, np.nan], n), "price_wan": rng.choice([100.0, 2500.0, np.nan], n),
    }, index=[f"P{i}" for i in range(n)])
    for c in ("agreed_start", "actual_start", "halted_date", "actual_completion", "agreed_completion",
              "approved_date"):
        frame[c] = pd.to_datetime(frame[c])
    return frame


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_classes_equal_the_row_by_row_reference(seed):
    parcels = random_parcels(1500, seed)
    low = pd.Index(parcels.index[::7])
    got = classify_parcels(parcels, AS_OF, STOCK, low_efficiency=low)
    assert list(got.index) == list(parcels.index)
    seen = set()
    for pid, row in parcels.iterrows():
        cls, days, fee, deadline = reference(row.to_dict(), AS_OF, pid in low)
        r = got.loc[pid]
        assert r["stock_class"] == cls, (pid, row.to_dict())
        assert (pd.isna(r["days_overdue"]) and days is None) or r["days_overdue"] == days, (pid, cls)
        assert r["fee_wan"] == pytest.approx(fee), pid
        assert nat(r["deadline"]) == deadline, (pid, cls)
        seen.add(cls)
    assert seen == set(CLASSES)          # the random parcels reach every class


def one(**row) -> pd.DataFrame:
    base = {"status": "supplied", "agreed_start": None, "actual_start": None, "halted_date": None,
            "actual_completion": None, "agreed_completion": None, "approved_date": None, "developed_share": None,
            "invested_share": None, "gov_delay": 0, "price_wan": 1000.0}
    frame = pd.DataFrame([{**base, **row}], index=["X"])
    return frame.assign(**{c: pd.to_datetime(frame[c]) for c in base if c.endswith(("start", "date", "completion"))})


@pytest.mark.parametrize("as_of, cls, fee", [
    ("2025-03-14", "overdue", 0.0), ("2025-03-15", "idle", 200.0), ("2026-03-14", "idle", 200.0),
    ("2026-03-15", "reclaimable", 200.0), ("2024-03-15", "due_soon", 0.0), ("2023-12-15", "normal", 0.0)])
def test_a_full_year_is_by_calendar_date(as_of, cls, fee):
    got = classify_parcels(one(agreed_start="2024-03-15"), as_of, STOCK).iloc[0]
    assert (got["stock_class"], got["fee_wan"]) == (cls, fee)


def test_government_delay_pays_no_fee_and_halted_land_counts_from_the_halt():
    gov = classify_parcels(one(agreed_start="2023-01-10", gov_delay=1), AS_OF, STOCK).iloc[0]
    assert (gov["stock_class"], gov["fee_wan"]) == ("gov_delay", 0.0) and "协议有偿收回" in gov["next_step"]
    halted = one(agreed_start="2020-01-01", actual_start="2020-02-01", halted_date="2025-12-01", developed_share=0.2,
                 invested_share=0.5, agreed_completion="2030-01-01")
    got = classify_parcels(halted, AS_OF, STOCK).iloc[0]
    assert (got["stock_class"], got["days_overdue"]) == ("idle", 365)      # a full year since the halt, not 2020
    assert nat(got["deadline"]) == date(2027, 12, 1)                       # reclaimable two years after the halt
    busy = halted.assign(developed_share=0.5, invested_share=0.5)          # enough built: not idle by 第二条
    assert classify_parcels(busy, AS_OF, STOCK).iloc[0]["stock_class"] == "normal"


def test_a_29_february_start_is_idle_from_28_february():
    got = classify_parcels(one(agreed_start="2024-02-29"), "2025-02-28", STOCK).iloc[0]
    assert got["stock_class"] == "idle"
    assert classify_parcels(one(agreed_start="2024-02-29"), "2025-02-27", STOCK).iloc[0]["stock_class"] == "overdue"


def test_thresholds_come_from_the_settings():
    later = dataclasses.replace(STOCK, idle_years=2, reclaim_years=3, idle_fee_share=0.1, approved_years=1.0)
    got = classify_parcels(one(agreed_start="2024-03-15"), "2025-06-01", later).iloc[0]
    assert got["stock_class"] == "overdue"
    got = classify_parcels(one(agreed_start="2024-03-15"), "2026-06-01", later).iloc[0]
    assert (got["stock_class"], got["fee_wan"]) == ("idle", 100.0)
    land = one(status="available", approved_date="2025-11-01")
    assert classify_parcels(land, AS_OF, later).iloc[0]["stock_class"] == "approved_unsupplied"
    assert classify_parcels(land, AS_OF, STOCK).iloc[0]["stock_class"] == "normal"


def test_report_totals_are_per_class_and_keys_are_the_issues(sample_ws):
    parcels = random_parcels(len(sample_ws.parcels), 5).set_index(sample_ws.parcels.index)
    ws = dataclasses.replace(sample_ws, parcels=pd.concat(
        [sample_ws.parcels[["parcel_id", "zone_id", "area_mu", "geometry"]], parcels], axis=1))
    report = stock_report(ws, AS_OF, SETTINGS)
    d = report.to_dict()
    assert list(d) == ["as_of", "parcels", "firms", "totals"]
    assert list(d["totals"]) == [*TOTAL_KEYS, "fees_wan"]
    assert set(TOTAL_KEYS) == {f"{c}_mu" for c in STOCK_CLASS_LABELS if c != "normal"}
    for row in d["parcels"]:
        assert list(row) == ["parcel_id", "zone_id", "class", "area_mu", "days_overdue", "fee_wan", "holder",
                             "next_step", "deadline"]
        assert row["class"] != "normal"
    classes = classify_workspace(ws, AS_OF, SETTINGS)          # the sample's firms: its D grade's land too
    assert (classes["stock_class"] == "low_efficiency").any()
    for key in TOTAL_KEYS:        # each parcel in one class: idle_mu holds no reclaimable land
        want = ws.parcels["area_mu"][classes["stock_class"] == key[:-3]].sum()
        assert d["totals"][key] == pytest.approx(want, abs=0.01)
    assert d["totals"]["fees_wan"] == pytest.approx(classes["fee_wan"].sum(), abs=0.01)
    assert len(d["parcels"]) == int((classes["stock_class"] != "normal").sum())
