"""Folium elements with our offline assets: the map and Draw plugin load Leaflet from the app, never a CDN, and a
light GeoJSON layer whose tooltips/popups are built in the browser from short properties (small payload)."""
from __future__ import annotations

import json

import folium
import folium.plugins
from folium.map import Layer
from folium.template import Template

from layers import assets

_LEAFLET_JS = [(n, assets.url(v)) for n, _, v in assets.JS if n == "leaflet"]
_LEAFLET_CSS = [(n, assets.url(v)) for n, _, v in assets.CSS if n == "leaflet_css"]


# Leaflet finds its marker images from its stylesheet's url(), which our inlined/served CSS breaks (it built
# "static/vendor/leafletmarker-icon.png"): name the folder, with its trailing slash.
ICON_PATH_JS = ("if (window.L && L.Icon && L.Icon.Default) { L.Icon.Default.imagePath = "
                + json.dumps(assets.url("leaflet/images/")) + "; }")


class IconPath(folium.MacroElement):
    """Sets ``L.Icon.Default.imagePath`` to the app's Leaflet images (before any marker is drawn)."""
    _template = Template("{% macro script(this, kwargs) %}" + ICON_PATH_JS + "{% endmacro %}")


class OfflineMap(folium.Map):
    """folium.Map without jQuery/Bootstrap/FontAwesome from CDNs: only Leaflet, from the app's static files."""
    default_js = _LEAFLET_JS
    default_css = _LEAFLET_CSS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_child(IconPath())


def prefetch_layer_data(m: "OfflineMap", data_url: str) -> None:
    """Start fetching (and parsing) ``data_url`` before Leaflet and the plugins load, not after.

    st_folium loads the map's script links one after another and runs the map script last; a first, inline
    (data: URL) link starts the download and JSON parse at once, so they overlap with loading Leaflet. The layer
    picks the promise up from ``window.landgapPrefetch``.
    """
    from urllib.parse import quote
    js = ("window.landgapPrefetch=window.landgapPrefetch||{};"
          f"window.landgapPrefetch[{json.dumps(data_url)}]=fetch({json.dumps(data_url)})"
          ".then(function(r){return r.json();});")
    links = [x for x in m.default_js if x[0] != f"landgap_prefetch_{data_url}"]
    m.default_js = [(f"landgap_prefetch_{data_url}", "data:text/javascript," + quote(js))] + links


class OfflineDraw(folium.plugins.Draw):
    """folium's Draw plugin with leaflet.draw served locally; toolbar texts in Chinese."""
    default_js = [(n, assets.url(v)) for n, _, v in assets.JS if n == "leaflet_draw_js"]
    default_css = [(n, assets.url(v)) for n, _, v in assets.CSS if n == "leaflet_draw_css"]


# leaflet.draw's texts, in Chinese (set once, before the control is built).
DRAW_LOCAL_ZH = """
if (window.L && L.drawLocal) {
  var d = L.drawLocal.draw;
  d.toolbar.actions.text = '取消'; d.toolbar.actions.title = '取消绘制';
  d.toolbar.finish.text = '完成'; d.toolbar.finish.title = '完成绘制';
  d.toolbar.undo.text = '撤销最后一点'; d.toolbar.undo.title = '撤销最后一点';
  d.toolbar.buttons.polygon = '画多边形：统计范围内各状态面积';
  d.toolbar.buttons.rectangle = '画矩形：统计范围内各状态面积';
  d.handlers.polygon.tooltip.start = '单击开始绘制'; d.handlers.polygon.tooltip.cont = '单击继续';
  d.handlers.polygon.tooltip.end = '单击第一个点结束';
  d.handlers.rectangle.tooltip.start = '按住并拖动画矩形'; d.handlers.simpleshape.tooltip.end = '松开鼠标完成';
  var e = L.drawLocal.edit;
  e.toolbar.buttons.edit = '编辑'; e.toolbar.buttons.editDisabled = '没有可编辑的图形';
  e.toolbar.buttons.remove = '删除'; e.toolbar.buttons.removeDisabled = '没有可删除的图形';
  e.toolbar.actions.save.text = '保存'; e.toolbar.actions.cancel.text = '取消';
  e.toolbar.actions.clearAll.text = '全部清除';
}
"""


class DrawLocale(folium.MacroElement):
    """Puts leaflet.draw's Chinese texts in place; add it to the map before the Draw control."""
    _template = Template("{% macro script(this, kwargs) %}" + DRAW_LOCAL_ZH + "{% endmacro %}")


