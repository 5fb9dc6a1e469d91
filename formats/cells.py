"""Cell conversions of a layer's attribute table done once per distinct value: a 100k-feature layer has a few
distinct statuses, parks and dates, and the per-value parsers (``geo.parse``, ``formats.ledger``) are Python."""
from __future__ import annotations

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.parse import parsed_cells
from geo.report import LoadReport


def by_distinct(cells: pd.Series, func) -> pd.Series:
    """``cells.map(func)`` computed once per distinct value (a 100k-feature layer has few distinct statuses, parks
    and dates); missing cells (None/NaN) go through ``func`` once too."""
    values = cells.astype(object).to_numpy()
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [func(u) for u in uniques]
    mapped[-1] = func(None)
    return pd.Series(mapped[codes], index=cells.index, name=cells.name, dtype=object)


def parsed_distinct(cells: pd.Series, parse, report: LoadReport, layer: str, code: str, where: str) -> pd.Series:
    """``formats.ledger.parsed_cells`` computed once per distinct value: every bad cell still reported by its row."""
    values = cells.astype(object).to_numpy()
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    good = np.ones(len(uniques), dtype=bool)
    parsed = np.empty(len(uniques) + 1, dtype=object)
    parsed[-1] = None
    for k, value in enumerate(uniques):
        try:
            parsed[k] = parse(value)
        except InputError:
            good[k] = False
            parsed[k] = None
    bad_rows = np.flatnonzero((codes >= 0) & ~good[np.maximum(codes, 0)]) if len(uniques) else np.zeros(0, int)
    if len(bad_rows):                                  # the few bad cells: the one reporting loop, by row
        parsed_cells(cells.iloc[bad_rows], parse, report, layer, code, where)
    return pd.Series(parsed[codes], index=cells.index, name=cells.name, dtype=object)


_MISSING_TEXT = ("", "待定", "无", "-", "—")
"""What ``geo.parse.is_missing`` takes for an empty text cell."""


def texts(cells: pd.Series) -> pd.Series:
    """``geo.parse.cell_text`` of every cell (stripped text, empty → None, a whole float as an integer): vectorised
    when the column holds text only (ids: every value distinct), else once per distinct value."""
    from geo.parse import cell_text
    values = cells.astype(object)
    present = values.notna()
    if not present.any() or not values[present].map(type).eq(str).all():
        return by_distinct(cells, cell_text)
    stripped = values.where(~present, values.astype(str).str.strip())
    blank = ~present | stripped.isin(_MISSING_TEXT)
    return stripped.where(~blank, None).astype(object)


def numbers(cells: pd.Series, parse, report: LoadReport, layer: str, code: str, where: str) -> pd.Series:
    """``parsed_distinct`` with a numeric column's values taken as they are (what ``parse_number`` gives them)."""
    if pd.api.types.is_numeric_dtype(cells) and not pd.api.types.is_bool_dtype(cells):
        values = cells.astype(float)
        return values.astype(object).where(values.notna(), None)
    return parsed_distinct(cells, parse, report, layer, code, where)
