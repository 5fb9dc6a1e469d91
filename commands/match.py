"""`match`: the optimal sites of every pending project; 有项目、无选址 with reasons and verified unlocks."""
from __future__ import annotations

from pathlib import Path

from commands.common import county_option, date_arg, emit, load_ws, number_arg, with_progress
from commands.table import format_table
from geo.county import MATCH_SUMS, match_county_rows
from geo.vocab import FIELD_LABELS, GAP_ZONE_LABELS


def cmd_match(args) -> int:
    import matching
    from formats.fileio import write_atomic
    from layers.export import sites_shapefile_zip
    ws = load_ws(args)
    scenario = matching.Scenario(as_of=args.as_of) if args.as_of else None
    result = with_progress(lambda progress: matching.match(ws, scenario, settings=args.settings,
                                                            time_limit=args.time_limit,
                                                            progress=progress))
    d = result.to_dict()
    status = ("最优" if d["status"] == "optimal" else "已达时间上限（选址或解锁措施未全部完成）"
              if d["status"] == "timeout" else f"可行解（距最优不超过 {d['gap']:.2%}）")
    unplaced = [dict(u, reason=matching.REASONS[u["reason"]]) for u in d["unplaced"]]
    text = (f"求解状态：{status}；落地项目 {d['objective']['placed_count']} 个，有项目、无选址 {len(unplaced)} 个\n\n"
            + format_table(d["zones"], [(k, GAP_ZONE_LABELS[k]) for k in (
                "name", "pending_count", "placed_count", "unplaced_count", "unplaced_mu", "unplaced_gap_mu",
                "available_left_mu", "pipeline_mu")])
            + ("\n\n未落地项目：\n" + format_table(unplaced, [(k, FIELD_LABELS[label]) for k, label in (
                ("project_id", "project_id"), ("name", "project_name"), ("need_mu", "land_mu"),
                ("reason", "reason"), ("gap_mu", "gap_mu"))])
               + "\n" + "\n".join(f"- {u['project_id']}：{u['detail']}" for u in d["unplaced"]) if unplaced else "")
            + ("\n\n解锁措施（已复核）：\n" + "\n".join(f"- {u['detail']}：{'、'.join(u['places'])}"
                                                   for u in d["unlocks"]) if d["unlocks"] else ""))
    counties = match_county_rows(d["zones"], ws.zones) if args.county is None else []
    if counties:            # a city or province workspace: the per-county table (新增键 counties)
        d["counties"] = counties
        text += f"\n\n{FIELD_LABELS['counties']}：\n" + format_table(
            counties, [("county_code", FIELD_LABELS["county_code"]), ("zone_count", FIELD_LABELS["zone_count"])]
            + [(k, GAP_ZONE_LABELS[k]) for k in MATCH_SUMS])
    if args.sites_out:
        write_atomic(args.sites_out, sites_shapefile_zip(result, ws, args.sites_out.stem))
        text += f"\n\n选址图层（Shapefile）已写入 {args.sites_out}"
        d["sites_out"] = str(args.sites_out)
    emit(args, d, text)
    return 0


def register(command) -> None:
    p = command("match", cmd_match, "为全部待落地项目求最优选址，列出“有项目、无选址”、原因与解锁措施")
    county_option(p)
    p.add_argument("--as-of", type=date_arg, help="情景日期 YYYY-MM-DD：届时完成平整/拆迁的地块和建成的厂房计入")
    p.add_argument("--time-limit", type=number_arg, help="求解时间上限（秒），默认见 config [matching] time_limit_s")
    p.add_argument("--sites-out", type=Path,
                   help="另将选址方案写为 Shapefile 压缩包（.zip，GBK 编码），供 ArcGIS/QGIS 打开")
