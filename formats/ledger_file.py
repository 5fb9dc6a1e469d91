"""Reading a ledger file (台账, .xlsx or .csv) into raw sheets: the file-format edge of ``formats.ledger``.

A file that cannot be reached is a WorkspaceIOError (an OSError); one that is no ledger LandGap reads (.xls, another
format, a broken workbook) a LedgerError. Finding the header row and mapping columns is ``formats.ledger``'s, in memory.

Workbooks are read with openpyxl cell by cell, as Excel shows them: cached values of formulas (a formula saved without
one is an ``UncachedFormula``, never an empty cell), text as written ("NA" is text), hidden sheets marked, and merged
cells listed so the ledger can give every row a merge covers its value.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from formats import FormatError
from formats.encoding import decode_text
from formats.fileio import read_bytes
from geo.errors import LedgerError


@dataclass(frozen=True)
class UncachedFormula:
    """A formula cell saved without its computed value (written by a program, never opened in Excel or WPS)."""
    formula: str

    def __str__(self) -> str:
        return self.formula


@dataclass
class RawSheet:
    """One sheet as read: cells without headers (a CSV is the one sheet named None), whether it is hidden, and its
    merged ranges as zero-based (first row, first column, last row, last column)."""
    name: str | None
    frame: pd.DataFrame
    hidden: bool = False
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)


def read_sheets(source: str | os.PathLike | bytes, name: str | None = None) -> tuple[str, list[RawSheet], list[str]]:
    """The ledger's name, its sheets in workbook order and notes on how it was read. ``source`` is a path, or the
    file's bytes with its ``name``. CSV text is UTF-8 (with or without BOM), UTF-16 (BOM or NUL bytes) or else
    GB18030 (which covers GBK), and the note says which (``formats.encoding.decode_text``)."""
    name = name or Path(source).name
    data = source if isinstance(source, bytes) else read_bytes(source, "台账")
    notes: list[str] = []
    suffix = Path(name).suffix.lower()
    try:
        if suffix == ".csv":
            try:
                text, codec, note = decode_text(data, name)
            except FormatError as exc:
                raise LedgerError(f"无法读取台账：{exc}（可在 Excel 或 WPS 中另存为 .xlsx 或“CSV UTF-8”后重新导入）"
                                  ) from None
            if codec != "UTF-8":
                notes.append(note or f"{name} 不是 UTF-8 编码，已按 GB18030（GBK）读取")
            # the csv module, not read_csv: a title row above the header has fewer fields than the rows below it
            rows = list(csv.reader(io.StringIO(text)))
            width = max(map(len, rows), default=0)
            sheets = [RawSheet(None, pd.DataFrame([r + [""] * (width - len(r)) for r in rows]).replace("", None))]
        elif suffix == ".xls":
            raise LedgerError(f"{name}：旧版 Excel（.xls）请先在 Excel 或 WPS 中另存为 .xlsx 再导入")
        elif suffix in (".xlsx", ".xlsm"):
            sheets = _workbook_sheets(data)
        else:
            raise LedgerError(f"{name}：台账应为 Excel（.xlsx）或 CSV 文件")
    except LedgerError:
        raise
    except Exception as exc:  # openpyxl's message names the problem
        raise LedgerError(f"无法读取台账 {name}：{exc}") from exc
    return name, sheets, notes


def _workbook_sheets(data: bytes) -> list[RawSheet]:
    """Every sheet of an .xlsx: values as Excel caches them (a second, formula-keeping read only when there are
    formulas, to tell a formula without a cached value from an empty cell)."""
    import openpyxl
    book = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    formulas = {(ws.title, c.row, c.column): c.value for ws in book.worksheets for row in ws.iter_rows()
                for c in row if c.data_type == "f"}
    cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True) if formulas else book
    sheets = []
    for ws in cached.worksheets:
        rows = []
        for row in ws.iter_rows():
            cells = []
            for c in row:
                value = c.value
                if value is None and (ws.title, c.row, c.column) in formulas:
                    text = formulas[(ws.title, c.row, c.column)]
                    value = UncachedFormula(text if isinstance(text, str) else str(getattr(text, "text", text)))
                cells.append(value)
            rows.append(cells)
        width = max(map(len, rows), default=0)
        frame = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)
        merged = [(r.min_row - 1, r.min_col - 1, r.max_row - 1, r.max_col - 1) for r in ws.merged_cells.ranges]
        sheets.append(RawSheet(ws.title, frame, ws.sheet_state != "visible", merged))
    return sheets
