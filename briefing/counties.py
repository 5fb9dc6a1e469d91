"""The city briefing's per-county summary (a 地级市 or province workspace: parks carry county codes, geo.county):
one table, 表7 分县（市、区）情况, appended to 四 (the gap section, after 表4–6) — nothing when the workspace is one
county."""
from __future__ import annotations

from briefing.document import Document, Table
from geo.county import match_county_rows
from geo.units import fmt_mu
from geo.vocab import BRIEFING_TABLE_TITLES, FIELD_LABELS, GAP_ZONE_LABELS
from geo.workspace import Workspace

COLUMNS = ("zone_count", "pending_count", "placed_count", "unplaced_count", "unplaced_gap_mu", "available_left_mu")


def county_table(ws: Workspace, result) -> Table | None:
    """Per county: parks, pending / placed / unplaced projects, the gap and the land left (亩); None for a workspace
    of one county (no codes, or ``--county``)."""
    rows = match_county_rows(result.to_dict()["zones"], ws.zones)
    if len(rows) < 2:
        return None
    labels = {**GAP_ZONE_LABELS, "zone_count": FIELD_LABELS["zone_count"]}

    def cell(row, k):
        return fmt_mu(row[k]) if k.endswith("_mu") else f"{int(row[k])}"
    return Table(key="by_county", title=BRIEFING_TABLE_TITLES["by_county"],
                 columns=[FIELD_LABELS["county"]] + [labels[k] for k in COLUMNS],
                 rows=[[r["county_code"] or "（未填）"] + [cell(r, k) for k in COLUMNS] for r in rows],
                 total=["合计"]
                 + [cell({k: sum(r[k] for r in rows) for k in COLUMNS}, k) for k in COLUMNS],
                 numeric=list(range(1, len(COLUMNS) + 1)))


def with_county_table(document: Document, ws: Workspace, result) -> Document:
    """The document with 表7 at the end of its gap section (四), when the workspace has several counties."""
    table = county_table(ws, result)
    if table is not None:
        section = next((s for s in document.sections if s.key == "gap"), document.sections[-1])
        section.blocks.append(table)
    return document
