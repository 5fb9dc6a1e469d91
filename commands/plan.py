"""`plan`: the least-cost 用地保障方案 (demolition, leveling, standard factories, and the stock actions — reclaim,
negotiate, redevelop of stock land classified at --as-of, default today) within a budget, verified."""
from __future__ import annotations

import sys

from commands.common import date_arg, emit, load_ws, number_arg
from commands.table import format_table
from geo.errors import InputError
from geo.vocab import PLAN_LABELS, STOCK_ACTION_LABELS


def cmd_plan(args) -> int:
    from formats.dem import workspace_dem
    from layers.tables import FRONTIER_COLUMNS, PLAN_COLUMNS, plan_rows
    from matching.plan import plan
    ws = load_ws(args)
    must = [p.strip() for p in args.must.split(",") if p.strip()] if args.must else None
    if args.budget_wan is not None and args.budget_wan < 0:
        raise InputError(f"预算必须是非负数（现为 {args.budget_wan:g} 万元）")
    result = plan(ws, settings=args.settings, budget_wan=args.budget_wan, must=must, as_of=args.as_of,
                  frontier=args.frontier, dem=workspace_dem(ws))
    d = result.to_dict()
    if result.verification is not None and not result.verification.exact:
        v = result.verification
        print(f"警告：按方案重新匹配的结果与方案不一致（方案有而匹配无：{'、'.join(v.claimed_only) or '无'}；"
              f"匹配有而方案无：{'、'.join(v.match_only) or '无'}）", file=sys.stderr)
    rows = plan_rows(ws, result)
    for row, a in zip(rows, result.actions):
        if a.action in STOCK_ACTION_LABELS:           # 无偿收回 / 协议收回/置换 / 低效用地再开发
            row["action"] = STOCK_ACTION_LABELS[a.action]
    status = "最优" if d["status"] == "optimal" else f"可行解（距最优不超过 {d['gap']:.2%}）"
    budget = "不限" if d["budget_wan"] is None else f"{d['budget_wan']:,.2f} 万元"
    text = (f"{PLAN_LABELS['title']}（求解状态：{status}；预算 {budget}；估算费用 {d['cost_wan']:,.2f} 万元）\n"
            f"{PLAN_LABELS['placed_count']} {d['placed_count']} 个，{PLAN_LABELS['placed_investment_yi']} "
            f"{d['placed_investment_yi']:,.2f}，{PLAN_LABELS['placed_added']}："
            f"{'、'.join(d['placed_added']) or '无'}\n\n"
            + (format_table(rows, [(k, PLAN_LABELS[k]) for k in PLAN_COLUMNS]) if rows else "无需新增措施"))
    if d.get("must_failed"):
        text += f"\n\n{PLAN_LABELS['must_failed']}：\n" + "\n".join(
            f"- {f['project_id']}（{f['reason']}）：{f['detail']}" for f in d["must_failed"])
    if "frontier" in d:
        text += f"\n\n{PLAN_LABELS['frontier']}：\n" + format_table(
            [dict(p, actions=len(p["actions"])) for p in d["frontier"]],
            [(k, PLAN_LABELS[k]) for k in FRONTIER_COLUMNS] + [("actions", PLAN_LABELS["action"])])
    emit(args, d, text)
    return 0


def register(command) -> None:
    p = command("plan", cmd_plan, "用地保障方案：在预算内选出拆迁、平整、标准厂房建设和存量盘活"
                "（收回、置换、再开发）措施，使落地项目最多（已复核）")
    p.add_argument("--budget-wan", type=number_arg, help="预算（万元）；不给则不限")
    p.add_argument("--must", help="必须保障的项目编号，逗号分隔：求保障它们的最省方案")
    p.add_argument("--as-of", type=date_arg, help="情景日期 YYYY-MM-DD：届时完成平整/拆迁的地块计入，也是措施的起算日和"
                   "存量土地分类的日期（默认今天）")
    p.add_argument("--frontier", action="store_true", help="另列出从 0 到全部措施费用的每个预算拐点")
