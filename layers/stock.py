"""存量盘活 on the map and in tables: the parcels coloured by stock class (geo.stock) with their class, days overdue,
fee, next legal step and its deadline in the popup; the 督办单 table, the firms' grades, the 亩 per class and park.

The report and the classes are derived once per workspace version and date in the caller's ``geo.cache.DerivedCache``
(the app's ``pages.context.derived``): the page, the map and the download show the very ``stock_report``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from geo.cache import DerivedCache, own
from geo.mujun import INDICATORS
from geo.stock import CLASSES, StockReport, classify_workspace, stock_report
from geo.vocab import (
    FIELD_LABELS as F,
    FIRM_GRADES,
    STOCK_CLASS_COLORS,
    STOCK_CLASS_LABELS,
    STOCK_LABELS as S,
    STOCK_PAGE_LABELS as P,
)
from geo.workspace import Workspace
from layers import assets
from layers.elements import GeoJsonLayer, prefetch_layer_data
from layers.features import feature_collection, lonlat_bounds

if TYPE_CHECKING:
    from geo.settings import Settings
    from layers.elements import OfflineMap

STOCK_FIELDS = [("id", F["parcel_id"], "text"), ("k", S["class"], "lookup:stock"), ("a", F["area_mu"], "mu"),
                ("z", P["zone_name"], "text"), ("o", S["days_overdue"], "text"), ("f", S["fee_wan"], "text"),
                ("h", F["holder"], "text"), ("dl", S["deadline"], "text"), ("ns", S["next_step"], "text")]
"""The stock layer's popup: parcel, class, 亩, park, days overdue, fee, holder, deadline, next step."""
STOCK_LOOKUPS = {"stock": STOCK_CLASS_LABELS}
LISTED = tuple(c for c in CLASSES if c != "normal")
"""The classes a filter offers and the tables list (``normal`` is not stock land)."""


def _day(as_of: dt.date | pd.Timestamp) -> str:
    return pd.Timestamp(as_of).strftime("%Y-%m-%d")


def report_for(ws: Workspace, as_of: dt.date | pd.Timestamp, settings: Settings,
               cache: DerivedCache | None = None) -> StockReport:
    """``geo.stock.stock_report`` at ``as_of``, once per workspace version and date in ``cache``."""
    return own(cache).get(ws, ("stock_report", _day(as_of)), lambda: stock_report(ws, as_of, settings))


def classes_for(ws: Workspace, as_of: dt.date | pd.Timestamp, settings: Settings,
                cache: DerivedCache | None = None) -> pd.DataFrame:
    """``geo.stock.classify_workspace`` at ``as_of`` (every parcel, indexed by parcel id), cached like the report."""
    return own(cache).get(ws, ("stock_classes", _day(as_of)), lambda: classify_workspace(ws, as_of, settings))


def has_stock(classes: pd.DataFrame) -> bool:
    """Whether any parcel is stock land at that date (a workspace without contract dates or firms has none)."""
    return bool((classes["stock_class"] != "normal").any())


def stock_style(cls: str) -> dict:
    colour = STOCK_CLASS_COLORS[cls]
    faint = cls == "normal"
    return {"color": colour, "weight": 1 if faint else 2, "opacity": 0.9, "fillColor": colour,
            "fillOpacity": 0.2 if faint else 0.65}


def legend_items(classes: Iterable[str] | None = None) -> list[tuple[str, str, str]]:
    """(label, fill, outline) of the stock classes, for the map's legend."""
    return [(STOCK_CLASS_LABELS[c], STOCK_CLASS_COLORS[c], STOCK_CLASS_COLORS[c]) for c in (classes or CLASSES)]


def _text_days(days: pd.Series) -> list:
    return [None if pd.isna(d) else f"{int(d)}" for d in days]


