"""Project ledgers (招商项目台账) from Excel/CSV: headers as bureaus write them, units converted, every bad cell named
by its Excel row and column, nothing half-imported, and the CLI writing the workspace atomically."""
from __future__ import annotations

import io
import json
import shutil

import pandas as pd
import pytest

import cli
from formats.ledger import header_field, import_ledger, read_ledger
from geo.errors import LedgerError, ValidationError
from geo.parse import parse_number
from geo.settings import load_settings
from geo.units import M2_PER_MU
from geo.vocab import FIELD_LABELS
from stores.gpkg_file import load_workspace

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

TITLE = "2026年招商项目台账（示例县经济合作局）"
HEADER = ["序号", "项目名称", "所属产业", "总投资（万元）", "用地面积（公顷）", "意向园区", "项目阶段", "计划开工时间"]
GOOD = [[1, "台账新材料项目", "新能源电池", 50000, 4, "冉家坝", "签约", "2027年3月"],
        [2, "台账食品项目", "健康食品", "约8000", 2.5, "云台健康食品产业园", "洽谈中", "2027.6"],
        [None, "合计", None, 58000, 6.5, None, None, None]]


def frame(rows: list[list]) -> pd.DataFrame:
    """Rows of a ledger as a sheet: short rows (a title row) padded with empty cells."""
    width = max(map(len, rows))
    return pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows])


def xlsx(rows: list[list]) -> bytes:
    buf = io.BytesIO()
    frame(rows).to_excel(buf, header=False, index=False)
    return buf.getvalue()


def csv(rows: list[list], encoding: str) -> bytes:
    return frame(rows).to_csv(header=False, index=False).encode(encoding)


@pytest.mark.parametrize("header, expected", [
    ("总投资（万元）", ("investment_yi", 1e-4)), ("总投资(亿元)", ("investment_yi", 1.0)), ("*项目名称", ("name", 1.0)),
    ("用地面积（公顷）", ("land_mu", 15.0)), ("拟用地（平方米）", ("land_mu", 1 / M2_PER_MU)),
    ("拟用地 （亩）", ("land_mu", 1.0)),
    ("需厂房（㎡）", ("floor_m2", 1.0)), ("总投资（欧元）", ("investment_yi", None)),
    ("总投资（万美元）", ("investment_yi", 7.1e-4)), ("签约时间", ("signed_date", 1.0)), ("序号", None),
])
def test_headers_and_their_units(header, expected):
    assert (header_field(header, cny_per_usd=SETTINGS.ledger.cny_per_usd)
            == (pytest.approx(expected) if expected and expected[1] else expected))


def test_parse_number_keeps_a_sign():
    assert parse_number("-5") == -5.0 and parse_number("−3.5") == -3.5
    assert parse_number("300-500") == 500.0 and parse_number("约200") == 200.0


def test_excel_ledger_with_title_units_names_and_a_total_row(sample_ws):
    new, counts, report = import_ledger(sample_ws, xlsx([[TITLE] + [None] * 7, HEADER, *GOOD]), "台账.xlsx",
                                        cny_per_usd=SETTINGS.ledger.cny_per_usd)
    assert counts == {"added": 2, "updated": 0, "kept": len(sample_ws.projects)}
    assert len(new.projects) == len(sample_ws.projects) + 2
    got = new.projects[new.projects["name"].str.startswith("台账")].set_index("name")
    a, b = got.loc["台账新材料项目"], got.loc["台账食品项目"]
    assert a["investment_yi"] == pytest.approx(5.0) and a["land_mu"] == pytest.approx(60.0)
    assert a["preferred_zone"] == "RJB" and a["stage"] == "signed" and a["priority"] == 2.0   # priority by stage
    assert a["needed_by"] == pd.Timestamp("2027-03-01")
    assert b["investment_yi"] == pytest.approx(0.8) and b["land_mu"] == pytest.approx(37.5)
    assert b["preferred_zone"] == "JKSP" and b["stage"] == "negotiating" and b["priority"] == 1.0
    assert sorted(got["project_id"]) == ["TZ-001", "TZ-002"]
    assert any(i.code == "TOTAL_ROW" and i.row == 5 for i in report.issues)    # title row 1, header row 2


