"""`validate`: every problem of a workspace, by layer, row and field (exit 1 on an error)."""
from __future__ import annotations

from commands.common import emit
from commands.table import format_table
from geo.report import LEVEL_LABELS
from seeds.sample import default_workspace_path
from stores.gpkg_file import read_workspace


def cmd_validate(args) -> int:
    ws, report = read_workspace(args.workspace or default_workspace_path(args.settings.runtime), args.settings)
    rows = [{"level": LEVEL_LABELS[i.level], "layer": i.layer, "row": i.row, "field": i.field, "message": i.message}
            for i in report.issues]
    table = format_table(rows, [("level", "级别"), ("layer", "图层"), ("row", "fid"), ("field", "字段"),
                                ("message", "说明")]) if rows else "未发现问题。"
    emit(args, report.to_dict(), f"校验 {report.source}：{report.summary()}\n{table}")
    return 0 if report.ok else 1


def register(command) -> None:
    command("validate", cmd_validate, "校验工作空间，列出全部问题（有错误时退出码为 1）")
