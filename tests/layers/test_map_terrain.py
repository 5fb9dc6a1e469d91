"""The map's slope overlay and the 待平整 parcels' earthwork in their popup (issue: net usable land, map)."""
from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import rasterio
from affine import Affine
from PIL import Image

from geo.settings import load_settings
from layers import basemaps, build

SETTINGS = load_settings()   # loaded once, as the CLI and the app do


def _dem(path, slope_pct: float, n: int = 60, cell: float = 10.0):
    x = np.arange(n) * cell
    z = np.tile(100.0 + x * slope_pct / 100.0, (n, 1)).astype("float32")      # a plane rising to the east
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32", crs="EPSG:4544",
                       transform=Affine(cell, 0, 520_000, 0, -cell, 3_576_000)) as dst:
        dst.write(z, 1)
    return path


def _pixels(shade) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(shade.data_url.split(",", 1)[1]))).convert("RGBA"))


@pytest.mark.parametrize("slope, colour", [(20.0, "steep"), (10.0, "terraced"), (2.0, "flat")])
def test_slope_overlay_colours_a_plane_of_known_slope(tmp_path, slope, colour):
    shade = basemaps.slope_overlay(_dem(tmp_path / f"p{slope}.tif", slope), 15.0)
    px = _pixels(shade)
    inner = px[5:-5, 5:-5].reshape(-1, 4)                 # away from the warped edge
    alpha, red, green = inner[:, 3], inner[:, 0], inner[:, 1]
    if colour == "flat":
        assert (alpha == 0).mean() > 0.99
    elif colour == "terraced":
        assert np.median(alpha) == pytest.approx(90, abs=3) and np.median(green) > 120
    else:
        assert np.median(alpha) == pytest.approx(150, abs=3) and np.median(red) > 180 and np.median(green) < 60
    (south, west), (north, east) = shade.bounds
    assert 102 < west < east < 106 and 30 < south < north < 34          # lon/lat of EPSG:4544's area


def test_leveling_parcels_carry_their_earthwork_in_the_popup(sample_ws, settings):
    from formats.dem import read_dem_for
    from geo.parcel_terrain import parcel_terrain
    from layers.constraints import parcel_terrain_text
    p = sample_ws.metric("parcels")
    text = parcel_terrain_text(sample_ws, p, settings)
    lev = p[p["status"] == "leveling"]
    assert len(lev) and (text.loc[lev.index] != "").all()
    assert (text.loc[p.index.difference(lev.index)] == "").all()
    t = parcel_terrain(read_dem_for(sample_ws.dem_path, lev), lev, settings.terrain).table
    pid = lev.index[0]
    assert f"{t.at[pid, 'cut_m3']:,.0f} 立方米" in text[pid] and f"{t.at[pid, 'cost_wan']:,.1f} 万元" in text[pid]
    m = build.new_map(sample_ws, settings=SETTINGS)
    build.add_parcels(m, sample_ws, settings=settings)
    assert text[pid] in m.get_root().render()
