"""The parcels (and constraint layers) as vector tiles on the folium/Leaflet map: MapLibre GL (WebGL) drawing the
tiles of the view inside a Leaflet layer (@maplibre/maplibre-gl-leaflet, served from static/vendor like Leaflet).

Colours come from a style expression on the tile attribute ``status``; the status filter is a MapLibre filter on
the tiles already loaded, so ticking a status in the map's own legend recolours at once with no tile request.
While tiles load a small "地块加载中" note shows on the map. ``window.landgapTiles`` exposes the GL map and the
time the first parcels were drawn (``drawnAt``) to the tests and the benchmark.
"""
from __future__ import annotations

import json
from collections.abc import Iterable

from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from geo.vocab import EXCLUSION_LABELS, PARCEL_STATUS_COLORS, PARCEL_STATUS_LABELS, TILE_TEXTS
from layers import assets
from layers.tiles import MAX_ZOOM, MIN_ZOOM

CONSTRAINT_COLORS = {"farmland": "#e9c46a", "eco_redline": "#2a9d8f", "flood": "#4361ee", "dev_boundary": "#6d597a"}


def tile_style(token: str | None, statuses: Iterable[str], zone_ids: Iterable[str] | None,
               constraints: Iterable[str] = (), zooms: tuple[int, int] | None = None,
               stock_classes: Iterable[str] = (), factories: dict | None = None) -> dict:
    """The MapLibre style: the parcels source and its fill and outline layers (colour by status, the filter on
    status and park), and one fill + outline per constraint layer the workspace has. Tile URLs are completed
    with the page's origin in the browser (MapLibre's workers need absolute URLs). ``token`` None: the tiles
    embedded in the page (``landgap://`` URLs, zooms ``zooms`` — a download). ``factories``: the standard
    factories are tiles too, drawn above the parcels in this Leaflet style (``color``, ``fillColor``, …)."""
    colour = ["match", ["get", "status"]]
    for status, c in PARCEL_STATUS_COLORS.items():
        colour += [status, c]
    colour.append("#999999")
    where = ["all", ["in", ["get", "status"], ["literal", list(statuses)]]]
    if zone_ids is not None:
        where.append(["in", ["get", "zone_id"], ["literal", list(zone_ids)]])
    if stock_classes:                    # only parcels of these 存量 classes (the tiles' stock_class)
        where.append(["in", ["get", "stock_class"], ["literal", list(stock_classes)]])

    def source(layer: str) -> dict:
        if token is None:
            first, last = zooms or (MIN_ZOOM["parcels"], MAX_ZOOM)
            return {"type": "vector", "tiles": [f"landgap://{layer}/{{z}}/{{x}}/{{y}}"], "minzoom": first,
                    "maxzoom": last}
        return {"type": "vector", "tiles": [f"/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf?v={token}"],
                "minzoom": MIN_ZOOM.get(layer, 0), "maxzoom": MAX_ZOOM}
    sources = {"parcels": source("parcels")}
    layers: list[dict] = []
    for name in constraints:
        c = CONSTRAINT_COLORS[name]
        sources[name] = source(name)
        layers.append({"id": f"{name}-fill", "type": "fill", "source": name, "source-layer": name,
                       "paint": {"fill-color": c, "fill-opacity": 0.12}})
        layers.append({"id": f"{name}-line", "type": "line", "source": name, "source-layer": name,
                       "paint": {"line-color": c, "line-width": 1.5,
                                 **({"line-dasharray": [4, 2]} if name == "dev_boundary" else {})}})
    layers.append({"id": "parcels-fill", "type": "fill", "source": "parcels", "source-layer": "parcels",
                   "filter": where,     # no antialiased edge per polygon (100k in a county view); outlines from z12
                   "paint": {"fill-color": colour, "fill-opacity": 0.55, "fill-antialias": False}})
    layers.append({"id": "parcels-line", "type": "line", "source": "parcels", "source-layer": "parcels",
                   "filter": where, "minzoom": 12, "paint": {"line-color": colour, "line-width": 0.8}})
    if factories is not None:
        sources["factories"] = source("factories")
        parks = {} if zone_ids is None else {"filter": ["in", ["get", "zone_id"], ["literal", list(zone_ids)]]}
        layers.append({"id": "factories-fill", "type": "fill", "source": "factories", "source-layer": "factories",
                       **parks, "paint": {"fill-color": factories["fillColor"],
                                          "fill-opacity": factories["fillOpacity"]}})
        layers.append({"id": "factories-line", "type": "line", "source": "factories", "source-layer": "factories",
                       **parks, "paint": {"line-color": factories["color"], "line-width": 1.5}})
    return {"version": 8, "sources": sources, "layers": layers}


