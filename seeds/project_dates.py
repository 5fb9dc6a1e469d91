"""The sample county's project lifecycle (签约 … 到位资金, issue 21): its own projects' dates from
``seeds.sample_data.PROJECT_DATES``, generated ones dated across 2025–2026."""
from __future__ import annotations

import numpy as np
import pandas as pd

from seeds import sample_data as sd

_DATE_FIELDS = ("signed_date", "agreed_start", "started_date", "production_date", "funds_in_yi", "event")


def with_dates(table: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The lifecycle columns (签约 … 到位资金): the sample's own from ``sd.PROJECT_DATES``; generated projects that
    are signed or started get dates in 2025–2026 from a child of ``rng`` (spawned after every other draw, so the
    rest of the county is what it was)."""
    own = pd.DataFrame.from_dict(sd.PROJECT_DATES, orient="index", columns=list(_DATE_FIELDS))
    extra = table["project_id"].str.startswith("P-X") & table["stage"].isin(["signed", "started"])
    if extra.any():
        r = rng.spawn(1)[0]
        k, started = int(extra.sum()), (table.loc[extra, "stage"] == "started").to_numpy()
        day0, end = pd.Timestamp("2025-01-01"), pd.Timestamp("2026-11-30")
        signed = day0 + pd.to_timedelta(r.integers(0, (end - day0).days, k), unit="D")
        start = signed + pd.to_timedelta(r.integers(30, 300, k), unit="D")
        start = start.where(start <= end, end)
        made = start + pd.to_timedelta(r.integers(120, 400, k), unit="D")
        inv = table.loc[extra, "investment_yi"].to_numpy()
        gen = pd.DataFrame({
            "signed_date": signed.strftime("%Y-%m-%d"),
            "agreed_start": (signed + pd.to_timedelta(r.integers(60, 270, k), unit="D")).strftime("%Y-%m-%d"),
            "started_date": np.where(started, start.strftime("%Y-%m-%d"), None),
            "production_date": np.where(started & (made <= end) & (r.random(k) < 0.5),
                                        made.strftime("%Y-%m-%d"), None),
            "funds_in_yi": np.round(inv * np.where(started, r.uniform(0.3, 0.9, k), r.uniform(0.0, 0.3, k)), 2),
            "event": np.where(r.random(k) < 0.4, r.choice(sd.SIGNING_EVENTS, k), None),
        }, index=table.loc[extra, "project_id"].to_numpy())
        own = pd.concat([own, gen])
    dates = own.reindex(table["project_id"].to_numpy())
    for col in _DATE_FIELDS:
        table[col] = dates[col].to_numpy()
    for col in _DATE_FIELDS[:4]:
        table[col] = pd.to_datetime(table[col])
    return table
