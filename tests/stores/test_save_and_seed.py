"""Atomic save, and the deterministic sample county with the report's two 有项目、无选址 cases."""
import dataclasses
import io

import numpy as np
import pandas as pd
import pyogrio
import pytest

import stores.gpkg_file as gpkg_mod
from geo.errors import WorkspaceError
from geo.settings import load_settings
from geo.supply import available_report, zone_admits
from stores.gpkg_file import load_workspace, save_workspace

SETTINGS = load_settings()   # loaded once, as the CLI and the app do


def test_crash_mid_save_leaves_previous_file_intact(sample_ws, tmp_path, monkeypatch):
    path = save_workspace(sample_ws, tmp_path / "county.gpkg")
    before = path.read_bytes()
    real = gpkg_mod.write_layer
    calls = []

    def crash_on_third_layer(tmp, name, frame, crs):
        calls.append(name)
        if len(calls) == 3:
            raise OSError("磁盘已满 (simulated)")
        return real(tmp, name, frame, crs)

    monkeypatch.setattr(gpkg_mod, "write_layer", crash_on_third_layer)
    smaller = sample_ws.parcels.iloc[:10]
    sample_ws_mod = dataclasses.replace(sample_ws, parcels=smaller)
    with pytest.raises(WorkspaceError, match="原文件未改动"):
        save_workspace(sample_ws_mod, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["county.gpkg"]      # no temporary file left behind
    assert len(load_workspace(path, SETTINGS).parcels) == len(sample_ws.parcels)


def test_seed_is_deterministic(tmp_path):
    from seeds.generator import write_county
    a = write_county(tmp_path / "a.gpkg", seed=3)
    write_county(tmp_path / "b.gpkg", seed=3)
    c = write_county(tmp_path / "c.gpkg", seed=4)
    for name in ("zones", "parcels", "factories", "projects", "firms"):
        fa = pyogrio.read_dataframe(tmp_path / "a.gpkg", layer=name)
        fb = pyogrio.read_dataframe(tmp_path / "b.gpkg", layer=name)
        pd.testing.assert_frame_equal(fa, fb)
    assert not a.parcels.geometry.geom_equals(c.parcels.geometry.reindex(a.parcels.index)).all()
    import rasterio
    with rasterio.open(tmp_path / "a.dem.tif") as da, rasterio.open(tmp_path / "b.dem.tif") as db:
        assert np.array_equal(da.read(1), db.read(1)) and da.crs.to_epsg() == 4544


def test_sample_county_is_realistic(sample_ws):
    ws = sample_ws
    assert ws.crs.to_epsg() == 4544 and ws.report.ok
    names = set(ws.zones["name"])
    assert {"青东坝鞋服产业园", "冉家坝新能源产业园", "桐溪工业园区", "龙州产城新区"} <= names
    assert set(ws.parcels["status"]) == {"available", "leveling", "demolition", "supplied", "reserved"}
    assert set(ws.factories["status"]) == {"built", "building", "planned"}
    assert 25 <= len(ws.projects) <= 40
    assert ws.parcels["occupant"].notna().sum() >= 6                       # firms of the report on supplied land
    areas = ws.parcels["area_mu"]
    assert areas.std() / areas.mean() > 0.2                               # irregular, not a grid of equal squares
    assert ws.zones["remark"].str.contains("虚构").all()
    names = ws.projects["name"]
    for word in ("秦禾轻纺产业园", "特种服装生产线", "米粉及肥肠预制菜加工", "第三代半导体太阳能电池芯片",
                 "电池负极材料"):
        assert names.str.contains(word).any(), word


@pytest.mark.parametrize("project_id", ["P-RJB-01", "P-TX-01"])
def test_shortfall_cases_do_not_fit_today_but_fit_after_pipeline_work(sample_ws, project_id):
    ws = sample_ws
    project = ws.projects.loc[project_id]
    admitting = ws.zones.index[zone_admits(ws.zones, project["industry"])]
    now = available_report(ws, industry=project["industry"], settings=SETTINGS)
    assert max(z.largest_block_mu for z in now.zones) < project["land_mu"]
    later = available_report(ws, zone=project["preferred_zone"], by=pd.Timestamp("2027-12-31").date(),
                             settings=SETTINGS)
    assert later.zones[0].largest_block_mu >= project["land_mu"]
    assert project["preferred_zone"] in admitting


def test_scaled_seed_has_exact_parcel_count():
    from seeds.generator import generate_workspace
    ws = generate_workspace(parcels=3000, projects=120, seed=1)
    assert len(ws.parcels) == 3000 and len(ws.projects) == 120
    assert ws.parcels["parcel_id"].is_unique


def test_workspace_archive_round_trip_keeps_the_dem(sample_ws, tmp_path):
    import zipfile

    from stores.archive import open_archive, workspace_archive
    assert sample_ws.dem_path is not None
    data = workspace_archive(sample_ws.path.read_bytes(), "县域.gpkg", sample_ws.dem_path)
    assert sorted(zipfile.ZipFile(io.BytesIO(data)).namelist()) == ["县域.dem.tif", "县域.gpkg"]
    target = open_archive(data, "县域.zip", tmp_path / "up")
    back = load_workspace(target, SETTINGS)
    assert back.dem_path == tmp_path / "up" / "县域.dem.tif"
    assert back.dem_path.read_bytes() == sample_ws.dem_path.read_bytes()
    pd.testing.assert_frame_equal(back.parcels.drop(columns="geometry"), sample_ws.parcels.drop(columns="geometry"))
    # without a DEM: only the .gpkg, and a DEM left from an earlier upload of that name is removed
    target = open_archive(workspace_archive(sample_ws.path.read_bytes(), "县域.gpkg", None), "县域.zip",
                          tmp_path / "up")
    assert load_workspace(target, SETTINGS).dem_path is None


def _zip(files: dict[str, bytes]) -> bytes:
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("data, message", [
    (b"not a zip", "不是有效的 zip 压缩包"),
    (_zip({"readme.txt": b"x"}), "应恰有一个 GeoPackage（.gpkg）文件，实际：无"),
    (_zip({"a.gpkg": b"x", "b.gpkg": b"y"}), "实际：a.gpkg、b.gpkg"),
])
def test_bad_workspace_archives_are_refused_by_name(tmp_path, data, message):
    from stores.archive import open_archive
    with pytest.raises(WorkspaceError, match=message) as err:
        open_archive(data, "上传.zip", tmp_path)
    assert "上传.zip" in str(err.value) and not any(tmp_path.iterdir())


def test_archive_paths_cannot_escape_the_folder(sample_ws, tmp_path):
    from stores.archive import open_archive
    data = _zip({"../../evil/县域.gpkg": sample_ws.path.read_bytes()})
    target = open_archive(data, "x.zip", tmp_path / "up")
    assert target == tmp_path / "up" / "县域.gpkg" and load_workspace(target, SETTINGS) is not None
    assert [p.name for p in tmp_path.iterdir()] == ["up"]
