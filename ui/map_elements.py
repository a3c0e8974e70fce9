"""folium building blocks of every map: a GeoJSON layer that styles itself, a legend box, and an empty map
fitted to a network with the shipped countries as its basemap (internet tiles only when asked for)."""

from __future__ import annotations

import html as _html
import json

import folium
from branca.element import Element, MacroElement
from jinja2 import Template

from .basemap import basemap_geojson, view_bounds
from .leaflet import use_local_leaflet_if_unset
from .style import BORDER, LAND, PALETTES, SEA, fmt


def _js(data) -> str:
    """JSON safe to put inside a <script> element."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


class GeoLayer(MacroElement):
    """A GeoJSON layer whose features carry their own style and tooltip; points are drawn as circle markers.

    Feature properties: ``s`` (Leaflet path style, over the layer's own ``style``: what all features share is
    sent once),
    ``h`` (tooltip heading, HTML) and ``v`` (values, shown in a table against the layer's ``labels``).
    Tooltips are built in the browser when first shown, which keeps the data sent for each day small.

    Country outlines are sent once: the basemap's layer (``share=True``) keeps its geometries on the map, and
    a later layer's feature with no geometry and property ``b`` takes the basemap's geometry number ``b``
    (ui.basemap.basemap_index): the shaded countries of each day come without their outlines. No jQuery,
    no CDN."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var labels = {{ this.labels_js }};
            function tip(layer) {
                var p = layer.feature.properties, s = p.h || '';
                if (p.v && labels.length) {
                    s += '<table class="sim-tip">';
                    for (var i = 0; i < labels.length; i++) {
                        s += '<tr><td>' + labels[i] + '</td><td>' + p.v[i] + '</td></tr>';
                    }
                    s += '</table>';
                }
                return s;
            }
            var data = {{ this.data_js }}, map = {{ this.map_name() }};
            {% if this.share %}map.simShared = data.features.map(function (f) { return f.geometry; });{% endif %}
            data.features.forEach(function (f) {
                if (!f.geometry && f.properties.b !== undefined) { f.geometry = map.simShared[f.properties.b]; }
            });
            var base = {{ this.style_js }};
            function style(f) { return f.properties.s ? L.extend({}, base, f.properties.s) : base; }
            return L.geoJson(data, {
                interactive: {{ 'true' if this.interactive else 'false' }},
                style: style,
                pointToLayer: function (f, latlng) { return L.circleMarker(latlng, style(f)); },
                onEachFeature: function (f, layer) {
                    if (f.properties.h) { layer.bindTooltip(tip, {sticky: true}); }
                }
            });
        })().addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, data: dict, name: str = "layer", interactive: bool = True, labels: list[str] | None = None,
                 style: dict | None = None, share: bool = False):
        super().__init__()
        self._name = "GeoLayer"
        self.layer_name = name
        self.data_js = _js(data)
        self.labels_js = _js([_html.escape(x) for x in (labels or [])])
        self.style_js = _js(style or {})
        self.interactive = interactive
        self.share = share

    def map_name(self) -> str:
        """The JavaScript name of the map this layer is drawn on (directly or through a feature group)."""
        parent = self._parent
        while parent is not None and not isinstance(parent, folium.Map):
            parent = getattr(parent, "_parent", None)
        return parent.get_name() if parent is not None else "{}"


