"""Real browser, vector-tile map: the app as `run.py app` serves it (server.py: app.py and the /tiles route), with
``[app] tile_threshold_parcels = 0`` (and factories) so the sample county's parcels and factories come as tiles
drawn by MapLibre. The parcels appear, zoomed out the overview stands for every parcel, a click shows the parcel's
(or the factory's) record from the store, a drawn polygon's 亩 equal pyproj.Geod on the same
polygon, and the map's status filter recolours with no new tile request; nothing leaves localhost."""
from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from pyproj import Geod

from geo.vocab import PARCEL_STATUS_LABELS
from tests.browser_util import CHROMIUM, FIND_MAP, browser, draw_square, running_app, wait_for_tiles

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} 不存在（apt-get install chromium）")]
GEOD = Geod(ellps="GRS80")          # CGCS2000's ellipsoid
MU_M2 = 10000 / 15                 # 1 亩


@pytest.fixture(scope="module")
def session(sample_path, tmp_path_factory):
    config = tmp_path_factory.mktemp("tiles-config") / "tiles.toml"
    config.write_text("[app]\ntile_threshold_parcels = 0\ntile_threshold_factories = 0\n", encoding="utf-8")
    with running_app(sample_path, {"LANDGAP_CONFIG": str(config)}, script="server.py") as url, \
            browser(str(tmp_path_factory.mktemp("chromium-profile"))) as ctx:
        yield url, ctx


@pytest.fixture
def open_map(session):
    """A new tab on the map page once MapLibre has drawn the parcels: (page, map iframe, counts, tile URLs
    requested, context); closed after the test (a WebGL context each)."""
    url, ctx = session
    pages = []

    def open_tab():
        page = ctx.new_page()
        pages.append(page)
        tiles = []
        page.on("request", lambda r: tiles.append(r.url) if "/tiles/" in r.url else None)
        page.goto(url)
        frame, counts = wait_for_tiles(page, timeout_s=150)
        return page, frame, counts, tiles, ctx
    yield open_tab
    for page in pages:
        page.close()


def _main_text(page) -> str:
    return page.locator("section.main, [data-testid='stMain']").first.inner_text()


def test_parcels_appear_from_tiles(open_map, sample_ws):
    page, frame, counts, tiles, ctx = open_map()
    assert counts["drawn"] > 0 and any("/tiles/parcels/" in u for u in tiles)
    layers = {n for n in ("farmland", "eco_redline", "flood", "dev_boundary") if sample_ws.constraint(n) is not None}
    assert {u.split("/tiles/")[1].split("/")[0] for u in tiles} <= {"parcels", "factories"} | layers   # 三区三线 too
    assert set(counts["statuses"]) <= set(PARCEL_STATUS_LABELS)
    assert frame.evaluate("() => window.landgapLayers === undefined || !window.landgapLayers.parcels")  # no GeoJSON
    assert ctx.outside == []


def test_clicking_a_parcel_shows_its_record(open_map, sample_ws):
    page, frame, _, _, ctx = open_map()
    parcels = sample_ws.parcels.to_crs("EPSG:4490")
    available = parcels[parcels["status"] == "available"]
    pid = sample_ws.parcels.loc[available.index, "area_mu"].idxmax()   # the largest available parcel: easy to hit
    point = available.geometry.loc[pid].representative_point()
    others = parcels.drop(index=pid)
    assert not others.intersects(point).any()                # the point is in this parcel alone
    target = frame.evaluate("""([lat, lng]) => { """ + FIND_MAP + """
        m.setView([lat, lng], 17, {animate: false});
        const p = m.latLngToContainerPoint([lat, lng]);
        return {x: p.x, y: p.y}; }""", [point.y, point.x])
    page.wait_for_timeout(500)
    box = frame.frame_element().bounding_box()
    page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
    page.get_by_text(f"地块 {pid}").wait_for(timeout=30_000)
    row = sample_ws.parcels.loc[pid]
    body = _main_text(page)
    assert f"面积：{row['area_mu']:,.1f} 亩" in body and "状态：可供" in body
    assert sample_ws.zones.at[row["zone_id"], "name"] in body
    assert re.search(r"所属连片：\S+-B\d{3}（\d+ 块，合计 [\d,]+\.\d 亩）", body)
    assert ctx.outside == []


