"""Maps of runs and comparisons, drawn with folium (presentation only: no model logic here).

Everything works offline:

- Leaflet's JavaScript and CSS come from ``static/leaflet/`` (vendored, see ``static/SOURCES.md``).
  Inside the Streamlit app they are served by Streamlit's static file serving at ``/app/static/...``;
  :func:`use_local_leaflet` points folium's default asset lists there, so no map the app draws links
  a CDN. folium's other defaults (jQuery, Bootstrap, Font Awesome, awesome-markers) are dropped: the
  elements used here need none of them.
- :func:`standalone_html` inlines Leaflet (JS, CSS and its images) into one HTML file that opens
  without a server and without internet.
- The basemap is the shipped Natural Earth countries file (``geodata/countries_110m.geojson``); internet
  tiles are only added when asked for (``tiles=True``).

A map has two parts: the *base* (countries, legend, view), which depends only on the network and the
chosen indicators, and the *data layer* (legs, places, shaded countries for one day), which changes
with the day slider. In Streamlit the data layer is passed to ``st_folium(feature_group_to_add=...)`` so
that moving the slider does not rebuild the base.
"""

from __future__ import annotations

import base64
import html as _html
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import folium
import numpy as np
import pandas as pd
from branca.element import Element, MacroElement
from jinja2 import Template
from shapely.geometry import mapping as shapely_mapping
from shapely.geometry import shape as shapely_shape

ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = ROOT / "static"
LEAFLET_DIR = STATIC_DIR / "leaflet"
APP_STATIC_PREFIX = "/app/static"  # Streamlit serves ROOT/static there when server.enableStaticServing is on
BASEMAP_CANDIDATES = (
    ROOT / "geodata" / "countries_110m.geojson",
    ROOT.parent / "shared" / "data" / "countries_110m.geojson",
    Path("/work/shared/data/countries_110m.geojson"),
)

LAND, BORDER, SEA, NO_FLOW = "#f2efe9", "#b9b4aa", "#d6e6f0", "#9e9e9e"

