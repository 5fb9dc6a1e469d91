"""Stock land in ledgers (存量土地, issue 19): the land ledger's contract and progress columns, and the 亩均效益台账
(firms) — ``import_firm_ledger`` applies it to the workspace's firms table, by 企业编号/统一社会信用代码 (else by
name), each bad cell named by its Excel row and the ledger's column; nothing imported on an error.
"""
from __future__ import annotations

import os

import pandas as pd

from formats.ledger import ledger_columns, validated_by_row
from formats.ledger_sheet import read_ledger, unit_factors
from geo.errors import InputError, LedgerError, ValidationError
from geo.parse import is_missing, parse_number, parsed_cells, text_cells
from geo.report import LoadReport
from geo.validate_stock import split_ids
from geo.vocab import FIRM_LEDGER_HEADERS
from geo.workspace import Workspace

_FIRM_NUMBERS = ("revenue_wan", "tax_wan", "energy_tce", "employees", "rd_wan")


def firms_from_ledger(ledger, report: LoadReport) -> pd.DataFrame:
    """The ledger as a firms table (index = Excel row); every bad cell reported by row and column."""
    out, where, factor = ledger_columns(ledger, FIRM_LEDGER_HEADERS, "firms", "name", report, None)
    missing = [f"缺少“{FIRM_LEDGER_HEADERS[name][0]}”列（可用的列名：{'、'.join(FIRM_LEDGER_HEADERS[name])}）"
               for name in ("name", "parcel_ids") if name not in out.columns]
    if missing:
        raise LedgerError(f"{ledger.name}：{'；'.join(missing)}")
    for name in _FIRM_NUMBERS:
        if name in out.columns:          # zero is a fact here (no R&D, no tax): only a negative is refused
            out[name] = parsed_cells(out[name], lambda v, n=name: _nonnegative(v, n, factor[n]), report, "firms",
                                     "BAD_NUMBER", f"“{where[name]}”列").astype(float)
    if "year" in out.columns:
        out["year"] = parsed_cells(out["year"], _year, report, "firms", "BAD_NUMBER", f"“{where['year']}”列")
    text_cells(out, ("firm_id", "name", "parcel_ids"))
    out["parcel_ids"] = out["parcel_ids"].map(lambda v: ";".join(split_ids(v)) or None if v is not None else None)
    for row in out.index[out["parcel_ids"].isna()]:
        report.error("firms", "NO_PARCEL", f"“{where['parcel_ids']}”为空：每家企业至少要有一宗地", row=row,
                     field="parcel_ids")
    report.name_features("firms", out.get("firm_id", pd.Series(dtype=object)).rename("firm_id"), "ledger")
    return out


def _nonnegative(value, name: str, factor: float) -> float | None:
    n = parse_number(value, unit_factors(name), factor)
    if n is not None and n < 0:
        raise InputError(f"不能为负数（现为 {value}）")
    return n


def _year(value) -> int | None:
    n = parse_number(str(value).replace("年度", "").replace("年", "").strip()) if not is_missing(value) else None
    if n is None:
        return None
    if not (n.is_integer() and 1990 <= n <= 2100):
        raise InputError(f"“{value}”不是年份")
    return int(n)


def merge_firms(existing: pd.DataFrame, imported: pd.DataFrame, replace: bool = False,
                id_prefix: str = "QY") -> tuple[pd.DataFrame, dict[str, int]]:
    """The new firms table and counts {'firms_added', 'firms_updated', 'firms_kept'}: a ledger row updates the firm
    with its id (else with its name) in the columns it has, the rest are added (without an id: the next free
    ``id_prefix``-NNN); ``replace``: the ledger is the whole table."""
    base = existing.iloc[0:0].reset_index(drop=True) if replace else existing.reset_index(drop=True).copy()
    rows = imported.reset_index(drop=True)
    taken = set(base["firm_id"].astype(str)) | set(rows.get("firm_id", pd.Series(dtype=object)).dropna())
    counter = added = updated = 0
    new_rows = []
    for _, r in rows.iterrows():
        fid = None if is_missing(r.get("firm_id")) else r.get("firm_id")
        hit = base.index[base["firm_id"] == fid] if fid else base.index[base["name"] == r["name"]]
        if len(hit):
            for col, v in r.items():
                if col != "firm_id" and not is_missing(v):
                    base.at[hit[0], col] = v
            updated += 1
            continue
        while not fid:
            counter += 1
            fid = f"{id_prefix}-{counter:03d}" if f"{id_prefix}-{counter:03d}" not in taken else None
        taken.add(fid)
        new_rows.append({**{c: r.get(c) for c in rows.columns}, "firm_id": fid})
        added += 1
    if new_rows:
        base = pd.concat([base, pd.DataFrame(new_rows)], ignore_index=True) if len(base) else pd.DataFrame(new_rows)
    return base, {"firms_added": added, "firms_updated": updated, "firms_kept": len(base) - added - updated}


def import_firm_ledger(ws: Workspace, source: str | os.PathLike | bytes, name: str | None = None,
                       replace: bool = False, sheet: str | None = None):
    """The workspace with the 亩均效益台账 applied to its firms table; (workspace, counts, report). Raises
    LedgerError (file unusable) or ValidationError naming each bad cell by Excel row and column (an unknown
    parcel, a negative number …); then nothing is applied."""
    ledger = read_ledger(source, name, FIRM_LEDGER_HEADERS, key="name", sheet=sheet)
    report = LoadReport(source=ledger.name)
    table = firms_from_ledger(ledger, report)
    known = set(ws.parcels.index)
    for row, ids in table["parcel_ids"].items():
        unknown = [i for i in split_ids(ids) if i not in known]
        if unknown:
            report.error("firms", "UNKNOWN_PARCEL", f"地块 {'、'.join(unknown)} 不在工作空间的地块图层中",
                         row=row, field="parcel_ids")
    ids = table.get("firm_id", pd.Series(dtype=object))
    for row in table.index[ids.notna() & ids.duplicated(keep=False)]:
        report.error("firms", "DUPLICATE_ID", "企业编号在台账中出现多次", row=row, field="firm_id")
    report.name_features("firms", ids.rename("firm_id"), "ledger")
    alone = table.copy()
    if "firm_id" not in alone.columns:
        alone["firm_id"] = None
    alone["firm_id"] = [f"第{row}行" if is_missing(p) else p for row, p in alone["firm_id"].items()]
    excel_row = dict(enumerate(table.index, start=1))
    validated_by_row(report, "firms", lambda: ws.with_layers(firms=alone), {None: None, **excel_row},
                     rows="ledger")
    borrowed = set(alone["firm_id"]) - set(ids.dropna())
    for issue in report.issues:
        if issue.feature in borrowed:
            issue.feature = None
    if report.errors:
        raise ValidationError(f"台账 {ledger.name} 有 {len(report.errors)} 处错误，未导入", report)
    merged, counts = merge_firms(ws.firms, table, replace)
    try:
        new = ws.with_layers(firms=merged)
    except ValidationError as exc:
        raise ValidationError(f"台账 {ledger.name} 并入企业表后有误（行号为合并后企业表的行）：{exc}",
                              exc.report) from exc
    return new, counts, report

