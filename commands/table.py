"""Plain-text tables for the CLI, aligned for Chinese (full-width) characters."""
from __future__ import annotations

import unicodedata


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def format_table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    """``columns`` = [(key, 中文表头), ...]; numbers right-aligned, 亩 and floats to one decimal."""
    cells = [[_cell(r.get(k)) for k, _ in columns] for r in rows]
    heads = [h for _, h in columns]
    widths = [max([_width(h)] + [_width(c[i]) for c in cells]) for i, h in enumerate(heads)]
    numeric = [all(isinstance(r.get(k), (int, float)) for r in rows if r.get(k) is not None) for k, _ in columns]

    def line(values):
        return "  ".join((" " * (w - _width(v)) + v) if num else (v + " " * (w - _width(v)))
                         for v, w, num in zip(values, widths, numeric))
    return "\n".join([line(heads), "  ".join("-" * w for w in widths)] + [line(c) for c in cells])
