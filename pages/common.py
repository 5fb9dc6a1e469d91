"""What every page shares, written once: the current workspace, the sidebar filters and legend, the map panel with
click/draw details, cached engine calls and download buttons."""
from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from formats.dem import with_steep_land
from geo.county import counties, county_workspace
from geo.supply import AvailableReport, available_report, known_industries
from geo.units import headline_figure
from geo.vocab import (
    FIELD_LABELS as F,
    GAP_ZONE_LABELS,
    PARCEL_STATUS_LABELS,
    STOCK_CLASS_LABELS,
    STOCK_PAGE_LABELS,
    WAN_UNIT_LABELS,
)
from geo.workspace import Workspace
from layers import basemaps, build, export, stock
from pages import auth
from pages.context import derived, release_memory, settings
from pages.targets import as_target
from seeds.sample import default_workspace_path
from stores import open_store

ALL = "全部"


# ------------------------------------------------------------------------------------------------- workspace

@st.cache_resource(show_spinner="正在读取工作空间……", max_entries=4)
def _read(path: str, mtime_ns: int):
    """Through the store, in one read transaction: the workspace carries the row versions it was read at
    (``store_versions``), which a later save checks (no lost update). The DEM's steep land is read here for the
    engine (``formats.dem.with_steep_land``)."""
    with open_store(path, settings()) as store:
        ws, report, _ = store.read()
    ws = with_steep_land(ws, settings().terrain.max_slope_pct)
    release_memory()
    return ws, report


def workspace_path() -> Path:
    """The session's workspace file. Team mode: only one an admin registered (pages.auth)."""
    if auth.team_mode():
        return auth.registered_workspace_path()
    return as_target(st.session_state.setdefault("ws_path", str(default_workspace_path(settings().runtime))))


def current():
    """(workspace or None, load report, key). The key changes whenever the workspace does (cache key). Team mode:
    the login form instead (every page starts here, or calls auth.require_login itself)."""
    auth.require_login()
    if "ws_edited" in st.session_state:
        ws = st.session_state["ws_edited"]
        return ws, ws.report, st.session_state["ws_key"]
    path = workspace_path()
    rev = path.stat().st_mtime_ns
    ws, report = _read(str(path), rev)
    return ws, report, f"{path}:{rev}"


def require_workspace():
    """The workspace, or stop the page with the reason (bad files are shown on 数据管理). In a workspace of several
    counties, the county chosen first in the sidebar (``county_filter``): the pages then show that county's
    parks, parcels, factories and projects only (what ``cli.py … --county`` does); edits start from ``current()``."""
    ws, report, key = current()
    if ws is None:
        st.error(f"工作空间 {report.source} 有 {report.summary()}，无法使用。请在“数据管理”页查看问题或换一个文件。")
        st.stop()
    county = county_filter(ws)
    if county is not None:
        return _county_workspace(ws, key, county), f"{key}:county={county}"
    return ws, key


def county_filter(ws: Workspace) -> str | None:
    """The county, the sidebar's first filter (shown only when parks carry county codes, geo.county); None = all."""
    codes = counties(ws.zones)
    if not codes:
        return None
    with st.sidebar:
        choice = _widget(st.selectbox, F["county"], "flt_county", ALL, options=[ALL, *codes],
                         format_func=lambda c: c if c == ALL else (c or "（未填县代码）"))
    return choice if choice != ALL and choice in codes else None


@st.cache_resource(show_spinner=False, max_entries=8)
def _county_workspace(_ws: Workspace, key: str, county: str) -> Workspace:
    """One county's workspace, kept per workspace key (its version keys the derived-data cache)."""
    return county_workspace(_ws, county)


