"""DEMs on disk: ``<workspace>.dem.tif`` beside the GeoPackage read into a ``Dem``, and the part of any DEM under a
set of parcels read (or warped into their metric CRS) into a ``DemGrid`` for per-parcel terrain."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd

import numpy as np
from pyproj import CRS

from geo.errors import CRSError, WorkspaceError
from formats.fileio import readable
from geo import earthwork as ew
from geo.parcel_terrain import READ_TILE, DemGrid
from geo.terrain import Dem

DEM_SUFFIX = ".dem.tif"


def dem_beside(gpkg: str | Path) -> Path | None:
    """The DEM belonging to a workspace file (``county.gpkg`` → ``county.dem.tif``) when it exists."""
    gpkg = Path(gpkg)
    dem = gpkg.with_name(gpkg.stem + DEM_SUFFIX)
    return dem if dem.exists() else None


def read_dem(path: str | Path) -> Dem:
    """The first band of a GeoTIFF as a Dem (nodata → NaN). Raises WorkspaceIOError when the file cannot be
    reached, CRSError when it has no CRS, WorkspaceError when it is no raster GDAL reads."""
    import rasterio
    path = readable(path, "高程文件（DEM）")
    try:
        with rasterio.open(path) as src:
            z = src.read(1, masked=True).astype("float32").filled(np.nan)
            if src.crs is None:
                raise CRSError(f"DEM {path} 没有坐标系")
            return Dem(z, src.transform, CRS.from_user_input(src.crs))
    except rasterio.errors.RasterioIOError as exc:
        raise WorkspaceError(f"无法读取 DEM {path}：{exc}（应为 GeoTIFF 高程栅格）") from exc


def read_dem_for(path: str | Path, parcels: gpd.GeoDataFrame, margin_cells: int = 2) -> DemGrid:
    """The part of the DEM file under the parcels (plus a margin for the slope kernel), as a DemGrid.

    A DEM in a metric planar CRS is read as it is (a window); otherwise it is warped bilinearly into the parcels'
    metric working CRS at about its own resolution. Raises WorkspaceError when the file cannot be read or has no CRS.
    """
    import rasterio
    from rasterio.warp import calculate_default_transform, reproject, Resampling, transform_bounds
    from rasterio.windows import Window, from_bounds

    from geo.area import lon_lat_center
    from geo.crs import is_metric_planar, working_crs

    path = readable(path, "高程文件（DEM）")
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise WorkspaceError(f"无法读取 DEM {path}：{exc}（应为 GeoTIFF 高程栅格）") from exc
    with src:
        if src.crs is None:
            raise CRSError(f"DEM {path} 没有坐标系")
        dem_crs = CRS.from_user_input(src.crs)
        left, bottom, right, top = transform_bounds(parcels.crs, dem_crs, *parcels.total_bounds, densify_pts=21)
        win = from_bounds(left, bottom, right, top, transform=src.transform)
        win = Window(int(np.floor(win.col_off)) - margin_cells, int(np.floor(win.row_off)) - margin_cells,
                     int(np.ceil(win.width)) + 2 * margin_cells + 1, int(np.ceil(win.height)) + 2 * margin_cells + 1)
        win = win.intersection(Window(0, 0, src.width, src.height)) if _overlaps(win, src) else None
        if win is None:
            t = src.transform
            return DemGrid(np.full((0, 0), np.nan, np.float32), t, dem_crs)
        transform = src.window_transform(win)
        if is_metric_planar(dem_crs):
            # only the tiles under some parcel (a county's parks cover a fraction of its DEM); the rest stays NaN
            h, w = int(win.height), int(win.width)
            bounds = parcels.geometry.to_crs(dem_crs).bounds.to_numpy() if parcels.crs != dem_crs \
                else parcels.geometry.bounds.to_numpy()
            active = ew.active_tiles(bounds, transform, (h, w), READ_TILE, margin_cells)
            if active.mean() > 0.6:
                z = src.read(1, window=win, masked=True).astype("float32").filled(np.nan)
                return DemGrid(z, transform, dem_crs)
            z = np.full((h, w), np.nan, dtype=np.float32)
            for ty, tx in zip(*np.nonzero(active)):
                r0, c0 = int(ty) * READ_TILE, int(tx) * READ_TILE
                r1, c1 = min(h, r0 + READ_TILE), min(w, c0 + READ_TILE)
                sub = Window(win.col_off + c0, win.row_off + r0, c1 - c0, r1 - r0)
                z[r0:r1, c0:c1] = src.read(1, window=sub, masked=True).astype("float32").filled(np.nan)
            return DemGrid(z, transform, dem_crs)
        z = src.read(1, window=win, masked=True).astype("float32").filled(np.nan)
        target = working_crs(CRS.from_user_input(parcels.crs), lon_lat_center(parcels.geometry))
        h, w = z.shape
        b = rasterio.windows.bounds(Window(0, 0, w, h), transform)
        dst_t, dw, dh = calculate_default_transform(dem_crs, target, w, h, *b)
        out = np.full((dh, dw), np.nan, np.float32)
        reproject(z, out, src_transform=transform, src_crs=dem_crs, src_nodata=np.nan, dst_transform=dst_t,
                  dst_crs=target, dst_nodata=np.nan, resampling=Resampling.bilinear)
        return DemGrid(out, dst_t, target)


def _overlaps(win, src) -> bool:
    return (win.col_off < src.width and win.row_off < src.height and win.col_off + win.width > 0
            and win.row_off + win.height > 0)


def workspace_dem(ws) -> Dem | None:
    """The workspace's own DEM (``<stem>.dem.tif`` beside it) when it has one, else None."""
    path = getattr(ws, "dem_path", None)
    return read_dem(path) if path is not None and Path(path).exists() else None
