"""Parcel Shapefiles from other GIS: encodings detected (never silent mojibake), cut field names, units, parks by
location, every bad feature named by FID, nothing half-applied."""
from __future__ import annotations

import io
import json
import shutil
import warnings
import zipfile
from pathlib import Path, PurePath

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from formats.dbf import detect_encoding
from formats.shapefile import import_parcel_layer, read_parcel_layer
from geo.errors import LayerFileError, ValidationError
from geo.settings import load_settings
from geo.units import m2_to_mu

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

STATUS = ["可供", "待平整", "已供", "可供", "预留"]


def write_shp(folder: Path, frame: gpd.GeoDataFrame, encoding: str = "GBK", cpg: bool = False,
              stem: str = "地块") -> Path:
    """A Shapefile as Chinese offices send them: GBK text, by default no .cpg and no language byte in the DBF."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyogrio.write_dataframe(frame, path, encoding=encoding)
    if not cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
        dbf = bytearray(path.with_suffix(".dbf").read_bytes())
        dbf[29] = 0
        path.with_suffix(".dbf").write_bytes(bytes(dbf))
    return path


def layer_of(ws, n: int = 5, **columns) -> gpd.GeoDataFrame:
    """The first ``n`` parcels of ``ws`` as another office's layer (CGCS2000 geographic), with Chinese field names."""
    g = ws.parcels.iloc[:n]
    data = {"宗地号": g["parcel_id"].to_numpy(), "供地状态": STATUS[:n], "预计可供时间": [""] * n,
            "面积": (g["area_mu"] / m2_to_mu(1.0)).to_numpy()}                      # square metres, as GIS exports
    data["预计可供时间"][1] = "2027-06-30"
    data.update(columns)
    return gpd.GeoDataFrame(data, geometry=g.geometry.to_numpy(), crs=ws.crs).to_crs(4490)


def zipped(path: Path, skip: tuple[str, ...] = ()) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p in path.parent.glob(path.stem + ".*"):
            if p.suffix not in skip:
                z.write(p, f"成果/{p.name}")
    return buf.getvalue()


def test_gbk_without_cpg_is_detected_and_named_in_a_note(sample_ws, tmp_path):
    path = write_shp(tmp_path, layer_of(sample_ws))
    plain = pyogrio.read_dataframe(path)                    # what GDAL alone makes of it: mojibake, no error
    assert "宗地号" not in plain.columns
    layer = read_parcel_layer(path)
    assert layer.encoding == "GB18030"
    assert layer.columns == {"parcel_id": "宗地号", "status": "供地状态", "ready_date": "预计可供时",
                             "registered_mu": "面积"}         # 预计可供时间 cut at 10 bytes by the DBF
    assert list(layer.frame["供地状态"]) == STATUS
    assert "按内容判定为 GBK" in layer.notes[0]


@pytest.mark.parametrize("encoding,cpg,expected,note", [
    ("UTF-8", False, "UTF-8", "按内容判定为 UTF-8"),
    ("GBK", True, "GB18030", None),
    ("UTF-8", True, "UTF-8", None),
])
def test_encoding_from_cpg_or_content(sample_ws, tmp_path, encoding, cpg, expected, note):
    path = write_shp(tmp_path, layer_of(sample_ws), encoding=encoding, cpg=cpg)
    layer = read_parcel_layer(path)
    # in UTF-8 a Chinese name loses its 4th character to the 10-byte cut (供地状态 → 供地状): still recognised
    assert set(layer.columns) == {"parcel_id", "status", "ready_date", "registered_mu"}
    assert layer.encoding == expected and list(layer.frame[layer.columns["status"]]) == STATUS
    if note is None:
        assert layer.notes == []                              # the .cpg decided: nothing to say
    else:
        assert note in layer.notes[0]


