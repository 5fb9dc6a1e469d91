"""The briefing's figures as PNG bytes: a static map (图1) and supply against demand per park (图2).

matplotlib's object API (no pyplot state), the CJK face resolved by fonts.py, colours from geo/vocab.py.
"""
from __future__ import annotations

import io
import threading
import warnings
from typing import TYPE_CHECKING

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib import font_manager
from matplotlib.figure import Figure as MplFigure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Patch, Rectangle

from briefing.facts import Facts
from briefing.fonts import Face, FontSet
from geo.units import fmt_mu
from geo.vocab import FIELD_LABELS, PARCEL_STATUS_COLORS, PARCEL_STATUS_LABELS, PIPELINE_STATUSES, PLAN_LABELS

if TYPE_CHECKING:
    from geo.workspace import Workspace

MM_PER_INCH = 25.4
DPI = 200
# Demand colours (not parcel statuses, so not in geo/vocab.py): placed need in blue, the 无选址 gap in red.
PLACED_COLOR = "#2f5fa7"
GAP_COLOR = "#c8102e"
ZONE_EDGE = "#333333"

_lock = threading.Lock()   # rcParams are global: one figure at a time


def _rc(face: Face) -> dict:
    font_manager.fontManager.addfont(str(face.path))   # registers every face of a .ttc, SC included
    return {"font.family": [face.family], "axes.unicode_minus": False, "font.size": 9,
            "svg.fonttype": "none"}


def _png(fig: MplFigure) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing")   # a box would be a silent failure
        fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    return buf.getvalue()


def _nice_length(span_m: float) -> float:
    """A round scale-bar length near a fifth of the map width."""
    target = span_m / 3.5
    exp = 10 ** np.floor(np.log10(target))
    return float(max(m for m in (1, 2, 5, 10) if m * exp <= target) * exp)


def _scale_bar(ax, x0: float, y0: float, length: float, height: float) -> None:
    half = length / 2
    ax.add_patch(Rectangle((x0, y0), half, height, facecolor="black", edgecolor="black", lw=0.6, zorder=6))
    ax.add_patch(Rectangle((x0 + half, y0), half, height, facecolor="white", edgecolor="black", lw=0.6, zorder=6))
    unit, div = ("千米", 1000) if length >= 1000 else ("米", 1)
    ax.text(x0, y0 + height * 1.6, "0", ha="center", va="bottom", fontsize=6.5, zorder=6)
    ax.text(x0 + length, y0 + height * 1.6, f"{length / div:g}{unit}", ha="center", va="bottom", fontsize=6.5,
            zorder=6)


def _north_arrow(ax, x: float, y: float, size: float) -> None:
    ax.add_patch(FancyArrow(x, y - size, 0, size, width=size * 0.12, head_width=size * 0.45,
                            head_length=size * 0.45, length_includes_head=True, color="black", zorder=6))
    ax.text(x, y + size * 0.08, "北", ha="center", va="bottom", fontsize=10, fontweight="bold", zorder=6)


MAX_PARK_PANELS = 5
MAX_CHART_PARKS = 12


def _gap_words(row) -> str:
    """缺口 X 亩 when land is short; else how many projects lack a site (factory space)."""
    if row["unplaced_gap_mu"] > 0:
        return f"缺口{fmt_mu(row['unplaced_gap_mu'])}亩"
    return f"{int(row['unplaced_count'])}个项目无选址"


def _frame(ax) -> None:
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)


def _zoom(ax, bounds, pad_frac: float, top_extra: float = 0.0) -> None:
    minx, miny, maxx, maxy = bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half = max(maxx - minx, maxy - miny) / 2 * (1 + pad_frac)
    ax.set_xlim(cx - half, cx + half)
    ax.set_ylim(cy - half, cy + half * (1 + top_extra))


def _corner_furniture(ax, north: bool) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    _scale_bar(ax, x0 + (x1 - x0) * 0.05, y0 + (y1 - y0) * 0.05, _nice_length(x1 - x0), (y1 - y0) * 0.018)
    if north:
        _north_arrow(ax, x1 - (x1 - x0) * 0.08, y1 - (y1 - y0) * 0.2, (y1 - y0) * 0.12)


