"""Imports written through the store (stores.layer_write.store_result), in both stores: a colleague's edit made
between the importer's read and its write is kept — the import writes rows and whole constraint layers inside
the store's transaction, never a new file — and a constraint layer's replacement is in the audit trail."""
from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import pytest
import shapely

from geo.settings import load_settings
from stores import diff, open_store
from stores.layer_write import store_result
from tests.stores.test_store import (  # noqa: F401 (fixtures)
    edit_project,
    fresh_pg_db,
    pg,
    pg_template,
    small_path,
    store_copy,
    target,
)

SETTINGS = load_settings()   # loaded once, as the CLI and the app do


def colleague_edits(target, pid: str, value: float) -> None:
    with open_store(target, SETTINGS) as store:
        ws = store.load()
        store.apply(diff(ws, edit_project(ws, pid, investment_yi=value)), ws.store_versions, "同事")


def test_a_constraint_layer_import_keeps_an_edit_made_meanwhile_and_is_audited(target):
    with open_store(target, SETTINGS) as store:
        base = store.load()                                    # the importer reads …
    old = len(base.constraints["flood"])
    colleague_edits(target, "P-FZ-01", 99.0)                   # … a colleague saves a project meanwhile …
    x0, y0 = base.parcels.total_bounds[:2]
    flood = gpd.GeoDataFrame({"name": ["新淹没区"], "return_period": [20.0]},
                             geometry=[shapely.box(x0, y0, x0 + 500, y0 + 300)], crs=base.crs)
    written = store_result(target, SETTINGS, base, SimpleNamespace(into="flood", table=flood), None,
                           "导入员")  # … then writes
    assert written == 1
    with open_store(target, SETTINGS) as store:
        now = store.load()
        history = store.history()
    assert now.projects.loc["P-FZ-01", "investment_yi"] == 99.0              # the colleague's edit is kept
    assert len(now.constraints["flood"]) == 1 and now.constraints["flood"]["name"].tolist() == ["新淹没区"]
    assert shapely.equals_exact(now.constraints["flood"].geometry.iloc[0], flood.geometry.iloc[0], 1e-6)
    assert len(now.constraints["farmland"]) == len(base.constraints["farmland"])   # the other layers untouched
    entry = history[-1]
    assert (entry.layer, entry.action, entry.by) == ("flood", "replace", "导入员")
    assert entry.before == {"features": old} and entry.after == {"features": 1}


def test_a_parcel_layer_import_keeps_an_edit_made_meanwhile(target):
    with open_store(target, SETTINGS) as store:
        base = store.load()
    colleague_edits(target, "P-FZ-01", 77.0)
    parcels = base.parcels.copy()
    pid = parcels.index[parcels["status"] == "available"][0]
    parcels.loc[pid, "status"] = "supplied"
    store_result(target, SETTINGS, base, SimpleNamespace(into="parcels", workspace=base.with_layers(parcels=parcels)),
                 None, "导入员")
    with open_store(target, SETTINGS) as store:
        now = store.load()
        last = store.history()[-1]
    assert now.projects.loc["P-FZ-01", "investment_yi"] == 77.0 and now.parcels.loc[pid, "status"] == "supplied"
    assert (last.layer, last.id, last.action, last.by) == ("parcels", pid, "update", "导入员")


def test_cli_import_layer_into_a_geopackage_goes_through_the_store(sample_path, tmp_path):
    """`cli.py import-layer` on a .gpkg: the rows it changes are audited under --user (it used to rewrite the
    whole file from its own read, with no audit)."""
    import shutil

    import cli
    path = tmp_path / "county.gpkg"
    shutil.copy(sample_path, path)
    with open_store(path, SETTINGS) as store:
        ws = store.load()
    x0, y0 = ws.parcels.total_bounds[:2]
    src = tmp_path / "洪水.geojson"
    gpd.GeoDataFrame({"return_period": [50.0]}, geometry=[shapely.box(x0, y0, x0 + 200, y0 + 200)],
                     crs=ws.crs).to_crs(4326).to_file(src, driver="GeoJSON")
    assert cli.main(["import-layer", "--workspace", str(path), "--into", "flood", "--file", str(src), "--replace",
                     "--user", "自然资源局"]) == 0
    with open_store(path, SETTINGS) as store:
        last = store.history()[-1]
        assert len(store.load().constraints["flood"]) == 1
    assert (last.layer, last.action, last.by, last.after) == ("flood", "replace", "自然资源局", {"features": 1})


# ------------------------------------------------------------------------------ all or nothing, both stores alike

def farmland_file(tmp_path, ws, n: int = 2, **extra) -> str:
    """A 永久基本农田 Shapefile as QGIS writes one: with its own FID field (and a `version` field)."""
    x0, y0 = ws.parcels.total_bounds[:2]
    geoms = [shapely.box(x0 + 300 * i, y0, x0 + 300 * i + 200, y0 + 200) for i in range(n)]
    tmp_path.mkdir(parents=True, exist_ok=True)
    src = tmp_path / "基本农田.shp"
    gpd.GeoDataFrame({"FID": list(range(n)), "version": [3] * n, "DLMC": ["水田"] * n, **extra}, geometry=geoms,
                     crs=ws.crs).to_file(src, encoding="UTF-8")
    return str(src)


