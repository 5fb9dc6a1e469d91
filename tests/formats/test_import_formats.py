"""Every other file a planner is sent, each made here with its expected result and message: GeoPackage with several
layers, FileGDB (.gdb and .gdb.zip), GeoJSON in GCJ-02, KML/KMZ/奥维 with MultiGeometry, DXF with an open
polyline, CSV with WKT, Shapefiles with a Latin-1 .cpg over GBK, LOCAL_CS, an empty .prj, Xian 1980, Beijing 1954;
zips with GBK names, two layers, paths outside their folder, a bomb; an empty file. Then every layer as a target,
--allow-partial, the workspace left as it was after a failure, and the exports read back by GDAL."""
from __future__ import annotations

import io
import json
import shutil
import warnings
import zipfile

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import box

from formats import CRSMissingError, FormatError
from formats.datum import transform_geoms
from formats.export import geojson_bytes, kml_bytes
from formats.layer_import import import_layer
from geo.errors import LayerFileError, ValidationError
from geo.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from geo.settings import load_settings
from tests.conftest import X0, Y0

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

warnings.filterwarnings("ignore", category=RuntimeWarning)


@pytest.fixture()
def ws(ws_path):
    from stores.gpkg_file import load_workspace
    return load_workspace(ws_path, SETTINGS)


def layer(n=2, crs=4544, **extra) -> gpd.GeoDataFrame:
    data = {"地块编号": [f"A{i + 1}" for i in range(n)], "供地状态": ["可供", "预留", "已供", "可供"][:n], **extra}
    geoms = [box(X0 + 500 + 200 * i, Y0, X0 + 600 + 200 * i, Y0 + 100) for i in range(n)]
    return gpd.GeoDataFrame(data, geometry=geoms, crs=4544).to_crs(crs)


def write(frame, path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyogrio.write_dataframe(frame, path, **kw)
    return path


def zip_of(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def shp_parts(frame, folder, stem="地块", encoding="GBK") -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    write(frame, folder / f"{stem}.shp", encoding=encoding)
    return {p.name: p.read_bytes() for p in folder.glob(f"{stem}.*")}


# ------------------------------------------------------------------------------------------------ GDAL formats

def test_geopackage_with_several_layers_needs_a_pick(ws, tmp_path):
    path = tmp_path / "多图层.gpkg"
    write(layer(), path, layer="dk")
    write(layer(1), path, layer="dk_old", append=False)
    write(gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(X0, Y0)], crs=4544), path, layer="pts")
    with pytest.raises(FormatError, match="3 个图层.*dk（Polygon）.*请指定") as err:
        import_layer(ws, "parcels", path)
    assert err.value.code == "LAYER_NAME_REQUIRED" and "--" not in str(err.value)   # the CLI adds its flag
    result = import_layer(ws, "parcels", path, layer_name="dk")
    assert result.counts["parcels_added"] == 2 and result.source.name == "多图层.gpkg 图层 dk"
    with pytest.raises(FormatError, match="没有图层“nope”"):
        import_layer(ws, "parcels", path, layer_name="nope")


def test_only_polygon_layer_is_the_default(ws, tmp_path):
    path = tmp_path / "a.gpkg"
    write(layer(), path, layer="dk")
    write(gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(X0, Y0)], crs=4544), path, layer="pts")
    result = import_layer(ws, "parcels", path)
    assert any("唯一的面图层“dk”" in i.message for i in result.report.issues)


def test_filegdb_folder_and_zip_into_farmland_keep_every_field(ws, tmp_path):
    dltb = layer(DLBM=["0101", "0103"], DLMC=["水田", "旱地"], TBMJ=[10000.0, 10000.0])
    gdb = tmp_path / "三调.gdb"
    write(dltb, gdb, driver="OpenFileGDB", layer="DLTB")
    write(layer(1), gdb, driver="OpenFileGDB", layer="XZQ")
    with pytest.raises(FormatError, match="请指定要导入的图层") as err:
        import_layer(ws, "farmland", gdb)
    assert err.value.code == "LAYER_NAME_REQUIRED"
    result = import_layer(ws, "farmland", gdb, layer_name="DLTB")
    assert {"DLBM", "DLMC", "TBMJ"} <= set(result.table.columns) and list(result.table["DLMC"]) == ["水田", "旱地"]
    archive = tmp_path / "三调.gdb.zip"
    archive.write_bytes(zip_of({f"三调.gdb/{p.name}": p.read_bytes() for p in gdb.iterdir()}))
    zipped = import_layer(ws, "farmland", archive, layer_name="DLTB")
    assert zipped.tally == {"input": 2, "imported": 2, "repaired": 0, "rejected": 0}
    flat = tmp_path / "平铺.gdb.zip"                                   # the folder's files at the zip's root
    flat.write_bytes(zip_of({p.name: p.read_bytes() for p in gdb.iterdir()}))
    assert import_layer(ws, "farmland", flat, layer_name="DLTB").tally["imported"] == 2


