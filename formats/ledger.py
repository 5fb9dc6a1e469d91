"""Ledgers (台账) from Excel or CSV — the bureau's project ledger and the land ledger — with headers as they come.

``read_ledger`` (``formats.ledger_sheet``) reads the file, finds the sheet and its header row (a title row above
it is usual) and returns the rows with their Excel row numbers; ``projects_from_ledger`` maps headers to fields
(units in brackets converted: 万元 → 亿元,
公顷/平方米 → 亩), park names to zone ids and checks every cell, reporting each problem with its row and column;
``merge_projects`` applies the ledger to the workspace's project list (update by id or name, add the rest, or
replace); ``import_ledger`` does all of it. ``import_parcel_ledger`` applies a land ledger (土地台账) to the parcels
it lists by 地块编号. Nothing is half-imported: any error and the caller keeps the old data.
"""
from __future__ import annotations

import dataclasses
import os

import pandas as pd

from formats.ledger_file import UncachedFormula
from formats.ledger_sheet import YUAN_FIELDS, Ledger, header_field, ledger_sheets, read_ledger, unit_factors  # noqa: F401 (re-exported)
from formats.ledger_stock_cells import parcel_stock_cells
from geo.errors import InputError, LedgerError, ValidationError
from geo.parse import is_missing, parse_date, parse_number, parsed_cells, text_cells  # noqa: F401 (re-exported)
from geo.report import LoadReport
from geo.vocab import LEDGER_EXAMPLE_HEADERS, LEDGER_HEADERS, LEDGER_TOTAL_ROWS, PARCEL_LEDGER_HEADERS
from geo.workspace import Workspace

_NUMERIC = ("investment_yi", "land_mu", "floor_m2", "priority", "funds_in_yi", "foreign_usd_wan")
_DATE_WARNINGS = ("STARTED_WITHOUT_DATE", "DATE_STAGE_MISMATCH")
_ZERO_OK = ("investment_yi", "funds_in_yi", "foreign_usd_wan")


def zone_lookup(zones: pd.DataFrame):
    """Park id from what a ledger writes: the id, the name, or a part of the name that only one park has."""
    ids = {str(z): str(z) for z in zones.index}
    names = {str(n): str(z) for z, n in zones["name"].items()}

    def find(value) -> str | None:
        text = str(value).strip()
        if text in ids:
            return ids[text]
        if text in names:
            return names[text]
        hits = {z for n, z in names.items() if text in n or n in text}
        return hits.pop() if len(hits) == 1 else None
    return find


def ledger_columns(ledger: Ledger, headers: dict[str, tuple[str, ...]], layer: str, key: str, report: LoadReport,
             cny_per_usd: float | None) -> tuple[pd.DataFrame, dict[str, str], dict[str, float]]:
    """The ledger's known columns renamed to fields (the first column naming a field wins), total rows dropped;
    with, per field, the ledger's header and the unit factor."""
    for note in ledger.notes:
        report.info(layer, "LEDGER_NOTE", note)
    where: dict[str, str] = {}
    factor: dict[str, float] = {}
    for header in ledger.rows.columns:
        got = header_field(header, headers, cny_per_usd)
        if got and got[1] is None:
            report.warning(layer, "UNKNOWN_UNIT", f"“{header}”列的单位无法换算（可用："
                           f"{'、'.join(unit_factors(got[0], cny_per_usd))}），该列未导入", field=got[0])
        elif got and got[0] not in where:
            where[got[0]], factor[got[0]] = header, got[1]
    out = pd.DataFrame({f: ledger.rows[h] for f, h in where.items()}, index=ledger.rows.index)
    for name, header in where.items():            # a formula saved without its value: named, never "empty"
        for row, v in out[name].items():
            if isinstance(v, UncachedFormula):
                report.error(layer, "FORMULA_NO_VALUE", f"“{header}”列：是公式 {v}，但文件中没有保存计算结果"
                             "（请在 Excel 或 WPS 中打开、保存后再导入，或改为数值）", row=row, field=name)
                out.at[row, name] = None
    total = out.get(key, pd.Series("", index=out.index)).astype(str).str.contains("|".join(LEDGER_TOTAL_ROWS))
    for row in out.index[total]:
        report.info(layer, "TOTAL_ROW", "是合计行，已跳过", row=row)
    return out[~total], where, factor


