"""The projects' lifecycle fields (issue 21: 签约日期 … 外资到位) survive a save and a reload in both stores, typed
(dates as dates, money as numbers, the event as text), audited; tables stored before the fields existed gain the
columns on the first write."""
from __future__ import annotations

import pandas as pd
import pytest

from geo.settings import load_settings
from stores import diff, open_store
from stores.base import column_kind
from tests.stores.test_store import execute_sql, pg, pg_template, target  # noqa: F401 (fixtures)

SETTINGS = load_settings()
DATED = ("signed_date", "agreed_start", "started_date", "production_date", "funds_in_yi", "event", "foreign_usd_wan")


def _drop_date_columns(target) -> None:  # noqa: F811
    execute_sql(target, [f"ALTER TABLE projects DROP COLUMN {c}" for c in DATED])


@pytest.mark.parametrize("older", [False, True], ids=["declared", "older-tables"])
def test_project_dates_are_stored_and_read_back(target, older):  # noqa: F811
    if older:
        _drop_date_columns(target)
    with open_store(target, SETTINGS) as store:
        ws = store.load()
        p = ws.projects.copy()
        if not older:         # the sample county's own dates came through the store
            assert p.at["P-FZ-05", "signed_date"] == pd.Timestamp("2025-02-18")
            assert p.at["P-FZ-05", "event"] == "广州行" and p.at["P-FZ-05", "funds_in_yi"] == 3.2
        else:
            assert p["signed_date"].isna().all()
        p.loc["P-FZ-01", ["signed_date", "agreed_start", "started_date"]] = [
            pd.Timestamp("2026-03-08"), pd.Timestamp("2026-09-01"), pd.Timestamp("2026-10-20")]
        p.loc["P-FZ-01", ["stage", "funds_in_yi", "event", "foreign_usd_wan"]] = ["started", 4.5, "西博会", 120.0]
        new = ws.with_projects(p.reset_index(drop=True))
        assert [(c.layer, c.id) for c in diff(ws, new)] == [("projects", "P-FZ-01")]
        store.save(ws, new, "王五")
        back = store.load().projects
        row = back.loc["P-FZ-01"]
        assert row["started_date"] == pd.Timestamp("2026-10-20") and row["agreed_start"] == pd.Timestamp("2026-09-01")
        assert row["funds_in_yi"] == 4.5 and row["event"] == "西博会" and row["foreign_usd_wan"] == 120.0
        assert pd.api.types.is_datetime64_any_dtype(back["signed_date"])
        cols = dict(store.raw_layers()["projects"].columns)
        for name in DATED:
            assert cols[name] == column_kind("projects", name)
        after = {(e.layer, e.id): e.after for e in store.history()}[("projects", "P-FZ-01")]
        assert after["started_date"] == "2026-10-20" and after["funds_in_yi"] == 4.5