def test_geojson_in_gcj02_is_shifted_back_once(ws, tmp_path):
    truth = layer()
    ll = truth.to_crs(4326)
    gcj = ll.set_geometry(transform_geoms(ll.geometry.values, wgs84_to_gcj02))
    path = write(gcj, tmp_path / "datav.geojson")
    with pytest.raises(ValidationError, match="错误") as exc:                # GCJ-02 read as WGS-84: hundreds of m off
        import_layer(ws, "parcels", path)
    assert "OUTSIDE_ZONES" in exc.value.report.codes()
    fixed = import_layer(ws, "parcels", path, datum="gcj02")
    assert shapely.hausdorff_distance(fixed.workspace.parcels.loc["A1"].geometry, truth.geometry[0]) < 0.01
    assert sum("GCJ-02" in i.message for i in fixed.report.issues) == 1
    with pytest.raises(FormatError, match="不可能是 GCJ-02") as err:
        import_layer(ws, "parcels", write(truth, tmp_path / "gk.geojson"), datum="gcj02")
    assert err.value.code == "DATUM_INVALID" and "--" not in str(err.value)


def test_gcj02_inverse_is_sub_millimetre():
    lon, lat = np.array([105.3, 102.1, 108.9]), np.array([32.3, 30.6, 28.2])
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert np.abs(np.r_[back[0] - lon, back[1] - lat]).max() * 111_000 < 1e-3


def test_kml_with_multigeometry_and_a_point_keeps_the_polygons(ws, tmp_path):
    frame = layer()
    frame.loc[1, "geometry"] = shapely.MultiPolygon([frame.geometry[1], box(X0 + 900, Y0, X0 + 950, Y0 + 50)])
    text = kml_bytes(frame).decode().replace("<MultiGeometry>", "<MultiGeometry><Point><coordinates>105.2,32.3"
                                                                "</coordinates></Point>")
    path = tmp_path / "踏勘.kml"
    path.write_text(text, encoding="utf-8")
    result = import_layer(ws, "parcels", path)
    assert result.tally == {"input": 2, "imported": 1, "repaired": 1, "rejected": 0}
    assert "舍去 1 个点/线" in result.outcome[2][1]
    assert result.workspace.parcels.loc["A2"].geometry.geom_type == "MultiPolygon"
    assert any("默认按 GCJ-02" in i.message for i in result.report.issues)


@pytest.mark.parametrize("suffix", [".kml", ".ovkml", ".kmz", ".ovkmz"])
def test_kml_gcj02_round_trip_moves_no_vertex_half_a_metre(ws, tmp_path, suffix):
    frame = layer(3)
    data = kml_bytes(frame, "gcj02")
    path = tmp_path / f"奥维{suffix}"
    path.write_bytes(zip_of({"doc.kml": data}) if suffix.endswith("z") else data)
    back = import_layer(ws, "parcels", path).workspace.parcels
    for pid, geom in zip(frame["地块编号"], frame.geometry):
        got = back.loc[pid].geometry
        moved = shapely.distance(shapely.points(shapely.get_coordinates(got)), geom.exterior)
        assert moved.max() < 0.5
    wgs = tmp_path / "wgs.kml"
    wgs.write_bytes(kml_bytes(frame, "wgs84"))
    same = import_layer(ws, "parcels", wgs, datum="wgs84").workspace.parcels.loc["A1"].geometry
    assert shapely.hausdorff_distance(same, frame.geometry[0]) < 0.01