def _numbers(out: pd.DataFrame, fields: tuple[str, ...], where: dict[str, str], factor: dict[str, float],
             layer: str, report: LoadReport, cny_per_usd: float) -> None:
    """Numeric cells parsed (约200, 1,200, 12亩5分 …; ``geo.parse.parse_number``) and converted to the field's
    unit; each bad one reported by row."""
    for name in fields:
        if name not in out.columns:
            continue
        usd = name in YUAN_FIELDS and ("美元" in where[name] or out[name].astype(str).str.contains("美元").any())
        if usd:
            report.info(layer, "EXCHANGE_RATE", f"“{where[name]}”列的美元金额按 1 美元 = "
                        f"{cny_per_usd} 元人民币折算（config [ledger] cny_per_usd）", field=name)

        def parse(v, name=name):
            n = parse_number(v, unit_factors(name, cny_per_usd), factor[name])     # a unit in the cell wins
            if n is not None and (n < 0 or (n == 0 and name not in _ZERO_OK)):
                raise InputError(f"应为正数（现为 {v}）")
            return n
        out[name] = parsed_cells(out[name], parse, report, layer, "BAD_NUMBER", f"“{where[name]}”列").astype(float)


def validated_by_row(report: LoadReport, layer: str, validate, excel_row: dict, rows: str = "fid"):
    """``validate``() (a Workspace.with_… call), its issues added to ``report`` by the source's own row (a ledger's
    Excel row, a Shapefile's FID): ``excel_row`` maps the layer's row numbers (and None, for layer-wide issues,
    where they belong to the source) to those rows, ``rows`` says how they count ("ledger", "fid"), and each
    keeps the feature it names; other rows and cells already reported are left out. The new workspace, or None
    on errors."""
    seen = {(i.row, i.field) for i in report.errors}
    try:
        return validate()
    except ValidationError as exc:
        for issue in exc.report.issues:
            if issue.layer != layer or issue.row not in excel_row:
                continue
            row = excel_row[issue.row]
            if (row, issue.field) not in seen and \
                    not (issue.code == "NO_NEED" and {(row, "land_mu"), (row, "floor_m2")} & seen):
                report.issues.append(dataclasses.replace(issue, row=row, rows=None if row is None else rows))
        if not report.errors:
            raise
    return None


def projects_from_ledger(ledger: Ledger, zones: pd.DataFrame,
                         cny_per_usd: float) -> tuple[pd.DataFrame, LoadReport]:
    """The ledger as a project table (index = Excel row) and every problem found, each naming the row and the
    ledger's own column header. Total rows (合计/小计) are skipped with a note."""
    report = LoadReport(source=ledger.name)
    rate = cny_per_usd
    out, where, factor = ledger_columns(ledger, LEDGER_HEADERS, "projects", "name", report, rate)
    missing = [f"缺少“{LEDGER_HEADERS[name][0]}”列（可用的列名：{'、'.join(LEDGER_HEADERS[name])}）"
               for name in ("name", "industry", "stage") if name not in out.columns]
    if "land_mu" not in out.columns and "floor_m2" not in out.columns:
        missing.append(f"既没有用地面积列（如“{LEDGER_EXAMPLE_HEADERS['land_mu']}”）也没有厂房面积列"
                       f"（如“{LEDGER_EXAMPLE_HEADERS['floor_m2']}”）")
    if missing:
        raise LedgerError(f"{ledger.name}：{'；'.join(missing)}")
    _numbers(out, _NUMERIC, where, factor, "projects", report, rate)
    if "preferred_zone" in out.columns:
        find = zone_lookup(zones)
        known = "、".join(f"{z}（{n}）" for z, n in zones["name"].items())

        def zone(v):
            if is_missing(v):
                return None
            found = find(v)
            if found is None:
                raise InputError(f"“{v}”不是已知园区（{known}）")
            return found
        out["preferred_zone"] = parsed_cells(out["preferred_zone"], zone, report, "projects", "UNKNOWN_ZONE",
                                             f"“{where['preferred_zone']}”列")
    text_cells(out, ("name", "industry", "stage", "project_id", "event"))
    report.name_features("projects", out.get("project_id", pd.Series(dtype=object)).rename("project_id"), "ledger")
    return out, report