def test_forced_encoding_overrides_the_cpg(sample_ws, tmp_path):
    path = write_shp(tmp_path, layer_of(sample_ws), encoding="GBK")
    path.with_suffix(".cpg").write_text("UTF-8")            # a wrong .cpg, as happens
    layer = read_parcel_layer(path, encoding="GBK")
    assert list(layer.frame["供地状态"]) == STATUS and "按指定编码 GBK" in layer.notes[0]
    with pytest.raises(LayerFileError, match="无法识别指定的编码“klingon”"):
        read_parcel_layer(path, encoding="klingon")


def test_a_cpg_that_lies_is_caught(sample_ws, tmp_path):
    path = write_shp(tmp_path, layer_of(sample_ws), encoding="GBK")
    path.with_suffix(".cpg").write_text("UTF-8")            # a tool's default over GBK text
    layer = read_parcel_layer(path)
    assert list(layer.frame["供地状态"]) == STATUS
    assert layer.notes == [".cpg 写的是 UTF-8，但属性不是该编码；按内容判定为 GBK（GB18030）读取"]


def test_detect_encoding_language_byte_and_undecodable_text():
    dbf = bytearray(64)
    dbf[29] = 0x4D
    assert detect_encoding(bytes(dbf))[0] == "GB18030"
    with pytest.raises(LayerFileError, match=".cpg 文件中的编码“NOPE”无法识别"):
        detect_encoding(bytes(dbf), cpg=b"NOPE")


def test_import_applies_status_date_area_and_parks_by_location(sample_ws, tmp_path):
    path = write_shp(tmp_path, layer_of(sample_ws))
    new, counts, report = import_parcel_layer(sample_ws, path)
    ids = sample_ws.parcels.index[:5]
    assert counts == {"parcels_added": 0, "parcels_updated": 5, "parcels_kept": len(sample_ws.parcels) - 5,
                      "zoned_by_location": 5}
    got = new.parcels.loc[ids]
    assert list(got["status"]) == ["available", "leveling", "supplied", "available", "reserved"]
    assert got["ready_date"].iloc[1] == pd.Timestamp("2027-06-30") and got["ready_date"].drop(ids[1]).isna().all()
    assert list(got["zone_id"]) == list(sample_ws.parcels.loc[ids, "zone_id"])   # no park field: by location
    # square metres recognised from the areas and converted (the note says so), reprojected from CGCS2000 lon/lat
    assert got["registered_mu"].to_numpy() == pytest.approx(sample_ws.parcels.loc[ids, "area_mu"], rel=1e-4)
    assert got["area_mu"].to_numpy() == pytest.approx(sample_ws.parcels.loc[ids, "area_mu"], rel=1e-6)
    messages = " ".join(i.message for i in report.issues)
    assert "按平方米换算为亩" in messages and "已转换为工作空间" in messages and "5 块地块没有园区字段" in messages
    # the parcels the file does not list are kept as they were
    others = sample_ws.parcels.index.drop(ids)
    for column in ("status", "zone_id", "ready_date", "area_mu"):
        assert new.parcels.loc[others, column].equals(sample_ws.parcels.loc[others, column]), column
    assert new.parcels.loc[others].geometry.geom_equals(sample_ws.parcels.loc[others].geometry).all()


def test_zip_with_new_parcels_pinyin_fields_and_a_park_name(sample_ws, tmp_path):
    zone = sample_ws.zones.iloc[0]
    shape = shapely.box(*shapely.buffer(zone.geometry.centroid, 40).bounds)
    frame = gpd.GeoDataFrame({"DKBH": ["NEW-1"], "GDZT": ["可供"], "YQMC": [zone["name"]], "DLMC": ["一类工业用地"],
                              "MJ": [m2_to_mu(80 * 80) / 15]}, geometry=[shape], crs=sample_ws.crs)
    path = write_shp(tmp_path / "src", frame)
    new, counts, report = import_parcel_layer(sample_ws, zipped(path), "成果.zip")
    assert counts["parcels_added"] == 1 and counts["zoned_by_location"] == 0
    row = new.parcels.loc["NEW-1"]
    assert row["zone_id"] == zone["zone_id"] and row["land_use"] == "一类工业用地"
    assert row["registered_mu"] == pytest.approx(m2_to_mu(80 * 80), rel=1e-6)     # 公顷 recognised
    assert len(new.parcels) == len(sample_ws.parcels) + 1