class TileWorkers(MacroElement):
    """Starts MapLibre's workers first thing in the map's script (``maplibregl.prewarm``), so that they load while
    Leaflet builds the other layers, before the tile layer asks for its first tiles: two of them (MapLibre's default
    is half the cores, one on a 2-core office PC). Added to a tiled map before any layer."""
    _template = Template("""
        {% macro script(this, kwargs) %}
        if (window.maplibregl && !window.landgapWorkers) {
          window.landgapWorkers = true;
          if (maplibregl.getWorkerCount() < 2) maplibregl.setWorkerCount(2);
          maplibregl.prewarm();
        }
        {% endmacro %}""")


class VectorTileLayer(JSCSSMixin, Layer):
    """A Leaflet layer (``L.maplibreGL``) drawing the workspace's tiles; not interactive (Leaflet gets the clicks,
    the page finds the parcel on the server). Registers ``window.landgapTiles``."""
    default_js = [(n, assets.url(v)) for n, _, v in assets.JS if n in ("maplibre_gl_js", "maplibre_gl_leaflet_js")]
    default_css = [(n, assets.url(v)) for n, _, v in assets.CSS if n == "maplibre_gl_css"]
    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
          var style = {{ this.style }}, texts = {{ this.texts }}, statuses = {{ this.statuses }};
          var labels = {{ this.labels }}, colours = {{ this.colours }}, embedded = {{ this.embedded }};
          Object.keys(style.sources).forEach(function (k) {
            style.sources[k].tiles = style.sources[k].tiles.map(function (u) {
              return u.charAt(0) === '/' ? location.origin + u : u; });
          });
          if (embedded && !window.landgapProtocol) {
            // a downloaded map: the tiles are in the page (base64 of gzip MVT), no server
            window.landgapProtocol = true;
            maplibregl.addProtocol('landgap', function (params) {
              var b64 = embedded[params.url.replace('landgap://', '')];
              if (!b64) return Promise.resolve({data: new ArrayBuffer(0)});
              var bin = Uint8Array.from(atob(b64), function (c) { return c.charCodeAt(0); });
              var stream = new Blob([bin]).stream().pipeThrough(new DecompressionStream('gzip'));
              return new Response(stream).arrayBuffer().then(function (buf) { return {data: buf}; });
            });
          }
          window.landgapPending = (window.landgapPending || 0) + 1;
          // its own pane above the hillshade image (overlayPane, 400) and below markers and the drawing tools
          var lmap = {{ this._parent.get_name() }};
          if (!lmap.getPane('landgapTiles')) {
            var pane = lmap.createPane('landgapTiles');
            pane.style.zIndex = 450;
            pane.style.pointerEvents = 'none';
          }
          var layer = L.maplibreGL({style: style, interactive: false, attributionControl: false,
                                    pane: 'landgapTiles'});
          // added once the page's script has run: the map's fitBounds comes after this layer in it, and tiles
          // of the initial view (zoom_start) would be fetched and parsed for nothing
          layer.addTo = function (m) {
            var self = this;
            setTimeout(function () { L.Layer.prototype.addTo.call(self, m); }, 0);
            return this;
          };
          var state = {layer: layer, drawnAt: null, requests: 0, shown: statuses.slice()};
          window.landgapTiles = state;
          var note = L.DomUtil.create('div', 'landgap-tiles-loading');
          note.textContent = texts.loading;
          note.style.cssText = 'position:absolute;top:10px;left:50%;transform:translateX(-50%);z-index:1000;' +
            'background:rgba(255,255,255,.92);padding:3px 10px;border-radius:4px;font-size:12px;' +
            'box-shadow:0 1px 4px rgba(0,0,0,.2);pointer-events:none';
          layer.on('add', function () {
            var map = this._map, gl = layer.getMaplibreMap();
            map.getContainer().appendChild(note);
            gl.getCanvas().style.pointerEvents = 'none';
            state.gl = gl;
            gl.on('dataloading', function () { note.style.display = ''; });
            gl.on('idle', function () {
              note.style.display = 'none';
              if (!state.drawnAt && gl.getSource('parcels') && gl.isSourceLoaded('parcels')) {
                state.drawnAt = Date.now();
                window.landgapPending -= 1;
                if (window.landgapStamp) window.landgapStamp();
              }
            });
            // the status filter in the map's own legend: a filter on the loaded tiles, no new request
            var box = L.DomUtil.create('div', 'landgap-status-filter');
            box.style.cssText = 'position:absolute;bottom:40px;left:10px;z-index:1000;' +
              'background:rgba(255,255,255,.92);padding:4px 8px;border-radius:4px;font-size:12px;line-height:18px';
            box.innerHTML = '<b>' + texts.filter + '</b>' + statuses.map(function (s) {
              return '<label style="display:block"><input type="checkbox" data-status="' + s + '" checked> ' +
                '<span style="display:inline-block;width:10px;height:10px;background:' + colours[s] + '"></span> ' +
                labels[s] + '</label>';
            }).join('');
            L.DomEvent.disableClickPropagation(box);
            map.getContainer().appendChild(box);
            box.addEventListener('change', function () {
              var on = Array.prototype.slice.call(box.querySelectorAll('input:checked'))
                .map(function (i) { return i.getAttribute('data-status'); });
              state.shown = on;
              var f = gl.getFilter('parcels-fill').slice();
              f[1] = ['in', ['get', 'status'], ['literal', on]];
              gl.setFilter('parcels-fill', f);
              gl.setFilter('parcels-line', f);
            });
          });
          return layer;
        })();
        {% endmacro %}""")

    def __init__(self, token: str | None, statuses: Iterable[str], zone_ids: Iterable[str] | None,
                 constraints: Iterable[str] = (), name: str = "地块（矢量切片，按状态着色）",
                 embedded: dict[str, str] | None = None, zooms: tuple[int, int] | None = None,
                 stock_classes: Iterable[str] = (), factories: dict | None = None):
        """``token``: the registered source's (the app); or None with ``embedded`` tiles ("layer/z/x/y" →
        base64 gzip MVT) of zooms ``zooms`` (a download)."""
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "VectorTileLayer"
        sts = list(statuses)
        self.style_args = {"token": token, "statuses": sts, "zone_ids": zone_ids, "constraints": constraints,
                           "zooms": zooms, "stock_classes": stock_classes, "factories": factories}
        self.embedded = json.dumps(embedded) if embedded is not None else "null"
        self.statuses = json.dumps(sts)
        self.labels = json.dumps({s: PARCEL_STATUS_LABELS[s] for s in sts}, ensure_ascii=False)
        self.colours = json.dumps({s: PARCEL_STATUS_COLORS[s] for s in sts})
        self.texts = json.dumps(TILE_TEXTS | {"constraints": {k: EXCLUSION_LABELS.get(k, k) for k in constraints}},
                                ensure_ascii=False)

    @property
    def style(self) -> str:
        """The MapLibre style as the page's script needs it (built when rendered: ``add_factories`` may join)."""
        return json.dumps(tile_style(**self.style_args), ensure_ascii=False)
