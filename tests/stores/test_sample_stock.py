"""The sample county's stock land (issue 19): at STOCK_AS_OF every stock class appears, by the rules of
《闲置土地处置办法》 applied row by row here (an independent reference, not geo.stock), and its firms ledger has one
firm yielding least per 亩 by far (the D grade's 低效用地)."""
from __future__ import annotations

import pandas as pd

from seeds import sample_data as sd

CLASSES = ("gov_delay", "reclaimable", "idle", "overdue", "due_soon", "completion_overdue", "low_efficiency",
           "approved_unsupplied", "normal")


def _years_after(day, n):
    return day + pd.DateOffset(years=n)


def reference_class(p: pd.Series, as_of: pd.Timestamp, d_parcels: set[str]) -> str:
    """The first class that applies, in the issue's order (plain Python, one parcel)."""
    supplied = p["status"] == "supplied"
    agreed, started = p["agreed_start"], p["actual_start"]
    idle_by_dates = reclaim_by_dates = False
    if supplied and pd.notna(agreed) and pd.isna(started):
        idle_by_dates = _years_after(agreed, 1) <= as_of
        reclaim_by_dates = _years_after(agreed, 2) <= as_of
    if supplied and pd.notna(started) and pd.notna(p["halted_date"]) and pd.isna(p["actual_completion"]) and (
            p["developed_share"] < 1 / 3 or p["invested_share"] < 0.25):
        idle_by_dates |= _years_after(p["halted_date"], 1) <= as_of
        reclaim_by_dates |= _years_after(p["halted_date"], 2) <= as_of
    if idle_by_dates and p["gov_delay"] == 1:
        return "gov_delay"
    if reclaim_by_dates:
        return "reclaimable"
    if idle_by_dates:
        return "idle"
    if supplied and pd.notna(agreed) and pd.isna(started):
        if agreed < as_of:
            return "overdue"
        if (agreed - as_of).days <= 90:
            return "due_soon"
    if supplied and pd.notna(started) and pd.isna(p["actual_completion"]) and pd.notna(p["agreed_completion"]) \
            and p["agreed_completion"] < as_of:
        return "completion_overdue"
    if p["parcel_id"] in d_parcels:
        return "low_efficiency"
    if not supplied and pd.notna(p["approved_date"]) and _years_after(p["approved_date"], 2) <= as_of:
        return "approved_unsupplied"
    return "normal"


def _worst_firm(firms: pd.DataFrame, parcels: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    owners = firms["parcel_ids"].str.split(";").explode()
    share = owners.map(owners.value_counts())                 # a parcel shared by k firms: 1/k each
    land = (owners.map(parcels["area_mu"]) / share).groupby(level=0).sum()
    per_mu = pd.DataFrame({"tax": firms["tax_wan"] / land, "revenue": firms["revenue_wan"] / land})
    return per_mu["tax"].idxmin(), per_mu


def test_every_stock_class_appears_in_the_sample_county(sample_ws):
    as_of = pd.Timestamp(sd.STOCK_AS_OF)
    worst, _ = _worst_firm(sample_ws.firms, sample_ws.parcels)
    d_parcels = set(sample_ws.firms.at[worst, "parcel_ids"].split(";"))
    classes = sample_ws.parcels.apply(reference_class, axis=1, args=(as_of, d_parcels))
    counts = classes.value_counts()
    assert set(counts.index) == set(CLASSES), counts
    assert counts["normal"] > 150                                  # most land is ordinary
    for pid, expected in {"RJB-005-9": "reclaimable", "JKSP-008-1": "idle", "RJB-007-9": "gov_delay",
                          "TX-008-4": "due_soon", "QDB-016-2": "completion_overdue", "LZ-014-1": "low_efficiency",
                          "QDB-019-1": "approved_unsupplied", "QDB-012-1": "normal"}.items():
        assert classes[pid] == expected, pid
    # nothing the existing tests rely on moved: statuses and ready dates are the generator's own
    assert sample_ws.parcels["ready_date"].notna().sum() == sample_ws.parcels["status"].isin(
        ("leveling", "demolition")).sum()


def test_the_firms_ledger_sits_on_supplied_land_and_one_firm_is_clearly_worst(sample_ws):
    firms, parcels = sample_ws.firms, sample_ws.parcels
    assert 18 <= len(firms) <= 25 and firms["firm_id"].is_unique
    on = firms["parcel_ids"].str.split(";").explode()
    assert on.isin(parcels.index).all() and (parcels.loc[on, "status"] == "supplied").all()
    worst, per_mu = _worst_firm(firms, parcels)
    assert firms.at[worst, "parcel_ids"] == "LZ-014-1"
    others = per_mu.drop(index=worst)
    assert per_mu.at[worst, "tax"] * 5 < others["tax"].min()
    assert per_mu.at[worst, "revenue"] * 5 < others["revenue"].min()
    # every supplied parcel with a contract has a holder; the report's firms hold their own parcels
    dated = parcels["agreed_start"].notna()
    assert parcels.loc[dated, "holder"].notna().all()
    assert parcels.at["QDB-001-1", "holder"] == "鸿星尔克"


def test_a_generated_county_has_every_stock_class_too():
    from seeds.generator import generate_workspace
    ws = generate_workspace(parcels=3000, projects=60, seed=1)
    as_of = pd.Timestamp(sd.STOCK_AS_OF)
    classes = ws.parcels.apply(reference_class, axis=1, args=(as_of, set()))
    assert {"gov_delay", "reclaimable", "idle", "overdue", "due_soon", "completion_overdue",
            "approved_unsupplied", "normal"} <= set(classes)
    assert len(ws.firms) > 100 and ws.firms["parcel_ids"].isin(ws.parcels.index).all()
    assert not ws.report.errors


def test_the_steep_land_read_at_load_covers_every_parcel_a_stock_action_could_offer(sample_ws, settings):
    """geo.netland.candidates holds the supplied land a stock action could take back at any date, so a scenario
    that clears a stock parcel finds its steep land already read (no 坡度超限用地未按当前地块读取)."""
    import dataclasses

    from geo.netland import candidates, workspace_net
    from geo.stock import classify_workspace
    actionable = {"reclaimable", "idle", "gov_delay", "low_efficiency"}
    for day in ("2024-06-01", sd.STOCK_AS_OF, "2029-01-01"):
        cls = classify_workspace(sample_ws, pd.Timestamp(day), settings)["stock_class"]
        assert set(cls.index[cls.isin(actionable)]) <= set(candidates(sample_ws).index), day
    cleared = sample_ws.parcels.copy()
    cleared.loc[["RJB-005-9", "LZ-014-1"], "status"] = "available"        # as a plan's scenario clears them
    scenario = dataclasses.replace(sample_ws, parcels=cleared)
    net = workspace_net(scenario, settings)                                # raises if the steep land were stale
    assert {"RJB-005-9", "LZ-014-1"} <= set(net.net_mu.index)
    assert (net.net_mu[["RJB-005-9", "LZ-014-1"]] <= net.gross_mu[["RJB-005-9", "LZ-014-1"]] + 1e-9).all()
