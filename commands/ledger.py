"""`import-projects`, `import-parcels` and `import-firms`: the bureau's ledgers (台账) applied to the workspace
through its store."""
from __future__ import annotations

from pathlib import Path

from commands.common import emit, safe_url, store_target, user_name
from commands.table import format_table
from geo.errors import ValidationError
from geo.vocab import FIELD_LABELS


def import_into_workspace(args, apply, source: Path | None = None, row_label: str = "台账行号") -> int:
    """Apply a ledger (or ``source``, a layer file) with ``apply``(workspace, path) → (workspace, counts, report);
    write back through the store: only the rows that change, in one transaction, each checked against the version
    read (a concurrent change → ConflictError, nothing written). Errors are listed by ``row_label`` (the ledger's
    Excel row, a Shapefile's FID)."""
    from formats.ledger import import_summary
    from stores import open_store
    from stores.common import save_with_retry
    source = source or args.ledger
    path = store_target(args)
    with open_store(path, args.settings) as store:
        ws = store.load()
        try:
            new, (counts, report), _ = save_with_retry(store, ws, lambda w: apply(w, source), user_name(args))
        except ValidationError as exc:
            rows = [{"row": i.row, "field": FIELD_LABELS.get(i.field, i.field or ""), "message": i.message}
                    for i in exc.report.errors]
            emit(args, {"imported": False, **exc.report.to_dict()},
                  f"{exc}\n" + format_table(rows, [("row", row_label), ("field", "字段"), ("message", "说明")]))
            return 1
    notes = [i.message for i in report.issues]
    path = safe_url(path)                      # a database URL without its password
    emit(args, {"imported": True, "workspace": str(path), **counts, "projects": len(new.projects),
                 "parcels": len(new.parcels), "firms": len(new.firms), "notes": notes},
          f"已导入 {source.name} 到 {path}：{import_summary(counts, new)}" + "".join(f"\n提示：{n}" for n in notes))
    return 0


SHEET_HELP = "要导入的工作表名（默认：第一个像台账的可见工作表；隐藏的工作表只在指定时读取）"


def cmd_import_projects(args) -> int:
    from formats.ledger import import_ledger
    return import_into_workspace(args, lambda ws, f: import_ledger(ws, f, replace=args.replace,
                                                                          cny_per_usd=args.settings.ledger.cny_per_usd,
                                                                          sheet=args.sheet))


def cmd_import_parcels(args) -> int:
    from formats.ledger import import_parcel_ledger
    return import_into_workspace(args, lambda ws, f: import_parcel_ledger(ws, f, sheet=args.sheet))


def cmd_import_firms(args) -> int:
    from formats.ledger_stock import import_firm_ledger
    return import_into_workspace(args, lambda ws, f: import_firm_ledger(ws, f, replace=args.replace, sheet=args.sheet))


def register(command) -> None:
    p = command("import-projects", cmd_import_projects, "导入招商项目台账（Excel/CSV）到工作空间的项目表（原子写回）")
    p.add_argument("--ledger", type=Path, required=True,
                   help="台账文件 .xlsx 或 .csv（表头如 项目名称、产业、阶段、需用地，单位写在表头括号里）")
    p.add_argument("--replace", action="store_true", help="以台账替换整个项目表（默认：按编号或名称更新，其余新增）")
    p.add_argument("--sheet", help=SHEET_HELP)

    p = command("import-parcels", cmd_import_parcels,
                "按土地台账（Excel/CSV）更新地块的状态、可供日期、用地类型和台账面积（原子写回）")
    p.add_argument("--ledger", type=Path, required=True,
                   help="台账文件 .xlsx 或 .csv（表头如 地块编号/宗地号、供地状态、预计可供时间）")
    p.add_argument("--sheet", help=SHEET_HELP)

    p = command("import-firms", cmd_import_firms,
                "导入亩均效益台账（Excel/CSV）到工作空间的企业表（原子写回）")
    p.add_argument("--ledger", type=Path, required=True,
                   help="台账文件 .xlsx 或 .csv（表头如 企业编号/统一社会信用代码、企业名称、地块编号、"
                        "营业收入（万元）、税收、综合能耗（吨标煤）、从业人数、研发投入）")
    p.add_argument("--replace", action="store_true",
                   help="以台账替换整个企业表（默认：按企业编号或名称更新，其余新增）")
    p.add_argument("--sheet", help=SHEET_HELP)
