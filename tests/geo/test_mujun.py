"""亩均效益 grading (geo/mujun.py, issue 19): shared land, indicators, scores against a hand computation, grades
by rank against a plain sort, ungraded firms, fixed benchmarks, the D-grade firms' parcels."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from geo.mujun import INDICATORS, firm_land_mu, grade_firms, grades_by_rank, parcels_of_grade
from geo.settings import load_settings

MUJUN = load_settings().mujun


def firms_table(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    return frame.set_index("firm_id", drop=False).rename_axis(None)


def test_land_of_a_shared_parcel_is_split_among_its_firms():
    firms = firms_table([{"firm_id": "F1", "parcel_ids": "A; B"}, {"firm_id": "F2", "parcel_ids": "B"},
                         {"firm_id": "F3", "parcel_ids": "B;C;"}, {"firm_id": "F4", "parcel_ids": ""}])
    area = pd.Series({"A": 30.0, "B": 60.0, "C": 9.0})
    land = firm_land_mu(firms, area)
    assert land.to_dict() == pytest.approx({"F1": 50.0, "F2": 20.0, "F3": 29.0, "F4": 0.0})
    assert land.name == "land_mu" and land.sum() == pytest.approx(area.sum())


def test_scores_and_indicators_by_hand():
    firms = firms_table([
        {"firm_id": "F1", "name": "甲", "parcel_ids": "A", "revenue_wan": 10000.0, "tax_wan": 500.0,
         "energy_tce": 1000.0, "employees": 100, "rd_wan": 300.0},
        {"firm_id": "F2", "name": "乙", "parcel_ids": "B", "revenue_wan": 2000.0, "tax_wan": 40.0,
         "energy_tce": 0.0, "employees": 50, "rd_wan": 0.0},
        {"firm_id": "F3", "name": "丙", "parcel_ids": "C", "revenue_wan": 6000.0, "tax_wan": 300.0,
         "energy_tce": 600.0, "employees": 60, "rd_wan": 120.0}])
    area = pd.Series({"A": 50.0, "B": 40.0, "C": 30.0})
    got = grade_firms(firms, area, MUJUN)
    assert list(got.columns) == ["land_mu", *INDICATORS, "score", "grade"]
    assert got.loc["F1", "tax_per_mu"] == pytest.approx(10.0)
    assert got.loc["F3", "revenue_per_energy"] == pytest.approx(10.0)
    assert np.isnan(got.loc["F2", "revenue_per_energy"])         # no energy figure: not divided by 0
    assert got.loc["F1", "rd_intensity"] == pytest.approx(3.0)
    # by hand: each indicator ÷ the median of the three, capped at 2, weighted, weights scaled to 100
    ind = got[list(INDICATORS)]
    bench = ind.median()
    w = pd.Series(dict(MUJUN.weights))
    want = (ind / bench).clip(upper=MUJUN.score_cap).fillna(0.0).mul(w).sum(axis=1) * 100 / w.sum()
    assert got["score"].to_numpy() == pytest.approx(want.to_numpy())
    assert got["grade"].tolist() == ["B", "D", "C"]   # 3 firms: ⌊0.6⌋ = 0 A, ⌊1.8⌋ = 1 B, ⌊2.85⌋ = 2 → 1 C, 1 D


def test_grades_by_rank_against_a_plain_sort():
    rng = np.random.default_rng(3)
    shares = dict(MUJUN.grade_shares)
    for n in list(range(1, 41)) + [97, 200]:
        score = pd.Series(rng.integers(0, 50, n).astype(float), index=[f"F{i:03d}" for i in range(n)])
        graded = pd.Series(rng.random(n) > 0.1, index=score.index)
        got = grades_by_rank(score, graded, shares)
        order = sorted(score[graded].index, key=lambda f: (-score[f], f))     # equal scores in firm order
        m = len(order)
        cut_a, cut_b, cut_c = int(0.2 * m + 1e-9), int(0.6 * m + 1e-9), int(0.95 * m + 1e-9)
        want = {f: "A" if i < cut_a else "B" if i < cut_b else "C" if i < cut_c else "D" for i, f in enumerate(order)}
        assert got[graded].to_dict() == want, n
        assert got[~graded].isna().all()
        if m:
            assert (got == "D").sum() >= max(1, int(np.ceil(0.05 * m - 1e-9)))    # D keeps at least its 5 %


def test_small_firms_are_not_graded_and_fixed_benchmarks():
    firms = firms_table([{"firm_id": f"F{i}", "name": str(i), "parcel_ids": f"P{i}", "revenue_wan": 1000.0 * (i + 1),
                          "tax_wan": 50.0 * (i + 1), "energy_tce": 100.0, "employees": 10, "rd_wan": 10.0}
                         for i in range(5)])
    area = pd.Series({"P0": 2.0, "P1": 10.0, "P2": 10.0, "P3": 10.0, "P4": 10.0})
    got = grade_firms(firms, area, MUJUN)
    assert pd.isna(got.loc["F0", "grade"]) and np.isnan(got.loc["F0", "score"])     # 2 亩 < min_land_mu
    assert got.loc["F0", "tax_per_mu"] == pytest.approx(25.0)                      # still reported
    fixed = dataclasses.replace(MUJUN, benchmark="fixed", benchmarks={"tax_per_mu": 10.0})
    f = grade_firms(firms, area, fixed)
    base = grade_firms(firms, area, MUJUN)
    w = dict(MUJUN.weights)
    # only the tax indicator moves: F1 pays 10 万元/亩 = the fixed benchmark (score 1) against the median 17.5 of
    # the graded F1–F4 (10, 15, 20, 25: F0's 25 on 2 亩 is not in the benchmark)
    delta = (1.0 - 10.0 / 17.5) * w["tax_per_mu"] * 100 / sum(w.values())
    assert f.loc["F1", "score"] - base.loc["F1", "score"] == pytest.approx(delta)
    with pytest.raises(ValueError, match="benchmark"):
        grade_firms(firms, area, dataclasses.replace(MUJUN, benchmark="mean"))


def test_parcels_of_d_grade_firms():
    firms = firms_table([{"firm_id": "F1", "parcel_ids": "A;B"}, {"firm_id": "F2", "parcel_ids": "C"},
                         {"firm_id": "F3", "parcel_ids": "B"}])
    grades = pd.Series({"F1": "D", "F2": "A", "F3": "D"})
    assert sorted(parcels_of_grade(firms, grades)) == ["A", "B"]
    assert list(parcels_of_grade(firms, grades, "B")) == []
