"""``match --jobs N``: the per-county matches of a city or province workspace, run apart (in parallel processes, at
the edge: commands/match.py) and merged here into one ``match --json`` answer (pure: dicts in, dict out).

Exact when no project may leave its county (geo.county: every project has a county, none has ``any_county``): the
placement problem is then a set of independent county problems, and the merged objective is the whole one.
"""
from __future__ import annotations

from geo.vocab import CITY_TOTAL_LABEL

_STATUS_ORDER = ("optimal", "feasible", "timeout")


def _sum_rows(rows: list[dict], **fixed) -> dict:
    """Numeric fields summed (rounded to 4), the others from ``fixed`` or the first row."""
    out = dict(rows[0])
    for k, v in rows[0].items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            total = sum(r.get(k) or 0 for r in rows)
            out[k] = total if isinstance(v, int) and all(isinstance(r.get(k), int) for r in rows) else round(total, 4)
    out.update(fixed)
    return out


def merge_county_results(results: list[tuple[str, dict]]) -> dict:
    """One answer from ``[(county_code, match --json of that county)]`` in county order: placed, unplaced and
    unlocks in that order; the parks' rows, one 未定园区 row (summed) and a total row (summed, ``kind`` county,
    ``name`` 全部县（市、区）合计); status the worst, gap the largest."""
    if not results:
        return {}
    dicts = [d for _, d in results]
    zones, unzoned, totals = [], [], []
    for d in dicts:
        for row in d["zones"]:
            (totals if row.get("total") else unzoned if row.get("kind") == "unzoned" else zones).append(row)
    if unzoned:
        zones.append(_sum_rows(unzoned))
    zones.append(_sum_rows(totals, name=CITY_TOTAL_LABEL))
    status = max((d["status"] for d in dicts), key=lambda s: _STATUS_ORDER.index(s) if s in _STATUS_ORDER else 0)
    return {
        "status": status, "gap": max(d["gap"] for d in dicts),
        "placed": [p for d in dicts for p in d["placed"]], "unplaced": [u for d in dicts for u in d["unplaced"]],
        "zones": zones, "unlocks": [u for d in dicts for u in d["unlocks"]],
        "objective": {"placed_priority": round(sum(d["objective"]["placed_priority"] for d in dicts), 6),
                      "placed_count": sum(d["objective"]["placed_count"] for d in dicts)},
        "scenario": dicts[0]["scenario"],
    }