def map_png(ws: Workspace, facts: Facts, fonts: FontSet, width_mm: float = 156.0) -> bytes:
    """An overview of the parks and one panel per park (parcels by status, placed sites, the parks wanted by
    unplaced projects in red), each with a scale bar; north arrow and legend shared."""
    zones = ws.metric("zones")
    parcels = ws.metric("parcels")
    gap_zones = facts.zones[(facts.zones["unplaced_count"] > 0) & (facts.zones.index != "")]
    # Parks with a gap first, then by demand: the ones the report talks about.
    order = facts.zones.loc[[z for z in zones.index]].assign(
        g=lambda d: d["unplaced_gap_mu"], dm=lambda d: d["demand_mu"]).sort_values(["g", "dm"], ascending=False)
    shown = sorted(order.index[:MAX_PARK_PANELS], key=list(zones.index).index)
    ncols = 3
    nrows = int(np.ceil((len(shown) + 1) / ncols))
    panel_mm = width_mm / ncols
    sites = [p for p in facts.placed if p.kind == "land" and p.site_wkt]
    site_geoms = gpd.GeoSeries(shapely.from_wkt([p.site_wkt for p in sites]), crs=ws.crs).to_crs(ws.metric_crs) \
        if sites else None
    fac_ids = [p.factory_id for p in facts.placed if p.kind == "factory" and p.factory_id]
    factories = ws.metric("factories")
    fac = factories[factories.index.isin(fac_ids)]
    fac_pts = fac.geometry.representative_point() if len(fac) else None
    with _lock, matplotlib.rc_context(_rc(fonts.heiti)):
        fig = MplFigure(figsize=(width_mm / MM_PER_INCH, (nrows * panel_mm * 1.08 + 14) / MM_PER_INCH),
                        layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        # Overview: every park, coloured by whether projects lack a site there.
        ax = axes[0]
        zones.plot(ax=ax, facecolor=["#f6d5d9" if z in gap_zones.index else "#e6e6e6" for z in zones.index],
                   edgecolor=[GAP_COLOR if z in gap_zones.index else ZONE_EDGE for z in zones.index], linewidth=0.8)
        for zid, z in zones.iterrows():
            c = z.geometry.representative_point()
            ax.annotate(z["name"], (c.x, c.y), xytext=(0, 7), textcoords="offset points", ha="center", va="bottom",
                        fontsize=6, color=GAP_COLOR if zid in gap_zones.index else ZONE_EDGE)
        _zoom(ax, zones.total_bounds, 0.45)
        _frame(ax)
        ax.set_title("全县园区分布", fontsize=8)
        _corner_furniture(ax, north=True)
        for ax, zid in zip(axes[1:], shown):
            zone = zones.loc[[zid]]
            in_zone = parcels[parcels["zone_id"] == zid]
            for status, color in PARCEL_STATUS_COLORS.items():
                sub = in_zone[in_zone["status"] == status]
                if len(sub):
                    sub.plot(ax=ax, color=color, edgecolor="white", linewidth=0.15)
            if site_geoms is not None:
                site_geoms.plot(ax=ax, facecolor="none", edgecolor="black", hatch="//////", linewidth=0.4)
            if fac_pts is not None:
                ax.scatter(fac_pts.x, fac_pts.y, marker="s", s=12, facecolor=PLACED_COLOR, edgecolor="white",
                           lw=0.5, zorder=5)
            gap = zid in gap_zones.index
            zone.boundary.plot(ax=ax, color=GAP_COLOR if gap else ZONE_EDGE, linewidth=1.4 if gap else 0.7,
                               linestyle=(0, (4, 2)) if gap else "-")
            _zoom(ax, zone.total_bounds, 0.12)
            _frame(ax)
            title = zones.at[zid, "name"]
            if gap:
                title += f"（{_gap_words(gap_zones.loc[zid])}）"
            ax.set_title(title, fontsize=7.5, color=GAP_COLOR if gap else "black")
            _corner_furniture(ax, north=False)
        for ax in axes[len(shown) + 1:]:
            ax.set_axis_off()
        handles = [Patch(facecolor=PARCEL_STATUS_COLORS[s], label=PARCEL_STATUS_LABELS[s])
                   for s in PARCEL_STATUS_COLORS]
        handles.append(Patch(facecolor="none", edgecolor="black", hatch="//////", label="已落实选址"))
        if len(fac):
            handles.append(Line2D([], [], marker="s", ls="", markerfacecolor=PLACED_COLOR, markeredgecolor="white",
                                  label="入驻标准厂房"))
        handles.append(Line2D([], [], color=ZONE_EDGE, lw=0.9, label="园区边界"))
        if len(gap_zones):
            handles.append(Line2D([], [], color=GAP_COLOR, lw=1.6, ls=(0, (4, 2)), label="有项目、无选址的意向园区"))
        fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize=7, frameon=False,
                   handlelength=1.6, columnspacing=1.2)
        return _png(fig)