def test_two_row_header_with_merged_cells(sample_ws):
    """The layout bureaus use: 用地情况 merged over two columns, 项目名称 and 阶段 merged down over both header rows."""
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["2026年招商引资项目台账"])
    sheet.append(["序号", "项目名称", "产业", "投资情况", None, "用地情况", None, "阶段"])
    sheet.append([None, None, None, "总投资（万元）", "固定资产投资（万元）", "拟用地（亩）", "需厂房（平方米）", None])
    sheet.append([1, "两行表头项目", "纺织鞋服", 30000, 20000, 45, None, "已签约"])
    sheet.append([2, "两行表头厂房项目", "纺织鞋服", 2000, 1500, None, 3000, "在谈"])
    for cells in ("A2:A3", "B2:B3", "C2:C3", "D2:E2", "F2:G2", "H2:H3"):
        sheet.merge_cells(cells)
    buf = io.BytesIO()
    book.save(buf)
    new, counts, report = import_ledger(sample_ws, buf.getvalue(), "两行表头.xlsx",
                                        cny_per_usd=SETTINGS.ledger.cny_per_usd)
    assert counts["added"] == 2
    got = new.projects.set_index("name")
    assert got.at["两行表头项目", "land_mu"] == 45 and got.at["两行表头项目", "investment_yi"] == pytest.approx(3.0)
    assert got.at["两行表头项目", "stage"] == "signed"
    assert got.at["两行表头厂房项目", "floor_m2"] == 3000 and pd.isna(got.at["两行表头厂房项目", "land_mu"])
    assert any("两行表头" in i.message for i in report.issues)
    # a bad cell is named by its Excel row: the first data row is row 4
    sheet["F4"] = "四十五"
    buf = io.BytesIO()
    book.save(buf)
    with pytest.raises(ValidationError) as err:
        import_ledger(sample_ws, buf.getvalue(), "两行表头.xlsx", cny_per_usd=SETTINGS.ledger.cny_per_usd)
    assert [(i.row, i.field) for i in err.value.report.errors] == [(4, "land_mu")]


def test_hand_made_csv_with_a_short_title_row_and_a_repeated_header(sample_ws):
    text = ("2026年招商项目台账\n"
            "项目名称,产业,阶段,拟用地（亩）,备注,备注\n"
            "手写项目,纺织鞋服,在谈,20,,补充\n")
    new, counts, _ = import_ledger(sample_ws, text.encode("utf-8"), "手写.csv", cny_per_usd=SETTINGS.ledger.cny_per_usd)
    assert counts["added"] == 1 and new.projects.set_index("name").at["手写项目", "land_mu"] == 20.0


def test_a_unit_in_the_cell_overrides_the_header_and_dollars_use_the_configured_rate(sample_ws):
    rows = [["项目名称", "产业", "阶段", "拟用地（亩）", "总投资（亿元）"],
            ["甲", "纺织鞋服", "在谈", "4公顷", "5000万元"], ["乙", "纺织鞋服", "在谈", "约200亩", "2.5亿"],
            ["丙", "纺织鞋服", "在谈", "300-500亩", "500万美元"]]
    new, _, report = import_ledger(sample_ws, xlsx(rows), "单位.xlsx", cny_per_usd=SETTINGS.ledger.cny_per_usd)
    p = new.projects.set_index("name")
    assert p.at["甲", "land_mu"] == pytest.approx(60.0) and p.at["甲", "investment_yi"] == pytest.approx(0.5)
    assert p.at["乙", "land_mu"] == 200.0 and p.at["乙", "investment_yi"] == 2.5
    assert p.at["丙", "land_mu"] == 500.0 and p.at["丙", "investment_yi"] == pytest.approx(0.05 * 7.1)
    assert any(i.code == "EXCHANGE_RATE" and "7.1" in i.message for i in report.issues)
    usd = [["项目名称", "产业", "阶段", "拟用地（亩）", "协议投资（亿美元）"], ["丁", "纺织鞋服", "在谈", 30, 1.5]]
    new, _, _ = import_ledger(sample_ws, xlsx(usd), "外资.xlsx", cny_per_usd=SETTINGS.ledger.cny_per_usd)
    assert new.projects.set_index("name").at["丁", "investment_yi"] == pytest.approx(1.5 * 7.1)
    new, _, report = import_ledger(sample_ws, xlsx(usd), "外资.xlsx", cny_per_usd=7.0)      # the rate as a parameter
    assert new.projects.set_index("name").at["丁", "investment_yi"] == pytest.approx(1.5 * 7.0)


