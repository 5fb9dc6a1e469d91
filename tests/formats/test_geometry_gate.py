"""Issue 22 items 1 and 9 through the CLI: NaN/Infinity in GeoJSON, a 坐标文件 and KML, a longitude of 1e300, a
world polygon that cannot go into the county's Gauss-Krüger zone — each refused per feature with a Chinese message
naming the file, the feature and the reason, the workspace bytes unchanged, never a traceback; a workspace that
already holds NaN coordinates loads with an error naming the parcel (validate, available, fit); an imported parcel
overlapping an existing one is named in the import's report with the overlap in 亩."""
from __future__ import annotations

import json
import shutil

import pyogrio
import pytest
import shapely
from pyproj import Geod, Transformer

import cli
from tests.conftest import X0, Y0

LON, LAT = 105.2, 32.3


def feature(pid: str, ring: str) -> str:
    return ('{"type":"Feature","properties":{"地块编号":"%s","供地状态":"可供"},'
            '"geometry":{"type":"Polygon","coordinates":[[%s]]}}' % (pid, ring))


def geojson(*features: str) -> str:
    return '{"type":"FeatureCollection","features":[%s]}' % ",".join(features)


_LL = Transformer.from_crs(4544, 4326, always_xy=True)
GOOD = feature("G1", ",".join("[%.9f,%.9f]" % _LL.transform(X0 + dx, Y0 + dy)       # in the park, clear of P1, P2
                              for dx, dy in [(600, 0), (700, 0), (700, 100), (600, 100), (600, 0)]))
COORDFILE = ("[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n带号=35\n[地块坐标]\n"
             "4,,C1,地块1,面,,工业用地,0601,@\nJ1,1,3575000.0,35520500.0\nJ2,1,{bad},35520600.0\n"
             "J3,1,3575100.0,35520600.0\nJ1,1,3575000.0,35520500.0\n")
KML = ('<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>K1</name>'
       '<Polygon><outerBoundaryIs><LinearRing><coordinates>105.2,32.3 {bad},32.3 105.21,32.31 105.2,32.3'
       '</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>')

CASES = {
    "nan.geojson": (geojson(feature("N1", "[105.2,32.3],[NaN,32.3],[105.21,32.31],[105.2,32.3]")), "N1", "NaN"),
    "inf.geojson": (geojson(feature("N1", "[105.2,32.3],[Infinity,32.3],[105.21,32.31],[105.2,32.3]")), "N1",
                    "inf"),
    "far.geojson": (geojson(feature("N1", "[105.2,32.3],[1e300,32.3],[105.21,32.31],[105.2,32.3]")), "N1",
                    "适用范围之外"),
    "world.geojson": (geojson(feature("N1", "[-170,-80],[170,-80],[170,80],[-170,80],[-170,-80]")), "N1",
                      "无法可靠投影到工作空间的坐标系"),
    "nan.txt": (COORDFILE.format(bad="nan"), "C1", "第 8 行界址点坐标"),
    "inf.txt": (COORDFILE.format(bad="inf"), "C1", "无穷大"),
    "nan.kml": (KML.format(bad="nan"), "K1", "NaN"),
}


@pytest.fixture()
def work(ws_path, tmp_path):
    path = tmp_path / "w.gpkg"
    shutil.copy(ws_path, path)
    return path


def run(args, capsys):
    code = cli.main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_coordinates_are_refused_per_feature_and_nothing_is_written(work, tmp_path, capsys, name):
    text, _, reason = CASES[name]
    src = tmp_path / name
    src.write_text(text, encoding="utf-8")
    before = work.read_bytes()
    code, out, err = run(["import-layer", "--workspace", str(work), "--into", "parcels", "--file", str(src),
                          "--datum", "wgs84", "--default", "status=available"], capsys)
    assert code == 1 and "Traceback" not in err and "GEOS" not in err
    assert name in err and reason in err
    assert work.read_bytes() == before