def test_clicking_a_factory_shows_its_record(open_map, sample_ws):
    page, frame, _, tiles, ctx = open_map()
    factories = sample_ws.factories.to_crs("EPSG:4490")
    fid = sample_ws.factories["floor_area_m2"].idxmax()
    point = factories.geometry.loc[fid].representative_point()
    target = frame.evaluate("""([lat, lng]) => { """ + FIND_MAP + """
        m.setView([lat, lng], 17, {animate: false});
        const p = m.latLngToContainerPoint([lat, lng]);
        return {x: p.x, y: p.y}; }""", [point.y, point.x])
    frame.wait_for_function("() => window.landgapTiles.gl.queryRenderedFeatures({layers: ['factories-fill']})"
                            ".length > 0", timeout=20_000)          # drawn from the factories' tiles
    assert any("/tiles/factories/" in u for u in tiles)
    box = frame.frame_element().bounding_box()
    page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
    row = sample_ws.factories.loc[fid]
    page.get_by_text(f"标准厂房 {row['name'] or fid}").wait_for(timeout=30_000)
    assert f"{row['vacant_m2']:,.0f}" in _main_text(page)
    assert ctx.outside == []


def test_zoomed_out_the_overview_stands_for_every_parcel(open_map, sample_ws):
    """Below the overview zoom a parcels tile is a grid of cells (layers/tile_overview.py): with the whole county
    in view, the features drawn count every parcel once."""
    from layers.tile_overview import OVERVIEW_BELOW
    page, frame, _, tiles, ctx = open_map()
    frame.evaluate("() => { " + FIND_MAP + " m.setZoom(%d, {animate: false}); }" % (OVERVIEW_BELOW - 1))
    frame.wait_for_function("() => { const f = window.landgapTiles.gl.queryRenderedFeatures("
                            "{layers: ['parcels-fill']});"
                            " return f.length > 0 && f.every(x => x.properties.parcels !== undefined); }",
                            timeout=20_000)
    page.wait_for_timeout(1000)
    counted = frame.evaluate("() => window.landgapTiles.gl.queryRenderedFeatures({layers: ['parcels-fill']})"
                             ".reduce((n, f) => n + f.properties.parcels, 0)")
    assert counted == len(sample_ws.parcels)
    assert ctx.outside == []


def test_a_drawn_polygons_mu_equal_pyproj_geod(open_map, sample_ws):
    """leaflet-draw's polygon tool over the tiled parcels: the 亩 the page shows (computed on the server from the
    store, not from the tiles) equal pyproj.Geod on the same corners, and per status Geod on the parcels' parts
    inside it."""
    page, frame, _, _, ctx = open_map()
    corners = draw_square(page, frame)
    body = _main_text(page)
    lons, lats = [pt["lng"] for pt in corners], [pt["lat"] for pt in corners]
    area_m2, _ = GEOD.polygon_area_perimeter(lons, lats)
    expected = abs(area_m2) / MU_M2
    got = float(re.search(r"绘制范围：([\d,]+\.\d) 亩", body).group(1).replace(",", ""))
    assert expected > 0 and got == pytest.approx(expected, rel=0.001, abs=0.05)
    # per status: Geod on each parcel's part inside the polygon (lon/lat), summed
    drawn = shapely.Polygon(list(zip(lons, lats)))
    parcels = gpd.GeoDataFrame(sample_ws.parcels[["status"]], geometry=sample_ws.parcels.geometry.values,
                               crs=sample_ws.crs).to_crs("EPSG:4490")
    inside = parcels[parcels.intersects(drawn)]
    reference = {PARCEL_STATUS_LABELS[s]: 0.0 for s in PARCEL_STATUS_LABELS}
    for status, geom in zip(inside["status"], shapely.intersection(inside.geometry.values, drawn)):
        reference[PARCEL_STATUS_LABELS[status]] += abs(GEOD.geometry_area_perimeter(geom)[0]) / MU_M2
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    cells = [[c.text_content() for c in row.locator("td").all()] for row in grid.locator("tr").all()]
    shown = {r[0]: float(r[1]) for r in cells if len(r) == 3}
    assert set(shown) == set(reference)
    assert sum(reference.values()) > 0
    for label, mu in reference.items():               # parcels overlapping each other are counted once there
        assert shown[label] == pytest.approx(mu, rel=0.01, abs=0.2), label
    assert ctx.outside == []


