"""Chinese words for the match result's codes (reason, unlock action), as a briefing phrases them.

The matching package owns the reason codes and their labels (matching.reasons.REASONS); the words here are only
the noun forms a report needs for the work an unlock asks (土地平整, not the status 待平整).
"""
from __future__ import annotations

from geo.vocab import PARCEL_STATUS_LABELS, STOCK_ACTION_LABELS

# The work that turns a pipeline parcel into available land, named after the status it ends (待平整 → 土地平整).
WORK_NOUNS: dict[str, str] = {"leveling": "土地平整", "demolition": "拆迁"}
FACTORY_WORK = "标准厂房建设"


def reason_label(code: str | None) -> str:
    """Short Chinese label of an unplaced reason code (the gap table's 原因 column), from matching.reasons."""
    from matching.reasons import REASONS
    return REASONS.get(code, code) if code else ""


def action_label(action: str | None, statuses: list[str] | tuple[str, ...] = ()) -> str:
    """The work an unlock asks for: 'clear' on 待拆迁 and 待平整 parcels → 拆迁、土地平整; 'complete_factory' →
    标准厂房建设. ``statuses`` are the unlock's parcels' statuses (the match result names only the action)."""
    if action in ("complete_factory", "factory"):
        return FACTORY_WORK
    if action in WORK_NOUNS:
        return WORK_NOUNS[action]
    if action in STOCK_ACTION_LABELS:           # 存量盘活: 无偿收回, 协议收回/置换, 低效用地再开发
        return STOCK_ACTION_LABELS[action]
    works = [WORK_NOUNS[s] for s in ("demolition", "leveling") if s in statuses]
    return "、".join(works) if works else PARCEL_STATUS_LABELS.get(action or "", action or "")
