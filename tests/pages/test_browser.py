"""Real browser: Debian's chromium drives the running app with no network beyond localhost."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo.vocab import FIELD_LABELS
from tests.browser_util import CHROMIUM, FIND_MAP, browser, draw_square, running_app, wait_for_map, wait_until_idle

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} 不存在（apt-get install chromium）")]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
PAGES = {"": "用地一张图", "fit": "项目选址", "gap": "缺口分析", "kpi": "招商考核", "stock": "存量土地盘活",
         "briefing": "简报", "data": "数据管理"}


@pytest.fixture(scope="module")
def session(sample_path, tmp_path_factory):
    ARTIFACTS.mkdir(exist_ok=True)
    with running_app(sample_path) as url, browser(str(tmp_path_factory.mktemp("chromium-profile"))) as ctx:
        yield url, ctx


def test_every_page_renders_offline_and_map_draws_parcels(session, sample_ws):
    url, ctx = session
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    for path, title in PAGES.items():
        page.goto(f"{url}/{path}")
        page.get_by_role("heading", name=re.compile(title)).first.wait_for(timeout=90_000)
        if path in ("", "gap"):
            _, counts = wait_for_map(page, min_total=len(sample_ws.parcels))
            assert counts["total"] == len(sample_ws.parcels)
            assert counts["drawn"] >= 0.95 * counts["total"]         # the fitted view shows (nearly) all
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / f"page-{path or 'map'}.png"), full_page=True)
        assert not page.get_by_text("Traceback").count()
    assert ctx.outside == [], f"请求离开了本机：{ctx.outside[:5]}"
    assert not errors, errors


BROKEN_IMAGES = ("Array.from(document.images).filter(i => i.getAttribute('src') && i.complete && i.naturalWidth === 0)"
                 ".map(i => i.getAttribute('src'))")


def test_no_page_shows_a_broken_image_and_map_has_its_own_address(session, sample_ws):
    """Every page (and /map, the map's own address: no English "Page not found") loads every image it shows —
    the map's marker icons included — in the page and in its frames (the map is one)."""
    url, ctx = session
    page = ctx.new_page()
    broken = {}
    for path, title in {**PAGES, "map": "用地一张图"}.items():
        page.goto(f"{url}/{path}")
        page.get_by_role("heading", name=re.compile(title)).first.wait_for(timeout=90_000)
        if path in ("", "map", "gap"):
            wait_for_map(page, min_total=len(sample_ws.parcels))
        wait_until_idle(page)
        page.wait_for_timeout(1000)
        assert not page.get_by_text("Page not found").count(), path
        found = [src for frame in page.frames for src in frame.evaluate(BROKEN_IMAGES)]
        if found:
            broken[path or "/"] = found
    assert broken == {}


def open_map(session):
    """A new tab on the map page, once the map has drawn: (page, map iframe, the browser context)."""
    url, ctx = session
    page = ctx.new_page()
    page.goto(url)
    frame, _ = wait_for_map(page)
    return page, frame, ctx




def test_clicking_a_parcel_shows_its_details(session, sample_ws):
    page, frame, ctx = open_map(session)
    # an available parcel (it belongs to a block), at its centre, in page coordinates
    target = frame.evaluate("""() => {
        """ + FIND_MAP + """
        const l = window.landgapLayers.parcels.getLayers().filter(x => x.feature.properties.s === 'available')
                  .sort((a, b) => b.feature.properties.a - a.feature.properties.a)[0];
        m.setView(l.getCenter(), 17, {animate: false});   // big enough to hit; no rerun (bounds not returned)
        const p = m.latLngToContainerPoint(l.getCenter());
        return {id: l.feature.properties.id, x: p.x, y: p.y}; }""")
    page.wait_for_timeout(300)
    box = frame.frame_element().bounding_box()
    page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
    panel = page.get_by_text(f"地块 {target['id']}")
    panel.wait_for(timeout=30_000)
    row = sample_ws.parcels.loc[target["id"]]
    body = page.locator("section.main, [data-testid='stMain']").first.inner_text()
    assert f"面积：{row['area_mu']:,.1f} 亩" in body
    assert ("状态：可供" in body and "绘制范围" not in body and "所属连片" in body
            and sample_ws.zones.at[row["zone_id"], "name"] in body)
    assert re.search(r"所属连片：\S+-B\d{3}（\d+ 块，合计 [\d,]+\.\d 亩）", body)
    page.screenshot(path=str(ARTIFACTS / "parcel-click.png"), full_page=True)
    assert ctx.outside == []


def test_drawing_a_polygon_shows_its_acreage(session, sample_ws):
    """leaflet-draw's polygon tool, clicked like a planner would: the page then shows the drawn area and the 亩 by
    status inside it, equal to query.drawn_total_mu for the same corners."""
    from geo.units import fmt_mu
    from layers import query
    page, frame, ctx = open_map(session)
    corners = draw_square(page, frame)
    body = page.locator("section.main, [data-testid='stMain']").first.inner_text()
    ring = [[pt["lng"], pt["lat"]] for pt in corners + corners[:1]]
    drawing = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    expected = query.drawn_total_mu(sample_ws, drawing)
    got = float(re.search(r"绘制范围：([\d,]+\.\d) 亩", body).group(1).replace(",", ""))
    assert expected > 0 and got == pytest.approx(expected, rel=0.01), (got, fmt_mu(expected))
    by_status = query.drawn_area_by_status(sample_ws, drawing)
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    cells = [[c.text_content() for c in row.locator("td").all()] for row in grid.locator("tr").all()]
    shown = {r[0]: (float(r[1]), int(r[2])) for r in cells if len(r) == 3}
    assert set(shown) == set(by_status["状态"])
    for _, r in by_status.iterrows():                 # the drawn corners are pixel-exact: 1 % covers rounding
        assert shown[r["状态"]][0] == pytest.approx(r["area_mu"], rel=0.01, abs=0.2)
        assert abs(shown[r["状态"]][1] - r["parcels"]) <= 1
    page.screenshot(path=str(ARTIFACTS / "polygon-drawn.png"), full_page=True)
    assert ctx.outside == []


def open_data_page(ctx, url):
    """A new tab on 数据管理, reached through the sidebar as a planner gets there, once its run has finished."""
    page = ctx.new_page()
    page.goto(url)
    page.get_by_role("link", name="数据管理").click()
    page.get_by_role("heading", name=re.compile("数据管理")).first.wait_for(timeout=90_000)
    wait_until_idle(page)
    return page


def upload(page, label: str, path: Path) -> None:
    """Choose ``path`` in the uploader labelled ``label`` and wait until its upload has finished: the chip's button
    reads "Remove <name>" only then (before, "Cancel upload of"), and a button clicked earlier runs on the old file."""
    widget = page.locator("[data-testid='stFileUploader']").filter(has_text=label)
    widget.locator("input[type='file']").set_input_files(str(path))
    widget.get_by_role("button", name=f"Remove {path.name}", exact=True).wait_for(timeout=30_000)


def import_refused(page, button: str, message: str, row_column: str) -> list[list[str]]:
    """Click ``button``, wait for the refusal ``message`` and return the cells of the error table under it."""
    page.get_by_role("button", name=button).click()
    page.get_by_text(re.compile(message)).first.wait_for(timeout=30_000)
    grid = page.locator("[data-testid='stDataFrame']").filter(has_text=row_column).first
    grid.wait_for(state="attached", timeout=30_000)
    page.wait_for_timeout(500)
    return [[c.text_content() for c in row.locator("td").all()] for row in grid.locator("tr").all()]


def test_importing_a_ledger_on_the_data_page(session, sample_ws, tmp_path):
    """A planner uploads the bureau's Excel ledger: the project count grows by its rows, a bad ledger lists its
    Excel rows and changes nothing."""
    from tests.formats.test_ledger import GOOD, HEADER, TITLE, xlsx
    url, ctx = session
    page = open_data_page(ctx, url)
    page.get_by_text("从台账导入（Excel / CSV）").click()
    bad = tmp_path / "坏台账.xlsx"
    bad.write_bytes(xlsx([HEADER, [1, "坏", "纺织鞋服", 1, "abc", "QDB", "在谈", None]]))
    good = tmp_path / "台账.xlsx"
    good.write_bytes(xlsx([[TITLE] + [None] * 7, HEADER, *GOOD]))
    upload(page, "招商项目台账", bad)
    cells = import_refused(page, "导入台账", "台账 坏台账.xlsx 有 1 处错误，未导入", "台账行号")
    # Excel row 2, the 亩 column
    assert [r[2:4] for r in cells if r] == [["2", FIELD_LABELS["land_mu"]]], cells
    upload(page, "招商项目台账", good)
    page.get_by_role("button", name="导入台账").click()
    page.get_by_text(re.compile("已导入台账 台账.xlsx：新增 2 个")).first.wait_for(timeout=30_000)
    body = page.locator("[data-testid='stMain']").first.inner_text()
    assert re.search(rf"招商项目\s+{len(sample_ws.projects) + 2}\s", body) and "尚未保存" in body
    page.screenshot(path=str(ARTIFACTS / "ledger-import.png"), full_page=True)
    assert ctx.outside == []


def test_importing_a_shapefile_on_the_data_page(session, sample_ws, tmp_path):
    """A planner selects the parts of another office's GBK Shapefile (no .cpg): the parcels it lists change status,
    the note says GBK was detected, and a layer with a bad park lists the feature by FID and changes nothing."""
    from tests.formats.test_shapefile import layer_of, write_shp
    url, ctx = session
    page = open_data_page(ctx, url)
    page.get_by_text("从其他 GIS 导入地块图层（Shapefile）").click()
    widget = page.locator("[data-testid='stFileUploader']").filter(has_text="地块图层")
    bad = write_shp(tmp_path / "bad", layer_of(sample_ws, YQ=["火星园区", None, None, None, None]), stem="坏图层")
    widget.locator("input[type='file']").set_input_files([str(p) for p in sorted(bad.parent.iterdir())])
    widget.get_by_role("button", name="Remove 坏图层.shp", exact=True).wait_for(timeout=30_000)
    cells = import_refused(page, "导入图层", "坏图层.shp 有 1 处错误，未导入", "要素 FID")
    assert [r[2] for r in cells if r] == ["0"], cells                             # FID 0, the bad park
    removes = widget.get_by_role("button", name=re.compile("^Remove "))
    while removes.count():                                   # each removal re-renders the list: take the first
        removes.first.click()
        page.wait_for_timeout(200)
    good = write_shp(tmp_path / "good", layer_of(sample_ws))
    widget.locator("input[type='file']").set_input_files([str(p) for p in sorted(good.parent.iterdir())])
    widget.get_by_role("button", name="Remove 地块.shp", exact=True).wait_for(timeout=30_000)
    page.get_by_role("button", name="导入图层").click()
    page.get_by_text(re.compile("已导入图层 .*：新增 0 块、更新 5 块地块")).first.wait_for(timeout=30_000)
    body = page.locator("[data-testid='stMain']").first.inner_text()
    assert "按内容判定为 GBK" in body and "尚未保存" in body
    page.screenshot(path=str(ARTIFACTS / "shapefile-import.png"), full_page=True)
    assert ctx.outside == []


# Every text the user sees in an element: its text nodes drawn at a non-zero size, and CSS ::before/::after content.
SEEN_TEXT_JS = """(root) => {
  const out = [];
  const shown = (el) => { const s = getComputedStyle(el);
    return s.display !== 'none' && s.visibility !== 'hidden' && parseFloat(s.fontSize) > 0 &&
      el.getClientRects().length > 0; };
  const walk = (el) => {
    for (const n of el.childNodes) {
      if (n.nodeType === 3 && n.textContent.trim() && shown(el)) out.push(n.textContent.trim());
      if (n.nodeType === 1) walk(n);
    }
    for (const pseudo of ['::before', '::after']) {
      const c = getComputedStyle(el, pseudo).content;
      if (c && c !== 'none' && c !== 'normal' && c !== '""') out.push(JSON.parse(c));
    }
  };
  walk(root);
  return out; }"""
ENGLISH = re.compile(r"Upload|upload|per file|Drag and drop|Browse files|Limit \d+")


def test_uploader_texts_are_chinese(session, tmp_path):
    """Streamlit's uploader writes "Upload", "200MB per file • GPKG, ZIP" and, while a file is dragged over it,
    "Drag and drop a file here": the user sees Chinese in their place; an uploaded file's name stays readable."""
    url, ctx = session
    page = open_data_page(ctx, url)
    zone = page.locator("[data-testid='stFileUploader']").filter(has_text="GeoPackage").first
    zone.wait_for(timeout=30_000)
    wait_until_idle(page)
    page.wait_for_timeout(500)                              # the page's style elements arrive with the run
    seen = zone.evaluate(SEEN_TEXT_JS)
    assert "上传文件" in seen and "单个文件不超过 200 MB · GPKG、ZIP" in seen, seen
    assert not [s for s in seen if ENGLISH.search(s) and s != "upload"], seen   # "upload": the icon's ligature
    page.get_by_text("从台账导入（Excel / CSV）").click()
    ledger = tmp_path / "台账.csv"
    ledger.write_text("项目名称,产业,拟用地（亩）\n测试项目,纺织鞋服,10\n", encoding="utf-8")
    upload(page, "招商项目台账", ledger)
    widget = page.locator("[data-testid='stFileUploader']").filter(has_text="招商项目台账")
    chip = widget.evaluate(SEEN_TEXT_JS)
    assert "台账.csv" in chip, chip                           # the file's name is not hidden by the replacement
    assert not [s for s in chip if ENGLISH.search(s) and s != "upload"], chip
    page.screenshot(path=str(ARTIFACTS / "uploader-zh.png"), full_page=True)
    dropzone = zone.locator("[data-testid='stFileUploaderDropzone']")
    handle = page.evaluate_handle("() => { const d = new DataTransfer();"
                                  " d.items.add(new File(['x'], 'a.gpkg')); return d; }")
    dropzone.dispatch_event("dragenter", {"dataTransfer": handle})
    page.wait_for_timeout(300)
    dragging = zone.evaluate(SEEN_TEXT_JS)
    assert "将文件拖放到此处" in dragging and not any("Drag and drop" in s for s in dragging), dragging
    assert ctx.outside == []


def test_map_controls_are_metric_and_chinese(session):
    """One scale bar, in m or km (Leaflet's default adds miles); the controls' tooltips are Chinese."""
    page, frame, ctx = open_map(session)
    lines = frame.locator(".leaflet-control-scale-line").all_text_contents()
    assert len(lines) == 1 and re.fullmatch(r"\d+ (m|km)", lines[0]), lines
    titles = frame.evaluate("() => [...document.querySelectorAll('.leaflet-control-container [title]')]"
                            ".map(e => e.title)")
    assert {"放大", "缩小", "图层"} <= set(titles), titles
    assert not [t for t in titles if re.fullmatch(r"[A-Za-z ,.]+", t)], titles      # no English-only tooltip


def test_a_file_the_browser_refuses_as_too_large_is_marked_in_chinese(session, sample_path, tmp_path):
    """Over server.maxUploadSize (team mode: [uploads] max_file_mb) Streamlit refuses the file in the browser with
    an English tooltip only: the chip says in Chinese that it was not uploaded, and the limit. (A second app with
    a 1 MB limit, in the session's browser.)"""
    _, ctx = session
    with running_app(sample_path, {"STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "1"}) as url:
        page = open_data_page(ctx, url)
        page.get_by_text("从台账导入（Excel / CSV）").click()
        big = tmp_path / "大台账.csv"
        big.write_bytes(b"a,b\n" + b"1,2\n" * 400_000)               # 1.6 MB
        widget = page.locator("[data-testid='stFileUploader']").filter(has_text="招商项目台账")
        widget.locator("input[type='file']").set_input_files(str(big))
        widget.locator("[data-testid='stFileChip'][aria-invalid='true']").wait_for(timeout=30_000)
        page.wait_for_timeout(300)
        chip = widget.evaluate(SEEN_TEXT_JS)
        widget.screenshot(path=str(ARTIFACTS / "uploader-too-large.png"))
    assert any("大台账.csv" in s for s in chip) and "（未上传：文件须不超过 1 MB，且为所列类型）" in chip, chip
