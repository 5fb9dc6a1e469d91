"""The GeoPackage store of a workspace: read a .gpkg into a validated Workspace, save one atomically.

``read_workspace`` → (Workspace | None, LoadReport) never raises for bad data, it reports; ``load_workspace`` raises
ValidationError when the report has errors; ``save_workspace`` is atomic. A file that cannot be reached (missing,
unreadable, a folder that cannot be written) is a WorkspaceIOError; a readable file that is not a GeoPackage is a
WorkspaceError.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import pyogrio.raw
import shapely
from pyproj import CRS

from formats.dem import dem_beside
from formats.fileio import os_errors, prepare_folder, readable
from geo.errors import ValidationError, WorkspaceError
from geo.report import LoadReport
from geo.schema import CONSTRAINT_LAYERS, DERIVED_COLUMNS, LAYERS, REQUIRED_LAYERS, STORE_COLUMNS
from geo.settings import Settings
from geo.workspace import Workspace, build_workspace, shared_text


def read_layers(path: Path, report: LoadReport, county: str | None = None) -> dict[str, pd.DataFrame]:
    """The workspace layers of a GeoPackage (fid as index); a missing required layer is an error in ``report``.
    ``county``: only that county's parks, their parcels and factories (a ``zone_id IN (…)`` filter pushed into
    GDAL's SQL, not a filter after reading everything) and its projects (``geo.county``)."""
    readable(path, "工作空间文件")
    try:
        names = {row[0] for row in pyogrio.list_layers(path)}
    except Exception as exc:  # GDAL's message is the useful part
        raise WorkspaceError(f"无法打开工作空间文件 {path}：{exc}（应为 GeoPackage .gpkg 文件）") from exc
    layers: dict[str, pd.DataFrame] = {}
    report.missing_layers(LAYERS, REQUIRED_LAYERS, names, path.name)
    where: dict[str, str] = {}
    for name in LAYERS:
        if name not in names:
            continue
        with warnings.catch_warnings(), os_errors(path, "无法读取工作空间文件"):
            warnings.simplefilter("ignore")
            try:
                frame = pyogrio.read_dataframe(path, layer=name, fid_as_index=True, where=where.get(name))
            except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:   # a damaged layer
                raise WorkspaceError(f"工作空间文件 {path} 的图层 {name} 无法读取：{exc}") from exc
        # a file the team store has written carries its bookkeeping columns: not layer data
        layers[name] = shared_text(frame.drop(columns=[c for c in STORE_COLUMNS if c in frame.columns]))
        if county is not None and name == "zones":
            layers[name], where = county_filter(layers[name], county)
    if county is not None and "projects" in layers:
        layers["projects"] = county_projects(layers["projects"], layers.get("zones"), county)
    return layers


