"""CRS and datum of a file from elsewhere: missing or unusable CRS → an error listing the EPSG codes the
coordinates suggest; Xian 1980 / Beijing 1954 → a warning with the size of PROJ's error, or the bureau's own
7-parameter transformation when configured; GCJ-02 (高德, 奥维 ≥ 9.3, DataV) ↔ WGS-84, vectorised."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.transformer import TransformerGroup

from formats import CRSMissingError, FormatError
from geo.crs import gk3_epsg_for_longitude
from geo.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02  # noqa: F401 (the datum functions of this module)

DATUMS = ("cgcs2000", "wgs84", "gcj02")


def transform_geoms(geoms, func):
    """``func(x, y) → (x, y)`` over every vertex of ``geoms`` (vectorised)."""
    return shapely.transform(np.asarray(geoms), lambda xy: np.column_stack(func(xy[:, 0], xy[:, 1])))


# ------------------------------------------------------------------------------------------------ missing CRS

def candidate_epsg(bounds, hint_lon: float | None = None) -> list[int]:
    """EPSG codes the coordinates' magnitudes suggest: lon/lat → 4490; an easting with a zone prefix → that
    zone's prefixed CGCS2000 code (3° or 6°); a plain GK easting → the zone of ``hint_lon`` (the workspace's
    centre) and its neighbours."""
    minx, miny, maxx, maxy = bounds
    if not np.all(np.isfinite(bounds)):
        return []
    if -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90:
        return [4490, 4326]
    if 1e6 <= minx and maxx < 1e8 and 1e5 < miny < 7e6:
        zone = int(minx // 1e6)
        if 25 <= zone <= 45:
            return [4513 + zone - 25]
        if 13 <= zone <= 23:
            return [4491 + zone - 13]
    if 1e5 < minx and maxx < 1e6 and 1e6 < miny and maxy < 7e6:
        if hint_lon is not None and np.isfinite(hint_lon):
            own = gk3_epsg_for_longitude(hint_lon)
            return [own] + [e for e in (own - 1, own + 1) if 4534 <= e <= 4554]
        return list(range(4541, 4547))
    return []


def missing_crs(what: str, bounds, hint_lon: float | None, why: str) -> CRSMissingError:
    found = candidate_epsg(bounds, hint_lon)
    names = "、".join(f"EPSG:{e}（{CRS.from_epsg(e).name}）" for e in found)
    local = "" if found else ("；坐标像是 CAD 的局部坐标（不是经纬度，也不是高斯-克吕格坐标），"
                              "需先在 CAD/GIS 中配准到 CGCS2000")
    return CRSMissingError(f"{what}：{why}，无法确定坐标系：请指定坐标系"
                           + (f"；按坐标数值，可能是 {names}" if found else "") + local, found)


def usable_crs(crs) -> CRS | None:
    """``crs`` when PROJ can transform it (geographic or projected with a datum); None for LOCAL_CS/engineering,
    an unknown or an empty definition."""
    if crs is None:
        return None
    try:
        crs = CRS.from_user_input(crs)
    except Exception:
        return None
    if crs.is_engineering or crs.type_name in ("Engineering CRS", "Unknown CRS") or crs.geodetic_crs is None:
        return None
    return crs


# ------------------------------------------------------------------------------------------------ old datums

def old_datum(crs: CRS) -> str | None:
    """"xian80" / "beijing54" for CRSs on those datums, else None."""
    name = (crs.geodetic_crs.name if crs.geodetic_crs else crs.name or "").lower()
    if "xian" in name or "xi'an" in name:
        return "xian80"
    if "beijing" in name:
        return "beijing54"
    return None


def seven_parameters(datum: str, table: Mapping[str, Mapping] | None) -> dict | None:
    """The bureau's own Bursa-Wolf transformation to CGCS2000 for ``datum``, from ``table`` (the configuration's
    ``[import] seven_parameters``, ``geo.settings.ImportSettings``; None = none)::

        [import.seven_parameters.xian80]
        towgs84 = [dx, dy, dz, rx, ry, rz, ds]     # m, arc-seconds, ppm (position vector)
        source = "XX县自然资源局 2021 年求取的西安80→2000 转换参数"
    """
    entry = (table or {}).get(datum)
    if not entry:
        return None
    params = list(entry.get("towgs84", []))
    if len(params) != 7:
        raise FormatError(f"配置 [import.seven_parameters.{datum}] 的 towgs84 应为 7 个数（平移 m、旋转″、尺度 ppm）")
    return {"towgs84": [float(p) for p in params], "source": str(entry.get("source", "未注明来源"))}


def to_target(geoms, crs: CRS, target: CRS, center_lonlat, seven_table: Mapping[str, Mapping] | None = None
              ) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """``geoms`` from ``crs`` into ``target`` (a CGCS2000-based CRS) once; the issues [(level, message)] on the
    datum: the 7 parameters of ``seven_table`` (``seven_parameters``' table) when it has the datum's, else PROJ with a
    warning sized from the EPSG data."""
    issues: list[tuple[str, str]] = []
    if crs.equals(target):
        return np.asarray(geoms), issues
    datum = old_datum(crs)
    label = {"xian80": "西安1980", "beijing54": "北京1954"}.get(datum or "")
    if datum:
        seven = seven_parameters(datum, seven_table)
        if seven:
            src = CRS.from_proj4(f"{crs.to_proj4()} +towgs84={','.join(map(str, seven['towgs84']))}")
            dst = CRS.from_proj4(f"{target.to_proj4()} +towgs84=0,0,0,0,0,0,0")
            t = Transformer.from_crs(src, dst, always_xy=True)
            issues.append(("info", f"坐标系为{label}（{crs.name}）：按配置的七参数转换到 CGCS2000"
                                   f"（{seven['source']}）"))
            return shapely.transform(np.asarray(geoms), t.transform, interleaved=False), issues
        issues.append(("warning", _datum_warning(datum, label, crs, center_lonlat)))
    t = Transformer.from_crs(crs, target, always_xy=True)
    return shapely.transform(np.asarray(geoms), t.transform, interleaved=False), issues


def _datum_warning(datum: str, label: str, crs: CRS, center) -> str:
    group = TransformerGroup(crs.geodetic_crs, CRS.from_epsg(4490), always_xy=True)
    used = _bare(group.transformers[0].description) if group.transformers else "无"
    text = (f"坐标系为{label}（{crs.name}）：PROJ 只有“{used}”——经纬度原样沿用、不做基准平移，PROJ 标注其精度为未知；"
            "位置误差即两基准在当地的实际差异")
    if datum == "beijing54" and center is not None and np.all(np.isfinite(center)):
        # the EPSG dataset's Beijing 1954 → WGS 84 transformations (≈ CGCS2000 at this scale) give its size here
        lon, lat = center
        best = [t for t in TransformerGroup(4214, 4326, always_xy=True,
                                            area_of_interest=AreaOfInterest(lon, lat, lon, lat)).transformers
                if t.accuracy and t.accuracy > 0]
        if best:
            x1, y1 = best[0].transform(lon, lat)
            d = np.hypot((x1 - lon) * 111_320 * np.cos(np.radians(lat)), (y1 - lat) * 110_574)
            text += f"，按 EPSG 的“{_bare(best[0].description)}”（精度 {best[0].accuracy:g} m）估算本地约 {d:.0f} m"
        else:
            text += "；EPSG 数据集中也没有覆盖此地的北京54→WGS 84 参数，误差无从估算"
    return text + "。如有本局的七参数，可在配置 [import.seven_parameters] 中填写后重新导入"


def _bare(description: str) -> str:
    return description.replace("axis order change (2D) + ", "").replace(" + axis order change (2D)", "")