# ColorBrewer sequences (Cynthia Brewer, Apache-2.0 licence), light ends trimmed where lines must show.
PALETTES = {
    "YlOrRd": ["#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026"],
    "PuBu": ["#a6bddb", "#74a9cf", "#3690c0", "#0570b0", "#045a8d", "#023858"],
    "RdPu": ["#fcc5c0", "#fa9fb5", "#f768a1", "#dd3497", "#ae017e", "#7a0177", "#49006a"],
    "Greens": ["#f7fcf5", "#e5f5e0", "#c7e9c0", "#a1d99b", "#74c476", "#41ab5d", "#238b45"],
    "Reds": ["#fff5f0", "#fee0d2", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d"],
    "Blues": ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5"],
    "Oranges": ["#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801"],
    "RdBu_r": ["#2166ac", "#4393c3", "#92c5de", "#dcdcdc", "#f4a582", "#d6604d", "#b2182b"],
}

# leg colour: key -> (label, unit, palette)
LEG_COLOURS = {
    "death": ("Death risk", "deaths per 1,000 attempts", "YlOrRd"),
    "intercept": ("Interception rate", "% of attempts", "PuBu"),
    "fee": ("Smuggler fee", "€ per person", "RdPu"),
}
# place size: key -> (label, columns summed)
PLACE_SIZES = {
    "waiting_stranded": ("People waiting or stranded", ("waiting", "stranded")),
    "waiting": ("People waiting for a smuggler", ("waiting",)),
    "stranded": ("People stranded (out of money)", ("stranded",)),
    "detained": ("People detained", ("detained",)),
}
# country shading: key -> (label, unit, palette, kind) ; kind "level" = value on the day, "flow" = sum over the window
COUNTRY_SHADES = {
    "effectiveness": ("Enforcement effectiveness", "0–1", "Greens", "level"),
    "corruption": ("Corruption", "0–1", "Reds", "level"),
    "training": ("Training level", "0–1", "Blues", "level"),
    "arrivals": ("Arrivals", "people", "Blues", "flow"),
    "arrests": ("Smugglers arrested", "people", "Oranges", "flow"),
    "none": ("No shading", "", "Greens", "level"),
}
WINDOWS = {1: "that day", 7: "the 7 days up to it", 30: "the 30 days up to it", 0: "the run up to it"}


# --------------------------------------------------------------------------- offline assets
def leaflet_urls(prefix: str = APP_STATIC_PREFIX) -> tuple[str, str]:
    prefix = prefix.rstrip("/")
    return f"{prefix}/leaflet/leaflet.js", f"{prefix}/leaflet/leaflet.css"


def use_local_leaflet(prefix: str = APP_STATIC_PREFIX) -> None:
    """Make every folium map link Leaflet from ``prefix`` (local) and nothing else.

    folium's defaults also pull jQuery, Bootstrap, Font Awesome and awesome-markers from CDNs; none of
    the elements this module draws needs them (we never use folium.Popup, Icon or branca colormaps, which do)."""
    js, css = leaflet_urls(prefix)
    folium.Map.default_js = [("leaflet", js)]
    folium.Map.default_css = [("leaflet_css", css)]


_LINK = re.compile(r"""<(?:script[^>]*\bsrc|link[^>]*\bhref)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def external_links(html: str) -> list[str]:
    """URLs of scripts and stylesheets in ``html`` that point off the machine (http, https or //)."""
    return [u for u in _LINK.findall(html) if re.match(r"^(https?:)?//", u, re.IGNORECASE)]


def _inline_css() -> str:
    css = (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")

    def image(match):
        path = LEAFLET_DIR / match.group(1)
        if not path.exists():
            return match.group(0)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\((images/[^)]+\.png)\)", image, css)


def standalone_html(m: folium.Map) -> str:
    """The map as one HTML file with Leaflet inlined: opens offline, from disk, with no server."""
    use_local_leaflet_if_unset()
    js_url = dict(folium.Map.default_js)["leaflet"]
    css_url = dict(folium.Map.default_css)["leaflet_css"]
    html = m.get_root().render()
    js = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    html = re.sub(r'<script src="' + re.escape(js_url) + r'"></script>', lambda _: f"<script>{js}</script>", html)
    html = re.sub(r'<link rel="stylesheet" href="' + re.escape(css_url) + r'"\s*/>',
                  lambda _: f"<style>{_inline_css()}</style>", html)
    return html


# --------------------------------------------------------------------------- colours
def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def colour(value: float, vmin: float, vmax: float, palette: str) -> str:
    """Linear interpolation along a palette; values outside [vmin, vmax] are clipped."""
    stops = PALETTES[palette]
    if value is None or not np.isfinite(value):
        return NO_FLOW
    t = 0.0 if vmax <= vmin else min(max((value - vmin) / (vmax - vmin), 0.0), 1.0)
    x = t * (len(stops) - 1)
    i = min(int(x), len(stops) - 2)
    f = x - i
    a, b = _rgb(stops[i]), _rgb(stops[i + 1])
    return "#%02x%02x%02x" % tuple(round(a[k] + (b[k] - a[k]) * f) for k in range(3))


def nice_max(x: float) -> float:
    """A round number at or above x, for legend ends."""
    if not np.isfinite(x) or x <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(x))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * e >= x * 0.999:
            return m * e
    return 10 * e


def fmt(x, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    if digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


# --------------------------------------------------------------------------- basemap
def basemap_path() -> Path | None:
    for p in BASEMAP_CANDIDATES:
        if p.exists():
            return p
    return None


def _round_coords(coords, nd=2):
    if isinstance(coords[0], (int, float)):
        return [round(coords[0], nd), round(coords[1], nd)]
    return [_round_coords(c, nd) for c in coords if len(c)]


def _bbox(coords) -> tuple[float, float, float, float]:
    arr = np.asarray([p for p in _flatten(coords)])
    return arr[:, 0].min(), arr[:, 1].min(), arr[:, 0].max(), arr[:, 1].max()


def _flatten(coords):
    if isinstance(coords[0], (int, float)):
        yield coords
    else:
        for c in coords:
            yield from _flatten(c)


@lru_cache(maxsize=4)
def _basemap_features(path: str) -> tuple:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    for f in data.get("features", []):
        props = f.get("properties") or {}
        geom = f.get("geometry")
        if not geom:
            continue
        iso = props.get("iso3") or props.get("iso_a3")
        if not iso or iso == "-99":
            iso = props.get("adm0_a3")
        codes = {c for c in (props.get("iso3"), props.get("iso_a3"), props.get("adm0_a3")) if c and c != "-99"}
        try:  # simplify (about 5 km): the map is for context, and smaller data draws faster
            simple = shapely_mapping(shapely_shape(geom).simplify(0.05, preserve_topology=True))
            if simple["type"] in ("Polygon", "MultiPolygon"):
                geom = simple
        except Exception:
            pass
        coords = _round_coords(geom["coordinates"])
        out.append({"iso3": iso, "codes": codes, "name": props.get("name") or iso, "type": geom["type"],
                    "coordinates": coords, "bbox": _bbox(coords)})
    return tuple(out)


def network_bounds(network) -> tuple[float, float, float, float]:
    p = network.places
    return float(p["lon"].min()), float(p["lat"].min()), float(p["lon"].max()), float(p["lat"].max())


def basemap_geojson(network, margin_deg: float = 12.0) -> dict | None:
    """Countries that touch the network's area (plus a margin), as GeoJSON with iso3 and name."""
    path = basemap_path()
    if path is None:
        return None
    x0, y0, x1, y1 = network_bounds(network)
    x0, y0, x1, y1 = x0 - margin_deg, y0 - margin_deg, x1 + margin_deg, y1 + margin_deg
    feats = []
    for f in _basemap_features(str(path)):
        bx0, by0, bx1, by1 = f["bbox"]
        if bx1 < x0 or bx0 > x1 or by1 < y0 or by0 > y1:
            continue
        feats.append({"type": "Feature", "properties": {"iso3": f["iso3"], "name": f["name"]},
                      "geometry": {"type": f["type"], "coordinates": f["coordinates"]}})
    return {"type": "FeatureCollection", "features": feats}


def country_shapes(network) -> dict[str, dict]:
    """iso3 -> GeoJSON geometry for the network's countries (where the basemap has them)."""
    path = basemap_path()
    if path is None:
        return {}
    wanted = set(network.countries.index)
    out = {}
    for f in _basemap_features(str(path)):
        for code in f["codes"] & wanted:
            if code not in out:
                out[code] = {"type": f["type"], "coordinates": f["coordinates"]}
    return out


# --------------------------------------------------------------------------- folium elements
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


def _legend_scale(title: str, unit: str, palette: str, vmin: float, vmax: float, digits: int = 0,
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


def use_local_leaflet_if_unset() -> None:
    if any(str(u).startswith(("http:", "https:", "//")) for _, u in folium.Map.default_js + folium.Map.default_css):
        use_local_leaflet()


# --------------------------------------------------------------------------- one run: per-day views
@dataclass
class RunFrames:
    """A run's tables pivoted to arrays (day x entity) for fast slicing by day and window."""

    days: int
    legs: list[str]
    places: list[str]
    countries: list[str]
    leg: dict[str, np.ndarray]  # cumulative sums (flows) or raw values (levels), shape (days, n_legs)
    place: dict[str, np.ndarray]
    country: dict[str, np.ndarray]


LEG_FLOWS = ("attempts", "crossings", "interceptions", "deaths", "arrivals", "revenue_eur", "paid", "refused_boarding")
LEG_LEVELS = ("price_eur", "p_death", "p_intercept", "queue", "capacity")
PLACE_FLOWS = ("arrivals", "created", "left", "alternatives", "returned")
PLACE_LEVELS = ("waiting", "stranded", "detained")
COUNTRY_FLOWS = ("arrests", "seized_eur")
COUNTRY_LEVELS = ("effectiveness", "corruption", "training")


def _pivot(frame: pd.DataFrame, key: str, order: list[str], cols, days: int, cumulative: bool) -> dict:
    out = {}
    pos = {k: i for i, k in enumerate(order)}
    rows = frame["day"].to_numpy(int)
    idx = frame[key].map(pos).to_numpy()
    ok = ~pd.isna(idx)
    rows, idx = rows[ok], idx[ok].astype(int)
    for c in cols:
        if c not in frame:
            continue
        arr = np.zeros((days, len(order)))
        arr[rows, idx] = frame[c].to_numpy(float)[ok]
        out[c] = np.cumsum(arr, axis=0) if cumulative else arr
    return out


def run_frames(tables: dict[str, pd.DataFrame], network) -> RunFrames:
    days = int(tables["daily"]["day"].max()) + 1 if len(tables["daily"]) else 0
    legs = list(network.legs["id"])
    places = list(network.places["id"])
    countries = list(network.countries.index)
    leg = _pivot(tables["legs"], "leg", legs, LEG_FLOWS, days, True)
    leg.update(_pivot(tables["legs"], "leg", legs, LEG_LEVELS, days, False))
    place = _pivot(tables["places"], "place", places, PLACE_FLOWS, days, True)
    place.update(_pivot(tables["places"], "place", places, PLACE_LEVELS, days, False))
    country = _pivot(tables["countries"], "iso3", countries, COUNTRY_FLOWS, days, True)
    country.update(_pivot(tables["countries"], "iso3", countries, COUNTRY_LEVELS, days, False))
    # arrivals per country: the arrivals at its places
    place_iso = network.places["iso3"].to_numpy()
    arr = np.zeros((days, len(countries)))
    cpos = {c: i for i, c in enumerate(countries)}
    for j, iso in enumerate(place_iso):
        if iso in cpos:
            arr[:, cpos[iso]] += place["arrivals"][:, j]
    country["arrivals"] = arr
    return RunFrames(days, legs, places, countries, leg, place, country)


def _window(cum: np.ndarray, day: int, window: int) -> np.ndarray:
    """Sum over the `window` days ending on `day` (window 0 = from the start) from a cumulative array."""
    end = cum[day]
    if window <= 0 or day - window < 0:
        return end.copy()
    return end - cum[day - window]


def _level_mean(arr: np.ndarray, day: int, window: int) -> np.ndarray:
    lo = 0 if window <= 0 else max(0, day - window + 1)
    return arr[lo:day + 1].mean(axis=0)


def _all_windows_max(cum: np.ndarray, window: int) -> float:
    if cum.size == 0:
        return 0.0
    if window <= 0:
        return float(cum[-1].max())
    shifted = np.vstack([np.zeros((1, cum.shape[1])), cum[:-window]]) if window < len(cum) else np.zeros_like(cum[:1])
    sums = cum[window - 1:] - shifted[: len(cum) - window + 1] if window <= len(cum) else cum[-1:]
    return float(sums.max())


def leg_view(frames: RunFrames, day: int, window: int) -> pd.DataFrame:
    """Per leg: flows over the window ending on `day`, mean risk, interception and price over it, queue on the day."""
    day = int(min(max(day, 0), frames.days - 1))
    out = pd.DataFrame({"leg": frames.legs})
    for c in LEG_FLOWS:
        out[c] = _window(frames.leg[c], day, window)
    for c in ("price_eur", "p_death", "p_intercept"):
        out[c] = _level_mean(frames.leg[c], day, window)
    out["queue"] = frames.leg["queue"][day]
    out["capacity"] = frames.leg["capacity"][day]
    return out


def place_view(frames: RunFrames, day: int, window: int) -> pd.DataFrame:
    day = int(min(max(day, 0), frames.days - 1))
    out = pd.DataFrame({"place": frames.places})
    for c in PLACE_FLOWS:
        out[c] = _window(frames.place[c], day, window)
    for c in PLACE_LEVELS:
        out[c] = frames.place[c][day]
    return out


def country_view(frames: RunFrames, day: int, window: int) -> pd.DataFrame:
    day = int(min(max(day, 0), frames.days - 1))
    out = pd.DataFrame({"iso3": frames.countries})
    for c in COUNTRY_FLOWS + ("arrivals",):
        out[c] = _window(frames.country[c], day, window)
    for c in COUNTRY_LEVELS:
        out[c] = frames.country[c][day]
    return out


def _leg_indicator(view: pd.DataFrame, key: str) -> np.ndarray:
    if key == "death":
        return view["p_death"].to_numpy() * 1000
    if key == "intercept":
        return view["p_intercept"].to_numpy() * 100
    return view["price_eur"].to_numpy()


@dataclass
class Scales:
    """Fixed over the whole run so that the legend holds while the day changes."""

    flow_max: float
    colour_min: float
    colour_max: float
    size_max: float
    country_min: float
    country_max: float


def run_scales(frames: RunFrames, window: int, leg_colour: str, place_size: str, country_shade: str) -> Scales:
    flow_max = nice_max(_all_windows_max(frames.leg["attempts"], window))
    if leg_colour == "death":
        vals = frames.leg["p_death"] * 1000
    elif leg_colour == "intercept":
        vals = frames.leg["p_intercept"] * 100
    else:
        vals = frames.leg["price_eur"]
    cmin = 0.0
    cmax = nice_max(float(np.nanpercentile(vals, 99))) if vals.size else 1.0
    size = sum(frames.place[c] for c in PLACE_SIZES[place_size][1])
    size_max = nice_max(float(size.max())) if size.size else 1.0
    kind = COUNTRY_SHADES[country_shade][3]
    if country_shade == "none":
        kmin, kmax = 0.0, 1.0
    elif kind == "level":
        kmin, kmax = 0.0, 1.0
    else:
        kmin, kmax = 0.0, nice_max(_all_windows_max(frames.country[country_shade], window))
    return Scales(flow_max, cmin, cmax, size_max, kmin, kmax)


def _width(v: float, vmax: float) -> float:
    if v <= 0:
        return 1.0
    return round(1.5 + 10.5 * math.sqrt(min(v / vmax, 1.0)), 2)


def _radius(v: float, vmax: float) -> float:
    if v <= 0:
        return 2.5
    return round(3 + 19 * math.sqrt(min(v / vmax, 1.0)), 2)


def _line_coords(geom) -> list:
    return [[round(x, 3), round(y, 3)] for x, y in np.asarray(geom.coords)[:, :2]]


def run_legend(network, window: int, leg_colour: str, place_size: str, country_shade: str, scales: Scales,
               title: str | None = None) -> str:
    label, unit, palette = LEG_COLOURS[leg_colour]
    digits = 1 if scales.colour_max < 20 else 0
    parts = []
    if title:
        parts.append(f'<div class="t" style="font-size:13px">{_html.escape(title)}</div>')
    parts.append(f'<div class="t">Legs: width = attempts over {_html.escape(WINDOWS.get(window, f"{window} days"))}</div>')
    for v in (scales.flow_max / 10, scales.flow_max / 2, scales.flow_max):
        parts.append(f'<div class="row"><svg width="40" height="14"><line x1="0" y1="7" x2="40" y2="7" '
                     f'stroke="#555" stroke-width="{_width(v, scales.flow_max)}"/></svg>{fmt(v)} people</div>')
    parts.append('<div class="row"><svg width="40" height="14"><line x1="0" y1="7" x2="40" y2="7" stroke="'
                 + NO_FLOW + '" stroke-width="1" stroke-dasharray="4 3"/></svg>no attempts</div>')
    parts.append(_legend_scale(f"Leg colour: {label}", unit, palette, scales.colour_min, scales.colour_max, digits))
    plabel = PLACE_SIZES[place_size][0]
    parts.append(f'<div class="t">Circles: {_html.escape(plabel)} (on the day)</div><div class="row">')
    for v in (scales.size_max / 10, scales.size_max):
        r = _radius(v, scales.size_max)
        parts.append(f'<svg width="{2 * r + 4}" height="{2 * r + 4}"><circle cx="{r + 2}" cy="{r + 2}" r="{r}" '
                     f'fill="#6a51a3" fill-opacity="0.45" stroke="#3f007d"/></svg>{fmt(v)}')
    parts.append("</div>")
    if country_shade != "none":
        clabel, cunit, cpal, kind = COUNTRY_SHADES[country_shade]
        when = "on the day" if kind == "level" else f"over {WINDOWS.get(window, '')}"
        parts.append(_legend_scale(f"Countries: {clabel} ({when})", cunit, cpal, scales.country_min,
                                   scales.country_max, 1 if kind == "level" else 0, open_ended=kind != "level"))
    return "".join(parts)


def run_base_map(network, *, window: int, leg_colour: str, place_size: str, country_shade: str, scales: Scales,
                 tiles: bool = False, title: str | None = None, height: int | str = "100%") -> folium.Map:
    m = new_map(network, tiles=tiles, height=height)
    m.add_child(Legend(run_legend(network, window, leg_colour, place_size, country_shade, scales, title)))
    return m


COUNTRY_TIP = ["Enforcement effectiveness (0–1)", "Corruption (0–1)", "Training (0–1)", "Arrivals",
               "Smugglers arrested", "Proceeds seized (€)"]
LEG_TIP = ["Attempts", "Crossings", "Interceptions", "Deaths", "Deaths per 1,000 attempts", "Intercepted, % of attempts",
           "Death risk (model), per 1,000", "Interception chance (model), %", "Fee, € per person",
           "Smuggler revenue, €", "Waiting to board (on the day)"]
PLACE_TIP = ["Waiting for a smuggler (on the day)", "Stranded (on the day)", "Detained (on the day)", "Arrivals",
             "Set out from here", "Took an alternative"]


def run_data_layer(network, frames: RunFrames, day: int, *, window: int, leg_colour: str, place_size: str,
                   country_shade: str, scales: Scales) -> folium.FeatureGroup:
    """Legs, places and shaded countries for one day: the part of the map the day slider changes."""
    fg = folium.FeatureGroup(name=f"Day {day}")
    period = WINDOWS.get(window, f"{window} days")
    # countries
    if country_shade != "none":
        shapes = country_shapes(network)
        cv = country_view(frames, day, window).set_index("iso3")
        clabel, cunit, cpal, kind = COUNTRY_SHADES[country_shade]
        names = network.countries["name"].to_dict() if "name" in network.countries else {}
        feats = []
        for iso, geom in shapes.items():
            if iso not in cv.index:
                continue
            row = cv.loc[iso]
            v = float(row[country_shade])
            feats.append({"type": "Feature", "geometry": geom, "properties": {
                "h": f"<b>{_html.escape(str(names.get(iso, iso)))}</b> ({iso})",
                "v": [fmt(row["effectiveness"], 2), fmt(row["corruption"], 2), fmt(row["training"], 2),
                      fmt(row["arrivals"]), fmt(row["arrests"]), fmt(row["seized_eur"])],
                "s": {"fillColor": colour(v, scales.country_min, scales.country_max, cpal), "fillOpacity": 0.75,
                      "color": "#777", "weight": 0.8}}})
        if feats:
            labels = COUNTRY_TIP[:3] + [f"{x} ({period})" for x in COUNTRY_TIP[3:]]
            fg.add_child(GeoLayer({"type": "FeatureCollection", "features": feats}, name="country shading",
                                  labels=labels))
    # legs
    lv = leg_view(frames, day, window)
    ind = _leg_indicator(lv, leg_colour)
    palette = LEG_COLOURS[leg_colour][2]
    legs = network.legs
    cols = {c: lv[c].to_numpy() for c in lv.columns}
    feats = []
    for i in np.argsort(cols["attempts"], kind="stable"):  # thick legs drawn last, on top
        leg = legs.iloc[i]
        att = float(cols["attempts"][i])
        if att > 0:
            style = {"color": colour(ind[i], scales.colour_min, scales.colour_max, palette),
                     "weight": _width(att, scales.flow_max), "opacity": 0.9}
        else:
            style = {"color": NO_FLOW, "weight": 1, "opacity": 0.6, "dashArray": "4 3"}
        values = [fmt(att), fmt(cols["crossings"][i]), fmt(cols["interceptions"][i]), fmt(cols["deaths"][i]),
                  fmt(1000 * cols["deaths"][i] / att, 1) if att else "–",
                  fmt(100 * cols["interceptions"][i] / att, 1) if att else "–",
                  fmt(cols["p_death"][i] * 1000, 2), fmt(cols["p_intercept"][i] * 100, 1),
                  fmt(cols["price_eur"][i]), fmt(cols["revenue_eur"][i]), fmt(cols["queue"][i])]
        feats.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": _line_coords(leg["geometry"])},
                      "properties": {"h": f"<b>{_html.escape(leg['from'])} → {_html.escape(leg['to'])}</b><br>"
                                          f"{_html.escape(leg['corridor'])}, {leg['mode']}, {leg['length_km']:,.0f} km",
                                     "v": values, "s": style}})
    labels = [f"{x} ({period})" for x in LEG_TIP[:4]] + LEG_TIP[4:]
    fg.add_child(GeoLayer({"type": "FeatureCollection", "features": feats}, name="legs", labels=labels))
    # places
    pv = place_view(frames, day, window)
    pcols = {c: pv[c].to_numpy() for c in pv.columns}
    size = sum(pcols[c] for c in PLACE_SIZES[place_size][1])
    places = network.places
    feats = []
    for i in np.argsort(-size, kind="stable"):  # small circles drawn last, on top
        p = places.iloc[i]
        v = float(size[i])
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(p["lon"], 3), round(p["lat"], 3)]},
                      "properties": {
                          "h": f"<b>{_html.escape(p['name'])}</b> ({p['kind']}, {p['iso3']})",
                          "v": [fmt(pcols["waiting"][i]), fmt(pcols["stranded"][i]), fmt(pcols["detained"][i]),
                                fmt(pcols["arrivals"][i]), fmt(pcols["left"][i]), fmt(pcols["alternatives"][i])],
                          "s": {"radius": _radius(v, scales.size_max), "color": "#3f007d", "weight": 1,
                                "fillColor": "#6a51a3" if v > 0 else "#ffffff", "fillOpacity": 0.45 if v > 0 else 0.9}}})
    labels = PLACE_TIP[:3] + [f"{x} ({period})" for x in PLACE_TIP[3:]]
    fg.add_child(GeoLayer({"type": "FeatureCollection", "features": feats}, name="places", labels=labels))
    return fg


