"""A run's tables pivoted to per-day arrays (day x leg, place or country), and the views of one day over a
window of days that the maps show. Data preparation only: nothing here draws."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


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


def all_windows_max(cum: np.ndarray, window: int) -> float:
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

