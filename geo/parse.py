"""Lenient parsing of the values ledgers write loosely ("2024年6月", "2024.6", "约200亩", "2.5亿"), and the one loop
that parses a column of cells and reports each bad one (ledgers, layer imports and workspace loads all use it)."""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

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
    """A date from a date, a timestamp or text such as 2024-06-01, 2024.6, 2024年6月 (→ the 1st); None when empty
    (NA, N/A and null included: no date)."""
    if is_missing(value) or (isinstance(value, str) and value.strip().lower() in _NA_TEXT):
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


_NA_TEXT = ("na", "n/a", "#n/a", "null", "none", "nan")
"""Text that means "no value" where a number or a date is expected (as text, "NA" is a name like any other)."""
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d+)(?:\.\d+)?(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?"
_NUMBER = re.compile(rf"([+-]?)({_DIGITS})", re.IGNORECASE)
_UNIT = r"(?:[^\W\d_]+|m2|m²)"               # letters (亩, 公顷, 万元, ha); square metres as ledgers write them
_APPROX = re.compile(r"^(?:约|大约|近|约合|≈)\s*|\s*左右$")
_QUANTITY = re.compile(rf"([+-]?)({_DIGITS})(?:\s*[-~至到—–]\s*({_DIGITS}))?\s*(?:余|多)?\s*({_UNIT})?", re.IGNORECASE)
_MU_PARTS = re.compile(rf"({_DIGITS})\s*亩\s*(?:({_DIGITS})\s*分)?\s*(?:({_DIGITS})\s*厘)?", re.IGNORECASE)
MU_PER_FEN = 0.1      # 1 分 = 0.1 亩, 1 厘 = 0.01 亩 (the 市制 land units)


def _normal_text(value) -> str:
    """Full-width digits, commas, spaces and signs as ASCII (NFKC), the minus sign as '-', outer spaces gone."""
    text = unicodedata.normalize("NFKC", str(value)).replace("−", "-").replace("\u3000", " ")
    return re.sub(r"\s+", " ", text).strip()


def _float(text: str) -> float:
    return float(text.replace(",", "").replace(" ", ""))


def parse_quantity(value) -> tuple[float, str | None] | None:
    """A number and the unit written after it (None: none), or None when the cell is empty (or NA, N/A, null).
    One strict grammar: 1200, 1,200, 1 200, １２００, 1.2E+3, -5; 约200, 200左右, 200余; a range 300-500 → its upper
    bound (the prudent need); a unit after the number (亩, 公顷, 2.5亿, 5000万元); 12亩5分 → 12.5 亩. Anything else
    ("1/2", "0x1F", "abc12", a number with stray text) raises InputError: never a different number."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise InputError(f"无法识别的数值“{value}”")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise InputError(f"无法识别的数值“{value}”")
        return float(value), None
    text = _normal_text(value)
    if text.lower() in _NA_TEXT:
        return None
    m = _NUMBER.fullmatch(text)
    if m:
        return (-1.0 if m.group(1) == "-" else 1.0) * _float(m.group(2)), None
    body = _APPROX.sub("", text)
    m = _MU_PARTS.fullmatch(body)
    if m and (m.group(2) or m.group(3)):
        parts = [_float(g) if g else 0.0 for g in m.groups()]
        return parts[0] + parts[1] * MU_PER_FEN + parts[2] * MU_PER_FEN / 10, "亩"
    m = _QUANTITY.fullmatch(body)
    if m is None or (m.group(1) and m.group(3)):        # a signed range (-300-500) says nothing clear
        raise InputError(f"无法识别的数值“{value}”：请只写数字（可带单位，如 12.5、1,200、约200亩、12亩5分）")
    sign = -1.0 if m.group(1) == "-" else 1.0
    numbers = [_float(g) for g in m.groups()[1:3] if g]
    return sign * max(numbers), (m.group(4).lower() if m.group(4) else None)


def parse_number(value, units: dict[str, float] | None = None, factor: float = 1.0) -> float | None:
    """A number from a cell (``parse_quantity``'s grammar); None when empty. With ``units`` (the field's units as
    factors, ``formats.ledger.unit_factors``) a unit written in the cell is converted and one the field does not
    know is refused; a bare number takes ``factor`` (the header's unit). Without ``units`` the number as written."""
    got = parse_quantity(value)
    if got is None:
        return None
    number, unit = got
    if units is None:
        return number
    if unit is None:
        return number * factor
    known = {k.lower(): v for k, v in units.items()}
    if unit not in known:
        raise InputError(f"“{value}”的单位“{unit}”无法换算（可用：{'、'.join(units)}）")
    return number * known[unit]


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
