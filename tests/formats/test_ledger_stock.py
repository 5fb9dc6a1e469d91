"""Stock land in ledgers (issue 19): the land ledger's contract/progress columns (受让单位 … 批准日期) and the
亩均效益台账 (firms), from .xlsx and GBK .csv: Chinese headers, units in brackets or cells, percentages and 是/否
converted; every bad cell named by Excel row and field, and nothing imported on an error."""
from __future__ import annotations

import pandas as pd
import pytest

from formats.ledger import import_parcel_ledger
from formats.ledger_stock import import_firm_ledger
from geo.errors import LedgerError, ValidationError
from tests.formats.test_ledger import csv, xlsx

LAND = ["宗地号", "受让单位", "实际交地日期", "合同约定开工日期", "约定竣工日期", "实际开工日期", "实际竣工日期",
        "成交价款（亿元）", "已动工开发面积占比", "投资比例（%）", "停工日期", "是否政府原因", "农转用批准日期"]


def _ids(ws):
    """Two supplied parcels with no contract recorded (old land) and one not started: a ledger's dates stand
    alone on them."""
    p = ws.parcels
    old = p.index[(p["status"] == "supplied") & p["supplied_date"].isna()]
    waiting = p.index[(p["status"] == "supplied") & p["supplied_date"].notna() & p["actual_start"].isna()]
    return [old[0], waiting[0], old[1]], p.index[p["status"] == "available"][0]


def _land_rows(ws):
    (s1, s2, s3), free = _ids(ws)
    return [["土地供应及开发利用台账（2026年11月）"], LAND,
            [s1, "甲实业有限公司", "2023年3月", "2023-09-01", "2025.9", "2023-10-15", None, 0.12, "35%", 20, None,
             "否", None],
            [s2, "乙食品有限公司", "2024-02-01", "2024-08-01", "2026-08-01", None, None, "980万元", 0, 0,
             None, "是", None],
            [s3, None, None, None, None, "2024-05-01", None, None, 35, "0.5", "2025-06-30", None, None],
            [free, None, None, None, None, None, None, None, None, None, None, None, "2023年6月20日"]]


@pytest.mark.parametrize("kind", ["xlsx", "gbk-csv"])
def test_land_ledger_stock_columns_are_read_converted_and_kept(sample_ws, kind):
    rows = _land_rows(sample_ws)
    data, name = (xlsx(rows), "土地.xlsx") if kind == "xlsx" else (csv(rows, "gbk"), "土地.csv")
    new, counts, report = import_parcel_ledger(sample_ws, data, name)
    assert counts["updated"] == 4 and not report.errors
    (s1, s2, s3), free = _ids(sample_ws)
    p = new.parcels
    assert p.at[s1, "holder"] == "甲实业有限公司" and p.at[s1, "supplied_date"] == pd.Timestamp("2023-03-01")
    assert p.at[s1, "agreed_start"] == pd.Timestamp("2023-09-01")
    assert p.at[s1, "agreed_completion"] == pd.Timestamp("2025-09-01")
    assert p.at[s1, "actual_start"] == pd.Timestamp("2023-10-15")
    assert p.at[s1, "price_wan"] == pytest.approx(1200.0)                       # 0.12 亿元
    assert p.at[s1, "developed_share"] == pytest.approx(0.35)                    # 35%
    assert p.at[s1, "invested_share"] == pytest.approx(0.20)                     # 20 in a (%) column
    assert int(p.at[s1, "gov_delay"]) == 0 and int(p.at[s2, "gov_delay"]) == 1
    assert p.at[s2, "price_wan"] == pytest.approx(980.0)                         # the unit in the cell wins
    assert p.at[s3, "developed_share"] == pytest.approx(0.35)                    # a bare 35: a percentage
    assert p.at[s3, "invested_share"] == pytest.approx(0.005)                    # 0.5 in a (%) column: 0.5 %
    assert p.at[s3, "halted_date"] == pd.Timestamp("2025-06-30")
    assert p.at[s3, "holder"] == sample_ws.parcels.at[s3, "holder"]              # an empty cell keeps the value
    assert p.at[free, "approved_date"] == pd.Timestamp("2023-06-20") and p.at[free, "status"] == "available"


def test_land_ledger_stock_errors_are_named_by_excel_row_and_nothing_is_imported(sample_ws):
    (s1, s2, s3), free = _ids(sample_ws)
    before = sample_ws.parcels.copy()
    rows = [LAND,
            [s1, None, "2023-03-01", "2024-09-01", "2024-03-01", None, None, None, None, None, None, None, None],
            [s2, None, "2024-02-01", "2024-08-01", None, "2024-01-10", "2023-12-01", None, None, None, None, None,
             None],
            [s3, None, None, None, None, None, None, -5, "150%", None, None, "可能", None]]
    with pytest.raises(ValidationError) as err:
        import_parcel_ledger(sample_ws, xlsx(rows), "土地.xlsx")
    found = {(i.row, i.field, i.code) for i in err.value.report.errors}
    assert found == {(2, "agreed_start", "AGREED_START_AFTER_COMPLETION"), (3, "actual_start", "START_BEFORE_SUPPLY"),
                     (3, "actual_completion", "COMPLETION_BEFORE_START"), (4, "price_wan", "BAD_NUMBER"),
                     (4, "developed_share", "SHARE_OUT_OF_RANGE"), (4, "gov_delay", "BAD_FLAG")}
    text = {(i.row, i.code): i.message for i in err.value.report.errors}
    assert text[(2, "AGREED_START_AFTER_COMPLETION")].startswith(f"地块编号 {s1}（台账第 2 行）")
    assert "“已动工开发面积占比”列" in text[(4, "SHARE_OUT_OF_RANGE")] and "150%" in text[(4, "SHARE_OUT_OF_RANGE")]
    assert "“是否政府原因”列" in text[(4, "BAD_FLAG")] and "是 或 否" in text[(4, "BAD_FLAG")]
    pd.testing.assert_frame_equal(sample_ws.parcels, before)


