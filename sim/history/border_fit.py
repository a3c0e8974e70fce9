"""Fitting how a corridor's detections split between its land border and its sea, by year
(`leg_preferences_by_year` on the corridor's land crossings), and a small route's detections by year
(`leg_preferences_by_year` on its crossings: ROUTES, below).

The replay's route preferences are fitted per nationality and *corridor*, and the Eastern Mediterranean is one
corridor with two ways across: the Aegean to the Greek islands and the land border with Greece and Bulgaria.
The fit set its detections per year but not their split: in 2018-2019, when the crossings of the Evros rose
(Turks among them), the replay counted a seventh of Frontex's land detections and too many at sea (and so too
many sea arrivals in Greece against UNHCR's). Frontex's monthly series gives the split (`border_type`), so
each year gets a preference for the Evros crossing, for everybody, fitted to it.

Only the Evros: Bulgaria's border (kirklareli-malko_tarnovo) is crossed mostly unseen and its people are
counted later, on the Western Balkans. Moved with the Evros, it took the Balkans' Syrians and Afghans with it
(the Western Balkans 2021-2022 -30 % and -29 %, the Aegean +23 % and +35 %); left to the corridor's
preferences, 39 route-years instead of 34 (docs/replay_log.md, twenty-ninth session).

Each step moves a year's figure by damping x route spread x log(simulated land/sea odds / observed odds), the
log bounded to +-MAX_LOG, the figure to +-LIMIT_SPREADS route spreads: the route choice is a logit over the
perceived costs with that spread, so a full step would set the odds right if the land and the sea were
chosen at one place. A year with no simulated or observed detection on either side keeps its figure.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

# corridor -> (Frontex's route, the land crossings whose preference the split moves)
FITTED = {"Eastern Mediterranean": ("EMR", ("edirne-evros",))}
MAX_LOG = 1.5
LIMIT_SPREADS = 8.0
MIN_DETECTIONS = 200.0  # fewer on a side in a year, in the data or the model's mean: the split is noise


# small routes whose detections by year the nationality preferences cannot set (sim/history/demand_fit.py:
# each nationality there a few dozen a year, below the fit's floors): one preference by year for everybody on
# their crossings into the EU. The Eastern Borders before Belarus opened its route in 2021: Vietnamese,
# Ukrainians, Russians, Turks, Indians, Bangladeshis, 615 to 1,349 detections a year
ROUTES = {"ELB": ("grodno-podlasie", "brest-podlasie", "grodno-druskininkai", "saint_petersburg-vaalimaa",
                  "lviv-przemysl", "uzhhorod-sobrance", "uzhhorod-zahony", "solotvyno-sighetu")}
MIN_ROUTE_DETECTIONS = 100.0  # fewer in a year, in the data or the model's mean: the year keeps its figure


def observed_split(first_year: int = 2016, last_year: int = 2023) -> dict[str, dict[int, tuple[float, float]]]:
    """corridor -> year -> (land, sea) detections, Frontex's."""
    from .sea import observed_border

    obs = observed_border(first_year, last_year)
    return {corridor: _by_year(obs[obs["route"] == route]) for corridor, (route, _) in FITTED.items()}


def simulated_split(border: pd.DataFrame) -> dict[str, dict[int, tuple[float, float]]]:
    """corridor -> year -> (land, sea) from the mean detections by corridor, border and year (sea.mean_border)."""
    return {corridor: _by_year(border[border["corridor"] == corridor]) for corridor in FITTED}


def _by_year(rows: pd.DataFrame) -> dict[int, tuple[float, float]]:
    """year -> (land, sea) detections of rows with columns year, border, detections."""
    table = rows.pivot_table(index="year", columns="border", values="detections", aggfunc="sum", fill_value=0.0)
    return {int(y): (float(r.get("land", 0.0)), float(r.get("sea", 0.0))) for y, r in table.iterrows()}


def update_land(prefs: dict[int, dict[str, float]], observed: dict[str, dict[int, tuple[float, float]]],
                simulated: dict[str, dict[int, tuple[float, float]]], spread: float,
                damping: float = 0.7) -> dict[int, dict[str, float]]:
    """One damped step of the land crossings' preference by year (`leg_preferences_by_year`: year -> leg ->
    EUR); legs and years not fitted keep their figures. Every year observed is listed, so that no year takes
    another's figure."""
    out = {int(y): dict(legs) for y, legs in prefs.items()}
    limit = LIMIT_SPREADS * spread
    for corridor, (_, legs) in FITTED.items():
        got = simulated.get(corridor, {})
        for year, (land, sea) in sorted(observed.get(corridor, {}).items()):
            figures = out.setdefault(year, {})
            now = float(np.mean([figures.get(leg, 0.0) for leg in legs]))
            sim_land, sim_sea = got.get(year, (0.0, 0.0))
            if min(land, sea, sim_land, sim_sea) >= MIN_DETECTIONS:
                log_err = math.log((sim_land / sim_sea) / (land / sea))
                now = float(np.clip(now + damping * spread * float(np.clip(log_err, -MAX_LOG, MAX_LOG)), -limit, limit))
            for leg in legs:
                figures[leg] = round(now, 1)
    return out


def observed_totals(first_year: int = 2016, last_year: int = 2023) -> dict[str, dict[int, float]]:
    """route -> year -> Frontex's detections, for the routes of ROUTES."""
    from .data import monthly_observed

    obs = monthly_observed(first_year, last_year)
    obs = obs[obs["route"].isin(ROUTES)]
    totals = obs.groupby(["route", obs["month"].dt.year])["detections"].sum()
    return {route: {int(y): float(v) for y, v in totals[route].items()} for route in ROUTES
            if route in totals.index.get_level_values(0)}


def simulated_totals(by_route: pd.DataFrame) -> dict[str, dict[int, float]]:
    """route -> year -> the mean detections, from (nationality, route) rows x year columns."""
    routes = by_route.groupby(level="route").sum()
    return {route: {int(y): float(v) for y, v in routes.loc[route].items()} for route in ROUTES if route in routes.index}


def update_routes(prefs: dict[int, dict[str, float]], observed: dict[str, dict[int, float]],
                  simulated: dict[str, dict[int, float]], spread: float,
                  damping: float = 0.7) -> dict[int, dict[str, float]]:
    """One damped step of the crossings' preference by year of each route of ROUTES towards its detections
    that year (`leg_preferences_by_year`): damping x route spread x log(simulated / observed), bounded as the
    land/sea split's. Legs and years not fitted keep their figures; every year observed is listed."""
    out = {int(y): dict(legs) for y, legs in prefs.items()}
    limit = LIMIT_SPREADS * spread
    for route, legs in ROUTES.items():
        got = simulated.get(route, {})
        for year, obs in sorted(observed.get(route, {}).items()):
            figures = out.setdefault(year, {})
            now = float(np.mean([figures.get(leg, 0.0) for leg in legs]))
            sim = got.get(year, 0.0)
            if min(obs, sim) >= MIN_ROUTE_DETECTIONS:
                log_err = math.log(sim / obs)
                now = float(np.clip(now + damping * spread * float(np.clip(log_err, -MAX_LOG, MAX_LOG)), -limit, limit))
            for leg in legs:
                figures[leg] = round(now, 1)
    return out


__all__ = ["FITTED", "ROUTES", "observed_split", "observed_totals", "simulated_split", "simulated_totals",
           "update_land", "update_routes"]
