"""The stages of matching as public functions: options and their value, problem rows, an injected solver, carving;
settings passed in (nothing in matching/ reads the configuration); derived data in geo.cache, keyed by settings."""
from __future__ import annotations

import ast
import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest
import shapely

from geo.cache import DerivedCache
from geo.settings import load_settings
from matching import HighsSolver, Prospect, Scenario, fit, match
from matching.instance import build_instance
from matching.options import FACTORY, LAND, build_options
from matching.place import place
from matching.problem import build_problem
from matching.scenario import scenario_workspace
from matching.sites import Carver, carve_sites
from tests.conftest import make_layers, parcel, validated_by
from tests.matching.test_matching_behaviour import reason_ws
from tests.matching.test_matching_support import make_ws

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

MATCHING = Path(__file__).resolve().parents[2] / "matching"


def test_matching_reads_no_configuration_and_writes_into_no_workspace():
    """No module of matching/ imports geo.config or calls setting()/get_config(), none touches ``__dict__``, and none
    is over 400 lines."""
    for path in sorted(MATCHING.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 400, path.name
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                mod = ("." * node.level) + (node.module or "")
                assert mod not in ("geo.config", "..geo.config") and not mod.endswith("config"), (path.name, mod)
                assert not (mod == "geo" and any(a.name == "config" for a in node.names)), path.name
            elif isinstance(node, ast.Import):
                assert all(a.name != "geo.config" for a in node.names), path.name
            elif isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                assert name not in ("setting", "get_config"), (path.name, node.lineno)
            elif isinstance(node, ast.Attribute):
                assert node.attr != "__dict__", (path.name, node.lineno)
    assert not (MATCHING / "engine.py").exists()


def test_value_formula_orders_ties_only(settings):
    """Option values are the priority plus a tie-break that sums, over all projects, below half the priority
    resolution; the preferred zone wins a tie, and a factory option beats land in its zone (the surplus bonus)."""
    zones = [("A", "纺织鞋服", [(("mu", 40), "available", None)]), ("B", "纺织鞋服", [(("mu", 40), "available", None)])]
    ws = make_ws(zones, [{"land_mu": 20, "floor_m2": 3000, "preferred_zone": "B", "priority": 2},
                         {"land_mu": 10, "priority": 1}],
                 [{"factory_id": "F1", "zone_id": "A", "vacant_m2": 5000.0, "status": "built"}])
    inst = build_instance(ws, ws.projects, settings)
    opts = build_options(inst)
    res = settings.matching.priority_resolution
    bonus = opts.value - inst.priority[opts.project]
    assert (bonus > 0).all()
    best = np.zeros(len(inst.pid))
    np.maximum.at(best, opts.project, bonus)
    assert best.sum() < res / 2
    first = opts.project == 0
    zone_of = inst.zone_names[opts.zone]
    land_a, land_b = (first & (opts.kind == LAND) & (zone_of == z) for z in ("A", "B"))
    assert opts.value[land_b].max() > opts.value[land_a].max()          # preferred zone B
    factory = first & (opts.kind == FACTORY)                       # in zone A, as snug as the land there
    assert opts.value[factory].max() > opts.value[land_a].max()
    # one formula: the options added later get the values the build gave them
    keys = opts.resource[land_a]
    again = opts.with_land(inst, np.zeros(len(keys), dtype=np.int64), keys)
    assert np.array_equal(again.value[len(opts):], opts.value[land_a])


def test_problem_rows_and_top_level_without_land(settings):
    """Factory-only projects: no land option, still a top level; the rows hold project and vacancy limits."""
    ws = make_ws([("A", "纺织鞋服", [(("mu", 40), "available", None)])], [{"floor_m2": 3000}, {"floor_m2": 3000}],
                 [{"factory_id": "F1", "zone_id": "A", "vacant_m2": 5000.0, "status": "built"}])
    inst = build_instance(ws, ws.projects, settings)
    opts = build_options(inst)
    problem = build_problem(inst, opts)
    assert (opts.kind == FACTORY).all() and problem.top_level == len(inst.model.levels) - 1
    assert problem.A.shape == (3, 2) and list(problem.rhs) == [1.0, 1.0, 5000.0]
    cut = problem.with_cuts([np.array([0, 1])])
    assert cut.A.shape == (4, 2) and cut.rhs[-1] == 1.0 and cut.row_pool[-1] == -1
    placements, sol = place(inst, HighsSolver.from_settings(settings.matching), 10)
    assert sol.status == "optimal" and len(placements) == 1


class Recording:
    """A solver that delegates to HiGHS and records the problems it was given."""

    def __init__(self, settings):
        self.inner, self.problems = HighsSolver.from_settings(settings.matching), []

    def solve(self, problem, time_limit, progress=None, prove=True):
        self.problems.append(problem)
        return self.inner.solve(problem, time_limit, progress, prove)


class NothingPlaced:
    """A solver that places nothing and says it could not prove anything."""

    def solve(self, problem, time_limit, progress=None, prove=True):
        from matching.solve import Solution
        ub = float(np.maximum(problem.value, 0).sum())
        return Solution(np.zeros(problem.n_options), "feasible", 0.0, ub, 0, 0.0)


def test_an_injected_solver_is_used_and_its_status_is_reported(settings):
    ws = reason_ws()
    rec = Recording(settings)
    result = match(ws, settings=settings, solver=rec, unlocks=True)
    assert rec.problems and all(p.A.shape[1] == len(p.value) for p in rec.problems)
    assert len(rec.problems) > 1                                   # the unlock re-runs use it too
    assert result.to_dict() == match(ws, settings=settings).to_dict()
    none = match(ws, settings=settings, solver=NothingPlaced(), unlocks=False)
    assert none.status == "feasible" and none.placed == [] and none.gap > 0
    assert len(none.unplaced) == len(ws.projects)


def test_carve_sites_is_the_one_carving_stage(settings):
    """carve_sites cuts the chosen options of a block tree together, or reports the set as uncarvable."""
    ws = make_ws([("A", "纺织鞋服", [(("mu", 40), "available", None), (("mu", 40), "available", None)])],
                 [{"land_mu": 25}, {"land_mu": 25}, {"land_mu": 25}, {"land_mu": 25}])
    inst = build_instance(ws, ws.projects, settings)
    opts = build_options(inst)
    top = build_problem(inst, opts).top_level
    carver = Carver(inst)
    three = np.array([np.flatnonzero(opts.project == p)[0] for p in range(3)])
    got = carve_sites(carver, opts, three, top)
    assert not got.failed and [pl.project_id for pl in got.placements] == ["P01", "P02", "P03"]
    sites = [pl.site for pl in got.placements]
    assert all(pl.site_mu >= 25 - 1e-6 and pl.site_wkt for pl in got.placements)
    assert max(shapely.area(shapely.intersection(a, b)) for a, b in itertools.combinations(sites, 2)) < 1.0
    four = np.array([np.flatnonzero(opts.project == p)[0] for p in range(4)])
    bad = carve_sites(carver, opts, four, top)                     # 4 × 25 亩 > 80 亩
    assert len(bad.failed) == 1 and sorted(bad.failed[0].tolist()) == sorted(four.tolist())


def test_settings_are_passed_in_and_key_the_derived_data(settings):
    """A setting changes the answer only through the Settings given; the committed placement of fit is derived
    once per settings in the cache the caller passes, and nothing is stored inside the workspace object."""
    cache = DerivedCache()
    ws = make_ws([("A", "纺织鞋服", [(("mu", 50), "available", None)])],
                 [{"project_id": "P-SIGNED", "land_mu": 40, "stage": "signed"}])
    p = Prospect(industry="纺织鞋服", need_mu=30)
    assert not fit(p, ws, settings=settings, cache=cache).fits
    assert fit(p, ws, settings=settings.with_matching(committed_stages=("started",)), cache=cache).fits
    keys = [k for k in cache.entries_for(ws) if k[0] == "matching.committed"]
    assert len(keys) == 2
    assert not [k for k in vars(ws) if "matching" in k]       # (the workspace's own lazy attributes aside)
    # a status-only scenario uses the touching pairs derived from its base; its copy keeps nothing
    ws2 = make_ws([("A", "纺织鞋服", [(("mu", 30), "available", None), (("mu", 30), "leveling", "2027-01-01")])],
                  [{"land_mu": 50}])
    assert not match(ws2, settings=settings, unlocks=False, cache=cache).placed
    before = cache.entries_for(ws2)
    pairs = [k for k in before if k[0] == "matching.pairs"]
    assert len(pairs) == 1
    copy, base = scenario_workspace(ws2, Scenario(cleared_parcels=("A-02",)), settings=settings)
    assert base is ws2 and copy is not ws2
    assert match(ws2, Scenario(cleared_parcels=("A-02",)), settings=settings, unlocks=False, cache=cache).placed
    assert [k for k in cache.entries_for(ws2) if k[0] == "matching.pairs"] == pairs
    assert cache.entries_for(ws2)[pairs[0]] is before[pairs[0]]


def test_a_coarser_touch_gap_is_its_own_land_model(settings):
    """Two values of touch_gap_m never share a cached land model: parcels 2 m apart are one block at 3 m."""
    from geo.workspace import build_workspace
    layers = make_layers(parcels=[parcel("A1", (0, 0, 100, 100)), parcel("A2", (102, 0, 202, 100))],
                         projects=[{"project_id": "P1", "name": "项目", "industry": "纺织鞋服", "land_mu": 25,
                                    "stage": "signed"}])
    ws, report = build_workspace(layers, source="test", **validated_by(SETTINGS))
    assert ws is not None, [str(i) for i in report.errors]
    wide = dataclasses.replace(settings, blocks=dataclasses.replace(settings.blocks, touch_gap_m=3.0))
    wide = wide.with_matching(touch_gap_m=3.0)
    cache = DerivedCache()
    assert not match(ws, settings=settings, unlocks=False, cache=cache).placed
    assert match(ws, settings=wide, unlocks=False, cache=cache).placed
    assert not match(ws, settings=settings, unlocks=False, cache=cache).placed
    assert len([k for k in cache.entries_for(ws) if k[0] == "matching.land"]) == 2


@pytest.mark.parametrize("name", ["match", "fit"])
def test_settings_are_required(name, sample_ws):
    with pytest.raises(TypeError):
        match(sample_ws) if name == "match" else fit(Prospect(industry="纺织鞋服", need_mu=10), sample_ws)