def add_stock_parcels(m: OfflineMap, ws: Workspace, classes: pd.DataFrame, zone_ids: Iterable[str] | None = None,
                      only: Iterable[str] | None = None, key: str = "") -> int:
    """The parcels of ``zone_ids`` coloured by stock class (``classes``: ``classes_for``; ``only``: these classes;
    ``key``: what ``classes`` was derived at, for the layer cache), popups naming the class, days overdue, fee, next
    step and deadline; returns the number drawn."""
    gcj = m._landgap_gcj02
    zids = tuple(zone_ids) if zone_ids is not None else tuple(ws.zones.index)
    kinds = tuple(only) if only else tuple(CLASSES)

    def make() -> tuple[str, int, list]:
        p = ws.metric("parcels")
        c = classes.reindex(p.index)
        keep = p["zone_id"].isin(zids).to_numpy() & c["stock_class"].isin(kinds).to_numpy()
        p, c = p[keep].copy(), c[keep]
        p["zone_name"] = p["zone_id"].map(ws.zones["name"])
        p["k"] = c["stock_class"]
        p["o"] = _text_days(c["days_overdue"])
        p["f"] = [f"{v:,.2f}" if v > 0 else None for v in c["fee_wan"]]
        p["dl"] = [None if pd.isna(d) else _day(d) for d in c["deadline"]]
        p["ns"] = c["next_step"].where(c["stock_class"] != "normal")
        if "holder" not in p.columns:
            p["holder"] = None
        data = feature_collection(p, {"id": "parcel_id", "k": "k", "a": "area_mu", "z": "zone_name", "o": "o",
                                      "f": "f", "h": "holder", "dl": "dl", "ns": "ns"}, gcj)
        return data, len(p), lonlat_bounds(p, gcj)
    cached = m._landgap_cache.get           # the cache the map was made with (layers.build.new_map)
    data, n, bounds = cached(ws, ("map_layer", "stock_parcels", key, gcj, zids, kinds), make)
    url = cached(ws, ("map_layer", "stock_parcels_url", key, gcj, zids, kinds),
                  lambda: assets.cached_json_url(data, m._landgap_settings.app.cache_max_mb)) if m._landgap_fetch \
        else None
    if url:
        prefetch_layer_data(m, url)
    GeoJsonLayer(data, "stock", P["map_layer"], style_key="k", styles={c: stock_style(c) for c in CLASSES},
                 fields=STOCK_FIELDS, lookups=STOCK_LOOKUPS, bounds=bounds, data_url=url).add_to(m)
    return n


# ------------------------------------------------------------------------------------------------ tables

PARCEL_COLUMNS: dict[str, str] = {
    "parcel_id": F["parcel_id"], "zone_name": P["zone_name"], "class": S["class"], "area_mu": F["area_mu"],
    "days_overdue": S["days_overdue"], "fee_wan": S["fee_wan"], "holder": F["holder"],
    "deadline": S["deadline"], "next_step": S["next_step"]}
"""The 督办单's columns (the page's table and the Excel download): code → Chinese header."""


def parcel_table(ws: Workspace, report: StockReport) -> pd.DataFrame:
    """The stock parcels of ``report`` in its order, Chinese headers (``PARCEL_COLUMNS``): 亩 and fees to 0.01,
    days overdue whole, deadlines as dates (text), blanks where none applies."""
    p = report.parcels
    out = pd.DataFrame({
        "parcel_id": p["parcel_id"].astype(str).to_numpy(),
        "zone_name": p["zone_id"].map(ws.zones["name"]).fillna(p["zone_id"]).to_numpy(dtype=object),
        "class": p["stock_class"].map(STOCK_CLASS_LABELS).to_numpy(dtype=object),
        "area_mu": p["area_mu"].astype(float).round(2).to_numpy(),
        "days_overdue": pd.array(p["days_overdue"].round(), dtype="Int64"),
        "fee_wan": p["fee_wan"].astype(float).round(2).to_numpy(),
        "holder": p["holder"].where(p["holder"].notna(), None).to_numpy(dtype=object),
        "deadline": [None if pd.isna(d) else _day(d) for d in p["deadline"]],
        "next_step": p["next_step"].to_numpy(dtype=object),
    })
    return out.rename(columns=PARCEL_COLUMNS)


