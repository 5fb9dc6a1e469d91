"""Basemaps. Offline ones (default): a hillshade rendered from the workspace DEM, or plain. Online options:
天地图 (CGCS2000, no offset; key ``Settings.app.tianditu_key``: config or $LANDGAP_TIANDITU_KEY), OpenStreetMap, and
高德 (GCJ-02: the vector data must be shifted onto it, see ``needs_gcj02``)."""
from __future__ import annotations

import base64
import functools
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HILLSHADE, PLAIN, TIANDITU, OSM, GAODE = "hillshade", "plain", "tianditu", "osm", "gaode"
BASEMAP_LABELS: dict[str, str] = {
    HILLSHADE: "山体阴影（离线，由 DEM 生成）",
    PLAIN: "空白底图（离线）",
    TIANDITU: "天地图（需联网及 key）",
    OSM: "OpenStreetMap（需联网）",
    GAODE: "高德地图（需联网，数据按 GCJ-02 纠偏）",
}
OFFLINE_BASEMAPS = (HILLSHADE, PLAIN)
MAX_SHADE_PX = 1400   # the image's longer side: enough for county scale, small in the payload


def available_basemaps(has_dem: bool, tianditu_key: str) -> list[str]:
    """Basemaps the user can pick: hillshade only with a DEM, 天地图 only with a key (``Settings.app.tianditu_key``:
    $LANDGAP_TIANDITU_KEY overrides config [app] tianditu_key; '' when none)."""
    out = [HILLSHADE] if has_dem else []
    out.append(PLAIN)
    if tianditu_key:
        out.append(TIANDITU)
    return out + [OSM, GAODE]


def needs_gcj02(basemap: str) -> bool:
    return basemap == GAODE


@dataclass(frozen=True)
class Shade:
    data_url: str                                   # image/jpeg as a data: URI (no request at all)
    bounds: tuple[tuple[float, float], tuple[float, float]]   # ((south, west), (north, east)) in lat/lon


def hillshade_overlay(dem_path: str | Path) -> Shade:
    """The DEM's hillshade warped to Web Mercator (so an L.imageOverlay stretched over its bounds is exact)."""
    path = Path(dem_path)
    return _hillshade(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _hillshade(path: str, _mtime: int) -> Shade:
    from formats.dem import read_dem
    from geo.terrain import hillshade
    dem = read_dem(path)
    shade = hillshade(dem).astype(np.float32)
    shade = 150.0 + shade * (105.0 / 255.0)          # light relief: parcels drawn over it stay readable
    shade[~np.isfinite(dem.elevation)] = 255.0
    bands, bounds = _to_web_mercator(dem, [shade], fill=255.0)
    return Shade(_data_url(np.clip(bands[0], 0, 255).astype(np.uint8), "L", "JPEG"), bounds)


def slope_overlay(dem_path: str | Path, max_slope_pct: float) -> Shade:
    """The DEM's slope as a transparent overlay: land steeper than ``max_slope_pct`` red, from 8 % (terraced
    leveling, CJJ 83-2016) orange, flatter land clear."""
    path = Path(dem_path)
    return _slope(str(path), path.stat().st_mtime_ns, float(max_slope_pct))


SLOPE_TERRACED_PCT = 8.0        # CJJ 83-2016: above 8 % the site is laid out in terraces


@functools.lru_cache(maxsize=8)
def _slope(path: str, _mtime: int, max_pct: float) -> Shade:
    from formats.dem import read_dem
    from geo.earthwork import slope_pct
    dem = read_dem(path)
    pct = slope_pct(dem.elevation, abs(dem.transform.a), abs(dem.transform.e))
    steep, terraced = pct > max_pct, (pct > SLOPE_TERRACED_PCT) & (pct <= max_pct)
    rgba = [np.where(steep, 200.0, np.where(terraced, 240.0, 0.0)),
            np.where(steep, 30.0, np.where(terraced, 150.0, 0.0)),
            np.where(steep, 30.0, np.where(terraced, 30.0, 0.0)),
            np.where(steep, 150.0, np.where(terraced, 90.0, 0.0))]
    bands, bounds = _to_web_mercator(dem, [b.astype(np.float32) for b in rgba], fill=0.0)
    return Shade(_data_url(np.dstack([np.clip(b, 0, 255).astype(np.uint8) for b in bands]), "RGBA", "PNG"), bounds)


def _to_web_mercator(dem, bands: list[np.ndarray], fill: float):
    """``bands`` on the DEM's grid warped to Web Mercator (at most ``MAX_SHADE_PX`` a side), so an L.imageOverlay
    stretched over the returned ((south, west), (north, east)) is exact."""
    from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds
    h, w = bands[0].shape
    left, bottom, right, top = dem.bounds
    transform, width, height = calculate_default_transform(dem.crs, "EPSG:3857", w, h, left, bottom, right, top)
    scale = max(width, height) / MAX_SHADE_PX
    if scale > 1:
        width, height = int(width / scale), int(height / scale)
        transform = transform * transform.scale(scale, scale)
    out = []
    for band in bands:
        dst = np.full((height, width), fill, dtype=np.float32)
        reproject(band, dst, src_transform=dem.transform, src_crs=dem.crs, dst_transform=transform,
                  dst_crs="EPSG:3857", resampling=Resampling.bilinear, dst_nodata=fill)
        out.append(dst)
    west, south, east, north = transform_bounds(
        "EPSG:3857", "EPSG:4326", transform.c, transform.f + transform.e * height,
        transform.c + transform.a * width, transform.f)
    return out, ((south, west), (north, east))


def _data_url(pixels: np.ndarray, mode: str, fmt: str) -> str:
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(pixels, mode=mode).save(buf, format=fmt, **({"quality": 80} if fmt == "JPEG" else {}))
    return f"data:image/{fmt.lower()};base64," + base64.b64encode(buf.getvalue()).decode()


def tianditu_url(layer: str, key: str) -> str:
    """WMTS tile URL of a 天地图 layer in Web Mercator (vec_w roads, cva_w annotation, img_w imagery)."""
    return (f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
            f"&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILECOL={{x}}&TILEROW={{y}}"
            f"&TILEMATRIX={{z}}&tk={key}")


OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
GAODE_URL = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
