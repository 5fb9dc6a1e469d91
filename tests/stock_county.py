"""A county with stock land for the app, map and briefing tests of issue 19: the sample county's parcels given
random contract dates and progress (``tests.geo.test_stock.random_parcels``, clustered on the anniversaries of
``AS_OF``) made consistent as the load checks ask (contracted start not after completion, completion not before
start), a holder each, and a firms ledger (one firm per supplied parcel, revenue rising with the firm), written to a
GeoPackage — so every class appears at ``AS_OF`` whatever the sample county itself holds."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from stores.gpkg_file import save_workspace
from tests.geo.test_stock import AS_OF, random_parcels

__all__ = ["AS_OF", "stock_path"]


def stock_layers(sample_ws) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(parcels without their computed areas, firms) of the stock county."""
    p = sample_ws.parcels
    dates = random_parcels(len(p), 11).set_index(p.index).drop(columns="status")
    late = dates["agreed_start"] > dates["agreed_completion"]
    dates.loc[late, "agreed_completion"] = dates.loc[late, "agreed_start"] + pd.DateOffset(years=2)
    early = dates["actual_completion"] < dates["actual_start"]
    dates.loc[early, "actual_completion"] = pd.NaT
    parcels = p.drop(columns=[c for c in dates.columns if c in p.columns]).join(dates)
    parcels["supplied_date"] = pd.NaT
    parcels["holder"] = [f"企业{i}" for i in range(len(p))]
    supplied = list(parcels.index[parcels["status"] == "supplied"])
    firms = pd.DataFrame([{"firm_id": f"F{i:02d}", "name": f"企业{i}", "parcel_ids": pid, "year": 2025,
                           "revenue_wan": 500.0 * (i + 1), "tax_wan": 20.0 * (i + 1), "energy_tce": 100.0,
                           "employees": 20 + i, "rd_wan": 5.0 * i} for i, pid in enumerate(supplied)])
    return parcels.drop(columns=["area_mu", "net_mu"]), firms


@pytest.fixture(scope="module")
def stock_path(sample_ws, tmp_path_factory):
    """(path of the stock county's GeoPackage, the workspace as it was saved)."""
    parcels, firms = stock_layers(sample_ws)
    ws = sample_ws.with_layers(parcels=parcels, firms=firms)
    path = tmp_path_factory.mktemp("stock_county") / "county.gpkg"
    save_workspace(dataclasses.replace(ws, path=None), path)
    return path, ws
