"""Cells safe to open in Excel or WPS: every Excel/CSV file LandGap writes goes through ``safe_frame`` first.

A text cell starting with = + - @ (or a tab or carriage return) would be taken as a formula by a spreadsheet — a
project named ``=cmd|' /C calc'!A0`` is a live command (OWASP "CSV injection"). Such text gets a leading single quote,
the usual neutraliser: the planner sees the text, the spreadsheet computes nothing. Numbers and dates are untouched.
"""
from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """``value`` with a leading ' when it is text a spreadsheet would read as a formula; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and column header through ``safe_cell``."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_cell)
    out.columns = [safe_cell(c) for c in out.columns]
    return out
