"""The briefing's document model (paragraphs, headings, tables, figures, sections) and its number formats, pure.

Renderers (docx.py, preview.py) lay a ``Document`` out; they never compute.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from briefing.facts import Facts

CN_NUMERALS = "一二三四五六七八九十"


# ------------------------------------------------------------------------------------------------ model

@dataclass
class Paragraph:
    """A body paragraph; ``lead`` is a run-in heading (（一）… in 楷体, 1. … in bold 仿宋) before the text."""
    text: str
    lead: str = ""
    lead_level: int = 2
    kind: str = "body"          # body | addressee | closing | signature | date | note


@dataclass
class Heading:
    text: str
    level: int = 1              # 1 = 一、(黑体)  2 = （一）(楷体)  3 = 1. (仿宋加粗)


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    total: list[str] | None = None
    widths: list[float] | None = None   # relative column widths
    numeric: list[int] = field(default_factory=list)   # right-aligned columns


@dataclass
class Figure:
    key: str                    # "map" | "supply_demand" | "frontier"
    title: str
    width_mm: float = 156.0
    png: bytes | None = None    # filled by briefing.build (figures.py)


Block = Paragraph | Heading | Table | Figure


@dataclass
class Section:
    key: str
    heading: str
    blocks: list[Block]
    new_page: bool = False


@dataclass
class Masthead:
    """版头 of an 上行文 (GB/T 9704 7.2): 发文机关标志, 发文字号 and 签发人; rendered in red with a red line."""
    mark: str                    # 发文机关标志, e.g. 示例县经济合作局文件
    number: str                  # 发文字号, e.g. 示经合〔2026〕12号
    signer: str                  # 签发人 (may be blank)


@dataclass
class Document:
    title: str
    addressee: str
    opening: list[Paragraph]
    sections: list[Section]      # 一…五 then the appendix (附)
    closing: list[Paragraph]     # 特此报告。, issuer, date
    totals: dict[str, float]
    facts: Facts
    masthead: Masthead | None = None

    @property
    def title_lines(self) -> list[str]:
        """The title in lines of at most ~20 characters of 2号, broken after 和 or 的 (GB/T 9704: 梯形/菱形)."""
        if len(self.title) <= 20:
            return [self.title]
        cuts = [i + 1 for i, ch in enumerate(self.title) if ch in "和的" and 6 <= i + 1 <= len(self.title) - 6]
        if not cuts:
            return [self.title]
        cut = min(cuts, key=lambda i: abs(i - len(self.title) / 2))
        return [self.title[:cut], self.title[cut:]]

    @property
    def tables(self) -> dict[str, Table]:
        return {b.key: b for s in self.sections for b in s.blocks if isinstance(b, Table)}

    @property
    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]


# ------------------------------------------------------------------------------------------------ formats

def fmt_yi(yi: float) -> str:
    """亿元 to at most two decimals, no trailing zeros (18 亿元, 2.5 亿元, 0.85 亿元)."""
    text = f"{yi:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_m2(m2: float) -> str:
    return f"{m2:,.0f}"


def fmt_pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def fmt_date(d: dt.date) -> str:
    """GB/T 9704 成文日期: Arabic numerals, full year, no leading zeros (2026年3月5日)."""
    return f"{d.year}年{d.month}月{d.day}日"


def cn_index(i: int) -> str:
    """1 → 一, 11 → 十一 (section and sub-section numbers)."""
    if i <= 10:
        return CN_NUMERALS[i - 1]
    tens, ones = divmod(i, 10)
    return (CN_NUMERALS[tens - 1] if tens > 1 else "") + "十" + (CN_NUMERALS[ones - 1] if ones else "")


def join_names(names: Iterable[str], limit: int = 3, unit: str = "个项目") -> str:
    """'A、B、C' or, past ``limit``, 'A、B、C等5个项目'."""
    names = list(names)
    if len(names) <= limit:
        return "、".join(names)
    return "、".join(names[:limit]) + f"等{len(names)}{unit}"


def as_number(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return 0.0
    return v if np.isfinite(v) else 0.0


def as_date(x: Any) -> dt.date | None:
    if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NaT:
        return None
    try:
        ts = pd.Timestamp(x)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(ts) else ts.date()
