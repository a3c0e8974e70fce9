"""The route network before any run (legs and places, with their names), and the scenario's events as markers:
what the Run page shows on opening, and what the run map adds on top of its data layer."""

from __future__ import annotations

import html as _html

import folium
import numpy as np

from sim.vocabulary import EVENT_LABELS

from .map_elements import EventLayer, GeoLayer, Legend, new_map
from .maps import _line_coords, leg_heading, place_names

MODE_STYLE = {"sea": "#1f5f8b", "land": "#5a4a3a", "air": "#777777"}


def event_label(event) -> str:
    kind = EVENT_LABELS.get(event.kind, event.kind)
    return kind + (f" – {event.name}" if event.name and event.name != kind else "")


def event_days(event, days: int | None = None) -> str:
    end = event.end if event.end is not None else days
    begin = "from before day 0" if event.start < 0 else f"day {event.start:,}"
    return begin + (f" to {end - 1:,}" if end is not None and end - 1 > event.start else "")


def _where(network, targets) -> list[tuple[float, float]]:
    """Points an event acts on: its places, the midpoints of its legs (or its corridors' legs), its countries'
    places; nothing when it acts everywhere."""
    legs, places = network.legs, network.places
    pts = [(r.lon, r.lat) for r in places.itertuples() if r.id in set(targets.places)]
    chosen = legs[legs["id"].isin(targets.legs) | legs["corridor"].isin(targets.corridors)]
    for g in chosen["geometry"]:
        xy = np.asarray(g.coords)[:, :2]
        pts.append(tuple(xy[len(xy) // 2]))
    if not pts and targets.countries:
        pts = [(r.lon, r.lat) for r in places.itertuples() if r.iso3 in set(targets.countries)]
    return pts


def event_features(network, events, day: int | None = None, days: int | None = None) -> tuple[dict, list]:
    """GeoJSON points for the events that act somewhere in particular (one marker per event, at the centre of
    what it targets), and the labels of the events that act everywhere (they have no place on the map)."""
    feats, everywhere = [], []
    for ev in events:
        pts = _where(network, ev.targets)
        text = f"{event_label(ev)}, {event_days(ev, days)}"
        if not pts:
            everywhere.append(text)
            continue
        lon, lat = np.mean(pts, axis=0)
        on = True if day is None else ev.active(day)
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(float(lon), 3),
                                                                                       round(float(lat), 3)]},
                      "properties": {"h": f"<b>Event: {_html.escape(text)}</b>"
                                          + ("" if on else "<br>(not on this day)"), "on": bool(on)}})
    return {"type": "FeatureCollection", "features": feats}, everywhere


def add_events(layer: folium.FeatureGroup, network, events, day: int | None = None, days: int | None = None) -> list:
    """Event markers added to a layer; returns the labels of events that act everywhere."""
    data, everywhere = event_features(network, events, day, days)
    if data["features"]:
        layer.add_child(EventLayer(data))
    return everywhere


def network_legend(has_events: bool) -> str:
    rows = "".join(f'<div class="row"><svg width="40" height="10"><line x1="0" y1="5" x2="40" y2="5" stroke="{c}" '
                   f'stroke-width="3"/></svg>{m}</div>' for m, c in MODE_STYLE.items())
    return ('<div class="t">The route network</div>' + rows
            + '<div class="row"><svg width="40" height="10"><line x1="0" y1="5" x2="40" y2="5" stroke="#777" '
              'stroke-width="2" stroke-dasharray="5 4"/></svg>ticket (no smuggler)</div>'
            + ('<div class="row"><span class="sim-event" style="display:inline-block;width:18px">!</span>'
               'an event of the scenario</div>' if has_events else "")
            + "<div>Run the model to see the flows.</div>")


def network_layer(network, events=(), days: int | None = None) -> tuple[folium.FeatureGroup, list]:
    """Every leg (colour: mode; dashed: a ticket, no smuggler) and place, with names in the tooltips."""
    fg = folium.FeatureGroup(name="network")
    names = place_names(network)
    feats = []
    for _, leg in network.legs.iterrows():
        style = {"color": MODE_STYLE.get(leg["mode"], "#555"), "weight": 2.5, "opacity": 0.85}
        if "smuggled" in leg and not bool(leg["smuggled"]):
            style["dashArray"] = "5 4"
        feats.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": _line_coords(leg["geometry"])},
                      "properties": {"h": leg_heading(leg, names), "s": style}})
    fg.add_child(GeoLayer({"type": "FeatureCollection", "features": feats}, name="legs"))
    pts = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(p.lon, 3), round(p.lat, 3)]},
            "properties": {"h": f"<b>{_html.escape(p.name)}</b> ({p.kind}, {p.iso3})",
                           "s": {"radius": 4, "color": "#222", "weight": 1, "fillColor": "#fff", "fillOpacity": 1}}}
           for p in network.places.itertuples()]
    fg.add_child(GeoLayer({"type": "FeatureCollection", "features": pts}, name="places"))
    everywhere = add_events(fg, network, events, None, days)
    return fg, everywhere


def network_base_map(network, has_events: bool = False, tiles: bool = False) -> folium.Map:
    m = new_map(network, tiles=tiles)
    m.add_child(Legend(network_legend(has_events)))
    return m
