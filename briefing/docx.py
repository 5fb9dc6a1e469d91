"""The document model → a Word file in the official-document layout (GB/T 9704-2012).

A4; 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm (so bottom 35 mm, right 26 mm); 22 lines of 28 characters; title
2号 (22 pt) 小标宋, centred; body 3号 (16 pt) 仿宋, first line indented two characters; 一、 in 黑体, （一） in 楷体,
1. in bold 仿宋; page numbers 4号 (14 pt) 宋体 "— 1 —", odd pages right, even pages left, one character in.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt, RGBColor

from briefing.document import Document, Figure, Heading, Masthead, Paragraph, Table
from briefing.fonts import FONT_TABLE, Face, FontSet

BODY_PT = 16.0            # 3号
TITLE_PT = 22.0           # 2号
PAGE_NO_PT = 14.0         # 4号
TABLE_PT = 10.5           # 五号: eight columns fit the 156 mm 版心
CAPTION_PT = 14.0
LINE_PT = 28.9            # 225 mm / 22 lines, a hair under so the 22nd line fits
CHAR_SPACING_PT = -0.25   # 156 mm / 28 characters = 15.75 pt per 16 pt character
TEXT_WIDTH_MM = 156.0
FOOTER_MM = 21.0          # page number 7 mm below the 版心 (35 mm bottom margin - 7 mm - the line)
RED = RGBColor(0xFF, 0x00, 0x00)
MARK_TOP_MM = 35.0        # 发文机关标志: its top 35 mm below the 版心's top (7.2.4)
MARK_MAX_PT = 42.0        # ... as large as fits one line of the 版心, at most this
MARK_LINE = 1.15          # ... on an exact line of this many times its size (no clipping in Word or LibreOffice)
RULE_BELOW_MM = 4.0       # the red separator 4 mm below the 发文字号 (7.2.7)


def _name_fonts(fonts, face: Face) -> None:
    """``w:rFonts`` naming the official face for Chinese and its Latin face (no theme fonts, which would override
    them); the hint makes Word and WPS set the ambiguous punctuation (“” — …) in the Chinese face."""
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr, value in (("w:ascii", face.docx_latin), ("w:hAnsi", face.docx_latin), ("w:eastAsia", face.docx_name),
                        ("w:cs", face.docx_latin), ("w:hint", "eastAsia")):
        fonts.set(qn(attr), value)


def _set_fonts(rpr_owner, face: Face, size: float | None = None, bold: bool | None = None) -> None:
    """Name ``face`` (``_name_fonts``) and set size and weight. The DOCX is never bolded for a stand-in: 小标宋
    is heavy by itself on a government PC, and the PDF's bold stand-in comes from the fontconfig set-up."""
    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    _name_fonts(fonts, face)
    if size is not None:
        _set_values(rpr, ("w:sz", "w:szCs"), str(int(round(size * 2))))     # half-points
    if bold is not None:
        _set_values(rpr, ("w:b", "w:bCs"), "1" if bold else "0")


def _set_values(rpr, tags: tuple[str, ...], value: str) -> None:
    """``w:val`` of each of ``tags`` in a run's properties (the Latin and the complex-script twin)."""
    for tag in tags:
        el = rpr.find(qn(tag))
        if el is None:
            el = OxmlElement(tag)
            rpr.append(el)
        el.set(qn("w:val"), value)


def _run(paragraph, text: str, face: Face, size: float, bold: bool | None = None):
    run = paragraph.add_run(text)
    _set_fonts(run._r, face, size, bold)
    return run


def _style(doc, name: str, face: Face, size: float, *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent_chars: float = 0,
           line_pt: float | None = LINE_PT, outline: int | None = None, keep_next: bool = False,
           bold: bool | None = None, spacing: float | None = CHAR_SPACING_PT):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    _set_fonts(style.element, face, size, bold)
    if spacing:
        el = OxmlElement("w:spacing")
        el.set(qn("w:val"), str(int(round(spacing * 20))))
        style.element.get_or_add_rPr().append(el)
    pf = style.paragraph_format
    pf.alignment = align
    pf.first_line_indent = Pt(size * indent_chars) if indent_chars else Pt(0)
    pf.left_indent = Pt(0)
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    if line_pt:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line_pt)
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    pf.keep_with_next = keep_next
    pf.widow_control = True
    if outline is not None:
        el = OxmlElement("w:outlineLvl")
        el.set(qn("w:val"), str(outline))
        style.element.get_or_add_pPr().append(el)
    return style


