"""folium building blocks of every map: a GeoJSON layer that styles itself, a legend box, and an empty map
fitted to a network with the shipped countries as its basemap (internet tiles only when asked for)."""

from __future__ import annotations

import html as _html
import json

import folium
from branca.element import Element, MacroElement
from jinja2 import Template

from .basemap import basemap_geojson, network_bounds
from .leaflet import use_local_leaflet_if_unset
from .style import BORDER, LAND, PALETTES, SEA, fmt


def _js(data) -> str:
    """JSON safe to put inside a <script> element."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


class GeoLayer(MacroElement):
    """A GeoJSON layer whose features carry their own style and tooltip; points are drawn as circle markers.

    Feature properties: ``s`` (Leaflet path style), ``h`` (tooltip heading, HTML) and ``v`` (values, shown in
    a table against the layer's ``labels``). Tooltips are built in the browser when first shown, which keeps
    the data sent for each day small. No jQuery, no CDN."""

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
            return L.geoJson({{ this.data_js }}, {
                interactive: {{ 'true' if this.interactive else 'false' }},
                style: function (f) { return f.properties.s || {}; },
                pointToLayer: function (f, latlng) { return L.circleMarker(latlng, f.properties.s || {}); },
                onEachFeature: function (f, layer) {
                    if (f.properties.h) { layer.bindTooltip(tip, {sticky: true}); }
                }
            });
        })().addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, data: dict, name: str = "layer", interactive: bool = True, labels: list[str] | None = None):
        super().__init__()
        self._name = "GeoLayer"
        self.layer_name = name
        self.data_js = _js(data)
        self.labels_js = _js([_html.escape(x) for x in (labels or [])])
        self.interactive = interactive


class Legend(MacroElement):
    """A legend box (a Leaflet control) with prepared HTML."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function () {
                var div = L.DomUtil.create('div', 'sim-legend');
                div.innerHTML = {{ this.html_js }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
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
div.leaflet-container { background: %s; }
.sim-legend { background: rgba(255,255,255,0.92); padding: 6px 9px; border-radius: 4px;
  font: 12px/1.35 sans-serif; color: #222; box-shadow: 0 1px 4px rgba(0,0,0,0.3); max-width: 260px; }
.sim-legend .t { font-weight: bold; margin: 4px 0 2px; }
.sim-legend .bar { height: 10px; border: 1px solid #999; }
.sim-legend .ends { display: flex; justify-content: space-between; }
.sim-legend .row { display: flex; align-items: center; gap: 6px; }
.leaflet-tooltip { font: 12px/1.35 sans-serif; }
.sim-tip { border-collapse: collapse; margin-top: 2px; }
.sim-tip td { padding: 0 4px; } .sim-tip td:last-child { text-align: right; }
</style>
""" % SEA


def _gradient(palette: str) -> str:
    stops = PALETTES[palette]
    return "linear-gradient(to right, %s)" % ", ".join(stops)


def legend_scale(title: str, unit: str, palette: str, vmin: float, vmax: float, digits: int = 0,
                  open_ended: bool = True) -> str:
    u = f" ({_html.escape(unit)})" if unit else ""
    plus = "+" if open_ended else ""
    return (f'<div class="t">{_html.escape(title)}{u}</div><div class="bar" style="background:{_gradient(palette)}"></div>'
            f'<div class="ends"><span>{fmt(vmin, digits)}</span><span>{fmt(vmax, digits)}{plus}</span></div>')


def new_map(network, *, tiles: bool = False, height: int | str = "100%") -> folium.Map:
    """An empty map fitted to the network: shipped countries as the basemap, no internet tiles unless asked."""
    use_local_leaflet_if_unset()
    x0, y0, x1, y1 = network_bounds(network)
    m = folium.Map(location=[(y0 + y1) / 2, (x0 + x1) / 2], zoom_start=4, tiles=None, control_scale=True,
                   height=height, prefer_canvas=False)
    m.get_root().header.add_child(Element(LEGEND_CSS))
    if tiles:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap (internet)").add_to(m)
    base = basemap_geojson(network)
    if base is not None:
        for f in base["features"]:
            f["properties"]["s"] = {"fillColor": LAND, "color": BORDER, "weight": 0.6,
                                        "fillOpacity": 0.35 if tiles else 1.0}
        m.add_child(GeoLayer(base, name="countries", interactive=False))
    m.fit_bounds([[y0 - 1, x0 - 1], [y1 + 1, x1 + 1]])
    return m