def set_workspace(path: str | Path | None = None, edited=None) -> None:
    """Switch to a file, or to an edited in-memory workspace (cleared on the next switch). The workspace an edit
    started from is kept (``ws_base``): saving writes only what changed since, if nobody changed it meanwhile."""
    base = st.session_state.get("ws_base") or (current()[0] if edited is not None else None)
    for k in ("ws_edited", "ws_base", "match_cache", "fit_result"):
        st.session_state.pop(k, None)
    if path is not None:
        st.session_state["ws_path"] = str(path)
    if edited is not None:
        edited = with_steep_land(edited, settings().terrain.max_slope_pct)     # read again if the parcels changed
        st.session_state["ws_edited"] = edited
        st.session_state["ws_base"] = base
        st.session_state["ws_key"] = f"edited:{time.time_ns()}"


def save_edits(path: Path) -> str:
    """Write the session's edits to the workspace through the store: only the rows that changed, in one
    transaction, each only if its version is still the one read; on a conflict nothing is written and
    ConflictError names the rows, who changed them and when. Returns what was written, in words."""
    auth.require_role("editor", "修改或导入数据")        # here, not only in the page: a forged request is refused
    base, edited = st.session_state.get("ws_base"), st.session_state["ws_edited"]
    with open_store(path, settings()) as store:
        versions = store.save(base, edited, auth.current_user())
    set_workspace(path)
    return f"已保存到 {getattr(path, 'display', path)}（写入 {len(versions)} 行，其余未改动）"


# --------------------------------------------------------------------------------------------- sidebar

@dataclass(frozen=True)
class Filters:
    zone: str | None
    statuses: tuple[str, ...]
    industry: str | None
    by: dt.date | None
    min_mu: float | None
    basemap: str
    stock_classes: tuple[str, ...] = ()     # 存量分类: only parcels of these classes (none: no such filter)
    stock_as_of: dt.date | None = None      # the date parcels are classified at (the 截至日期, else today)


def _persist(key: str) -> None:
    st.session_state[key] = st.session_state["_" + key]


def _widget(kind, label: str, key: str, default, **kw):
    """A sidebar widget whose value survives page switches (Streamlit drops widget state of unseen pages)."""
    st.session_state.setdefault(key, default)
    st.session_state["_" + key] = st.session_state[key]
    return kind(label, key="_" + key, on_change=_persist, args=(key,), **kw)


def _defaults(ws: Workspace) -> dict:
    """Every sidebar filter's key → default value (the one place they are written down)."""
    return {"flt_zone": ALL, "flt_status": list(PARCEL_STATUS_LABELS), "flt_industry": ALL, "flt_use_by": False,
            "flt_by": dt.date.today() + dt.timedelta(days=365), "flt_min_mu": 0.0,
            "flt_basemap": basemaps.available_basemaps(ws.dem_path is not None, settings().app.tianditu_key)[0],
            "flt_stock": []}


def filters(ws: Workspace) -> Filters:
    """The sidebar's filters, read from the session state the sidebar widgets keep (defaults before the first run).

    The same values the widgets of ``sidebar()`` return, so a page may build its map before it draws the sidebar:
    the map's element then reaches the browser first (it is what the user waits for)."""
    state = {k: st.session_state.get(k, v) for k, v in _defaults(ws).items()}
    zone = state["flt_zone"] if state["flt_zone"] in ws.zones.index else None
    industry = state["flt_industry"]
    industry = None if industry == ALL or industry not in known_industries(ws.zones, ws.projects) else industry
    choices = basemaps.available_basemaps(ws.dem_path is not None, settings().app.tianditu_key)
    basemap = state["flt_basemap"] if state["flt_basemap"] in choices else choices[0]
    by = state["flt_by"] if state["flt_use_by"] else None
    return Filters(zone, tuple(state["flt_status"]), industry, by, float(state["flt_min_mu"]) or None, basemap,
                   tuple(c for c in stock.LISTED if c in state["flt_stock"]), by or dt.date.today())


