"""Rendering of the briefing (issue 10): the DOCX names the official 公文 fonts, the PDF maps those names to
installed CJK fonts (never boxes, never DejaVu for Chinese), and the body flows on from page 1 (no page but the
last of each part less than half full).

Everything is read back independently of briefing's code: the DOCX as zip/XML, the PDF with poppler.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest
from docx import Document as new_docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from PIL import Image

import briefing
import matching
from briefing.fonts import FONTCONFIG_FILE, fontconfig_env
from briefing.pdf import docx_to_pdf
from geo.settings import load_settings
from seeds.generator import generate_workspace

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

AS_OF = dt.date(2026, 6, 30)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
OFFICIAL = {"title": "方正小标宋简体", "heiti": "黑体", "kaiti": "楷体_GB2312", "fangsong": "仿宋_GB2312"}
# Families the project's fontconfig set-up may map the official names to on a Debian server (fonts-noto-cjk,
# fonts-arphic-ukai), as pdffonts spells them, or the official faces themselves when installed — and any family
# config/fontconfig/fonts.conf itself names (read from the file, spaces dropped as in PostScript names).
CONF_FAMILIES = sorted({e.text.replace(" ", "") for e in ET.parse(FONTCONFIG_FILE).getroot().iter()
                        if e.tag in ("family", "string") and e.text and e.text.isascii()}, key=len, reverse=True)
MAPPED = re.compile(r"NotoSerifCJK|NotoSansCJK|UKai|FZXiaoBiaoSong|SimHei|FangSong|KaiTi|SimSun|Kai|Fang|"
                    + "|".join(map(re.escape, CONF_FAMILIES)), re.IGNORECASE)
STYLE_FONT = {"公文标题": OFFICIAL["title"], "公文一级标题": OFFICIAL["heiti"], "公文二级标题": OFFICIAL["kaiti"],
              "公文正文": OFFICIAL["fangsong"], "公文主送": OFFICIAL["fangsong"], "公文表格": OFFICIAL["fangsong"],
              "公文表题": OFFICIAL["heiti"], "公文图题": OFFICIAL["heiti"], "公文落款": OFFICIAL["fangsong"]}
PAGE_H_MM, TOP_MM, BODY_MM = 297.0, 37.0, 225.0          # A4; 版心 225 mm high, 37 mm from the top
needs_pdf = pytest.mark.skipif(not briefing.pdf_available(SETTINGS.runtime) or shutil.which("pdftotext") is None
                               or shutil.which("pdffonts") is None,
                               reason="LibreOffice 或 poppler-utils 未安装（python3 run.py setup）")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    ws = generate_workspace()
    result = matching.match(ws, settings=SETTINGS)
    b = briefing.build(ws, result, SETTINGS, as_of=AS_OF)
    out = tmp_path_factory.mktemp("render")
    return b, b.to_docx(out / "sample.docx"), out


@pytest.fixture(scope="module")
def pdf(built):
    b, docx_path, out = built
    return b.to_pdf(out / "sample.pdf", docx_path=docx_path)


def _xml(docx_path: Path, part: str):
    from lxml import etree
    with zipfile.ZipFile(docx_path) as z:
        return etree.fromstring(z.read(part))


def _pdftotext(pdf_path: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(pdf_path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _pages(pdf_path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def _ink_bottom(pdf_path: Path, tmp: Path) -> list[float]:
    """Per page, how far down the 版心 the lowest ink (text, table or figure) reaches, as a fraction of its height;
    the page number below the 版心 is not counted."""
    tmp.mkdir(parents=True, exist_ok=True)
    stem = tmp / "page"
    subprocess.run(["pdftoppm", "-r", "40", "-gray", "-png", str(pdf_path), str(stem)], check=True)
    fill = []
    for png in sorted(tmp.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
        grey = np.asarray(Image.open(png).convert("L"))
        mm = np.arange(grey.shape[0]) / grey.shape[0] * PAGE_H_MM
        inked = (grey < 160).any(axis=1) & (mm > TOP_MM) & (mm < TOP_MM + BODY_MM + 1)
        rows = np.flatnonzero(inked)
        fill.append(0.0 if not len(rows) else (mm[rows[-1]] - TOP_MM) / BODY_MM)
    return fill


# ------------------------------------------------------------------------------------------------ DOCX fonts

def test_docx_names_the_official_fonts(built):
    """Word or WPS on a government PC renders the 公文 faces only if the DOCX names them: 方正小标宋简体 (title),
    黑体 (一、, captions, table heads), 楷体_GB2312 (（一）), 仿宋_GB2312 (body, tables); no Noto name anywhere."""
    _, path, _ = built
    styles, body = _xml(path, "word/styles.xml"), _xml(path, "word/document.xml")
    by_name = {s.find(f"{W}name").get(f"{W}val"): s for s in styles.iter(f"{W}style")}
    for style, font in STYLE_FONT.items():
        fonts = by_name[style].find(f"{W}rPr/{W}rFonts")
        assert fonts.get(f"{W}eastAsia") == font, style
    # Every East Asian font any run or style names is one of the official four (宋体 for the page number).
    named = {f.get(f"{W}eastAsia") for root in (styles, body) for f in root.iter(f"{W}rFonts")} - {None}
    assert named <= set(OFFICIAL.values()) | {"宋体"}, named
    footer = {f.get(f"{W}eastAsia") for f in _xml(path, "word/footer1.xml").iter(f"{W}rFonts")}
    assert footer == {"宋体"}                        # GB/T 9704 7.5: page numbers in 宋体
    for part in ("word/styles.xml", "word/document.xml", "word/footer1.xml", "word/fontTable.xml"):
        root = _xml(path, part)
        faces = {v for f in (*root.iter(f"{W}rFonts"), *root.iter(f"{W}font")) for v in f.attrib.values()}
        assert not [f for f in faces if "Noto" in f or "UKai" in f], part      # no stand-in font named
    # Latin letters and digits of the body are Times New Roman (the usual 公文 rule); the title and 黑体 keep
    # their own face for them.
    assert by_name["公文正文"].find(f"{W}rPr/{W}rFonts").get(f"{W}ascii") == "Times New Roman"
    assert by_name["公文标题"].find(f"{W}rPr/{W}rFonts").get(f"{W}ascii") == OFFICIAL["title"]
    # 小标宋 is a heavy face by itself: the title is not bolded on top of it.
    title = by_name["公文标题"].find(f"{W}rPr/{W}b")
    assert title is None or title.get(f"{W}val") in ("0", "false")
    # The font table tells Word/WPS what to substitute when a face is missing (仿宋_GB2312 → 仿宋 …).
    table = {f.get(f"{W}name"): f for f in _xml(path, "word/fontTable.xml").iter(f"{W}font")}
    assert set(OFFICIAL.values()) <= set(table)
    assert table["仿宋_GB2312"].find(f"{W}altName").get(f"{W}val") == "仿宋"
    assert table["仿宋_GB2312"].find(f"{W}charset").get(f"{W}val") == "86"   # GB2312


# ------------------------------------------------------------------------------------------------ PDF fonts

def _pdffonts(pdf_path: Path) -> list[str]:
    out = subprocess.run(["pdffonts", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[2:]


def _assert_mapped(rows: list[str]) -> None:
    assert rows
    for row in rows:
        name, kind = row.split()[0], row.split()[1]
        assert re.search(r"\byes\s+yes\s+yes\b", row), row          # embedded, subset, unicode map
        assert kind != "Type" or "Type 3" not in row, row             # no Type 3 (bitmap boxes)
        assert "DejaVu" not in name and MAPPED.search(name), row


@needs_pdf
def test_official_font_names_convert_to_installed_cjk_fonts(tmp_path):
    """docx_to_pdf alone: a DOCX naming only the official faces (as a government PC's Word file does) converts
    with each name mapped to an installed CJK family, never DejaVu or boxes."""
    doc = new_docx()
    text = "关于示例县工业用地保障 2026年12月 “有项目、无选址” 136.8亩"
    for name in (*OFFICIAL.values(), "宋体"):
        run = doc.add_paragraph().add_run(f"{name}：{text}")
        fonts = OxmlElement("w:rFonts")
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), name)
        run._r.get_or_add_rPr().insert(0, fonts)
    doc.save(tmp_path / "official.docx")
    pdf_path = docx_to_pdf(tmp_path / "official.docx", tmp_path / "official.pdf", SETTINGS.runtime)
    rows = _pdffonts(pdf_path)
    _assert_mapped(rows)
    assert any("Bold" in r for r in rows)            # 方正小标宋 stands in as the heavy (bold) serif
    flat = re.sub(r"\s+", "", _pdftotext(pdf_path))
    assert flat.count(re.sub(r"\s+", "", text)) == 5


@needs_pdf
def test_pdf_fonts_are_the_mapped_families(built, pdf):
    b, _, _ = built
    rows = _pdffonts(pdf)
    _assert_mapped(rows)
    names = " ".join(r.split()[0] for r in rows)
    assert "Bold" in names and "Serif" in names and "Sans" in names and "UKai" in names   # 小标宋, 黑体, 楷体, 仿宋
    flat = re.sub(r"\s+", "", _pdftotext(pdf))
    assert b.title.replace("\n", "") in flat
    assert "为摸清全县工业用地底数" in flat and "特此报告。" in flat


def test_the_converter_sees_only_the_faces_the_set_up_names():
    """The same briefing on every machine: fonts the set-up does not name (fonts-liberation's metric twins,
    DejaVu) are not in the converter's font set, so they cannot change a face or a line break."""
    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig 未安装")
    listed = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=True,
                            env=fontconfig_env(SETTINGS.runtime)).stdout
    families = {f.strip().replace(" ", "").lower() for line in listed.splitlines() for f in line.split(",")}
    assert families and not [f for f in families if "liberation" in f or "dejavu" in f or "tinos" in f]
    assert all(f in {c.lower() for c in CONF_FAMILIES} or not f.isascii() for f in families), families


