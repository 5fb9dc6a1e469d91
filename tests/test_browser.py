"""Real browser: Debian's chromium drives the running app with no network beyond localhost."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from browser_util import CHROMIUM, browser, running_app, wait_for_map

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} 不存在（apt-get install chromium）")]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
PAGES = {"": "用地一张图", "fit": "项目选址", "gap": "缺口分析", "briefing": "简报", "data": "数据管理"}


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


def test_clicking_a_parcel_shows_its_details(session, sample_ws):
    url, ctx = session
    page = ctx.new_page()
    page.goto(url)
    frame, _ = wait_for_map(page)
    # an available parcel (it belongs to a block), at its centre, in page coordinates
    target = frame.evaluate("""() => {
        const m = Object.values(window).find(v => v instanceof L.Map);
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
    assert "状态：可供" in body and "绘制范围" not in body and "所属连片" in body and sample_ws.zones.at[row["zone_id"], "name"] in body
    assert re.search(r"所属连片：\S+-B\d{3}（\d+ 块，合计 [\d,]+\.\d 亩）", body)
    page.screenshot(path=str(ARTIFACTS / "parcel-click.png"), full_page=True)
    assert ctx.outside == []
