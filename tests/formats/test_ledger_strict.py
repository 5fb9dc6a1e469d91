"""Ledgers that never lie (issue 22, item 6): the visible sheet or the one named, merged cells on every row they cover,
numbers by one strict parser or refused by cell, formulas without a cached value named, NA as text where text is
expected, and every spreadsheet LandGap writes safe from formula injection."""
from __future__ import annotations

import io
import json
import shutil

import openpyxl
import pandas as pd
import pytest

import cli
from formats.ledger import import_ledger, import_parcel_ledger, ledger_sheets, read_ledger
from geo.errors import InputError, LedgerError, ValidationError
from geo.parse import parse_date, parse_number
from geo.settings import load_settings
from stores.gpkg_file import load_workspace

SETTINGS = load_settings()
RATE = SETTINGS.ledger.cny_per_usd
HEADER = ["项目名称", "产业", "阶段", "拟用地（亩）", "意向园区"]


def book_bytes(book: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def workbook(*sheets: tuple[str, list[list], str]) -> openpyxl.Workbook:
    """A workbook of (title, rows, state) sheets, in order."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows, state in sheets:
        ws = book.create_sheet(title)
        for r in rows:
            ws.append(r)
        ws.sheet_state = state
    return book


# ------------------------------------------------------------------------------------------------ numbers

@pytest.mark.parametrize("text, expected", [
    ("1.2E+3", 1200.0), ("1.2e3", 1200.0), ("1 200", 1200.0), ("1,200", 1200.0), ("１２００", 1200.0),
    ("１，２００", 1200.0), ("1\u3000200", 1200.0), ("1\u00a0200", 1200.0), ("1,200.5", 1200.5), ("12.5", 12.5),
    ("约200", 200.0), ("300-500", 500.0), ("-5", -5.0), ("−3.5", -3.5), ("200左右", 200.0), (1200, 1200.0),
])
def test_numbers_are_read_as_written(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["1/2", "0x1F", "abc12", "12 5", "1,2000", "1.2.3", "#DIV/0!", "=A1+1"])
def test_anything_else_is_refused_never_a_different_number(text):
    with pytest.raises(InputError, match="无法识别的数值"):
        parse_number(text)


@pytest.mark.parametrize("text, mu", [("12亩5分", 12.5), ("2公顷", 30.0), ("约200亩", 200.0), ("300-500亩", 500.0),
                                      ("5分", 0.5), ("1 200", 1200.0), ("1.2E+3", 1200.0), ("１２００亩", 1200.0)])
def test_ledger_areas_with_units_in_the_cell(sample_ws, text, mu):
    rows = [HEADER, ["单位项目", "纺织鞋服", "在谈", text, None]]
    new, _, _ = import_ledger(sample_ws, _xlsx(rows), "单位.xlsx", cny_per_usd=RATE)
    assert new.projects.set_index("name").at["单位项目", "land_mu"] == pytest.approx(mu)


def _xlsx(rows: list[list]) -> bytes:
    return book_bytes(workbook(("台账", rows, "visible")))


def test_bad_numbers_are_refused_by_cell(sample_ws):
    rows = [HEADER, ["甲", "纺织鞋服", "在谈", "1/2", None], ["乙", "纺织鞋服", "在谈", "0x1F", None],
            ["丙", "纺织鞋服", "在谈", "abc12", None], ["丁", "纺织鞋服", "在谈", "20欧", None]]
    with pytest.raises(ValidationError) as err:
        import_ledger(sample_ws, _xlsx(rows), "坏数.xlsx", cny_per_usd=RATE)
    found = {(i.row, i.field, i.code) for i in err.value.report.errors}
    assert found == {(r, "land_mu", "BAD_NUMBER") for r in (2, 3, 4, 5)}
    messages = {i.row: i.message for i in err.value.report.errors}
    assert "“拟用地（亩）”列" in messages[2] and "1/2" in messages[2] and "0x1F" in messages[3]
    assert "单位“欧”无法换算" in messages[5]


def test_investment_units_still_as_before(sample_ws):
    rows = [["项目名称", "产业", "阶段", "拟用地（亩）", "总投资（亿元）"],
            ["甲", "纺织鞋服", "在谈", 10, "2.5亿"], ["乙", "纺织鞋服", "在谈", 10, "5000万元"],
            ["丙", "纺织鞋服", "在谈", 10, "1.2E+3万元"]]
    new, _, _ = import_ledger(sample_ws, _xlsx(rows), "投资.xlsx", cny_per_usd=RATE)
    p = new.projects.set_index("name")["investment_yi"]
    assert p["甲"] == 2.5 and p["乙"] == pytest.approx(0.5) and p["丙"] == pytest.approx(0.12)


# ------------------------------------------------------------------------------------------------ sheets

OLD = [["项目名称", "产业", "阶段", "拟用地（亩）"], ["旧项目", "纺织鞋服", "在谈", 99]]
NEW = [["项目名称", "产业", "阶段", "拟用地（亩）"], ["新项目", "纺织鞋服", "在谈", 20]]
OTHER = [["项目名称", "产业", "阶段", "拟用地（亩）"], ["另表项目", "纺织鞋服", "在谈", 30]]


def test_a_hidden_first_sheet_is_not_read(sample_ws):
    data = book_bytes(workbook(("旧台账", OLD, "hidden"), ("台账", NEW, "visible")))
    ledger = read_ledger(data, "台账.xlsx")
    assert ledger.sheet == "台账" and list(ledger.rows["项目名称"]) == ["新项目"]
    assert ledger_sheets(data, "台账.xlsx") == ["台账"]
    new, counts, _ = import_ledger(sample_ws, data, "台账.xlsx", cny_per_usd=RATE)
    assert counts["added"] == 1 and "旧项目" not in set(new.projects["name"])


def test_the_sheet_the_user_names(sample_ws):
    data = book_bytes(workbook(("旧台账", OLD, "hidden"), ("台账", NEW, "visible"), ("外资", OTHER, "visible")))
    assert ledger_sheets(data, "台账.xlsx") == ["台账", "外资"]
    ledger = read_ledger(data, "台账.xlsx")
    assert ledger.sheet == "台账" and any("2 个工作表像台账" in n and "外资" in n for n in ledger.notes)
    new, _, _ = import_ledger(sample_ws, data, "台账.xlsx", cny_per_usd=RATE, sheet="外资")
    assert "另表项目" in set(new.projects["name"]) and "新项目" not in set(new.projects["name"])
    hidden = read_ledger(data, "台账.xlsx", sheet="旧台账")      # named: read, and said to be hidden
    assert list(hidden.rows["项目名称"]) == ["旧项目"] and any("隐藏" in n for n in hidden.notes)
    with pytest.raises(LedgerError, match="台账.xlsx 中没有工作表“2026”（有：旧台账、台账、外资）"):
        read_ledger(data, "台账.xlsx", sheet="2026")


def test_cli_sheet_option(sample_path, tmp_path, capsys):
    work = tmp_path / "county.gpkg"
    shutil.copy(sample_path, work)
    ledger = tmp_path / "台账.xlsx"
    ledger.write_bytes(book_bytes(workbook(("台账", NEW, "visible"), ("外资", OTHER, "visible"))))
    before = work.read_bytes()
    assert cli.main(["import-projects", "--workspace", str(work), "--ledger", str(ledger), "--sheet", "无此表"]) == 1
    capsys.readouterr()
    assert work.read_bytes() == before
    assert cli.main(["import-projects", "--workspace", str(work), "--ledger", str(ledger), "--sheet", "外资",
                     "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 1
    assert "另表项目" in set(load_workspace(work, SETTINGS).projects["name"])


def test_cli_unknown_sheet_is_said(sample_path, tmp_path, capsys):
    work = tmp_path / "county.gpkg"
    shutil.copy(sample_path, work)
    ledger = tmp_path / "台账.xlsx"
    ledger.write_bytes(book_bytes(workbook(("台账", NEW, "visible"), ("外资", OTHER, "visible"))))
    assert cli.main(["import-parcels", "--workspace", str(work), "--ledger", str(ledger), "--sheet", "无此表"]) == 1
    out = capsys.readouterr()
    assert "没有工作表“无此表”（有：台账、外资）" in out.out + out.err


# ------------------------------------------------------------------------------------------------ cells

def test_a_merged_park_cell_covers_every_row(sample_ws):
    rows = [HEADER, ["合并甲", "纺织鞋服", "在谈", 10, "冉家坝"], ["合并乙", "纺织鞋服", "在谈", 12, None],
            ["合并丙", "纺织鞋服", "在谈", 14, None], ["合并丁", "纺织鞋服", "在谈", 16, "QDB"]]
    book = workbook(("台账", rows, "visible"))
    book["台账"].merge_cells("E2:E4")
    new, _, _ = import_ledger(sample_ws, book_bytes(book), "合并.xlsx", cny_per_usd=RATE)
    zones = new.projects.set_index("name")["preferred_zone"]
    assert list(zones[["合并甲", "合并乙", "合并丙", "合并丁"]]) == ["RJB", "RJB", "RJB", "QDB"]


def test_formulas_without_a_cached_value_are_named(sample_ws):
    rows = [HEADER, ["公式甲", "纺织鞋服", "在谈", "=10+10", None], ["=B3&\"项目\"", "纺织鞋服", "在谈", 5, None]]
    with pytest.raises(ValidationError) as err:       # openpyxl writes formulas without their values
        import_ledger(sample_ws, _xlsx(rows), "公式.xlsx", cny_per_usd=RATE)
    found = {(i.row, i.field): i for i in err.value.report.errors}
    assert set(found) == {(2, "land_mu"), (3, "name")}
    assert found[(2, "land_mu")].code == "FORMULA_NO_VALUE" and "=10+10" in found[(2, "land_mu")].message
    assert "没有保存计算结果" in found[(3, "name")].message and "为空" not in found[(3, "name")].message


def test_land_ledger_formula_id_is_named_not_empty(sample_ws):
    pid = sample_ws.parcels.index[0]
    rows = [["宗地号", "供地状态"], [pid, "净地"], ["=A2", "净地"]]
    with pytest.raises(ValidationError) as err:
        import_parcel_ledger(sample_ws, _xlsx(rows), "土地.xlsx")
    assert [(i.row, i.code) for i in err.value.report.errors] == [(3, "FORMULA_NO_VALUE")]


def test_na_is_text_where_text_is_expected(sample_ws):
    rows = [["项目名称", "产业", "阶段", "拟用地（亩）", "需厂房（平方米）", "计划开工时间"],
            ["NA", "纺织鞋服", "在谈", "N/A", 3000, "null"], ["N/A", "纺织鞋服", "在谈", 10, "NA", None]]
    for data, name in ((_xlsx(rows), "NA.xlsx"), (pd.DataFrame(rows).to_csv(header=False, index=False).encode(),
                                                  "NA.csv")):
        new, counts, _ = import_ledger(sample_ws, data, name, cny_per_usd=RATE)
        p = new.projects.set_index("name")
        assert counts["added"] == 2 and {"NA", "N/A"} <= set(p.index)
        assert pd.isna(p.at["NA", "land_mu"]) and p.at["NA", "floor_m2"] == 3000 and pd.isna(p.at["NA", "needed_by"])
        assert p.at["N/A", "land_mu"] == 10
    assert parse_date("N/A") is None and parse_number("null") is None


# ------------------------------------------------------------------------------------------------ writing

def test_downloaded_excel_never_holds_a_live_formula():
    from layers.export import excel_bytes
    evil = "=cmd|' /C calc'!A0"
    frame = pd.DataFrame({"项目名称": [evil, "+1+1", "-2+3", "@SUM(1)", "正常项目"],
                          "拟用地（亩）": [1.0, -5.0, 3, 4, 5], "=HYPERLINK(\"x\")": ["a", "b", "c", "d", "e"]})
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes({"项目": frame})))
    cells = [c for row in book["项目"].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    names = [c.value for c in book["项目"]["A"][1:]]
    assert names == ["'" + evil, "'+1+1", "'-2+3", "'@SUM(1)", "正常项目"]
    assert [c.value for c in book["项目"]["B"][1:]] == [1, -5, 3, 4, 5]          # numbers stay numbers