def test_the_status_filter_recolours_without_new_tile_requests(open_map):
    page, frame, counts, tiles, ctx = open_map()
    assert "supplied" in counts["statuses"]
    page.wait_for_timeout(1000)                      # every tile of the view has come
    before = len(tiles)
    frame.locator(".landgap-status-filter input[data-status='supplied']").uncheck()
    frame.wait_for_function("() => { const t = window.landgapTiles; return t.gl.queryRenderedFeatures("
                            "{layers: ['parcels-fill']}).every(f => f.properties.status !== 'supplied'); }",
                            timeout=10_000)
    after = frame.evaluate("() => window.landgapTiles.gl.queryRenderedFeatures({layers: ['parcels-fill']})"
                           ".map(f => f.properties.status)")
    assert after and "supplied" not in after and "available" in after
    frame.locator(".landgap-status-filter input[data-status='supplied']").check()
    frame.wait_for_function("() => window.landgapTiles.gl.queryRenderedFeatures({layers: ['parcels-fill']})"
                            ".some(f => f.properties.status === 'supplied')", timeout=10_000)
    page.wait_for_timeout(500)
    assert len(tiles) == before                      # recoloured from the tiles the browser holds
    assert ctx.outside == []


LABEL_RECTS = """() => Array.from(document.querySelectorAll('.landgap-label span'))
    .filter(el => el.style.visibility !== 'hidden')
    .map(el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""


def _overlaps(rects) -> bool:
    return any(a[0] < b[2] and a[2] > b[0] and a[1] < b[3] and a[3] > b[1]
               for i, a in enumerate(rects) for b in rects[i + 1:])


def test_park_names_are_shown_by_zoom_without_overlap_and_loading_shows_progress(open_map, sample_ws):
    page, frame, _, _, ctx = open_map()
    # the progress note: shown while tiles load, hidden once the view's tiles are drawn
    assert frame.locator(".landgap-tiles-loading").count() == 1
    frame.wait_for_function("() => getComputedStyle(document.querySelector('.landgap-tiles-loading')).display"
                            " === 'none'", timeout=10_000)
    fitted = frame.evaluate(LABEL_RECTS)
    assert len(fitted) == len(sample_ws.zones) and not _overlaps(fitted)       # the fitted view names every park
    frame.evaluate("() => { " + FIND_MAP + " m.setZoom(m.getZoom() - 4, {animate: false}); }")
    page.wait_for_timeout(800)
    far = frame.evaluate(LABEL_RECTS)
    assert 1 <= len(far) < len(sample_ws.zones) and not _overlaps(far)          # zoomed out: fewer, apart
    frame.evaluate("() => { " + FIND_MAP + " m.setZoom(m.getZoom() + 4, {animate: false}); }")
    page.wait_for_timeout(800)
    assert len(frame.evaluate(LABEL_RECTS)) == len(sample_ws.zones)
    assert ctx.outside == []


def test_the_downloaded_map_draws_the_embedded_tiles_offline(session, sample_ws, settings, tmp_path):
    """Above the threshold the downloadable HTML carries the tiles of the view it covers (no server, no GeoJSON
    layer of every parcel): opened from a file, MapLibre draws them, nothing is requested from anywhere."""
    import dataclasses

    from layers import build, export
    tiled = dataclasses.replace(settings, app=dataclasses.replace(settings.app, tile_threshold_parcels=0,
                                                                  tile_threshold_factories=0))
    m = build.new_map(sample_ws, settings=tiled, fetch_data=False)
    build.add_zones(m, sample_ws)
    build.add_constraints(m, sample_ws)
    build.add_parcels(m, sample_ws)
    build.add_factories(m, sample_ws)
    html = export.standalone_html(build.finish(m, draw=True)).decode("utf-8")
    assert build.tiled(m) and "/tiles/" not in html and "landgap://parcels" in html
    assert '"factories/1' in html and 'window.landgapLayers["factories"]' not in html     # factories: tiles too
    assert 'window.landgapLayers["parcels"]' not in html and 'window.landgapLayers["zones"]' in html  # zones: GeoJSON
    path = tmp_path / "map.html"
    path.write_text(html, encoding="utf-8")
    _, ctx = session                                 # the same browser (one Playwright per process)
    seen = len(ctx.outside)
    page = ctx.new_page()
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(path.as_uri())
    try:
        _, counts = wait_for_tiles(page, timeout_s=90)
        assert counts["parcels"] > 0.9 * len(sample_ws.parcels)        # the fitted view: (nearly) every parcel
        assert set(counts["statuses"]) <= set(PARCEL_STATUS_LABELS)
        assert all(u.startswith(("file:", "data:", "blob:")) for u in requested), requested[:5]
        assert all(u.startswith("file:") for u in ctx.outside[seen:])   # the file itself, nothing else
    finally:
        del ctx.outside[seen:]
        page.close()
