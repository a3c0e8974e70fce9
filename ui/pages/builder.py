"""Scenario builder: change the package of interventions (grouped by pillar), see its cost, download it as YAML."""

from __future__ import annotations

import json
import re

import pandas as pd
import streamlit as st

from sim.errors import InputError
from sim.scenario import PILLARS, QUOTA_KINDS, yearly_cost_of
from sim.vocabulary import KIND_HELP, KIND_LABELS, PILLAR_HELP
from ui import session_store, state
from ui.labels import (
    PILLAR_ORDER,
    edited_description,
    fresh_intervention,
    package_costs,
    screen_terms,
)
from ui.paths import public
from ui.scenario_files import check, scenario_yaml
from ui.style import compact

data = st.session_state.get("scn_data")
if data is None:
    state.require_scenario()  # shows what to do, then stops

st.title("Scenario builder")
st.caption("Change the package of interventions, grouped by the declaration's three pillars. Changes apply to the "
           "scenario used on the other pages. Download the result to keep it (save it in scenarios/).")

network = state.network_loader(data["network"])
rev = st.session_state.get("scn_rev", 0)
srev = st.session_state.setdefault("iv_rev", 0)
k = f"{rev}_{srev}"

countries = list(network.countries.index)
country_names = network.countries["name"].to_dict() if "name" in network.countries else {}
corridors = list(network.corridors)
legs = list(network.legs["id"])
places = list(network.places["id"])
place_names = dict(zip(network.places["id"], network.places["name"]))

c1, c2 = st.columns([1, 2])
data["name"] = c1.text_input("Name", value=data.get("name", ""), key=f"name_{k}")
loaded = st.session_state.setdefault("scn_loaded", {}).setdefault(str(rev), {
    "description": data.get("description") or "", "interventions": json.dumps(data.get("interventions") or [])})
desc_key = f"desc_{rev}"  # not renewed when a measure is added: a description typed by hand stays
if desc_key not in st.session_state:
    st.session_state[desc_key] = data.get("description") or ""
if (st.session_state[desc_key] in (loaded["description"], st.session_state.get("scn_auto_desc"))
        and json.dumps(data.get("interventions") or []) != loaded["interventions"]):
    # the package changed and the description was not rewritten by hand: say what the file now holds
    auto = edited_description(loaded["description"], data.get("interventions") or [])
    st.session_state[desc_key] = st.session_state["scn_auto_desc"] = auto
data["description"] = c2.text_input("Description", key=desc_key,
                                    help="Kept up to date with the measures until you write your own.")


def _bump():
    st.session_state["iv_rev"] = st.session_state.get("iv_rev", 0) + 1


def _remove(idx: int):
    data["interventions"].pop(idx)
    _bump()


def _add(pillar: str):
    kind = st.session_state.get(f"add_kind_{pillar}")
    if kind:
        data.setdefault("interventions", []).append(fresh_intervention(kind))
        _bump()


def _valid(values, allowed):
    return [v for v in (values or []) if v in allowed]


