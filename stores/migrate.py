"""Move a workspace from one store to another (GeoPackage → PostGIS), losing nothing, and prove it.

``migrate(src, dst)`` copies every layer as stored — all columns (schema fields, extra fields, bookkeeping),
every row with its fid, the geometry and the layer's CRS — and the audit trail, in one transaction on the
target, then reads both back and compares layer by layer: columns (names and kinds), row count, and every row's
values and geometry (exact). ``compare`` is usable on its own.
"""
from __future__ import annotations

import math

import shapely

from geo.errors import WorkspaceError
from stores.base import RawLayer


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        try:
            fa, fb = float(a), float(b)
        except (TypeError, ValueError):
            return False
        return fa == fb or (math.isnan(fa) and math.isnan(fb))
    return a == b


def compare_layers(a: RawLayer, b: RawLayer) -> list[str]:
    """Differences between two stored layers (empty: identical)."""
    problems = []
    if a.columns != b.columns:
        problems.append(f"{a.name}: 字段不同 {a.columns} ≠ {b.columns}")
        return problems
    if len(a.rows) != len(b.rows):
        problems.append(f"{a.name}: 行数不同 {len(a.rows)} ≠ {len(b.rows)}")
        return problems
    names = ["fid", "geometry"] + [c for c, _ in a.columns] + ["version", "updated_at", "updated_by"]
    for ra, rb in zip(a.rows, b.rows):
        for j, (x, y) in enumerate(zip(ra, rb)):
            if j == 1:
                same = (x is None and y is None) or (x is not None and y is not None and shapely.equals_exact(
                    shapely.from_wkb(x), shapely.from_wkb(y), tolerance=0))
            else:
                same = _same(x, y)
            if not same:
                problems.append(f"{a.name} fid {ra[0]}: {names[j]} {x!r} ≠ {y!r}")
                if len(problems) > 20:
                    return problems
    if (a.crs_wkt or None) != (b.crs_wkt or None):
        from pyproj import CRS
        if not (a.crs_wkt and b.crs_wkt and CRS.from_user_input(a.crs_wkt) == CRS.from_user_input(b.crs_wkt)):
            problems.append(f"{a.name}: 坐标系不同")
    return problems


def compare_constraints(a: dict, b: dict, problems: list[str]) -> list[dict]:
    """The constraint layers of two workspaces feature by feature (fields and geometry); differences go into
    ``problems``. Returns one row per layer (name, features, identical)."""
    rows = []
    for name in sorted(set(a) | set(b)):
        fa, fb = a.get(name), b.get(name)
        same = fa is not None and fb is not None and len(fa) == len(fb) and \
            list(fa.drop(columns=fa.geometry.name).columns) == list(fb.drop(columns=fb.geometry.name).columns) and \
            bool(shapely.equals_exact(fa.geometry.values, fb.geometry.values, tolerance=0).all()) and \
            fa.drop(columns=fa.geometry.name).astype(str).reset_index(drop=True).equals(
                fb.drop(columns=fb.geometry.name).astype(str).reset_index(drop=True))
        if not same:
            problems.append(f"{name}: 限制图层不同")
        rows.append({"layer": name, "features": 0 if fa is None else len(fa), "identical": same})
    return rows


def compare(src, dst) -> dict:
    ra, rb = src.raw_layers(), dst.raw_layers()
    layers = []
    problems = []
    for name in ra:
        p = compare_layers(ra[name], rb[name]) if name in rb else [f"{name}: 目标中没有该图层"]
        problems += p
        layers.append({"layer": name, "rows": len(ra[name].rows), "fields": [c for c, _ in ra[name].columns],
                       "identical": not p})
    ha, hb = src.history(), dst.history()
    audit_same = [e.to_dict() for e in ha] == [e.to_dict() for e in hb]
    if not audit_same:
        problems.append(f"audit: 修改记录不同（{len(ha)} ≠ {len(hb)} 条）")
    from stores.snapshots import all_snapshots
    if all_snapshots(src) != all_snapshots(dst):
        problems.append("snapshots: 快照不同")
    return {"layers": layers, "audit_rows": len(ha), "identical": not problems, "problems": problems}


def migrate(src, dst) -> dict:
    """Copy ``src`` into an empty ``dst`` (a PostgisStore) and compare; raises WorkspaceError when anything
    differs after the copy."""
    if not hasattr(dst, "create_from_raw"):
        raise WorkspaceError("迁移目标须为 PostgreSQL/PostGIS 数据库（postgresql://…）；"
                             "导出为 GeoPackage 请用数据管理页的下载")
    ws, report, _ = src.read()
    if ws is None:
        raise WorkspaceError(f"源工作空间 {src.target} 有错误（{report.summary()}），未迁移：先运行 validate 改正")
    dst.create_from_raw(src.raw_layers(), src.history())
    dst.write_constraints(ws.constraints)
    from stores import snapshots
    snapshots.copy_all(src, dst)
    result = compare(src, dst)
    copied, _, _ = dst.read()
    result["constraints"] = compare_constraints(ws.constraints, copied.constraints if copied is not None else {},
                                                result["problems"])
    result["identical"] = not result["problems"]
    if not result["identical"]:
        raise WorkspaceError("迁移后比对不一致：" + "；".join(result["problems"][:10]))
    return result
