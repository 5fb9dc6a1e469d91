"""Exports a planner can use: a 坐标文件 of names with line breaks, tabs, commas or characters outside GBK (and such
a 数据产生单位) is written with each changed and a note saying so, and imports back with the tool's own importer;
ids made equal by the change are refused; a KML of names with control characters XML forbids reads back."""
from __future__ import annotations

import pytest

from formats.export import export_bytes
from formats.layer_import import import_layer
from geo.errors import ExportError
from tests.formats.test_import_formats import SETTINGS

HOSTILE = {"P1": "一号\r\n地块\t（东）", "P2": "𠀀家坝,二号"}      # U+20000 is outside GBK


@pytest.fixture()
def ws(ws_path):
    from stores.gpkg_file import load_workspace
    return load_workspace(ws_path, SETTINGS)


def test_coordfile_of_hostile_names_round_trips_with_notes(ws, tmp_path):
    frame = ws.parcels.copy()
    frame["name"] = frame.index.map(HOSTILE)
    frame["land_use"] = ["工业\n用地", "工业用地"]
    notes: list[str] = []
    data = export_bytes(frame, "parcels", "coordfile", unit="XX县\n自然资源局", notes=notes)
    text = data.decode("gbk")                                  # GBK throughout: no "?" slipped in unsaid
    assert "数据产生单位=XX县 自然资源局\r\n" in text
    assert ",P1,一号 地块 （东）,面,,工业 用地," in text and ",P2,?家坝、二号,面," in text
    assert any("第 1 个地块（P1）的名称" in n and "换为空格" in n for n in notes)
    assert any("“𠀀”不在 GBK 字符集中" in n and "P2" in n for n in notes)
    assert any("数据产生单位" in n for n in notes) and any("逗号" in n and "P2" in n for n in notes)
    path = tmp_path / "报批.txt"
    path.write_bytes(data)
    back = import_layer(ws, "parcels", path, defaults=["status=available"])
    assert back.tally == {"input": 2, "imported": 2, "repaired": 0, "rejected": 0}
    assert back.workspace.parcels.at["P1", "name"] == "一号 地块 （东）"
    assert back.workspace.parcels.at["P2", "name"] == "?家坝、二号"


def test_ids_made_equal_by_the_replacement_are_refused(ws):
    frame = ws.parcels.copy()
    frame["parcel_id"] = ["A𠀀", "A𠀁"]
    with pytest.raises(ExportError, match=r"编号重复（A\?）"):
        export_bytes(frame, "parcels", "coordfile")


def test_kml_of_names_with_control_characters_reads_back(ws, tmp_path):
    frame = ws.parcels.copy()
    frame["name"] = ["一号\x0b地块", 'A"B\x01']
    frame['备注"x'] = ["a\x1fb", "<c>"]
    path = tmp_path / "导出.kml"
    path.write_bytes(export_bytes(frame, "parcels", "kml"))
    back = import_layer(ws, "parcels", path, defaults=["status=available"])
    assert back.tally["imported"] == 2