def dxf_text(entities: list[tuple[str, list, bool]]) -> str:
    out = ["0", "SECTION", "2", "HEADER", "9", "$ACADVER", "1", "AC1015", "0", "ENDSEC", "0", "SECTION", "2",
           "ENTITIES"]
    for handle, pts, closed in entities:
        out += ["0", "LWPOLYLINE", "5", handle, "100", "AcDbEntity", "8", "YD", "100", "AcDbPolyline", "90",
                str(len(pts)), "70", "1" if closed else "0"]
        for x, y in pts:
            out += ["10", f"{x}", "20", f"{y}"]
    return "\n".join(out + ["0", "ENDSEC", "0", "EOF"]) + "\n"


def test_dxf_closed_polylines_become_parcels_and_an_open_one_is_reported_by_handle(ws, tmp_path):
    sq = lambda x: [(X0 + x, Y0), (X0 + x + 100, Y0), (X0 + x + 100, Y0 + 100), (X0 + x, Y0 + 100)]  # noqa: E731
    path = tmp_path / "规划.dxf"
    path.write_text(dxf_text([("2A", sq(500), True), ("2B", sq(700), False), ("2C", sq(900) + [sq(900)[0]], False)]))
    with pytest.raises(ValidationError, match="1 处错误"):
        import_layer(ws, "parcels", path, crs=4544, defaults=["status=available"])
    with pytest.raises(CRSMissingError, match="DXF 不带坐标系.*请指定坐标系.*EPSG:4544") as exc:
        import_layer(ws, "parcels", path, defaults=["status=available"])
    assert exc.value.candidates[0] == 4544
    result = import_layer(ws, "parcels", path, crs=4544, defaults=["status=available"], allow_partial=True)
    assert result.tally == {"input": 3, "imported": 2, "repaired": 0, "rejected": 1}
    assert result.outcome["2B"][0] == "rejected" and "未闭合" in result.outcome["2B"][1]
    assert result.workspace.parcels.loc["2A"].geometry.area == pytest.approx(10_000)
    hatch = write(gpd.GeoDataFrame({"Layer": ["YD"]}, geometry=[box(X0 + 500, Y0, X0 + 600, Y0 + 100)]),
                  tmp_path / "填充.dxf", driver="DXF")                   # GDAL writes a polygon as a HATCH
    assert b"AcDbHatch" in hatch.read_bytes()
    filled = import_layer(ws, "parcels", hatch, crs=4544, defaults=["status=available"])
    assert filled.tally["imported"] == 1 and filled.workspace.parcels.iloc[-1].geometry.area == pytest.approx(10_000)


def test_csv_with_wkt_rows_named_by_line(ws, tmp_path):
    rows = [f'C1,可供,"{box(X0 + 500, Y0, X0 + 600, Y0 + 100).wkt}"',
            f'C2,已供,"LINESTRING ({X0 + 1} {Y0 + 2}, {X0 + 3} {Y0 + 4})"']
    path = tmp_path / "台账.csv"
    path.write_bytes(("地块编号,供地状态,WKT\r\n" + "\r\n".join(rows) + "\r\n").encode("gbk"))
    with pytest.raises(CRSMissingError, match="请指定坐标系") as err:
        import_layer(ws, "parcels", path)
    assert err.value.code == "CRS_REQUIRED"
    with pytest.raises(ValidationError, match="1 处错误") as exc:      # a line among polygons: an error …
        import_layer(ws, "parcels", path, crs="EPSG:4544")
    assert [(i.row, i.code) for i in exc.value.report.errors] == [(3, "REJECTED")]
    result = import_layer(ws, "parcels", path, crs="EPSG:4544", allow_partial=True)     # … unless partial
    assert result.outcome[3] == ("rejected", "几何是线而不是面") and result.outcome[2][0] == "imported"


# ------------------------------------------------------------------------------------------------ encodings, CRS

@pytest.mark.parametrize("page", ["ISO-8859-1", "1252", "ANSI 1252", "88591"])
def test_latin1_cpg_over_gbk_is_gbk_with_a_note(ws, tmp_path, page):
    parts = shp_parts(layer(), tmp_path / "s")
    (tmp_path / "s" / "地块.cpg").write_text(page)
    result = import_layer(ws, "parcels", tmp_path / "s" / "地块.shp")
    assert result.workspace.parcels.at["A1", "status"] == "available"
    assert any(f"单字节编码 {page}" in i.message and "GBK" in i.message for i in result.report.issues)
    assert parts