def firm_table(report: StockReport) -> pd.DataFrame:
    """The firms graded (best first), each indicator, Chinese headers; firms not graded say so."""
    f = report.firms
    out = pd.DataFrame({F["firm_id"]: f["firm_id"].astype(str).to_numpy(), F["name"]: f["name"].to_numpy(),
                        S["land_mu"]: f["land_mu"].astype(float).round(2).to_numpy(),
                        S["grade"]: f["grade"].where(f["grade"].notna(), S["not_graded"]).to_numpy(dtype=object),
                        S["score"]: f["score"].astype(float).round(1).to_numpy()})
    for k in INDICATORS:
        out[S[k]] = f[k].astype(float).round(2).to_numpy()
    return out


def grade_counts(report: StockReport) -> pd.DataFrame:
    """Firms per grade A/B/C/D (and not graded, when any), Chinese headers."""
    g = report.firms["grade"]
    counts = {grade: int((g == grade).sum()) for grade in FIRM_GRADES}
    if g.isna().any():
        counts[S["not_graded"]] = int(g.isna().sum())
    return pd.DataFrame({S["grade"]: list(counts), P["count"]: list(counts.values())})


def chart_colors(table: pd.DataFrame) -> list[str]:
    """The class colours of ``mu_by_class_zone``'s columns (Chinese labels), in their order."""
    code = {label: c for c, label in STOCK_CLASS_LABELS.items()}
    return [STOCK_CLASS_COLORS[code[label]] for label in table.columns]


def mu_by_class_zone(ws: Workspace, report: StockReport) -> pd.DataFrame:
    """Stock 亩 per park (rows, park names) and class (columns, Chinese, in the classes' order) — the chart's data;
    classes with no land are left out."""
    p = report.parcels
    table = p.pivot_table(index="zone_id", columns="stock_class", values="area_mu", aggfunc="sum", fill_value=0.0)
    table = table.reindex(columns=[c for c in LISTED if c in table.columns])
    table.index = table.index.map(lambda z: ws.zones["name"].get(z, z))
    return table.rename(columns=STOCK_CLASS_LABELS).rename_axis(P["zone_name"])


def supervision_xlsx(ws: Workspace, report: StockReport, county: str = "") -> bytes:
    """The 督办单 as Excel: a title row, the as-of date with the count, 亩 and fees, the ``parcel_table``."""
    from formats.supervision import titled_sheet_bytes
    table = parcel_table(ws, report)
    note = (f"{S['as_of']} {_day(report.as_of)}　共 {len(table)} 宗、{float(report.parcels['area_mu'].sum()):,.2f} 亩，"
            f"{S['fees_wan']} {report.totals['fees_wan']:,.2f}")
    return titled_sheet_bytes(table, f"{county}{P['sheet_title']}", note, P["sheet_name"])


def parcel_stock_text(classes: pd.DataFrame, parcel_id: str) -> str | None:
    """A clicked parcel's class in words — '闲置（逾期 400 天，闲置费 500.00 万元，期限 2027-03-15）' — or None for
    a parcel that is not stock land."""
    if parcel_id not in classes.index or classes.at[parcel_id, "stock_class"] == "normal":
        return None
    r = classes.loc[parcel_id]
    parts = ([f"逾期 {int(r['days_overdue'])} 天"] if pd.notna(r["days_overdue"]) else []) \
        + ([f"闲置费 {r['fee_wan']:,.2f} 万元"] if r["fee_wan"] > 0 else []) \
        + ([f"{S['deadline']} {_day(r['deadline'])}"] if pd.notna(r["deadline"]) else [])
    return STOCK_CLASS_LABELS[r["stock_class"]] + (f"（{'，'.join(parts)}）" if parts else "")
