"""The land-gap briefing (issue 5): DOCX structure and numbers against the real match result, PDF text and page
image, degenerate counties, and the missing-font error."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from docx import Document as open_docx
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from PIL import Image

import briefing
import matching
from briefing.document import fmt_yi
from briefing.fonts import resolve_font_set
from briefing.labels import reason_label
from geo.errors import MissingFontError
from geo.settings import load_settings
from geo.units import fmt_mu
from seeds.generator import generate_workspace

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "briefing"
AS_OF = dt.date(2026, 6, 30)
HEADINGS = ["一、基本情况", "二、项目用地需求", "三、匹配结果", "四、“有项目、无选址”情况", "五、意见建议",
            "附：测算方法和数据说明"]
GAP_COLUMNS = ["序号", "项目名称", "产业", "总投资（亿元）", "需用地（亩）", "意向园区", "原因", "缺口（亩）"]
needs_pdf = pytest.mark.skipif(not briefing.pdf_available(SETTINGS.runtime) or shutil.which("pdftotext") is None,
                               reason="LibreOffice 或 poppler-utils 未安装（python3 run.py setup）")


class MatchJson(dict):
    """``match --json`` of a run (the tests' independent reference), with the typed result the briefing takes."""
    def __init__(self, typed):
        super().__init__(typed.to_dict())
        self.typed = typed


def run_match(ws) -> MatchJson:
    return MatchJson(matching.match(ws, settings=SETTINGS))


@pytest.fixture(scope="module")
def sample():
    ws = generate_workspace()
    result = run_match(ws)
    b = briefing.build(ws, result.typed, SETTINGS, as_of=AS_OF)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = b.to_docx(ARTIFACTS / "sample.docx")
    return ws, result, b, path


@pytest.fixture(scope="module")
def sample_pdf(sample):
    _, _, b, docx_path = sample
    return b.to_pdf(ARTIFACTS / "sample.pdf", docx_path=docx_path)


def _county(ws, projects: pd.DataFrame, name: str):
    ws2 = ws.with_projects(projects)
    result = run_match(ws2)
    b = briefing.build(ws2, result.typed, SETTINGS, as_of=AS_OF)
    return ws2, result, b, b.to_docx(ARTIFACTS / f"{name}.docx")


@pytest.fixture(scope="module")
def no_unplaced(sample):
    ws, result, _, _ = sample
    placed = [p["project_id"] for p in result["placed"]]
    return _county(ws, ws.projects.loc[placed], "no_unplaced")


@pytest.fixture(scope="module")
def no_pending(sample):
    ws = sample[0]
    return _county(ws, ws.projects.iloc[0:0], "no_pending")


def _text(docx_path: Path) -> str:
    doc = open_docx(docx_path)
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def _headings(docx_path: Path) -> list[str]:
    return [p.text for p in open_docx(docx_path).paragraphs if p.style.name == "公文一级标题"]


def _table(docx_path: Path, columns: list[str]):
    for t in open_docx(docx_path).tables:
        if [c.text for c in t.rows[0].cells] == columns:
            return [[c.text for c in r.cells] for r in t.rows]
    return None


def _expected_totals(ws, result: dict) -> dict[str, float]:
    """The totals, recomputed here straight from the match JSON (not from briefing's code)."""
    inv = ws.projects["investment_yi"].fillna(0.0)
    unplaced_ids = [u["project_id"] for u in result["unplaced"]]
    return {
        "placed_count": result["objective"]["placed_count"],
        "placed_site_mu": sum(p["site_mu"] or 0.0 for p in result["placed"] if p["kind"] == "land"),
        "unplaced_count": len(result["unplaced"]),
        "unplaced_need_mu": sum(u["need_mu"] or 0.0 for u in result["unplaced"]),
        "unplaced_gap_mu": sum(u["gap_mu"] or 0.0 for u in result["unplaced"]),
        "unplaced_investment_yi": float(inv.loc[unplaced_ids].sum()),
        "unlock_count": len(result["unlocks"]),
        "unlock_area_mu": sum(u["area_mu"] or 0.0 for u in result["unlocks"]),
    }


# ------------------------------------------------------------------------------------------------ sample county

def test_sections_in_order_with_title_addressee_and_closing(sample):
    _, _, b, path = sample
    doc = open_docx(path)
    paras = [p.text for p in doc.paragraphs if p.style.name != "公文版头"]
    assert _headings(path) == HEADINGS
    assert paras[0].replace("\n", "") == b.title and "“有项目、无选址”" in b.title
    assert paras[2].endswith("人民政府：")
    order = [paras.index(h) for h in HEADINGS]
    assert order == sorted(order)
    closing = paras.index("特此报告。")
    assert order[4] < closing < order[5]          # 落款 after 五、, the appendix after it
    assert f"{AS_OF.year}年{AS_OF.month}月{AS_OF.day}日" in paras[closing:order[5]]


def test_gap_table_rows_equal_the_unplaced_list(sample):
    ws, result, _, path = sample
    assert result["unplaced"], "the sample county has 有项目、无选址 projects"
    rows = _table(path, GAP_COLUMNS)
    assert rows is not None
    body, total = rows[1:-1], rows[-1]
    assert len(body) == len(result["unplaced"])
    for i, (row, u) in enumerate(zip(body, result["unplaced"]), 1):
        assert row[0] == str(i)
        assert row[1] == ws.projects.at[u["project_id"], "name"]
        assert row[2] == ws.projects.at[u["project_id"], "industry"]
        assert row[4] == (fmt_mu(u["need_mu"]) if u["need_mu"] else "—")
        assert row[6] == reason_label(u["reason"])
        assert row[7] == ("—" if u["gap_mu"] is None else fmt_mu(u["gap_mu"]))
    exp = _expected_totals(ws, result)
    assert total[0] == "合计" and total[1] == f"{exp['unplaced_count']}个"
    assert total[4] == fmt_mu(exp["unplaced_need_mu"]) and total[7] == fmt_mu(exp["unplaced_gap_mu"])
    # The two cases of the bureau's report are in it.
    names = {r[1] for r in body}
    assert {"新能源材料生产项目", "福建安井速冻食品生产基地项目"} <= names


def test_every_total_in_the_text_equals_the_match_result(sample):
    ws, result, b, path = sample
    exp = _expected_totals(ws, result)
    for key, value in exp.items():
        assert b.totals[key] == pytest.approx(value, abs=1e-6), key
    text = _text(path)
    assert f"{exp['placed_count']}个项目可落实选址" in text
    assert f"安排土地{fmt_mu(exp['placed_site_mu'])}亩" in text
    assert (f"全县仍有{exp['unplaced_count']}个项目暂无法落实选址，涉及总投资{fmt_yi(exp['unplaced_investment_yi'])}"
            f"亿元，需用地{fmt_mu(exp['unplaced_need_mu'])}亩，用地缺口{fmt_mu(exp['unplaced_gap_mu'])}亩") in text
    if exp["unlock_count"]:
        assert f"上述{exp['unlock_count']}项工作共涉及土地{fmt_mu(exp['unlock_area_mu'])}亩" in text
    # The county row of the result's gap summary is what section 二 states.
    county = next(z for z in result["zones"] if z["total"])
    assert (f"待落地项目共{county['pending_count']}个" in text and f"总投资{fmt_yi(county['pending_yi'])}亿元，"
            f"需用地{fmt_mu(county['pending_mu'])}亩" in text)
    # Each unlock is a numbered item naming its parcels and its 亩 (or its factory) and the investment it places.
    for u in result["unlocks"]:
        if u["factory_id"]:
            assert f"标准厂房{u['factory_id']}建设" in text
        else:
            assert f"（{fmt_mu(u['area_mu'])}亩）" in text
            assert all(pid in text for pid in u["parcel_ids"][:3])
        assert f"总投资{fmt_yi(u['placed_investment_yi'])}亿元" in text
    # Per-park gap table adds up to the county figure.
    by_zone = _table(path, ["意向园区", "项目数", "总投资（亿元）", "需用地（亩）", "缺口（亩）", "剩余可供（亩）",
                            "剩余在途（亩）"])
    assert sum(int(r[1]) for r in by_zone[1:-1]) == exp["unplaced_count"]
    assert by_zone[-1][4] == fmt_mu(exp["unplaced_gap_mu"])


def test_docx_layout_is_gbt9704(sample):
    _, _, b, path = sample
    doc = open_docx(path)
    s = doc.sections[0]
    mm = [round(x.mm, 1) for x in (s.page_width, s.page_height, s.top_margin, s.bottom_margin, s.left_margin,
                                    s.right_margin)]
    assert mm == [210, 297, 37, 35, 28, 26]       # A4; 天头 37, 订口 28 → 版心 156 × 225 mm
    assert doc.styles["公文正文"].font.size == Pt(16)
    assert doc.styles["公文标题"].font.size == Pt(22)
    assert doc.settings.odd_and_even_pages_header_footer
    for footer in (s.footer, s.even_page_footer):
        assert "PAGE" in footer._element.xml and "—" in footer.paragraphs[0].text
    # The document names the official faces; the project's fontconfig set-up maps each to an installed CJK font.
    named = set(re.findall(r'<w:rFonts[^>]*w:eastAsia="([^"]+)"', doc.styles.element.xml))
    assert named == {"方正小标宋简体", "黑体", "楷体_GB2312", "仿宋_GB2312", "宋体"}
    env = dict(os.environ, FONTCONFIG_FILE=str(Path(briefing.__file__).parent.parent / "config/fontconfig/fonts.conf"))
    installed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    for name in named:
        match = subprocess.run(["fc-match", "--format", "%{family[0]}", name], capture_output=True, text=True,
                               env=env).stdout
        assert match and match in installed, (name, match)
    assert len(b.figures) == 2 and all(png.startswith(b"\x89PNG") for png in b.figures.values())


def test_masthead_is_red_with_number_signer_and_rule(sample, tmp_path, monkeypatch):
    """版头 (GB/T 9704 7.2): 发文机关标志 in red on one line, 发文字号 and 签发人 on one line, a red rule under them;
    the number and signer come from config, and the masthead can be switched off."""
    ws, result, b, path = sample
    doc = open_docx(path)
    head = [p for p in doc.paragraphs if p.style.name == "公文版头"]
    mark = head[0]
    assert mark.text == f"{b.document.closing[1].text}文件" and mark.text.endswith("经济合作局文件")
    assert all(r.font.color.rgb == RGBColor(0xFF, 0, 0) for r in mark.runs)
    assert mark.runs[0].font.size.pt * len(mark.text) * 0.3528 <= 156          # one line of the 版心
    assert round(mark.paragraph_format.space_before.mm) == 35
    number = next(p for p in head if "签发人：" in p.text)
    assert number.text.startswith(f"〔{AS_OF.year}〕")
    rule = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == "FF0000" and rule.get(qn("w:val")) == "single"
    override = tmp_path / "o.toml"
    override.write_text('[briefing]\ndocument_number = "示经合〔2026〕12号"\nsigner = "张三"\n', encoding="utf-8")
    monkeypatch.setenv("LANDGAP_CONFIG", str(override))
    named = briefing.build(ws, result.typed, load_settings(), as_of=AS_OF)
    out = named.to_docx(tmp_path / "named.docx")
    number = next(p for p in open_docx(out).paragraphs if "签发人：" in p.text)
    assert number.text.startswith("示经合〔2026〕12号") and number.text.endswith("签发人：张三")
    off = tmp_path / "off.toml"                  # (the config is cached per override path)
    off.write_text("[briefing]\nmasthead = false\n", encoding="utf-8")
    monkeypatch.setenv("LANDGAP_CONFIG", str(off))
    plain = briefing.build(ws, result.typed, load_settings(), as_of=AS_OF).to_docx(tmp_path / "plain.docx")
    first = open_docx(plain).paragraphs[0]
    assert first.style.name == "公文标题"


@needs_pdf
def test_pdf_text_fonts_and_first_page(sample, sample_pdf):
    ws, result, b, _ = sample
    text = subprocess.run(["pdftotext", str(sample_pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    for heading in HEADINGS:
        assert heading in flat
    exp = _expected_totals(ws, result)
    assert f"用地缺口{fmt_mu(exp['unplaced_gap_mu'])}亩" in flat
    assert f"{exp['placed_count']}个项目可落实选址" in flat
    for u in result["unplaced"]:   # every gap-table row made it onto a page
        assert re.sub(r"\s+", "", ws.projects.at[u["project_id"], "name"]) in flat
    fonts = subprocess.run(["pdffonts", str(sample_pdf)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(re.search(r"\byes\s+yes\s+yes\b", r) for r in rows), fonts   # embedded, subset, unicode
    stem = ARTIFACTS / "sample-page"
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(sample_pdf), str(stem)], check=True)
    png = next(ARTIFACTS.glob("sample-page*1.png"))
    grey = np.asarray(Image.open(png).convert("L"))
    assert grey.shape[0] > grey.shape[1]                 # portrait A4
    assert (grey < 128).mean() > 0.01                    # ink on the page, not blank
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    red_rows = np.flatnonzero(((rgb[..., 0] > 200) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90)).any(axis=1))
    assert len(red_rows)                                  # the red masthead is printed
    mark_top_mm = red_rows[0] / rgb.shape[0] * 297
    assert 37 + 35 - 8 <= mark_top_mm <= 37 + 35 + 8      # 35 mm below the 版心 top (GB/T 9704 7.2.4)
    assert flat.index("经济合作局文件") < flat.index(b.title.replace("\n", ""))


# ------------------------------------------------------------------------------------------------ other counties

def test_county_with_no_unplaced_project(no_unplaced):
    ws, result, b, path = no_unplaced
    assert result["unplaced"] == [] and len(ws.projects) > 0
    assert _headings(path) == HEADINGS
    assert _table(path, GAP_COLUMNS) is None
    text = _text(path)
    assert f"全部{len(ws.projects)}个待落地项目均可落实选址，暂无“有项目、无选址”情况" in text
    assert b.totals["unplaced_gap_mu"] == 0 and "<table>" in b.to_html()


@needs_pdf
def test_county_with_no_pending_project(no_pending):
    ws, result, b, path = no_pending
    assert len(ws.projects) == 0 and result["placed"] == [] and result["unplaced"] == []
    assert _headings(path) == HEADINGS
    text = _text(path)
    assert "目前全县暂无在谈、已签约或已开工的待落地项目" in text
    assert "不存在“有项目、无选址”情况" in text
    pdf = ARTIFACTS / "no_pending.pdf"
    pdf.write_bytes(b.to_pdf_bytes())          # the app's path: DOCX in a temporary folder, then PDF
    flat = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout)
    assert all(h in flat for h in HEADINGS)


# ------------------------------------------------------------------------------------------------ previews, errors

def test_previews_are_self_contained(sample):
    ws, result, b, _ = sample
    html, md = b.to_html(), b.to_markdown()
    assert b.title.replace("和", "") in html.replace("<br>", "").replace("和", "")
    assert html.count("data:image/png;base64,") == 2
    assert not re.search(r"(src|href)=['\"]?https?:", html)      # no CDN, works on a 政务内网
    for u in result["unplaced"]:
        assert ws.projects.at[u["project_id"], "name"] in md
    assert "| " + " | ".join(GAP_COLUMNS) + " |" in md


def test_missing_cjk_font_is_a_clear_error(sample, tmp_path, monkeypatch):
    ws, result, _, _ = sample
    empty = tmp_path / "fonts.conf"
    empty.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig></fontconfig>')
    monkeypatch.setenv("LANDGAP_FONTCONFIG", str(empty))    # fontconfig now sees no font at all
    resolve_font_set.cache_clear()
    with pytest.raises(MissingFontError, match="fonts-noto-cjk"):
        briefing.build(ws, result.typed, load_settings())        # the environment, read by load_settings
    resolve_font_set.cache_clear()


def test_missing_libreoffice_is_a_clear_error(sample, tmp_path, monkeypatch):
    _, _, b, _ = sample
    monkeypatch.setenv("LANDGAP_SOFFICE", str(tmp_path / "no-soffice"))
    runtime = load_settings().runtime                  # the environment, read by load_settings
    assert not briefing.pdf_available(runtime)
    with pytest.raises(briefing.ConverterError, match="libreoffice-writer-nogui"):
        dataclasses.replace(b, runtime=runtime).to_pdf(tmp_path / "x.pdf")


def test_cli_brief_writes_the_word_file(tmp_path, capsys):
    import cli
    out = tmp_path / "报告.docx"
    assert cli.main(["brief", "--out", str(out), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert out.exists() and payload["docx"] == str(out) and payload["pdf"] is None
    assert _headings(out) == HEADINGS
    assert cli.main(["brief", "--out", str(tmp_path / "x.txt")]) == 1
    assert "扩展名应为 .docx" in capsys.readouterr().err


def test_intensity_flags_become_advice(sample):
    ws = sample[0]
    projects = ws.projects.copy()
    projects.loc["P-QT-07", "investment_yi"] = 0.2        # 40 万元/亩 on 50 亩: below any 标准地 floor
    ws2 = ws.with_projects(projects)
    flagged = matching.intensity_check(ws2, settings=SETTINGS)
    flagged = flagged[flagged["below"]]
    assert "P-QT-07" in flagged.index
    b = briefing.build(ws2, matching.match(ws2, settings=SETTINGS), SETTINGS, as_of=AS_OF, figures=False)
    md = b.to_markdown()
    row = flagged.loc["P-QT-07"]
    assert (f"家居定制生产基地项目需用地{fmt_mu(row['land_mu'])}亩，投资强度{row['intensity_wan_per_mu']:.1f}万元/亩，"
            f"低于{row['floor_wan_per_mu']:.0f}万元/亩的标准，按标准核定用地{fmt_mu(row['justified_mu'])}亩") in md
    assert b.totals["intensity_flag_count"] == len(flagged)
