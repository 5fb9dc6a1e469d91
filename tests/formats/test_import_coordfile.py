"""The 自然资源部 坐标文件: every variant in use read right (zone, prefix, rings, encodings, areas), bad ones named by
line, and a parcel exported for 报批 and imported back with the same area (pyproj.Geod, GRS80)."""
from __future__ import annotations

import json
import shutil

import pytest
import shapely
from pyproj import Geod, Transformer

from formats import CRSMissingError, FormatError
from formats.coordfile import read_coordfile, write_coordfile
from formats.layer_import import import_layer
from geo.errors import LayerFileError
from geo.settings import load_settings
from geo.units import m2_to_mu
from tests.conftest import X0, Y0

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

GEOD = Geod(ellps="GRS80")


def square(x, y, d=100.0):
    return [(X0 + x, Y0 + y), (X0 + x + d, Y0 + y), (X0 + x + d, Y0 + y + d), (X0 + x, Y0 + y + d)]


def coordfile(parcels, *, version="1.01版本", zone=35, zone_header=True, prefix=True, j=True, close=True,
              swap=False, datum="2000国家大地坐标系", width=3, encoding="gbk", crlf=True, bom=b"") -> bytes:
    """A 坐标文件 as the variants in use write it; ``parcels``: dicts id, name, rings [[(e, n), …]], ha, shape."""
    head = ["[属性描述]", f"格式版本号={version}", "数据产生单位=XX县自然资源局", "数据产生日期=2024-05-01",
            f"坐标系={datum}", f"几度分带={width}", "投影类型=高斯克吕格", "计量单位=米"]
    head += [f"带号={zone}"] if zone_header else []
    head += ["精度=0.001", "转换参数=,,,,,,", "[地块坐标]"]
    body = []
    for p in parcels:
        pts = []
        for r, ring in enumerate(p["rings"], start=1):
            ring = list(ring) + ([ring[0]] if close else [])
            for k, (e, n) in enumerate(ring, start=1):
                east = e + (zone * 1_000_000 if prefix else 0)
                x, y = (east, n) if swap else (n, east)
                pts.append(f"{'J' if j else ''}{k},{r},{x:.3f},{y:.3f}")
        ha = p["ha"] if "ha" in p else shapely.Polygon(p["rings"][0], p["rings"][1:]).area / 10_000
        body.append(f"{len(pts)},{ha:.4f},{p['id']},{p.get('name', '')},{p.get('shape', '面')},,工业用地,"
                    f"{p.get('code', '1001')},@")
        body += pts
    text = ("\r\n" if crlf else "\n").join(head + body) + ("\r\n" if crlf else "\n")
    return bom + text.encode(encoding)


ONE = [{"id": "1", "name": "地块1", "rings": [square(0, 0)]}]


@pytest.fixture()
def ws(ws_path):
    from stores.gpkg_file import load_workspace
    return load_workspace(ws_path, SETTINGS)


@pytest.mark.parametrize("kwargs,epsg", [
    ({}, 4523),                                                 # 1.01, 带号, J, Y prefixed, closed: EPSG 4513–4533
    ({"version": "1.00版本", "zone_header": False}, 4523),       # no 带号: the prefix tells
    ({"prefix": False}, 4544),                                  # Y without prefix: 带号 → EPSG 4534–4554
    ({"j": False}, 4523),                                       # point names without J
    ({"close": False}, 4523),                                   # closing point not repeated
    ({"width": 6, "zone": 18}, 4496),                           # 6° zone 18, prefixed (4491–4501)
    ({"datum": "1980西安坐标系"}, 2359),                         # Xian 1980 3° zone 35 prefixed
])
def test_variants_give_the_zone_and_the_same_square(kwargs, epsg):
    geo = {"width": 6, "zone": 18} == kwargs
    cf = read_coordfile(coordfile(ONE, **kwargs), "a.txt")
    assert cf.frame.crs.to_epsg() == epsg
    if not geo:
        assert cf.frame.geometry.iloc[0].area == pytest.approx(10_000, rel=1e-9)
    row = cf.frame.iloc[0]
    assert (row["parcel_id"], row["name"], row["land_use"], row["land_class"]) == ("1", "地块1", "工业用地", "1001")
    assert cf.frame.index[0] == 13 - (0 if kwargs.get("zone_header", True) else 1)   # the parcel line's number


@pytest.mark.parametrize("encoding,bom,crlf,word", [
    ("gbk", b"", True, None), ("utf-8", b"", False, "UTF-8 编码（无 BOM）"), ("utf-8", b"\xef\xbb\xbf", True, "带 BOM"),
    ("utf-16-le", b"\xff\xfe", True, "UTF-16"), ("utf-16-le", b"", True, "无 BOM"),
])
def test_encodings(encoding, bom, crlf, word):
    cf = read_coordfile(coordfile(ONE, encoding=encoding, bom=bom, crlf=crlf), "a.txt")
    assert cf.frame.iloc[0]["name"] == "地块1"
    if word:
        assert any(word in n for n in cf.notes)


