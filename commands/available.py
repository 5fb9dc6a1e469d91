"""`available`: available land (可供地) by park and the contiguous blocks, now or by a date."""
from __future__ import annotations

from commands.common import date_arg, emit, load_ws, number_arg
from commands.table import format_table
from geo.supply import available_report
from geo.vocab import FIELD_LABELS, PLAN_LABELS, STOCK_ACTION_LABELS, STOCK_CLASS_LABELS, STOCK_LABELS, STOCK_WORDS


def cmd_available(args) -> int:
    ws = load_ws(args)
    import datetime as dt
    result = available_report(ws, zone=args.zone, industry=args.industry, by=args.by, min_mu=args.min_mu,
                              settings=args.settings, as_of=args.as_of or dt.date.today())
    table = format_table([z.to_dict() for z in result.zones],
                         [(k, FIELD_LABELS["zone_name" if k == "name" else k]) for k in (
        "zone_id", "name", "available_mu", "pipeline_mu", "largest_block_mu", "vacant_factory_m2")])
    when = f"截至 {args.by}（含届时完成平整/拆迁的地块）" if args.by else "当前"
    text = f"{when}可供地合计 {result.total_available_mu:,.1f} 亩，连片地块 {len(result.blocks)} 片\n{table}"
    if result.stock:
        rows = [{**s.to_dict(), "class": STOCK_CLASS_LABELS[s.stock_class], "action": STOCK_ACTION_LABELS[s.action]}
                for s in result.stock]
        text += (f"\n\n{STOCK_WORDS['stock_pipeline']}（截至 {args.by} 可完成处置）合计 "
                 f"{result.total_stock_pipeline_mu:,.1f} 亩：\n" + format_table(rows, [
                     ("parcel_id", FIELD_LABELS["parcel_id"]), ("zone_id", FIELD_LABELS["zone_id"]),
                     ("class", STOCK_LABELS["class"]), ("action", PLAN_LABELS["action"]),
                     ("area_mu", FIELD_LABELS["area_mu"]), ("ready_by", PLAN_LABELS["ready_by"])]))
    emit(args, result.to_dict(), text)
    return 0


def register(command) -> None:
    p = command("available", cmd_available, "查询可供地面积与连片地块")
    p.add_argument("--zone", help="园区编号")
    p.add_argument("--industry", help="产业，如 纺织鞋服")
    p.add_argument("--by", type=date_arg, help="截至日期 YYYY-MM-DD：计入届时完成平整/拆迁的地块")
    p.add_argument("--min-mu", type=number_arg, help="只计入不小于该面积（单位：亩）的连片地块")
    p.add_argument("--as-of", type=date_arg, help="存量土地分类和处置起算日期 YYYY-MM-DD（默认今天）：与 --by 一起，"
                   "列出届时可完成收回/置换/再开发的存量地块")
