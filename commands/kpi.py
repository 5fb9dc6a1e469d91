"""`kpi`: the bureau's own figures (招商考核) for the projects signed in [--from, --to], as of a date, and which
signed-but-not-started projects the match finds no site for."""
from __future__ import annotations

from commands.common import date_arg, emit, load_ws, with_progress
from commands.table import format_table
from geo.kpi import check_window
from geo.vocab import FIELD_LABELS as F, KPI_LABELS

_FIGURES = ("signed_count", "signed_yi", "prior_signed_count", "prior_signed_yi", "signed_count_yoy_pct",
            "signed_yi_yoy_pct", "big_signed_count", "big_start_rate_pct", "on_time_rate_pct", "production_rate_pct",
            "funds_rate_pct")


def kpi_text(d: dict, reasons: dict[str, str]) -> str:
    """The Chinese table of ``kpi --json``'s payload ``d``; ``reasons``: code → the match's Chinese reason."""
    lines = [f"{KPI_LABELS['title']}：{d['from']} 至 {d['to']} 签约项目，截至 {d['as_of']}"]
    lines.append(format_table([{"k": KPI_LABELS[k], "v": d[k]} for k in _FIGURES],
                              [("k", KPI_LABELS["indicator"]), ("v", KPI_LABELS["actual"])]))
    if d["targets"]:
        lines.append("\n目标任务：")
        lines.append(format_table(d["targets"], [(k, KPI_LABELS[k if k != "label" else "indicator"]) for k in (
            "label", "target", "actual", "completion_pct")]))
    rows = d["not_started"]
    unsited = [r for r in rows if not r["placed"]]
    lines.append(f"\n{KPI_LABELS['not_started']} {len(rows)} 个，其中无选址 {len(unsited)} 个")
    if rows:
        shown = [dict(r, placed=KPI_LABELS["placed_yes" if r["placed"] else "placed_no"],
                      reason=reasons.get(r["reason"], r["reason"])) for r in rows]
        lines.append(format_table(shown, [("project_id", F["project_id"]), ("name", F["project_name"]),
                                          ("investment_yi", F["investment_yi"]), ("placed", KPI_LABELS["placed"]),
                                          ("reason", F["reason"])]))
    return "\n".join(lines)


def cmd_kpi(args) -> int:
    import matching
    from briefing.kpi_text import kpi_from_match
    check_window(args.start, args.end)           # before the match, which takes its time
    ws = load_ws(args)
    result = with_progress(lambda progress: matching.match(ws, settings=args.settings, unlocks=False,
                                                            progress=progress))
    report = kpi_from_match(ws.projects, result, args.start, args.end, settings=args.settings.kpi,
                            as_of=args.as_of, event=args.event)
    d = report.to_dict()
    emit(args, d, kpi_text(d, matching.REASONS))
    return 0


def register(command) -> None:
    p = command("kpi", cmd_kpi, "招商考核：统计期内签约项目的签约、开工率、履约率、投产率、资金到位率，"
                "及签约未开工项目有无选址")
    p.add_argument("--from", dest="start", type=date_arg, required=True, help="统计期起（签约日期）YYYY-MM-DD")
    p.add_argument("--to", dest="end", type=date_arg, required=True, help="统计期止（签约日期）YYYY-MM-DD")
    p.add_argument("--as-of", type=date_arg, help="截至日期（默认：统计期止）")
    p.add_argument("--event", help="只统计某一签约平台/活动（如 西博会）")
