"""督办单 workbook (formats.supervision): read back with openpyxl — the title merged over the table, the date line,
the headers, every row as given (numbers as numbers, blanks empty), and text a spreadsheet would run as a formula
written as text."""
from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd

from formats.supervision import HEADER_ROW, titled_sheet_bytes


def test_title_date_headers_rows_and_no_formulas():
    frame = pd.DataFrame({"地块编号": ["A-1", "B-2", "C-3"], "面积（亩）": [12.5, np.nan, 3.0],
                          "逾期天数": pd.array([400, None, 31], dtype="Int64"),
                          "受让单位": ["=HYPERLINK(\"http://x\",\"点我\")", "@SUM(A1)", "某某公司"],
                          "下一步处置": ["很长的处置说明" * 6, None, "督促"]})
    book = openpyxl.load_workbook(io.BytesIO(titled_sheet_bytes(frame, "示例县存量土地处置督办单", "截至 2026-12-01",
                                                                 "督办单")))
    sheet = book["督办单"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "示例县存量土地处置督办单" and rows[1][0] == "截至 2026-12-01"
    assert "A1:E1" in {str(r) for r in sheet.merged_cells.ranges}
    assert list(rows[HEADER_ROW - 1]) == list(frame.columns)
    body = rows[HEADER_ROW:]
    assert [r[0] for r in body] == ["A-1", "B-2", "C-3"]
    assert [r[1] for r in body] == [12.5, None, 3.0] and [r[2] for r in body] == [400, None, 31]
    assert [r[3] for r in body] == ["'=HYPERLINK(\"http://x\",\"点我\")", "'@SUM(A1)", "某某公司"]
    assert all(sheet.cell(HEADER_ROW + 1 + i, 4).data_type == "s" for i in range(3))
    assert sheet.cell(HEADER_ROW + 1, 5).alignment.wrap_text
    assert sheet.freeze_panes == f"A{HEADER_ROW + 1}"
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