def run_map(network, frames: RunFrames, day: int, *, window: int = 30, leg_colour: str = "death",
            place_size: str = "waiting_stranded", country_shade: str = "effectiveness", tiles: bool = False,
            title: str | None = None, height: int | str = "100%") -> folium.Map:
    """A complete map (base + data layer) of one day of a run: for export as standalone HTML."""
    scales = run_scales(frames, window, leg_colour, place_size, country_shade)
    m = run_base_map(network, window=window, leg_colour=leg_colour, place_size=place_size,
                     country_shade=country_shade, scales=scales, tiles=tiles, title=title, height=height)
    run_data_layer(network, frames, day, window=window, leg_colour=leg_colour, place_size=place_size,
                   country_shade=country_shade, scales=scales).add_to(m)
    return m


# --------------------------------------------------------------------------- comparison: leg displacement
def difference_max(diff: pd.DataFrame) -> float:
    return nice_max(float(diff["change"].abs().max())) if len(diff) else 1.0


def difference_legend(label_a: str, label_b: str, vmax: float, measure: str = "attempts") -> str:
    return (f'<div class="t" style="font-size:13px">{_html.escape(label_b)}<br>compared with {_html.escape(label_a)}</div>'
            + _legend_scale(f"Change in {measure} over the run", "people, mean over replicates", "RdBu_r", -vmax, vmax, open_ended=False)
            + '<div>red: leg gained flow, blue: leg lost flow; width: size of the change; '
              'dashed: change within the 95% interval of no change</div>')


