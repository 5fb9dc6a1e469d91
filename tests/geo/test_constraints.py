"""Net usable land: 三区三线 exclusions counted once in the fixed order, boundaries, slivers, leveling parcels,
and net 亩 against pyproj.Geod(GRS80) on the geometries."""
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import box

from geo.blocks import block_labels
from geo.constraints import EXCLUSION_ORDER, flood_exclusion, net_land, net_pieces, protected_share, sliver_mask
from geo.settings import load_settings
from geo.units import M2_PER_MU

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

GK = 4544
X0, Y0 = 520_000.0, 3_575_000.0
SLIVER = dict(sliver_m2=5 * M2_PER_MU, sliver_width_m=30.0)
GEOD = Geod(ellps="GRS80")


def b(x1, y1, x2, y2):
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def parcels(*rows):
    """rows: (parcel_id, (x1, y1, x2, y2), status)."""
    ids = [r[0] for r in rows]
    return gpd.GeoDataFrame({"parcel_id": ids, "status": [r[2] if len(r) > 2 else "available" for r in rows],
                             "zone_id": "Z1"}, geometry=[b(*r[1]) for r in rows], crs=GK, index=ids)


def layer(*boxes, **cols):
    return gpd.GeoDataFrame(cols, geometry=[b(*x) for x in boxes], crs=GK)


def geod_mu(geom) -> float:
    """Reference: the GRS80 geodesic area of a GK geometry, in 亩."""
    if geom.is_empty:
        return 0.0
    lonlat = gpd.GeoSeries([geom], crs=GK).to_crs(4490).iloc[0]
    return abs(GEOD.geometry_area_perimeter(lonlat)[0]) / M2_PER_MU


def test_overlapping_farmland_and_red_line_are_removed_once_and_the_overlap_is_farmland():
    p = parcels(("A", (0, 0, 300, 200)))
    farm = layer((0, 0, 100, 200))                        # 100 × 200
    red = layer((60, 0, 160, 200), (150, 0, 180, 200))    # overlaps farmland by 40 m and itself by 10 m
    net = net_land(p, {"farmland": farm, "eco_redline": red}, **SLIVER)
    by = net.constrained_by.loc["A"]
    assert list(net.constrained_by.columns) == list(EXCLUSION_ORDER)
    assert by["farmland"] == pytest.approx(geod_mu(b(0, 0, 100, 200)), rel=1e-4)
    assert by["eco_redline"] == pytest.approx(geod_mu(b(100, 0, 180, 200)), rel=1e-4)   # 60 + 20 m, once
    assert net.constrained_mu["A"] == pytest.approx(by.sum())
    assert net.net_mu["A"] == pytest.approx(geod_mu(b(180, 0, 300, 200)), rel=1e-4)
    assert net.net_mu["A"] + net.constrained_mu["A"] + net.sliver_mu["A"] == pytest.approx(net.gross_mu["A"])
    assert net.geometry["A"].equals_exact(b(180, 0, 300, 200).normalize(), 1e-6) or \
        net.geometry["A"].symmetric_difference(b(180, 0, 300, 200)).area < 1e-3


def test_a_strip_splits_a_parcel_into_two_pieces_that_form_two_blocks():
    p = parcels(("A", (0, 0, 300, 200)), ("B", (300, 0, 400, 200)))
    red = layer((140, -10, 160, 210))                     # a 20 m red-line strip across A
    net = net_land(p, {"eco_redline": red}, **SLIVER)
    assert net.geometry["A"].geom_type == "MultiPolygon"
    pieces = net_pieces(net, p)
    a = pieces[pieces["parcel_id"] == "A"]
    assert len(a) == 2 and list(a.index) == ["A#0", "A#1"]
    assert a["area_mu"].sum() == pytest.approx(net.net_mu["A"])
    assert not a.geometry.iloc[0].intersects(a.geometry.iloc[1])
    assert set(pieces.columns) >= {"piece_id", "parcel_id", "piece", "area_mu", "zone_id", "status", "geometry"}
    labels = block_labels(np.asarray(pieces.geometry.values), pieces["zone_id"].to_numpy(),
                          SETTINGS.blocks.touch_gap_m, SETTINGS.blocks.min_shared_edge_m)
    by_id = dict(zip(pieces.index, labels))
    assert by_id["A#0"] != by_id["A#1"]                   # no longer touch
    east = [k for k in ("A#0", "A#1") if pieces.geometry[k].bounds[2] > X0 + 250][0]
    assert by_id[east] == by_id["B#0"]                    # the east piece still joins its neighbour