class PlainBase(Layer):
    """An empty base layer: the offline 'plain' basemap (Leaflet's grey background)."""
    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.layerGroup();
        {% endmacro %}""")

    def __init__(self, name: str):
        super().__init__(name=name, overlay=False, control=True, show=True)


class GeoJsonLayer(Layer):
    """A GeoJSON overlay styled by one property (``style_key``), with Chinese tooltip and popup built client-side.

    ``fields``: [(property, label, format)] with format ``text`` | ``mu`` (亩, 1 decimal) | ``m2`` | ``lookup:NAME``
    (a label from ``lookups[NAME]``). The first ``tooltip_fields`` fields form the tooltip, all form the popup.
    The layer registers itself as ``window.landgapLayers[kind]`` (tests and the benchmark count drawn features).
    """
    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
          var styles = {{ this.styles }}, fallback = {{ this.default_style }}, key = {{ this.style_key|tojson }};
          var fields = {{ this.fields }}, lookups = {{ this.lookups }}, nt = {{ this.tooltip_fields }};
          var label = {{ this.label_key|tojson }};
          function fmt(v, f, tip) {
            if (v === null || v === undefined || v === '') return '—';
            if (f === 'mu') return Number(v).toFixed(1) + (tip ? ' 亩' : '');
            if (f === 'm2') return Math.round(Number(v)).toLocaleString('zh-CN') + ' m²';
            if (f.indexOf('lookup:') === 0) { var t = lookups[f.slice(7)] || {}; return t[v] || v; }
            return String(v);
          }
          function esc(s) {
            return s.replace(/[&<>"]/g, function (c) { return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]; });
          }
          function rows(p, tip) {
            return fields.map(function (d) { return esc(fmt(p[d[0]], d[2], tip)); });
          }
          var layer = L.geoJson({{ 'null' if this.data_url else this.data }}, {
            interactive: {{ this.interactive|tojson }},
            style: function (f) { return styles[f.properties[key]] || fallback; },
            // a label: a point drawn as a name centred on it (a div marker: placed by a transform alone, where a
            // permanent tooltip measures itself on every zoom — seconds with a province's 1,000 parks)
            pointToLayer: label ? function (f, latlng) {
              return L.marker(latlng, {interactive: false, keyboard: false, icon: L.divIcon({
                className: 'landgap-label', iconSize: null,
                html: '<span>' + esc(String(f.properties[label])) + '</span>'})});
            } : undefined
          });
          // One tooltip and one popup for the whole layer, filled from the feature under the pointer: binding
          // them per feature costs seconds with 10k parcels.
          if (!label && {{ this.interactive|tojson }}) {
            layer.bindTooltip(function (l) { return rows(l.feature.properties, true).slice(0, nt).join('｜'); },
                              {sticky: true});
            layer.bindPopup(function (l) {
              var v = rows(l.feature.properties, false);
              return '<table style="font-size:13px">' + fields.map(function (d, i) {
                return '<tr><th style="text-align:left;padding-right:8px;white-space:nowrap">' + esc(d[1]) +
                  '</th><td>' + v[i] + '</td></tr>';
              }).join('') + '</table>';
            });
          }
          if (label) {
            // park names shown by zoom, never on top of each other: after each zoom or pan, in the layer's order
            // (the larger parks first), a name that would overlap one already shown is hidden. All boxes are read
            // in one layout, then written (reading after each write re-lays the page out: n² with 1,000 parks);
            // names outside the map are hidden; shown boxes are kept in 64-px buckets.
            var declutter = function () {
              var els = [], size = layer._map.getSize(), box = layer._map.getContainer().getBoundingClientRect();
              layer.eachLayer(function (l) {
                var el = l.getElement && l.getElement();
                if (el) els.push(el.firstChild || el);
              });
              var rects = els.map(function (el) { return el.getBoundingClientRect(); });
              var buckets = {}, show = rects.map(function (r) {
                if (r.right < box.left || r.left > box.left + size.x || r.bottom < box.top ||
                    r.top > box.top + size.y) return false;
                var keys = [];
                for (var i = Math.floor(r.left / 64); i <= Math.floor(r.right / 64); i++)
                  for (var j = Math.floor(r.top / 64); j <= Math.floor(r.bottom / 64); j++) keys.push(i + ':' + j);
                var hit = keys.some(function (k) { return (buckets[k] || []).some(function (s) {
                  return r.left < s.right && r.right > s.left && r.top < s.bottom && r.bottom > s.top; }); });
                if (!hit) keys.forEach(function (k) { (buckets[k] = buckets[k] || []).push(r); });
                return !hit;
              });
              els.forEach(function (el, i) { el.style.visibility = show[i] ? '' : 'hidden'; });
            };
            layer.on('add', function () {
              var map = this._map;
              map.on('zoomend moveend', declutter);
              map.whenReady(function () { setTimeout(declutter, 0); });
            });
            layer.on('remove', function () { this._map && this._map.off('zoomend moveend', declutter); });
          }
          {%- if this.data_url %}
          // Fetched, not embedded: clicks still reach Streamlit through the layer group (events propagate).
          window.landgapPending = (window.landgapPending || 0) + 1;
          var url = {{ this.data_url|tojson }}, pre = window.landgapPrefetch && window.landgapPrefetch[url];
          (pre || fetch(url).then(function (r) { return r.json(); })).then(function (d) {
            layer.addData(d);
            window.landgapPending -= 1;
            if (window.landgapStamp) window.landgapStamp();
          });
          {%- endif %}
          window.landgapLayers = window.landgapLayers || {};
          window.landgapLayers[{{ this.kind|tojson }}] = layer;
          return layer;
        })();
        {% endmacro %}""")

    def __init__(self, data: str, kind: str, name: str, style_key: str = "s", styles: dict | None = None,
                 default_style: dict | None = None, fields: list[tuple[str, str, str]] | None = None,
                 lookups: dict | None = None, tooltip_fields: int = 3, interactive: bool = True,
                 label_key: str | None = None, show: bool = True, bounds: list | None = None,
                 data_url: str | None = None):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "GeoJsonLayer"
        self.data, self.kind, self.style_key, self.label_key = data, kind, style_key, label_key
        self.data_url = data_url
        self.styles = json.dumps(styles or {}, ensure_ascii=False)
        self.default_style = json.dumps(default_style or {"color": "#333", "weight": 1}, ensure_ascii=False)
        self.fields = json.dumps(fields or [], ensure_ascii=False)
        self.lookups = json.dumps(lookups or {}, ensure_ascii=False)
        self.tooltip_fields = tooltip_fields
        self.interactive = interactive
        self._bounds = bounds

    def _get_self_bounds(self):
        return self._bounds or [[None, None], [None, None]]