def test_gbk_csv_is_detected_and_said(sample_ws):
    rows = [HEADER, *GOOD[:2]]
    ledger = read_ledger(csv(rows, "gbk"), "台账.csv")
    assert ledger.rows.iloc[0][HEADER[1]] == "台账新材料项目" and "GB18030" in ledger.notes[0]
    assert read_ledger(csv(rows, "utf-8-sig"), "台账.csv").notes == []
    new, counts, _ = import_ledger(sample_ws, csv(rows, "gbk"), "台账.csv", cny_per_usd=SETTINGS.ledger.cny_per_usd)
    assert counts["added"] == 2


def test_every_bad_cell_is_named_by_excel_row_and_nothing_is_imported(sample_ws):
    rows = [[TITLE] + [None] * 7, HEADER,
            [1, "坏项目甲", "纺织鞋服", "abc", -5, "火星园区", "已签约", "2027-01-01"],
            [2, None, "健康食品", 100, 2, "RJB", "搁置", "明年"],
            [3, "好项目", "纺织鞋服", 100, 2, "QDB", "在谈", None]]
    before = sample_ws.projects.copy()
    with pytest.raises(ValidationError, match="台账 坏.xlsx 有 6 处错误，未导入") as err:
        import_ledger(sample_ws, xlsx(rows), "坏.xlsx", cny_per_usd=SETTINGS.ledger.cny_per_usd)
    found = {(i.row, i.field, i.code) for i in err.value.report.errors}
    assert found == {(3, "investment_yi", "BAD_NUMBER"), (3, "land_mu", "BAD_NUMBER"),
                     (3, "preferred_zone", "UNKNOWN_ZONE"), (4, "name", "MISSING_VALUE"),
                     (4, "stage", "UNKNOWN_VALUE"), (4, "needed_by", "BAD_DATE")}
    messages = {i.field: i.message for i in err.value.report.errors}
    assert "“总投资（万元）”列" in messages["investment_yi"] and "“用地面积（公顷）”列：应为正数" in messages["land_mu"]
    assert "火星园区" in messages["preferred_zone"] and "RJB（冉家坝新能源产业园）" in messages["preferred_zone"]
    pd.testing.assert_frame_equal(sample_ws.projects, before)


@pytest.mark.parametrize("rows, name, message", [
    ([["项目名称", "产业", "拟用地（亩）"], ["甲", "纺织鞋服", 20]], "无阶段.xlsx",
     "缺少“阶段”列（可用的列名：阶段、项目阶段"),
    ([["项目名称", "产业", "阶段"], ["甲", "纺织鞋服", "在谈"]], "无面积.xlsx", "既没有用地面积列"),
    ([["说明"], ["这不是台账"]], "杂表.xlsx", "前 15 行中找不到表头"),
])
def test_unusable_ledgers_are_refused_with_the_reason(sample_ws, rows, name, message):
    with pytest.raises((LedgerError, ValidationError), match=message):
        import_ledger(sample_ws, xlsx(rows), name, cny_per_usd=SETTINGS.ledger.cny_per_usd)


def test_unreadable_files_are_refused_by_name(sample_ws):
    with pytest.raises(LedgerError, match="台账应为 Excel"):
        read_ledger(b"x", "台账.txt")
    with pytest.raises(LedgerError, match=r"旧版 Excel（\.xls）请先在 Excel 或 WPS 中另存为 \.xlsx"):
        read_ledger(b"x", "台账.xls")
    with pytest.raises(LedgerError, match="无法读取台账 坏.xlsx"):
        read_ledger(b"not a zip", "坏.xlsx")