def test_a_development_boundary_cutting_a_parcel_excludes_the_outside_part():
    p = parcels(("A", (0, 0, 200, 100)), ("B", (500, 0, 600, 100)), ("C", (250, 0, 350, 100)))
    boundary = layer((-50, -50, 120, 150), (240, -50, 400, 150))   # A cut at x = 120; C inside; B outside
    net = net_land(p, {"dev_boundary": boundary}, **SLIVER)
    assert net.net_mu["A"] == pytest.approx(geod_mu(b(0, 0, 120, 100)), rel=1e-4)
    assert net.constrained_by.loc["A", "dev_boundary"] == pytest.approx(geod_mu(b(120, 0, 200, 100)), rel=1e-4)
    assert net.net_mu["B"] == 0 and net.geometry["B"].is_empty
    assert net.constrained_by.loc["B", "dev_boundary"] == pytest.approx(net.gross_mu["B"])
    assert net.net_mu["C"] == net.gross_mu["C"] and net.constrained_mu["C"] == 0
    # no boundary layer (absent or empty): nothing is excluded for it
    for absent in (None, layer()):
        none = net_land(p, {"dev_boundary": absent}, **SLIVER)
        assert (none.net_mu == none.gross_mu).all() and (none.constrained_mu == 0).all()


def test_a_wholly_protected_parcel_has_no_net_land_and_no_piece():
    p = parcels(("A", (0, 0, 100, 100)), ("B", (200, 0, 300, 100)))
    net = net_land(p, {"farmland": layer((-10, -10, 110, 110))}, **SLIVER)
    assert net.net_mu["A"] == 0 and net.geometry["A"].is_empty
    assert net.constrained_by.loc["A", "farmland"] == pytest.approx(net.gross_mu["A"])
    assert list(net_pieces(net)["parcel_id"]) == ["B"]
    share = protected_share(p, layer((-10, -10, 110, 110)), None)
    assert share["A"] == pytest.approx(1.0) and share["B"] == 0


def test_slope_exclusion_is_skipped_on_leveling_parcels():
    p = parcels(("A", (0, 0, 100, 100), "available"), ("L", (200, 0, 300, 100), "leveling"))
    steep = layer((50, 0, 100, 100), (200, 0, 250, 100))
    net = net_land(p, {"slope": steep}, **SLIVER)
    assert net.constrained_by.loc["A", "slope"] == pytest.approx(net.gross_mu["A"] / 2, rel=1e-6)
    assert net.constrained_by.loc["L", "slope"] == 0 and net.net_mu["L"] == net.gross_mu["L"]


def test_flood_zones_exclude_only_up_to_the_configured_return_period():
    floods = layer((0, 0, 50, 100), (50, 0, 100, 100), (100, 0, 150, 100), return_period=[20, 100, None])
    kept = flood_exclusion(floods, 50)
    assert len(kept) == 2                                   # 20 years, and the zone without a return period
    p = parcels(("A", (0, 0, 150, 100)))
    net = net_land(p, {"flood": kept}, **SLIVER)
    assert net.constrained_by.loc["A", "flood"] == pytest.approx(net.gross_mu["A"] * 2 / 3, rel=1e-6)
    assert flood_exclusion(None, 50) is None


