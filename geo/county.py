"""Counties (县级行政区) in one workspace: the county code (GB/T 2260) of parks and projects, checked on load, and the
rules a city or province workspace follows.

A park (``zones.county_code``) belongs to one county; an empty code means the workspace's single county — a
workspace without codes is one county, exactly as before. A project's own county is its ``county_code``, else the
county of its preferred park; the match never places it in a park of another county unless ``any_county`` is 1
(可跨县安排). A park without a code admits projects of any county (it is the single county's).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.report import LoadReport
from geo.vocab import FIELD_LABELS

PROVINCE_PREFIXES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44",
    "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"})
"""The first two digits of a GB/T 2260 code: the 省级行政区 (docs/standards.md §county codes)."""

NO_COUNTY = ""
"""The county of a park without a code: the workspace's single county."""


def normalise_codes(values: pd.Series) -> pd.Series:
    """Codes as text: a spreadsheet's number 511521 or 511521.0 becomes '511521'; empty stays None."""
    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        text = str(v).strip()
        if text.endswith(".0") and text[:-2].isdigit():
            text = text[:-2]
        return text or None
    return values.astype(object).map(one)


def code_problem(code: str) -> str | None:
    """Why ``code`` is not a 县级行政区划代码 (GB/T 2260), or None when it is one."""
    if len(code) != 6 or not code.isdigit():
        return "应为 6 位数字"
    if code[:2] not in PROVINCE_PREFIXES:
        return f"前两位 {code[:2]} 不是省级行政区代码"
    if code[4:] == "00":
        return "末两位为 00，是省级或地级代码，不是县级"
    return None


def check_county_codes(frame: pd.DataFrame, layer: str, report: LoadReport) -> pd.DataFrame:
    """Normalise ``county_code`` (and ``any_county``, projects) in place of a coerced layer; report every bad cell
    by row and field (BAD_COUNTY_CODE, BAD_FLAG)."""
    if "county_code" not in frame.columns:
        return frame
    frame = frame.copy()
    codes = normalise_codes(frame["county_code"])
    frame["county_code"] = codes
    label = FIELD_LABELS["county_code"]
    given = codes.dropna()
    problems = given.map(code_problem)
    for row in problems.index[problems.notna()]:
        report.error(layer, "BAD_COUNTY_CODE", f"{label}“{given[row]}”无效：{problems[row]}"
                     "（GB/T 2260 县级行政区划代码，如 511521）", row=row, field="county_code")
    if "any_county" in frame.columns:
        flag = frame["any_county"]
        bad = flag.notna() & ~flag.isin((0, 1))
        for row in frame.index[bad]:
            report.error(layer, "BAD_FLAG", f"{FIELD_LABELS['any_county']}应为 1（是）或 0（否），现为“{flag[row]}”",
                         row=row, field="any_county")
    return frame


def zone_counties(zones: pd.DataFrame) -> pd.Series:
    """Each park's county code ('' for none: the workspace's single county), indexed like ``zones``."""
    if "county_code" not in zones.columns:
        return pd.Series(NO_COUNTY, index=zones.index, dtype=object)
    return zones["county_code"].astype(object).where(zones["county_code"].notna(), NO_COUNTY).astype(str)


def counties(zones: pd.DataFrame) -> list[str]:
    """The workspace's county codes, sorted ('' last when some parks have none); [] when no park has a code."""
    codes = set(zone_counties(zones))
    if codes <= {NO_COUNTY}:
        return []
    return sorted(codes - {NO_COUNTY}) + ([NO_COUNTY] if NO_COUNTY in codes else [])


def project_home(projects: pd.DataFrame, zones: pd.DataFrame) -> np.ndarray:
    """Each project's county: its ``county_code``, else its preferred park's; None when neither is known."""
    own = projects["county_code"] if "county_code" in projects.columns else pd.Series(None, index=projects.index)
    pref = projects["preferred_zone"] if "preferred_zone" in projects.columns \
        else pd.Series(None, index=projects.index)
    home = own.astype(object).where(own.notna(), pref.map(zone_counties(zones)))
    return np.array([None if (h is None or (isinstance(h, float) and np.isnan(h)) or h == NO_COUNTY) else str(h)
                     for h in home.to_numpy()], dtype=object)


def project_counties(projects: pd.DataFrame, zones: pd.DataFrame) -> np.ndarray:
    """Each project's county for placing it (``project_home``); None when it may go anywhere (``any_county`` = 1,
    or no county known)."""
    out = project_home(projects, zones)
    if "any_county" in projects.columns:
        out[projects["any_county"].fillna(0).astype(float).to_numpy() == 1] = None
    return out


def zones_in_county(zones: pd.DataFrame, county: str | None) -> set[str]:
    """The parks a project of ``county`` may use: that county's and those without a code; all when None."""
    if county is None:
        return set(zones.index.astype(str))
    zc = zone_counties(zones)
    return set(zones.index[(zc == county) | (zc == NO_COUNTY)].astype(str))


