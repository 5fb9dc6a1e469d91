"""Read any layer file a planner is sent into one frame: Shapefile (.shp set or .zip; ``formats.shapefile``),
GeoPackage and FileGDB (.gdb folder or .gdb.zip) with a layer picked, GeoJSON, KML/KMZ and 奥维 .ovkml/.ovkmz,
DXF (``dxf``), CSV with a WKT column, and the 坐标文件 (``coordfile``). Zips are unpacked safely (``archive``).

``read_source`` returns a ``SourceLayer``: the features indexed by how the planner finds them in the source (FID,
the 坐标文件's line, the DXF handle), the features rejected already with their reason, and notes."""
from __future__ import annotations

import tempfile
import warnings
from pathlib import Path, PurePath

import geopandas as gpd
import pandas as pd
import pyogrio

from formats import FormatError
from formats.encoding import decode_text
from formats.source import SourceLayer
from formats.unzip import unpack
from geo.errors import LAYER_NAME_REQUIRED

_KML = (".kml", ".ovkml")
_KMZ = (".kmz", ".ovkmz")
_GDAL = {".gpkg": "GeoPackage", ".geojson": "GeoJSON", ".json": "GeoJSON", ".csv": "CSV", ".dxf": "DXF",
         ".kml": "KML", ".ovkml": "奥维 KML", ".gdb": "FileGDB"}
_ARROW = (".gpkg", ".gdb", ".geojson", ".json")
_DATASETS = (".shp", ".gpkg", ".geojson", ".json", ".kml", ".ovkml", ".kmz", ".ovkmz", ".dxf", ".csv", ".txt",
             ".gdb")


def read_source(source, name: str | None = None, layer_name: str | None = None, encoding: str | None = None,
                crs=None) -> SourceLayer:
    """``source``: a path (file, .gdb folder, .zip) or uploaded files {name: bytes}."""
    with tempfile.TemporaryDirectory(prefix="landgap-import-") as tmp:
        tmp = Path(tmp)
        if isinstance(source, dict):
            if len(source) == 1:
                (fname, data), = source.items()
                name = name or fname
                path = tmp / "in" / PurePath(fname).name
                path.parent.mkdir()
                path.write_bytes(data)
            else:                                     # a Shapefile's parts uploaded one by one
                folder = tmp / "in"
                folder.mkdir()
                for fname, data in source.items():
                    (folder / PurePath(fname).name).write_bytes(data)
                path, name = _pick_dataset(folder, name or "上传的文件", layer_name)
        else:
            path = Path(source)
            name = name or path.name
            if not path.exists():
                raise FormatError(f"文件不存在：{path}")
        suffix = path.suffix.lower()
        if suffix == ".zip" and not path.name.lower().endswith(".gdb.zip"):
            folder = tmp / "zip"
            folder.mkdir()
            unpack(path.read_bytes(), path.name, folder)
            inner, inner_name = _pick_dataset(folder, path.name, layer_name)
            layer = _read_path(inner, f"{path.name}/{inner_name}", layer_name, encoding, tmp, crs)
        elif path.name.lower().endswith(".gdb.zip"):
            folder = tmp / "gdb"
            folder.mkdir()
            unpack(path.read_bytes(), path.name, folder)
            gdbs = [p for p in folder.rglob("*") if p.is_dir() and p.suffix.lower() == ".gdb"]
            if not gdbs and any(folder.glob("*.gdbtable")):     # the .gdb's files zipped without their folder
                gdbs = [folder.rename(folder.with_name(path.name[:-4]))]
            if not gdbs:
                raise FormatError(f"{path.name} 中没有 .gdb 文件夹（FileGDB）")
            layer = _read_path(gdbs[0], f"{path.name}", layer_name, encoding, tmp, crs)
        else:
            layer = _read_path(path, name, layer_name, encoding, tmp, crs)
    return layer


