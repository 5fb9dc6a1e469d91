"""The county workspace: one GeoPackage with layers zones, parcels, factories, projects.

``read_workspace`` → (Workspace | None, LoadReport) never raises for bad data, it reports;
``load_workspace`` raises ValidationError when the report has errors; ``save_workspace`` is atomic.
"""
from __future__ import annotations

import functools
import os
import uuid
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.raw
import shapely
from pyproj import CRS

from .area import area_mu, lon_lat_center
from .config import setting
from .crs import describe, is_xian80, working_crs
from .errors import ValidationError, WorkspaceError
from .report import LoadReport
from .schema import DERIVED_COLUMNS, LAYERS, REQUIRED_LAYERS
from .validate import (check_factories, check_parcels, check_projects, check_zones, coerce_layer,
                       repair_geometry)

DEM_SUFFIX = ".dem.tif"


@dataclass
class Workspace:
    """All four layers, indexed by their id, in one CRS (``crs``, the parcels layer's).

    Derived columns: ``area_mu`` (ellipsoidal area of the geometry) on zones and parcels, and ``net_mu`` on parcels
    (the area with overlaps with earlier parcels removed: what totals add up).
    """
    zones: gpd.GeoDataFrame
    parcels: gpd.GeoDataFrame
    factories: gpd.GeoDataFrame
    projects: pd.DataFrame
    crs: CRS
    path: Path | None = None
    dem_path: Path | None = None
    report: LoadReport = field(default_factory=LoadReport)
    version: str = field(default_factory=lambda: uuid.uuid4().hex, init=False, compare=False)
    """Identifies this state of the data: new on every build, load and copy (``dataclasses.replace``); the key of
    derived data in ``geo.cache.DERIVED``."""

    @functools.cached_property
    def center(self) -> tuple[float, float]:
        """CGCS2000 lon/lat of the data's centre."""
        return lon_lat_center(pd.concat([self.zones.geometry, self.parcels.geometry]))

    @functools.cached_property
    def metric_crs(self) -> CRS:
        """A planar CRS in metres for geometry operations (the layer's own when it is Gauss-Krüger)."""
        return working_crs(self.crs, self.center)

    def metric(self, layer: str) -> gpd.GeoDataFrame:
        """A layer in ``metric_crs`` (the same object when the workspace is already metric)."""
        cache = self.__dict__.setdefault("_metric_cache", {})
        if layer not in cache:
            frame = getattr(self, layer)
            cache[layer] = frame if frame.crs == self.metric_crs else frame.to_crs(self.metric_crs)
        return cache[layer]

    def with_projects(self, projects: pd.DataFrame) -> "Workspace":
        """A copy with another project list, validated like a load (raises ValidationError on errors; a report's
        row is the row number from 1)."""
        return self.with_layers(projects=projects)

    def with_layers(self, **frames: pd.DataFrame) -> "Workspace":
        """A copy with some layers replaced (e.g. ``parcels=``), validated like a load; the given layers' rows are
        numbered from 1 in the report. Raises ValidationError on errors."""
        layers = {name: _numbered_from_1(frames[name]) if name in frames else getattr(self, name).reset_index(drop=True)
                  for name in ("zones", "parcels", "factories", "projects")}
        ws, report = build_workspace(layers, source=str(self.path or ""))
        if ws is None:
            what = "、".join({"projects": "项目表", "parcels": "地块表"}.get(n, n) for n in frames)
            raise ValidationError(f"{what}有误：{report.summary()}", report)
        return replace(ws, path=self.path, dem_path=self.dem_path)


