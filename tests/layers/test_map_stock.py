"""用地一张图 knows the stock classes (issue 19): the parcels' popup names each parcel's class at the date, the class
filter draws exactly the parcels of the chosen classes (against geo.stock.classify_workspace), the map without stock
land is the map it was, and the app's sidebar filter reaches the map."""
from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from geo.stock import classify_workspace
from geo.vocab import STOCK_CLASS_LABELS, STOCK_LABELS as S
from layers import assets, build
from tests.pages.test_app import APP, ok
from tests.stock_county import AS_OF, stock_path  # noqa: F401 (the fixture)


def _parcels_layer(m):
    layer = next(c for c in m._children.values() if getattr(c, "kind", None) == "parcels")
    return layer, {f["properties"]["id"]: f["properties"] for f in json.loads(layer.data)["features"]}


def test_popup_names_the_class_and_the_filter_keeps_exactly_those_parcels(stock_path, settings):  # noqa: F811
    _, ws = stock_path
    want = classify_workspace(ws, AS_OF, settings)["stock_class"]
    m = build.new_map(ws, settings=settings)
    n = build.add_parcels(m, ws, stock_as_of=AS_OF)
    layer, props = _parcels_layer(m)
    assert n == len(ws.parcels) == len(props)
    assert {pid: p["k"] or "normal" for pid, p in props.items()} == dict(want)
    assert any(p["k"] for p in props.values() if p["s"] == "supplied")           # a supplied parcel's class
    fields = json.loads(layer.fields)
    assert [f[0] for f in fields][:3] == ["id", "s", "k"] and fields[2][1] == S["class"]
    assert json.loads(layer.lookups)["stock"] == STOCK_CLASS_LABELS
    for only in (("idle",), ("reclaimable", "low_efficiency"), ("approved_unsupplied",)):
        m2 = build.new_map(ws, settings=settings)
        n2 = build.add_parcels(m2, ws, stock_as_of=AS_OF, stock_classes=only)
        _, kept = _parcels_layer(m2)
        expected = set(want.index[want.isin(only)])
        assert expected and set(kept) == expected and n2 == len(expected)
    # the status filter still applies alongside
    m3 = build.new_map(ws, settings=settings)
    build.add_parcels(m3, ws, ["supplied"], stock_as_of=AS_OF, stock_classes=("idle", "approved_unsupplied"))
    _, kept = _parcels_layer(m3)
    status = ws.parcels["status"]
    assert set(kept) == set(want.index[want.isin(["idle", "approved_unsupplied"]) & (status == "supplied")])


def test_without_stock_land_the_map_is_unchanged(sample_ws, settings):
    from tests.briefing.test_briefing_stock import without_stock
    plain_ws = without_stock(sample_ws)
    plain = build.new_map(plain_ws, settings=settings)
    build.add_parcels(plain, plain_ws)
    dated = build.new_map(plain_ws, settings=settings)
    build.add_parcels(dated, plain_ws, stock_as_of=AS_OF)
    a, b = _parcels_layer(plain)[0], _parcels_layer(dated)[0]
    assert a.data == b.data and a.fields == b.fields and '"k"' not in a.data


def _drawn_parcels(at) -> dict[str, dict]:
    """The parcels layer the page's map fetches: the layer files its component's script names, read back."""
    import re
    scripts = [json.loads(c.proto.json_args)["script"] for c in at.get("component_instance")
               if "script" in json.loads(c.proto.json_args or "{}")]
    urls = set(re.findall(re.escape(assets.CACHE_PREFIX) + r"[0-9a-f]+\.json", scripts[0]))
    for url in urls:
        data = json.loads((assets.CACHE / url.rsplit("/", 1)[1]).read_text(encoding="utf-8"))
        feats = data["features"]
        if feats and "x" in feats[0]["properties"]:                   # the parcels' (net 亩 excluded by …)
            return {f["properties"]["id"]: f["properties"] for f in feats}
    raise AssertionError("no parcels layer")


def test_the_sidebar_class_filter_reaches_the_map(stock_path, monkeypatch, settings):  # noqa: F811
    path, ws = stock_path
    monkeypatch.setenv("LANDGAP_WORKSPACE", str(path))
    monkeypatch.delenv("LANDGAP_TIANDITU_KEY", raising=False)
    at = AppTest.from_file(APP, default_timeout=120).run()
    ok(at)
    box = at.multiselect(key="_flt_stock")
    assert box.options == [STOCK_CLASS_LABELS[c] for c in STOCK_CLASS_LABELS if c != "normal"]
    at.checkbox(key="_flt_use_by").check().run()
    at.date_input(key="_flt_by").set_value(AS_OF).run()
    ok(at)
    want = classify_workspace(ws, AS_OF, settings)["stock_class"]
    drawn = _drawn_parcels(at)               # every parcel, each with its class at the 截至日期
    assert {pid: p["k"] or "normal" for pid, p in drawn.items()} == dict(want)
    at.multiselect(key="_flt_stock").set_value(["idle", "reclaimable"]).run()
    ok(at)
    assert at.session_state["flt_stock"] == ["idle", "reclaimable"]
    assert any(STOCK_CLASS_LABELS["idle"] in c.value and str(AS_OF) in c.value for c in at.caption)
    assert set(_drawn_parcels(at)) == set(want.index[want.isin(["idle", "reclaimable"])])


def test_a_clicked_parcels_stock_class_in_words(stock_path, settings):  # noqa: F811
    from layers import stock
    _, ws = stock_path
    classes = classify_workspace(ws, AS_OF, settings)
    idle = classes[(classes["stock_class"] == "idle") & (classes["fee_wan"] > 0)].index[0]
    r = classes.loc[idle]
    text = stock.parcel_stock_text(classes, idle)
    assert text.startswith(STOCK_CLASS_LABELS["idle"]) and f"逾期 {int(r['days_overdue'])} 天" in text
    assert f"闲置费 {r['fee_wan']:,.2f} 万元" in text and r["deadline"].strftime("%Y-%m-%d") in text
    normal = classes.index[classes["stock_class"] == "normal"][0]
    assert stock.parcel_stock_text(classes, normal) is None
