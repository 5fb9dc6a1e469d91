"""The team store's commands for cli.py (thin): ``history`` (the audit trail) and ``migrate`` (GeoPackage → PostGIS),
and --user / a postgresql:// --workspace on the commands that write."""
from __future__ import annotations

from commands.common import date_arg, emit, safe_url, store_target, target_arg
from commands.table import format_table
from geo.vocab import FIELD_LABELS


def cmd_history(args) -> int:
    from stores import open_store
    from stores.base import ACTION_LABELS, LAYER_LABELS
    with open_store(store_target(args), args.settings) as store:
        entries = store.history(since=args.since, id=args.id)
    changes = [e.to_dict() for e in entries]
    rows = [{"at": e.at, "by": e.by, "layer": LAYER_LABELS.get(e.layer, e.layer), "id": e.id,
             "action": ACTION_LABELS.get(e.action, e.action),
             "fields": "、".join(FIELD_LABELS.get(k, k) for k in sorted(set(e.before or {}) | set(e.after or {}))
                                if (e.before or {}).get(k) != (e.after or {}).get(k)) if e.action == "update" else ""}
            for e in entries]
    table = format_table(rows, [("at", "时间（UTC）"), ("by", "用户"), ("layer", "图层"), ("id", "编号"),
                                ("action", "操作"), ("fields", "改动字段")]) if rows else "没有修改记录。"
    emit(args, {"changes": changes}, f"修改记录 {len(changes)} 条\n{table}")
    return 0


def cmd_migrate(args) -> int:
    from stores import open_store
    from stores.migrate import migrate
    with open_store(args.source, args.settings) as src, open_store(args.dest, args.settings) as dst:
        result = migrate(src, dst)
    payload = {"from": str(args.source), "to": safe_url(args.dest), **result}
    lines = [f"- {x['layer']}：{x['rows']} 行，{len(x['fields'])} 个字段，"
             f"逐行比对{'一致' if x['identical'] else '不一致'}"
             for x in result["layers"]]
    emit(args, payload, f"已迁移 {args.source} → {safe_url(args.dest)}；迁移后逐层、逐字段、逐行比对：全部一致，"
          f"未丢失任何数据\n" + "\n".join(lines) + f"\n- 修改记录（audit）：{result['audit_rows']} 条，一致")
    return 0


def register(command, sub) -> None:
    """The store's commands (history, migrate) and, on the commands that write, --user and a --workspace that
    also takes a postgresql:// URL."""
    for name in ("import-projects", "import-parcels", "import-firms", "import-layer", "import-parcel-layer"):
        p = sub.choices[name]
        for action in p._actions:
            if action.dest == "workspace":
                action.type = target_arg
                action.help = "工作空间 GeoPackage 或 postgresql:// 数据库（默认：$LANDGAP_DATABASE_URL，否则示例县）"
        p.add_argument("--user", help="记入修改记录的用户名（默认：操作系统用户）")

    p = command("history", cmd_history, "修改记录：谁、何时、改了哪一行（新增/修改/删除前后的值）", workspace=False)
    p.add_argument("--workspace", type=target_arg, help="工作空间 GeoPackage 或 postgresql:// 数据库")
    p.add_argument("--since", type=date_arg, help="只列出该日期（YYYY-MM-DD，UTC）起的修改")
    p.add_argument("--id", help="只列出该编号（项目、地块、园区、厂房、企业）的修改")

    p = command("migrate", cmd_migrate, "把工作空间迁移到 PostgreSQL/PostGIS（逐层、逐字段、逐行比对，不丢数据）",
                workspace=False)
    p.add_argument("--from", dest="source", type=target_arg, required=True, help="源工作空间 .gpkg")
    p.add_argument("--to", dest="dest", type=target_arg, required=True, help="目标数据库 postgresql://…（须为空库）")
