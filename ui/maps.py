"""Maps of runs and comparisons, drawn with folium (presentation only: no model logic here).

Everything works offline: Leaflet comes from ``static/leaflet/`` (see :mod:`ui.leaflet`), the basemap is the
shipped countries file (see :mod:`ui.basemap`), and internet tiles are only added when asked for (``tiles=True``).

A map has two parts: the *base* (countries, legend, view), which depends only on the network and the
chosen indicators, and the *data layer* (legs, places, shaded countries for one day), which changes
with the day slider. In Streamlit the data layer is passed to ``st_folium(feature_group_to_add=...)`` so
that moving the slider does not rebuild the base. The per-day arrays come from :mod:`sim.daily`.
"""

from __future__ import annotations

import html as _html
import math
from dataclasses import dataclass

import folium
import numpy as np
import pandas as pd

from sim.daily import RunFrames, all_windows_max, country_view, leg_view, place_view

from .basemap import basemap_index, country_shapes
from .map_elements import GeoLayer, Legend, legend_scale, new_map
from .style import NO_FLOW, colour, fmt, nice_max

# leg colour: key -> (label, unit, palette)
LEG_COLOURS = {
    "death": ("Death risk", "deaths per 1,000 attempts", "viridis_r"),
    "intercept": ("Interception rate", "% of attempts", "cividis_r"),
    "fee": ("Fee asked", "€ per person", "magma_r"),
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
    "effectiveness": ("Enforcement effectiveness", "0–1", "Blues", "level"),
    "corruption": ("Corruption", "0–1", "Purples", "level"),
    "training": ("Training level", "0–1", "Purples", "level"),
    "arrivals": ("Arrivals", "people", "Blues", "flow"),
    "arrests": ("Smugglers arrested", "people", "Blues", "flow"),
    "none": ("No shading", "", "Greens", "level"),
}
WINDOWS = {1: "that day", 7: "the 7 days up to it", 30: "the 30 days up to it", 0: "the run up to it"}


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
    flow_max = nice_max(all_windows_max(frames.leg["attempts"], window))
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
        kmin, kmax = 0.0, nice_max(all_windows_max(frames.country[country_shade], window))
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
    parts.append(legend_scale(f"Leg colour: {label}", unit, palette, scales.colour_min, scales.colour_max, digits))
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
        parts.append(legend_scale(f"Countries: {clabel} ({when})", cunit, cpal, scales.country_min,
                                   scales.country_max, 1 if kind == "level" else 0, open_ended=kind != "level"))
    return "".join(parts)


def run_base_map(network, *, window: int, leg_colour: str, place_size: str, country_shade: str, scales: Scales,
                 tiles: bool = False, title: str | None = None, height: int | str = "100%") -> folium.Map:
    m = new_map(network, tiles=tiles, height=height)
    m.add_child(Legend(run_legend(network, window, leg_colour, place_size, country_shade, scales, title)))
    return m


COUNTRY_TIP = ["Enforcement effectiveness (0–1)", "Corruption (0–1)", "Training (0–1)", "Arrivals",
               "Smugglers arrested", "Proceeds seized (€)"]
# Attempts are counted on the day people set out, crossings on the day they reach the leg's end (days later on
# long legs), so a window can hold more crossings than attempts; revenue is the fees paid when boarding
# (retries a smuggler owes are free), and legs without a smuggler (a ticket) earn smugglers nothing.
LEG_TIP = ["Set out on the leg", "Reached its end (some set out earlier)", "Intercepted", "Died or missing",
           "Deaths per 1,000 attempts", "Intercepted, % of attempts",
           "Death risk (model), per 1,000", "Interception chance (model), %", "Fee asked on the day, € per person",
           "Smuggler revenue, € (fees paid at boarding)", "Waiting to board (on the day)"]
PLACE_TIP = ["Waiting for a smuggler (on the day)", "Stranded (on the day)", "Detained (on the day)", "Arrivals",
             "Set out from here", "Took an alternative"]


def place_names(network) -> dict[str, str]:
    return dict(zip(network.places["id"], network.places["name"]))


def leg_heading(leg, names: dict[str, str]) -> str:
    """A leg's tooltip heading: place names (not ids), corridor, mode, length."""
    a, b = names.get(leg["from"], leg["from"]), names.get(leg["to"], leg["to"])
    return (f"<b>{_html.escape(str(a))} → {_html.escape(str(b))}</b><br>"
            f"{_html.escape(str(leg['corridor']))}, {_html.escape(str(leg['mode']))}, {leg['length_km']:,.0f} km")


_PARTS: dict[int, tuple] = {}  # id(network) -> (network, leg headings, leg lines, place headings, place points)


def network_parts(network) -> tuple[list[str], list[list], list[str], list[list]]:
    """The legs' tooltip headings and lines and the places' headings and points: the same on every day and
    map of a network, so made once per network (networks are shared and read-only) instead of reading the
    tables row by row for each day drawn."""
    hit = _PARTS.get(id(network))
    if hit is None or hit[0] is not network:
        names = place_names(network)
        legs, places = network.legs, network.places
        leg_rows = legs[["from", "to", "corridor", "mode", "length_km"]].to_dict("records")
        hit = (network, [leg_heading(r, names) for r in leg_rows], [_line_coords(g) for g in legs["geometry"]],
               [f"<b>{_html.escape(str(n))}</b> ({k}, {c})"
                for n, k, c in zip(places["name"], places["kind"], places["iso3"])],
               [[round(float(x), 3), round(float(y), 3)] for x, y in zip(places["lon"], places["lat"])])
        if len(_PARTS) >= 8:
            _PARTS.clear()
        _PARTS[id(network)] = hit
    return hit[1:]


