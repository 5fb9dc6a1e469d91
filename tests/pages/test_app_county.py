"""AppTest: in a workspace of several counties the county is the sidebar's first filter, and the map page's figures
are then that county's — the same as the engine on the county read alone (what `cli.py available --county` reads)."""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.settings import load_settings
from geo.supply import available_report
from geo.units import fmt_mu
from geo.vocab import FIELD_LABELS as F
from seeds.province import county_codes, write_province
from stores.gpkg_file import load_workspace

SETTINGS = load_settings()
APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    return write_province(tmp_path_factory.mktemp("city") / "city.gpkg", counties=3, parcels_per_county=300,
                          projects_per_county=8, seed=2)


def test_county_is_the_first_filter_and_scopes_the_figures(city, monkeypatch):
    monkeypatch.setenv("LANDGAP_WORKSPACE", str(city))
    monkeypatch.delenv("LANDGAP_TIANDITU_KEY", raising=False)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    first = at.sidebar.selectbox[0]
    assert first.label == F["county"] and first.options == ["全部", *county_codes(3)]
    whole = available_report(load_workspace(city, SETTINGS), settings=SETTINGS)
    assert {m.label: m.value for m in at.metric}[F["available_mu"]] == fmt_mu(whole.total_available_mu)
    code = county_codes(3)[1]
    at = first.set_value(code).run()
    assert not at.exception, [e.value for e in at.exception]
    one = available_report(load_workspace(city, SETTINGS, county=code), settings=SETTINGS)
    assert one.total_available_mu < whole.total_available_mu
    assert {m.label: m.value for m in at.metric}[F["available_mu"]] == fmt_mu(one.total_available_mu)
    zones = at.sidebar.selectbox(key="_flt_zone").options
    assert zones[1:] and all(f"（{code}-" in z for z in zones[1:])       # the park filter lists its parks only


def test_a_city_lists_its_counties_and_its_parks_on_demand(city, monkeypatch, tmp_path):
    """The 各县可供地 table sums the engine's park rows by county; above ``[app] park_table_rows`` parks the parks'
    table waits for its toggle (its rows would delay the map in the browser)."""
    config = tmp_path / "few.toml"
    config.write_text("[app]\npark_table_rows = 2\n", encoding="utf-8")
    monkeypatch.setenv("LANDGAP_WORKSPACE", str(city))
    monkeypatch.setenv("LANDGAP_CONFIG", str(config))
    monkeypatch.delenv("LANDGAP_TIANDITU_KEY", raising=False)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    whole = available_report(load_workspace(city, SETTINGS), settings=SETTINGS)
    counties = _tables(at)[0]
    assert list(counties[F["county_code"]]) == county_codes(3)
    for code, row in counties.set_index(F["county_code"]).iterrows():
        parks = [z for z in whole.zones if z.zone_id.startswith(f"{code}-")]
        assert row[F["zone_count"]] == len(parks)
        assert row[F["available_mu"]] == pytest.approx(sum(z.available_mu for z in parks), abs=0.05)   # shown to 0.1
    assert len(_tables(at)) == 1
    toggle = at.toggle(key="show_parks")
    at = toggle.set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    parks = _tables(at)
    assert len(parks) == 2 and len(parks[1]) == len(whole.zones)
    assert parks[1][F["available_mu"]].tolist() == pytest.approx([round(z.available_mu, 1) for z in whole.zones])


def _tables(at) -> list[pd.DataFrame]:
    """The page's HTML tables (st.html), read back by pandas (lxml)."""
    return [t for h in at.get("html") for t in pd.read_html(io.StringIO(h.proto.body), thousands=",",
                                                            converters={F["county_code"]: str})]
