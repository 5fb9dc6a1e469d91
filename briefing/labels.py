"""Chinese words for the match result's codes (reason, unlock action), as a briefing phrases them.

The matching package owns the codes; the labels it exports win, so each code is named in one place. The words
here are only the noun forms a report needs (土地平整, not 待平整) and a fallback for codes it does not label.
"""
from __future__ import annotations

from geo.vocab import PARCEL_STATUS_LABELS

# The work that turns a pipeline parcel into available land, named after the status it ends (待平整 → 土地平整).
WORK_NOUNS: dict[str, str] = {"leveling": "土地平整", "demolition": "拆迁"}
FACTORY_WORK = "标准厂房建设"

_FALLBACK_REASONS: dict[str, str] = {
    "NO_ZONE": "无准入园区",
    "TOO_SMALL": "连片地块不足",
    "NOT_READY": "在途地块未完成",
    "OUTCOMPETED": "土地已安排其他项目",
    "NO_FACTORY_SPACE": "标准厂房不足",
}


def _matching_labels() -> dict[str, str]:
    try:
        import matching
    except ImportError:
        return {}
    for name in ("REASON_LABELS", "REASON_SHORT_LABELS"):
        labels = getattr(matching, name, None)
        if isinstance(labels, dict):
            return labels
    return {}


def reason_label(code: str | None) -> str:
    """Short Chinese label of an unplaced reason code (for the gap table's 原因 column)."""
    if not code:
        return ""
    return _matching_labels().get(code) or _FALLBACK_REASONS.get(code, code)


def action_label(action: str | None, statuses: list[str] | tuple[str, ...] = ()) -> str:
    """The work an unlock asks for: 'clear' on 待拆迁 and 待平整 parcels → 拆迁、土地平整; 'complete_factory' →
    标准厂房建设. ``statuses`` are the unlock's parcels' statuses (the match result names only the action)."""
    if action in ("complete_factory", "factory"):
        return FACTORY_WORK
    if action in WORK_NOUNS:
        return WORK_NOUNS[action]
    works = [WORK_NOUNS[s] for s in ("demolition", "leveling") if s in statuses]
    return "、".join(works) if works else PARCEL_STATUS_LABELS.get(action or "", action or "")
