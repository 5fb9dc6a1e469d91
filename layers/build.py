"""Map composition used by every page: one base map, then the layers a page needs, then legend/control/fit.

Layer data is derived once per workspace version in the caller's ``geo.cache.DerivedCache`` (given to ``new_map``;
a new workspace, e.g. after editing projects, gets a new version and so its own entries), never stored inside the
Workspace object.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

import folium
import geopandas as gpd

from geo.cache import DerivedCache, own
from geo.vocab import (
    EXCLUSION_LABELS,
    FACTORY_STATUS_LABELS,
    FIELD_LABELS,
    PARCEL_STATUS_COLORS,
    PARCEL_STATUS_LABELS,
    POPUP_TERRAIN_LABEL,
    SLOPE_LAYER_LABEL,
    STOCK_LABELS,
    TERRAIN_LABELS,
)
from geo.workspace import Workspace
from layers import assets, basemaps, stock
from layers.elements import (
    LABEL_CSS,
    DrawLocale,
    DrawnStamp,
    GeoJsonLayer,
    LayerControlTitle,
    LegendControl,
    MapControls,
    OfflineDraw,
    OfflineMap,
    PlainBase,
    prefetch_layer_data,
)
from layers.features import feature_collection, lonlat_bounds

if TYPE_CHECKING:
    from geo.settings import Settings
    from layers.tiles import TileRegistry

F = FIELD_LABELS
PARCEL_FIELDS = [("id", F["parcel_id"], "text"), ("s", F["status"], "lookup:status"), ("a", F["area_mu"], "mu"),
                 ("z", "所属园区", "text"), ("d", F["ready_date"], "text"), ("u", F["land_use"], "text"),
                 ("n", TERRAIN_LABELS["net_mu"], "mu"), ("x", "不可供部分", "text"), ("t", POPUP_TERRAIN_LABEL, "text")]
FACTORY_FIELDS = [("n", "标准厂房", "text"), ("s", "建设状态", "lookup:fstatus"), ("v", F["vacant_m2"], "m2"),
                  ("id", F["factory_id"], "text"), ("f", F["floors"], "text"), ("fa", F["floor_area_m2"], "m2"),
                  ("d", "可入驻日期", "text")]
FACTORY_STYLE = {"color": "#1d3557", "weight": 2, "fillColor": "#457b9d", "fillOpacity": 0.85}
SITE_STYLES = {
    "placed": {"color": "#c1121f", "weight": 3, "fillColor": "#c1121f", "fillOpacity": 0.25},
    "candidate": {"color": "#7b2cbf", "weight": 3, "dashArray": "6 4", "fillColor": "#7b2cbf", "fillOpacity": 0.2},
    "unlock": {"color": "#ff7b00", "weight": 4, "dashArray": "2 4", "fillOpacity": 0.0},
}
SITE_LABELS = {"placed": "已安排选址", "candidate": "候选选址", "unlock": "建议优先整理的地块"}
LOOKUPS = {"status": PARCEL_STATUS_LABELS, "fstatus": FACTORY_STATUS_LABELS, **stock.STOCK_LOOKUPS}
STOCK_FIELD = ("k", STOCK_LABELS["class"], "lookup:stock")
"""The parcels' popup row naming the stock class, when the workspace has stock land (``add_parcels``)."""


def _cached(m: OfflineMap, ws: Workspace, key: tuple, make: Callable[[], object]):
    """``make()`` once per workspace version and ``key`` (the layer kind and what selects its features), in the
    cache the map was made with (``new_map``)."""
    return m._landgap_cache.get(ws, ("map_layer", *key), make)


def parcel_style(status: str) -> dict:
    colour = PARCEL_STATUS_COLORS[status]
    return {"color": colour, "weight": 1, "opacity": 0.9, "fillColor": colour, "fillOpacity": 0.55}