def test_unknown_unit_column_is_left_out_with_a_warning(sample_ws):
    rows = [["项目名称", "产业", "阶段", "拟用地（亩）", "总投资（欧元）"], ["甲", "纺织鞋服", "在谈", 20, 100]]
    new, _, report = import_ledger(sample_ws, xlsx(rows), "欧元.xlsx", cny_per_usd=SETTINGS.ledger.cny_per_usd)
    assert [i.code for i in report.warnings] == ["UNKNOWN_UNIT"]
    assert pd.isna(new.projects.set_index("name").at["甲", "investment_yi"])


def test_update_by_id_or_name_and_replace(sample_ws):
    first = sample_ws.projects.iloc[0]
    second = sample_ws.projects.iloc[1]
    rows = [["项目编号", "项目名称", "产业", "阶段", "拟用地（亩）"],
            [first["project_id"], first["name"], first["industry"], "已开工", 12.5],
            [None, second["name"], second["industry"], "已签约", 33.0],
            ["TZ-001", "新项目", "纺织鞋服", "在谈", 20]]
    new, counts, _ = import_ledger(sample_ws, xlsx(rows), "更新.xlsx", cny_per_usd=SETTINGS.ledger.cny_per_usd)
    assert counts == {"added": 1, "updated": 2, "kept": len(sample_ws.projects) - 2}
    p = new.projects.set_index("project_id")
    assert p.at[first["project_id"], "land_mu"] == 12.5 and p.at[first["project_id"], "stage"] == "started"
    assert p.at[second["project_id"], "land_mu"] == 33.0
    assert p.at[first["project_id"], "investment_yi"] == first["investment_yi"]       # untouched columns kept
    only, counts, _ = import_ledger(sample_ws, xlsx(rows), "替换.xlsx", replace=True,
                                    cny_per_usd=SETTINGS.ledger.cny_per_usd)
    assert counts["kept"] == 0 and sorted(only.projects["name"]) == sorted([first["name"], second["name"], "新项目"])


