"""The map layers and their pure helpers: offline assets only, key never in downloads, clicks and drawings."""
from __future__ import annotations

import os
import re

import pytest
import shapely
from pyproj import Transformer

from geo.crs import CGCS2000
from geo.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from geo.settings import load_settings
from geo.vocab import FIELD_LABELS
from layers import assets, basemaps, build, export, query, tables

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

CDN = re.compile(r"cdn\.jsdelivr|unpkg\.com|cdnjs\.|ajax\.googleapis|fonts\.googleapis|code\.jquery|bootstrapcdn")


def full_map(ws, basemap=basemaps.HILLSHADE, draw=True, settings=SETTINGS, cache=None):
    m = build.new_map(ws, basemap, settings=settings, cache=cache)
    build.add_zones(m, ws)
    build.add_parcels(m, ws)
    build.add_factories(m, ws)
    return build.finish(m, draw=draw)


def test_map_loads_only_local_assets(sample_ws):
    html = full_map(sample_ws).get_root().render()
    urls = re.findall(r'(?:src|href)="([^"#]+)"', html)
    assert urls and all(u.startswith(assets.URL_PREFIX) for u in urls), urls
    assert not CDN.search(html)


def test_st_folium_gets_only_local_links(sample_ws):
    """st_folium hands each element's default_js/css to its iframe: all must be ours."""
    m = full_map(sample_ws)
    links = [url for el in m._children.values()
             for _, url in getattr(el, "default_js", []) + getattr(el, "default_css", [])]
    links += [url for _, url in m.default_js + m.default_css]
    assert links and all(u.startswith(assets.URL_PREFIX) for u in links)


def test_standalone_html_is_offline_and_never_has_the_tianditu_key(sample_ws, monkeypatch):
    if assets.missing():
        pytest.skip("前端资源未安装：python -m layers.assets")
    monkeypatch.setenv("LANDGAP_TIANDITU_KEY", "SECRETKEY123")
    keyed = load_settings()                               # the environment, read by load_settings
    assert basemaps.TIANDITU in basemaps.available_basemaps(True, keyed.app.tianditu_key)
    online = full_map(sample_ws, basemaps.TIANDITU, settings=keyed).get_root().render()
    assert "SECRETKEY123" in online                       # the live map uses it ...
    with pytest.raises(ValueError):
        export.standalone_html(full_map(sample_ws, basemaps.TIANDITU, settings=keyed))   # ... a download never may
    html = export.standalone_html(full_map(sample_ws, settings=keyed)).decode()
    assert "SECRETKEY123" not in html
    assert not re.findall(r'<script[^>]+src=|<link[^>]+href=', html)
    assert "L.Control.Draw" in html and "leaflet" in html.lower()


def test_parcel_click_and_block_details(sample_ws):
    report = __import__("geo.supply", fromlist=["x"]).available_report(sample_ws, settings=SETTINGS)
    pid = report.blocks[0].parcel_ids[0]
    pt = sample_ws.metric("parcels").loc[pid].geometry.representative_point()
    lon, lat = Transformer.from_crs(sample_ws.metric_crs, CGCS2000, always_xy=True).transform(pt.x, pt.y)
    assert query.parcel_at(sample_ws, lat, lon) == pid
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert query.parcel_at(sample_ws, float(glat), float(glon), gcj02=True) == pid
    d = query.parcel_details(sample_ws, pid, query.block_index(report))
    assert d["block_id"] == report.blocks[0].block_id
    assert d["block_mu"] == pytest.approx(report.blocks[0].area_mu)
    assert d["status_label"] == "可供"


def test_factory_click_finds_the_factory_it_falls_in(sample_ws):
    """A tiled map's factories are drawn by MapLibre: a click is looked up on the server, like a parcel's."""
    factories = sample_ws.metric("factories")
    fid = factories.index[0]
    pt = factories.loc[fid].geometry.representative_point()
    to_lonlat = Transformer.from_crs(sample_ws.metric_crs, CGCS2000, always_xy=True)
    lon, lat = to_lonlat.transform(pt.x, pt.y)
    d = query.factory_at(sample_ws, lat, lon)
    assert d["factory_id"] == fid and d["zone_id"] == factories.at[fid, "zone_id"]
    assert d["vacant_m2"] == pytest.approx(float(factories.at[fid, "vacant_m2"]))
    away = factories.union_all().centroid
    x, y = away.x, factories.total_bounds[3] + 5000                          # north of every factory
    assert query.factory_at(sample_ws, *reversed(to_lonlat.transform(x, y))) is None


