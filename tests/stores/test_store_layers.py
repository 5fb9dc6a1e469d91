"""Imports written through the store (stores.layer_write.store_result), in both stores: a colleague's edit made
between the importer's read and its write is kept — the import writes rows and whole constraint layers inside
the store's transaction, never a new file — and a constraint layer's replacement is in the audit trail."""
from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import shapely

from geo.settings import load_settings
from stores import diff, open_store
from stores.layer_write import store_result
from tests.stores.test_store import edit_project, fresh_pg_db, pg, pg_template, store_copy, target  # noqa: F401 (fixtures)

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
