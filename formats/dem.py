"""DEMs on disk: ``<workspace>.dem.tif`` beside the GeoPackage read into a ``Dem``, and the part of any DEM under a
set of parcels read (or warped into their metric CRS) into a ``DemGrid`` for per-parcel terrain. The too-steep land
the engine excludes is read here when a workspace is loaded (``with_steep_land``) and handed over as polygons."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
from affine import Affine
from pyproj import CRS

from formats.fileio import readable
from geo import earthwork as ew
from geo.errors import CRSError, WorkspaceError
from geo.netland import candidates
from geo.parcel_terrain import READ_TILE, Coverage, DemGrid, exact_coverage, slope_under
from geo.terrain import Dem, SteepLand, parcels_key
from geo.workspace import Workspace

DEM_SUFFIX = ".dem.tif"
STEEP_TILE = 1024        # polygonising too-steep land tile by tile (skipping tiles without a steep cell)


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
    from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds
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


def workspace_dem(ws: Workspace) -> Dem | None:
    """The workspace's own DEM (``<stem>.dem.tif`` beside it) when it has one, else None."""
    path = getattr(ws, "dem_path", None)
    return read_dem(path) if path is not None and Path(path).exists() else None


def steep_land(ws: Workspace, max_slope_pct: float) -> SteepLand:
    """The too-steep land under the workspace's ``geo.netland.candidates`` (available and pipeline parcels), in
    their metric CRS: the DEM window under them, its slope and the steep cells any of them covers, polygonised."""
    parcels = candidates(ws)
    key = parcels_key(parcels)
    if ws.dem_path is None or not len(parcels):
        return SteepLand(max_slope_pct, None, key)
    grid = read_dem_for(ws.dem_path, parcels)
    if grid.z.size == 0:
        return SteepLand(max_slope_pct, None, key)
    geoms = parcels.geometry if parcels.crs == grid.crs else parcels.geometry.to_crs(grid.crs)
    slope = slope_under(grid, geoms)
    steep = steep_polygons(grid, slope, max_slope_pct, within=exact_coverage(geoms, grid.transform, grid.z.shape))
    steep = steep.to_crs(parcels.crs) if len(steep) and steep.crs != parcels.crs else steep
    return SteepLand(max_slope_pct, steep, key)


def with_steep_land(ws: Workspace, max_slope_pct: float):
    """The workspace with its DEM's steep land loaded (``Workspace.steep``) for ``max_slope_pct`` ([terrain]): the
    edge calls this when it loads a workspace for the engine. The same object when there is no DEM or the land is
    already loaded for these parcels and this threshold (an edited copy whose parcels changed is read again)."""
    if ws is None or ws.dem_path is None:
        return ws
    steep = ws.steep
    if steep is not None and steep.max_slope_pct == max_slope_pct and steep.parcels_key == parcels_key(candidates(ws)):
        return ws
    return dataclasses.replace(ws, steep=steep_land(ws, max_slope_pct))


def steep_polygons(grid: DemGrid, slope_pct: np.ndarray, max_slope_pct: float, *, within: Coverage | None = None,
                   sieve_cells: int = 0) -> gpd.GeoSeries:
    """Too-steep land (slope > ``max_slope_pct``) as polygons in the grid's CRS, for the ``slope`` exclusion.

    Cells are polygonised with rasterio.features.shapes (4-connected), one polygon per connected steep region
    (dissolved by construction; holes kept), tile by tile (``STEEP_TILE`` cells) so tiles without steep land cost
    nothing: a region crossing a tile edge comes as one polygon per tile (the same land excluded). ``within``: only
    cells some parcel covers (the rest of a county DEM is irrelevant and would cost polygons); ``sieve_cells``:
    regions smaller than this many cells are dropped first (rasterio.features.sieve), 0 = keep all. Nodata cells
    are never steep.
    """
    from rasterio import features
    mask = np.zeros(grid.z.shape, dtype=np.uint8)
    if grid.z.size == 0:
        return gpd.GeoSeries([], crs=grid.crs)
    with np.errstate(invalid="ignore"):
        steep = slope_pct > max_slope_pct                 # NaN (nodata) compares False
    if within is not None:
        inside = np.zeros(grid.z.size, dtype=bool)
        inside[within.cell] = True
        steep &= inside.reshape(grid.z.shape)
    mask[steep] = 1
    if sieve_cells and sieve_cells > 1 and mask.any():
        mask = features.sieve(mask, size=int(sieve_cells), connectivity=4)
        mask[~steep] = 0
    if not mask.any():
        return gpd.GeoSeries([], crs=grid.crs)
    from shapely.geometry import shape
    h, w = mask.shape
    t = STEEP_TILE
    nty, ntx = -(-h // t), -(-w // t)
    pad = np.zeros((nty * t, ntx * t), dtype=bool)
    pad[:h, :w] = mask.astype(bool)
    any_steep = pad.reshape(nty, t, ntx, t).any(axis=(1, 3))
    out = []
    for ty, tx in zip(*np.nonzero(any_steep)):
        r0, c0 = int(ty) * t, int(tx) * t
        sub = mask[r0:r0 + t, c0:c0 + t]
        tr = grid.transform * Affine.translation(c0, r0)
        out.extend(shape(g) for g, _ in features.shapes(sub, mask=sub.astype(bool), transform=tr, connectivity=4))
    return gpd.GeoSeries(out, crs=grid.crs, name="geometry")
