"""DXF from CAD (the planning institute's drawings): closed polylines and hatches become polygons; a polyline that
does not close, and every other entity, is rejected and reported by its handle (CAD's own id: ``HANDLE`` in the
property panel). A DXF has no CRS: the planner gives ``--crs``."""
from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from formats import FormatError
from formats.source import SourceLayer

CLOSE_TOLERANCE_M = 0.001
"""A polyline whose ends are this close (drawing units) is closed."""


def read_dxf(path: Path, name: str):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = pyogrio.read_dataframe(path, fid_as_index=True)
    except Exception as exc:
        raise FormatError(f"无法读取 {name}（DXF）：{exc}") from exc
    if "EntityHandle" in frame.columns and frame["EntityHandle"].notna().all():
        frame.index = frame["EntityHandle"].astype(str).to_numpy()
    geoms = shapely.force_2d(np.asarray(frame.geometry.values))
    types = shapely.get_type_id(geoms)
    polygonal = np.isin(types, (3, 6))
    line = types == 1
    coords_first = shapely.get_point(geoms, 0)
    coords_last = shapely.get_point(geoms, -1)
    closed = line & (shapely.distance(coords_first, coords_last) <= CLOSE_TOLERANCE_M) & \
        (shapely.get_num_points(geoms) >= 4)
    out = geoms.copy()
    if closed.any():
        out[closed] = shapely.polygons(shapely.linearrings(shapely.get_coordinates(geoms[closed]),
                                                           indices=np.repeat(np.arange(closed.sum()),
                                                                             shapely.get_num_points(geoms[closed]))))
    keep = polygonal | closed
    rejected = {}
    gap = shapely.distance(coords_first, coords_last)
    entity = frame["SubClasses"].astype(str).to_numpy() if "SubClasses" in frame.columns else np.full(len(frame), "")
    for label, is_line, g, sub in zip(frame.index[~keep], line[~keep], gap[~keep], entity[~keep]):
        rejected[label] = (f"多段线未闭合（首尾相距 {g:.3f}），不能作为面：请在 CAD 中闭合（PEDIT → 闭合）"
                           if is_line else f"不是闭合多段线或填充（{sub or '其他实体'}），已跳过")
    layer_col = frame["Layer"] if "Layer" in frame.columns else None
    kept = gpd.GeoDataFrame({"cad_handle": frame.index[keep].astype(str),
                             "cad_layer": layer_col[keep].to_numpy() if layer_col is not None else None},
                            geometry=out[keep], index=frame.index[keep], crs=None)
    notes = [f"{name}：DXF 中 {int(closed.sum())} 条闭合多段线、{int(polygonal.sum())} 个填充/面转为面；"
             "DXF 没有地块编号时以 CAD 句柄（cad_handle）作编号"]
    return SourceLayer(name, "DXF", kept, "CAD 句柄", None, notes, rejected, len(frame))