def test_numeric_ids_with_blanks_and_polygon_z(sample_ws, tmp_path):
    """A numeric 地块编号 column with a blank reads as float: ids stay 1001, not 1001.0; a PolygonZ layer (from CAD)
    is read flat, with a note."""
    frame = layer_of(sample_ws, n=3)
    frame["宗地号"] = [1001.0, None, 1003.0]
    frame["geometry"] = shapely.force_3d(frame.geometry.values, 350.0)
    path = write_shp(tmp_path, frame)
    layer = read_parcel_layer(path)
    assert not layer.frame.geometry.has_z.any() and any("Z" in n for n in layer.notes)
    with pytest.raises(ValidationError) as err:
        import_parcel_layer(sample_ws, path)
    assert [(i.row, i.field) for i in err.value.report.errors] == [(1, "parcel_id")]    # the blank id, by FID
    frame["宗地号"] = [1001.0, 1002.0, None]
    frame = frame.iloc[:2]
    new, counts, _ = import_parcel_layer(sample_ws, write_shp(tmp_path / "ok", frame))
    assert counts["parcels_added"] == 2 and {"1001", "1002"} <= set(new.parcels.index)


def test_replace_makes_the_file_the_whole_layer(sample_ws, tmp_path):
    path = write_shp(tmp_path, layer_of(sample_ws))
    new, counts, _ = import_parcel_layer(sample_ws, path, replace=True)
    assert len(new.parcels) == 5 and counts["parcels_kept"] == 0


def test_bad_features_are_named_by_fid_and_nothing_is_applied(sample_ws, tmp_path):
    frame = layer_of(sample_ws, YQ=["QDB", "火星园区", None, None, None])
    frame.loc[2, "预计可供时间"] = "明年"
    frame.loc[3, "宗地号"] = frame.loc[4, "宗地号"]
    frame.loc[0, "供地状态"] = "待开发"
    frame.loc[4, "geometry"] = shapely.Point(90, 10).buffer(0.001)                # far from every park
    path = write_shp(tmp_path, frame)
    with pytest.raises(ValidationError, match="地块.shp 有 .* 处错误，未导入") as err:
        import_parcel_layer(sample_ws, path)
    got = {(i.row, i.field, i.code) for i in err.value.report.errors}
    assert {(1, "zone_id", "UNKNOWN_ZONE"), (2, "ready_date", "BAD_DATE"), (3, "parcel_id", "DUPLICATE_ID"),
            (4, "parcel_id", "DUPLICATE_ID"), (4, "zone_id", "OUTSIDE_ZONES"),
            (0, "status", "UNKNOWN_VALUE")} <= got, got
    assert "火星园区" in " ".join(i.message for i in err.value.report.errors)


@pytest.mark.parametrize("skip,message", [
    ((".prj",), "缺少 地块.prj，无法确定坐标系"),
    ((".dbf",), "缺少 地块.dbf"),
    ((".shp",), "中没有 .shp 文件"),
])
def test_missing_parts_are_named(sample_ws, tmp_path, skip, message):
    path = write_shp(tmp_path, layer_of(sample_ws))
    with pytest.raises(LayerFileError, match=message):
        import_parcel_layer(sample_ws, zipped(path, skip), "成果.zip")


