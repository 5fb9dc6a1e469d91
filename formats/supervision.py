"""督办单: one table as an .xlsx the bureau can print and hand out — a title row across the table, a line with the
date it is as of, the Chinese headers, then the rows. Cells go through ``formats.spreadsheet_safe`` (text a
spreadsheet would take for a formula is written as text), as every Excel file LandGap writes."""
from __future__ import annotations

import io

import pandas as pd

from formats.spreadsheet_safe import safe_cell, safe_frame

TITLE_ROW, NOTE_ROW, HEADER_ROW = 1, 2, 3
"""Where the title, the as-of line and the headers are; the rows start below the headers."""


def _value(v):
    """A cell value openpyxl writes: None for missing, Python numbers for numpy/pandas ones."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def titled_sheet_bytes(frame: pd.DataFrame, title: str, note: str, sheet_name: str) -> bytes:
    """``frame`` as an .xlsx of one sheet: ``title`` (bold, merged over the table's width) in row 1, ``note`` (e.g.
    "截至 2026-12-01") in row 2, the headers in row 3 (bold, frozen below), the rows from row 4."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    frame = safe_frame(frame)
    book = Workbook()
    sheet = book.active
    sheet.title = safe_cell(sheet_name)[:31]
    width = max(1, len(frame.columns))
    sheet.cell(TITLE_ROW, 1, safe_cell(title)).font = Font(bold=True, size=16)
    sheet.cell(TITLE_ROW, 1).alignment = Alignment(horizontal="center")
    sheet.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=width)
    sheet.cell(NOTE_ROW, 1, safe_cell(note))
    sheet.merge_cells(start_row=NOTE_ROW, start_column=1, end_row=NOTE_ROW, end_column=width)
    for j, header in enumerate(frame.columns, 1):
        cell = sheet.cell(HEADER_ROW, j, str(header))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in frame.itertuples(index=False):        # appended after the header row, values only: fast
        sheet.append([_value(v) for v in row])
    wrap = Alignment(vertical="top", wrap_text=True)
    for j, header in enumerate(frame.columns, 1):            # long text (the next step) wraps in its column
        if frame[header].map(lambda v: isinstance(v, str) and len(v) > 25).any():
            for (cell,) in sheet.iter_rows(min_row=HEADER_ROW + 1, min_col=j, max_col=j):
                cell.alignment = wrap
    for j, header in enumerate(frame.columns, 1):            # readable widths for CJK text, long steps wrapped
        longest = max([len(str(header)) * 2] + [len(str(v)) * 2 if isinstance(v, str) else len(str(v))
                                                 for v in frame.iloc[:50, j - 1]])
        sheet.column_dimensions[get_column_letter(j)].width = min(max(10, longest + 2), 50)
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 1)
    # printed as handed out: landscape, one page wide, the headers repeated on every page
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
