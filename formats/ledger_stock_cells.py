"""The land ledger's stock-land cells (存量土地, issue 19): contract and progress dates, the price in 万元 (元 and
亿元 converted), the shares as 0–1 (35% or 35 read as 0.35) and the 政府原因 flag (是/否 → 1/0)."""
from __future__ import annotations

import pandas as pd

from formats.ledger_sheet import unit_factors
from geo.errors import InputError
from geo.parse import is_missing, parse_date, parse_number, parsed_cells, text_cells
from geo.report import LoadReport
from geo.vocab import FLAG_ALIASES

STOCK_DATES = ("supplied_date", "agreed_start", "agreed_completion", "actual_start", "actual_completion",
               "halted_date", "approved_date")
SHARES = ("developed_share", "invested_share")


def _price(value, factor: float) -> float | None:
    n = parse_number(value, unit_factors("price_wan"), factor)
    if n is not None and n < 0:
        raise InputError(f"价款不能为负数（现为 {value}）")
    return n


def parse_share(value, factor: float = 1.0) -> float | None:
    """A share as 0–1 from what ledgers write: 0.35, 35%, ３５％, or 35 (a bare number above 1 and at most 100 is
    a percentage); with a header in % (``factor`` 0.01) every bare number is one. Above 100 % an InputError."""
    if is_missing(value):
        return None
    text = str(value).strip()
    percent = text.endswith(("%", "％"))
    number = parse_number(text.rstrip("%％").strip() if percent else value)
    if number is None:
        return None
    share = number / 100 if percent or factor != 1.0 or 1 < number <= 100 else number
    if not 0 <= share <= 1:
        raise InputError(f"比例“{value}”超出 0–100%（可写 0.35、35% 或 35）")
    return share


def parse_flag(value) -> int | None:
    """是/否, Y/N, 1/0 (``geo.vocab.FLAG_ALIASES``) → 1/0."""
    if is_missing(value):
        return None
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value)
    got = FLAG_ALIASES.get(str(value).strip().lower())
    if got is None:
        raise InputError(f"“{value}”应为 是 或 否（也可写 Y/N、1/0）")
    return got


def parcel_stock_cells(out: pd.DataFrame, where: dict[str, str], factor: dict[str, float],
                       report: LoadReport) -> None:
    """The land ledger's stock columns parsed in place: dates, the price (万元/元/亿元), shares, the flag, holder."""
    column = {name: f"“{header}”列" for name, header in where.items()}
    text_cells(out, ("holder",))
    for name in STOCK_DATES:
        if name in out.columns:
            out[name] = pd.to_datetime(parsed_cells(out[name], parse_date, report, "parcels", "BAD_DATE",
                                                    column[name]))
    if "price_wan" in out.columns:
        out["price_wan"] = parsed_cells(out["price_wan"], lambda v: _price(v, factor["price_wan"]), report,
                                        "parcels", "BAD_NUMBER", column["price_wan"]).astype(float)
    for name in SHARES:
        if name in out.columns:
            out[name] = parsed_cells(out[name], lambda v, f=factor[name]: parse_share(v, f), report, "parcels",
                                     "SHARE_OUT_OF_RANGE", column[name]).astype(float)
    if "gov_delay" in out.columns:
        out["gov_delay"] = parsed_cells(out["gov_delay"], parse_flag, report, "parcels", "BAD_FLAG",
                                        column["gov_delay"]).astype("Int64")
