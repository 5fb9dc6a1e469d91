"""`seed`: a fictitious county (GeoPackage and DEM) for trying LandGap and for benchmarks."""
from __future__ import annotations

from pathlib import Path

from commands.common import emit


def cmd_seed(args) -> int:
    from seeds.generator import write_county
    ws = write_county(args.out, parcels=args.parcels, projects=args.projects, seed=args.seed)
    payload = {"out": str(args.out), "zones": len(ws.zones), "parcels": len(ws.parcels),
               "factories": len(ws.factories), "projects": len(ws.projects), "firms": len(ws.firms),
               "crs": ws.crs.to_string()}
    emit(args, payload, f"已生成示例县（虚构数据）：{args.out}\n园区 {len(ws.zones)} 个，地块 {len(ws.parcels)} 块，"
          f"标准厂房 {len(ws.factories)} 栋，招商项目 {len(ws.projects)} 个，"
          f"企业 {len(ws.firms)} 家，坐标系 {ws.crs.to_string()}")
    return 0


def register(command) -> None:
    p = command("seed", cmd_seed, "生成示例县（虚构数据）", workspace=False)
    p.add_argument("--out", type=Path, required=True, help="输出 .gpkg 路径（DEM 写在旁边）")
    p.add_argument("--parcels", type=int, help="地块数（用于性能测试扩容）")
    p.add_argument("--projects", type=int, help="招商项目数")
    p.add_argument("--seed", type=int, default=0, help="随机种子（相同种子 → 相同数据）")