def supply_demand_png(facts: Facts, fonts: FontSet, width_mm: float = 156.0) -> bytes:
    """Per park: supply (available + pipeline) against land demand (placed need + 无选址 need)."""
    zones = facts.zones[(facts.zones["demand_count"] > 0) | (facts.zones.index != "")]
    if len(zones) > MAX_CHART_PARKS:   # a large county: the parks with the largest gap, then demand
        top = zones.sort_values(["unplaced_need_mu", "demand_mu"], ascending=False).index[:MAX_CHART_PARKS]
        zones = zones[zones.index.isin(top)]
    names = list(zones["name"])
    n = len(names)
    height_mm = 28 + 13 * max(n, 1)
    with _lock, matplotlib.rc_context(_rc(fonts.heiti)):
        fig = MplFigure(figsize=(width_mm / MM_PER_INCH, height_mm / MM_PER_INCH), layout="constrained")
        ax = fig.add_subplot()
        y = np.arange(n)[::-1].astype(float)
        h = 0.36
        left = np.zeros(n)
        supply = [("available", zones["available_mu"].to_numpy())] + \
                 [(s, zones[f"{s}_mu"].to_numpy()) for s in PIPELINE_STATUSES]
        for status, values in supply:
            ax.barh(y + h / 2, values, h, left=left, color=PARCEL_STATUS_COLORS[status],
                    label=f"供给：{PARCEL_STATUS_LABELS[status]}")
            left = left + values
        placed = zones["placed_need_mu"].to_numpy()
        gap = zones["unplaced_need_mu"].to_numpy()
        ax.barh(y - h / 2, placed, h, color=PLACED_COLOR, label="需求：已落实选址")
        ax.barh(y - h / 2, gap, h, left=placed, color=GAP_COLOR, label="需求：无选址")
        top = max(float(left.max(initial=0)), float((placed + gap).max(initial=0)), 1.0)
        for yi, s, d in zip(y, left, placed + gap):
            if s > 0:
                ax.text(s + top * 0.01, yi + h / 2, fmt_mu(s), va="center", fontsize=7)
            ax.text(d + top * 0.01, yi - h / 2, fmt_mu(d), va="center", fontsize=7)
        ax.set_yticks(y, names)
        ax.set_xlim(0, top * 1.12)
        ax.set_xlabel(FIELD_LABELS["area_mu"])
        ax.grid(axis="x", color="#dddddd", lw=0.5)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.legend(loc="outside lower center", ncol=5, fontsize=7.5, frameon=False, handlelength=1.2,
                   columnspacing=1.0)
        return _png(fig)


def frontier_png(facts: Facts, fonts: FontSet, width_mm: float = 156.0) -> bytes:
    """The plan's budget frontier: investment placed (亿元) against the cost of the work funded (万元), a step at
    each breakpoint — what each extra 万元 buys."""
    points = facts.plan.frontier or []
    cost = np.array([p.cost_wan for p in points], dtype=float)
    yi = np.array([p.placed_investment_yi for p in points], dtype=float)
    with _lock, matplotlib.rc_context(_rc(fonts.heiti)):
        fig = MplFigure(figsize=(width_mm / MM_PER_INCH, 70 / MM_PER_INCH), layout="constrained")
        ax = fig.add_subplot()
        ax.step(cost, yi, where="post", color=PLACED_COLOR, lw=1.4)
        ax.plot(cost, yi, "o", color=PLACED_COLOR, ms=3.5)
        chosen = facts.plan
        ax.plot([chosen.cost_wan], [chosen.placed_investment_yi], "o", color=GAP_COLOR, ms=6,
                label=PLAN_LABELS["chosen"])
        ax.set_xlabel(PLAN_LABELS["cost_wan"])
        ax.set_ylabel(PLAN_LABELS["placed_investment_yi"])
        ax.grid(color="#dddddd", lw=0.5)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.legend(loc="outside lower center", fontsize=7.5, frameon=False)
        return _png(fig)
