"""``cli.py import-layer`` (and its alias ``import-parcel-layer``) and ``cli.py export-layer``: arguments and
handlers, kept here so cli.py only registers them."""
from __future__ import annotations

import argparse
from pathlib import Path

from commands.common import date_arg, emit, load_ws, safe_url, store_target, user_name
from formats.datum import DATUMS
from formats.layer_import import TARGETS
from geo.vocab import FIELD_LABELS, IMPORT_RESULT_LABELS, IMPORT_TARGET_LABELS


def add_import_arguments(p: argparse.ArgumentParser, alias: bool = False) -> None:
    p.add_argument("--into", choices=TARGETS, default="parcels" if alias else None, required=not alias,
                   help="导入到哪个图层：" + "、".join(f"{k}（{v}）" for k, v in IMPORT_TARGET_LABELS.items()))
    p.add_argument(*(("--file", "--layer") if alias else ("--file",)), dest="file", type=Path, required=True,
                   help="文件：Shapefile（.shp 或 .zip）、GeoPackage、FileGDB（.gdb 文件夹或 .gdb.zip）、GeoJSON、"
                        "KML/KMZ、奥维 .ovkml/.ovkmz、DXF、带 WKT 列的 CSV、自然资源部坐标文件（.txt）")
    p.add_argument("--layer-name", help="文件中有多个图层时要导入的图层（或压缩包中的文件名）")
    p.add_argument("--crs", help="文件没有（可用的）坐标系时指定，如 4544 或 EPSG:4544")
    p.add_argument("--encoding", help="强制属性编码，如 GBK、UTF-8（默认：自动识别）")
    p.add_argument("--datum", choices=DATUMS, help="经纬度数据的基准：cgcs2000、wgs84，或 gcj02（高德/奥维/DataV；"
                   "奥维和 KML 文件默认 gcj02）")
    p.add_argument("--default", dest="defaults", action="extend", nargs="+", metavar="FIELD=VALUE",
                   help="文件缺少的字段取值，如 status=available（可写多个，或多次给出）")
    p.add_argument("--replace", action="store_true", help="以文件替换整个图层（默认：按编号更新、其余新增）")
    p.add_argument("--dry-run", action="store_true", help="只检查并报告，不写入工作空间")
    p.add_argument("--allow-partial", action="store_true",
                   help="跳过有错误的要素，导入其余的（默认：有错误则全部不导入）")


def _crs(text):
    if text is None:
        return None
    return int(text.split(":")[-1]) if text.split(":")[-1].isdigit() else text


def _order(label):
    return (0, int(label), "") if str(label).lstrip("-").isdigit() else (1, 0, str(label))


def _table(result) -> str:
    from commands.table import format_table
    rows = [{"feature": str(k), "result": IMPORT_RESULT_LABELS[r], "detail": d}
            for k, (r, d) in sorted(result.outcome.items(), key=lambda kv: _order(kv[0])) if r != "imported"]
    return format_table(rows, [("feature", result.source.row_label), ("result", "结果"), ("detail", "说明")]) \
        if rows else ""


def _tally_text(result, failed: bool = False) -> str:
    t = result.tally
    if failed:
        return (f"输入 {t['input']} 个要素：{t['imported'] + t['repaired']} 个无误（其中 {t['repaired']} 个需修复），"
                f"{t['rejected']} 个有错误；全部未写入（可用 --allow-partial 只导入无误的要素）")
    return (f"输入 {t['input']} 个要素：导入 {t['imported']} 个、修复后导入 {t['repaired']} 个、"
            f"未导入 {t['rejected']} 个"
            + ("" if t["imported"] + t["repaired"] + t["rejected"] == t["input"] else "（计数不符！）"))