def sidebar(ws: Workspace) -> Filters:
    """The filters every page uses, and the legend."""
    d = _defaults(ws)
    sb = st.sidebar
    sb.caption(f"{settings().app.county_name} · {Path(ws.path).name if ws.path else '内存中的工作空间'}")
    zones = [ALL, *ws.zones.index]
    names = dict(ws.zones["name"])
    with sb:
        _widget(st.selectbox, "园区", "flt_zone", d["flt_zone"], options=zones,
                format_func=lambda z: z if z == ALL else f"{names[z]}（{z}）")
        _widget(st.multiselect, "地块状态", "flt_status", d["flt_status"],
                options=list(PARCEL_STATUS_LABELS), format_func=PARCEL_STATUS_LABELS.get)
        industries = [ALL, *known_industries(ws.zones, ws.projects)]
        _widget(st.selectbox, "产业", "flt_industry", d["flt_industry"], options=industries)
        use_by = _widget(st.checkbox, "计入届时完成平整/拆迁的地块", "flt_use_by", d["flt_use_by"])
        _widget(st.date_input, "截至日期", "flt_by", d["flt_by"], disabled=not use_by)
        _widget(st.number_input, F["min_block_mu"], "flt_min_mu", d["flt_min_mu"], min_value=0.0, step=10.0)
        if stock.has_stock(stock.classes_for(ws, filters(ws).stock_as_of, settings(), derived())):
            _widget(st.multiselect, STOCK_PAGE_LABELS["stock_class_filter"], "flt_stock", d["flt_stock"],
                    options=list(stock.LISTED), format_func=STOCK_CLASS_LABELS.get,
                    placeholder=STOCK_PAGE_LABELS["all_classes"])
        choices = basemaps.available_basemaps(ws.dem_path is not None, settings().app.tianditu_key)
        _widget(st.selectbox, "底图", "flt_basemap", d["flt_basemap"], options=choices,
                format_func=basemaps.BASEMAP_LABELS.get)
        legend()
    return filters(ws)


def legend() -> None:
    rows = "".join(f'<div><span style="display:inline-block;width:14px;height:10px;margin-right:6px;'
                   f'background:{fill};border:2px solid {line}"></span>{label}</div>'
                   for label, fill, line in build.legend_items())
    st.markdown(f'<div style="font-size:13px;line-height:20px"><b>图例</b>{rows}</div>', unsafe_allow_html=True)


# ------------------------------------------------------------------------------------------------ tables

# Missing values are blank cells: without a placeholder the grid writes "None" into them.
EMPTY_CELL = ""


def grid(frame: pd.DataFrame, **kw):
    """A read-only table the way every page shows one: no index, full width, empty cells blank."""
    return st.dataframe(frame, hide_index=True, width="stretch", placeholder=EMPTY_CELL, **kw)


# ------------------------------------------------------------------------------------------ cached facts

@st.cache_resource(show_spinner=False, max_entries=64)
def available(_ws, ws_key: str, zone: str | None, industry: str | None, by: dt.date | None,
              min_mu: float | None) -> AvailableReport:
    """geo.supply.available_report: the very numbers `cli.py available --json` prints. One shared (frozen)
    report per filter, not a pickled copy per run (a province's blocks: ~100 MB each); memory its computation
    freed is handed back."""
    report = available_report(_ws, zone=zone, industry=industry, by=by, min_mu=min_mu, settings=settings(),
                              cache=derived())
    release_memory()
    return report


def report_for(ws: Workspace, key: str, f: Filters) -> AvailableReport:
    return available(ws, key, f.zone, f.industry, f.by, f.min_mu)


def zone_scope(ws: Workspace, f: Filters) -> list[str]:
    """Zones the filters select (park and industry), in the workspace's order."""
    from geo.supply import zone_admits
    ok = zone_admits(ws.zones, f.industry)
    ids = [z for z in ws.zones.index if ok[z]]
    return [z for z in ids if z == f.zone] if f.zone else ids


def headline(report: AvailableReport) -> None:
    """The numbers `cli.py available` prints, as metrics."""
    zones = report.zones
    constrained = sum(z.constrained_mu for z in zones)
    c = st.columns(6 if constrained else 4)
    figures = [("available_mu", report.total_available_mu),       # net: what may be offered
               ("pipeline_mu", sum(z.pipeline_mu for z in zones)),
               ("largest_block_mu", max([z.largest_block_mu for z in zones] or [0.0])),
               ("vacant_factory_m2", sum(z.vacant_factory_m2 for z in zones))]
    if constrained:         # gross beside net, and what 三区三线, flood and slope take
        figures += [("gross_available_mu", sum(z.gross_available_mu for z in zones)), ("constrained_mu", constrained)]
    for col, (key, value) in zip(c, figures):
        col.metric(*headline_figure(F[key], value, WAN_UNIT_LABELS))     # 万亩 from 100,000 亩: a city's figures fit