def merge_projects(existing: pd.DataFrame, imported: pd.DataFrame, replace: bool = False,
                   id_prefix: str = "TZ") -> tuple[pd.DataFrame, dict[str, int]]:
    """The new project list and counts {'added', 'updated', 'kept'}. ``replace``: the ledger is the whole list.
    Otherwise a ledger row updates the project with its id (else with its name) in the columns the ledger has,
    and the rest are added; rows without an id get the next free ``id_prefix``-NNN."""
    base = pd.DataFrame(columns=existing.columns) if replace else existing.reset_index(drop=True).copy()
    rows = imported.reset_index(drop=True)
    taken = set(base["project_id"].astype(str)) | set(rows.get("project_id", pd.Series(dtype=object)).dropna())
    counter = 0
    added = updated = 0
    for _, r in rows.iterrows():
        pid = None if is_missing(r.get("project_id")) else r.get("project_id")
        hit = base.index[base["project_id"] == pid] if pid else base.index[base["name"] == r["name"]]
        if len(hit):
            for col, v in r.items():
                if col != "project_id" and not is_missing(v):
                    base.at[hit[0], col] = v
            updated += 1
            continue
        if not pid:
            while True:
                counter += 1
                pid = f"{id_prefix}-{counter:03d}"
                if pid not in taken:
                    break
            taken.add(pid)
        new = {c: r.get(c) for c in rows.columns}
        new["project_id"] = pid
        base = pd.concat([base, pd.DataFrame([new])], ignore_index=True)
        added += 1
    kept = len(base) - added - updated
    return base, {"added": added, "updated": updated, "kept": kept}


def import_ledger(ws: Workspace, source: str | os.PathLike | bytes, name: str | None = None, replace: bool = False, *,
                  cny_per_usd: float, sheet: str | None = None):
    """The workspace with the ledger applied to its project list, the counts and the report (notes, warnings).

    Raises LedgerError when the file cannot be used at all, and ValidationError whose report names every bad cell
    by its Excel row and the ledger's column when any row is wrong: then nothing is applied. Dollar amounts at
    ``cny_per_usd`` (the caller's ``Settings.ledger.cny_per_usd``). ``sheet``: the workbook's sheet to read (default
    the first visible one that looks like a ledger).
    """
    ledger = read_ledger(source, name, sheet=sheet)
    table, report = projects_from_ledger(ledger, ws.zones, cny_per_usd)
    # each ledger row must be a valid project on its own (a row without an id borrows its row number)
    alone = table.copy()
    if "project_id" not in alone.columns:
        alone["project_id"] = None
    alone["project_id"] = [f"第{row}行" if is_missing(p) else p for row, p in alone["project_id"].items()]
    excel_row = dict(enumerate(table.index, start=1))
    checked = validated_by_row(report, "projects", lambda: ws.with_projects(alone), {None: None, **excel_row},
                               rows="ledger")
    if checked is not None:       # the stage/date warnings of a valid ledger, by its Excel row
        report.issues.extend(dataclasses.replace(i, row=excel_row[i.row], rows="ledger")
                             for i in checked.report.issues
                             if i.layer == "projects" and i.code in _DATE_WARNINGS and i.row in excel_row)
    borrowed = set(alone["project_id"]) - set(table.get("project_id", pd.Series(dtype=object)).dropna())
    for issue in report.issues:
        if issue.feature in borrowed:        # a row without an id is named by its Excel row alone
            issue.feature = None
    if report.errors:
        raise ValidationError(f"台账 {ledger.name} 有 {len(report.errors)} 处错误，未导入", report)
    merged, counts = merge_projects(ws.projects, table, replace)
    try:
        new = ws.with_projects(merged)
    except ValidationError as exc:
        raise ValidationError(f"台账 {ledger.name} 并入项目表后有误（行号为合并后项目表的行）：{exc}",
                              exc.report) from exc
    return new, counts, report


