"""A ledger's sheet and header row: which sheet is read (the first visible one that looks like a ledger, or the one
named), where its header row is (a title row above it is usual; a two-row header under merged cells), which field each
header names with its unit, and the rows below as the ledger's body with their Excel row numbers (a merged cell's
value on every row it covers)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import pandas as pd

from formats.ledger_file import read_sheets
from geo.errors import LedgerError
from geo.parse import is_missing
from geo.vocab import LEDGER_HEADERS, LEDGER_UNITS

_HEADER_SCAN_ROWS = 15          # a header row is looked for this far down (title and note rows above it)

@dataclass
class Ledger:
    """The ledger's rows as read: ``rows`` indexed by Excel row number, columns = the sheet's own headers."""
    name: str
    rows: pd.DataFrame
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)


def _normalise(header) -> str:
    text = "" if is_missing(header) else str(header)
    text = text.replace("（", "(").replace("）", ")").replace("*", "").replace("：", "").replace(":", "")
    return re.sub(r"\s+", "", text).lower()


def header_field(header, headers: dict[str, tuple[str, ...]] = LEDGER_HEADERS,
                 cny_per_usd: float | None = None) -> tuple[str, float | None] | None:
    """The field a ledger header names and the factor from its unit to the field's unit (None: a unit it cannot
    convert); None when the header names no field. '总投资（万元）' → ('investment_yi', 1e-4);
    '用地面积(公顷)' → ('land_mu', 15.0); '总投资（欧元）' → ('investment_yi', None). Dollars at ``cny_per_usd``
    (``Settings.ledger``; without it a dollar unit cannot be converted)."""
    text = _normalise(header)
    m = re.fullmatch(r"(.*?)(?:\((.*)\))?", text)
    stem, unit = m.group(1), (m.group(2) or "")
    for name, variants in headers.items():
        if stem in (v.lower() for v in variants):
            units = unit_factors(name, cny_per_usd)
            if not unit or not units:
                return name, 1.0
            return name, units.get(unit)
    return None


def _header_row(raw: pd.DataFrame, headers: dict[str, tuple[str, ...]], key: str) -> tuple[int, list] | None:
    """The first row (within the first rows) naming ``key`` and one more field of ``headers``, with its fields."""
    for i in range(min(_HEADER_SCAN_ROWS, len(raw))):
        fields = [header_field(h, headers) for h in raw.iloc[i]]
        if sum(f is not None for f in fields) >= 2 and any(f and f[0] == key for f in fields):
            return i, fields
    return None


def ledger_sheets(source: str | os.PathLike | bytes, name: str | None = None,
                  headers: dict[str, tuple[str, ...]] = LEDGER_HEADERS, key: str = "name") -> list[str]:
    """The visible sheets of a workbook that look like ledgers (a header row naming ``key``), in workbook order: the
    choice to offer when there are several (a CSV: none)."""
    _, sheets, _ = read_sheets(source, name)
    return [s.name for s in sheets if s.name is not None and not s.hidden and _header_row(s.frame, headers, key)]


def _fill_merged(body: pd.DataFrame, merged: list[tuple[int, int, int, int]], first: int) -> pd.DataFrame:
    """Every row a merged cell covers takes the merge's value (in the merge's first column), for merges below the
    header (``first``: the sheet row the body starts at)."""
    for r0, c0, r1, _ in merged:
        if r0 >= first and r1 > r0 and c0 < body.shape[1]:
            body.iloc[r0 - first:r1 - first + 1, c0] = [body.iat[r0 - first, c0]] * (r1 - r0 + 1)
    return body


def read_ledger(source: str | os.PathLike | bytes, name: str | None = None,
                headers: dict[str, tuple[str, ...]] = LEDGER_HEADERS, key: str = "name",
                sheet: str | None = None) -> Ledger:
    """Read an .xlsx/.csv ledger (``source`` a path, or the file's bytes with its ``name``; the file through
    ``formats.ledger_file.read_sheets``): the header row is the first naming ``key`` and one more field of
    ``headers``. The sheet is ``sheet`` when given (one the workbook does not have is a LedgerError listing those it
    has), else the first visible sheet with such a header (hidden sheets, often an obsolete 旧台账, are never read
    unless named)."""
    name, sheets, notes = read_sheets(source, name)
    names = [s.name for s in sheets if s.name is not None]
    if sheet is not None:
        if not names:
            raise LedgerError(f"{name} 是 CSV 文件，没有工作表“{sheet}”")
        if sheet not in names:
            raise LedgerError(f"{name} 中没有工作表“{sheet}”（有：{'、'.join(names)}）")
        candidates = [s for s in sheets if s.name == sheet]
    else:
        candidates = [s for s in sheets if not s.hidden]
    found = [(s, _header_row(s.frame, headers, key)) for s in candidates]
    found = [(s, got) for s, got in found if got]
    if found:
        chosen, (i, fields) = found[0]
        raw = chosen.frame
        header, rows = _two_row_header(raw, i, fields, headers, key)
        body = _fill_merged(raw.iloc[i + rows:].copy(), chosen.merged, i + rows)
        cols = [str(h).strip() if not is_missing(h) else f"列{k + 1}" for k, h in enumerate(header)]
        body.columns = [h if h not in cols[:k] else f"{h}（第{k + 1}列）" for k, h in enumerate(cols)]
        body.index = pd.RangeIndex(i + rows + 1, i + rows + 1 + len(body))       # Excel rows count from 1
        body = body[~body.apply(lambda r: all(is_missing(v) for v in r), axis=1)]
        if rows == 2:
            notes.append(f"第 {i + 1}–{i + 2} 行为两行表头（合并单元格），按下一行的列名读取")
        if chosen.name is not None and len(sheets) > 1:
            notes.append(f"读取工作表“{chosen.name}”（第 {i + 1} 行为表头）"
                         + ("，该工作表为隐藏工作表" if chosen.hidden else ""))
        if len(found) > 1:
            notes.append(f"工作簿中有 {len(found)} 个工作表像台账（{'、'.join(s.name for s, _ in found)}），"
                         f"已读取第一个“{chosen.name}”；要导入其他工作表请指定工作表名")
        return Ledger(name, body, chosen.name, notes)
    others = "、".join(v[0] for f, v in headers.items() if f != key)
    where = f"{name} 的工作表“{sheet}”" if sheet is not None else name
    raise LedgerError(f"{where}：前 {_HEADER_SCAN_ROWS} 行中找不到表头"
                      f"（至少要有“{headers[key][0]}”和另一列，如 {others}）")


def _two_row_header(raw: pd.DataFrame, i: int, fields: list, headers: dict[str, tuple[str, ...]],
                    key: str) -> tuple[list, int]:
    """Row ``i``'s headers and how many rows the header takes. Bureaus often group columns under a merged cell
    (用地情况 over 拟用地（亩） and 需厂房): then the row below has the key column empty (merged down from 项目名称) and
    names fields of its own; each column takes the lower name where there is one."""
    header = list(raw.iloc[i])
    if i + 1 >= len(raw):
        return header, 1
    below = list(raw.iloc[i + 1])
    at_key = next(k for k, f in enumerate(fields) if f and f[0] == key)
    if not is_missing(below[at_key]) or not any(header_field(b, headers) for b in below if not is_missing(b)):
        return header, 1
    return [h if is_missing(b) else b for h, b in zip(header, below)], 2


YUAN_FIELDS = ("investment_yi", "funds_in_yi")   # money in 亿元: a dollar amount is converted at [ledger] cny_per_usd


def unit_factors(field_name: str, cny_per_usd: float | None = None) -> dict[str, float]:
    """The units a ledger may use for a field, as factors to the field's unit; foreign investment (亿美元, 万美元)
    at ``cny_per_usd`` yuan per dollar (``Settings.ledger.cny_per_usd``; None: no dollar units)."""
    units = dict(LEDGER_UNITS.get(field_name, {}))
    if field_name in YUAN_FIELDS and cny_per_usd is not None:
        rate = cny_per_usd
        units.update({"亿美元": rate, "万美元": rate * 1e-4, "美元": rate * 1e-8})
    return units
