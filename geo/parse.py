"""Lenient parsing of the values ledgers write loosely ("2024年6月", "2024.6", "约200亩", "2.5亿"), and the one loop
that parses a column of cells and reports each bad one (ledgers, layer imports and workspace loads all use it)."""
from __future__ import annotations

import datetime as dt
import math
import re

import pandas as pd

from geo.errors import InputError
from geo.report import LoadReport

_DATE_PATTERNS = (
    re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$"),
    re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$"),
    re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$"),
)


def is_missing(value) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() in ("", "待定", "无", "-", "—")


def parse_date(value) -> dt.date | None:
    """A date from a date, a timestamp or text such as 2024-06-01, 2024.6, 2024年6月 (→ the 1st); None when empty."""
    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value)
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            parts = [int(g) for g in m.groups()] + [1]
            try:
                return dt.date(parts[0], parts[1], parts[2])
            except ValueError:
                break
    raise InputError(f"无法识别的日期“{text}”：请写成 2024-06-30、2024.6 或 2024年6月")


def parse_number(value) -> float | None:
    """A number from text such as 约200, 300-500 (→ the upper bound, the prudent need), 2.5亿; None when empty."""
    if is_missing(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    plain = text.replace(",", "").replace("，", "")
    if re.fullmatch(r"[-+−]\s*\d+(?:\.\d+)?", plain):       # a signed number keeps its sign (−5 is not 5)
        return float(plain.replace("−", "-").replace(" ", ""))
    numbers = re.findall(r"\d+(?:\.\d+)?", plain)
    if not numbers:
        raise InputError(f"无法识别的数值“{text}”")
    return float(numbers[-1])


def cell_text(value) -> str | None:
    """A text cell as a stripped string (a whole number as written: 1001, not 1001.0); empty cells (and 待定, 无,
    -) as None."""
    if is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():     # a numeric id column with blanks reads as float
        return str(int(value))
    return str(value).strip()


def text_cells(out: pd.DataFrame, fields) -> None:
    """Text fields of ``out`` through ``cell_text``, in place."""
    for name in fields:
        if name in out.columns:
            out[name] = out[name].map(cell_text)


def parsed_cells(cells: pd.Series, parse, report: LoadReport, layer: str, code: str,
                 where: str | None = None) -> pd.Series:
    """Each cell through ``parse`` (parse_date, parse_number …); a bad one (InputError) is reported by its row and
    becomes None. ``where`` names the column as the source spells it ('“拟用地（亩）”列') before the reason."""
    values = {}
    for row, v in cells.items():
        try:
            values[row] = parse(v)
        except InputError as exc:
            report.error(layer, code, f"{where}：{exc}" if where else str(exc), row=row, field=cells.name)
            values[row] = None
    return pd.Series(values, index=cells.index, dtype=object)
