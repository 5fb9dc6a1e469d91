"""Reading a ledger file (台账, .xlsx or .csv) into raw sheets: the file-format edge of ``formats.ledger``.

A file that cannot be reached is a WorkspaceIOError (an OSError); one that is no ledger LandGap reads (.xls, another
format, a broken workbook) a LedgerError. Finding the header row and mapping columns is ``formats.ledger``'s, in memory.
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pandas as pd

from formats import FormatError
from formats.encoding import decode_text
from formats.fileio import read_bytes
from geo.errors import LedgerError


def read_sheets(source: str | os.PathLike | bytes, name: str | None = None) -> tuple[str, dict, list[str]]:
    """The ledger's name, its sheets as raw frames without headers ({sheet name: frame}; a CSV is the one sheet
    None) and notes on how it was read. ``source`` is a path, or the file's bytes with its ``name``. CSV text is
    UTF-8 (with or without BOM), UTF-16 (BOM or NUL bytes) or else GB18030 (which covers GBK), and the note says
    which (``formats.encoding.decode_text``)."""
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
            sheets = {None: pd.DataFrame([r + [""] * (width - len(r)) for r in rows]).replace("", None)}
        elif suffix == ".xls":
            raise LedgerError(f"{name}：旧版 Excel（.xls）请先在 Excel 或 WPS 中另存为 .xlsx 再导入")
        elif suffix in (".xlsx", ".xlsm"):
            sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=object)
        else:
            raise LedgerError(f"{name}：台账应为 Excel（.xlsx）或 CSV 文件")
    except LedgerError:
        raise
    except Exception as exc:  # pandas/openpyxl's message names the problem
        raise LedgerError(f"无法读取台账 {name}：{exc}") from exc
    return name, sheets, notes
