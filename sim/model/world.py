"""Static arrays of one run: the network's legs, places and countries, with the scenario's overrides."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..network import COUNTRY_FIELDS, RouteNetwork, entering
from ..scenario import Scenario

KIND_CODES = {"origin": 0, "hub": 1, "departure": 2, "landing": 3, "destination": 4}


@dataclass
class World:
    """Everything about the network the model reads every day, as NumPy arrays."""

    n_legs: int
    n_places: int
    n_countries: int
    # legs
    src: np.ndarray
    dst: np.ndarray
    corridor: np.ndarray  # corridor number per leg
    corridors: list[str]
    days: np.ndarray
    fee: np.ndarray  # base fee per person, corridor fee factor applied
    risk: np.ndarray  # base death risk, corridor risk factor applied
    retry: np.ndarray  # share of people intercepted on the leg who are owed another attempt
    pushback: np.ndarray  # share of people intercepted on the leg who are pushed straight back
    pushback_counted: np.ndarray  # ... and the share of those pushed back who count as detections
    detention: np.ndarray  # days the leg's controlling country holds those it intercepts (NaN: the behaviour's)
    preference: np.ndarray  # corridor preference, EUR added to the perceived cost of its border crossings
    nationality_preference: np.ndarray  # countries x legs: the same, per nationality
    controlled: np.ndarray
    control: np.ndarray  # country number of the controlling authority, -1 if none
    smuggled: np.ndarray
    commercial: np.ndarray
    sea: np.ndarray
    mode: np.ndarray  # "land", "sea" or "air" per leg
    shore: np.ndarray  # smuggled sea legs (not commercial): where boats can be stopped before they leave
    # smuggled land legs (not commercial) across a controlled border: where raids can stop people before the
    # crossing (not the uncontrolled legs on the way to it, inside a country)
    staging: np.ndarray
    detects: np.ndarray  # a crossing of this leg is a detection at the bloc's external border
    detects_interception: np.ndarray  # ... and so is an interception on it (by a bloc authority)
    leg_country: np.ndarray  # country the leg starts in
    # places
    place_kind: np.ndarray
    place_country: np.ndarray
    place_nationality: np.ndarray  # the nationality of the people an origin starts (its country, unless set)
    is_destination: np.ndarray
    appeal: np.ndarray  # per place: value of reaching it compared with the other destinations (EUR)
    # countries (defaults with scenario overrides), one entry per country
    iso3: list[str]
    base: dict[str, np.ndarray]
    # legs grouped by start place, for the route choice
    out_order: np.ndarray  # leg numbers sorted by start place
    out_start: np.ndarray  # first position in out_order of each place's legs
    out_count: np.ndarray

    @classmethod
    def build(cls, network: RouteNetwork, scenario: Scenario) -> World:
        legs, places, countries = network.legs, network.places, network.countries
        iso3 = list(countries.index)
        cidx = {c: i for i, c in enumerate(iso3)}
        corridors = network.corridors
        kidx = {c: i for i, c in enumerate(corridors)}
        corridor = legs["corridor"].map(kidx).to_numpy(np.int32)
        risk_factor = np.array([scenario.corridors.get(c).risk_factor if c in scenario.corridors else 1.0
                                for c in corridors])
        fee_factor = np.array([scenario.corridors.get(c).fee_factor if c in scenario.corridors else 1.0
                               for c in corridors])
        pref = np.array([scenario.corridors.get(c).preference_eur if c in scenario.corridors else 0.0
                         for c in corridors])
        retry = np.array([scenario.corridors[c].retry_included if c in scenario.corridors
                          and scenario.corridors[c].retry_included is not None
                          else scenario.behaviour.retry_included for c in corridors])
        base = {f: countries[f].to_numpy(float).copy() for f in COUNTRY_FIELDS}
        # a country's detection share on land: measured where it is given, else from its effectiveness
        base["detection_share"] = np.full(len(iso3), np.nan)
        # how long a country holds the people it intercepts: given where given, else behaviour.detention_days
        base["detention_days"] = np.full(len(iso3), np.nan)
        for c, override in scenario.countries.items():
            for f, v in override.model_dump(exclude_none=True).items():
                base[f][cidx[c]] = v
        place_country = places["iso3"].map(cidx).to_numpy(np.int32)
        place_nationality = places["nationality"].map(cidx).to_numpy(np.int32)
        src = legs["src"].to_numpy(np.int32)
        dst = legs["dst"].to_numpy(np.int32)
        counts = countries["counts_detections"].to_numpy(bool)
        order = np.argsort(src, kind="stable").astype(np.int32)
        n_places = len(places)
        out_count = np.bincount(src, minlength=n_places).astype(np.int32)
        out_start = np.concatenate([[0], np.cumsum(out_count)[:-1]]).astype(np.int32)
        appeal = np.zeros(len(places))
        for place, override in scenario.destinations.items():
            appeal[network.place_index[place]] = override.appeal_eur
        control = np.array([cidx[c] if c else -1 for c in legs["control_iso3"]], dtype=np.int32)
        detects = entering(counts[place_country[src]], counts[place_country[dst]])
        return cls(
            n_legs=len(legs), n_places=n_places, n_countries=len(iso3),
            src=src, dst=dst, corridor=corridor, corridors=corridors,
            days=legs["days"].to_numpy(float),
            fee=legs["fee_eur"].to_numpy(float) * fee_factor[corridor],
            risk=np.clip(legs["death_risk"].to_numpy(float) * risk_factor[corridor], 0, 0.95),
            retry=np.where(legs["smuggled"].to_numpy(bool), retry[corridor], 0.0),
            pushback=np.where(control >= 0, base["pushback"][np.maximum(control, 0)], 0.0),
            pushback_counted=np.where(control >= 0, base["pushback_counted"][np.maximum(control, 0)], 1.0),
            detention=np.where(control >= 0, base["detention_days"][np.maximum(control, 0)], np.nan),
            preference=_on_crossings(pref[corridor], corridor, legs["controlled"].to_numpy(bool)),
            nationality_preference=_by_nationality(scenario, iso3, corridors, corridor,
                                                   legs["controlled"].to_numpy(bool)),
            controlled=legs["controlled"].to_numpy(bool),
            control=control,
            smuggled=legs["smuggled"].to_numpy(bool),
            commercial=legs["commercial"].to_numpy(bool),
            sea=(legs["mode"] == "sea").to_numpy(bool),
            mode=legs["mode"].to_numpy(str),
            shore=((legs["mode"] == "sea") & legs["smuggled"] & ~legs["commercial"]).to_numpy(bool),
            staging=((legs["mode"] == "land") & legs["smuggled"] & ~legs["commercial"]
                     & legs["controlled"]).to_numpy(bool),
            detects=detects,
            detects_interception=detects & (control >= 0) & counts[np.maximum(control, 0)],
            leg_country=place_country[src],
            place_kind=places["kind"].map(KIND_CODES).to_numpy(np.int8),
            place_country=place_country,
            place_nationality=place_nationality,
            is_destination=(places["kind"] == "destination").to_numpy(bool),
            appeal=appeal,
            iso3=iso3, base=base,
            out_order=order, out_start=out_start, out_count=out_count,
        )


def _on_crossings(pref: np.ndarray, corridor: np.ndarray, controlled: np.ndarray) -> np.ndarray:
    """A corridor's preference counts once per border crossing: on its controlled legs (on all its legs
    if it has none), so it does not grow with the number of feeder legs on a path."""
    out = np.zeros_like(pref)
    for c in np.unique(corridor):
        legs = corridor == c
        where = legs & controlled if (legs & controlled).any() else legs
        out[where] = pref[where]
    return out


def _by_nationality(scenario, iso3, corridors, corridor, controlled) -> np.ndarray:
    return nationality_costs(scenario.nationality_preferences, iso3, corridors, corridor, controlled)


def nationality_costs(preferences: dict, iso3, corridors, corridor, controlled) -> np.ndarray:
    """Countries x legs: EUR per nationality (ISO3) and corridor name, on each corridor's border crossings."""
    out = np.zeros((len(iso3), len(corridor)))
    for country, prefs in preferences.items():
        per_corridor = np.array([prefs.get(c, 0.0) for c in corridors])
        out[iso3.index(country)] = _on_crossings(per_corridor[corridor], corridor, controlled)
    return out
