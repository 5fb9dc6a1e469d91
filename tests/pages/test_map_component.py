"""The map element rendered once per workspace version and content (pages/map_component.py): what it sends is what
st_folium itself would send, it is built again for other content or another workspace version, never otherwise."""
from __future__ import annotations

import dataclasses

import pytest
import streamlit_folium

from layers import build
from pages import common, map_component, map_panels

RETURNS = map_panels.MAP_RETURNS


def filters(ws, statuses=("available", "leveling", "demolition", "supplied")) -> common.Filters:
    from layers import basemaps
    return common.Filters(None, tuple(statuses), None, None, None,
                          basemaps.available_basemaps(ws.dem_path is not None, "")[0])


@pytest.fixture
def sent(monkeypatch):
    """What reaches the browser: every component call."""
    calls: list[dict] = []
    monkeypatch.setattr(map_component, "_SEND", lambda **kw: calls.append(kw) or {"clicked": len(calls)})
    map_component.derived().clear()
    return calls


def test_the_captured_arguments_are_what_st_folium_sends(sample_ws, sent):
    f = filters(sample_ws)
    make = lambda: build.finish(map_panels.base_map(sample_ws, f), draw=True)      # noqa: E731
    streamlit_folium.st_folium(make(), key="m", height=500, use_container_width=True, returned_objects=RETURNS)
    direct = sent.pop()
    captured = map_component.rendered_args(make(), "m", 500, RETURNS)
    assert not sent                                        # capturing sends nothing
    direct.pop("on_change")
    assert captured == direct and len(captured["script"]) > 1000


def test_built_once_per_content_and_workspace_version(sample_ws, sent):
    built: list[common.Filters] = []

    def maker(f):
        def make():
            built.append(f)
            return build.finish(map_panels.base_map(sample_ws, f), draw=True)
        return make

    all_, few = filters(sample_ws), filters(sample_ws, ("available",))
    out = [map_component.show(sample_ws, f, maker(f), "m", 500, RETURNS) for f in (all_, all_, few, all_)]
    assert built == [all_, few]                            # the same content again: not built, not rendered
    assert [o["clicked"] for o in out] == [1, 2, 3, 4]     # ... but sent every time, with the component's answer
    assert sent[0]["script"] == sent[1]["script"] == sent[3]["script"] != sent[2]["script"]
    assert sent[0]["key"] == sent[1]["key"]                # same hash key: the browser keeps the map mounted
    assert all(callable(s["on_change"]) for s in sent)

    newer = dataclasses.replace(sample_ws)                 # a copy is a new workspace version
    assert newer.version != sample_ws.version
    map_component.show(newer, all_, maker(all_), "m", 500, RETURNS)
    assert built == [all_, few, all_]


def test_content_key_is_by_value():
    k = map_component.content_key
    assert k({"a": 1, "b": [1, 2]}) == k({"b": [1, 2], "a": 1})
    assert k(["P1", ["B1", "B2"]]) != k(["P1", ["B1"]])