def test_unusable_files_get_clear_errors(sample_ws, tmp_path):
    with pytest.raises(LayerFileError, match="坏.zip 不是有效的 zip 压缩包"):
        read_parcel_layer({"坏.zip": b"not a zip"}, "坏.zip")
    lines = gpd.GeoDataFrame({"宗地号": ["L1"], "供地状态": ["可供"]},
                             geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=4490)
    with pytest.raises(LayerFileError, match="是LineString图层：地块图层应为面"):
        read_parcel_layer(write_shp(tmp_path / "l", lines))
    no_status = layer_of(sample_ws).drop(columns=["供地状态"])
    with pytest.raises(LayerFileError, match=r"缺少字段 “供地状态”.*现有字段：宗地号"):
        import_parcel_layer(sample_ws, write_shp(tmp_path / "s", no_status))
    two = {"a.shp": b"", "a.shx": b"", "b.shp": b"", "b.shx": b""}
    with pytest.raises(LayerFileError, match="有 2 个图层（a、b），请一次导入一个"):
        read_parcel_layer(two, "上传的文件")


def test_uploaded_parts_read_like_a_folder(sample_ws, tmp_path):
    path = write_shp(tmp_path, layer_of(sample_ws))
    files = {p.name: p.read_bytes() for p in path.parent.glob(f"{path.stem}.*")}
    layer = read_parcel_layer(files, "上传的文件")
    assert len(layer.frame) == 5 and layer.encoding == "GB18030"


def test_cli_import_parcel_layer(sample_path, tmp_path, capsys):
    import cli
    from stores.gpkg_file import load_workspace
    work = tmp_path / "county.gpkg"
    shutil.copy(sample_path, work)
    ws = load_workspace(work, SETTINGS)
    shp = write_shp(tmp_path / "shp", layer_of(ws))
    assert cli.main(["import-parcel-layer", "--workspace", str(work), "--layer", str(shp), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["imported"] and payload["parcels_updated"] == 5 and any("GBK" in n for n in payload["notes"])
    assert load_workspace(work, SETTINGS).parcels.at[ws.parcels.index[1], "status"] == "leveling"
    before = work.read_bytes()
    bad = write_shp(tmp_path / "bad", layer_of(ws, YQ=["火星园区"] * 5))
    assert cli.main(["import-parcel-layer", "--workspace", str(work), "--layer", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "火星园区" in out and "要素 FID" in out
    assert work.read_bytes() == before                        # nothing written


def test_sites_download_opens_in_other_gis_with_areas_and_chinese_fields(sample_ws, tmp_path):
    """The 选址方案 download: a GBK Shapefile whose sites have the engine's areas (checked against pyproj.Geod) and
    Chinese field names and values that read back intact."""
    from pyproj import Geod

    import matching
    from layers.export import SITE_FIELDS, sites_shapefile_zip
    result = matching.match(sample_ws, unlocks=False, settings=SETTINGS)
    land = {p.project_id: p for p in result.placed if p.kind == "land"}
    assert len(land) >= 10
    data = sites_shapefile_zip(result, sample_ws)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sorted(PurePath(n).suffix for n in z.namelist()) == [".cpg", ".dbf", ".prj", ".shp", ".shx"]
        z.extractall(tmp_path)
        assert z.read("选址方案.cpg").decode().strip().upper() in ("GBK", "CP936", "936")
    back = pyogrio.read_dataframe(tmp_path / "选址方案.shp")
    assert list(back.columns[:-1]) == list(SITE_FIELDS.values())
    assert set(back["项目编号"]) == set(land) and len(back) == len(land)
    geod = Geod(ellps="GRS80")
    lonlat = back.to_crs(4490)
    for (_, row), geom in zip(back.iterrows(), lonlat.geometry):
        p = land[row["项目编号"]]
        assert row["项目名称"] == p.name and row["园区"] == p.zone_id
        assert row["选址亩"] == pytest.approx(p.site_mu, abs=0.01)
        assert m2_to_mu(abs(geod.geometry_area_perimeter(geom)[0])) == pytest.approx(p.site_mu, rel=2e-3)
        assert row["选址亩"] >= row["需用地亩"] - 1e-6