def county_workspace(ws, county: str):
    """The workspace of one county (``Workspace``; no I/O, no new validation): its parks, their parcels and
    factories, and the projects whose county it is (``project_home``). Raises InputError for an unknown code."""
    known = counties(ws.zones)
    if county not in known:
        raise InputError(f"{FIELD_LABELS['county_code']}“{county}”不在本工作空间中；"
                         f"现有：{'、'.join(c or '（未填）' for c in known) or '（园区均未填县代码）'}")
    zones = ws.zones[zone_counties(ws.zones) == county]
    keep = ws.parcels["zone_id"].isin(zones.index)
    projects = ws.projects[project_home(ws.projects, ws.zones) == (county or None)]
    return replace(ws, zones=zones, parcels=ws.parcels[keep], factories=ws.factories[
        ws.factories["zone_id"].isin(zones.index)], projects=projects)


COUNTY_SUMS = ("available_mu", "pipeline_mu", "vacant_factory_m2", "gross_available_mu", "constrained_mu")
"""The ``available`` zone figures that add up over a county (the largest block is a maximum)."""


def county_rows(zone_rows: list[dict], zones: pd.DataFrame, sums=COUNTY_SUMS, maxima=("largest_block_mu",),
                key: str = "zone_id") -> list[dict]:
    """Per-county rows of per-park rows (``available``'s zones, ``match``'s gap rows): ``county_code``, the number
    of parks ``zone_count``, the sum of each of ``sums`` and the maximum of each of ``maxima`` (rounded to 4);
    parks without a code under ''. [] when no park has a code."""
    if not counties(zones):
        return []
    by_zone = zone_counties(zones)
    frame = pd.DataFrame(zone_rows)
    if frame.empty:
        return []
    frame["county_code"] = frame[key].map(by_zone).fillna(NO_COUNTY)
    out = []
    for code, rows in frame.groupby("county_code", sort=True):
        row = {"county_code": code, "zone_count": int(len(rows))}
        row.update({k: round(float(rows[k].sum()), 4) for k in sums if k in rows})
        row.update({k: round(float(rows[k].max()), 4) for k in maxima if k in rows})
        out.append(row)
    return out


MATCH_SUMS = ("pending_count", "placed_count", "unplaced_count", "unplaced_mu", "unplaced_gap_mu", "available_left_mu",
              "pipeline_mu")
"""The ``match`` park rows' figures that add up over a county."""


def match_county_rows(zone_rows: list[dict], zones: pd.DataFrame) -> list[dict]:
    """``match``'s per-county table: its park rows (kind zone) summed by county (``county_rows``)."""
    rows = [r for r in zone_rows if r.get("kind", "zone") == "zone" and r.get("zone_id") is not None]
    out = county_rows(rows, zones, sums=MATCH_SUMS, maxima=())
    for row in out:
        for k in ("pending_count", "placed_count", "unplaced_count"):
            row[k] = int(row.get(k, 0))
    return out


def plan_county_rows(actions: list[dict], parcels: pd.DataFrame, factories: pd.DataFrame,
                     zones: pd.DataFrame) -> list[dict]:
    """The 用地保障方案's actions by county: ``county_code``, ``action_count``, ``cost_wan``, ``area_mu`` (an
    action's county is its parcels' or factory's park's). [] when no park has a code."""
    if not counties(zones):
        return []
    by_zone = zone_counties(zones)
    rows = {}
    for a in actions:
        zone = factories.at[a["factory_id"], "zone_id"] if a.get("factory_id") is not None \
            else parcels.at[a["parcel_ids"][0], "zone_id"]
        row = rows.setdefault(by_zone.get(zone, NO_COUNTY), {"action_count": 0, "cost_wan": 0.0, "area_mu": 0.0})
        row["action_count"] += 1
        row["cost_wan"] += float(a.get("cost_wan") or 0.0)
        row["area_mu"] += float(a.get("area_mu") or 0.0)
    return [{"county_code": c, "action_count": r["action_count"], "cost_wan": round(r["cost_wan"], 4),
             "area_mu": round(r["area_mu"], 4)} for c, r in sorted(rows.items())]


def split_problem(projects: pd.DataFrame, zones: pd.DataFrame) -> str | None:
    """Why the match cannot be run county by county (``match --jobs``), or None: it can when the parks carry codes
    and every project stays in a county (has one, and ``any_county`` is not 1)."""
    if not counties(zones):
        return "园区均未填县级行政区划代码，无法分县并行匹配"
    free = pd.isna(project_counties(projects, zones).astype(object))
    if free.any():
        ids = "、".join(map(str, projects["project_id"].to_numpy()[free][:5]))
        return f"项目 {ids}{' 等' if free.sum() > 5 else ''}未确定所属县或可跨县安排，须整体匹配（不用 --jobs）"
    return None