def cmd_import_layer(args) -> int:
    from formats.layer_import import import_layer
    from geo.errors import ValidationError
    from geo.report import LEVEL_LABELS
    from stores import open_store
    from stores.layer_write import store_result
    path = store_target(args)          # --workspace, else $LANDGAP_DATABASE_URL, else the default workspace
    with open_store(str(path), args.settings) as store:   # read and written through the store (GeoPackage or PostGIS)
        ws = store.load()

    def run(w):
        return import_layer(w, args.into, args.file, layer_name=args.layer_name, crs=_crs(args.crs),
                            encoding=args.encoding, datum=args.datum, defaults=args.defaults, replace=args.replace,
                            allow_partial=args.allow_partial,
                            seven_parameters=args.settings.layer_import.seven_parameters,
                            limits=args.settings.layer_import)
    try:
        result = run(ws)
    except ValidationError as exc:
        result = getattr(exc, "result", None)
        from commands.table import format_table
        rows = [{"row": i.row, "field": FIELD_LABELS.get(i.field, i.field or ""), "message": i.message}
                for i in exc.report.errors]
        label = result.source.row_label if result else "要素"
        payload = {"imported": False, **(result.to_dict() if result else exc.report.to_dict())}
        emit(args, payload, f"错误：{exc}（工作空间未改动）\n"
              + format_table(rows, [("row", label), ("field", "字段"), ("message", "说明")])
              + (f"\n{_tally_text(result, failed=True)}\n{_table(result)}" if result else ""))
        return 1
    if not args.dry_run:
        store_result(str(path), args.settings, ws, result, run, user_name(args))
    path = safe_url(path)                      # a database URL without its password
    notes = [f"[{LEVEL_LABELS[i.level]}] {i.message}" for i in result.report.issues]
    what = IMPORT_TARGET_LABELS[args.into]
    head = (f"检查通过（--dry-run，未写入）：{args.file.name} → {what}图层" if args.dry_run
            else f"已导入 {args.file.name} 到 {path} 的{what}图层（{args.into}）")
    counts = "，".join(f"{k} {v}" for k, v in result.counts.items())
    layer_rows = len(result.table)
    emit(args, {"imported": not args.dry_run, "dry_run": args.dry_run, "workspace": str(path), **result.to_dict(),
                 **result.counts, args.into: layer_rows, "notes": [i.message for i in result.report.issues]},
          f"{head}：{counts}\n{_tally_text(result)}" + (f"\n{_table(result)}" if _table(result) else "")
          + "".join(f"\n提示：{n}" for n in notes))
    return 0


def add_export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--layer", default="parcels", choices=("parcels", "zones", "factories", "sites"),
                   help="导出哪个图层；sites = 最优选址方案（先求解 match）的各项目选址")
    p.add_argument("--id", dest="ids", action="append", help="只导出这些编号（sites：项目编号；可多次；默认全部）")
    p.add_argument("--as-of", help="sites：情景日期 YYYY-MM-DD（同 match --as-of）")
    p.add_argument("--format", required=True, choices=("coordfile", "kml", "geojson"),
                   help="coordfile（自然资源部坐标文件，GBK/CRLF，报批用）、kml（奥维）、geojson")
    p.add_argument("--datum", choices=("gcj02", "wgs84"), default="gcj02", help="KML 的坐标：gcj02（奥维默认）或 wgs84")
    p.add_argument("--unit", default="", help="坐标文件的“数据产生单位”")
    p.add_argument("--out", type=Path, required=True, help="输出文件")


def cmd_export_layer(args) -> int:
    from formats.export import export_bytes
    from formats.fileio import write_atomic
    from geo.errors import InputError
    ws = load_ws(args)
    if args.layer == "sites":
        import matching
        from layers.export import SITE_FIELDS, sites_frame
        result = matching.match(ws, matching.Scenario(as_of=date_arg(args.as_of)) if args.as_of else None,
                                settings=args.settings)
        frame = sites_frame(result, ws).rename(columns={SITE_FIELDS["project_id"]: "site_id",
                                                        SITE_FIELDS["name"]: "name"})
        frame.index = frame["site_id"]
    else:
        frame = getattr(ws, args.layer)
    if args.ids:
        unknown = [i for i in args.ids if i not in frame.index]
        if unknown:
            raise InputError(f"{args.layer} 中没有编号 {'、'.join(unknown)}")
        frame = frame.loc[args.ids]
    notes: list[str] = []
    data = export_bytes(frame, args.layer, args.format, datum=args.datum, unit=args.unit, notes=notes)
    write_atomic(args.out, data)
    emit(args, {"out": str(args.out), "format": args.format, "features": len(frame), "notes": notes},
          f"已导出 {len(frame)} 个要素到 {args.out}（{args.format}）" + "".join(f"\n注：{n}" for n in notes))
    return 0


def register(command) -> None:
    p = command("import-layer", cmd_import_layer, "导入任意格式的图层文件（坐标文件、Shapefile、GeoPackage、FileGDB、"
                "GeoJSON、KML/奥维、DXF、CSV）到任一图层；逐个要素报告，有错误则不写入（原子写回）")
    add_import_arguments(p)
    p = command("import-parcel-layer", cmd_import_layer, "import-layer --into parcels 的别名（--layer 即 --file）")
    add_import_arguments(p, alias=True)
    p = command("export-layer", cmd_export_layer, "导出地块/园区/厂房为坐标文件（报批）、奥维 KML 或 GeoJSON")
    add_export_arguments(p)
