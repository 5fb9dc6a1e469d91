"""The map on a page: the base map of the sidebar's filters, its rendering with the clicked object and the last
drawing, the clicked parcel's panel and the drawn polygon's 亩, the offline HTML download."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from geo.units import fmt_mu
from geo.vocab import FIELD_LABELS as F, STOCK_LABELS
from geo.workspace import Workspace
from layers import basemaps, build, export, query, stock
from pages.common import Filters, available, grid, workspace_path, zone_scope
from pages.context import derived, settings

MAP_HEIGHT = 600
# Only these make the app rerun: panning and zooming stay in the browser.
MAP_RETURNS = ["last_object_clicked", "last_active_drawing", "last_clicked"]


def base_map(ws: Workspace, f: Filters, height: int = MAP_HEIGHT, fetch_data: bool = True):
    """Map with zones, parcels (status filter) and factories of the selected zones (parcels fetched by the browser
    in the app; embedded for downloads)."""
    from pages.tile_http import database_tiles, registry
    m = build.new_map(ws, f.basemap, height, fetch_data, settings=settings(), cache=derived(), tiles=registry(),
                      tile_source=database_tiles(workspace_path(), "ws_edited" in st.session_state, settings()))
    scope = zone_scope(ws, f)
    build.add_zones(m, ws, scope)
    build.add_constraints(m, ws)
    build.add_parcels(m, ws, f.statuses, scope, stock_as_of=f.stock_as_of, stock_classes=f.stock_classes)
    build.add_factories(m, ws, scope)
    return m


def show_map(ws: Workspace, content, make, key: str, height: int = MAP_HEIGHT) -> dict:
    """The map ``make()`` builds (rendered once per workspace version and ``content``: what it draws beyond the
    workspace, filters included), with the clicked object and the last drawing."""
    from pages import map_component
    return map_component.show(ws, content, make, key, height, MAP_RETURNS)


def map_with_details(ws: Workspace, key: str, f: Filters, content, make, map_key: str, hint: str) -> None:
    """The map (three quarters wide) beside a hint, the clicked parcel's details and the drawn polygon's acreage."""
    mcol, pcol = st.columns([3, 1])
    with mcol:
        out = show_map(ws, content, make, key=map_key)
    with pcol:
        st.markdown(hint)
        interaction_panels(ws, key, f, out)


def map_download(make_map, file_stem: str) -> None:
    """The current map as one offline HTML file, built on click (deferred) by ``make_map()``."""
    st.download_button("下载当前地图（离线 HTML）", lambda: export.standalone_html(make_map()), f"{file_stem}.html",
                       "text/html", key=f"dl_map_{file_stem}", on_click="ignore")


def offline_filters(f: Filters, ws: Workspace) -> Filters:
    """The same filters with an offline basemap (for downloads; pages build those maps with fetch_data=False)."""
    from dataclasses import replace
    return f if f.basemap in basemaps.OFFLINE_BASEMAPS else replace(
        f, basemap=basemaps.HILLSHADE if ws.dem_path is not None else basemaps.PLAIN)


def interaction_panels(ws: Workspace, key: str, f: Filters, out: dict) -> None:
    """Details of the clicked parcel (and standard factory) and the acreage inside the last drawn polygon."""
    gcj = basemaps.needs_gcj02(f.basemap)
    # a parcel of the GeoJSON layer, or a click on the map (vector tiles are drawn by MapLibre, not clickable
    # Leaflet features): either way the parcel is found on the server, at the clicked point
    clicked = out.get("last_object_clicked") or out.get("last_clicked")
    if clicked:
        pid = query.parcel_at(ws, clicked["lat"], clicked["lng"], gcj)
        if pid:
            blocks = query.block_index(available(ws, key, f.zone, f.industry, f.by, None))
            d = query.parcel_details(ws, pid, blocks)
            d["stock"] = stock.parcel_stock_text(stock.classes_for(ws, f.stock_as_of or dt.date.today(), settings(),
                                                                   derived()), pid)
            parcel_panel(d)
        factory = query.factory_at(ws, clicked["lat"], clicked["lng"], gcj)
        if factory:
            factory_panel(factory)
    drawing = out.get("last_active_drawing")
    # st_folium also reports a clicked feature here: a drawn shape is the one without our properties
    if drawing and not drawing.get("properties") and \
            drawing.get("geometry", {}).get("type") in ("Polygon", "MultiPolygon"):
        table = query.drawn_area_by_status(ws, drawing, gcj)
        total = query.drawn_total_mu(ws, drawing, gcj)
        st.markdown(f"**绘制范围**：{fmt_mu(total)} 亩，其中地块面积按状态：")
        shown = table.assign(**{F["area_mu"]: table["area_mu"].round(1), F["parcel_count"]: table["parcels"]})
        grid(shown[[F["status"], F["area_mu"], F["parcel_count"]]])


def parcel_panel(d: dict) -> None:
    block = (f"{d['block_id']}（{d['block_parcels']} 块，合计 {fmt_mu(d['block_mu'])} 亩）" if d["block_id"]
             else "不属于可供连片地块（按当前筛选条件）")
    with st.container(border=True):
        st.markdown(f"**地块 {d['parcel_id']}**  \n面积：{fmt_mu(d['area_mu'])} 亩  \n状态：{d['status_label']}  \n"
                    f"可供日期：{d['ready_date'] or '—'}  \n所属园区：{d['zone_name']}（{d['zone_id']}）  \n"
                    f"所属连片：{block}  \n用地类型：{d['land_use'] or '—'}"
                    + (f"  \n{STOCK_LABELS['class']}：{d['stock']}" if d.get("stock") else ""))


def factory_panel(d: dict) -> None:
    with st.container(border=True):
        st.markdown(f"**标准厂房 {d['name'] or d['factory_id']}**（{d['factory_id']}）  \n状态：{d['status_label']}  \n"
                    f"{F['floors']}：{d['floors'] if d['floors'] is not None else '—'}  \n"
                    f"{F['floor_area_m2']}：{d['floor_area_m2']:,.0f}  \n{F['vacant_m2']}：{d['vacant_m2']:,.0f}  \n"
                    f"可入驻日期：{d['ready_date'] or '—'}  \n所属园区：{d['zone_name']}（{d['zone_id']}）")

