#!/usr/bin/env python3
"""LandGap command line: ``python cli.py COMMAND [options]``; every command has ``--json``.

Without ``--workspace`` a command uses $LANDGAP_WORKSPACE, else the built-in sample county.
Bad input exits with code 1 and a Chinese message on stderr.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cli_format import format_table
from geo.errors import InputError, LandGapError
from geo.parse import parse_date
from geo.vocab import FIELD_LABELS, GAP_ZONE_LABELS


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's default exits 2 in English
        self.print_usage(sys.stderr)
        print(f"参数错误：{message}", file=sys.stderr)
        sys.exit(1)


def _date(text: str):
    try:
        return parse_date(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是数值") from None


def _workspace(args):
    from geo.workspace import load_workspace
    from seeds.sample import default_workspace_path
    return load_workspace(args.workspace or default_workspace_path())


def _emit(args, payload: dict, text: str) -> None:
    print(json.dumps(payload, ensure_ascii=False, indent=2, default=str) if args.json else text)


def _with_progress(run):
    """``run(progress)`` with a progress line on stderr for long solves when a person is watching (stderr a
    terminal), cleared when done; pipes and --json output stay clean."""
    if not sys.stderr.isatty():
        return run(None)

    def report(fraction: float, message: str) -> None:
        print(f"\r[{fraction:4.0%}] {message}\033[K", end="", file=sys.stderr, flush=True)
    try:
        return run(report)
    finally:
        print("\r\033[K", end="", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------ commands

def cmd_seed(args) -> int:
    from seeds.generator import write_county
    ws = write_county(args.out, parcels=args.parcels, projects=args.projects, seed=args.seed)
    payload = {"out": str(args.out), "zones": len(ws.zones), "parcels": len(ws.parcels),
               "factories": len(ws.factories), "projects": len(ws.projects), "crs": ws.crs.to_string()}
    _emit(args, payload, f"已生成示例县（虚构数据）：{args.out}\n园区 {len(ws.zones)} 个，地块 {len(ws.parcels)} 块，"
          f"标准厂房 {len(ws.factories)} 栋，招商项目 {len(ws.projects)} 个，坐标系 {ws.crs.to_string()}")
    return 0


def cmd_validate(args) -> int:
    from geo.workspace import read_workspace
    from seeds.sample import default_workspace_path
    ws, report = read_workspace(args.workspace or default_workspace_path())
    from geo.report import LEVEL_LABELS
    rows = [{"level": LEVEL_LABELS[i.level], "layer": i.layer, "row": i.row, "field": i.field, "message": i.message}
            for i in report.issues]
    table = format_table(rows, [("level", "级别"), ("layer", "图层"), ("row", "fid"), ("field", "字段"),
                                ("message", "说明")]) if rows else "未发现问题。"
    _emit(args, report.to_dict(), f"校验 {report.source}：{report.summary()}\n{table}")
    return 0 if report.ok else 1


def cmd_available(args) -> int:
    from geo.supply import available_report
    ws = _workspace(args)
    result = available_report(ws, zone=args.zone, industry=args.industry, by=args.by, min_mu=args.min_mu,
                              settings=args.settings)
    table = format_table(result["zones"], [(k, FIELD_LABELS["zone_name" if k == "name" else k]) for k in (
        "zone_id", "name", "available_mu", "pipeline_mu", "largest_block_mu", "vacant_factory_m2")])
    when = f"截至 {args.by}（含届时完成平整/拆迁的地块）" if args.by else "当前"
    _emit(args, result, f"{when}可供地合计 {result['total_available_mu']:,.1f} 亩，连片地块 {len(result['blocks'])} 片\n{table}")
    return 0


def cmd_brief(args) -> int:
    import briefing
    import matching
    from geo.units import fmt_mu
    for path, suffix in ((args.out, ".docx"), (args.pdf, ".pdf")):
        if path is not None and path.suffix.lower() != suffix:
            raise InputError(f"输出文件 {path} 的扩展名应为 {suffix}")
    ws = _workspace(args)
    result = matching.match(ws, matching.Scenario(as_of=args.as_of) if args.as_of else None,
                            settings=args.settings)
    from cli_team import briefing_since
    since = briefing_since(args, ws, result)      # 附: what changed since the last snapshot (--snapshot: take one)
    brief = briefing.build(ws, result, args.settings, as_of=args.as_of, plan=_briefing_plan(args, ws), since=since)
    docx = brief.to_docx(args.out)
    pdf = brief.to_pdf(args.pdf, docx_path=docx) if args.pdf else None
    t = brief.totals
    payload = {"docx": str(docx), "pdf": str(pdf) if pdf else None, "title": brief.title, "totals": t}
    _emit(args, payload, f"已生成简报《{brief.title}》：{docx}" + (f"、{pdf}" if pdf else "") +
          f"\n待落地项目 {t['pending_count']:.0f} 个，可落实选址 {t['placed_count']:.0f} 个；有项目、无选址 "
          f"{t['unplaced_count']:.0f} 个，用地缺口 {fmt_mu(t['unplaced_gap_mu'])} 亩")
    return 0


def _briefing_plan(args, ws):
    """The 用地保障方案 the briefing's advice is built from: at ``--budget-wan``, else ``[briefing]
    plan_budget_wan`` (negative: no limit); None when ``[briefing] plan`` is off and no budget is given."""
    from briefing import briefing_plan
    cfg = args.settings.briefing
    if args.budget_wan is None and not cfg.plan:
        return None
    if args.budget_wan is not None and args.budget_wan < 0:
        raise InputError(f"预算必须是非负数（现为 {args.budget_wan:g} 万元）")
    budget = args.budget_wan if args.budget_wan is not None else cfg.plan_budget_wan
    return briefing_plan(ws, args.settings, budget, as_of=args.as_of)


def _import_into_workspace(args, apply, source: Path | None = None, row_label: str = "台账行号") -> int:
    """Apply a ledger (or ``source``, a layer file) with ``apply``(workspace, path) → (workspace, counts, report);
    write back through the store: only the rows that change, in one transaction, each checked against the version
    read (a concurrent change → ConflictError, nothing written). Errors are listed by ``row_label`` (the ledger's
    Excel row, a Shapefile's FID)."""
    source = source or args.ledger
    from geo.errors import ValidationError
    from geo.ledger import import_summary
    from geo.store import open_store
    from geo.store.common import save_with_retry
    path = _store_target(args)
    with open_store(path) as store:
        ws = store.load()
        try:
            new, (counts, report), _ = save_with_retry(store, ws, lambda w: apply(w, source), _user(args))
        except ValidationError as exc:
            rows = [{"row": i.row, "field": FIELD_LABELS.get(i.field, i.field or ""), "message": i.message}
                    for i in exc.report.errors]
            _emit(args, {"imported": False, **exc.report.to_dict()},
                  f"{exc}\n" + format_table(rows, [("row", row_label), ("field", "字段"), ("message", "说明")]))
            return 1
    notes = [i.message for i in report.issues]
    path = _safe_url(path)                      # a database URL without its password
    _emit(args, {"imported": True, "workspace": str(path), **counts, "projects": len(new.projects),
                 "parcels": len(new.parcels), "notes": notes},
          f"已导入 {source.name} 到 {path}：{import_summary(counts, new)}" + "".join(f"\n提示：{n}" for n in notes))
    return 0


def cmd_import_projects(args) -> int:
    from geo.ledger import import_ledger
    return _import_into_workspace(args, lambda ws, f: import_ledger(ws, f, replace=args.replace))


def cmd_import_parcels(args) -> int:
    from geo.ledger import import_parcel_ledger
    return _import_into_workspace(args, import_parcel_ledger)


def cmd_import_layer(args) -> int:
    from geo.formats.cli_import import cmd_import_layer as run
    return run(args)


def cmd_export_layer(args) -> int:
    from geo.formats.cli_import import cmd_export_layer as run
    return run(args)


def cmd_fit(args) -> int:
    import matching
    ws = _workspace(args)
    prospect = matching.Prospect(industry=args.industry, need_mu=args.need_mu, floor_m2=args.floor_m2,
                                 zone_id=args.zone, by=args.by, investment_yi=args.investment_yi)
    result = _with_progress(lambda progress: matching.fit(prospect, ws, settings=args.settings,
                                                          all_free_land=args.all_free_land,
                                                          progress=progress))
    d = result.to_dict()
    if result.fits:
        rows = [dict(c, parcel_ids=c["parcel_ids"] or c["factory_id"]) for c in d["candidates"]]
        text = (f"可以安排：共 {d['candidate_count']} 处候选（列出前 {len(rows)} 处）\n" + format_table(
            rows, [(k, FIELD_LABELS[label]) for k, label in (
                ("zone_id", "zone_name"), ("parcel_ids", "unlock_target"), ("area_mu", "site_mu"),
                ("surplus_mu", "surplus_mu"), ("ready_date", "site_ready_date"))]))
    else:
        text = f"无法安排（{matching.REASONS[d['reason']]}）：{d['detail']}"
        if d["unlocks"]:
            text += "\n解锁措施（已复核）：\n" + "\n".join(f"- {u['detail']}" for u in d["unlocks"])
    _emit(args, d, text)
    return 0


def cmd_match(args) -> int:
    import matching
    ws = _workspace(args)
    scenario = matching.Scenario(as_of=args.as_of) if args.as_of else None
    result = _with_progress(lambda progress: matching.match(ws, scenario, settings=args.settings,
                                                            time_limit=args.time_limit,
                                                            progress=progress))
    d = result.to_dict()
    status = "最优" if d["status"] == "optimal" else f"可行解（距最优不超过 {d['gap']:.2%}）"
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
    if args.sites_out:
        from geo.workspace import write_atomic
        from layers.export import sites_shapefile_zip
        write_atomic(args.sites_out, sites_shapefile_zip(result, ws, args.sites_out.stem))
        text += f"\n\n选址图层（Shapefile）已写入 {args.sites_out}"
        d["sites_out"] = str(args.sites_out)
    _emit(args, d, text)
    return 0


def cmd_plan(args) -> int:
    from geo.vocab import PLAN_LABELS
    from matching.plan import plan
    ws = _workspace(args)
    must = [p.strip() for p in args.must.split(",") if p.strip()] if args.must else None
    if args.budget_wan is not None and args.budget_wan < 0:
        raise InputError(f"预算必须是非负数（现为 {args.budget_wan:g} 万元）")
    from geo.dem import workspace_dem
    result = plan(ws, settings=args.settings, budget_wan=args.budget_wan, must=must, as_of=args.as_of,
                  frontier=args.frontier, dem=workspace_dem(ws))
    d = result.to_dict()
    if result.verification is not None and not result.verification.exact:
        v = result.verification
        print(f"警告：按方案重新匹配的结果与方案不一致（方案有而匹配无：{'、'.join(v.claimed_only) or '无'}；"
              f"匹配有而方案无：{'、'.join(v.match_only) or '无'}）", file=sys.stderr)
    from layers.tables import FRONTIER_COLUMNS, PLAN_COLUMNS, plan_rows
    rows = plan_rows(ws, result)
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
    _emit(args, d, text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="cli.py", description="LandGap 工业用地保障与“有项目、无选址”分析")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    def command(name: str, func, help_text: str, workspace: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        p.add_argument("--json", action="store_true", help="输出 JSON")
        if workspace:
            p.add_argument("--workspace", type=Path, help="工作空间 GeoPackage（默认：示例县）")
        return p

    p = command("seed", cmd_seed, "生成示例县（虚构数据）", workspace=False)
    p.add_argument("--out", type=Path, required=True, help="输出 .gpkg 路径（DEM 写在旁边）")
    p.add_argument("--parcels", type=int, help="地块数（用于性能测试扩容）")
    p.add_argument("--projects", type=int, help="招商项目数")
    p.add_argument("--seed", type=int, default=0, help="随机种子（相同种子 → 相同数据）")

    command("validate", cmd_validate, "校验工作空间，列出全部问题（有错误时退出码为 1）")

    p = command("available", cmd_available, "查询可供地面积与连片地块")
    p.add_argument("--zone", help="园区编号")
    p.add_argument("--industry", help="产业，如 纺织鞋服")
    p.add_argument("--by", type=_date, help="截至日期 YYYY-MM-DD：计入届时完成平整/拆迁的地块")
    p.add_argument("--min-mu", type=_number, help="只计入不小于该面积（单位：亩）的连片地块")

    p = command("import-projects", cmd_import_projects, "导入招商项目台账（Excel/CSV）到工作空间的项目表（原子写回）")
    p.add_argument("--ledger", type=Path, required=True, help="台账文件 .xlsx 或 .csv（表头如 项目名称、产业、阶段、需用地，单位写在表头括号里）")
    p.add_argument("--replace", action="store_true", help="以台账替换整个项目表（默认：按编号或名称更新，其余新增）")

    p = command("import-parcels", cmd_import_parcels, "按土地台账（Excel/CSV）更新地块的状态、可供日期、用地类型和台账面积（原子写回）")
    p.add_argument("--ledger", type=Path, required=True, help="台账文件 .xlsx 或 .csv（表头如 地块编号/宗地号、供地状态、预计可供时间）")

    from geo.formats.cli_import import add_export_arguments, add_import_arguments
    p = command("import-layer", cmd_import_layer, "导入任意格式的图层文件（坐标文件、Shapefile、GeoPackage、FileGDB、"
                "GeoJSON、KML/奥维、DXF、CSV）到任一图层；逐个要素报告，有错误则不写入（原子写回）")
    add_import_arguments(p)
    p = command("import-parcel-layer", cmd_import_layer, "import-layer --into parcels 的别名（--layer 即 --file）")
    add_import_arguments(p, alias=True)
    p = command("export-layer", cmd_export_layer, "导出地块/园区/厂房为坐标文件（报批）、奥维 KML 或 GeoJSON")
    add_export_arguments(p)

    p = command("fit", cmd_fit, "检查一个意向项目能否落地：候选选址，或原因、缺口与解锁措施")
    p.add_argument("--industry", required=True, help="产业，如 纺织鞋服")
    need = p.add_mutually_exclusive_group(required=True)
    need.add_argument("--need-mu", type=_number, help=FIELD_LABELS["land_mu"])
    need.add_argument("--floor-m2", type=_number, help=FIELD_LABELS["floor_m2"])
    p.add_argument("--zone", help="只在该园区内查找（园区编号）")
    p.add_argument("--by", type=_date, help="需用地时间 YYYY-MM-DD：计入届时完成平整/拆迁的地块")
    p.add_argument("--investment-yi", type=_number, help=FIELD_LABELS["investment_yi"])
    p.add_argument("--all-free-land", action="store_true", help="与全部空闲土地比较（默认扣除已签约/已开工项目的选址）")

    p = command("match", cmd_match, "为全部待落地项目求最优选址，列出“有项目、无选址”、原因与解锁措施")
    p.add_argument("--as-of", type=_date, help="情景日期 YYYY-MM-DD：届时完成平整/拆迁的地块和建成的厂房计入")
    p.add_argument("--time-limit", type=_number, help="求解时间上限（秒），默认见 config [matching] time_limit_s")
    p.add_argument("--sites-out", type=Path, help="另将选址方案写为 Shapefile 压缩包（.zip，GBK 编码），供 ArcGIS/QGIS 打开")

    p = command("brief", cmd_brief, "生成工业用地保障和“有项目、无选址”情况报告（Word，可选 PDF）")
    p.add_argument("--out", type=Path, required=True, help="输出 Word 文件（.docx）")
    p.add_argument("--pdf", type=Path, help="同时输出 PDF（需 LibreOffice）")
    p.add_argument("--as-of", type=_date, help="截至日期 YYYY-MM-DD：计入届时完成平整/拆迁的地块，并作报告日期")
    p.add_argument("--budget-wan", type=_number, help="“意见建议”所依据的用地保障方案预算（万元）；默认见 config [briefing]")

    p = command("plan", cmd_plan, "用地保障方案：在预算内选出拆迁、平整、标准厂房建设措施，使落地项目最多（已复核）")
    p.add_argument("--budget-wan", type=_number, help="预算（万元）；不给则不限")
    p.add_argument("--must", help="必须保障的项目编号，逗号分隔：求保障它们的最省方案")
    p.add_argument("--as-of", type=_date, help="情景日期 YYYY-MM-DD：届时完成平整/拆迁的地块计入，也是措施的起算日")
    p.add_argument("--frontier", action="store_true", help="另列出从 0 到全部措施费用的每个预算拐点")
    from cli_terrain import add_terrain_command
    add_terrain_command(command, _workspace, _emit, _number)
    from cli_store import add_store_commands
    add_store_commands(sub, command)
    from cli_team import add_team_commands
    add_team_commands(sub, command)
    return parser


# ------------------------------------------------------------------------------------- store commands

def _store_target(args):
    """--workspace (a .gpkg path or postgresql:// URL), else $LANDGAP_DATABASE_URL, else the default workspace."""
    import os
    from seeds.sample import default_workspace_path
    from geo.store import DATABASE_ENV
    return args.workspace or os.environ.get(DATABASE_ENV) or default_workspace_path()


def _target_arg(text: str):
    from geo.store import is_database_url
    return text if is_database_url(text) else Path(text)


def _user(args) -> str:
    if getattr(args, "user", None):
        return args.user
    import getpass
    try:
        return getpass.getuser()
    except Exception:          # no login name (container, service)
        return "unknown"


def _safe_url(target):
    """A postgresql:// URL without its password; a path as it is."""
    from geo.store import is_database_url
    if not is_database_url(str(target)):
        return target
    import re
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", str(target))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        from geo.settings import load_settings
        args.settings = load_settings()          # the configuration, once, passed down
        return args.func(args)
    except LandGapError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
