"""KML/KMZ/奥维 files as they arrive broken or unusual: a coordinate that is no number, a Polygon without
coordinates, malformed and truncated XML, a KMZ with two .kml, 奥维's declared <OvCoordType> (CGCS2000/WGS84 not
shifted, GCJ02 corrected, mixed per Placemark, unknown refused). Each ends in an import or a Chinese FormatError
naming the file — never a traceback."""
from __future__ import annotations

import numpy as np
import pytest
import shapely

from formats import FormatError
from formats.export import kml_bytes
from formats.layer_import import import_layer
from geo.errors import LAYER_NAME_REQUIRED, ValidationError
from geo.gcj02 import wgs84_to_gcj02
from tests.formats.test_import_formats import SETTINGS, layer, zip_of

LON, LAT = 105.222, 32.305      # GCJ-02 or not, inside the test park
D = ["status=available"]


@pytest.fixture()
def ws(ws_path):
    from stores.gpkg_file import load_workspace
    return load_workspace(ws_path, SETTINGS)


def square(lon=LON, lat=LAT, d=0.001) -> str:
    return " ".join(f"{x:.7f},{y:.7f},0" for x, y in [(lon, lat), (lon + d, lat), (lon + d, lat + d),
                                                      (lon, lat + d), (lon, lat)])


def placemark(name: str, coords: str | None, coord_type: str | None = None) -> str:
    body = "" if coords is None else f"<coordinates>{coords}</coordinates>"
    kind = f"<OvCoordType>{coord_type}</OvCoordType>" if coord_type else ""
    return (f"<Placemark><name>{name}</name>{kind}<Polygon><outerBoundaryIs><LinearRing>{body}</LinearRing>"
            "</outerBoundaryIs></Polygon></Placemark>")


def kml(*marks: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>\n'
            + "\n".join(marks) + "\n</Document></kml>\n").encode("utf-8")


def test_a_coordinate_abc_rejects_that_placemark_by_number(ws, tmp_path):
    path = tmp_path / "踏勘.kml"
    path.write_bytes(kml(placemark("A1", square()), placemark("A2", "105.2,abc,0 105.3,32.3,0 105.3,32.4,0")))
    with pytest.raises(ValidationError) as err:
        import_layer(ws, "parcels", path, defaults=D)
    assert err.value.result.outcome[2][0] == "rejected"
    assert "“105.2,abc,0”不是数值" in err.value.result.outcome[2][1]
    done = import_layer(ws, "parcels", path, allow_partial=True, defaults=D)
    assert done.tally == {"input": 2, "imported": 1, "repaired": 0, "rejected": 1}


def test_a_polygon_without_coordinates_is_named(ws, tmp_path):
    path = tmp_path / "踏勘.kml"
    path.write_bytes(kml(placemark("A1", None)))
    with pytest.raises(FormatError, match="踏勘.kml.*缺少 <coordinates>"):
        import_layer(ws, "parcels", path, defaults=D)


@pytest.mark.parametrize("cut, words", [(-40, "不完整"), (None, "XML 格式错误")])
def test_truncated_and_malformed_xml_are_refused_as_such(ws, tmp_path, cut, words):
    data = kml(placemark("A1", square()), placemark("A2", square(LON + 0.004)))
    data = data[:cut] if cut else data.replace(b"<name>A2</name>", b"<name>A2</nom>")
    path = tmp_path / "奥维.ovkml"
    path.write_bytes(data)
    with pytest.raises(FormatError, match=f"奥维.ovkml.*{words}"):
        import_layer(ws, "parcels", path, defaults=D)


def test_a_kmz_with_two_kml_lists_them_and_one_is_chosen(ws, tmp_path):
    path = tmp_path / "两份.kmz"
    path.write_bytes(zip_of({"doc.kml": kml_bytes(layer(2)), "files/旧.kml": kml_bytes(layer(1))}))
    with pytest.raises(FormatError, match="doc.kml、files/旧.kml") as err:
        import_layer(ws, "parcels", path, defaults=D)
    assert err.value.code == LAYER_NAME_REQUIRED
    assert import_layer(ws, "parcels", path, layer_name="旧", defaults=D).tally["input"] == 1
    assert import_layer(ws, "parcels", path, layer_name="doc", defaults=D).tally["input"] == 2


@pytest.mark.parametrize("declared, shifted", [("CGCS2000", False), ("WGS84", False), ("GCJ02", True),
                                               ("GCJ-02", True), (None, True)])
def test_the_declared_coord_type_wins(ws, tmp_path, declared, shifted):
    path = tmp_path / "奥维.ovkml"
    path.write_bytes(kml(placemark("A1", square(), declared)))
    got = import_layer(ws, "parcels", path, defaults=D).workspace.parcels.to_crs(4326)
    back = got.loc["A1"].geometry
    lon, lat = np.asarray(shapely.get_coordinates(back)).min(axis=0)
    if shifted:                                         # GCJ-02 corrected: the WGS-84 point whose GCJ-02 is LON
        gx, gy = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
        assert abs(gx[0] - LON) * 93_000 < 0.5 and abs(gy[0] - LAT) * 111_000 < 0.5
    else:                                               # not moved (a ~319 m shift here otherwise)
        assert abs(lon - LON) * 93_000 < 0.05 and abs(lat - LAT) * 111_000 < 0.05


def test_mixed_coord_types_each_as_declared_and_unknown_refused(ws, tmp_path):
    path = tmp_path / "奥维.ovkml"
    path.write_bytes(kml(placemark("A1", square(), "CGCS2000"), placemark("A2", square(LON + 0.004), "GCJ02"),
                         placemark("A3", square(LON + 0.008), "BD09")))
    with pytest.raises(ValidationError) as err:
        import_layer(ws, "parcels", path, defaults=D)
    assert "BD09" in err.value.result.outcome[3][1]
    table = import_layer(ws, "parcels", path, allow_partial=True, defaults=D).workspace.parcels.to_crs(4326)
    a1, a2 = (np.asarray(shapely.get_coordinates(table.loc[k].geometry)).min(axis=0) for k in ("A1", "A2"))
    assert abs(a1[0] - LON) * 93_000 < 0.05
    gx, _ = wgs84_to_gcj02(np.array([a2[0]]), np.array([a2[1]]))
    assert abs(gx[0] - (LON + 0.004)) * 93_000 < 0.5 and abs(a2[0] - (LON + 0.004)) * 93_000 > 100