def legend_items(statuses: Iterable[str] | None = None) -> list[tuple[str, str, str]]:
    """(label, fill, outline) for the parcel statuses and the other layers: the one legend every page shows."""
    items = [(PARCEL_STATUS_LABELS[s], PARCEL_STATUS_COLORS[s], PARCEL_STATUS_COLORS[s])
             for s in (statuses or PARCEL_STATUS_LABELS)]
    items.append(("标准厂房", FACTORY_STYLE["fillColor"], FACTORY_STYLE["color"]))
    return items


def new_map(ws: Workspace, basemap: str = basemaps.HILLSHADE, height: int = 620, fetch_data: bool = False, *,
            settings: Settings, cache: DerivedCache | None = None, tiles: TileRegistry | None = None,
            tile_source: Callable[[], object] | None = None) -> OfflineMap:
    """A canvas-rendered map (fast with 10k polygons) with one basemap; vector layers are added by the caller.

    ``fetch_data``: the parcels layer is served from static/cache and fetched by the browser (the app); without
    it every layer is embedded (standalone downloads). ``settings``: the caller's configuration (天地图 key, slope
    threshold, layer cache size, map assets), kept on the map for what is added to it and its download;
    ``cache``: where the layers' data is derived (the app's, shared by its sessions; None: this map's own);
    ``tiles``: the server's tile registry — with it, a fetched map of at least ``[app] tile_threshold_parcels``
    parcels draws parcels and constraint layers as vector tiles (layers/tile_layer.py) when the tile route is
    mounted (desktop.py, server.py).
    """
    m = OfflineMap(location=list(reversed(ws.center)), zoom_start=13, tiles=None, prefer_canvas=True,
                   zoom_control=False, control_scale=False, height=height)
    MapControls().add_to(m)
    m.get_root().header.add_child(folium.Element(LABEL_CSS), name="landgap_css")
    label = basemaps.BASEMAP_LABELS[basemap]
    if basemap == basemaps.HILLSHADE and ws.dem_path is not None:
        shade = basemaps.hillshade_overlay(ws.dem_path)
        _image_url(folium.raster_layers.ImageOverlay(shade.data_url, bounds=[list(b) for b in shade.bounds],
                                                     name=label, overlay=False, pixelated=False, interactive=False),
                   fetch_data, settings).add_to(m)
    elif basemap == basemaps.TIANDITU:
        key = settings.app.tianditu_key
        folium.TileLayer(basemaps.tianditu_url("vec", key), attr="天地图", name=label, subdomains="01234567",
                         overlay=False, max_zoom=18).add_to(m)
        folium.TileLayer(basemaps.tianditu_url("cva", key), attr="天地图", name="天地图注记",
                         subdomains="01234567", overlay=True, max_zoom=18).add_to(m)
    elif basemap == basemaps.OSM:
        folium.TileLayer(basemaps.OSM_URL, attr="© OpenStreetMap", name=label, overlay=False).add_to(m)
    elif basemap == basemaps.GAODE:
        folium.TileLayer(basemaps.GAODE_URL, attr="© 高德地图", name=label, subdomains="1234",
                         overlay=False, max_zoom=18).add_to(m)
    else:
        PlainBase(basemaps.BASEMAP_LABELS[basemaps.PLAIN]).add_to(m)
    if ws.dem_path is not None and Path(ws.dem_path).exists():     # slope from the DEM, drawn locally, off by default
        max_pct = settings.terrain.max_slope_pct
        slope = basemaps.slope_overlay(ws.dem_path, max_pct)
        _image_url(folium.raster_layers.ImageOverlay(
            slope.data_url, bounds=[list(b) for b in slope.bounds], name=SLOPE_LAYER_LABEL.format(max=f"{max_pct:g}"),
            overlay=True, show=False, pixelated=False, interactive=False), fetch_data, settings).add_to(m)
    m._landgap_gcj02 = basemaps.needs_gcj02(basemap)
    m._landgap_fetch = fetch_data
    m._landgap_settings = settings
    m._landgap_cache = own(cache)
    m._landgap_tile_token = m._landgap_embedded = None
    if len(ws.parcels) >= settings.app.tile_threshold_parcels:
        from layers.tiles import WorkspaceTiles
        if fetch_data and tiles is not None and tiles.mounted:
            m._landgap_tile_token = tiles.register(("workspace", ws.version), lambda: WorkspaceTiles(
                ws, settings, detail=tile_source() if tile_source is not None else None))
        elif not fetch_data:        # a download: the tiles of the view it covers, in the file
            from layers.tile_embed import embedded_tiles
            token = tiles.register(("workspace", ws.version), lambda: WorkspaceTiles(ws, settings), warm=False) \
                if tiles is not None else None
            source = tiles.source(token) if token else None
            source = source if isinstance(source, WorkspaceTiles) else WorkspaceTiles(ws, settings)
            factories = _many_factories(ws, settings)
            m._landgap_embedded = m._landgap_cache.get(ws, ("embedded_tiles", factories),
                                                       lambda: embedded_tiles(source, factories=factories))
        if tiled(m):
            from layers.tile_layer import TileWorkers
            TileWorkers().add_to(m)
    return m


