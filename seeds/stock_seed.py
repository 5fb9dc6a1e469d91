"""Stock land (存量土地, issue 19) of a generated county: contracts and progress of the supplied parcels, approval
dates of some land not supplied, and a 亩均效益台账 (firms).

The sample county takes its cases from ``seeds.sample_data`` (STOCK_CASES …: at STOCK_AS_OF every stock class
appears); every other supplied parcel gets an ordinary contract, started and completed. A scaled-up county gets a
random mix of the classes, vectorised. Every draw comes from a child of the generator's ``rng`` spawned after the
rest of the county was drawn, so the county is otherwise what it was.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from seeds import sample_data as sd

STOCK_FIELDS = ("holder", "supplied_date", "agreed_start", "agreed_completion", "actual_start", "actual_completion",
                "price_wan", "developed_share", "invested_share", "halted_date", "gov_delay")
FIRM_COLUMNS = ("firm_id", "name", "parcel_ids", "year", "revenue_wan", "tax_wan", "energy_tce", "employees", "rd_wan")
_PLACES = np.array(["青东", "云台", "冉家坝", "桐溪", "龙州", "嘉川", "剑阁", "明月", "金泉", "白龙", "清江", "凤岭"])
_TRADES = {"纺织鞋服": ("鞋业", "服饰", "纺织", "鞋材"), "健康食品": ("食品", "生物科技", "饮品", "农产品加工"),
           "新能源电池": ("新能源", "电池材料", "储能科技", "锂电"), "其他": ("机械", "建材", "电子", "包装")}
# the generated counties' mix of stock classes among supplied parcels (the rest ordinary); shares are fictional
_MIX = {"normal": 0.86, "reclaimable": 0.015, "idle": 0.02, "halted": 0.01, "gov_delay": 0.005, "overdue": 0.015,
        "due_soon": 0.01, "completion_overdue": 0.02, "building": 0.045}
_DAY = np.timedelta64(1, "D")
_DATE_FIELDS = ("supplied_date", "agreed_start", "agreed_completion", "actual_start", "actual_completion",
                "halted_date", "approved_date")


def _days(rng, lo, hi, n):
    return rng.integers(lo, hi, n) * _DAY


def _holders(industries: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fictional holders: a place, a trade of the park's industry, 有限公司."""
    n = len(industries)
    trade = np.empty(n, dtype=object)
    pick = rng.integers(0, 4, n)
    for industry, words in _TRADES.items():
        sel = industries == industry
        trade[sel] = np.asarray(words, dtype=object)[pick[sel]]
    trade[pd.isna(trade)] = "实业"
    return _PLACES[rng.integers(0, len(_PLACES), n)].astype(object) + trade + "有限公司"


