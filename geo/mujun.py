"""亩均效益评价 (亩均论英雄): each firm's per-亩 indicators on the land LandGap computes, a weighted score against a
benchmark, and grades A/B/C/D by rank of score (the ``[mujun]`` section of config/landgap.toml; docs/standards.md
§15).

Pure functions over the firms table (``geo.schema.FIRMS``) and the parcels' ellipsoidal area: no I/O. The land of a
parcel held by several firms is shared equally among them, as the evaluations share a 共用宗地.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from geo.vocab import FIRM_GRADES

INDICATORS: tuple[str, ...] = ("tax_per_mu", "revenue_per_mu", "revenue_per_employee", "revenue_per_energy",
                               "rd_intensity")
"""亩均税收（万元/亩）, 亩均营收（万元/亩）, 人均营收（万元/人）, 单位能耗营收（万元/吨标煤）, 研发投入强度（%）."""


def split_parcel_ids(text: pd.Series) -> pd.Series:
    """A firm's ``parcel_ids`` (``;``-separated; ；、，, as a ledger writes them are read too) as one row per
    (firm, parcel): the index repeated, values stripped, empty pieces dropped."""
    pieces = text.fillna("").astype(str).str.replace(r"[；、，,]", ";", regex=True).str.split(";").explode().str.strip()
    return pieces[pieces != ""]


def firm_land_mu(firms: pd.DataFrame, parcel_area_mu: pd.Series) -> pd.Series:
    """Land per firm (亩), ``land_mu``: the area of each of its parcels divided by the number of firms on that
    parcel. Parcels not in ``parcel_area_mu`` count 0 (validation refuses them on load)."""
    pairs = split_parcel_ids(firms["parcel_ids"]) if len(firms) else pd.Series([], dtype=object)
    if pairs.empty:
        return pd.Series(0.0, index=firms.index, name="land_mu")
    sharing = pairs.map(pairs.value_counts())
    share = pairs.map(parcel_area_mu).astype(float).fillna(0.0) / sharing
    return share.groupby(level=0).sum().reindex(firms.index, fill_value=0.0).rename("land_mu")


def firm_indicators(firms: pd.DataFrame, land_mu: pd.Series) -> pd.DataFrame:
    """The five indicators per firm (NaN where a denominator is 0 or missing), columns ``INDICATORS``."""
    def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
        num, den = pd.to_numeric(num, errors="coerce").astype(float), pd.to_numeric(den, errors="coerce").astype(float)
        return num.where(den > 0) / den.where(den > 0)

    revenue = firms["revenue_wan"]
    return pd.DataFrame({
        "tax_per_mu": ratio(firms["tax_wan"], land_mu),
        "revenue_per_mu": ratio(revenue, land_mu),
        "revenue_per_employee": ratio(revenue, firms["employees"]),
        "revenue_per_energy": ratio(revenue, firms["energy_tce"]),
        "rd_intensity": ratio(firms["rd_wan"], revenue) * 100.0,
    }, index=firms.index)


def benchmarks(indicators: pd.DataFrame, graded: pd.Series, kind: str, fixed: Mapping[str, float]) -> pd.Series:
    """The benchmark of each indicator: the median over the graded firms (``kind`` "median"), or ``fixed`` values
    ("fixed"; an indicator without one falls back to the median)."""
    median = indicators[graded].median()
    if kind == "median":
        return median
    if kind != "fixed":
        raise ValueError(f"[mujun] benchmark 应为 median 或 fixed（现为 {kind}）")
    return pd.Series({k: float(fixed[k]) if k in fixed else median[k] for k in indicators.columns})


def scores(indicators: pd.DataFrame, bench: pd.Series, weights: Mapping[str, float], cap: float) -> pd.Series:
    """Σ weight × min(value ÷ benchmark, cap), scaled so that the weights sum to 100 (a firm at every benchmark
    scores 100). A missing value, or an indicator whose benchmark is not positive, scores 0."""
    w = pd.Series({k: float(weights.get(k, 0.0)) for k in indicators.columns})
    b = bench.reindex(indicators.columns).astype(float)
    usable = b > 0
    rel = indicators.loc[:, usable].div(b[usable]).clip(upper=cap).fillna(0.0)
    total = float(w.sum())
    return (rel.mul(w[usable]).sum(axis=1) * (100.0 / total if total > 0 else 0.0)).rename("score")


def grades_by_rank(score: pd.Series, graded: pd.Series, shares: Mapping[str, float]) -> pd.Series:
    """Grades by rank of score among the graded firms (best first; equal scores in firm order): the first
    ⌊cum share × n⌋ ranks get the first grade and so on, so the last grade keeps at least its share (D ≥ 5 %).
    Firms not graded get None."""
    out = pd.Series(None, index=score.index, dtype=object, name="grade")
    ranked = score[graded].sort_values(ascending=False, kind="mergesort")
    n = len(ranked)
    if n == 0:
        return out
    cum = np.cumsum([float(shares.get(g, 0.0)) for g in FIRM_GRADES])
    if cum[-1] <= 0:
        raise ValueError("[mujun] grade_shares 之和应大于 0")
    bounds = np.floor(cum / cum[-1] * n + 1e-9).astype(int)
    bounds[-1] = n
    grade_at = np.searchsorted(bounds, np.arange(n), side="right")
    out[ranked.index] = np.asarray(FIRM_GRADES, dtype=object)[grade_at]
    return out


def grade_firms(firms: pd.DataFrame, parcel_area_mu: pd.Series, settings) -> pd.DataFrame:
    """Per firm: ``land_mu``, the ``INDICATORS``, ``score`` and ``grade`` (None for firms on less land than
    ``settings.min_land_mu``: not graded). ``settings``: a ``geo.settings.MujunSettings``."""
    land = firm_land_mu(firms, parcel_area_mu)
    ind = firm_indicators(firms, land)
    graded = land >= float(settings.min_land_mu)
    bench = benchmarks(ind, graded, settings.benchmark, settings.benchmarks)
    score = scores(ind, bench, settings.weights, float(settings.score_cap))
    grade = grades_by_rank(score, graded, settings.grade_shares)
    return pd.concat([land, ind, score.where(graded), grade], axis=1)


def parcels_of_grade(firms: pd.DataFrame, grades: pd.Series, grade: str = "D") -> pd.Index:
    """The parcels held (in whole or in part) by a firm of ``grade``: the land of D-grade firms is the first
    candidate for 低效用地再开发."""
    pairs = split_parcel_ids(firms.loc[grades[grades == grade].index, "parcel_ids"]) if len(firms) else pd.Series()
    return pd.Index(pairs.unique())
