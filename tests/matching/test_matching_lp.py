"""The LP relaxation of the large path: HiGHS' primal simplex against scipy's linprog as the reference, the dual
bound valid for any prices, nothing printed (the CLI's --json output), and a coarser bound when the LP is cut short."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import random as sparse_random

import matching.solve as solve_module
from matching import match
from matching.solve import LPRelaxation, dual_bound, lp_relaxation
from seeds.generator import generate_workspace
from tests.matching.test_matching_behaviour import check_invariants


def random_lp(seed: int, rows: int = 40, cols: int = 120):
    rng = np.random.default_rng(seed)
    A = sparse_random(rows, cols, density=0.1, random_state=seed, data_rvs=lambda n: rng.uniform(1, 10, n)).tocsr()
    return A, rng.uniform(5, 30, rows), rng.uniform(0.5, 3, cols)


@pytest.mark.parametrize("seed", range(5))
def test_lp_relaxation_equals_linprog_and_its_bound_holds_for_any_prices(seed, capfd):
    A, rhs, value = random_lp(seed)
    ref = -linprog(-value, A_ub=A, b_ub=rhs, bounds=(0, 1), method="highs").fun
    got = lp_relaxation(A, rhs, value, 30)
    assert got.status == "Optimal"
    assert np.all(A @ got.x <= rhs + 1e-7) and np.all((got.x >= 0) & (got.x <= 1))
    assert value @ got.x == pytest.approx(ref, rel=1e-7)
    assert ref - 1e-7 <= got.bound == pytest.approx(ref, rel=1e-6)
    rng = np.random.default_rng(seed)
    for _ in range(20):                                    # weak duality: any prices y ≥ 0 give an upper bound
        assert dual_bound(A, rhs, value, rng.exponential(0.2, A.shape[0])) >= ref - 1e-9
    assert capfd.readouterr().out == ""


def test_a_cut_short_lp_still_gives_a_valid_useful_bound(settings, monkeypatch):
    """When the pooled LP finds nothing in its time (a loaded machine), the bound comes from the coarser model with
    every land option pooled to its zone: still not below the proven optimum, and far below the sum of values."""
    ws = generate_workspace(parcels=1500, projects=150, seed=5)
    exact = match(ws, unlocks=False, settings=settings)
    real, calls = solve_module.lp_relaxation, []

    def cut_short(A, rhs, value, time_limit):
        calls.append(A.shape)
        if len(calls) == 1:
            return LPRelaxation(None, np.zeros(A.shape[0]), float(np.maximum(value, 0).sum()), "Time limit reached")
        return real(A, rhs, value, time_limit)
    monkeypatch.setattr(solve_module, "lp_relaxation", cut_short)
    large = match(ws, unlocks=False, time_limit=20, settings=settings.with_matching(large_options=0))
    assert len(calls) == 2 and calls[1][1] < calls[0][1]          # the coarse model is the smaller one
    check_invariants(ws, large)
    assert large.status == "feasible"
    assert exact.placed_priority - 1e-6 <= large.bound <= float(ws.projects["priority"].sum())
