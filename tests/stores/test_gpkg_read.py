"""The GeoPackage store's columnar read (stores/gpkg_read.py) against its one-transaction read of rows: the same
workspace, report and row versions, also after edits (versions above 1); a commit by another connection during
the read makes it read again, so the versions always belong to the rows read (a save never loses an edit)."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

from geo.settings import load_settings
from stores import common, gpkg_read, open_store

SETTINGS = load_settings()


def _row_read(store):
    raws = store.raw_layers()
    return common.workspace_from_raw(raws, str(store.path), store.settings)


def _same(a, b) -> None:
    for name in ("zones", "parcels", "factories", "projects", "firms"):
        x, y = getattr(a, name), getattr(b, name)
        assert list(x.columns) == list(y.columns), name
        pd.testing.assert_frame_equal(x.drop(columns="geometry", errors="ignore"),
                                      y.drop(columns="geometry", errors="ignore"), check_dtype=False, obj=name)
        if "geometry" in x.columns:
            assert x.geometry.geom_equals_exact(y.geometry, 0).all(), name


@pytest.fixture
def county(sample_path, tmp_path):
    path = tmp_path / "county.gpkg"
    shutil.copy(sample_path, path)
    return path


def test_columnar_and_row_reads_agree_also_after_edits(county):
    with open_store(county, SETTINGS) as store:
        ws, report, versions = store.read()
        pid = ws.parcels.index[3]
        parcels = ws.parcels.copy()
        parcels.loc[pid, "status"] = "supplied" if parcels.at[pid, "status"] != "supplied" else "available"
        store.save(ws, ws.with_layers(parcels=parcels.reset_index(drop=True)), "张三")
    with open_store(county, SETTINGS) as store:
        fast = gpkg_read.read_snapshot(store)
        ws_rows, report_rows, versions_rows = _row_read(store)
    ws_fast, report_fast, versions_fast = fast
    assert versions_fast == versions_rows and versions_fast["parcels"][pid] == 2
    assert ws_fast.store_versions == versions_fast
    assert [str(i) for i in report_fast.errors] == [str(i) for i in report_rows.errors]
    _same(ws_fast, ws_rows)
    assert ws_fast.parcels.at[pid, "status"] == parcels.at[pid, "status"]


def test_a_commit_during_the_read_makes_it_read_again(county, monkeypatch):
    """Another user saves between the versions and the layers being read: the first pair is discarded (it would
    pair the old versions with the new rows), the second is consistent."""
    from stores import gpkg_file
    real = gpkg_file.read_workspace
    calls = []

    def read_with_a_save_in_between(path, settings, county=None):
        calls.append(path)
        if len(calls) == 1:                           # the other user's own read goes through this too
            with open_store(path, settings) as other:
                ws = other.load()
                pid = ws.parcels.index[0]
                parcels = ws.parcels.copy()
                parcels.loc[pid, "land_use"] = "改过"
                other.save(ws, ws.with_layers(parcels=parcels.reset_index(drop=True)), "李四")
        return real(path, settings, county)
    monkeypatch.setattr(gpkg_file, "read_workspace", read_with_a_save_in_between)
    with open_store(county, SETTINGS) as store:
        ws, _, versions = store.read()
    assert len(calls) == 3                            # ours, the other user's, ours again
    pid = ws.parcels.index[0]
    assert ws.parcels.at[pid, "land_use"] == "改过" and versions["parcels"][pid] == 2


def test_writers_that_never_stop_fall_back_to_one_transaction(county, monkeypatch):
    counter = iter(range(1000))
    monkeypatch.setattr(gpkg_read, "_data_version", lambda store: next(counter))     # a commit every time
    with open_store(county, SETTINGS) as store:
        assert gpkg_read.read_snapshot(store) is None
        ws, _, versions = store.read()                  # the row read, in one SQLite transaction
    assert ws is not None and versions["parcels"]