def _image_url(overlay: folium.raster_layers.ImageOverlay, fetch_data: bool, settings: Settings):
    """An overlay's image: embedded (a data: URI) in downloads, a cached file the browser fetches (and keeps) in
    the app — megabytes at a large county, otherwise sent with every map."""
    if fetch_data:
        overlay.url = assets.cached_data_url(overlay.url, settings.app.cache_max_mb)
    return overlay


def tiled(m: OfflineMap) -> bool:
    """Does this map draw parcels and constraint layers as vector tiles (served, or embedded in a download)?"""
    return getattr(m, "_landgap_tile_token", None) is not None or getattr(m, "_landgap_embedded", None) is not None


def factories_tiled(m: OfflineMap, ws: Workspace) -> bool:
    """Are this map's factories tiles (a tiled map, ``[app] tile_threshold_factories`` of them or more)?"""
    return tiled(m) and _many_factories(ws, m._landgap_settings)


def _many_factories(ws: Workspace, settings: Settings) -> bool:
    return len(ws.factories) >= settings.app.tile_threshold_factories


def add_zones(m: OfflineMap, ws: Workspace, zone_ids: Iterable[str] | None = None) -> None:
    """Zone outlines (not clickable, so clicks reach the parcels) and their names as labels."""
    gcj = m._landgap_gcj02
    ids = tuple(zone_ids) if zone_ids is not None else tuple(ws.zones.index)
    zones = ws.metric("zones").loc[list(ids)]
    outline = _cached(m, ws, ("zones", gcj, ids),
                      lambda: feature_collection(zones, {"id": "zone_id", "n": "name"}, gcj))
    GeoJsonLayer(outline, "zones", "园区边界", styles={}, interactive=False,
                 default_style={"color": "#1d3557", "weight": 2, "dashArray": "8 4", "fill": False},
                 bounds=lonlat_bounds(zones, gcj)).add_to(m)
    centres = zones.iloc[(-zones.geometry.area).argsort(kind="stable")].copy()   # larger parks named first
    centres["geometry"] = centres.geometry.representative_point()     # the name is drawn centred on it
    labels = _cached(m, ws, ("zone_labels", gcj, ids), lambda: feature_collection(centres, {"n": "name"}, gcj, 0))
    GeoJsonLayer(labels, "zone_labels", "园区名称", interactive=False, label_key="n",
                 default_style={"stroke": False, "fill": False}).add_to(m)