class LegendControl(folium.MacroElement):
    """A small Leaflet control with coloured swatches (the same table as the sidebar legend)."""
    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
          var c = L.control({position: 'bottomright'});
          c.onAdd = function () {
            var div = L.DomUtil.create('div', 'landgap-legend');
            div.style.cssText = 'background:rgba(255,255,255,.9);padding:6px 8px;border-radius:4px;' +
              'font-size:12px;line-height:18px';
            div.innerHTML = {{ this.html|tojson }};
            return div;
          };
          c.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}""")

    def __init__(self, title: str, items: list[tuple[str, str, str]]):
        """``items``: (label, fill colour, outline colour)."""
        super().__init__()
        self._name = "LegendControl"
        rows = "".join(f'<div><span style="display:inline-block;width:14px;height:10px;margin-right:6px;'
                       f'background:{fill};border:2px solid {line}"></span>{label}</div>'
                       for label, fill, line in items)
        self.html = f"<b>{title}</b>{rows}"


class MapControls(folium.MacroElement):
    """Leaflet's zoom buttons and scale bar in Chinese and metric only (folium's defaults title the buttons "Zoom in"
    / "Zoom out" and add miles and feet to the scale); the attribution prefix's tooltip in Chinese.

    Add it right after the map is made (with ``zoom_control=False``), so the zoom buttons stay the first control."""
    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.zoom({{ this.zoom|tojson }}).addTo({{ this._parent.get_name() }});
        L.control.scale({{ this.scale|tojson }}).addTo({{ this._parent.get_name() }});
        if ({{ this._parent.get_name() }}.attributionControl) {
          {{ this._parent.get_name() }}.attributionControl.setPrefix({{ this.prefix|tojson }});
        }
        {% endmacro %}""")

    def __init__(self, scale_position: str = "bottomleft"):
        super().__init__()
        self._name = "MapControls"
        self.zoom = {"position": "topleft", "zoomInTitle": "放大", "zoomOutTitle": "缩小"}
        self.scale = {"metric": True, "imperial": False, "position": scale_position}
        self.prefix = '<a href="https://leafletjs.com" title="Leaflet 开源地图库">Leaflet</a>'


class LayerControlTitle(folium.MacroElement):
    """The layer control's button reads "Layers" in Leaflet (no option): 图层. Add it after folium.LayerControl."""
    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.getContainer().querySelectorAll('.leaflet-control-layers-toggle')
          .forEach(function (a) { a.title = '图层'; a.setAttribute('aria-label', '图层'); });
        {% endmacro %}""")

    def __init__(self):
        super().__init__()
        self._name = "LayerControlTitle"


class DrawnStamp(folium.MacroElement):
    """Stamps ``window.landgapDrawnAt`` (epoch ms) once Leaflet has painted: the benchmark's 'map drawn' time."""
    _template = Template("""
        {% macro script(this, kwargs) %}
        window.landgapStamp = function () {
          if (window.landgapPending) return;     // fetched layers still loading
          requestAnimationFrame(function () {
            requestAnimationFrame(function () { window.landgapDrawnAt = Date.now(); });
          });
        };
        window.landgapStamp();
        {% endmacro %}""")


LABEL_CSS = """<style>.landgap-label{width:0;height:0;pointer-events:none}
.landgap-label span{position:absolute;transform:translate(-50%,-50%);white-space:nowrap;
font-weight:bold;color:#1d3557;font-size:13px;text-shadow:0 0 3px #fff,0 0 3px #fff}</style>"""
