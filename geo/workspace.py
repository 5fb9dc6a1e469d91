"""The county workspace in memory: layers zones, parcels, factories, projects, validated into a ``Workspace``.

``build_workspace`` checks in-memory layers (no file I/O here). The files live elsewhere: the GeoPackage store in
``stores.gpkg_file`` (``read_workspace``, ``load_workspace``, ``save_workspace``), the zip of a workspace and its DEM in
``stores.archive``, the DEM in ``formats.dem``, atomic writes in ``formats.fileio``.
"""
from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.area import area_mu, lon_lat_center
from geo.county import check_county_codes
from geo.crs import describe, is_xian80, working_crs
from geo.errors import ValidationError
from geo.report import LoadReport
from geo.schema import DERIVED_COLUMNS, LAYERS, REQUIRED_LAYERS
from geo.settings import ValidationSettings
from geo.terrain import SteepLand
from geo.units import M2_PER_MU
from geo.validate import check_factories, check_parcels, check_projects, check_zones, coerce_layer, repair_geometry
from geo.validate_stock import check_firms, check_parcel_stock


@dataclass
class Workspace:
    """All five layers, indexed by their id, in one CRS (``crs``, the parcels layer's).

    Derived columns: ``area_mu`` (ellipsoidal area of the geometry) on zones and parcels, and ``net_mu`` on parcels
    (the area with overlaps with earlier parcels removed: what totals add up).
    """
    zones: gpd.GeoDataFrame
    parcels: gpd.GeoDataFrame
    factories: gpd.GeoDataFrame
    projects: pd.DataFrame
    crs: CRS
    firms: pd.DataFrame = field(default_factory=lambda: empty_layer("firms", None).set_index("firm_id", drop=False)
                                .rename_axis(None))
    """亩均效益台账 (``geo.schema.FIRMS``), indexed by ``firm_id``; empty when the workspace has none."""
    path: Path | None = None
    dem_path: Path | None = None
    report: LoadReport = field(default_factory=LoadReport)
    constraints: dict[str, gpd.GeoDataFrame] = field(default_factory=dict, compare=False)
    """The optional 三区三线 / flood layers (``geo.schema.CONSTRAINT_LAYERS``) present, in ``crs``: name → layer."""
    validation: ValidationSettings | None = field(default=None, compare=False, repr=False)
    stage_priority: Mapping[str, float] | None = field(default=None, compare=False, repr=False)
    """The thresholds and default priorities this workspace was validated with (``build_workspace``): a copy
    with other layers (``with_layers``) is validated with the same, the caller's configuration."""
    version: str = field(default_factory=lambda: uuid.uuid4().hex, init=False, compare=False)
    """Identifies this state of the data: new on every build, load and copy (``dataclasses.replace``); the key of
    derived data in a ``geo.cache.DerivedCache``."""
    steep: SteepLand | None = field(default=None, compare=False)
    """The land too steep under the parcels that can be offered, read from the DEM when the workspace is loaded
    (``formats.dem.with_steep_land``, at the edge): the engine does no I/O. None without a DEM or not loaded."""
    store_versions: Mapping[str, Mapping[str, int]] | None = field(default=None, compare=False)
    """The row versions a store read (``stores.base.Versions``), which a later save checks; None when not read
    from a store."""

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

    def constraint(self, name: str) -> gpd.GeoDataFrame | None:
        """A constraint layer in ``metric_crs``, or None when the workspace has none (or it is empty)."""
        frame = self.constraints.get(name)
        if frame is None or not len(frame):
            return None
        cache = self.__dict__.setdefault("_metric_cache", {})
        key = ("constraint", name)
        if key not in cache:
            cache[key] = frame if frame.crs == self.metric_crs else frame.to_crs(self.metric_crs)
        return cache[key]

    def with_projects(self, projects: pd.DataFrame) -> "Workspace":
        """A copy with another project list, validated like a load (raises ValidationError on errors; a report's
        row is the row number from 1, and its messages name a project by id and row: 项目编号 X2（第 2 行）)."""
        return self.with_layers(projects=projects)

    def with_layers(self, **frames: pd.DataFrame) -> "Workspace":
        """A copy with some layers replaced (e.g. ``parcels=``), validated like a load; the given layers' rows are
        numbered from 1 in the report, checked with the settings this workspace was built with. Raises
        ValidationError on errors."""
        layers = {name: _numbered_from_1(frames[name] if name in frames else getattr(self, name))
                  for name in ("zones", "parcels", "factories", "projects", "firms")}
        ws, report = build_workspace(layers, source=str(self.path or ""), rows="row", validation=self.validation,
                                     stage_priority=self.stage_priority)
        if ws is None:
            what = "、".join({"projects": "项目表", "parcels": "地块表", "firms": "企业表"}.get(n, n) for n in frames)
            raise ValidationError(f"{what}有误：{report.summary()}", report)
        return replace(ws, path=self.path, dem_path=self.dem_path, constraints=self.constraints, steep=self.steep)


