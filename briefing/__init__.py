"""The land-gap briefing (报告): one match run → a Word/PDF report to the county government, in Chinese.

For the app's 简报 page and the CLI::

    import briefing, matching
    settings = args.settings                       # loaded once at the edge (geo.settings), passed down
    result = matching.match(ws, settings=settings)
    b = briefing.build(ws, result, settings, as_of=None)   # raises MissingFontError if no CJK font is installed
    b.to_html()          # self-contained HTML preview (figures inlined)   → st.html / components.html
    b.to_markdown()      # Markdown preview (figures as captions; b.figures has the PNGs for st.image)
    b.to_docx_bytes()    # the Word file, for st.download_button
    b.to_pdf_bytes()     # the PDF (LibreOffice; raises ConverterError when it is not installed)
    b.to_docx(path); b.to_pdf(path)
    b.totals             # every total the text states, e.g. b.totals["unplaced_gap_mu"]
    briefing.pdf_available(settings.runtime)   # whether the PDF button can work on this machine

Modules: facts (pure: every number, from the typed match result), document (the document model and number
formats), content (pure: the sections), figures (matplotlib map and chart), docx (GB/T 9704
layout), pdf (LibreOffice), preview (Markdown/HTML), fonts (CJK font lookup), labels (code → Chinese).
"""
from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from briefing.content import build_document
from briefing.counties import with_county_table
from briefing.document import Document
from briefing.fonts import FontSet, resolve_fonts
from briefing.pdf import docx_to_pdf, soffice
from geo.errors import ConverterError, MissingFontError
from geo.settings import RuntimeSettings

if TYPE_CHECKING:
    from geo.settings import Settings
    from geo.workspace import Workspace
    from matching.model import MatchResult

__all__ = ["Briefing", "build", "briefing_plan", "MissingFontError", "ConverterError", "pdf_available", "FILE_STEM"]

FILE_STEM = "工业用地保障和有项目无选址情况报告"
"""Default file name (without suffix) for downloads."""


def pdf_available(runtime: RuntimeSettings) -> bool:
    """Whether LibreOffice is installed (as ``runtime``, ``Settings.runtime``, says), so ``to_pdf`` can work."""
    return soffice(runtime.soffice) is not None


@dataclass
class Briefing:
    document: Document
    fonts: FontSet
    runtime: RuntimeSettings = field(default_factory=RuntimeSettings)   # LibreOffice and fontconfig of the PDF

    @property
    def title(self) -> str:
        return self.document.title

    @property
    def totals(self) -> dict[str, float]:
        return self.document.totals

    @property
    def figures(self) -> dict[str, bytes]:
        """PNG bytes of each figure by key ("map", "supply_demand")."""
        return {f.key: f.png for f in self.document.figures if f.png}

    def to_docx(self, path: str | os.PathLike) -> Path:
        from briefing.docx import write_docx
        write_docx(self.document, self.fonts, path)
        return Path(path)

    def to_docx_bytes(self) -> bytes:
        from briefing.docx import write_docx
        buf = io.BytesIO()
        write_docx(self.document, self.fonts, buf)
        return buf.getvalue()

    def to_pdf(self, path: str | os.PathLike, docx_path: str | os.PathLike | None = None) -> Path:
        """Write the PDF (via the DOCX; pass ``docx_path`` when that file was already written by ``to_docx``)."""
        if docx_path is not None:
            return docx_to_pdf(docx_path, path, self.runtime)
        with tempfile.TemporaryDirectory(prefix="landgap-brief-") as tmp:
            src = self.to_docx(Path(tmp) / f"{Path(path).stem or 'briefing'}.docx")
            return docx_to_pdf(src, path, self.runtime)

    def to_pdf_bytes(self) -> bytes:
        with tempfile.TemporaryDirectory(prefix="landgap-brief-") as tmp:
            return self.to_pdf(Path(tmp) / "briefing.pdf").read_bytes()

    def to_markdown(self, figure_links: bool = False) -> str:
        from briefing.preview import to_markdown
        return to_markdown(self.document, figure_links=figure_links)

    def to_html(self) -> str:
        from briefing.preview import to_html
        return to_html(self.document)


def _intensity_flags(ws: Workspace, settings: Settings) -> list[dict]:
    """The 标准地 check's projects below their floor (``matching.intensity_check``), as plain dicts."""
    from matching import intensity_check
    table = intensity_check(ws, settings=settings)
    return table[table["below"]].to_dict(orient="records")


def briefing_plan(ws: Workspace, settings: Settings, budget_wan: float, as_of: dt.date | None = None, cache=None):
    """The 用地保障方案 (with its frontier, drawn as 图3) that 五、意见建议 is built from, at ``budget_wan`` (negative:
    no limit), on the workspace's own DEM for the leveling costs; ``cache``: the caller's derived-data cache."""
    import matching
    from formats.dem import workspace_dem
    return matching.plan(ws, settings=settings, budget_wan=None if budget_wan < 0 else budget_wan, as_of=as_of,
                         dem=workspace_dem(ws), frontier=True, cache=cache)


def workspace_data_date(ws: Workspace) -> dt.date | None:
    """The date the workspace file was last written (the data's date), None for an unsaved workspace."""
    path = getattr(ws, "path", None)
    if path and Path(path).exists():
        return dt.date.fromtimestamp(Path(path).stat().st_mtime)
    return None


def build(ws: Workspace, result: MatchResult, settings: Settings, as_of: dt.date | None = None, *,
          scenario: str | None = None, intensity: list[dict] | None = None, data_date: dt.date | None = None,
          issuer: str | None = None, addressee: str | None = None, figures: bool = True, plan=None,
          since=None, cache=None) -> Briefing:
    """The briefing of one match run: ``result`` is ``matching.match(ws, ...)`` on this ``ws``; ``settings`` the
    configuration loaded once by the caller (county name, masthead, intensity floors and their source).

    ``since``: a stores.snapshots.SnapshotDiff — 附 states what changed since the previous snapshot.
    ``as_of`` is the report's date (default today); ``intensity`` the 标准地 flags (default
    ``matching.intensity_check(ws, settings=settings)``); ``data_date`` the ledgers' date (default: the workspace
    file's date).
    ``plan``: a 用地保障方案 (``matching.plan``) on this workspace; 五、意见建议 is then built from it. ``cache``:
    the caller's ``geo.cache.DerivedCache`` (the net land match derived; None: computed again).
    Raises MissingFontError when no CJK font is installed (the document would show boxes).
    """
    fonts = resolve_fonts(settings.runtime)
    if intensity is None:
        intensity = _intensity_flags(ws, settings)
    document = build_document(ws, result, settings, as_of=as_of, data_date=data_date or workspace_data_date(ws),
                              scenario=scenario, intensity=intensity, issuer=issuer, addressee=addressee,
                              fonts_note=fonts.describe(), plan=plan, since=since, cache=cache)
    document = with_county_table(document, ws, result)        # a city workspace: 表7 分县（市、区）情况
    if figures:
        from briefing.figures import frontier_png, map_png, supply_demand_png
        draw = {"map": lambda: map_png(ws, document.facts, fonts),
                "supply_demand": lambda: supply_demand_png(document.facts, fonts),
                "frontier": lambda: frontier_png(document.facts, fonts)}
        for fig in document.figures:
            fig.png = draw[fig.key]()
    return Briefing(document, fonts, settings.runtime)