def test_a_description_before_the_at_sign_and_dishang_in_slot_8():
    data = coordfile(ONE).decode("gbk").replace(",工业用地,1001,@", ",工业用地,地上,说明文字,@").encode("gbk")
    row = read_coordfile(data, "a.txt").frame.iloc[0]
    assert row["land_use"] == "工业用地" and row["land_class"] is None and row["parcel_id"] == "1"


def test_x_and_y_swapped_is_detected():
    cf = read_coordfile(coordfile(ONE, swap=True), "a.txt")
    assert any("对调" in n for n in cf.notes)
    assert cf.frame.geometry.iloc[0].bounds[0] == pytest.approx(35e6 + X0)


def test_rings_holes_parts_and_several_parcels():
    hole = [(X0 + 40, Y0 + 40), (X0 + 60, Y0 + 40), (X0 + 60, Y0 + 60), (X0 + 40, Y0 + 60)]
    parcels = [{"id": "1", "rings": [square(0, 0), hole]},               # ring 2 inside ring 1: a hole
               {"id": "2", "rings": [square(300, 0), square(500, 0)]},   # ring 2 outside: a second part
               {"id": "3", "rings": [square(700, 0)], "ha": 1.0}]
    cf = read_coordfile(coordfile(parcels), "a.txt")
    g = cf.frame.geometry
    assert list(cf.frame["parcel_id"]) == ["1", "2", "3"]
    assert g.iloc[0].area == pytest.approx(10_000 - 400) and len(g.iloc[0].interiors) == 1
    assert g.iloc[1].geom_type == "MultiPolygon" and g.iloc[1].area == pytest.approx(20_000)


def test_area_checked_against_the_rings():
    ok = read_coordfile(coordfile([{**ONE[0], "ha": 1.0}]), "a.txt")
    assert not any("相差" in n for n in ok.notes)                 # a GK plane square: within 0.1 % of GRS80
    off = read_coordfile(coordfile([{**ONE[0], "ha": 1.2}]), "a.txt")
    note = next(n for n in off.notes if "相差" in n)
    assert "第 13 行" in note and "1.2000 公顷" in note and "超过 0.1%" in note
    assert off.frame.iloc[0]["registered_mu"] == pytest.approx(18.0)


def test_a_ring_of_two_points_is_rejected():
    two = [(X0, Y0), (X0 + 10, Y0)]
    cf = read_coordfile(coordfile([ONE[0], {"id": "2", "rings": [two], "ha": 0.0}]), "a.txt")
    assert list(cf.frame["parcel_id"]) == ["1"] and "不足 3 个" in cf.rejected[19]


def test_points_and_lines_are_rejected_by_line():
    cf = read_coordfile(coordfile([ONE[0], {"id": "2", "rings": [square(300, 0)], "shape": "线"}]), "a.txt")
    assert list(cf.frame["parcel_id"]) == ["1"] and cf.input_count == 2
    (line, reason), = cf.rejected.items()
    assert line == 19 and "不是面" in reason


def test_no_zone_anywhere_asks_for_crs_with_candidates():
    data = coordfile(ONE, zone_header=False, prefix=False)
    with pytest.raises(CRSMissingError) as exc:
        read_coordfile(data, "a.txt")
    assert exc.value.code == "CRS_REQUIRED" and "请指定坐标系" in str(exc.value) and 4544 in exc.value.candidates
    assert read_coordfile(data, "a.txt", crs=4544).frame.crs.to_epsg() == 4544


def test_no_zone_anywhere_on_import_names_the_workspace_zone(ws, tmp_path):
    path = tmp_path / "无带号.txt"
    path.write_bytes(coordfile(ONE, zone_header=False, prefix=False))
    with pytest.raises(CRSMissingError, match="无带号.txt：Y 坐标不带带号.*请指定坐标系.*EPSG:4544") as exc:
        import_layer(ws, "parcels", path)
    assert exc.value.candidates == [4544, 4543, 4545]
    assert import_layer(ws, "parcels", path, crs=4544, defaults=["status=available"]).tally["imported"] == 1


@pytest.mark.parametrize("data,words", [
    (b"", "没有 \\[地块坐标\\]"),
    ("[属性描述]\r\n带号=35\r\n[地块坐标]\r\n5,1,1,a,面,,,,@\r\nJ1,1,abc,35520000\r\n".encode("gbk"), "第 5 行"),
    ("[地块坐标]\r\nJ1,1,3575000,35520000\r\n".encode("gbk"), "第 2 行"),
    ("hello\r\n".encode("gbk"), "第 1 行"),
])
def test_broken_files_are_named_by_line(data, words):
    with pytest.raises(FormatError, match=words):
        read_coordfile(data, "坏.txt")