def test_drawn_polygon_acreage_by_status(sample_ws):
    """A polygon around one zone holds exactly that zone's parcels, by status, ellipsoidal 亩."""
    zone = sample_ws.zones.index[0]
    ring = sample_ws.metric("zones").loc[zone].geometry.buffer(5)
    ll = shapely.transform(ring, lambda xy: __import__("numpy").column_stack(
        Transformer.from_crs(sample_ws.metric_crs, CGCS2000, always_xy=True).transform(xy[:, 0], xy[:, 1])))
    table = query.drawn_area_by_status(sample_ws, {"type": "Feature", "geometry": shapely.geometry.mapping(ll)})
    parcels = sample_ws.parcels[sample_ws.parcels["zone_id"] == zone]
    expected = parcels.groupby("status")["area_mu"].sum()
    got = table.set_index("status")["area_mu"]
    for status, mu in expected.items():
        assert got[status] == pytest.approx(mu, rel=2e-3)
    assert set(table["状态"]) >= {"可供", "已供"}


def test_gcj02_shift_is_hundreds_of_metres_and_invertible():
    lon, lat = 105.5, 30.5
    glon, glat = wgs84_to_gcj02(lon, lat)
    shift_m = ((glon - lon) * 96000) ** 2 + ((glat - lat) * 111000) ** 2
    assert 200 ** 2 < shift_m < 800 ** 2
    back = gcj02_to_wgs84(glon, glat)
    assert abs(back[0] - lon) < 1e-7 and abs(back[1] - lat) < 1e-7


def test_excel_has_chinese_headers(sample_ws):
    import io

    import openpyxl
    zones, blocks = tables.available_tables(
        __import__("geo.supply", fromlist=["x"]).available_report(sample_ws, settings=SETTINGS))
    book = openpyxl.load_workbook(io.BytesIO(export.excel_bytes({"各园区可供地": zones, "连片地块": blocks})))
    header = [c.value for c in book["各园区可供地"][1]]
    assert header[:3] == ["园区编号", "园区", "可供面积（亩）"]


def test_project_editor_errors_name_row_and_field(sample_ws):
    from geo.errors import ValidationError
    frame = tables.project_editor_frame(sample_ws)
    frame.loc[3, "land_mu"] = -5
    with pytest.raises(ValidationError) as err:
        sample_ws.with_projects(tables.editor_to_projects(sample_ws, frame))
    shown = tables.report_table(err.value.report, "projects")   # rows count from 1, as on screen
    bad = shown[shown["级别"] == "错误"]
    assert (bad["行"] == 4).any() and (bad["字段"] == FIELD_LABELS["land_mu"]).any()


def test_layer_cache_is_pruned_least_recently_used_first(tmp_path, monkeypatch):
    monkeypatch.setattr(assets, "CACHE", tmp_path)
    urls = [assets.cached_json_url(f'{{"n": {i}, "pad": "{"x" * 1000}"}}', SETTINGS.app.cache_max_mb) for i in range(5)]
    files = [tmp_path / u.rsplit("/", 1)[1] for u in urls]
    assert all(f.exists() for f in files) and len(set(files)) == 5
    for k, f in enumerate(files):                       # distinct ages: files[0] oldest
        os.utime(f, (1_000_000 + k, 1_000_000 + k))
    # reused: now the most recent
    assets.cached_json_url(f'{{"n": 0, "pad": "{"x" * 1000}"}}', SETTINGS.app.cache_max_mb)
    gone = assets.prune_cache(3.5 * files[0].stat().st_size, keep=files[4])
    assert gone == [files[1], files[2]]                 # oldest first; the reused one and `keep` stay
    assert [f.exists() for f in files] == [True, False, False, True, True]
    override = tmp_path / "o.toml"
    override.write_text("[app]\ncache_max_mb = 0.0025\n", encoding="utf-8")
    monkeypatch.setenv("LANDGAP_CONFIG", str(override))
    # writing prunes to the configured size, keeping the new file
    url = assets.cached_json_url('{"new": 1}', load_settings().app.cache_max_mb)
    assert (tmp_path / url.rsplit("/", 1)[1]).exists()
    assert sum(f.stat().st_size for f in tmp_path.glob("*.json")) <= 2500