def _font_table(doc) -> None:
    """Declare the official faces in word/fontTable.xml (``fonts.FONT_TABLE``; the template's Japanese and Office
    faces go), so Word and WPS know what to substitute for a face the PC lacks."""
    from lxml import etree
    part = next(p for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    root = etree.fromstring(part.blob)
    for font in root.findall(qn("w:font")):
        if font.get(qn("w:name")) not in ("Times New Roman", "Symbol"):
            root.remove(font)
    for name, (alt, panose, family, pitch) in FONT_TABLE.items():
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        for tag, value in (("w:altName", alt), ("w:panose1", panose), ("w:charset", "86"), ("w:family", family),
                           ("w:pitch", pitch)):
            etree.SubElement(font, qn(tag)).set(qn("w:val"), value)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _setup(doc, fonts: FontSet) -> None:
    _font_table(doc)
    # Defaults: the body face, Chinese language (punctuation and line breaking), no theme fonts.
    styles = doc.styles.element
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _name_fonts(rpr_default.find(qn("w:rFonts")), fonts.fangsong)
    lang = rpr_default.find(qn("w:lang"))
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    ppr_default = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    for el in ppr_default.findall(qn("w:spacing")):
        ppr_default.remove(el)
    normal = doc.styles["Normal"]
    _set_fonts(normal.element, fonts.fangsong, BODY_PT)
    normal.paragraph_format.space_after = Pt(0)

    _style(doc, "公文正文", fonts.fangsong, BODY_PT, indent_chars=2)
    _style(doc, "公文标题", fonts.title, TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=36, spacing=None)
    _style(doc, "公文版头", fonts.fangsong, BODY_PT, align=WD_ALIGN_PARAGRAPH.CENTER)
    _style(doc, "公文主送", fonts.fangsong, BODY_PT, align=WD_ALIGN_PARAGRAPH.LEFT)
    _style(doc, "公文一级标题", fonts.heiti, BODY_PT, indent_chars=2, outline=0, keep_next=True)
    _style(doc, "公文二级标题", fonts.kaiti, BODY_PT, indent_chars=2, outline=1, keep_next=True)
    _style(doc, "公文落款", fonts.fangsong, BODY_PT, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _style(doc, "公文表题", fonts.heiti, CAPTION_PT, align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=24, keep_next=True,
           spacing=None)
    _style(doc, "公文图题", fonts.heiti, CAPTION_PT, align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=24, spacing=None)
    _style(doc, "公文表格", fonts.fangsong, TABLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=None, spacing=None)
    _style(doc, "公文图", fonts.fangsong, BODY_PT, align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=None, keep_next=True,
           spacing=None)
    _style(doc, "公文页码", fonts.song, PAGE_NO_PT, align=WD_ALIGN_PARAGRAPH.RIGHT, line_pt=None, spacing=None)

    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    section.footer_distance = Mm(FOOTER_MM)
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer, fonts, WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer, fonts, WD_ALIGN_PARAGRAPH.LEFT)


def _field(paragraph, code: str, face: Face, size: float) -> None:
    """A Word field (PAGE): begin, instruction, separator, placeholder, end."""
    for kind, text in (("begin", None), (None, code), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        _set_fonts(run._r, face, size)
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            run._r.append(el)
        elif text == code:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {code} "
            run._r.append(el)
        else:
            run.text = text


def _page_number(footer, fonts: FontSet, align) -> None:
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0]
    p.style = "公文页码"
    p.alignment = align
    # One character (4号) in from the edge of the 版心, on the outside of the page.
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        p.paragraph_format.right_indent = Pt(PAGE_NO_PT)
    else:
        p.paragraph_format.left_indent = Pt(PAGE_NO_PT)
    _run(p, "— ", fonts.song, PAGE_NO_PT)
    _field(p, "PAGE", fonts.song, PAGE_NO_PT)
    _run(p, " —", fonts.song, PAGE_NO_PT)


def _width_em(text: str) -> float:
    """Width in characters of the body size: CJK full width, ASCII digits and letters half."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def _signature(doc, issuer: str, date: str, fonts: FontSet) -> None:
    """GB/T 9704 7.3.5.2 (no seal): issuer right-indented two characters, the date below it starting two
    characters further right; a date longer than that is right-indented two and pushes the issuer left."""
    sig_w, date_w = _width_em(issuer), _width_em(date)
    date_right = sig_w - 2 - date_w + 2
    sig_right = 2.0
    if date_right < 2:
        date_right = 2.0
        sig_right = date_right + date_w + 2 - sig_w
    for text, right in ((issuer, sig_right), (date, date_right)):
        p = doc.add_paragraph(style="公文落款")
        p.paragraph_format.right_indent = Pt(BODY_PT * right)
        _run(p, text, fonts.fangsong, BODY_PT)


KEEP_WHOLE_ROWS = 16      # tables up to this many rows stay on one page with their title
CELL_MARGIN_MM = 1.0


def _repeat_header(row) -> None:
    # No w:cantSplit here: with it (or with a header row alone at a page foot) LibreOffice 7.4 drops the rows
    # that follow; keeping the first rows with the header avoids that foot position altogether.
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(el)


def _cell_margins(table) -> None:
    mar = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(int(CELL_MARGIN_MM / 25.4 * 1440)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    table._tbl.tblPr.append(mar)


def _table(doc, t: Table, fonts: FontSet) -> None:
    p = doc.add_paragraph(style="公文表题")
    p.paragraph_format.space_before = Pt(6)
    _run(p, t.title, fonts.heiti, CAPTION_PT)
    rows = [t.columns] + t.rows + ([t.total] if t.total else [])
    table = doc.add_table(rows=len(rows), cols=len(t.columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _cell_margins(table)
    weights = t.widths or [1.0] * len(t.columns)
    widths = [Mm(TEXT_WIDTH_MM * w / sum(weights)) for w in weights]
    for col, width in zip(table.columns, widths):
        col.width = width
    # the style's id looked up once: python-docx's ``paragraph.style = name`` scans every style per cell (70 % of
    # writing the briefing)
    cell_style = doc.styles["公文表格"].style_id
    for r, values in enumerate(rows):
        header, total = r == 0, bool(t.total) and r == len(rows) - 1
        row = table.rows[r]
        if header:
            _repeat_header(row)
        keep = r < len(rows) - 1 if len(rows) <= KEEP_WHOLE_ROWS else r < 2
        for c, (cell, value) in enumerate(zip(row.cells, values)):
            cell.width = widths[c]
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            para = cell.paragraphs[0]
            para._p.style = cell_style
            para.paragraph_format.keep_with_next = keep
            if not header and c in t.numeric:
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            elif not header and c == 1 and not total:
                para.alignment = WD_ALIGN_PARAGRAPH.LEFT
            _run(para, str(value), fonts.heiti if header else fonts.fangsong, TABLE_PT, bold=True if total else None)
    doc.add_paragraph(style="公文表格")   # a small gap after the table


def _figure(doc, fig: Figure, fonts: FontSet) -> None:
    if fig.png is None:
        return
    p = doc.add_paragraph(style="公文图")
    p.paragraph_format.space_before = Pt(6)
    p.add_run().add_picture(io.BytesIO(fig.png), width=Mm(fig.width_mm))
    cap = doc.add_paragraph(style="公文图题")
    cap.paragraph_format.space_after = Pt(6)
    _run(cap, fig.title, fonts.heiti, CAPTION_PT)


def _paragraph(doc, para: Paragraph, fonts: FontSet) -> None:
    p = doc.add_paragraph(style="公文正文")
    if para.lead:
        face = fonts.kaiti if para.lead_level == 2 else fonts.fangsong
        _run(p, para.lead, face, BODY_PT, bold=True if para.lead_level == 3 else None)
    if para.text:
        _run(p, para.text, fonts.fangsong, BODY_PT)


def write_docx(document: Document, fonts: FontSet, target: str | os.PathLike | io.BytesIO) -> None:
    """Lay the document out and save it to a path or a binary buffer."""
    doc = new_docx()
    _setup(doc, fonts)
    props = doc.core_properties
    props.title = document.title
    props.author = document.closing[1].text if len(document.closing) > 1 else "LandGap"
    props.language = "zh-CN"

    if document.masthead is not None:
        _masthead(doc, document.masthead, fonts)
    p = doc.add_paragraph(style="公文标题")
    for i, line in enumerate(document.title_lines):
        if i:
            p.add_run().add_break(WD_BREAK.LINE)
        _run(p, line, fonts.title, TITLE_PT)
    doc.add_paragraph(style="公文正文")                 # a blank line under the title
    p = doc.add_paragraph(style="公文主送")
    _run(p, document.addressee, fonts.fangsong, BODY_PT)
    for para in document.opening:
        _paragraph(doc, para, fonts)
    for section in document.sections:
        if section.key == "appendix":
            _closing(doc, document, fonts)
        h = doc.add_paragraph(style="公文一级标题")
        h.paragraph_format.page_break_before = section.new_page
        _run(h, section.heading, fonts.heiti, BODY_PT)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                _paragraph(doc, block, fonts)
            elif isinstance(block, Heading):
                h = doc.add_paragraph(style="公文一级标题" if block.level == 1 else "公文二级标题")
                _run(h, block.text, fonts.heiti if block.level == 1 else fonts.kaiti, BODY_PT)
            elif isinstance(block, Table):
                _table(doc, block, fonts)
            elif isinstance(block, Figure):
                _figure(doc, block, fonts)
    if not any(s.key == "appendix" for s in document.sections):
        _closing(doc, document, fonts)
    if isinstance(target, (str, os.PathLike)):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    doc.save(target)


def _masthead(doc, m: Masthead, fonts: FontSet) -> None:
    """版头 of an 上行文 (GB/T 9704 7.2.4-7.2.7): the red 发文机关标志 centred 35 mm below the 版心's top, two lines
    below it the 发文字号 (left, one character in) and 签发人 (right, one character in) on one line, a red rule as
    wide as the 版心 4 mm under them, and two blank lines before the title."""
    size = min(MARK_MAX_PT, TEXT_WIDTH_MM / len(m.mark) / 0.3528 * 0.96)
    p = doc.add_paragraph(style="公文版头")
    p.paragraph_format.space_before = Mm(MARK_TOP_MM)
    # An exact line a little over the type size: at single spacing a 42 pt CJK face takes a ~61 pt line box
    # (its ascent and descent), which pushed 一、 and its first lines off page 1 (keep-with-next and orphan
    # control need three free lines there), leaving the foot of page 1 blank after the opening paragraph.
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    p.paragraph_format.line_spacing = Pt(round(size * MARK_LINE, 1))
    _run(p, m.mark, fonts.title, size).font.color.rgb = RED
    for _ in range(2):
        doc.add_paragraph(style="公文版头")
    p = doc.add_paragraph(style="公文版头")
    p.alignment = WD_ALIGN_PARAGRAPH.LEFT
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = Pt(BODY_PT)
    p.paragraph_format.tab_stops.add_tab_stop(Emu(Mm(TEXT_WIDTH_MM) - Pt(BODY_PT)), WD_TAB_ALIGNMENT.RIGHT)
    _run(p, m.number, fonts.fangsong, BODY_PT)
    _run(p, "\t签发人：", fonts.fangsong, BODY_PT)
    _run(p, m.signer or "　" * 3, fonts.kaiti, BODY_PT)
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, val in (("w:val", "single"), ("w:sz", "12"), ("w:color", "FF0000"),
                     ("w:space", str(round(Mm(RULE_BELOW_MM).pt)))):
        bottom.set(qn(key), val)
    border.append(bottom)
    p._p.get_or_add_pPr().append(border)
    for _ in range(2):
        doc.add_paragraph(style="公文版头")


def _closing(doc, document: Document, fonts: FontSet) -> None:
    """特此报告。, a blank line, then the issuer and the date (GB/T 9704 layout)."""
    body = [p for p in document.closing if p.kind == "body"]
    first = len(doc.paragraphs)
    for para in body:
        _paragraph(doc, para, fonts)
    doc.add_paragraph(style="公文正文")
    sig = next((p.text for p in document.closing if p.kind == "signature"), "")
    date = next((p.text for p in document.closing if p.kind == "date"), "")
    _signature(doc, sig, date, fonts)
    for p in doc.paragraphs[first:-1]:   # 特此报告, issuer and date never part across a page break
        p.paragraph_format.keep_with_next = True
