"""`available`: available land (可供地) by park and the contiguous blocks, now or by a date."""
from __future__ import annotations

from commands.common import county_option, date_arg, emit, load_ws, number_arg
from commands.table import format_table
from geo.county import COUNTY_SUMS, county_rows
from geo.supply import available_report
from geo.vocab import FIELD_LABELS


def cmd_available(args) -> int:
    ws = load_ws(args)
    result = available_report(ws, zone=args.zone, industry=args.industry, by=args.by, min_mu=args.min_mu,
                              settings=args.settings)
    table = format_table([z.to_dict() for z in result.zones],
                         [(k, FIELD_LABELS["zone_name" if k == "name" else k]) for k in (
        "zone_id", "name", "available_mu", "pipeline_mu", "largest_block_mu", "vacant_factory_m2")])
    when = f"截至 {args.by}（含届时完成平整/拆迁的地块）" if args.by else "当前"
    d = result.to_dict()
    text = f"{when}可供地合计 {result.total_available_mu:,.1f} 亩，连片地块 {len(result.blocks)} 片\n{table}"
    counties = county_rows(d["zones"], ws.zones) if args.county is None else []
    if counties:            # a city or province workspace: the per-county table (新增键 counties)
        d["counties"] = counties
        text += f"\n\n{FIELD_LABELS['counties']}：\n" + format_table(counties, [(k, FIELD_LABELS[k]) for k in (
            "county_code", "zone_count", *COUNTY_SUMS[:3], "largest_block_mu")])
    emit(args, d, text)
    return 0


def register(command) -> None:
    p = command("available", cmd_available, "查询可供地面积与连片地块")
    county_option(p)
    p.add_argument("--zone", help="园区编号")
    p.add_argument("--industry", help="产业，如 纺织鞋服")
    p.add_argument("--by", type=date_arg, help="截至日期 YYYY-MM-DD：计入届时完成平整/拆迁的地块")
    p.add_argument("--min-mu", type=number_arg, help="只计入不小于该面积（单位：亩）的连片地块")