def test_slivers_left_by_an_exclusion_are_dropped_and_counted():
    p = parcels(("A", (0, 0, 300, 200)), ("N", (400, 0, 420, 200)))      # N is narrow but untouched: kept
    farm = layer((0, 0, 280, 200), (10, 190, 300, 200))                   # leaves a 20 m strip at the east edge
    net = net_land(p, {"farmland": farm}, **SLIVER)
    assert net.net_mu["A"] == 0 and net.geometry["A"].is_empty
    assert net.sliver_mu["A"] == pytest.approx(geod_mu(b(280, 0, 300, 190)), rel=1e-4)
    assert net.net_mu["A"] + net.constrained_mu["A"] + net.sliver_mu["A"] == pytest.approx(net.gross_mu["A"])
    assert net.net_mu["N"] == net.gross_mu["N"]


def test_sliver_rule_is_the_carving_rule():
    carve = pytest.importorskip("matching.carve")
    shapes = [b(0, 0, 20, 400), b(0, 0, 40, 400), b(0, 0, 50, 60), shapely.Point(X0, Y0).buffer(40)]
    rules = carve.CarveRules(split_surplus=0.02, cut_tolerance=0.002, sliver_m2=5 * M2_PER_MU, sliver_width_m=30)
    mine = sliver_mask(np.array(shapes, dtype=object), np.full(len(shapes), 5 * M2_PER_MU), 30.0)
    assert list(mine) == [carve.is_sliver(s, rules) for s in shapes] == [True, False, True, False]


def test_net_areas_are_ellipsoidal():
    """Net 亩 of irregular cuts against the GRS80 geodesic area of the net geometry itself."""
    p = parcels(("A", (0, 0, 400, 300)), ("B", (400, 0, 700, 300), "leveling"))
    farm = gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 100, Y0 + 100).buffer(80)], crs=GK)
    red = gpd.GeoDataFrame(geometry=[shapely.Polygon([(X0 + 300, Y0 - 10), (X0 + 650, Y0 + 310),
                                                       (X0 + 700, Y0 + 310), (X0 + 350, Y0 - 10)])], crs=GK)
    net = net_land(p, {"farmland": farm, "eco_redline": red, "slope": layer((600, 0, 700, 100))}, **SLIVER)
    for pid in ("A", "B"):
        assert net.net_mu[pid] == pytest.approx(geod_mu(net.geometry[pid]), rel=1e-4)
        assert net.gross_mu[pid] == pytest.approx(geod_mu(p.geometry[pid]), rel=1e-4)
    # an area_mu column (the workspace's) is used as the gross area, and an untouched parcel keeps it exactly
    q = parcels(("A", (0, 0, 400, 300)), ("C", (1000, 0, 1100, 100)))
    q["area_mu"] = [180.0, 15.0]
    net = net_land(q, {"farmland": farm}, **SLIVER)
    assert net.net_mu["C"] == 15.0 and net.gross_mu["A"] == 180.0
    assert net.net_mu["A"] + net.constrained_mu["A"] == pytest.approx(180.0)


def test_all_layers_and_unknown_layer():
    p = parcels(("A", (0, 0, 400, 300)))
    ex = {"farmland": layer((0, 0, 50, 300)), "eco_redline": layer((0, 0, 100, 300)),
          "flood": layer((100, 0, 150, 300)),
          "dev_boundary": layer((-10, -10, 350, 310)), "slope": layer((150, 0, 200, 300), (300, 0, 400, 300))}
    net = net_land(p, ex, **SLIVER)
    w = pd.Series(net.constrained_by.loc["A"]) / net.gross_mu["A"] * 400          # metres of the 400 m width
    # the steep land beyond the boundary (x 350-400) was already taken by dev_boundary: slope gets 50 + 50
    assert w.round(3).to_dict() == {"farmland": 50.0, "eco_redline": 50.0, "flood": 50.0, "dev_boundary": 50.0,
                                    "slope": 100.0}
    assert net.totals()["net_mu"] == pytest.approx(net.gross_mu["A"] * 100 / 400)
    with pytest.raises(ValueError):
        net_land(p, {"roads": layer((0, 0, 1, 1))}, **SLIVER)
