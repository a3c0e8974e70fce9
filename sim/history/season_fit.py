"""Fitting the replay's seasonality (`behaviour.seasonality`) to Frontex's monthly detections.

The first multipliers are the observed month shares (`python -m sim.seasonality`). They act on departures
from the origins (sim/model/seasons.py), and people take weeks to months to reach the border, so the
simulated months lag the multipliers and the journeys smooth them: the replay's month shares are flatter
than the observed and about a month late on the Central and Eastern Mediterranean. Each step compares,
per route of FITTED_ROUTES, the simulated month shares (the same mean over the route-years no shock distorts as the
observed ones, sim/seasonality.py) with the observed, finds the lag (in months, 0 to MAX_LAG) at which the
multipliers best match the simulated shares, and moves each month's multiplier by the damped ratio of
observed to simulated share `lag` months later; the multipliers are then scaled to average 1 (so a year's
total is left to the demand) and kept within BOUNDS. The lag is read at the first step and kept (on a route
with a weak season it would jump between steps). Every step's multipliers are run, and each route keeps
those of the step with its lowest monthly ARD, the start included: on the fit's seeds no route ends worse
than it started (a route whose months are mostly noise at the fit's scale keeps the observed shares)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..seasonality import MONTHLY, month_shares
from .data import route_corridors
from .fit import replay_observed, route_ards

MAX_LAG = 3
BOUNDS = (0.05, 5.0)
# the Mediterranean sea routes: their season is the sea's, and their months hold thousands of detections, so
# a step reads the model's season and not its noise at the fit's scale. The others keep the observed shares:
# the Western African route's months of 2016-2019 hold a few dozen detections (under one model entry at
# scale 100), and the land routes' months move with pushbacks and with the turn of the year's demand more
# than with the weather (fitted, their multipliers came out jagged: docs/replay_log.md)
FITTED_ROUTES = ("CMR", "EMR", "WMR")


@dataclass
class SeasonFit:
    seasonality: dict[str, list[float]]
    history: list[dict] = field(default_factory=list)  # per step: the monthly ARD, overall and per corridor
    kept_step: dict[str, int] = field(default_factory=dict)  # per corridor: the step whose multipliers it keeps


def observed_shares() -> pd.DataFrame:
    """Route code x month 1-12: Frontex's mean month shares (unshocked route-years of 2016-2023)."""
    return month_shares(pd.read_csv(MONTHLY))


def simulated_shares(sim: pd.DataFrame, routes: dict[str, list[str]]) -> pd.DataFrame:
    """The same shares from simulated monthly detections (month, corridor, detections)."""
    corridor_route = {c: code for code, cs in routes.items() for c in cs}
    frame = sim[sim["corridor"].isin(list(corridor_route))]
    frame = pd.DataFrame({"route_code": frame["corridor"].map(corridor_route).to_numpy(),
                          "year": frame["month"].dt.year.to_numpy(), "month": frame["month"].dt.month.to_numpy(),
                          "detections": frame["detections"].to_numpy(float)})
    return month_shares(frame)


def lag_months(multipliers: np.ndarray, simulated: np.ndarray) -> int:
    """The delay (months) at which the multipliers best match the simulated shares (highest correlation)."""
    if np.allclose(simulated, simulated.mean()) or np.allclose(multipliers, multipliers.mean()):
        return 0
    corr = [np.corrcoef(np.roll(multipliers, k), simulated)[0, 1] for k in range(MAX_LAG + 1)]
    return int(np.nanargmax(corr))


def update_seasons(seasons: dict[str, list[float]], observed: pd.DataFrame, simulated: pd.DataFrame,
                   routes: dict[str, list[str]], damping: float = 0.7,
                   lags: dict[str, int] | None = None) -> tuple[dict[str, list[float]], dict]:
    """One damped step of every main route's multipliers; returns them and each route's lag (read from the
    multipliers and the simulated shares unless given in `lags`)."""
    out = {c: list(m) for c, m in seasons.items()}
    lags_in, lags = dict(lags or {}), {}
    for code, corridors in routes.items():
        if code not in observed.index or code not in simulated.index:
            continue
        obs, sim = observed.loc[code].to_numpy(float), simulated.loc[code].to_numpy(float)
        for corridor in corridors:
            if corridor not in seasons:
                continue
            m = np.asarray(seasons[corridor], float)
            lag = lags_in[code] if code in lags_in else lag_months(m, sim)
            lags[code] = lag
            # the multiplier of month k shows in the detections of month k + lag
            later = (np.arange(12) + lag) % 12
            ratio = (obs[later] + 1e-6) / (sim[later] + 1e-6)
            new = np.clip(m * ratio ** damping, *BOUNDS)
            new = np.clip(new / new.mean(), *BOUNDS)
            out[corridor] = [round(float(x), 3) for x in new]
    return out, lags


def month_factors(sim: pd.DataFrame, monthly: pd.DataFrame, corridor: str) -> np.ndarray:
    """Per calendar month, the factor on the simulated detections of that month that gives the least ARD
    over the years (months with detections observed and simulated): the median of observed / simulated, each
    year weighted by simulated / observed, which is what the ARD's terms |f s - o| / o weigh. 1 where no
    year has both."""
    both = monthly[monthly["corridor"] == corridor].merge(sim[sim["corridor"] == corridor], on=["corridor", "month"],
                                                          suffixes=("_obs", "_sim"))
    both = both[(both["detections_obs"] > 0) & (both["detections_sim"] > 0)]
    out = np.ones(12)
    for m, rows in both.groupby(both["month"].dt.month):
        ratio = (rows["detections_obs"] / rows["detections_sim"]).to_numpy(float)
        weight = (rows["detections_sim"] / rows["detections_obs"]).to_numpy(float)
        order = np.argsort(ratio)
        cum = np.cumsum(weight[order])
        out[m - 1] = ratio[order][np.searchsorted(cum, cum[-1] / 2)]
    return out


