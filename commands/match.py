"""`match`: the optimal sites of every pending project; 有项目、无选址 with reasons and verified unlocks."""
from __future__ import annotations

from pathlib import Path

from commands.common import county_option, date_arg, emit, load_ws, number_arg, with_progress
from commands.table import format_table
from geo.county import MATCH_SUMS, match_county_rows
from geo.errors import InputError
from geo.vocab import FIELD_LABELS, GAP_ZONE_LABELS


def cmd_match(args) -> int:
    import matching
    from formats.fileio import write_atomic
    from layers.export import sites_shapefile_zip
    if args.jobs is not None:           # county by county, in parallel processes, merged (matching.merge)
        d, zones = _by_county(args)
        result = ws = None
    else:
        ws = load_ws(args)
        scenario = matching.Scenario(as_of=args.as_of) if args.as_of else None
        result = with_progress(lambda progress: matching.match(ws, scenario, settings=args.settings,
                                                                time_limit=args.time_limit,
                                                                progress=progress))
        d, zones = result.to_dict(), ws.zones
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
    counties = match_county_rows(d["zones"], zones) if args.county is None else []
    if counties:            # a city or province workspace: the per-county table (新增键 counties)
        d["counties"] = counties
        text += f"\n\n{FIELD_LABELS['counties']}：\n" + format_table(
            counties, [("county_code", FIELD_LABELS["county_code"]), ("zone_count", FIELD_LABELS["zone_count"])]
            + [(k, GAP_ZONE_LABELS[k]) for k in MATCH_SUMS])
    if args.sites_out and result is None:
        raise InputError("--sites-out 不能与 --jobs 同用：请整体匹配后导出选址图层")
    if args.sites_out:
        write_atomic(args.sites_out, sites_shapefile_zip(result, ws, args.sites_out.stem))
        text += f"\n\n选址图层（Shapefile）已写入 {args.sites_out}"
        d["sites_out"] = str(args.sites_out)
    emit(args, d, text)
    return 0


_WORKER: dict = {}
"""A worker process's settings (set by ``_worker_init`` when the pool forks it: Settings are not picklable)."""


def _worker_init(settings) -> None:
    _WORKER["settings"] = settings


def _county_match(job: tuple) -> dict:
    """One county's ``match --json`` in a worker process: its rows read alone (stores.gpkg_file), matched."""
    import matching
    from formats.dem import with_steep_land
    from stores.gpkg_file import load_workspace
    path, county, as_of, time_limit = job
    settings = _WORKER["settings"]
    ws = with_steep_land(load_workspace(path, settings, county), settings.terrain.max_slope_pct)
    scenario = matching.Scenario(as_of=as_of) if as_of else None
    return matching.match(ws, scenario, settings=settings, time_limit=time_limit).to_dict()


def _by_county(args) -> tuple[dict, object]:
    """The whole workspace's match as its counties' matches (``--jobs`` processes at once; 1: one after the
    other in this process), merged; and the zones table for the per-county rows."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from commands.common import workspace_file
    from geo.county import counties, split_problem
    from matching.merge import merge_county_results
    from stores.gpkg_file import county_tables
    path = workspace_file(args)
    zones, projects = county_tables(path)
    problem = split_problem(projects, zones)
    if problem:
        raise InputError(problem)
    codes = [args.county] if args.county is not None else counties(zones)
    jobs = [(path, c, args.as_of, args.time_limit) for c in codes]
    if args.jobs <= 1 or len(jobs) == 1:
        _worker_init(args.settings)
        results = [_county_match(job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=min(args.jobs, len(jobs)), mp_context=get_context("fork"),
                                 initializer=_worker_init, initargs=(args.settings,)) as pool:
            results = list(pool.map(_county_match, jobs))
    return merge_county_results(list(zip(codes, results))), zones


def register(command) -> None:
    p = command("match", cmd_match, "为全部待落地项目求最优选址，列出“有项目、无选址”、原因与解锁措施")
    county_option(p)
    p.add_argument("--as-of", type=date_arg, help="情景日期 YYYY-MM-DD：届时完成平整/拆迁的地块和建成的厂房计入")
    p.add_argument("--time-limit", type=number_arg, help="求解时间上限（秒），默认见 config [matching] time_limit_s")
    p.add_argument("--jobs", type=int, help="分县并行匹配的进程数（各县分别求解后合并；项目均须归属一县、不可跨县）")
    p.add_argument("--sites-out", type=Path,
                   help="另将选址方案写为 Shapefile 压缩包（.zip，GBK 编码），供 ArcGIS/QGIS 打开")
