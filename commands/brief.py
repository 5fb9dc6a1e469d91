"""`brief`: the county's land-gap briefing (公文, Word and optionally PDF)."""
from __future__ import annotations

from pathlib import Path

from commands.common import county_option, date_arg, emit, load_ws, number_arg
from geo.errors import InputError
from geo.units import fmt_mu
from geo.workspace import Workspace


def cmd_brief(args) -> int:
    import briefing
    import matching
    from commands.team import briefing_since
    from geo.cache import DerivedCache
    for path, suffix in ((args.out, ".docx"), (args.pdf, ".pdf")):
        if path is not None and path.suffix.lower() != suffix:
            raise InputError(f"输出文件 {path} 的扩展名应为 {suffix}")
    ws = load_ws(args)
    cache = DerivedCache()      # this command's: match, the plan and the facts share the net land and blocks
    result = matching.match(ws, matching.Scenario(as_of=args.as_of) if args.as_of else None,
                            settings=args.settings, cache=cache)
    since = briefing_since(args, ws, result)      # 附: what changed since the last snapshot (--snapshot: take one)
    brief = briefing.build(ws, result, args.settings, as_of=args.as_of, plan=briefing_plan_of(args, ws, cache),
                           since=since, cache=cache)
    docx = brief.to_docx(args.out)
    pdf = brief.to_pdf(args.pdf, docx_path=docx) if args.pdf else None
    t = brief.totals
    payload = {"docx": str(docx), "pdf": str(pdf) if pdf else None, "title": brief.title, "totals": t}
    from geo.county import match_county_rows
    counties = match_county_rows(result.to_dict()["zones"], ws.zones) if args.county is None else []
    if counties:            # a city workspace: the per-county table the briefing's 表7 shows (新增键 counties)
        payload["counties"] = counties
    emit(args, payload, f"已生成简报《{brief.title}》：{docx}" + (f"、{pdf}" if pdf else "") +
          f"\n待落地项目 {t['pending_count']:.0f} 个，可落实选址 {t['placed_count']:.0f} 个；有项目、无选址 "
          f"{t['unplaced_count']:.0f} 个，用地缺口 {fmt_mu(t['unplaced_gap_mu'])} 亩")
    return 0


def briefing_plan_of(args, ws: Workspace, cache=None):
    """The 用地保障方案 the briefing's advice is built from: at ``--budget-wan``, else ``[briefing]
    plan_budget_wan`` (negative: no limit); None when ``[briefing] plan`` is off and no budget is given."""
    from briefing import briefing_plan
    cfg = args.settings.briefing
    if args.budget_wan is None and not cfg.plan:
        return None
    if args.budget_wan is not None and args.budget_wan < 0:
        raise InputError(f"预算必须是非负数（现为 {args.budget_wan:g} 万元）")
    budget = args.budget_wan if args.budget_wan is not None else cfg.plan_budget_wan
    return briefing_plan(ws, args.settings, budget, as_of=args.as_of, cache=cache)


def register(command) -> None:
    p = command("brief", cmd_brief, "生成工业用地保障和“有项目、无选址”情况报告（Word，可选 PDF）")
    p.add_argument("--out", type=Path, required=True, help="输出 Word 文件（.docx）")
    p.add_argument("--pdf", type=Path, help="同时输出 PDF（需 LibreOffice）")
    county_option(p)
    p.add_argument("--as-of", type=date_arg, help="截至日期 YYYY-MM-DD：计入届时完成平整/拆迁的地块，并作报告日期")
    p.add_argument("--budget-wan", type=number_arg,
                   help="“意见建议”所依据的用地保障方案预算（万元）；默认见 config [briefing]")