# ------------------------------------------------------------------------------------------------ page flow

@needs_pdf
def test_page_one_flows_on_after_the_opening(built, pdf):
    """Page 1 (red 版头, title, addressee, opening) goes on with section 一 down to the foot of the 版心, instead
    of leaving the rest of the page blank."""
    page1 = _pdftotext(pdf, "-layout", "-f", "1", "-l", "1")
    flat = re.sub(r"\s+", "", page1)
    assert "一、基本情况" in flat
    after = flat.split("一、基本情况", 1)[1]
    assert len(after.replace("—1—", "")) >= 20             # section 一's body starts on page 1 too
    assert _ink_bottom(pdf, pdf.parent / "p1")[0] >= 0.85


@needs_pdf
def test_page_one_without_masthead_holds_fifteen_lines(built, tmp_path):
    b, _, _ = built
    plain = briefing.Briefing(dataclasses.replace(b.document, masthead=None), b.fonts)
    pdf_path = plain.to_pdf(tmp_path / "plain.pdf")
    lines = [ln for ln in _pdftotext(pdf_path, "-layout", "-f", "1", "-l", "1").splitlines() if ln.strip()]
    assert len(lines) >= 15 and "一、基本情况" in re.sub(r"\s+", "", "".join(lines))


@needs_pdf
def test_no_page_but_the_last_of_a_part_is_less_than_half_full(built, pdf):
    """Tables split (heading row repeated), figures fit half a page: only the last page of the report body
    (before the appendix, which starts a page of its own) and the last page may be short."""
    fill = _ink_bottom(pdf, pdf.parent / "all")
    assert len(fill) == _pages(pdf)
    texts = [re.sub(r"\s+", "", _pdftotext(pdf, "-f", str(i), "-l", str(i))) for i in range(1, len(fill) + 1)]
    appendix = next(i for i, t in enumerate(texts) if t.startswith("附：测算方法和数据说明"))
    short = [i + 1 for i, f in enumerate(fill) if f < 0.5 and i not in (appendix - 1, len(fill) - 1)]
    assert not short, f"pages less than half full: {short}; fill {[round(f, 2) for f in fill]}"