def add_constraints(m: OfflineMap, ws: Workspace, settings: Settings | None = None) -> int:
    """The constraint layers the workspace has, each an overlay of its own (toggleable), outlined and hatched,
    not clickable (clicks reach the parcels); returns how many were drawn."""
    from layers.constraints import CONSTRAINT_COLORS, constraint_frames
    gcj = m._landgap_gcj02
    settings = settings or m._landgap_settings              # default: the settings the map was built with
    frames = _cached(m, ws, ("constraints_frames",), lambda: constraint_frames(ws, settings))
    if tiled(m):        # drawn from tiles with the parcels (add_parcels)
        m._landgap_constraints = tuple(frames)
        return len(frames)
    for name, frame in frames.items():
        colour = CONSTRAINT_COLORS[name]
        data = _cached(m, ws, ("constraint", name, gcj), lambda: feature_collection(frame, {"s": "s"}, gcj))
        GeoJsonLayer(data, f"constraint_{name}", EXCLUSION_LABELS[name] if name != "dev_boundary" else "城镇开发边界",
                     styles={"area": {"color": colour, "weight": 2, "fillColor": colour, "fillOpacity": 0.08,
                                      "dashArray": "6 3" if name == "dev_boundary" else None},
                             "hatch": {"color": colour, "weight": 1, "opacity": 0.8}},
                     interactive=False).add_to(m)
    return len(frames)


def add_parcels(m: OfflineMap, ws: Workspace, statuses: Iterable[str] | None = None,
                zone_ids: Iterable[str] | None = None, settings: Settings | None = None, *,
                stock_as_of: dt.date | None = None, stock_classes: Iterable[str] = ()) -> int:
    """Parcels coloured by status with Chinese tooltip and popup (its net 亩 and what excludes the rest);
    returns the number drawn. ``settings``: default the settings the map was built with. ``stock_as_of``: when the
    workspace has stock land at that date, the popup names each parcel's stock class (存量分类, ``layers.stock``);
    ``stock_classes``: only parcels of these classes (none: every class)."""
    settings = settings or m._landgap_settings
    gcj = m._landgap_gcj02
    sts = tuple(statuses) if statuses is not None else tuple(PARCEL_STATUS_LABELS)
    zids = tuple(zone_ids) if zone_ids is not None else tuple(ws.zones.index)
    if tiled(m):
        from layers.tile_layer import VectorTileLayer
        embedded, first, last = m._landgap_embedded or (None, None, None)
        VectorTileLayer(m._landgap_tile_token, sts, None if zone_ids is None else zids,
                        getattr(m, "_landgap_constraints", ()), embedded=embedded,
                        zooms=(first, last) if embedded is not None else None,
                        stock_classes=tuple(stock_classes)).add_to(m)
        p = ws.parcels
        return int((p["status"].isin(sts) & p["zone_id"].isin(zids)).sum())
    classes = stock.classes_for(ws, stock_as_of, settings, m._landgap_cache) if stock_as_of else None
    if classes is not None and not stock.has_stock(classes) and not stock_classes:
        classes = None                          # no stock land: the popup as it was
    only = tuple(stock_classes)
    day = stock_as_of.isoformat() if classes is not None else None

    def make() -> tuple[str, int, list]:
        p = ws.metric("parcels")
        keep = p["status"].isin(sts) & p["zone_id"].isin(zids)
        if classes is not None:
            p = p.assign(k=classes["stock_class"].reindex(p.index).where(lambda c: c != "normal"))
            keep &= p["k"].isin(only) if only else True
        p = p[keep].copy()
        p["zone_name"] = p["zone_id"].map(ws.zones["name"])
        from layers.constraints import parcel_net_columns, parcel_terrain_text
        p[["net_offered", "excluded_by"]] = parcel_net_columns(ws, p, settings, m._landgap_cache).to_numpy()
        p["terrain"] = parcel_terrain_text(ws, p, settings, m._landgap_cache)
        data = feature_collection(p, {"id": "parcel_id", "s": "status", "a": "area_mu", "z": "zone_name",
                                      "d": "ready_date", "u": "land_use", "n": "net_offered", "x": "excluded_by",
                                      "t": "terrain"} | ({"k": "k"} if classes is not None else {}), gcj)
        return data, len(p), lonlat_bounds(p, gcj)
    data, n, bounds = _cached(m, ws, ("parcels", gcj, sts, zids, day, only), make)
    url = _cached(m, ws, ("parcels_url", gcj, sts, zids, day, only),
                  lambda: assets.cached_json_url(data, m._landgap_settings.app.cache_max_mb)) if m._landgap_fetch \
        else None
    if url:
        prefetch_layer_data(m, url)
    fields = PARCEL_FIELDS if classes is None else PARCEL_FIELDS[:2] + [STOCK_FIELD] + PARCEL_FIELDS[2:]
    GeoJsonLayer(data, "parcels", "地块（按状态着色）", styles={s: parcel_style(s) for s in PARCEL_STATUS_COLORS},
                 fields=fields, lookups=LOOKUPS, bounds=bounds, data_url=url).add_to(m)
    return n