def test_undecidable_encoding_names_the_field_with_both_readings(ws, tmp_path):
    frame = gpd.GeoDataFrame({"DKBH": ["A1", "A2"], "GDZT": ["available", "reserved"], "BZ": ["¦¡", "ok"]},
                             geometry=layer().geometry, crs=4544)
    shp_parts(frame, tmp_path / "s", "x", encoding="ISO-8859-1")
    (tmp_path / "s" / "x.cpg").write_text("ISO-8859-1")
    with pytest.raises(LayerFileError, match="x.dbf：字段“BZ”的编码无法判定.*读为“¦¡”.*按 GBK 读为“Α”"):
        import_layer(ws, "parcels", tmp_path / "s" / "x.shp")
    forced = import_layer(ws, "parcels", tmp_path / "s" / "x.shp", encoding="ISO-8859-1")
    assert list(forced.source.frame["BZ"]) == ["¦¡", "ok"]


@pytest.mark.parametrize("prj,words", [('LOCAL_CS["Unknown",UNIT["metre",1]]', "局部/未知坐标系"),
                                       ("", "没有坐标系"), (None, "没有坐标系")])
def test_local_cs_empty_or_missing_prj_asks_for_crs_with_candidates(ws, tmp_path, prj, words):
    shp_parts(layer(), tmp_path / "s")
    target = tmp_path / "s" / "地块.prj"
    target.unlink() if prj is None else target.write_text(prj)
    with pytest.raises(CRSMissingError, match=f"{words}.*请指定坐标系.*EPSG:4544") as exc:
        import_layer(ws, "parcels", tmp_path / "s" / "地块.shp")
    assert exc.value.candidates == [4544, 4543, 4545]
    assert import_layer(ws, "parcels", tmp_path / "s" / "地块.shp", crs=4544).counts["parcels_added"] == 2


def test_xian80_is_warned_and_bureau_parameters_are_used(ws, tmp_path, monkeypatch):
    """The bureau's 7 parameters come from the configuration file, loaded once into Settings at the edge and passed
    to the import; the import itself reads no configuration (a file set after loading changes nothing)."""
    from geo.settings import load_settings
    path = write(layer(crs=2379), tmp_path / "x80.shp", encoding="GBK")
    result = import_layer(ws, "parcels", path)
    warning = next(i for i in result.report.issues if i.code == "DATUM")
    assert warning.level == "warning" and "西安1980" in warning.message and "精度为未知" in warning.message
    ballpark = result.workspace.parcels.loc["A1"].geometry
    config = tmp_path / "bureau.toml"
    config.write_text('[import.seven_parameters.xian80]\ntowgs84 = [30.0, -20.0, 10.0, 0.0, 0.0, 0.0, 0.0]\n'
                      'source = "某县自然资源局 2021 年转换参数（测试）"\n', encoding="utf-8")
    monkeypatch.setenv("LANDGAP_CONFIG", str(config))
    assert next(i for i in import_layer(ws, "parcels", path).report.issues if i.code == "DATUM").level == "warning"
    settings = load_settings()
    seven = import_layer(ws, "parcels", path, seven_parameters=settings.layer_import.seven_parameters)
    note = next(i for i in seven.report.issues if i.code == "DATUM")
    assert note.level == "info" and "七参数" in note.message and "某县自然资源局" in note.message
    moved = shapely.hausdorff_distance(seven.workspace.parcels.loc["A1"].geometry, ballpark)
    assert 5 < moved < 60