@needs_pdf
def test_an_installed_official_face_wins_over_its_stand_in(tmp_path, monkeypatch):
    """Where a real 仿宋_GB2312 is installed (a government font copied to the server) the set-up renders with it,
    in the figures' lookup and in LibreOffice's PDF, not with the Noto stand-in. The 'real' face here is AR PL
    UKai renamed (the name is all that matters to fontconfig)."""
    from fontTools.ttLib import TTCollection

    from briefing.fonts import FONTCONFIG_FILE, resolve_font_set, resolve_fonts
    ukai = Path("/usr/share/fonts/truetype/arphic/ukai.ttc")
    if not ukai.exists():
        pytest.skip("fonts-arphic-ukai 未安装")
    face = TTCollection(str(ukai)).fonts[0]
    names = face["name"]
    names.removeNames(platformID=1)                       # Mac records cannot hold Chinese
    for name_id, value in ((1, "仿宋_GB2312"), (4, "仿宋_GB2312"), (16, "仿宋_GB2312"), (6, "FangSong_GB2312")):
        names.removeNames(nameID=name_id)
        for lang in (0x409, 0x804):
            names.setName(value, name_id, 3, 1, lang)
    (tmp_path / "fonts").mkdir()
    face.save(tmp_path / "fonts" / "fangsong_gb2312.ttf")
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd"><fontconfig>'
                    f'<include>{FONTCONFIG_FILE}</include><dir>{tmp_path / "fonts"}</dir>'
                    f'<cachedir>{tmp_path / "cache"}</cachedir></fontconfig>', encoding="utf-8")
    monkeypatch.setenv("LANDGAP_FONTCONFIG", str(conf))
    resolve_font_set.cache_clear()
    try:
        fonts = resolve_fonts(load_settings().runtime)
    finally:
        resolve_font_set.cache_clear()
    assert fonts.fangsong.family == "仿宋_GB2312" and fonts.fangsong.official
    assert fonts.heiti.family == "Noto Sans CJK SC" and not fonts.heiti.official    # the others still stand in
    assert "仿宋_GB2312、" not in fonts.describe() and "黑体以Noto Sans CJK SC代替" in fonts.describe()
    doc = new_docx()
    run = doc.add_paragraph().add_run("仿宋国土资源局关于报告")
    rfonts = OxmlElement("w:rFonts")
    rfonts.set(qn("w:eastAsia"), "仿宋_GB2312")
    run._r.get_or_add_rPr().insert(0, rfonts)
    doc.save(tmp_path / "fs.docx")
    rows = _pdffonts(docx_to_pdf(tmp_path / "fs.docx", tmp_path / "fs.pdf", load_settings().runtime))
    assert any("FangSong_GB2312" in r for r in rows) and not any("NotoSerif" in r for r in rows), rows