def update_seasons_ard(seasons: dict[str, list[float]], monthly: pd.DataFrame, sim: pd.DataFrame,
                       routes: dict[str, list[str]], lags: dict[str, int], damping: float = 0.7) -> dict:
    """One damped step of each route's multipliers towards the least ARD: month k's multiplier moves by the
    factor (month_factors) of the month its departures show in (`lags[code]` months later), then all are
    scaled to average 1 (the year's total is the demand's) and kept within BOUNDS."""
    out = {c: list(m) for c, m in seasons.items()}
    for code, corridors in routes.items():
        for corridor in corridors:
            if corridor not in seasons:
                continue
            m = np.asarray(seasons[corridor], float)
            later = (np.arange(12) + lags.get(code, 0)) % 12
            new = np.clip(m * month_factors(sim, monthly, corridor)[later] ** damping, *BOUNDS)
            new = np.clip(new / new.mean(), *BOUNDS)
            out[corridor] = [round(float(x), 3) for x in new]
    return out


def fit_seasons(data: dict, source: str, *, seeds: list[int], scale: int, steps: int, workers: int = 1,
                damping: float = 0.7, log=None, target: str = "shares",
                fitted_routes: tuple[str, ...] = FITTED_ROUTES) -> SeasonFit:
    """`steps` damped steps of `data["behaviour"]["seasonality"]` on the replay (the same seeds each step);
    each corridor keeps the multipliers of its best step. `target` "shares" moves the simulated mean month
    shares towards Frontex's (update_seasons); "ard" moves each month towards the factor that gives the least
    ARD (update_seasons_ard, the lags read as for "shares" at the first step)."""
    from .fit import simulate

    if target not in ("shares", "ard"):
        raise ValueError(f"season target {target!r}: 'shares' or 'ard'")
    routes = {code: cs for code, cs in route_corridors().items() if code in fitted_routes}
    observed = observed_shares()
    monthly = replay_observed()
    seasons = {c: list(m) for c, m in ((data.get("behaviour") or {}).get("seasonality") or {}).items()}
    fitted = {c for cs in routes.values() for c in cs}
    best = {c: (np.inf, list(m), -1) for c, m in seasons.items() if c in fitted}
    fit = SeasonFit(seasonality=seasons)
    lags = None
    for i in range(steps + 1):
        trial = {**data, "behaviour": {**(data.get("behaviour") or {}), "seasonality": seasons}}
        sim = simulate(trial, source, seeds, scale=scale, days=None, workers=workers)
        ards = route_ards(sim, monthly)
        for corridor, ard in ards.items():
            if corridor in best and ard < best[corridor][0]:
                best[corridor] = (float(ard), list(seasons[corridor]), i)
        fit.history.append({"step": i, "monthly_ard": float(ards.mean()), "route_ards": ards.round(3).to_dict()})
        if log:
            log(f"season step {i}: monthly ARD {ards.mean():.3f} ("
                + ", ".join(f"{c} {a:.2f}" for c, a in ards.items()) + ")")
        if i == steps:
            break
        if target == "ard":
            if lags is None:  # the lags as the shares' step reads them, its multipliers left aside
                _, lags = update_seasons(seasons, observed, simulated_shares(sim, routes), routes, damping)
            seasons = update_seasons_ard(seasons, monthly, sim, routes, lags, damping)
        else:
            seasons, lags = update_seasons(seasons, observed, simulated_shares(sim, routes), routes, damping, lags)
        if i == 0 and log:
            log("lags (months), kept: " + ", ".join(f"{k} {v}" for k, v in lags.items()))
    fit.seasonality = {**seasons, **{c: m for c, (_, m, _) in best.items()}}
    fit.kept_step = {c: i for c, (_, _, i) in best.items()}
    if log:
        log("kept: " + ", ".join(f"{c} step {i}" for c, i in fit.kept_step.items()))
    return fit


def write_seasonality(path, seasons: dict[str, list[float]], note: str) -> None:
    """Put the fitted multipliers into the replay's calibrated file (behaviour.seasonality), keeping the rest;
    written then renamed."""
    from pathlib import Path

    import yaml

    from ..files import atomic_write

    path = Path(path)
    text = path.read_text()
    header = "".join(line + "\n" for line in text.splitlines()
                     if line.startswith("#") and not line.startswith("# behaviour.seasonality:"))
    body = yaml.safe_load(text) or {}
    body.setdefault("behaviour", {})["seasonality"] = {c: [float(x) for x in m] for c, m in seasons.items()}
    out = header + f"# behaviour.seasonality: {note}\n" + yaml.safe_dump(body, sort_keys=False)
    atomic_write(path, lambda p: Path(p).write_text(out))


__all__ = ["SeasonFit", "fit_seasons", "lag_months", "month_factors", "observed_shares", "simulated_shares",
           "update_seasons", "update_seasons_ard", "write_seasonality"]
