"""Sea arrivals by landing country and year: UNHCR's figures (data/history) and the replay's.

Frontex counts detections by route; UNHCR counts the people who land, by country. The two split the Eastern
Mediterranean differently (the islands, Crete and Cyprus against the land borders), so the replay's response
search scores both: what the detections alone cannot pin down (how many of the arrivals on the Greek islands
the EU-Turkey statement returned) shows in the islands' arrivals. Greece, Italy and Cyprus only: their
figures are sea arrivals; Spain's national series mixes in the land arrivals at Ceuta and Melilla.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..files import ROOT

SEA_CSV = ROOT / "data" / "history" / "sea_arrivals_by_country_year_2016_2023.csv"
SCORED = {"GRC": "Greece", "ITA": "Italy", "CYP": "Cyprus"}
# UNHCR's portal sums first; where it has no figure (2023), the file's other series for the whole country
SERIES = [("UNHCR_ODP_via_vi-enne", "all"), ("UNHCR_published", "all"), ("IT_Viminale", "all"),
          ("ES_Interior", "all (sea only)")]
_LEGS: dict = {}  # network folder -> the legs' landing countries and borders (_legs)


def observed_sea(first_year: int = 2016, last_year: int = 2023) -> pd.DataFrame:
    """country (name), year, arrivals, series: one row per country-year, the first series of SERIES that
    has it."""
    raw = pd.read_csv(SEA_CSV)
    rows, seen = [], set()
    for series, area in SERIES:
        part = raw[(raw["series"] == series) & (raw["area"] == area) & raw["year"].between(first_year, last_year)]
        for _, r in part.iterrows():
            key = (r["country"], int(r["year"]))
            if key not in seen:
                seen.add(key)
                rows.append({"country": r["country"], "year": int(r["year"]), "arrivals": float(r["arrivals"]),
                             "series": series})
    return pd.DataFrame(rows, columns=["country", "year", "arrivals", "series"])


def _legs(network_folder: str) -> dict[str, dict[str, str]]:
    """Per network folder, read once: "landing" (leg id -> landing ISO3 of a sea crossing into another
    country) and "border" (leg id -> "sea" or "land")."""
    if network_folder not in _LEGS:
        from ..network import load_network

        net = load_network(network_folder)
        iso3 = net.places["iso3"].to_numpy()
        src, dst = iso3[net.legs["src"].to_numpy(int)], iso3[net.legs["dst"].to_numpy(int)]
        sea = net.legs["mode"].eq("sea").to_numpy()
        # a crossing into a country by sea, not a ferry from an island to its own mainland
        cross = sea & (src != dst)
        _LEGS[network_folder] = {"landing": dict(zip(net.legs["id"][cross], dst[cross])),
                                 "border": dict(zip(net.legs["id"], np.where(sea, "sea", "land")))}
    return _LEGS[network_folder]


def sea_arrivals(results) -> dict:
    """What a replay job keeps besides its monthly detections: crossings into each country by sea, per
    calendar year (module level: workers receive it)."""
    from ..calendar import dates

    landing = _legs(results.meta["network"])["landing"]
    legs = results.tables["legs"]
    legs = legs[legs["leg"].isin(list(landing))]
    year = pd.DatetimeIndex(dates(results.meta["start_date"], legs["day"].to_numpy())).year
    got = legs.assign(iso3=legs["leg"].map(landing).to_numpy(), year=year).groupby(["iso3", "year"])["crossings"].sum()
    return {"sea_iso3": [k[0] for k in got.index], "sea_year": [int(k[1]) for k in got.index],
            "sea_arrivals": got.astype(float).tolist()}


def border_detections(results) -> dict:
    """Detections per corridor, border (the detecting leg's mode: "sea", or "land" for land and air) and
    calendar year: Frontex splits a route's monthly series the same way (`border_type`)."""
    from ..calendar import dates

    border = _legs(results.meta["network"])["border"]
    legs = results.tables["legs"]
    legs = legs[legs["detections"] > 0]
    year = pd.DatetimeIndex(dates(results.meta["start_date"], legs["day"].to_numpy())).year
    got = (legs.assign(border=legs["leg"].map(border).to_numpy(), year=year)
           .groupby(["corridor", "border", "year"])["detections"].sum())
    return {"border_corridor": [k[0] for k in got.index], "border": [k[1] for k in got.index],
            "border_year": [int(k[2]) for k in got.index], "border_detections": got.astype(float).tolist()}


def replay_figures(results) -> dict:
    """A replay job's monthly detections per corridor, its sea arrivals by country and year, and its
    detections by corridor, border and year."""
    from .ensemble import monthly_detections

    return {**monthly_detections(results), **sea_arrivals(results), **border_detections(results)}


def mean_border(runs: list[dict]) -> pd.DataFrame:
    """corridor, border, year, detections: the mean over the runs."""
    frames = [pd.DataFrame({"corridor": r["border_corridor"], "border": r["border"], "year": r["border_year"],
                            "detections": r["border_detections"]}) for r in runs]
    both = pd.concat(frames).groupby(["corridor", "border", "year"])["detections"].sum() / max(len(runs), 1)
    return both.reset_index()


def observed_border(first_year: int = 2016, last_year: int = 2023) -> pd.DataFrame:
    """route (code), border ("land" or "sea"), year, detections: Frontex's monthly series summed by year."""
    from .data import MAIN_ROUTES, MONTHLY_CSV

    raw = pd.read_csv(MONTHLY_CSV)
    raw = raw[raw["route_code"].isin(MAIN_ROUTES) & raw["year"].between(first_year, last_year)]
    out = raw.groupby(["route_code", "border_type", "year"])["detections"].sum().reset_index()
    return out.rename(columns={"route_code": "route", "border_type": "border"})


def mean_sea(runs: list[dict]) -> pd.DataFrame:
    """iso3, year, arrivals: the mean over the runs (a country-year a run lacks counts 0 in it)."""
    frames = [pd.DataFrame({"iso3": r["sea_iso3"], "year": r["sea_year"], "arrivals": r["sea_arrivals"]})
              for r in runs]
    both = pd.concat(frames).groupby(["iso3", "year"])["arrivals"].sum() / max(len(runs), 1)
    return both.reset_index()


def sea_error(simulated: pd.DataFrame, observed: pd.DataFrame | None = None) -> float:
    """Mean over the scored country-years of |simulated - observed| / observed."""
    observed = observed_sea() if observed is None else observed
    sim = simulated.set_index(["iso3", "year"])["arrivals"]
    errors = []
    for iso3, name in SCORED.items():
        for _, r in observed[observed["country"] == name].iterrows():
            got = float(sim.get((iso3, int(r["year"])), 0.0))
            errors.append(abs(got - r["arrivals"]) / r["arrivals"])
    return float(np.mean(errors)) if errors else 0.0


__all__ = ["SCORED", "border_detections", "mean_border", "mean_sea", "observed_border", "observed_sea",
           "replay_figures", "sea_arrivals", "sea_error"]