def test_cli_import_writes_atomically_or_not_at_all(sample_path, tmp_path, capsys):
    work = tmp_path / "county.gpkg"
    shutil.copy(sample_path, work)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([HEADER, [1, "坏", "纺织鞋服", 1, "abc", "QDB", "在谈", None]]))
    before = work.read_bytes()
    assert cli.main(["import-projects", "--workspace", str(work), "--ledger", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "台账 bad.xlsx 有 1 处错误，未导入" in out and "台账行号" in out and FIELD_LABELS["land_mu"] in out
    assert work.read_bytes() == before
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx([[TITLE] + [None] * 7, HEADER, *GOOD]))
    assert cli.main(["import-projects", "--workspace", str(work), "--ledger", str(good), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["imported"] and payload["added"] == 2
    assert len(load_workspace(work, SETTINGS).projects) == payload["projects"] == len(
        load_workspace(sample_path, SETTINGS).projects) + 2


# ------------------------------------------------------------------------------------------ land ledger (土地台账)

def land_rows(ws) -> tuple[list[list], list[str]]:
    p = ws.parcels
    ids = [p[p["status"] == "leveling"].index[0], p[p["status"] == "leveling"].index[1],
           p[p["status"] == "available"].index[0]]
    return [["土地台账（2026年11月）"], ["宗地号", "供地状态", "预计可供时间", "台账面积（公顷）"],
            [ids[0], "净地", None, None], [ids[1], "待平整", "2027年9月", None], [ids[2], "已出让", None, 2.0]], ids


def test_land_ledger_updates_status_date_and_area_of_listed_parcels(sample_ws):
    from formats.ledger import import_parcel_ledger
    from geo.supply import available_report
    rows, ids = land_rows(sample_ws)
    new, counts, _ = import_parcel_ledger(sample_ws, xlsx(rows), "土地.xlsx")
    assert counts == {"updated": 3, "status_changed": 2}
    p = new.parcels
    assert list(p.loc[ids, "status"]) == ["available", "leveling", "supplied"]
    assert p.at[ids[1], "ready_date"] == pd.Timestamp("2027-09-01")
    assert p.at[ids[2], "registered_mu"] == pytest.approx(30.0)
    others = p.index.difference(ids)
    pd.testing.assert_frame_equal(p.loc[others].drop(columns="geometry"),
                                  sample_ws.parcels.loc[others].drop(columns="geometry"))
    assert p.geometry.equals(sample_ws.parcels.geometry)
    # net land (geo.netland): the newly available parcel is no longer spared the slope rule leveling land has
    from geo.netland import offered_mu, workspace_net
    from geo.settings import load_settings
    settings = load_settings()
    from formats.dem import with_steep_land
    # 已出让 land stays land that can be offered (a stock action may take it back): the steep land read at load
    # still serves the edited workspace, not read again
    assert with_steep_land(new, settings.terrain.max_slope_pct) is new
    gained = offered_mu(new.metric("parcels"), workspace_net(new, settings)).at[ids[0]] - \
        offered_mu(sample_ws.metric("parcels"), workspace_net(sample_ws, settings)).at[ids[2]]
    assert gained < sample_ws.parcels.at[ids[0], "net_mu"]                 # the tilted hillside takes some
    assert available_report(new, settings=SETTINGS).total_available_mu == pytest.approx(
        available_report(sample_ws, settings=SETTINGS).total_available_mu + gained, abs=0.05)


def test_land_ledger_errors_are_named_by_excel_row(sample_ws):
    from formats.ledger import import_parcel_ledger
    rows, ids = land_rows(sample_ws)
    undated = sample_ws.parcels.index[sample_ws.parcels["ready_date"].isna()].difference(ids)
    rows += [["XX-999", "可供", None, None], [ids[0], "可供", None, None], [None, "预留", None, None],
             [undated[0], "待拆迁", None, None], [undated[1], "卖掉了", "下月", None]]
    with pytest.raises(ValidationError) as err:
        import_parcel_ledger(sample_ws, xlsx(rows), "土地.xlsx")
    found = {(i.row, i.field, i.code) for i in err.value.report.errors}
    assert {(6, "parcel_id", "UNKNOWN_PARCEL"), (3, "parcel_id", "DUPLICATE_ID"), (7, "parcel_id", "DUPLICATE_ID"),
            (8, "parcel_id", "MISSING_VALUE"), (10, "ready_date", "BAD_DATE"), (10, "status", "UNKNOWN_VALUE")} <= found
    assert any(r == 9 and f in ("ready_date", "status") for r, f, _ in found)     # 待拆迁 needs a ready date
    by_key = {(i.row, i.code): i.message for i in err.value.report.errors}
    assert by_key[(6, "UNKNOWN_PARCEL")].startswith("地块编号 XX-999（台账第 6 行）")     # named by id and Excel row
    assert f"地块编号 {undated[1]}（台账第 10 行）" in by_key[(10, "UNKNOWN_VALUE")]
    assert by_key[(8, "MISSING_VALUE")].startswith("台账第 8 行：")                      # no id: the row alone
    assert not any("fid" in m for m in by_key.values())
    with pytest.raises(LedgerError, match="找不到表头（至少要有“地块编号”和另一列"):
        import_parcel_ledger(sample_ws, xlsx([["宗地号", "备注"], [ids[0], "x"]]), "只有编号.xlsx")


def test_cli_import_parcels(sample_path, tmp_path, capsys):
    work = tmp_path / "county.gpkg"
    shutil.copy(sample_path, work)
    ws = load_workspace(work, SETTINGS)
    rows, ids = land_rows(ws)
    ledger = tmp_path / "土地.csv"
    ledger.write_bytes(csv(rows, "gbk"))
    assert cli.main(["import-parcels", "--workspace", str(work), "--ledger", str(ledger), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["updated"] == 3 and payload["status_changed"] == 2 and any("GB18030" in n for n in payload["notes"])
    assert load_workspace(work, SETTINGS).parcels.at[ids[0], "status"] == "available"