def excel_download(label: str, sheets: dict[str, pd.DataFrame] | Callable[[], dict[str, pd.DataFrame]],
                   file_stem: str) -> None:
    """An Excel download of ``sheets`` (or of what ``sheets()`` returns: built only when clicked)."""
    st.download_button(label, lambda: export.excel_bytes(sheets() if callable(sheets) else sheets), f"{file_stem}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"dl_x_{file_stem}",
                       on_click="ignore")


# --------------------------------------------------------------------------------------------- matching

@st.cache_resource(max_entries=1)
def _results() -> dict:
    """Match results by (workspace key, scenario key), shared by sessions (the engine is deterministic)."""
    return {}


def scenario_controls(prefix: str, label: str):
    """As-of date, without planned factories, justified land need → a matching.Scenario."""
    import matching
    with st.container(border=True):
        st.markdown(f"**{label}**")
        use_date = st.checkbox("按某一日期判断（计入届时完成的平整/拆迁和厂房）", key=f"{prefix}_use_date")
        as_of = st.date_input("情景日期", dt.date.today() + dt.timedelta(days=365), key=f"{prefix}_as_of",
                              disabled=not use_date)
        no_planned = st.checkbox("不计规划中的标准厂房", key=f"{prefix}_no_planned")
        justified = st.checkbox("按标准地投资强度核定用地需求", key=f"{prefix}_justified")
    return matching.Scenario(as_of=as_of if use_date else None, without_planned_factories=no_planned,
                             justified_land_need=justified)


def with_progress(run, text: str | None = None):
    """``run(progress)`` with a progress bar that shows what the engine reports (none when it reports nothing, e.g.
    a cached placement), removed when done."""
    bar = st.empty()
    if text:
        bar.progress(0.0, text=text)
    try:
        return run(lambda f, msg: bar.progress(min(max(f, 0.0), 1.0), text=msg))
    finally:
        bar.empty()


def run_match(ws: Workspace, key: str, scenario):
    """matching.match with a progress bar the first time; the cached MatchResult afterwards. One session computes
    a given match while the others asking for it wait (team mode: a fresh import does not cost N matches)."""
    import matching
    store = _results()
    cache_key = (key, scenario.key())
    with store.setdefault(("lock", cache_key), threading.Lock()):
        return _match_once(ws, scenario, store, cache_key, matching)


def _match_once(ws: Workspace, scenario, store: dict, cache_key, matching):
    if cache_key not in store:
        result = with_progress(lambda progress: matching.match(ws, scenario, settings=settings(),
                                                               progress=progress, cache=derived()),
                               f"正在匹配：{scenario.describe()}")
        if len(store) >= 32:            # results and their locks: the oldest pair goes
            store.pop(next(iter(store)))
        store[cache_key] = result
    return store[cache_key]


def gap_metrics(result: dict) -> None:
    """County totals of a match answer (the engine's own county row: same as `cli.py match --json`)."""
    from layers.tables import gap_totals
    t = gap_totals(result)
    G = GAP_ZONE_LABELS
    c = st.columns(6)
    c[0].metric(G["pending_count"], t["pending_count"])
    c[1].metric(*headline_figure(G["pending_mu"], t["pending_mu"], WAN_UNIT_LABELS))
    c[2].metric(G["placed_count"], t["placed_count"])
    c[3].metric(G["unplaced_count"], t["unplaced_count"])
    c[4].metric(*headline_figure(G["unplaced_mu"], t["unplaced_mu"], WAN_UNIT_LABELS))
    c[5].metric(*headline_figure(G["unplaced_gap_mu"], t["gap_mu"], WAN_UNIT_LABELS))