def test_import_into_parcels_with_a_default_status(ws, tmp_path):
    path = tmp_path / "报批.txt"
    path.write_bytes(coordfile([{**ONE[0], "id": "N1", "rings": [square(600, 0)]}]))
    with pytest.raises(LayerFileError, match="供地状态.*字段=取值") as err:
        import_layer(ws, "parcels", path)
    assert err.value.code == "FIELD_MISSING" and "--" not in str(err.value)
    result = import_layer(ws, "parcels", path, defaults=["status=available"])
    new = result.workspace
    assert new.parcels.at["N1", "name"] == "地块1" and new.parcels.at["N1", "land_class"] == "1001"
    assert new.parcels.at["N1", "zone_id"] == "Z1" and result.tally == {"input": 1, "imported": 1, "repaired": 0,
                                                                          "rejected": 0}


def test_export_is_gbk_crlf_and_round_trips_to_a_hundredth_of_a_mu(ws, tmp_path):
    hole = [(X0 + 40, Y0 + 40), (X0 + 60, Y0 + 40), (X0 + 60, Y0 + 60), (X0 + 40, Y0 + 60)]
    site = ws.parcels.loc[["P1"]].copy()
    site["geometry"] = [shapely.Polygon([(X0 + 3.3, Y0 + 1.7), (X0 + 151.9, Y0 + 12.2), (X0 + 140.1, Y0 + 171.4),
                                         (X0 + 7.7, Y0 + 133.3)], [hole])]
    site["name"] = "选址一"
    data = write_coordfile(site, unit="XX县自然资源局")
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    text = data.decode("gbk")
    assert "带号=35" in text and "选址一" in text and ",P1,选址一,面," in text
    path = tmp_path / "site.txt"
    path.write_bytes(data)
    back = import_layer(ws, "parcels", path, defaults=["status=available"]).workspace.parcels.loc["P1"]

    def geod_mu(geom, crs):
        ll = shapely.orient_polygons(shapely.transform(geom, Transformer.from_crs(crs, 4490, always_xy=True).transform,
                                                       interleaved=False))
        return m2_to_mu(abs(GEOD.geometry_area_perimeter(ll)[0]))

    original = geod_mu(site.geometry.iloc[0], ws.crs)
    assert geod_mu(back.geometry, ws.crs) == pytest.approx(original, abs=0.01)
    assert back["area_mu"] == pytest.approx(original, abs=0.01)
    assert back["registered_mu"] == pytest.approx(original, abs=0.01)     # the file's 公顷, back in 亩


def test_cli_dry_run_and_failure_leave_the_workspace_bytes(ws_path, tmp_path, capsys):
    import cli
    work = tmp_path / "w.gpkg"
    shutil.copy(ws_path, work)
    before = work.read_bytes()
    path = tmp_path / "a.txt"
    path.write_bytes(coordfile([{**ONE[0], "id": "N1", "rings": [square(600, 0)]}]))
    argv = ["import-layer", "--workspace", str(work), "--into", "parcels", "--file", str(path), "--json"]
    assert cli.main(argv + ["--default", "status=available", "--dry-run"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["dry_run"] and payload["input_count"] == 1 and payload["imported"] is False
    assert work.read_bytes() == before
    assert cli.main(argv + ["--default", "status=火星"]) == 1
    out = capsys.readouterr().out
    assert "火星" in out and work.read_bytes() == before
    assert cli.main(argv[:-1] + ["--default", "status=available"]) == 0
    assert "已导入" in capsys.readouterr().out and work.read_bytes() != before


def test_cli_match_sites_as_coordfile_round_trip(sample_path, sample_ws, tmp_path, capsys, settings):
    """export-layer --layer sites: the 选址方案 of a match, for 报批; read back, each site has the engine's area."""
    import cli
    import matching
    from layers.export import SITE_FIELDS, sites_frame
    out = tmp_path / "选址.txt"
    assert cli.main(["export-layer", "--workspace", str(sample_path), "--layer", "sites", "--format", "coordfile",
                     "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["features"] > 0
    ws = sample_ws
    sites = sites_frame(matching.match(ws, settings=settings), ws).set_index(SITE_FIELDS["project_id"])
    back = read_coordfile(out.read_bytes(), out.name)
    assert len(back.frame) == len(sites)
    for _, row in back.frame.iterrows():
        ll = shapely.orient_polygons(shapely.transform(
            row.geometry, Transformer.from_crs(back.frame.crs, 4490, always_xy=True).transform, interleaved=False))
        got = m2_to_mu(abs(GEOD.geometry_area_perimeter(ll)[0]))
        assert got == pytest.approx(sites.at[row["parcel_id"], SITE_FIELDS["site_mu"]], abs=0.01 + 0.005)
        assert row["name"] == sites.at[row["parcel_id"], SITE_FIELDS["name"]]
