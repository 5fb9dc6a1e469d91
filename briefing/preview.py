"""Markdown and self-contained HTML previews of the briefing for the app (no CDN: figures are inlined)."""
from __future__ import annotations

import base64
import html

from briefing.document import Document, Figure, Heading, Paragraph, Table


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(document: Document, figure_links: bool = False) -> str:
    """GitHub-flavoured Markdown. Figures become their captions (``figure_links``: a data-URI image as well)."""
    out = [f"# {document.title}", "", document.addressee, ""]
    for p in document.opening:
        out += [p.text, ""]

    def para(p: Paragraph) -> str:
        return (f"**{p.lead}**" if p.lead else "") + p.text

    for section in document.sections:
        out += [f"## {section.heading}", ""]
        for b in section.blocks:
            if isinstance(b, Paragraph):
                out += [para(b), ""]
            elif isinstance(b, Heading):
                out += [f"{'#' * (b.level + 1)} {b.text}", ""]
            elif isinstance(b, Table):
                out += [f"**{b.title}**", "", "| " + " | ".join(map(_md_cell, b.columns)) + " |",
                        "|" + "|".join("---:" if i in b.numeric else "---" for i in range(len(b.columns))) + "|"]
                out += ["| " + " | ".join(map(_md_cell, r)) + " |" for r in b.rows]
                if b.total:
                    out.append("| " + " | ".join(f"**{_md_cell(c)}**" if c else "" for c in b.total) + " |")
                out.append("")
            elif isinstance(b, Figure):
                if figure_links and b.png:
                    out.append(f"![{b.title}](data:image/png;base64,{base64.b64encode(b.png).decode()})")
                out += [f"*{b.title}*", ""]
        if section.key == "advice":
            out += _closing_md(document)
    if not any(s.key == "advice" for s in document.sections):
        out += _closing_md(document)
    return "\n".join(out).rstrip() + "\n"


def _closing_md(document: Document) -> list[str]:
    out = []
    for p in document.closing:
        out += [f"<div style='text-align:right'>{html.escape(p.text)}</div>" if p.kind in ("signature", "date")
                else p.text, ""]
    return out


# Every rule is scoped to .lg-brief: the app embeds this HTML in its own page (st.html), where a bare body{} rule
# would restyle the whole app.
_CSS = """
.lg-brief{font-family:"仿宋_GB2312","仿宋","FangSong","Noto Serif CJK SC","Source Han Serif SC",serif;font-size:16pt;
 line-height:1.8;max-width:156mm;margin:1em auto;color:#000;background:#fff}
.lg-brief h1{font-family:"方正小标宋简体","Noto Serif CJK SC",serif;font-size:22pt;text-align:center;font-weight:bold;
 line-height:1.5;margin:.5em 0 1em}
.lg-brief h2{font-family:"黑体","SimHei","Noto Sans CJK SC",sans-serif;font-size:16pt;font-weight:normal;
 text-indent:2em;margin:.4em 0}
.lg-brief p{text-indent:2em;margin:0;text-align:justify}
.lg-brief p.addressee{text-indent:0}
.lg-brief p.right{text-align:right;padding-right:2em}
.lg-brief .lead2{font-family:"楷体_GB2312","楷体","KaiTi","AR PL UKai CN","Noto Serif CJK SC",serif}
.lg-brief .lead3{font-weight:bold}
.lg-brief table{border-collapse:collapse;width:100%;font-size:10.5pt;line-height:1.4;margin:.2em 0 1em}
.lg-brief th,.lg-brief td{border:1px solid #000;padding:2px 4px;text-align:center}
.lg-brief th{font-family:"黑体","SimHei","Noto Sans CJK SC",sans-serif;font-weight:normal}
.lg-brief td.num{text-align:right} .lg-brief tr.total td{font-weight:bold}
.lg-brief .caption{font-family:"黑体","SimHei","Noto Sans CJK SC",sans-serif;font-size:14pt;text-align:center;
 text-indent:0}
.lg-brief figure{margin:.5em 0;text-align:center} .lg-brief figure img{max-width:100%}
.lg-brief .mark{font-family:"方正小标宋简体","Noto Serif CJK SC",serif;color:#f00;text-align:center;font-size:30pt;
 font-weight:bold;text-indent:0;margin:.6em 0 1.2em;white-space:nowrap}
.lg-brief .number{display:flex;justify-content:space-between;text-indent:0;padding:0 1em .3em;
 border-bottom:2px solid #f00;margin-bottom:1.5em}
"""


def to_html(document: Document) -> str:
    """One self-contained HTML page (styles and figures inline, styles scoped to ``div.lg-brief``)."""
    e = html.escape
    out = [f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>{e(document.title)}</title>"
           f"</head><body><div class='lg-brief'><style>{_CSS}</style>"]
    m = document.masthead
    if m is not None:
        out += [f"<p class='mark'>{e(m.mark)}</p>",
                f"<p class='number'><span>{e(m.number)}</span><span>签发人：{e(m.signer)}</span></p>"]
    out += ["<h1>" + "<br>".join(e(x) for x in document.title_lines) + "</h1>",
            f"<p class='addressee'>{e(document.addressee)}</p>"]

    def para(p: Paragraph) -> str:
        lead = f"<span class='lead{p.lead_level}'>{e(p.lead)}</span>" if p.lead else ""
        return f"<p>{lead}{e(p.text)}</p>"

    def closing() -> list[str]:
        return [f"<p class='right'>{e(p.text)}</p>" if p.kind in ("signature", "date") else para(p)
                for p in document.closing]

    out += [para(p) for p in document.opening]
    for section in document.sections:
        if section.key == "appendix":
            out += closing()
        out.append(f"<h2>{e(section.heading)}</h2>")
        for b in section.blocks:
            if isinstance(b, Paragraph):
                out.append(para(b))
            elif isinstance(b, Heading):
                out.append(f"<h{b.level + 1}>{e(b.text)}</h{b.level + 1}>")
            elif isinstance(b, Table):
                out.append(f"<p class='caption'>{e(b.title)}</p><table><thead><tr>"
                           + "".join(f"<th>{e(c)}</th>" for c in b.columns) + "</tr></thead><tbody>")
                for r in b.rows + ([b.total] if b.total else []):
                    cls = " class='total'" if b.total is r else ""
                    out.append(f"<tr{cls}>" + "".join(
                        f"<td{' class=num' if i in b.numeric else ''}>{e(str(c))}</td>" for i, c in enumerate(r))
                        + "</tr>")
                out.append("</tbody></table>")
            elif isinstance(b, Figure) and b.png:
                data = base64.b64encode(b.png).decode()
                out.append(f"<figure><img alt='{e(b.title)}' src='data:image/png;base64,{data}'>"
                           f"<figcaption class='caption'>{e(b.title)}</figcaption></figure>")
    if not any(s.key == "appendix" for s in document.sections):
        out += closing()
    out.append("</div></body></html>")
    return "\n".join(out)