def difference_base_map(network, label_a: str, label_b: str, vmax: float, *, tiles: bool = False,
                        measure: str = "attempts", height: int | str = "100%") -> folium.Map:
    m = new_map(network, tiles=tiles, height=height)
    m.add_child(Legend(difference_legend(label_a, label_b, vmax, measure)))
    return m


def difference_layer(network, diff: pd.DataFrame, vmax: float, label_a: str, label_b: str,
                     measure: str = "attempts") -> folium.FeatureGroup:
    """Legs coloured and sized by the change in a measure from arm A to arm B.

    ``diff``: one row per leg (index or column ``leg``) with columns a, b, change, low, high."""
    diff = diff.set_index("leg") if "leg" in diff.columns else diff
    fg = folium.FeatureGroup(name="difference")
    feats = []
    legs = network.legs
    order = np.argsort(np.abs(diff.reindex(legs["id"])["change"].fillna(0).to_numpy()), kind="stable")
    for i in order:
        leg = legs.iloc[i]
        if leg["id"] not in diff.index:
            continue
        r = diff.loc[leg["id"]]
        ch = float(r["change"])
        clear = bool(np.isfinite(r["low"]) and np.isfinite(r["high"]) and (r["low"] > 0 or r["high"] < 0))
        style = {"color": colour(ch, -vmax, vmax, "RdBu_r") if ch != 0 else NO_FLOW,
                 "weight": _width(abs(ch), vmax) if ch != 0 else 1, "opacity": 0.9}
        if not clear:
            style["dashArray"] = "6 4"
        feats.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": _line_coords(leg["geometry"])},
                      "properties": {"h": f"<b>{_html.escape(leg['from'])} → {_html.escape(leg['to'])}</b><br>"
                                          f"{_html.escape(leg['corridor'])}, {leg['mode']}",
                                     "v": [fmt(r["a"]), fmt(r["b"]), fmt(ch), f"{fmt(r['low'])} to {fmt(r['high'])}"],
                                     "s": style}})
    labels = [f"{measure.capitalize()}: {label_a}", f"{measure.capitalize()}: {label_b}", "Change",
              "95% interval of the change"]
    fg.add_child(GeoLayer({"type": "FeatureCollection", "features": feats}, name="legs", labels=labels))
    pts = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(p.lon, 3), round(p.lat, 3)]},
            "properties": {"h": f"<b>{_html.escape(p.name)}</b> ({p.kind}, {p.iso3})",
                           "s": {"radius": 3, "color": "#333", "weight": 1, "fillColor": "#fff", "fillOpacity": 1}}}
           for p in network.places.itertuples()]
    fg.add_child(GeoLayer({"type": "FeatureCollection", "features": pts}, name="places"))
    return fg


def difference_map(network, diff: pd.DataFrame, label_a: str, label_b: str, *, tiles: bool = False,
                   measure: str = "attempts", height: int | str = "100%") -> folium.Map:
    vmax = difference_max(diff)
    m = difference_base_map(network, label_a, label_b, vmax, tiles=tiles, measure=measure, height=height)
    difference_layer(network, diff, vmax, label_a, label_b, measure).add_to(m)
    return m


__all__ = [
    "APP_STATIC_PREFIX", "COUNTRY_SHADES", "LEG_COLOURS", "PLACE_SIZES", "RunFrames", "Scales", "WINDOWS",
    "basemap_geojson", "basemap_path", "colour", "country_shapes", "difference_base_map", "difference_layer",
    "difference_map", "difference_max", "external_links", "leaflet_urls", "leg_view", "new_map", "place_view",
    "run_base_map", "run_data_layer", "run_frames", "run_map", "run_scales", "standalone_html", "use_local_leaflet",
]