def test_seven_parameters_from_settings_move_the_coordinates_like_the_config_file(ws, tmp_path, monkeypatch):
    """A Settings built from a table (no file, no environment) gives the same coordinates as the config-file route;
    a wrong-length towgs84 keeps its message; Beijing 1954 parameters do not touch a Xian 1980 file."""
    from geo.settings import Settings, load_settings, read_config
    path = write(layer(crs=2379), tmp_path / "x80.shp", encoding="GBK")
    entry = {"towgs84": [30.0, -20.0, 10.0, 0.0, 0.0, 0.0, 0.0], "source": "某县自然资源局 2021 年转换参数（测试）"}
    settings = Settings.from_dict({**read_config(), "import": {**read_config()["import"],
                                                         "seven_parameters": {"xian80": entry}}})
    assert list(settings.layer_import.seven_parameters["xian80"]["towgs84"]) == entry["towgs84"]
    direct = import_layer(ws, "parcels", path, seven_parameters=settings.layer_import.seven_parameters)
    config = tmp_path / "bureau.toml"
    config.write_text('[import.seven_parameters.xian80]\ntowgs84 = [30.0, -20.0, 10.0, 0.0, 0.0, 0.0, 0.0]\n'
                      'source = "某县自然资源局 2021 年转换参数（测试）"\n', encoding="utf-8")
    monkeypatch.setenv("LANDGAP_CONFIG", str(config))
    via_file = import_layer(ws, "parcels", path, seven_parameters=load_settings().layer_import.seven_parameters)
    ballpark = import_layer(ws, "parcels", path).workspace.parcels.loc["A1"].geometry
    got = direct.workspace.parcels.loc["A1"].geometry
    assert shapely.equals_exact(got, via_file.workspace.parcels.loc["A1"].geometry, 1e-6)
    assert 5 < shapely.hausdorff_distance(got, ballpark) < 60
    other = import_layer(ws, "parcels", path, seven_parameters={"beijing54": entry})
    assert shapely.equals_exact(other.workspace.parcels.loc["A1"].geometry, ballpark, 1e-6)
    with pytest.raises(FormatError, match=r"\[import.seven_parameters.xian80\] 的 towgs84 应为 7 个数"):
        import_layer(ws, "parcels", path, seven_parameters={"xian80": {"towgs84": [1.0, 2.0, 3.0]}})


def test_beijing54_is_warned(ws, tmp_path):
    result = import_layer(ws, "parcels", write(layer(crs=2431), tmp_path / "b54.shp", encoding="GBK"))
    assert any(i.level == "warning" and "北京1954" in i.message for i in result.report.issues)


# ------------------------------------------------------------------------------------------------ zips, empty

def gbk_named_zip(parts: dict[str, bytes], stem: str) -> bytes:
    """A zip as Chinese Windows writes it: GBK member names, no UTF-8 flag."""
    raw = stem.encode("gbk")
    placeholder = b"Q" * len(raw)
    data = zip_of({placeholder.decode() + name[len(stem):]: d for name, d in parts.items()})
    return data.replace(placeholder, raw)


def test_gbk_named_zip_is_decoded(ws, tmp_path):
    parts = shp_parts(layer(), tmp_path / "s", "红线地块")
    path = tmp_path / "成果.zip"
    path.write_bytes(gbk_named_zip(parts, "红线地块"))
    assert not any(i.flag_bits & 0x800 for i in zipfile.ZipFile(path).infolist())
    result = import_layer(ws, "parcels", path)
    assert "红线地块.shp" in result.source.name and result.counts["parcels_added"] == 2


def test_zip_with_two_layers_is_picked_by_name(ws, tmp_path):
    parts = {**shp_parts(layer(), tmp_path / "a", "新增"), **shp_parts(layer(1), tmp_path / "b", "现状"),
             "说明.txt": "成果说明".encode("gbk")}                         # a readme is not a layer
    path = tmp_path / "两层.zip"
    path.write_bytes(zip_of(parts))
    with pytest.raises(FormatError, match="2 个图层.*新增.shp.*现状.shp.*请指定其中一个") as err:
        import_layer(ws, "parcels", path)
    assert err.value.code == "LAYER_NAME_REQUIRED"
    assert import_layer(ws, "parcels", path, layer_name="现状").counts["parcels_added"] == 1


def test_zip_slip_is_refused_and_nothing_is_written_outside(ws, tmp_path):
    parts = shp_parts(layer(), tmp_path / "s")
    path = tmp_path / "evil.zip"
    path.write_bytes(zip_of({"../../landgap-evil.shp": parts["地块.shp"], **parts}))
    with pytest.raises(FormatError, match="zip-slip"):
        import_layer(ws, "parcels", path)
    assert not list(tmp_path.parent.parent.glob("landgap-evil*"))


