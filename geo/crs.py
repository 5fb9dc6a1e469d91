"""Coordinate reference systems: pick a metric working CRS, and name what a CRS is."""
from __future__ import annotations

import numpy as np
from pyproj import CRS

from geo.errors import CRSError

CGCS2000 = CRS.from_epsg(4490)
_GK3_FIRST_EPSG = 4534        # CGCS2000 / 3-degree Gauss-Kruger CM 75E (no zone prefix) ... 4554 = CM 135E
_MERCATOR_METHODS = ("mercator", "popular visualisation pseudo mercator")
XIAN80_EPSG = {4610, *range(2327, 2391)}


def gk3_epsg_for_longitude(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Krüger zone (no prefix) whose central meridian is nearest ``lon``."""
    cm = 3 * round(lon / 3.0)
    cm = min(max(cm, 75), 135)
    return _GK3_FIRST_EPSG + (cm - 75) // 3


def is_metric_planar(crs: CRS) -> bool:
    """True for a projected CRS in metres that measures distances faithfully (so not Web Mercator)."""
    if crs is None or not crs.is_projected:
        return False
    method = (crs.coordinate_operation.method_name or "").lower() if crs.coordinate_operation else ""
    unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
    # (pseudo) Mercator inflates areas; Transverse Mercator (Gauss-Krüger, UTM) does not, though its name has it too
    plain_mercator = method.startswith(_MERCATOR_METHODS[0]) or _MERCATOR_METHODS[1] in method
    return unit in ("metre", "meter") and not plain_mercator


def require_crs(crs, what: str) -> CRS:
    if crs is None:
        raise CRSError(f"{what} 没有坐标系（缺少 CRS）：请在 QGIS 中为该图层指定坐标系，"
                       "如 CGCS2000 / 3-degree Gauss-Kruger (EPSG:4544)")
    return CRS.from_user_input(crs)


def working_crs(crs: CRS, lon_lat_center: tuple[float, float]) -> CRS:
    """The CRS geometry operations run in: the layer's own when it is metric and faithful, else a CGCS2000 GK zone."""
    if is_metric_planar(crs):
        return crs
    return CRS.from_epsg(gk3_epsg_for_longitude(lon_lat_center[0]))


def local_equal_area_crs(lon: float, lat: float) -> CRS:
    """Lambert azimuthal equal-area on GRS80 centred on the data: areas in it are ellipsoidal areas."""
    if not (np.isfinite(lon) and np.isfinite(lat)):
        lon, lat = 105.0, 30.0
    return CRS.from_proj4(f"+proj=laea +lat_0={lat:.6f} +lon_0={lon:.6f} +ellps=GRS80 +units=m +no_defs")


def is_xian80(crs: CRS) -> bool:
    """Xian 1980 based data: PROJ converts it to CGCS2000 only approximately."""
    try:
        geod = crs.geodetic_crs
        return (geod is not None and "xian" in (geod.name or "").lower()) or (crs.to_epsg() in XIAN80_EPSG)
    except Exception:  # pragma: no cover - exotic CRS
        return False


def describe(crs: CRS | None) -> str:
    if crs is None:
        return "无坐标系"
    epsg = crs.to_epsg()
    return f"{crs.name} (EPSG:{epsg})" if epsg else crs.name
