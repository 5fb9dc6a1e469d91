"""The workspace DEM on disk: ``<workspace>.dem.tif`` beside the GeoPackage, read with rasterio into a ``Dem``."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from pyproj import CRS

from .errors import CRSError, WorkspaceError
from .fileio import readable
from .terrain import Dem

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