class EventLayer(MacroElement):
    """Scenario events (surges, closures, ...) as "!" markers where they act; faded on days they are not on.

    ``data``: a GeoJSON FeatureCollection of points with properties ``h`` (tooltip, HTML) and ``on`` (bool)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson({{ this.data_js }}, {
            pointToLayer: function (f, latlng) {
                var cls = 'sim-event' + (f.properties.on ? '' : ' off');
                return L.marker(latlng, {icon: L.divIcon({className: cls, html: '!', iconSize: [20, 20]}),
                                         zIndexOffset: 1000, keyboard: false});
            },
            onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.h, {direction: 'top'}); }
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, data: dict):
        super().__init__()
        self._name = "EventLayer"
        self.data_js = _js(data)


class Legend(MacroElement):
    """A legend box (a Leaflet control) with prepared HTML, that folds away (a click on its title) and
    starts folded on narrow maps. Leaflet draws controls above tooltips, so while a tooltip overlaps the
    legend, the legend turns almost transparent and lets the mouse through."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var legend = L.control({position: {{ this.position|tojson }}});
            var div;
            legend.onAdd = function () {
                div = L.DomUtil.create('div', 'sim-legend');
                var open = map.getSize().x >= 640 ? ' open' : '';
                div.innerHTML = '<details' + open + '><summary>Legend</summary>' + {{ this.html_js }} + '</details>';
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo(map);
            var tip = null;
            function overlaps() {
                if (!tip || !tip.getElement() || !div) { return false; }
                var a = tip.getElement().getBoundingClientRect(), b = div.getBoundingClientRect();
                return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
            }
            function update() { if (div) { div.classList.toggle('sim-faded', overlaps()); } }
            map.on('tooltipopen', function (e) { tip = e.tooltip; setTimeout(update, 0); });
            map.on('tooltipclose', function () { tip = null; update(); });
            map.on('mousemove', function () { if (tip) { setTimeout(update, 0); } });
        })();
        {% endmacro %}
    """)

    def __init__(self, html: str, position: str = "bottomright"):
        super().__init__()
        self._name = "Legend"
        self.html_js = _js(html)
        self.position = position


LEGEND_CSS = """
<style>
div.leaflet-container { background: SEA_COLOUR; }
.sim-legend { background: rgba(255,255,255,0.92); padding: 6px 9px; border-radius: 4px;
  font: 12px/1.35 sans-serif; color: #222; box-shadow: 0 1px 4px rgba(0,0,0,0.3); max-width: 260px;
  max-height: 70vh; overflow-y: auto; transition: opacity 0.15s; }
.sim-legend summary { cursor: pointer; font-weight: bold; }
.sim-legend.sim-faded { opacity: 0.12; pointer-events: none; }
.sim-event { font: bold 15px/20px sans-serif; text-align: center; color: #000; background: #fff;
  border: 2px solid #000; border-radius: 50%; }
.sim-event.off { opacity: 0.45; border-style: dashed; }
.sim-legend .t { font-weight: bold; margin: 4px 0 2px; }
.sim-legend .bar { height: 10px; border: 1px solid #999; }
.sim-legend .ends { display: flex; justify-content: space-between; }
.sim-legend .row { display: flex; align-items: center; gap: 6px; }
.leaflet-tooltip { font: 12px/1.35 sans-serif; }
.sim-tip { border-collapse: collapse; margin-top: 2px; }
.sim-tip td { padding: 0 4px; } .sim-tip td:last-child { text-align: right; }
</style>
""".replace("SEA_COLOUR", SEA)


def _gradient(palette: str) -> str:
    stops = PALETTES[palette]
    return f"linear-gradient(to right, {', '.join(stops)})"


def legend_scale(title: str, unit: str, palette: str, vmin: float, vmax: float, digits: int = 0,
                  open_ended: bool = True) -> str:
    u = f" ({_html.escape(unit)})" if unit else ""
    plus = "+" if open_ended else ""
    return (f'<div class="t">{_html.escape(title)}{u}</div><div class="bar" style="background:{_gradient(palette)}"></div>'
            f'<div class="ends"><span>{fmt(vmin, digits)}</span><span>{fmt(vmax, digits)}{plus}</span></div>')


def new_map(network, *, tiles: bool = False, height: int | str = "100%") -> folium.Map:
    """An empty map fitted to the network: shipped countries as the basemap, no internet tiles unless asked."""
    use_local_leaflet_if_unset()
    x0, y0, x1, y1 = view_bounds(network)
    m = folium.Map(location=[(y0 + y1) / 2, (x0 + x1) / 2], zoom_start=4, tiles=None, control_scale=True,
                   height=height, prefer_canvas=False)
    m.get_root().header.add_child(Element(LEGEND_CSS))
    if tiles:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap (internet)").add_to(m)
    base = basemap_geojson(network)
    if base is not None:
        # one style for the layer and no properties: the outlines are context, drawn without tooltips
        for f in base["features"]:
            f["properties"] = {}
        m.add_child(GeoLayer(base, name="countries", interactive=False, share=True,
                             style={"fillColor": LAND, "color": BORDER, "weight": 0.6,
                                    "fillOpacity": 0.35 if tiles else 1.0}))
    m.fit_bounds([[y0 - 1, x0 - 1], [y1 + 1, x1 + 1]])
    return m

