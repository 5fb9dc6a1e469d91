"""`python cli.py terrain`: slope, elevation and leveling earthwork of parcels from the workspace's DEM.

JSON ``{"parcels": [...]}``, one row per parcel with exactly ``geo.parcel_terrain.TERRAIN_COLUMNS`` (None where the
DEM has no data); ``net_mu`` is the parcel's net usable land (geo.netland).
"""
from __future__ import annotations

from commands.common import emit, load_ws, number_arg
from commands.table import format_table
from geo.errors import InputError
from geo.vocab import TERRAIN_LABELS
from geo.workspace import Workspace


def terrain_result(ws: Workspace, settings, parcel_ids: list[str] | None = None, design_elevation: float | None = None,
                   terrace_step_m: float | None = None) -> dict:
    """The terrain figures of ``parcel_ids`` (default: every parcel) as the CLI's JSON."""
    from formats.dem import DEM_SUFFIX, read_dem_for
    from geo.netland import offered_mu, workspace_net
    from geo.parcel_terrain import parcel_terrain
    if ws.dem_path is None:
        stem = ws.path.stem if ws.path is not None else "工作空间"
        raise InputError(f"工作空间没有高程数据（DEM）：请把高程栅格（GeoTIFF）放在工作空间文件旁边，"
                         f"命名为 {stem}{DEM_SUFFIX}")
    parcels = ws.metric("parcels")
    if parcel_ids:
        missing = [p for p in parcel_ids if p not in parcels.index]
        if missing:
            raise InputError(f"地块编号不存在：{'、'.join(missing)}")
        parcels = parcels.loc[list(dict.fromkeys(parcel_ids))]
    if design_elevation is not None and terrace_step_m is not None:
        raise InputError("--design-elevation 与 --terrace-step 不能同时使用")
    if terrace_step_m is not None and terrace_step_m < 0:
        raise InputError(f"台阶高度 --terrace-step 不能为负（现为 {terrace_step_m}）")
    grid = read_dem_for(ws.dem_path, parcels)
    net = offered_mu(parcels, workspace_net(ws, settings))
    result = parcel_terrain(grid, parcels, settings.terrain, design_elevation=design_elevation,
                            terrace_step_m=terrace_step_m, net_mu=net)
    return {"parcels": result.records()}


def terrain_text(result: dict) -> str:
    rows = result["parcels"]
    return (f"{len(rows)} 个地块的坡度与土方（设计标高默认取挖填平衡）\n"
            + format_table(rows, list(TERRAIN_LABELS.items())))


def cmd_terrain(args) -> int:
    result = terrain_result(load_ws(args), args.settings, args.parcel, args.design_elevation, args.terrace_step)
    emit(args, result, terrain_text(result))
    return 0


def register(command) -> None:
    p = command("terrain", cmd_terrain, "地块坡度、高程与土地平整土方量和费用（来自工作空间旁的 DEM）")
    p.add_argument("--parcel", action="append", help="地块编号（可重复；默认全部地块）")
    level = p.add_mutually_exclusive_group()
    level.add_argument("--design-elevation", type=number_arg, help="设计标高（米）；默认取挖填平衡的标高")
    level.add_argument("--terrace-step", type=number_arg, help="台阶式平整的台阶高度（米）；0 = 一个平台")
