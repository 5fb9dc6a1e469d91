"""Independent references for the terrain tests (not used by the library): exact cell coverage by exactextract."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from pyproj import CRS

from geo.parcel_terrain import Coverage, coverage_inputs


def exactextract_coverage(geoms: gpd.GeoSeries, transform: Affine, shape: tuple[int, int]) -> Coverage:
    """``exact_coverage`` by exactextract (0.3): the independent reference of the tests; slower on many parcels."""
    arr, ok, empty = coverage_inputs(geoms, shape)
    if empty is not None:
        return empty
    n, (h, w) = len(geoms), shape
    x0, y1 = transform.c, transform.f
    x1, y0 = x0 + transform.a * w, y1 + transform.e * h
    gx0, gy0, gx1, gy1 = shapely.bounds(arr[ok]).T
    ok[ok] = (gx1 > x0) & (gx0 < x1) & (gy1 > y0) & (gy0 < y1)
    if not ok.any():
        return empty
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource
    crs = geoms.crs
    wkt = CRS.from_user_input(crs).to_wkt() if crs is not None else None
    # coverage needs the grid only: a zero-stride raster of zeros (exactextract skips NaN cells, we want all)
    raster = NumPyRasterSource(np.broadcast_to(np.zeros(1, np.uint8), (h, w)), x0, y0, x1, y1, nodata=None,
                               srs_wkt=wkt)
    rows = np.nonzero(ok)[0]
    frame = gpd.GeoDataFrame({"_row": rows}, geometry=gpd.GeoSeries(arr[rows], crs=crs))
    out = exact_extract(raster, frame, ["cell_id", "coverage"], include_cols=["_row"], output="pandas")
    lens = out["cell_id"].map(len).to_numpy()
    if lens.sum() == 0:
        return empty
    feature = np.repeat(out["_row"].to_numpy(dtype=np.int64), lens)
    cell = np.concatenate(out["cell_id"].to_list()).astype(np.int64)
    weight = np.concatenate(out["coverage"].to_list()).astype(float)
    keep = weight > 0
    return Coverage(feature[keep], cell[keep], weight[keep], n, (h, w))


# ------------------------------------------------------------------------------------------------ the maths