def edit(idx: int, iv: dict, pillar: str):
    p = f"iv_{k}_{idx}_"
    with st.container(border=True):
        a, b, c = st.columns([3, 3, 1], vertical_alignment="bottom")
        kinds = [x for x in KIND_LABELS if PILLARS[x] == pillar]
        iv["kind"] = a.selectbox("Measure", kinds, index=kinds.index(iv["kind"]), key=p + "kind",
                                 format_func=KIND_LABELS.get, help=KIND_HELP[iv["kind"]])
        iv["name"] = b.text_input("Label", value=iv.get("name") or "", key=p + "name") or None
        c.button("Remove", key=p + "remove", on_click=_remove, args=(idx,), help="Remove this intervention.")
        t = iv.setdefault("targets", {})
        a, b, c, d = st.columns(4)
        t["countries"] = a.multiselect("Countries", countries, default=_valid(t.get("countries"), countries),
                                       key=p + "countries", format_func=lambda x: f"{x} – {country_names.get(x, x)}",
                                       help="Empty = all countries.")
        t["corridors"] = b.multiselect("Corridors", corridors, default=_valid(t.get("corridors"), corridors),
                                       key=p + "corridors", help="Empty = all corridors.")
        t["legs"] = c.multiselect("Legs", legs, default=_valid(t.get("legs"), legs), key=p + "legs",
                                  help="Empty = all legs (within the countries and corridors chosen).")
        t["places"] = d.multiselect("Places", places, default=_valid(t.get("places"), places), key=p + "places",
                                    format_func=lambda x: place_names.get(x, x),
                                    help="Empty = all places. For alternatives: the origins they are offered in.")
        a, b, c, d = st.columns(4)
        iv["start"] = int(a.number_input("Start (day)", min_value=0, max_value=3650, value=int(iv.get("start") or 0),
                                         step=30, key=p + "start"))
        end = b.number_input("End (day, empty = until the end)", min_value=1, max_value=3650, value=iv.get("end"),
                             step=30, key=p + "end", placeholder="until the end",
                             help="First day it no longer applies.")
        iv["end"] = None if end is None else int(end)
        iv["intensity"] = float(c.number_input("Intensity", min_value=0.0, max_value=100.0,
                                               value=float(iv.get("intensity", 1.0)), step=0.1, key=p + "intensity",
                                               help="1 = the standard strength of this measure; 2 = twice as strong."))
        if iv.get("cost_eur"):  # a loaded file's total (or an old open-ended cost): edited as its rate per year
            iv["cost_eur_per_year"] = yearly_cost_of(iv)
        iv.pop("cost_eur", None)
        per_year = float(iv.get("cost_eur_per_year") or 0.0)
        iv["cost_eur_per_year"] = float(d.number_input(
            f"Cost per year: {compact(per_year, unit='€')}", min_value=0.0, value=per_year, step=100_000.0,
            format="%.0f", key=p + "cost",
            help="Euros per year while the measure is active (type 2500000 for € 2.5 M); a run is charged "
                 "for the days it is active inside the horizon."))
        if iv["kind"] in QUOTA_KINDS:
            a, b = st.columns(2)
            iv["places_per_year"] = float(a.number_input(
                "Places per year", min_value=1.0, value=float(iv.get("places_per_year") or 1000.0), step=500.0,
                format="%.0f", key=p + "ppy"))
            if iv["kind"] == "legal_pathways":
                iv["destinations"] = b.multiselect(
                    "Destination countries", countries, default=_valid(iv.get("destinations"), countries),
                    key=p + "dest", format_func=lambda x: f"{x} – {country_names.get(x, x)}")
        else:
            iv["places_per_year"] = iv.get("places_per_year") or 0.0


interventions = data.setdefault("interventions", [])
for pillar in PILLAR_ORDER:
    cost = sum(yearly_cost_of(iv) for iv in interventions if PILLARS.get(iv["kind"]) == pillar)
    st.subheader(f"{pillar.capitalize()} · {compact(cost, unit='€')} a year")
    st.caption(PILLAR_HELP[pillar])
    for idx, iv in enumerate(interventions):
        if PILLARS.get(iv["kind"]) == pillar:
            edit(idx, iv, pillar)
    a, b = st.columns([3, 1], vertical_alignment="bottom")
    a.selectbox(f"Add a measure to {pillar.capitalize()}", [x for x in KIND_LABELS if PILLARS[x] == pillar],
                format_func=KIND_LABELS.get, key=f"add_kind_{pillar}")
    b.button("Add", key=f"add_{pillar}", on_click=_add, args=(pillar,))

if data.get("events"):
    st.subheader("Events")
    st.caption("Surges, closures and other shocks from the scenario file (edit them in the YAML).")
    st.dataframe(pd.DataFrame([{"kind": e["kind"], "name": e.get("name"), "start": e.get("start"),
                                "end": e.get("end"), "intensity": e.get("intensity")} for e in data["events"]]),
                 hide_index=True)

st.divider()
try:
    scenario, _ = check(data, st.session_state.get("scn_origin") or "scenario", state.network_loader)
except InputError as exc:
    st.error(f"The scenario is not valid yet: {screen_terms(public(str(exc)), interventions)}")
    session_store.stop()

costs = package_costs(scenario)
cols = st.columns(4)
cols[0].metric("Package cost per year", compact(costs["total"], unit="€"), help=f"€ {costs['total']:,.0f}")
for col, pillar in zip(cols[1:], PILLAR_ORDER):
    col.metric(pillar.capitalize(), compact(costs[pillar], unit="€"), help=f"€ {costs[pillar]:,.0f}")
slug = re.sub(r"[^A-Za-z0-9]+", "_", scenario.name).strip("_").lower() or "scenario"
st.download_button("Download the scenario (YAML)", data=scenario_yaml(scenario), file_name=f"{slug}.yaml",
                   mime="application/x-yaml", key="dl_yaml", on_click="ignore",
                   help="Save it in the scenarios/ folder; then `python -m sim check scenarios/<file>` accepts it "
                        "and the app lists it.")
st.caption("Seed, horizon and scale are set in the sidebar and saved in the file too.")