def run_data_layer(network, frames: RunFrames, day: int, *, window: int, leg_colour: str, place_size: str,
                   country_shade: str, scales: Scales) -> folium.FeatureGroup:
    """Legs, places and shaded countries for one day: the part of the map the day slider changes."""
    fg = folium.FeatureGroup(name=f"Day {day}")
    period = WINDOWS.get(window, f"{window} days")
    # countries
    if country_shade != "none":
        shapes = country_shapes(network)
        shared = basemap_index(network)  # outlines the basemap already drew: referred to, not sent again
        cv = country_view(frames, day, window).set_index("iso3").to_dict("index")
        clabel, cunit, cpal, kind = COUNTRY_SHADES[country_shade]
        names = network.countries["name"].to_dict() if "name" in network.countries else {}
        feats = []
        for iso, geom in shapes.items():
            if iso not in cv:
                continue
            row = cv[iso]
            v = float(row[country_shade])
            where = {"b": shared[iso]} if iso in shared else {}
            feats.append({"type": "Feature", "geometry": None if where else geom, "properties": {
                **where, "h": f"<b>{_html.escape(str(names.get(iso, iso)))}</b> ({iso})",
                "v": [fmt(row["effectiveness"], 2), fmt(row["corruption"], 2), fmt(row["training"], 2),
                      fmt(row["arrivals"]), fmt(row["arrests"]), fmt(row["seized_eur"])],
                "s": {"fillColor": colour(v, scales.country_min, scales.country_max, cpal)}}})
        if feats:
            labels = COUNTRY_TIP[:3] + [f"{x} ({period})" for x in COUNTRY_TIP[3:]]
            fg.add_child(GeoLayer({"type": "FeatureCollection", "features": feats}, name="country shading",
                                  labels=labels, style={"fillOpacity": 0.75, "color": "#777", "weight": 0.8}))
    # legs
    lv = leg_view(frames, day, window)
    ind = _leg_indicator(lv, leg_colour)
    palette = LEG_COLOURS[leg_colour][2]
    legs = network.legs
    leg_heads, leg_lines, place_heads, place_points = network_parts(network)
    smuggled = legs["smuggled"].to_numpy(bool) if "smuggled" in legs else np.ones(len(legs), bool)
    cols = {c: lv[c].to_numpy() for c in lv.columns}
    feats = []
    for i in np.argsort(cols["attempts"], kind="stable"):  # thick legs drawn last, on top
        att = float(cols["attempts"][i])
        if att > 0:  # opacity 0.9: the layer's style
            style = {"color": colour(ind[i], scales.colour_min, scales.colour_max, palette),
                     "weight": _width(att, scales.flow_max)}
        else:
            style = {"color": NO_FLOW, "weight": 1, "opacity": 0.6, "dashArray": "4 3"}
        values = [fmt(att), fmt(cols["crossings"][i]), fmt(cols["interceptions"][i]), fmt(cols["deaths"][i]),
                  fmt(1000 * cols["deaths"][i] / att, 1) if att else "–",
                  fmt(100 * cols["interceptions"][i] / att, 1) if att else "–",
                  fmt(cols["p_death"][i] * 1000, 2), fmt(cols["p_intercept"][i] * 100, 1),
                  fmt(cols["price_eur"][i]) + ("" if smuggled[i] else " (a ticket)"),
                  fmt(cols["revenue_eur"][i]) if smuggled[i] else "– (no smuggler)", fmt(cols["queue"][i])]
        feats.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": leg_lines[i]},
                      "properties": {"h": leg_heads[i], "v": values, "s": style}})
    labels = [f"{x} ({period})" for x in LEG_TIP[:4]] + LEG_TIP[4:]
    fg.add_child(GeoLayer({"type": "FeatureCollection", "features": feats}, name="legs", labels=labels,
                          style={"opacity": 0.9}))
    # places
    pv = place_view(frames, day, window)
    pcols = {c: pv[c].to_numpy() for c in pv.columns}
    size = sum(pcols[c] for c in PLACE_SIZES[place_size][1])
    feats = []
    for i in np.argsort(-size, kind="stable"):  # small circles drawn last, on top
        v = float(size[i])
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": place_points[i]},
                      "properties": {
                          "h": place_heads[i],
                          "v": [fmt(pcols["waiting"][i]), fmt(pcols["stranded"][i]), fmt(pcols["detained"][i]),
                                fmt(pcols["arrivals"][i]), fmt(pcols["left"][i]), fmt(pcols["alternatives"][i])],
                          "s": {"radius": _radius(v, scales.size_max), "fillColor": "#6a51a3" if v > 0 else "#ffffff",
                                "fillOpacity": 0.45 if v > 0 else 0.9}}})
    labels = PLACE_TIP[:3] + [f"{x} ({period})" for x in PLACE_TIP[3:]]
    fg.add_child(GeoLayer({"type": "FeatureCollection", "features": feats}, name="places", labels=labels,
                          style={"color": "#3f007d", "weight": 1}))
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
            + legend_scale(f"Change in {measure} over the run", "people, mean over replicates", "RdBu_r", -vmax, vmax, open_ended=False)
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
    names = place_names(network)
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
                      "properties": {"h": leg_heading(leg, names),
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
    "COUNTRY_SHADES", "LEG_COLOURS", "PLACE_SIZES", "Scales", "WINDOWS", "difference_base_map", "difference_layer",
    "difference_map", "difference_max", "leg_heading", "place_names", "run_base_map", "run_data_layer", "run_map", "run_scales",
]