def cli_import(target, src, *more) -> int:
    import cli
    return cli.main(["import-layer", "--workspace", str(target), "--into", "farmland", "--file", src, *more])


def test_appending_to_a_constraint_layer_keeps_it_and_replacing_drops_it_in_both_stores(target, tmp_path):
    """PostGIS parity: an append used to keep 0 of a postgresql:// workspace's 永久基本农田 (read from a file path it
    has not got) — protected farmland silently offerable."""
    with open_store(target, SETTINGS) as store:
        base = store.load()
    old = len(base.constraints["farmland"])
    assert old > 0
    src = farmland_file(tmp_path, base)
    assert cli_import(target, src) == 0
    with open_store(target, SETTINGS) as store:
        appended = store.load().constraints["farmland"]
    assert len(appended) == old + 2
    assert appended["DLMC"].tolist()[-2:] == ["水田", "水田"] and appended["FID_1"].tolist()[-2:] == [0, 1]
    assert cli_import(target, src, "--replace") == 0
    with open_store(target, SETTINGS) as store:
        replaced = store.load().constraints["farmland"]
    assert len(replaced) == 2 and replaced["version_1"].tolist() == [3, 3]


def test_a_qgis_shapefile_with_fid_imports_with_the_field_renamed_and_gdal_reads_the_layer_cleanly(small_path,
                                                                                                    tmp_path, capsys):
    """It passed --dry-run, then failed on "duplicate column name: FID" after creating an empty layer."""
    import shutil
    import warnings

    import pyogrio
    path = tmp_path / "small.gpkg"
    shutil.copy(small_path, path)
    with open_store(path, SETTINGS) as store:
        ws = store.load()
    assert "farmland" not in ws.constraints
    src = farmland_file(tmp_path, ws)
    assert cli_import(path, src) == 0
    out = capsys.readouterr().out
    assert "“FID”" in out and "FID_1" in out and "version_1" in out
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = pyogrio.read_info(path, layer="farmland")
        frame = pyogrio.read_dataframe(path, layer="farmland")
    assert [str(w.message) for w in caught] == []
    assert info["geometry_type"] == "Polygon" and info["features"] == 2
    assert frame["FID_1"].tolist() == [0, 1] and frame["DLMC"].tolist() == ["水田", "水田"]
    # a MultiPolygon layer next: the layer re-created as MULTIPOLYGON, still without a warning
    x0, y0 = ws.parcels.total_bounds[:2]
    multi = tmp_path / "多部件.geojson"
    gpd.GeoDataFrame({"DLMC": ["旱地", "水田"]}, geometry=[
        shapely.box(x0, y0, x0 + 50, y0 + 50),
        shapely.MultiPolygon([shapely.box(x0 + 100, y0, x0 + 150, y0 + 50), shapely.box(x0 + 200, y0, x0 + 250,
                                                                                        y0 + 50)])],
        crs=ws.crs).to_crs(4490).to_file(multi, driver="GeoJSON")
    assert cli_import(path, str(multi), "--datum", "cgcs2000") == 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = pyogrio.read_info(path, layer="farmland")
        frame = pyogrio.read_dataframe(path, layer="farmland")
    assert [str(w.message) for w in caught] == []
    assert info["geometry_type"] == "MultiPolygon" and len(frame) == 4
    assert set(frame.geom_type) == {"MultiPolygon"}


@pytest.mark.parametrize("has_layer", [False, True])
def test_a_failed_constraint_import_leaves_the_geopackage_byte_for_byte(small_path, tmp_path, monkeypatch,
                                                                        has_layer):
    """The write fails after the layer was created (or re-created) and new columns added: nothing of it stays."""
    import shutil
    import sqlite3

    import stores.gpkg_constraints as gc
    path = tmp_path / "small.gpkg"
    shutil.copy(small_path, path)
    with open_store(path, SETTINGS) as store:
        ws = store.load()
    if has_layer:
        assert cli_import(path, farmland_file(tmp_path / "a", ws, 1)) == 0
    before = path.read_bytes()
    x0, y0 = ws.parcels.total_bounds[:2]
    multi = tmp_path / "新.geojson"                              # multi: the layer would be re-created
    gpd.GeoDataFrame({"新字段": ["x"]}, geometry=[shapely.MultiPolygon([shapely.box(x0, y0, x0 + 9, y0 + 9)])],
                     crs=ws.crs).to_crs(4490).to_file(multi, driver="GeoJSON")

    def failing(*args, **kw):
        raise sqlite3.OperationalError("disk I/O error")
    monkeypatch.setattr(gc, "gpkg_blobs", failing)
    assert cli_import(path, str(multi), "--datum", "cgcs2000") == 1
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("small.gpkg-*"))             # no journal left