def _pick_dataset(folder: Path, zip_name: str, layer_name: str | None) -> tuple[Path, str]:
    """The one dataset in an unpacked zip (or ``layer_name``'s): a .shp, .gdb folder, .gpkg, .kml …"""
    found = sorted({p for p in folder.rglob("*") if p.suffix.lower() in _DATASETS
                    and not any(q.suffix.lower() == ".gdb" for q in p.parents if q != folder)
                    and (p.is_dir() == (p.suffix.lower() == ".gdb"))})
    if len(found) > 1:                                # a readme .txt beside the data is not a layer
        from formats.coordfile import looks_like_coordfile
        found = [p for p in found if p.suffix.lower() != ".txt" or looks_like_coordfile(p.read_bytes()[:4096])]
    if not found:
        raise FormatError(f"{zip_name} 中没有可导入的图层文件"
                          "（.shp、.gdb、.gpkg、.geojson、.kml、.dxf、.csv、坐标文件 .txt）")
    if len(found) > 1 and layer_name:
        chosen = [p for p in found if layer_name in (p.stem, p.name)]
        if len(chosen) == 1:
            return chosen[0], str(chosen[0].relative_to(folder))
    if len(found) > 1:
        names = "、".join(str(p.relative_to(folder)) for p in found)
        raise FormatError(f"{zip_name} 中有 {len(found)} 个图层（{names}）：请指定其中一个"
                          "（文件名，不含扩展名）", code=LAYER_NAME_REQUIRED)
    return found[0], str(found[0].relative_to(folder))


def _kml_of_kmz(path: Path, name: str, layer_name: str | None, tmp: Path) -> tuple[Path, str, str | None]:
    """The .kml of a KMZ to read, its name in messages, and what is left of ``layer_name`` (a folder to pick) once
    it chose among several .kml files."""
    folder = tmp / "kmz"
    folder.mkdir(exist_ok=True)
    unpack(path.read_bytes(), name, folder)
    kmls = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in _KML)
    if not kmls:
        raise FormatError(f"{name} 中没有 .kml 文件（不是 KMZ/奥维 .ovkmz，或压缩包已损坏）")
    if len(kmls) == 1:
        return kmls[0], name, layer_name
    labels = [str(p.relative_to(folder)) for p in kmls]
    chosen = [p for p, label in zip(kmls, labels) if layer_name in (label, p.name, p.stem)]
    if len(chosen) == 1:
        return chosen[0], f"{name}/{chosen[0].relative_to(folder)}", None
    raise FormatError(f"{name} 中有 {len(kmls)} 个 KML 文件（{'、'.join(labels)}）：请指定其中一个"
                      "（文件名，不含扩展名）", code=LAYER_NAME_REQUIRED)


def _read_kml(path: Path, name: str, layer_name: str | None) -> SourceLayer:
    from formats.kml import read_kml
    doc = read_kml(path, name)
    frame = doc.frame
    if layer_name:
        if "folder" not in frame.columns or layer_name not in set(frame["folder"]):
            folders = "、".join(sorted(set(frame.get("folder", [])) - {None})) or "无"
            raise FormatError(f"{name} 中没有文件夹“{layer_name}”；现有文件夹：{folders}")
        frame = frame[frame["folder"] == layer_name]
    rejected = {k: reason for k, reason in doc.rejected.items() if k in frame.index}
    kind = "奥维 KMZ" if name.lower().endswith(".ovkmz") or ".ovkmz/" in name.lower() else \
        "KMZ" if name.lower().endswith(".kmz") or ".kmz/" in name.lower() else \
        "奥维 KML" if name.lower().endswith(".ovkml") else "KML"
    return SourceLayer(name, kind, frame.drop(index=list(rejected)), "KML 地标序号", "UTF-8", list(doc.notes),
                       rejected, input_count=len(frame), lonlat_datum_default=doc.datum or "gcj02")


