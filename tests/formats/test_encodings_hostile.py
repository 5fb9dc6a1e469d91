"""Text in every encoding the bureau's PCs write, and the ones that lie: a WKT CSV in GBK behind a UTF-8 BOM (read
as GBK with a note; not GBK either → a Chinese error), UTF-16 LE/BE CSV layers and ledgers, a truncated UTF-16
file, a .cpg with a NUL byte (read correctly) or only NULs (as if absent), a forced encoding with a NUL byte. Each
ends in a correct read or a Chinese LandGapError — never a codec traceback."""
from __future__ import annotations

import pytest
from shapely.geometry import box

from formats import FormatError
from formats.dbf import detect_encoding
from formats.encoding import decode_text
from formats.layer_import import import_layer
from formats.ledger import read_ledger
from geo.errors import LandGapError, LayerFileError, LedgerError
from tests.conftest import X0, Y0
from tests.formats.test_import_formats import SETTINGS, layer, shp_parts
from tests.formats.test_ledger import GOOD, HEADER, csv as ledger_csv

BOMS = {"utf-8-sig": b"", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}


@pytest.fixture()
def ws(ws_path):
    from stores.gpkg_file import load_workspace
    return load_workspace(ws_path, SETTINGS)


def wkt_csv() -> str:
    return ("地块编号,供地状态,WKT\r\n"
            f'C1,可供,"{box(X0 + 500, Y0, X0 + 600, Y0 + 100).wkt}"\r\n'
            f'C2,预留,"{box(X0 + 700, Y0, X0 + 800, Y0 + 100).wkt}"\r\n')


@pytest.mark.parametrize("data, word", [
    (b"\xef\xbb\xbf" + wkt_csv().encode("gbk"), "GBK"),
    (b"\xff\xfe" + wkt_csv().encode("utf-16-le"), "UTF-16"),
    (b"\xfe\xff" + wkt_csv().encode("utf-16-be"), "UTF-16"),
    (wkt_csv().encode("gb18030"), None),
])
def test_wkt_csv_in_every_encoding_imports_with_its_chinese(ws, tmp_path, data, word):
    path = tmp_path / "坐标.csv"
    path.write_bytes(data)
    result = import_layer(ws, "parcels", path, crs="EPSG:4544")
    parcels = result.workspace.parcels
    assert parcels.at["C1", "status"] == "available" and parcels.at["C2", "status"] == "reserved"
    if word:
        assert any(word in i.message for i in result.report.issues)


def test_a_bom_over_bytes_neither_utf8_nor_gbk_is_a_named_error(ws, tmp_path):
    path = tmp_path / "坐标.csv"
    path.write_bytes(b"\xef\xbb\xbf" + wkt_csv().encode("utf-8") + b"\x80\xff\xfe,\r\n")
    with pytest.raises(FormatError, match="坐标.csv 第 4 行.*BOM.*不是 UTF-8，也不是 GBK"):
        import_layer(ws, "parcels", path, crs="EPSG:4544")


def test_a_truncated_utf16_file_is_named_not_a_codec_error():
    with pytest.raises(FormatError, match="坐标.csv：UTF-16 编码的文件不完整"):
        decode_text(b"\xff\xfe" + "地块".encode("utf-16-le") + b"\x41", "坐标.csv")
    with pytest.raises(FormatError, match="无法按指定编码"):
        decode_text(b"abc", "坐标.csv", forced="gb\0k")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "gb18030"])
def test_ledger_csv_in_utf16_and_gbk_behind_a_bom(encoding):
    rows = [HEADER, *GOOD[:2]]
    data = BOMS.get(encoding, b"") + ledger_csv(rows, encoding)
    if encoding == "utf-8-sig":                          # a tool put a UTF-8 BOM before GBK text
        data = b"\xef\xbb\xbf" + ledger_csv(rows, "gbk")
    ledger = read_ledger(data, "台账.csv")
    assert ledger.rows.iloc[0][HEADER[1]] == "台账新材料项目"
    assert ledger.rows.iloc[1][HEADER[5]] == "云台健康食品产业园"


def test_ledger_csv_that_cannot_be_decoded_is_a_chinese_ledger_error():
    with pytest.raises(LedgerError, match="台账.csv.*UTF-16 编码的文件不完整"):
        read_ledger(b"\xff\xfe" + "项目名称".encode("utf-16-le") + b"\x41", "台账.csv")


@pytest.mark.parametrize("cpg", [b"936\x00", b"\x00GBK\x00\x00", b"\xef\xbb\xbfCP936\r\n\x00", b"\x00\x00", b""])
def test_a_cpg_with_nul_bytes_reads_the_gbk_attributes(ws, tmp_path, cpg):
    parts = shp_parts(layer(), tmp_path / "s")
    (tmp_path / "s" / "地块.cpg").write_bytes(cpg)
    result = import_layer(ws, "parcels", tmp_path / "s" / "地块.shp")
    assert result.workspace.parcels.at["A1", "status"] == "available"
    assert result.workspace.parcels.at["A2", "status"] == "reserved"
    assert parts


def test_a_cpg_of_garbage_or_a_forced_name_with_nul_is_a_chinese_error(tmp_path):
    dbf = shp_parts(layer(), tmp_path / "s")["地块.dbf"]
    with pytest.raises(LayerFileError, match=".cpg 文件中的编码“X-NO\\|PE”无法识别"):
        detect_encoding(dbf, b"x-no\x00|pe\xff")
    with pytest.raises(LandGapError, match="无法识别指定的编码"):
        detect_encoding(dbf, None, forced="gb\x00k")