FIRMS = ["统一社会信用代码", "单位名称", "用地地块", "评价年度", "主营业务收入（亿元）", "实缴税金（元）",
         "综合能耗（吨标煤）", "年平均职工人数", "研发经费支出（万元）"]


@pytest.mark.parametrize("kind", ["xlsx", "gbk-csv"])
def test_firms_ledger_updates_by_id_adds_the_rest_with_units_and_separators(sample_ws, kind):
    (s1, s2, s3), _ = _ids(sample_ws)
    rows = [["2025年度工业企业亩均效益评价台账"], FIRMS,
            ["QY-001", "鸿星尔克", "QDB-001-1", "2025年", 2.5, 8_000_000, 1600, 640, 450],
            ["91510800MA6XXXXX1", "新设企业甲", f"{s1}、{s2}", 2025, "0.8", "120万", 300, 90, 0],
            [None, "新设企业乙", f"{s3}，{s1}", 2025, 0.1, 0, None, 12, None]]
    data, name = (xlsx(rows), "亩均.xlsx") if kind == "xlsx" else (csv(rows, "gbk"), "亩均.csv")
    new, counts, report = import_firm_ledger(sample_ws, data, name)
    assert counts == {"firms_added": 2, "firms_updated": 1, "firms_kept": len(sample_ws.firms) - 1}
    f = new.firms
    assert f.at["QY-001", "revenue_wan"] == pytest.approx(25000) and f.at["QY-001", "tax_wan"] == pytest.approx(800)
    assert f.at["QY-001", "employees"] == 640 and f.at["QY-001", "year"] == 2025
    assert f.at["91510800MA6XXXXX1", "parcel_ids"] == f"{s1};{s2}"
    assert f.at["91510800MA6XXXXX1", "tax_wan"] == pytest.approx(120)          # 万 in the cell
    b = f[f["name"] == "新设企业乙"].iloc[0]
    assert b["firm_id"].startswith("QY-") and b["firm_id"] not in sample_ws.firms.index
    assert b["parcel_ids"] == f"{s3};{s1}" and b["tax_wan"] == 0                # zero tax is a fact
    others = sample_ws.firms.index.drop("QY-001")
    pd.testing.assert_frame_equal(f.loc[others], sample_ws.firms.loc[others], check_dtype=False)


def test_firms_ledger_errors_are_named_by_excel_row_and_nothing_is_imported(sample_ws):
    before = sample_ws.firms.copy()
    rows = [FIRMS,
            ["A1", "未知地块企业", "QDB-001-1;NOPE-1", 2025, 1, 1, 1, 1, 1],
            ["A2", "负营收企业", "QDB-001-1", 2025, -1, 1, 1, 1, 1],
            ["A3", "无地企业", "、", 2025, 1, 1, 1, 1, 1],
            ["A3", "重号企业", "QDB-001-2", "二〇二五", 1, 1, 1, 1, 1]]
    with pytest.raises(ValidationError) as err:
        import_firm_ledger(sample_ws, xlsx(rows), "亩均.xlsx")
    found = {(i.row, i.field, i.code) for i in err.value.report.errors}
    assert {(2, "parcel_ids", "UNKNOWN_PARCEL"), (3, "revenue_wan", "BAD_NUMBER"), (4, "parcel_ids", "NO_PARCEL"),
            (4, "firm_id", "DUPLICATE_ID"), (5, "firm_id", "DUPLICATE_ID"), (5, "year", "BAD_NUMBER")} <= found
    text = {(i.row, i.code): i.message for i in err.value.report.errors}
    assert text[(2, "UNKNOWN_PARCEL")].startswith("企业编号 A1（台账第 2 行）") and "NOPE-1" in text[
        (2, "UNKNOWN_PARCEL")]
    assert "“主营业务收入（亿元）”列" in text[(3, "BAD_NUMBER")]
    pd.testing.assert_frame_equal(sample_ws.firms, before)
    with pytest.raises(LedgerError, match="地块编号"):
        import_firm_ledger(sample_ws, xlsx([["企业名称", "营业收入"], ["甲", 1]]), "无地块列.xlsx")


def test_a_gbk_shapefile_brings_the_stock_fields_with_cut_names(sample_ws, tmp_path):
    """Another GIS's parcel layer with 受让单位, 约定动工日期 (cut to 约定动工日 at 10 GBK bytes), 政府原因 是/否."""
    import pyogrio

    from formats.shapefile import import_parcel_layer
    from tests.formats.test_shapefile import layer_of, write_shp
    n = 5
    frame = layer_of(sample_ws, n, 受让单位=["甲公司"] * n, 约定动工日期=["2024-03-01"] * n,
                     政府原因=["是", "否", "是", "否", "否"], 出让价款=[500.0] * n)
    path = write_shp(tmp_path, frame)
    assert "约定动工日" in pyogrio.read_info(path, encoding="GBK")["fields"]           # the DBF cut the name
    new, counts, _ = import_parcel_layer(sample_ws, path)
    ids = list(sample_ws.parcels.index[:n])
    p = new.parcels.loc[ids]
    assert (p["holder"] == "甲公司").all() and (p["agreed_start"] == pd.Timestamp("2024-03-01")).all()
    assert list(p["gov_delay"].astype(int)) == [1, 0, 1, 0, 0] and (p["price_wan"] == 500.0).all()