def _numbered_from_1(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows numbered 1..n, so that a report's row is the row a person sees in a table."""
    frame = frame.reset_index(drop=True)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def empty_layer(name: str, crs) -> pd.DataFrame:
    cols = [f.name for f in LAYERS[name].fields]
    if LAYERS[name].geometry:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    return pd.DataFrame({c: [] for c in cols})


def shared_text(frame: pd.DataFrame, max_share: float = 0.1) -> pd.DataFrame:
    """``frame`` with each text column of few distinct values (at most ``max_share`` of its rows: park, status,
    land use, holder) holding one string object per value: a reader makes one per row (a province's 1M parcels:
    ~60 MB per column, ~8 MB shared). Values, dtypes and the index are unchanged."""
    n = len(frame)
    if n < 1000:
        return frame
    for col in frame.columns:
        s = frame[col]
        if s.dtype != object:
            continue
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        if not len(uniques) or len(uniques) > max_share * n:
            continue
        values = np.asarray(uniques, dtype=object)[np.maximum(codes, 0)]
        values[codes < 0] = s.to_numpy(dtype=object)[codes < 0]        # the missing values as they were
        frame[col] = pd.Series(values, index=frame.index, dtype=object)
    return frame


def build_workspace(layers: dict[str, pd.DataFrame], source: str = "", report: LoadReport | None = None,
                    rows: str = "fid", *, validation: ValidationSettings,
                    stage_priority: Mapping[str, float]) -> tuple[Workspace | None, LoadReport]:
    """Validate in-memory layers (indexed as read from a file: by fid) into a Workspace, or None when the report has
    errors. Every issue about one feature names it by its id and row (``rows`` says how the index counts, a key of
    ``geo.vocab.ROW_NAMES``: "fid", or "row" for a table numbered from 1). ``validation`` holds the thresholds and
    ``stage_priority`` a project's priority when its own is empty: the caller's ``Settings.validation`` and
    ``Settings.matching.stage_priority`` (required, so that a $LANDGAP_CONFIG override is never lost on a load).
    The workspace keeps both, for ``with_layers``."""
    report = report or LoadReport(source=source)
    ws, report = _build(layers, report, validation, stage_priority)
    if ws is not None:
        ws.validation, ws.stage_priority = validation, stage_priority
    _name_features(layers, report, rows)
    return ws, report


def _name_features(layers: dict[str, pd.DataFrame], report: LoadReport, rows: str) -> None:
    """Name the feature of every issue by the layer's id field (地块编号 B1 …) and its row."""
    for name, schema in LAYERS.items():
        frame = layers.get(name)
        ids = frame[schema.id_field] if frame is not None and schema.id_field in frame.columns \
            else pd.Series([], dtype=object)
        report.name_features(name, ids.rename(schema.id_field), rows)


def _build(layers: dict[str, pd.DataFrame], report: LoadReport, validation: ValidationSettings,
           stage_priority: Mapping[str, float]) -> tuple[Workspace | None, LoadReport]:
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
            frame = empty_layer(name, crs)
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
            frame = repair_geometry(frame, name, report, validation.coordinate_margin_deg)
        frame = frame.drop(columns=[c for c in DERIVED_COLUMNS if c in frame.columns])
        coerced = coerce_layer(frame, schema, report)
        if coerced is not None:
            out[name] = coerced
    if len(out) < len(LAYERS):  # a layer unusable as a whole: the checks below need them all
        return None, report

    out["zones"], out["projects"] = (check_county_codes(out[n], n, report) for n in ("zones", "projects"))
    zones, parcels, factories, projects = out["zones"], out["parcels"], out["factories"], out["projects"]
    center = lon_lat_center(pd.concat([zones.geometry, parcels.geometry]))
    zones["area_mu"] = area_mu(zones.geometry, center)
    parcels["area_mu"] = area_mu(parcels.geometry, center)
    # an empty priority follows the stage (在谈 1, 已签约 2, 已开工 3 by default)
    projects["priority"] = projects["priority"].fillna(projects["stage"].map(dict(stage_priority)))
    check_zones(zones, report)
    check_parcels(parcels, zones, report, area_tolerance=validation.registered_mu_tolerance,
                  outside_fraction=validation.outside_zone_fraction)
    check_factories(factories, zones["zone_id"], report)
    check_projects(projects, zones["zone_id"], report)
    check_parcel_stock(parcels, report)
    check_firms(out["firms"], parcels["parcel_id"], report)
    metric = working_crs(crs, center)
    parcels["net_mu"] = _net_area_mu(parcels, metric, center, report, validation.overlap_min_mu)
    if report.errors:
        return None, report
    ws = Workspace(
        zones=zones.set_index("zone_id", drop=False).rename_axis(None),
        parcels=shared_text(parcels).set_index("parcel_id", drop=False).rename_axis(None),
        factories=shared_text(factories).set_index("factory_id", drop=False).rename_axis(None),
        projects=projects.set_index("project_id", drop=False).rename_axis(None),
        firms=out["firms"].set_index("firm_id", drop=False).rename_axis(None),
        crs=crs, report=report)
    return ws, report


def _net_area_mu(parcels: gpd.GeoDataFrame, metric: CRS, center, report: LoadReport, tol: float) -> pd.Series:
    """Area each parcel adds to a total: overlaps above ``tol`` 亩 are reported and counted once (first row keeps
    it)."""
    net = parcels["area_mu"].copy()
    geoms = np.asarray((parcels.geometry if parcels.crs == metric else parcels.geometry.to_crs(metric)).values)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    # neighbours that only share an edge (most pairs of a parcel layer) have no overlap: skip their intersection
    inside = ~shapely.touches(geoms[left], geoms[right])
    left, right = left[inside], right[inside]
    if len(left) == 0:
        return net
    inter = shapely.intersection(geoms[left], geoms[right])
    # the ellipsoidal area only where the planar one (m², metric CRS: within 1 % of it) could exceed ``tol``
    inter_mu = shapely.area(inter) / M2_PER_MU
    maybe = inter_mu > tol / 2
    if maybe.any():
        inter_mu[maybe] = area_mu(gpd.GeoSeries(inter[maybe], crs=metric), center).to_numpy()
    big = inter_mu > tol
    ids = parcels["parcel_id"].to_numpy()
    rows = parcels.index.to_numpy()
    for i, j, mu in zip(left[big], right[big], inter_mu[big]):
        report.warning("parcels", "OVERLAP", f"与地块 {ids[i]} 重叠 {mu:.2f} 亩；合计时只计一次"
                       f"（计入 {ids[i]}）", row=rows[j], field="geometry")
    later = np.unique(right[big])
    for j in later:  # few: overlaps are data errors
        earlier = left[big & (right == j)]
        rest = shapely.difference(geoms[j], shapely.union_all(geoms[earlier]))
        net.iloc[j] = area_mu(gpd.GeoSeries([rest], crs=metric), center).iloc[0]
    return net
