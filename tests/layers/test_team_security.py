"""Hostile names (a project, a park, a parcel's land use called ``<img src=x onerror=alert(1)>``, or one that
closes a <script>) render as text: in the map's popups/labels (the map HTML the app embeds and the offline
download), in the briefing's HTML preview, and in the app's pages (no HTML-enabled element carries them raw)."""
from __future__ import annotations

import html
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.settings import load_settings

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

HOSTILE = "<img src=x onerror=alert(1)>"
BREAKOUT = "</script><script>alert(2)</script>"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hostile_ws(sample_ws):
    zones = sample_ws.zones.copy()
    zones.iloc[0, zones.columns.get_loc("name")] = "园区" + BREAKOUT
    projects = sample_ws.projects.copy()
    projects["name"] = [f"{HOSTILE}{i}" for i in range(len(projects))]
    parcels = sample_ws.parcels.copy()
    parcels["land_use"] = HOSTILE
    return sample_ws.with_layers(zones=zones, projects=projects, parcels=parcels)


def test_map_html_carries_names_only_as_escaped_data(hostile_ws):
    from layers import basemaps, build, export
    m = build.new_map(hostile_ws, basemaps.PLAIN, 600, fetch_data=False, settings=SETTINGS)
    build.add_zones(m, hostile_ws)
    build.add_parcels(m, hostile_ws)
    out = export.standalone_html(m).decode()
    assert HOSTILE not in out and BREAKOUT not in out and "alert(2)</script>" not in out
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in out          # the names are there, as JSON text
    # popups and labels are built in the browser through esc() (HTML-escaping every value)
    assert "function esc(s)" in out and "esc(String(f.properties[label]))" in out
    assert "return esc(fmt(p[d[0]], d[2], tip))" in out


def test_the_briefing_preview_escapes_names(hostile_ws, settings):
    import matching
    from briefing.content import build_document
    from briefing.preview import to_html
    result = matching.match(hostile_ws, None, settings=settings)
    out = to_html(build_document(hostile_ws, result, settings))
    assert HOSTILE not in out and BREAKOUT not in out
    assert html.escape(HOSTILE) in out or html.escape(BREAKOUT) in out    # the names do appear, as text


@pytest.fixture
def hostile_file(hostile_ws, tmp_path, monkeypatch):
    from stores.gpkg_file import save_workspace
    path = save_workspace(hostile_ws, tmp_path / "hostile.gpkg")
    monkeypatch.setenv("LANDGAP_WORKSPACE", str(path))
    monkeypatch.delenv("LANDGAP_MODE", raising=False)
    monkeypatch.delenv("LANDGAP_TIANDITU_KEY", raising=False)
    return path


@pytest.mark.parametrize("page", ["data_page", "gap_page", "briefing_page"])
def test_pages_show_hostile_names_as_text(hostile_file, page):
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    raw_html = [m.value for m in at.markdown if m.proto.allow_html] + [h.proto.body for h in at.get("html")]
    assert raw_html and not any(HOSTILE in v or BREAKOUT in v for v in raw_html)
    if page == "briefing_page":                                   # the preview shows them, escaped
        assert any(html.escape(HOSTILE) in v for v in raw_html)
    else:                                                         # tables hold them as plain cell text
        frames = [d.value for d in at.dataframe] + [d.proto for d in at.get("arrow_data_frame")]
        assert frames