def add_factories(m: OfflineMap, ws: Workspace, zone_ids: Iterable[str] | None = None) -> None:
    """The standard factories of the zones (all: None), with their popup; on a tiled map with at least ``[app]
    tile_threshold_factories`` of them, as tiles drawn with the parcels (``add_parcels`` first; a click is then
    looked up on the server, ``layers.query.factory_at``)."""
    gcj = m._landgap_gcj02
    zids = tuple(zone_ids) if zone_ids is not None else tuple(ws.zones.index)
    if factories_tiled(m, ws):
        from layers.tile_layer import VectorTileLayer
        layer = next(c for c in m._children.values() if isinstance(c, VectorTileLayer))
        layer.style_args |= {"factories": FACTORY_STYLE}
        return

    def make() -> str:
        f = ws.metric("factories")
        f = f[f["zone_id"].isin(zids)]
        return feature_collection(f, {"id": "factory_id", "n": "name", "s": "status", "f": "floors",
                                      "fa": "floor_area_m2", "v": "vacant_m2", "d": "ready_date"}, gcj)
    GeoJsonLayer(_cached(m, ws, ("factories", gcj, zids), make), "factories", "标准厂房", default_style=FACTORY_STYLE,
                 fields=FACTORY_FIELDS, lookups=LOOKUPS, tooltip_fields=3).add_to(m)


def add_sites(m: OfflineMap, sites: gpd.GeoDataFrame, kind: str, fields: list[tuple[str, str, str]],
              props: dict[str, str], name: str | None = None) -> None:
    """Placed sites, candidate sites or unlock parcels (``kind``), from a metric GeoDataFrame."""
    if len(sites) == 0:
        return
    gcj = m._landgap_gcj02
    GeoJsonLayer(feature_collection(sites, props, gcj), kind, name or SITE_LABELS[kind],
                 default_style=SITE_STYLES[kind], fields=fields, tooltip_fields=min(3, len(fields)),
                 bounds=lonlat_bounds(sites, gcj)).add_to(m)


def finish(m: OfflineMap, draw: bool = False, legend_statuses: Iterable[str] | None = None,
           fit: list | None = None, legend: list[tuple[str, str, str]] | None = None) -> OfflineMap:
    """Legend (``legend``'s items, default the parcel statuses'), layer control, optional Draw toolbar
    (polygon/rectangle) and fit to ``fit`` or all layers."""
    LegendControl("图例", legend if legend is not None else legend_items(legend_statuses)).add_to(m)
    if draw:
        DrawLocale().add_to(m)
        OfflineDraw(draw_options={"polyline": False, "circle": False, "marker": False, "circlemarker": False,
                                  "polygon": {"allowIntersection": False, "showArea": False},
                                  "rectangle": {"showArea": False}},
                    edit_options={"edit": False}, show_geometry_on_click=False).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    LayerControlTitle().add_to(m)
    bounds = fit or _bounds(m)
    if bounds:
        m.fit_bounds(bounds)
    DrawnStamp().add_to(m)
    return m


def _bounds(m: OfflineMap) -> list | None:
    boxes = [c._bounds for c in m._children.values() if isinstance(c, GeoJsonLayer) and c._bounds]
    if not boxes:
        return None
    return [[min(b[0][0] for b in boxes), min(b[0][1] for b in boxes)],
            [max(b[1][0] for b in boxes), max(b[1][1] for b in boxes)]]