def test_zip_bomb_is_refused(ws, tmp_path):
    path = tmp_path / "bomb.zip"
    path.write_bytes(zip_of({"地块.shp": bytes(64 * 1024 ** 2)}))
    with pytest.raises(FormatError, match="压缩炸弹"):
        import_layer(ws, "parcels", path)


@pytest.mark.parametrize("name", ["空.gpkg", "空.txt", "空.kml"])
def test_empty_file(ws, tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(FormatError, match="空文件"):
        import_layer(ws, "parcels", tmp_path / name)


def test_empty_layer(ws, tmp_path):
    path = write(layer().iloc[0:0], tmp_path / "空图层.geojson")
    with pytest.raises(FormatError, match="没有要素"):
        import_layer(ws, "parcels", path)


# ------------------------------------------------------------------------------------------------ targets, report

def test_zones_and_factories(ws, tmp_path):
    zones = gpd.GeoDataFrame({"园区编号": ["Z2"], "园区名称": ["新园区"], "准入产业": ["健康食品"]},
                             geometry=[box(X0 + 3000, Y0, X0 + 4000, Y0 + 1000)], crs=4544)
    new = import_layer(ws, "zones", write(zones, tmp_path / "园区.gpkg")).workspace
    assert set(new.zones.index) == {"Z1", "Z2"} and new.zones.at["Z2", "name"] == "新园区"
    factories = gpd.GeoDataFrame({"厂房编号": ["F1"], "建筑面积": [5000.0], "空置面积": [2000.0],
                                  "建设状态": ["已建成"]},
                                 geometry=[box(X0 + 1000, Y0 + 1000, X0 + 1050, Y0 + 1050)], crs=4544)
    result = import_layer(ws, "factories", write(factories, tmp_path / "厂房.geojson"))
    assert result.workspace.factories.at["F1", "zone_id"] == "Z1" and result.counts["zoned_by_location"] == 1
    with pytest.raises(LayerFileError, match="缺少必填字段 “空置面积”"):
        import_layer(ws, "factories", write(factories.drop(columns="空置面积"), tmp_path / "缺.geojson"))


def test_flood_needs_a_return_period(ws, tmp_path):
    flood = gpd.GeoDataFrame({"名称": ["河谷"]}, geometry=[box(X0, Y0, X0 + 500, Y0 + 500)], crs=4544)
    path = write(flood, tmp_path / "洪水.geojson")
    with pytest.raises(LayerFileError, match="重现期"):
        import_layer(ws, "flood", path)
    result = import_layer(ws, "flood", path, defaults=["return_period=50年"])
    assert result.table["return_period"].tolist() == [50.0] and result.table["名称"].tolist() == ["河谷"]
    with pytest.raises(ValidationError) as exc:
        import_layer(ws, "flood", path, defaults=["return_period=百年一遇"])
    assert [(i.row, i.field) for i in exc.value.report.errors] == [(0, "return_period")]


def test_allow_partial_accounts_for_every_feature(ws, tmp_path):
    frame = layer(4)
    frame.loc[1, "供地状态"] = "火星"
    frame.loc[2, "geometry"] = shapely.Polygon([(X0 + 900, Y0), (X0 + 1000, Y0 + 100), (X0 + 1000, Y0),
                                                (X0 + 900, Y0 + 100)])                    # a bow-tie
    frame.loc[3, "geometry"] = shapely.LineString([(X0, Y0), (X0 + 10, Y0)])
    path = write(frame, tmp_path / "混合.gpkg")
    with pytest.raises(ValidationError) as exc:
        import_layer(ws, "parcels", path)
    assert exc.value.result.outcome[2][0] == "rejected" and "火星" in exc.value.result.outcome[2][1]
    result = import_layer(ws, "parcels", path, allow_partial=True)
    tally = result.tally
    assert tally == {"input": 4, "imported": 1, "repaired": 1, "rejected": 2}
    assert sum(tally[k] for k in ("imported", "repaired", "rejected")) == tally["input"]
    assert "make_valid" in result.outcome[3][1] and "线" in result.outcome[4][1]
    assert set(result.workspace.parcels.index) == {"P1", "P2", "A1", "A3"}


def test_cli_constraint_layer_is_written_and_survives_a_parcel_import(ws_path, tmp_path, capsys):
    import cli
    work = tmp_path / "w.gpkg"
    shutil.copy(ws_path, work)
    farmland = write(layer(DLMC=["水田", "旱地"]), tmp_path / "基本农田.geojson")
    base = ["--workspace", str(work), "--json"]
    assert cli.main(["import-layer", *base, "--into", "farmland", "--file", str(farmland)]) == 0
    assert json.loads(capsys.readouterr().out)["farmland_added"] == 2
    shp = write(layer(), tmp_path / "dk.shp", encoding="GBK")
    assert cli.main(["import-parcel-layer", *base, "--layer", str(shp)]) == 0
    capsys.readouterr()
    got = pyogrio.read_dataframe(work, layer="farmland")
    assert list(got["DLMC"]) == ["水田", "旱地"]
    assert len(pyogrio.read_dataframe(work, layer="parcels")) == 4
    before = work.read_bytes()
    assert cli.main(["import-layer", *base, "--into", "parcels", "--file", str(tmp_path / "nope.gpkg")]) == 1
    assert "文件不存在" in capsys.readouterr().err and work.read_bytes() == before


# ------------------------------------------------------------------------------------------------ exports

def test_geojson_and_kml_exports_read_back_by_gdal(ws, tmp_path):
    path = tmp_path / "out.geojson"
    path.write_bytes(geojson_bytes(ws.parcels))
    back = pyogrio.read_dataframe(path)
    assert back.crs.to_epsg() == 4326 and set(back["parcel_id"]) == {"P1", "P2"}
    assert shapely.hausdorff_distance(back.to_crs(ws.crs).geometry[0], ws.parcels.geometry.iloc[0]) < 0.01
    kml = tmp_path / "out.kml"
    kml.write_bytes(kml_bytes(ws.parcels, "wgs84"))
    got = pyogrio.read_dataframe(kml)
    assert list(got["Name"]) == ["P1", "P2"]


def test_sites_shapefile_writes_code_page_936_twice(tmp_path):
    from formats.shapefile import shapefile_zip
    frame = gpd.GeoDataFrame({"选址": ["一号"], "园区": ["测试园区"]}, geometry=[box(X0, Y0, X0 + 10, Y0 + 10)],
                             crs=4544)
    z = zipfile.ZipFile(io.BytesIO(shapefile_zip(frame, "选址方案")))
    assert z.read("选址方案.cpg").strip() == b"936" and z.read("选址方案.dbf")[29] == 0x4D
    z.extractall(tmp_path)
    back = pyogrio.read_dataframe(tmp_path / "选址方案.shp")
    assert list(back["选址"]) == ["一号"] and list(back["园区"]) == ["测试园区"]


def test_cli_export_layer(ws_path, tmp_path, capsys):
    import cli
    base = ["export-layer", "--workspace", str(ws_path)]
    out = tmp_path / "地块.kml"
    assert cli.main(base + ["--format", "kml", "--datum", "wgs84", "--id", "P2", "--out", str(out)]) == 0
    assert list(pyogrio.read_dataframe(out)["Name"]) == ["P2"]
    gj = tmp_path / "地块.geojson"
    assert cli.main(base + ["--format", "geojson", "--out", str(gj)]) == 0
    assert len(pyogrio.read_dataframe(gj)) == 2
    assert cli.main(base + ["--format", "coordfile", "--id", "P9", "--out", str(tmp_path / "x.txt")]) == 1
    assert "没有编号 P9" in capsys.readouterr().err and not (tmp_path / "x.txt").exists()


def test_data_page_shows_the_one_uploader(ws_path, monkeypatch):
    """The 数据管理 page renders the import panel (AppTest cannot upload; the panel's calls are the ones above)."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("LANDGAP_WORKSPACE", str(ws_path))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=120).run()
    at.switch_page("pages/data_page.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(e.label.startswith("导入图层（坐标文件、Shapefile") for e in at.expander)
    assert {"导入到", "经纬度基准"} <= {s.label for s in at.selectbox}


def test_preview_is_drawn_locally(ws, tmp_path):
    from pages.layer_import_panel import preview_png
    png = preview_png(import_layer(ws, "farmland", write(layer(), tmp_path / "f.geojson")))
    assert png.startswith(b"\x89PNG")