def _numbered_from_1(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows numbered 1..n, so that a report's row is the row a person sees in a table."""
    frame = frame.reset_index(drop=True)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def _empty_layer(name: str, crs) -> pd.DataFrame:
    cols = [f.name for f in LAYERS[name].fields]
    if LAYERS[name].geometry:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    return pd.DataFrame({c: [] for c in cols})


def read_workspace(path: str | os.PathLike) -> tuple[Workspace | None, LoadReport]:
    """Read and validate a GeoPackage; the report lists every problem; Workspace is None when there are errors."""
    path = Path(path)
    if not path.exists():
        raise WorkspaceError(f"工作空间文件不存在：{path}")
    try:
        names = {row[0] for row in pyogrio.list_layers(path)}
    except Exception as exc:  # GDAL's message is the useful part
        raise WorkspaceError(f"无法打开工作空间文件 {path}：{exc}（应为 GeoPackage .gpkg 文件）") from exc
    layers: dict[str, pd.DataFrame] = {}
    report = LoadReport(source=str(path))
    for name in LAYERS:
        if name not in names:
            if name in REQUIRED_LAYERS:
                report.error(name, "MISSING_LAYER", f"工作空间 {path.name} 缺少图层 {name}（现有：{', '.join(sorted(names))}）")
            else:
                report.info(name, "EMPTY_LAYER", f"没有图层 {name}，按空表处理")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layers[name] = pyogrio.read_dataframe(path, layer=name, fid_as_index=True)
    if report.errors:
        return None, report
    ws, report = build_workspace(layers, source=str(path), report=report)
    if ws is not None:
        dem = path.with_name(path.stem + DEM_SUFFIX)
        ws = replace(ws, path=path, dem_path=dem if dem.exists() else None)
    return ws, report


def load_workspace(path: str | os.PathLike) -> Workspace:
    """Read a workspace; raise ValidationError (with ``.report``) if it has errors."""
    ws, report = read_workspace(path)
    if ws is None:
        lines = "\n".join(str(i) for i in report.errors[:20])
        raise ValidationError(f"工作空间 {path} 有 {report.summary()}：\n{lines}", report)
    return ws


def build_workspace(layers: dict[str, pd.DataFrame], source: str = "",
                    report: LoadReport | None = None) -> tuple[Workspace | None, LoadReport]:
    """Validate in-memory layers (as read from a file, fid as index) into a Workspace; see read_workspace."""
    report = report or LoadReport(source=source)
    for name in REQUIRED_LAYERS:
        if name not in layers:
            report.error(name, "MISSING_LAYER", f"缺少图层 {name}")
    if report.errors:
        return None, report
    parcels_crs = layers["parcels"].crs
    if parcels_crs is None:
        report.error("parcels", "MISSING_CRS", "图层 parcels 没有坐标系（CRS）：请在 QGIS 中指定，如 CGCS2000 / "
                     "3-degree Gauss-Kruger CM 105E (EPSG:4544)")
        return None, report
    crs = CRS.from_user_input(parcels_crs)
    if is_xian80(crs):
        report.warning("parcels", "XIAN80", f"坐标系为西安1980（{describe(crs)}）：PROJ 转换到 CGCS2000 只是近似，"
                       "面积不受影响，但与 CGCS2000 底图叠加可能有米级偏差")
    out: dict[str, pd.DataFrame] = {}
    for name, schema in LAYERS.items():
        frame = layers.get(name)
        if frame is None:
            frame = _empty_layer(name, crs)
        if schema.geometry:
            if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
                report.error(name, "NO_GEOMETRY", f"图层 {name} 没有几何字段")
                continue
            if frame.crs is None:
                if len(frame):
                    report.error(name, "MISSING_CRS", f"图层 {name} 没有坐标系（CRS）")
                    continue
                frame = frame.set_crs(crs, allow_override=True)
            elif CRS.from_user_input(frame.crs) != crs:
                report.info(name, "REPROJECTED", f"图层 {name} 的坐标系 {describe(frame.crs)} 与 parcels 不同，"
                            f"已转换为 {describe(crs)}")
                frame = frame.to_crs(crs)
            if frame.geometry.name != "geometry":
                frame = frame.rename_geometry("geometry")
            frame = repair_geometry(frame, name, report)
        frame = frame.drop(columns=[c for c in DERIVED_COLUMNS if c in frame.columns])
        coerced = coerce_layer(frame, schema, report)
        if coerced is not None:
            out[name] = coerced
    if len(out) < len(LAYERS):  # a layer unusable as a whole: the checks below need all four
        return None, report

    zones, parcels, factories, projects = out["zones"], out["parcels"], out["factories"], out["projects"]
    center = lon_lat_center(pd.concat([zones.geometry, parcels.geometry]))
    zones["area_mu"] = area_mu(zones.geometry, center)
    parcels["area_mu"] = area_mu(parcels.geometry, center)
    # an empty priority follows the stage (在谈 1, 已签约 2, 已开工 3 by default)
    projects["priority"] = projects["priority"].fillna(projects["stage"].map(setting("matching", "stage_priority")))
    check_zones(zones, report)
    check_parcels(parcels, zones, report)
    check_factories(factories, zones["zone_id"], report)
    check_projects(projects, zones["zone_id"], report)
    metric = working_crs(crs, center)
    parcels["net_mu"] = _net_area_mu(parcels, metric, center, report)
    if report.errors:
        return None, report
    ws = Workspace(
        zones=zones.set_index("zone_id", drop=False).rename_axis(None),
        parcels=parcels.set_index("parcel_id", drop=False).rename_axis(None),
        factories=factories.set_index("factory_id", drop=False).rename_axis(None),
        projects=projects.set_index("project_id", drop=False).rename_axis(None),
        crs=crs, report=report)
    return ws, report


def _net_area_mu(parcels: gpd.GeoDataFrame, metric: CRS, center, report: LoadReport) -> pd.Series:
    """Area each parcel adds to a total: overlaps above the tolerance are reported and counted once (first row keeps it)."""
    net = parcels["area_mu"].copy()
    geoms = np.asarray((parcels.geometry if parcels.crs == metric else parcels.geometry.to_crs(metric)).values)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if len(left) == 0:
        return net
    inter = shapely.intersection(geoms[left], geoms[right])
    inter_mu = area_mu(gpd.GeoSeries(inter, crs=metric), center).to_numpy()
    tol = setting("validation", "overlap_min_mu")
    big = inter_mu > tol
    ids = parcels["parcel_id"].to_numpy()
    rows = parcels.index.to_numpy()
    for i, j, mu in zip(left[big], right[big], inter_mu[big]):
        report.warning("parcels", "OVERLAP", f"地块 {ids[i]} 与 {ids[j]} 重叠 {mu:.2f} 亩；合计时只计一次"
                       f"（计入 {ids[i]}）", row=rows[j], field="geometry")
    later = np.unique(right[big])
    for j in later:  # few: overlaps are data errors
        earlier = left[big & (right == j)]
        rest = shapely.difference(geoms[j], shapely.union_all(geoms[earlier]))
        net.iloc[j] = area_mu(gpd.GeoSeries([rest], crs=metric), center).iloc[0]
    return net


# ---------------------------------------------------------------------------------------------- saving

def _field_arrays(frame: pd.DataFrame, name: str) -> tuple[list[str], list[np.ndarray], list]:
    schema = LAYERS[name]
    columns = [f.name for f in schema.fields] + [c for c in frame.columns if c not in {f.name for f in schema.fields}
                                                 and c != "geometry" and c not in DERIVED_COLUMNS]
    kinds = {f.name: f.kind for f in schema.fields}
    data, masks = [], []
    for col in columns:
        s = frame[col] if col in frame.columns else pd.Series([None] * len(frame), index=frame.index)
        kind = kinds.get(col)
        if kind == "date" or (kind is None and pd.api.types.is_datetime64_any_dtype(s)):
            values = pd.to_datetime(s).to_numpy().astype("datetime64[D]") if kind == "date" \
                else pd.to_datetime(s).to_numpy()
            data.append(values)
            masks.append(None)
        elif kind == "integer" or pd.api.types.is_integer_dtype(s) or pd.api.types.is_bool_dtype(s):
            num = pd.to_numeric(s, errors="coerce")
            data.append(num.fillna(0).astype(np.int64).to_numpy())
            masks.append(num.isna().to_numpy() if num.isna().any() else None)
        elif kind == "real" or pd.api.types.is_float_dtype(s):
            data.append(pd.to_numeric(s, errors="coerce").astype(float).to_numpy())
            masks.append(None)
        else:
            data.append(np.array([None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                                  for v in s.astype(object)], dtype=object))
            masks.append(None)
    return columns, data, masks


def _write_layer(path: Path, name: str, frame: pd.DataFrame, crs: CRS) -> None:
    frame = frame.reset_index(drop=True)
    columns, data, masks = _field_arrays(frame, name)
    # GeoPackage 1.2: readable by the older GDAL/QGIS found on government PCs
    kwargs = dict(layer=name, driver="GPKG", append=False, nan_as_null=True, dataset_options={"VERSION": "1.2"},
                  field_mask=masks if any(m is not None for m in masks) else None)
    if LAYERS[name].geometry:
        geoms = np.asarray(frame.geometry.values)
        multi = bool(len(geoms)) and bool((shapely.get_type_id(geoms) == 6).any())
        pyogrio.raw.write(path, shapely.to_wkb(geoms), data, columns, crs=crs.to_wkt(),
                          geometry_type="MultiPolygon" if multi else "Polygon", promote_to_multi=multi, **kwargs)
    else:
        pyogrio.raw.write(path, None, data, columns, **kwargs)


def save_workspace(ws: Workspace, path: str | os.PathLike) -> Path:
    """Write the workspace atomically: a temporary file next to ``path``, fsynced, then renamed over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.gpkg")
    tmp.unlink(missing_ok=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in LAYERS:
                _write_layer(tmp, name, getattr(ws, name), ws.crs)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, Exception) and not isinstance(exc, WorkspaceError):
            raise WorkspaceError(f"保存工作空间 {path} 失败（原文件未改动）：{exc}") from exc
        raise
    return path


def write_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file beside it, fsynced and renamed: never half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def workspace_archive(gpkg: bytes, name: str, dem_path: Path | None) -> bytes:
    """A workspace to download: ``name``.gpkg and, when there is one, its DEM ``name``.dem.tif, in one zip (the
    hillshade basemap, slope and earthwork need the DEM; the .gpkg alone loses them)."""
    import io
    import zipfile
    stem = Path(name).stem
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(stem + ".gpkg", gpkg)
        if dem_path is not None and Path(dem_path).exists():
            z.write(dem_path, stem + DEM_SUFFIX, compress_type=zipfile.ZIP_STORED)   # GeoTIFFs are compressed
    return buf.getvalue()


def open_archive(data: bytes, name: str, folder: str | os.PathLike) -> Path:
    """Unpack a workspace zip (one .gpkg, optionally its .dem.tif) into ``folder``; the .gpkg path to load.

    Only the files' own names are used (no paths from the archive), so nothing is written outside ``folder``.
    """
    import io
    import zipfile
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise WorkspaceError(f"{name} 不是有效的 zip 压缩包：{exc}") from exc
    with z:
        members = [i for i in z.infolist() if not i.is_dir()]
        gpkgs = [i for i in members if i.filename.lower().endswith(".gpkg")]
        if len(gpkgs) != 1:
            found = "、".join(Path(i.filename).name for i in gpkgs) or "无"
            raise WorkspaceError(f"{name} 中应恰有一个 GeoPackage（.gpkg）文件，实际：{found}")
        stem = Path(gpkgs[0].filename).stem
        dems = [i for i in members if Path(i.filename).name.lower() == (stem + DEM_SUFFIX).lower()]
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / (stem + ".gpkg")
        for info, out in [(gpkgs[0], target)] + [(d, folder / (stem + DEM_SUFFIX)) for d in dems[:1]]:
            write_atomic(out, z.read(info))
        stale = folder / (stem + DEM_SUFFIX)
        if not dems and stale.exists():       # an earlier upload's DEM does not belong to this workspace
            stale.unlink()
    return target