def _read_path(path: Path, name: str, layer_name, encoding, tmp: Path, crs) -> SourceLayer:
    suffix = path.suffix.lower()
    if path.is_file() and path.stat().st_size == 0:
        raise FormatError(f"{name} 是空文件（0 字节）")
    if suffix == ".shp" or (suffix == ".zip"):
        from formats.shapefile import read_parcel_layer
        layer = read_parcel_layer(path, name, encoding, require_crs=False)
        return SourceLayer(layer.name, "Shapefile", layer.frame, "要素 FID", layer.encoding, list(layer.notes),
                           input_count=len(layer.frame))
    if suffix in (".txt", ".zbwj") or (suffix not in _GDAL and suffix not in _KMZ):
        from formats.coordfile import looks_like_coordfile, read_coordfile
        data = path.read_bytes()
        if not looks_like_coordfile(data):
            raise FormatError(f"{name}：无法识别的文件格式（支持 Shapefile、GeoPackage、FileGDB、GeoJSON、KML/KMZ、"
                              "奥维 .ovkml/.ovkmz、DXF、带 WKT 列的 CSV、自然资源部坐标文件）")
        cf = read_coordfile(data, name, encoding, crs)
        return SourceLayer(name, "坐标文件", cf.frame, "坐标文件行号", cf.encoding, cf.notes, cf.rejected,
                           cf.input_count)
    if suffix in _KMZ:
        path, name, layer_name = _kml_of_kmz(path, name, layer_name, tmp)
        suffix = ".kml"
    elif suffix == ".ovkml":                          # plain KML renamed
        suffix = ".kml"
    if suffix == ".dxf":
        from formats.dxf import read_dxf
        return read_dxf(path, name)
    if suffix == ".kml":
        return _read_kml(path, name, layer_name)
    kind = _GDAL.get(PurePath(name).suffix.lower(), _GDAL.get(suffix, suffix))
    if PurePath(name).suffix.lower() in _KMZ:
        kind = "奥维 KMZ" if name.lower().endswith(".ovkmz") else "KMZ"
    options, read_encoding, notes = {}, None, []
    if suffix == ".csv":
        text, read_encoding, note = decode_text(path.read_bytes(), name, forced=encoding)
        notes += [note] if note else []
        path.write_text(text, encoding="utf-8")
        read_encoding = "UTF-8"
        options = {"GEOM_POSSIBLE_NAMES": "WKT,wkt,geometry,GEOMETRY,geom,the_geom,几何",
                   "KEEP_GEOM_COLUMNS": "NO"}
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:
        raise FormatError(f"无法读取 {name}（{kind}）：{exc}") from exc
    names = [str(n) for n, _ in layers]
    kml = suffix == ".kml"
    if layer_name:
        if layer_name not in names:
            raise FormatError(f"{name} 中没有图层“{layer_name}”；现有图层：{'、'.join(names)}")
        chosen = [layer_name]
    elif kml:
        chosen = names                                # KML folders are one layer to a planner
    else:
        polygonal = [str(n) for n, g in layers if g and "polygon" in str(g).lower()]
        if len(names) == 1:
            chosen = names
        elif len(polygonal) == 1:
            chosen = polygonal
            notes.append(f"{name} 有 {len(names)} 个图层，已选其中唯一的面图层“{polygonal[0]}”（可指定图层名另选）")
        else:
            listing = "、".join(f"{n}（{g or '无几何'}）" for n, g in layers)
            raise FormatError(f"{name} 中有 {len(names)} 个图层：{listing}；请指定要导入的图层",
                              code=LAYER_NAME_REQUIRED)
    frames = []
    for lyr in chosen:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                f = pyogrio.read_dataframe(path, layer=lyr, fid_as_index=True, encoding=read_encoding,
                                           use_arrow=suffix in _ARROW,      # 2-3× faster on 100k features
                                           **({"open_options": options} if options else {}))
        except Exception as exc:
            raise FormatError(f"无法读取 {name} 的图层“{lyr}”：{exc}") from exc
        if kml and len(chosen) > 1:
            f.index = [f"{lyr}#{i}" for i in f.index]
        frames.append(f)
    frame = frames[0] if len(frames) == 1 else gpd.GeoDataFrame(pd.concat(frames), crs=frames[0].crs)
    if isinstance(frame, pd.DataFrame) and not isinstance(frame, gpd.GeoDataFrame) or frame.geometry is None:
        raise FormatError(f"{name}：没有几何（CSV 需有 WKT 列，列名 WKT/geometry）")
    label = name if (len(names) == 1 or kml) else f"{name} 图层 {chosen[0]}"
    row = "KML 要素（文件夹#序号）" if kml and len(chosen) > 1 else ("CSV 行号" if suffix == ".csv" else "要素 FID")
    if suffix == ".csv":
        frame.index = frame.index + 1                  # GDAL numbers data rows from 1; the header is line 1
    return SourceLayer(label, kind, frame, row, read_encoding or "UTF-8", notes, input_count=len(frame),
                       lonlat_datum_default="gcj02" if kml else None)
