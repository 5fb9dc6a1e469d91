"""Contiguous blocks: touching vs a 0.3 m digitising gap vs a road vs a corner; the `available` answer."""
import pandas as pd
import pytest

from geo.errors import InputError
from geo.settings import load_settings
from geo.supply import available_report
from geo.workspace import build_workspace
from tests.conftest import make_layers, parcel, validated_by

SETTINGS = load_settings()   # loaded once, as the CLI and the app do


def blocks_of(parcels, **kw):
    ws, report = build_workspace(make_layers(parcels, **kw), **validated_by(SETTINGS))
    assert report.ok, report.issues
    return ws, {tuple(b.parcel_ids) for b in available_report(ws, settings=SETTINGS).blocks}


def test_shared_edge_touches():
    _, blocks = blocks_of([parcel("A", (0, 0, 100, 100)), parcel("B", (100, 0, 200, 100))])
    assert blocks == {("A", "B")}


def test_digitising_gap_of_0_3_m_still_touches():
    _, blocks = blocks_of([parcel("A", (0, 0, 100, 100)), parcel("B", (100.3, 0, 200, 100))])
    assert blocks == {("A", "B")}


def test_road_between_separates():
    _, blocks = blocks_of([parcel("A", (0, 0, 100, 100)), parcel("B", (120, 0, 220, 100))])
    assert blocks == {("A",), ("B",)}


def test_gap_just_over_half_a_metre_separates():
    _, blocks = blocks_of([parcel("A", (0, 0, 100, 100)), parcel("B", (100.6, 0, 200, 100))])
    assert blocks == {("A",), ("B",)}


def test_corner_contact_is_not_a_shared_edge():
    _, blocks = blocks_of([parcel("A", (0, 0, 100, 100)), parcel("B", (100, 100, 200, 200))])
    assert blocks == {("A",), ("B",)}


def test_blocks_do_not_cross_zones():
    zones = [{"zone_id": "Z1", "name": "甲", "industries": "", "geometry": (0, 0, 100, 100)},
             {"zone_id": "Z2", "name": "乙", "industries": "", "geometry": (100, 0, 200, 100)}]
    _, blocks = blocks_of([parcel("A", (0, 0, 100, 100)), parcel("B", (100, 0, 200, 100), zone="Z2")], zones=zones)
    assert blocks == {("A",), ("B",)}


def test_chain_through_a_middle_parcel_forms_one_block():
    _, blocks = blocks_of([parcel("A", (0, 0, 100, 100)), parcel("B", (100, 0, 200, 100)),
                           parcel("C", (200.2, 0, 300, 100))])
    assert blocks == {("A", "B", "C")}


def _pipeline_county():
    ws, report = build_workspace(make_layers([
        parcel("A", (0, 0, 100, 100)),                                               # 15 亩 available
        parcel("L", (100, 0, 200, 100), status="leveling", ready_date="2027-03-31"),  # joins A once levelled
        parcel("D", (400, 0, 500, 200), status="demolition", ready_date="2028-06-30"),
        parcel("S", (600, 0, 700, 100), status="supplied"),
        parcel("R", (800, 0, 900, 100), status="reserved"),
    ], factories=[{"factory_id": "F1", "zone_id": "Z1", "name": "1号", "floors": 4, "floor_area_m2": 8000.0,
                   "vacant_m2": 3000.0, "status": "built", "geometry": (600, 0, 650, 50)},
                  {"factory_id": "F2", "zone_id": "Z1", "name": "2号", "floors": 4, "floor_area_m2": 8000.0,
                   "vacant_m2": 8000.0, "status": "building", "ready_date": "2027-06-30",
                   "geometry": (650, 50, 690, 90)}]), **validated_by(SETTINGS))
    assert report.ok, report.issues
    return ws


def test_available_now_and_by_date():
    ws = _pipeline_county()
    now = available_report(ws, settings=SETTINGS)
    [z] = now.zones
    assert now.total_available_mu == pytest.approx(15, rel=1e-3)
    assert z.pipeline_mu == pytest.approx(45, rel=1e-3)
    assert z.largest_block_mu == pytest.approx(15, rel=1e-3)
    assert z.vacant_factory_m2 == 3000
    later = available_report(ws, by=pd.Timestamp("2027-12-31").date(), settings=SETTINGS)
    assert later.total_available_mu == pytest.approx(30, rel=1e-3)
    assert [b.parcel_ids for b in later.blocks] == [("A", "L")]
    assert later.zones[0].vacant_factory_m2 == 11000
    assert (available_report(ws, by=pd.Timestamp("2028-06-30").date(), settings=SETTINGS).total_available_mu
            == pytest.approx(60, rel=1e-3))


def test_min_mu_and_filters():
    ws = _pipeline_county()
    later = available_report(ws, by=pd.Timestamp("2030-01-01").date(), min_mu=20, settings=SETTINGS)
    assert [b.parcel_ids for b in later.blocks] == [("D",), ("A", "L")] or \
        sorted(b.parcel_ids for b in later.blocks) == [("A", "L"), ("D",)]
    assert available_report(ws, industry="健康食品", settings=SETTINGS).zones == ()      # Z1 admits 纺织鞋服 only
    with pytest.raises(InputError, match="园区编号"):
        available_report(ws, zone="NOPE", settings=SETTINGS)
    with pytest.raises(InputError, match="产业"):
        available_report(ws, industry="造船", settings=SETTINGS)
    with pytest.raises(InputError, match="最小面积") as err:
        available_report(ws, min_mu=-1, settings=SETTINGS)
    assert err.value.code == "MIN_MU_INVALID"