def import_parcel_ledger(ws: Workspace, source: str | os.PathLike | bytes, name: str | None = None,
                         sheet: str | None = None):
    """The workspace with a land ledger (土地台账) applied to the parcels it lists, by 地块编号: status, ready
    date, land use, registered area and the stock-land fields (受让单位, 交地/约定/实际 dates, 价款, shares, 政府原因,
    批准日期: ``formats.ledger_stock_cells``); geometry and unlisted parcels are kept. Returns (workspace, counts
    {'updated', 'status_changed'}, report). Raises LedgerError / ValidationError (cells by Excel row) as
    ``import_ledger`` does; then nothing is applied. ``sheet`` as for ``import_ledger``."""
    ledger = read_ledger(source, name, PARCEL_LEDGER_HEADERS, key="parcel_id", sheet=sheet)
    report = LoadReport(source=ledger.name)
    rate = None               # a land ledger has no money columns: no exchange rate
    out, where, factor = ledger_columns(ledger, PARCEL_LEDGER_HEADERS, "parcels", "parcel_id", report, rate)
    if len(where) < 2:
        raise LedgerError(f"{ledger.name}：除“{where['parcel_id']}”外没有可更新的列（"
                          f"{'、'.join(v[0] for f, v in PARCEL_LEDGER_HEADERS.items() if f != 'parcel_id')}）")
    _numbers(out, ("registered_mu",), where, factor, "parcels", report, rate)
    parcel_stock_cells(out, where, factor, report)
    text_cells(out, ("parcel_id", "status", "land_use"))
    if "ready_date" in out.columns:
        out["ready_date"] = pd.to_datetime(parsed_cells(out["ready_date"], parse_date, report, "parcels", "BAD_DATE",
                                                        f"“{where['ready_date']}”列"))
    ids = out["parcel_id"]
    formulas = {i.row for i in report.errors if i.field == "parcel_id"}       # already named as formulas
    for row in out.index[ids.isna() & ~out.index.isin(list(formulas))]:
        report.error("parcels", "MISSING_VALUE", f"“{where['parcel_id']}”为空", row=row, field="parcel_id")
    for row in out.index[ids.notna() & ~ids.isin(ws.parcels.index)]:
        report.error("parcels", "UNKNOWN_PARCEL", "不在工作空间的地块图层中", row=row,
                     field="parcel_id")
    for row in out.index[ids.notna() & ids.duplicated(keep=False)]:
        report.error("parcels", "DUPLICATE_ID", "在台账中出现多次", row=row, field="parcel_id")
    report.name_features("parcels", ids, "ledger")
    listed = out[ids.isin(ws.parcels.index) & ~ids.duplicated(keep=False)]
    parcels = ws.parcels.drop(columns=[c for c in ("area_mu", "net_mu") if c in ws.parcels.columns])
    before = parcels["status"].copy()
    for field_name in [c for c in out.columns if c != "parcel_id"]:
        cells = listed[field_name]
        given = cells.notna()
        parcels.loc[listed.loc[given, "parcel_id"].to_numpy(), field_name] = cells[given].to_numpy()
    # the layer's own rows (from 1) → the ledger's Excel rows, for the parcels it lists
    at = {pid: row for row, pid in listed["parcel_id"].items()}
    excel_row = {k: at[pid] for k, pid in enumerate(parcels.index, start=1) if pid in at}
    new = validated_by_row(report, "parcels", lambda: ws.with_layers(parcels=parcels.reset_index(drop=True)), excel_row,
                           rows="ledger")
    if report.errors:
        raise ValidationError(f"台账 {ledger.name} 有 {len(report.errors)} 处错误，未导入", report)
    changed = int((new.parcels["status"].reindex(before.index) != before).sum())
    return new, {"updated": len(listed), "status_changed": changed}, report


def import_summary(counts: dict[str, int], new) -> str:
    """One Chinese sentence on what an import changed (CLI and app alike)."""
    if "parcels_added" in counts:
        return (f"新增 {counts['parcels_added']} 块、更新 {counts['parcels_updated']} 块地块（其中 "
                f"{counts['zoned_by_location']} 块按位置归入园区），地块图层共 {len(new.parcels)} 块")
    if "firms_added" in counts:
        return (f"新增 {counts['firms_added']} 家、更新 {counts['firms_updated']} 家企业，"
                f"企业表（亩均效益台账）共 {len(new.firms)} 家")
    if "added" in counts:
        return f"新增 {counts['added']} 个、更新 {counts['updated']} 个项目，项目表共 {len(new.projects)} 个"
    return f"更新 {counts['updated']} 块地块，其中 {counts['status_changed']} 块状态改变"