def county_tables(path: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The zones (without geometry) and projects of a GeoPackage, county codes normalised, indexed by id: enough
    to plan a county-by-county run without reading the parcels."""
    from geo.county import normalise_codes
    frames = []
    for name in ("zones", "projects"):
        frame = pyogrio.read_dataframe(path, layer=name, read_geometry=False)
        frame = frame.assign(**{c: normalise_codes(frame[c]) for c in ("county_code",) if c in frame.columns})
        if name == "projects" and "any_county" in frame.columns:
            frame["any_county"] = pd.to_numeric(frame["any_county"], errors="coerce")
        frames.append(frame.set_index(LAYERS[name].id_field, drop=False).rename_axis(None))
    return frames[0], frames[1]


def county_filter(zones: pd.DataFrame, county: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """One county's parks (raises InputError for a code no park has) and the SQL ``where`` of its parcels and
    factories."""
    from geo.county import counties, normalise_codes
    from geo.errors import InputError
    from geo.vocab import FIELD_LABELS
    frame = zones.assign(county_code=normalise_codes(zones["county_code"])) if "county_code" in zones.columns \
        else zones.assign(county_code=None)
    known = counties(frame)
    if county not in known:
        raise InputError(f"{FIELD_LABELS['county_code']}“{county}”不在本工作空间中；"
                         f"现有：{'、'.join(c or '（未填）' for c in known) or '（园区均未填县代码）'}")
    mine = zones[(frame["county_code"].fillna("") == county).to_numpy()]
    ids = ", ".join("'" + str(z).replace("'", "''") + "'" for z in mine["zone_id"].dropna())
    clause = f"zone_id IN ({ids})" if ids else "1 = 0"
    return mine, {"parcels": clause, "factories": clause}


def county_projects(projects: pd.DataFrame, zones: pd.DataFrame | None, county: str) -> pd.DataFrame:
    """The projects whose county is ``county`` (``geo.county.project_home`` on the file's cells)."""
    from geo.county import normalise_codes, project_home
    if zones is None or "preferred_zone" not in projects.columns:
        return projects
    z = zones.assign(county_code=normalise_codes(zones["county_code"])).set_index("zone_id", drop=False)
    p = projects.assign(county_code=normalise_codes(projects["county_code"])) \
        if "county_code" in projects.columns else projects
    return projects[project_home(p, z) == (county or None)]


def read_constraint(path, into: str) -> gpd.GeoDataFrame | None:
    """A constraint layer stored in the workspace GeoPackage (every field of the source kept), or None."""
    if path is None or not Path(path).exists():
        return None
    if into not in {str(n) for n, _ in pyogrio.list_layers(path)}:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = pyogrio.read_dataframe(path, layer=into)
    return frame.drop(columns=[c for c in STORE_COLUMNS if c in frame.columns])


def read_constraints(path, crs) -> dict[str, gpd.GeoDataFrame]:
    """Every non-empty constraint layer of the GeoPackage, in ``crs`` (the workspace's): name → layer."""
    out = {}
    for name in CONSTRAINT_LAYERS:
        frame = read_constraint(path, name)
        if frame is None or not len(frame):
            continue
        if frame.crs is None:
            frame = frame.set_crs(crs)
        elif not CRS.from_user_input(frame.crs).equals(crs):
            frame = frame.to_crs(crs)
        out[name] = frame
    return out


def write_constraint(path: Path, name: str, frame: gpd.GeoDataFrame) -> None:
    """Write (or overwrite) one constraint layer of the GeoPackage at ``path``."""
    geom_type = "MultiPolygon" if (frame.geom_type == "MultiPolygon").any() else "Polygon"
    pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", promote_to_multi=geom_type == "MultiPolygon",
                            geometry_type=geom_type, layer_options={"OVERWRITE": "YES"})


def read_workspace(path: str | os.PathLike, settings: Settings,
                   county: str | None = None) -> tuple[Workspace | None, LoadReport]:
    """Read and validate a GeoPackage with the caller's ``settings`` ([validation], [matching] stage_priority, the
    protected-land check); the report lists every problem, naming features by id and fid; Workspace is None when
    there are errors. Its DEM is the ``<name>.dem.tif`` beside it, when there is one. ``county``: that county's
    rows only (``read_layers``)."""
    path = Path(path)
    report = LoadReport(source=str(path))
    layers = read_layers(path, report, county)
    if report.errors:
        return None, report
    ws, report = build_workspace(layers, source=str(path), report=report, rows="fid",
                                 validation=settings.validation, stage_priority=settings.matching.stage_priority)
    if ws is not None:
        ws = replace(ws, path=path, dem_path=dem_beside(path), constraints=read_constraints(path, ws.crs))
        from geo.netland import report_constraints
        frame = layers["parcels"]
        report_constraints(ws, pd.Series(frame.index, index=frame["parcel_id"].astype(str)), report, settings)
    return ws, report


def load_workspace(path: str | os.PathLike, settings: Settings, county: str | None = None) -> Workspace:
    """Read a workspace with the caller's ``settings`` (``county``: that county's rows only); raise
    ValidationError (with ``.report``) if it has errors."""
    ws, report = read_workspace(path, settings, county)
    if ws is None:
        lines = "\n".join(str(i) for i in report.errors[:20])
        raise ValidationError(f"工作空间 {path} 有 {report.summary()}：\n{lines}", report)
    return ws


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
        elif kind == "integer" or (kind != "text" and (pd.api.types.is_integer_dtype(s)
                                                        or pd.api.types.is_bool_dtype(s))):
            num = pd.to_numeric(s, errors="coerce")
            data.append(num.fillna(0).astype(np.int64).to_numpy())
            masks.append(num.isna().to_numpy() if num.isna().any() else None)
        elif kind == "real" or (kind != "text" and pd.api.types.is_float_dtype(s)):    # an empty text column: TEXT
            data.append(pd.to_numeric(s, errors="coerce").astype(float).to_numpy())
            masks.append(None)
        else:
            data.append(np.array([None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                                  for v in s.astype(object)], dtype=object))
            masks.append(None)
    return columns, data, masks


def write_layer(path: Path, name: str, frame: pd.DataFrame, crs: CRS) -> None:
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
    """Write the workspace (its constraint layers too) atomically: a temporary file next to ``path``, fsynced, then
    renamed over it. Any failure leaves the previous file as it was and is a WorkspaceIOError naming ``path``."""
    path = Path(path)
    prepare_folder(path, "工作空间")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.gpkg")
    try:
        with os_errors(path, "保存工作空间 {path} 失败（原文件未改动）"):
            tmp.unlink(missing_ok=True)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    for name in LAYERS:
                        write_layer(tmp, name, getattr(ws, name), ws.crs)
                    for name, frame in ws.constraints.items():     # the 三区三线 layers travel with it
                        write_constraint(tmp, name, frame)
            except pyogrio.errors.DataSourceError as exc:   # GDAL cannot create or write the file: I/O
                raise OSError(str(exc)) from exc
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, Exception) and not isinstance(exc, WorkspaceError):   # a value GDAL refuses
            raise WorkspaceError(f"保存工作空间 {path} 失败（原文件未改动）：{exc}") from exc
        raise
    return path
