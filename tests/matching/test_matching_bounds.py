"""Bounded engine work (issue 22 item 8): an over-dense parcel is simplified for the engine within the survey
tolerance, and ``fit``/``match`` stop at their time limit with a status that says so."""
from __future__ import annotations

import time

import numpy as np
import shapely

from geo.settings import load_settings
from geo.units import M2_PER_MU
from geo.workspace import build_workspace
from matching import Prospect, fit, match
from matching.bounds import SimplifyRule, engine_geometry
from tests.conftest import X0, Y0, make_layers, validated_by

SETTINGS = load_settings()
W, H = 400.0, 250.0                     # a 150 亩 parcel


def sawtooth(n: int, amplitude: float):
    """A W × H rectangle whose bottom edge is a sawtooth of ``n`` teeth (``amplitude`` m): ~2n vertices that no
    simplification within 5 cm removes."""
    x = np.linspace(X0, X0 + W, 2 * n + 1)
    y = Y0 + np.where(np.arange(len(x)) % 2 == 1, -amplitude, 0.0)
    return shapely.Polygon(np.r_[np.c_[x, y], [[X0 + W, Y0 + H], [X0, Y0 + H]]])


def dense_box(n: int):
    """The W × H rectangle with ``n`` vertices on its outline (collinear: the same land)."""
    return shapely.segmentize(shapely.box(X0, Y0, X0 + W, Y0 + H), 2 * (W + H) / n)


def workspace(geom, projects=None):
    layers = make_layers([{"parcel_id": "P1", "zone_id": "Z1", "status": "available", "geometry": geom}],
                         projects=projects)
    ws, report = build_workspace(layers, source="test", **validated_by(SETTINGS))
    assert ws is not None, [str(i) for i in report.errors]
    return ws


def test_only_over_dense_geometries_are_simplified_within_the_area_bound():
    rule = SimplifyRule.from_settings(SETTINGS.matching)
    plain, dense = shapely.box(0, 0, 100, 100), dense_box(200_000)
    out, done = engine_geometry(np.array([plain, dense], dtype=object), rule)
    assert out[0] is plain and done.tolist() == [1]
    assert shapely.get_num_coordinates(out[1]) <= 10
    assert abs(shapely.area(out[1]) - shapely.area(dense)) <= SETTINGS.matching.engine_simplify_max_mu * M2_PER_MU
    assert shapely.hausdorff_distance(out[1], dense) <= SETTINGS.matching.engine_simplify_max_m
    # a jagged outline keeps its teeth: the area bound forbids more
    jag = sawtooth(100_000, 0.5)
    out, _ = engine_geometry(np.array([jag], dtype=object), rule)
    assert abs(shapely.area(out[0]) - shapely.area(jag)) <= SETTINGS.matching.engine_simplify_max_mu * M2_PER_MU
    assert shapely.get_num_coordinates(out[0]) > rule.max_vertices


def test_a_dense_parcel_gives_the_same_fit_as_the_plain_one_quickly():
    prospect = Prospect(industry="纺织鞋服", need_mu=60.0)
    t0 = time.perf_counter()
    dense = fit(prospect, workspace(dense_box(200_000)), settings=SETTINGS, time_limit=30)
    seconds = time.perf_counter() - t0
    plain = fit(prospect, workspace(shapely.box(X0, Y0, X0 + W, Y0 + H)), settings=SETTINGS)
    assert dense.status == plain.status == "complete" and dense.fits
    assert [(c.parcel_ids, round(c.area_mu, 4)) for c in dense.candidates] == \
        [(c.parcel_ids, round(c.area_mu, 4)) for c in plain.candidates]
    assert seconds < 20


def test_fit_on_a_200k_vertex_parcel_stops_at_its_time_limit_and_says_so():
    ws = workspace(sawtooth(100_000, 0.5))
    t0 = time.perf_counter()
    result = fit(Prospect(industry="纺织鞋服", need_mu=60.0), ws, settings=SETTINGS, time_limit=1.0)
    seconds = time.perf_counter() - t0
    assert result.status == "timeout" and result.to_dict()["status"] == "timeout"
    assert seconds < 1.0 + 8.0, seconds          # one overlay past the deadline at most


def test_match_on_a_200k_vertex_parcel_stops_at_its_time_limit_and_says_so():
    projects = [{"project_id": f"X{k}", "name": f"项目{k}", "industry": "纺织鞋服", "investment_yi": 1.0,
                 "land_mu": 40.0 + k, "floor_m2": None, "preferred_zone": None, "stage": "negotiating",
                 "priority": 1.0, "needed_by": None} for k in range(3)]
    ws = workspace(sawtooth(100_000, 0.5), projects)
    t0 = time.perf_counter()
    result = match(ws, settings=SETTINGS, time_limit=1.0)
    seconds = time.perf_counter() - t0
    assert result.status == "timeout" and result.to_dict()["status"] == "timeout"
    assert seconds < 1.5 + 8.0, seconds