def test_scale_bar_is_metric_only(sample_ws):
    """Leaflet's default scale bar shows miles and feet too: ours is metric only, and there is exactly one."""
    html = full_map(sample_ws).get_root().render()
    scales = re.findall(r"L\.control\.scale\(([^)]*)\)", html)
    assert len(scales) == 1, scales
    assert re.search(r'"imperial":\s*false', scales[0]) and re.search(r'"metric":\s*true', scales[0]), scales
    zooms = re.findall(r"L\.control\.zoom\(([^)]*)\)", html)                # one zoom control, titled in Chinese
    assert len(zooms) == 1, zooms
    titles = __import__("json").loads(zooms[0])
    assert (titles["zoomInTitle"], titles["zoomOutTitle"]) == ("放大", "缩小")
    assert '"zoomControl": false' in html


def test_map_layers_are_cached_by_workspace_version_not_inside_the_workspace(sample_ws):
    from geo.cache import DerivedCache
    cache = DerivedCache()                                    # the caller's (the app's is pages.context.derived)
    ws = sample_ws.with_projects(sample_ws.projects)          # a fresh version: its own entries
    full_map(ws, cache=cache)
    assert "_layer_cache" not in ws.__dict__
    layers = [k for k in cache.entries_for(ws) if isinstance(k, tuple) and k[0] == "map_layer"]
    assert {k[1] for k in layers} >= {"zones", "zone_labels", "parcels", "factories"}
    before = len(cache.entries_for(ws))
    build.add_parcels(build.new_map(ws, settings=SETTINGS, cache=cache), ws)     # second time: from the cache
    assert len(cache.entries_for(ws)) == before and "_layer_cache" not in ws.__dict__
    other = ws.with_projects(ws.projects)                     # a new version starts empty
    assert not [k for k in cache.entries_for(other) if isinstance(k, tuple) and k[0] == "map_layer"]


def test_asset_check_names_the_install_command(tmp_path):
    """The page's set-up check: missing files and a server without static serving are each named, in Chinese, with
    the command that fixes them; nothing when all is in place."""
    missing = assets.setup_problem(tmp_path, static_serving=True)
    assert missing and "python3 run.py setup" in missing and "python -m layers.assets" in missing
    assert "leaflet/leaflet.js" in missing
    no_static = assets.setup_problem(assets.VENDOR, static_serving=False)
    if assets.missing():
        pytest.skip("前端资源未安装：python -m layers.assets")
    assert no_static and "enableStaticServing" in no_static and "cd " in no_static
    assert assets.setup_problem(assets.VENDOR, static_serving=True) is None


def test_vendor_dir_is_injectable(tmp_path, monkeypatch):
    monkeypatch.setenv("LANDGAP_VENDOR_DIR", str(tmp_path))
    where = assets.vendor_dir(load_settings().runtime.vendor_dir)      # the environment, read by load_settings
    assert where == tmp_path
    assert assets.missing(where) == [v for _, _, v in assets.JS + assets.CSS]
    monkeypatch.delenv("LANDGAP_VENDOR_DIR")
    assert assets.vendor_dir(load_settings().runtime.vendor_dir) == assets.VENDOR


def test_html_tables_escape_names_and_keep_the_figures():
    """The map page's tables are one HTML text each (st.html): a park named like markup stays text, the figures
    read back equal to 0.1 亩."""
    import io

    import pandas as pd
    frame = pd.DataFrame({FIELD_LABELS["zone_name"]: ['<img src=x onerror="alert(1)">', None],
                          FIELD_LABELS["available_mu"]: [1234.56, 2.0]})
    html = tables.html_table(frame)
    assert "<img" not in html and "&lt;img" in html
    back = pd.read_html(io.StringIO(html), thousands=",")[0]
    assert back[FIELD_LABELS["zone_name"]].tolist() == ['<img src=x onerror="alert(1)">', "—"]
    assert back[FIELD_LABELS["available_mu"]].tolist() == [1234.6, 2.0]