def _ordinary(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Contracts of 2010–2021, started about the agreed date and completed (1–2.5 years later)."""
    supplied = np.datetime64("2010-01-01") + _days(rng, 0, 12 * 365, n)
    agreed = supplied + _days(rng, 90, 270, n)
    started = agreed + _days(rng, -30, 120, n)
    return {"supplied_date": supplied, "agreed_start": agreed, "agreed_completion": agreed + _days(rng, 540, 1095, n),
            "actual_start": started, "actual_completion": started + _days(rng, 365, 900, n),
            "developed_share": np.ones(n), "invested_share": np.ones(n)}


def _mixed(kind: np.ndarray, as_of: np.datetime64, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Dates of each supplied parcel by its drawn kind, relative to ``as_of`` (vectorised per kind)."""
    n = len(kind)
    out = _ordinary(n, rng)
    halted = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    out = {k: v.astype("datetime64[ns]") if v.dtype.kind == "M" else v.astype(float) for k, v in out.items()}
    # days between the agreed start and as_of, per kind (not started unless said)
    spans = {"reclaimable": (800, 1600), "idle": (400, 700), "gov_delay": (400, 1200), "overdue": (10, 350),
             "due_soon": (-85, -5), "halted": (900, 1500), "completion_overdue": (1100, 1500), "building": (60, 500)}
    for name, (lo, hi) in spans.items():
        sel = kind == name
        k = int(sel.sum())
        if not k:
            continue
        agreed = as_of - _days(rng, lo, hi, k)
        out["agreed_start"][sel] = agreed
        out["supplied_date"][sel] = agreed - _days(rng, 120, 240, k)
        out["agreed_completion"][sel] = agreed + _days(rng, 720, 1000, k)
        started = name in ("halted", "completion_overdue", "building")
        out["actual_start"][sel] = agreed + _days(rng, 0, 40, k) if started else np.datetime64("NaT")
        out["actual_completion"][sel] = np.datetime64("NaT")
        share = {"halted": (0.05, 0.3), "completion_overdue": (0.6, 0.95), "building": (0.4, 0.9)}.get(name)
        out["developed_share"][sel] = rng.uniform(*share, k) if share else 0.0
        out["invested_share"][sel] = rng.uniform(*share, k) * 0.8 if share else 0.0
        if name == "halted":
            halted[sel] = as_of - _days(rng, 370, 700, k)
        if name == "completion_overdue":
            out["agreed_completion"][sel] = as_of - _days(rng, 30, 300, k)
    out["halted_date"] = halted
    out["gov_delay"] = (kind == "gov_delay").astype(float)
    return out


def add_stock(pf: pd.DataFrame, rng: np.random.Generator, sample: bool) -> pd.DataFrame:
    """``pf`` (the generator's parcels, with a planar ``area_mu`` and ``occupant``) with the stock fields (in place
    as well). ``sample``: the sample county's own cases (``seeds.sample_data``); else a random mix."""
    r = rng.spawn(1)[0]
    as_of = np.datetime64(sd.STOCK_AS_OF)
    supplied = (pf["status"] == "supplied").to_numpy()
    k = int(supplied.sum())
    industry = pf["zone_id"].map({z: i.split(";")[0] for z, _, i, *_ in sd.ZONES}).fillna("其他").to_numpy()
    if sample:
        dates = {f: v.astype("datetime64[ns]") if v.dtype.kind == "M" else v for f, v in _ordinary(k, r).items()}
    else:
        names = np.array(list(_MIX))
        dates = _mixed(r.choice(names, k, p=np.array(list(_MIX.values()))), as_of, r)
    dates.setdefault("gov_delay", np.zeros(k))
    for f in STOCK_FIELDS:
        pf[f] = pd.Series([None] * len(pf), index=pf.index, dtype=object) if f == "holder" else \
            pd.Series(pd.NaT if f in _DATE_FIELDS else np.nan, index=pf.index)
    for f, values in dates.items():
        pf.loc[supplied, f] = values
    holders = _holders(industry[supplied], r)
    occupant = pf.loc[supplied, "occupant"].to_numpy()
    pf.loc[supplied, "holder"] = np.where(pd.isna(occupant), holders, occupant)
    pf.loc[supplied, "price_wan"] = np.round(pf.loc[supplied, "area_mu"].to_numpy() * r.uniform(8, 16, k), 0)
    pf["approved_date"] = pd.NaT
    if sample:
        _sample_cases(pf)
    else:
        rest = np.flatnonzero(~supplied & (r.random(len(pf)) < 0.12))
        pf.loc[pf.index[rest], "approved_date"] = as_of - _days(r, 60, 1800, len(rest))
    for f in _DATE_FIELDS:
        pf[f] = pd.to_datetime(pf[f])
    pf["gov_delay"] = pf["gov_delay"].astype(float).astype("Int64")
    return pf


def _sample_cases(pf: pd.DataFrame) -> None:
    for pid, values in sd.STOCK_CASES.items():
        row = pf.index[pf["parcel_id"] == pid]
        for f, v in zip(STOCK_FIELDS, values):
            pf.loc[row, f] = pd.Timestamp(v) if f in _DATE_FIELDS and v else v
    for _, name, ids, *_ in sd.STOCK_FIRMS[::-1]:          # a parcel's first firm holds it (the report's kept)
        on = pf["parcel_id"].isin(ids.split(";")) & pf["occupant"].isna()
        pf.loc[on, "holder"] = name
    old = pf["parcel_id"].isin(sd.OLD_LAND_WITHOUT_DATES)
    pf.loc[old, [f for f in STOCK_FIELDS if f != "holder"]] = None
    for pid, day in sd.APPROVED_DATES.items():
        pf.loc[pf["parcel_id"] == pid, "approved_date"] = pd.Timestamp(day)


def firms_table(pf: pd.DataFrame, rng: np.random.Generator, sample: bool) -> pd.DataFrame:
    """The 亩均效益台账: the sample's own firms, or one firm on about 60 % of a generated county's completed
    supplied parcels with per-亩 figures drawn around plausible county values (a few very low: D candidates)."""
    if sample:
        rows = [(fid, name, ids, sd.STOCK_FIRMS_YEAR, rev, tax, tce, emp, rd)
                for fid, name, ids, rev, tax, tce, emp, rd in sd.STOCK_FIRMS]
        return pd.DataFrame(rows, columns=list(FIRM_COLUMNS))
    r = rng.spawn(1)[0]
    done = pf["actual_completion"].notna().to_numpy() & (r.random(len(pf)) < 0.6)
    sub = pf[done]
    n = len(sub)
    mu = sub["area_mu"].to_numpy()
    revenue_per_mu = r.lognormal(np.log(250), 0.6, n)
    revenue = np.round(mu * revenue_per_mu, 0)
    tax = np.round(revenue * r.uniform(0.015, 0.05, n), 1)
    return pd.DataFrame({
        "firm_id": [f"QY-{i:06d}" for i in range(n)], "name": sub["holder"].to_numpy(),
        "parcel_ids": sub["parcel_id"].to_numpy(), "year": sd.STOCK_FIRMS_YEAR, "revenue_wan": revenue,
        "tax_wan": tax, "energy_tce": np.round(revenue / r.uniform(3, 12, n), 0),
        "employees": np.maximum(5, np.round(mu * r.uniform(3, 12, n))).astype(int),
        "rd_wan": np.round(revenue * r.uniform(0, 0.04, n), 1)})