@pytest.mark.parametrize("name", ["nan.geojson", "far.geojson", "world.geojson"])
def test_a_bad_feature_beside_a_good_one_is_named_and_skipped_with_allow_partial(work, tmp_path, capsys, name):
    text = CASES[name][0].replace('{"type":"Feature"', GOOD + ',{"type":"Feature"', 1)
    src = tmp_path / name
    src.write_text(text, encoding="utf-8")
    base = ["import-layer", "--workspace", str(work), "--into", "parcels", "--file", str(src), "--datum", "wgs84",
            "--json"]
    code, out, _ = run(base, capsys)
    got = json.loads(out)
    assert code == 1 and got["imported"] is False
    assert [f["feature"] for f in got["features"] if f["result"] == "rejected"] == ["1"]
    assert CASES[name][2] in json.dumps(got, ensure_ascii=False)
    code, out, _ = run([*base, "--allow-partial"], capsys)
    assert code == 0, out
    parcels = pyogrio.read_dataframe(work, layer="parcels")
    assert set(parcels["parcel_id"]) == {"P1", "P2", "G1"}
    assert shapely.get_coordinates(parcels.geometry.values).max() < 1e8


@pytest.mark.parametrize("wkt", [
    "POLYGON ((520300 3575000, 520400 NaN, 520400 3575100, 520300 3575000))",
    "POLYGON ((520300 3575000, inf 3575000, 520400 3575100, 520300 3575000))",
    "POLYGON ((520300 3575000, 1e300 3575000, 520400 3575100, 520300 3575000))",
])
def test_a_workspace_holding_bad_coordinates_names_the_parcel(work, capsys, wkt):
    frame = pyogrio.read_dataframe(work, layer="parcels", fid_as_index=True)
    frame.loc[frame["parcel_id"] == "P2", "geometry"] = shapely.from_wkt(wkt)     # as an old version wrote it
    pyogrio.write_dataframe(frame, work, layer="parcels")
    for command in (["validate"], ["available"], ["fit", "--industry", "纺织鞋服", "--need-mu", "5"]):
        code, out, err = run([command[0], "--workspace", str(work), *command[1:]], capsys)
        assert code == 1 and "Traceback" not in err and "GEOS" not in out + err
        assert "地块编号 P2" in out + err and "坐标" in out + err


def test_an_import_reports_the_existing_parcels_it_overlaps_in_mu(work, tmp_path, capsys):
    """P1 is (X0, Y0)–(X0+100, Y0+100); N1 covers its east half and N2 lies clear of every parcel."""
    import geopandas as gpd
    from shapely.geometry import box
    frame = gpd.GeoDataFrame({"地块编号": ["N1", "N2"], "供地状态": ["可供", "可供"]},
                             geometry=[box(X0 + 50, Y0, X0 + 150, Y0 + 100), box(X0 + 1000, Y0, X0 + 1100, Y0 + 100)],
                             crs=4544)
    src = tmp_path / "overlap.geojson"
    pyogrio.write_dataframe(frame, src)
    code, out, _ = run(["import-layer", "--workspace", str(work), "--into", "parcels", "--file", str(src), "--json"],
                       capsys)
    got = json.loads(out)
    assert code == 0
    warned = [i for i in got["issues"] if i["code"] == "OVERLAPS_EXISTING"]
    assert [(w["row"], w["level"]) for w in warned] == [(0, "warning")]        # the file's FID 0: N1
    # the reference: the 50 m × 100 m overlap's GRS80 area, by pyproj.Geod
    lonlat = gpd.GeoSeries([box(X0 + 50, Y0, X0 + 100, Y0 + 100)], crs=4544).to_crs(4490).iloc[0]
    ref_mu = abs(Geod(ellps="GRS80").geometry_area_perimeter(lonlat)[0]) / (10_000 / 15)
    assert "N1" in warned[0]["message"] and "P1" in warned[0]["message"] and f"{ref_mu:.2f} 亩" in warned[0]["message"]
    assert got["counts"]["overlapping_existing"] == 1
