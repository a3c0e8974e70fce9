"""Fitting response parameters (fields of behaviour.effects) to monthly detections with a shock.

A coordinate search over a grid per parameter: each candidate value is run on the same seeds, scored,
and the best kept before the next parameter; `rounds` passes over all parameters. The score is the mean
over corridors of the averaged relative difference of monthly detections (the replay's target measure),
plus, for the replay, the mean absolute error of the episodes' changes and the mean relative error of the
sea arrivals in Greece, Italy and Cyprus by year (UNHCR, sim/history/sea.py). Small and transparent on purpose:
each evaluation is a whole ensemble of long runs, so the grid stays coarse.

The replay's demand by origin and year and its routes by year are fitted in demand_fit.py, its
seasonality in season_fit.py (docs/validation.md)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..execute import Job, run_jobs
from .ensemble import monthly_detections, seed_frames


@dataclass
class Fit:
    values: dict[str, float]
    score: float
    trials: list[dict] = field(default_factory=list)  # every evaluation: values and score
    data: dict | None = None  # with refit: the scenario mapping the best values were scored with


def with_effects(data: dict, values: dict[str, float]) -> dict:
    """The scenario mapping with `values` set: fields of behaviour.effects go there, the other names are
    fields of behaviour itself (interception_cost_eur, ...)."""
    from ..effects import Effects

    out = copy.deepcopy(data)
    behaviour = out.setdefault("behaviour", {})
    for name, value in values.items():
        if name in Effects.model_fields:
            behaviour.setdefault("effects", {})[name] = value
        else:
            behaviour[name] = value
    return out


def current_value(data: dict, name: str) -> float:
    """A response parameter's value in a scenario mapping (its default where the mapping sets none)."""
    from ..effects import Effects
    from ..scenario import Behaviour

    behaviour = data.get("behaviour") or {}
    if name in Effects.model_fields:
        return float((behaviour.get("effects") or {}).get(name, Effects.model_fields[name].default))
    return float(behaviour.get(name, Behaviour.model_fields[name].default))


def simulate(data: dict, source: str, seeds: list[int], *, scale: int, days: int | None, workers: int = 1,
             progress=None) -> pd.DataFrame:
    """Mean detections per corridor and month over the seeds."""
    jobs = [Job(scenario=data, seed=s, days=days, scale=scale, keep=monthly_detections, source=source) for s in seeds]
    return _mean_monthly(run_jobs(jobs, workers=workers, progress=progress))


def simulate_figures(data: dict, source: str, seeds: list[int], *, scale: int, days: int | None,
                     workers: int = 1, border: bool = False, per_seed: bool = False):
    """Mean detections per corridor and month, and mean sea arrivals by country and year, over the seeds
    (and with `border`, the mean detections by corridor, border and year: sim/history/sea.py; with
    `per_seed`, last, each seed's detections per corridor and month: what sim.history.monthly.seed_ranges
    resamples)."""
    from .sea import mean_border, mean_sea, replay_figures

    jobs = [Job(scenario=data, seed=s, days=days, scale=scale, keep=replay_figures, source=source) for s in seeds]
    runs = run_jobs(jobs, workers=workers)
    out = (_mean_monthly(runs), mean_sea(runs)) + ((mean_border(runs),) if border else ())
    return out + ((seed_frames(runs),) if per_seed else ())


def _mean_monthly(runs: list[dict]) -> pd.DataFrame:
    return pd.concat(seed_frames(runs)).groupby(["month", "corridor"], as_index=False)["detections"].mean()


def route_ards(sim: pd.DataFrame, observed: pd.DataFrame) -> pd.Series:
    """Averaged relative difference of monthly detections per corridor (months with observed detections)."""
    both = observed.merge(sim, on=["corridor", "month"], how="left", suffixes=("_obs", "_sim")).fillna(0.0)
    both = both[both["detections_obs"] > 0]
    rel = (both["detections_sim"] - both["detections_obs"]).abs() / both["detections_obs"]
    return rel.groupby(both["corridor"]).mean()


def monthly_ard(sim: pd.DataFrame, observed: pd.DataFrame) -> float:
    """Mean over corridors of the averaged relative difference (months with observed detections)."""
    return float(route_ards(sim, observed).mean())


def fit_effects(data: dict, source: str, observed: pd.DataFrame, grid: dict[str, list[float]], *, seeds: list[int],
                scale: int, days: int | None = None, rounds: int = 1, workers: int = 1, extra_score=None,
                refit=None, log=None, sea_score=None) -> Fit:
    """Coordinate search of response parameters (behaviour.effects fields, or behaviour fields) on `grid`
    against `observed` (corridor, month, detections). `extra_score(sim)` adds to the score (the replay's
    episodes), and `sea_score(sea)` (sea arrivals by country and year, sim/history/sea.py) too when given.
    `refit(data) -> data`, when given, refits what the levels depend on (the replay's demand) for each
    candidate before it is scored, so that a response is not judged on levels fitted for another."""
    # start from the scenario's own values (the defaults where it sets none)
    current = {name: current_value(data, name) for name in grid}
    trials, cache, fitted = [], {}, {}

    def score(values):
        key = tuple(sorted(values.items()))
        if key not in cache:
            trial = with_effects(data, values)
            if refit is not None:
                trial = refit(trial)
                fitted[key] = trial
            if sea_score is not None:
                sim, sea = simulate_figures(trial, source, seeds, scale=scale, days=days, workers=workers)
            else:
                sim, sea = simulate(trial, source, seeds, scale=scale, days=days, workers=workers), None
            s = (monthly_ard(sim, observed) + (extra_score(sim) if extra_score else 0.0)
                 + (sea_score(sea) if sea_score is not None else 0.0))
            cache[key] = s
            trials.append({**values, "score": s})
            if log:
                log(f"  {values} -> {s:.3f}")
        return cache[key]

    best = score(current)
    for _ in range(rounds):
        for name, values in grid.items():
            for v in values:
                candidate = {**current, name: float(v)}
                s = score(candidate)
                if s < best - 1e-12:
                    best, current = s, candidate
    best_data = fitted.get(tuple(sorted(current.items())))
    return Fit(values=current, score=best, trials=trials, data=best_data)


def replay_observed(first_year: int = 2016, last_year: int = 2023) -> pd.DataFrame:
    """The monthly Frontex series as corridors of the network (each main route is one corridor)."""
    from .data import monthly_observed, route_corridors

    corridors = route_corridors()
    obs = monthly_observed(first_year, last_year)
    obs = obs[obs["route"].map(lambda r: len(corridors.get(r, [])) == 1)]
    return obs.assign(corridor=obs["route"].map(lambda r: corridors[r][0]))[["corridor", "month", "detections"]]


def episode_error(sim: pd.DataFrame) -> float:
    """Mean absolute error of the episodes' changes (a wrong-direction displacement counts 1)."""
    from .episodes import episode_rows

    errors = []
    for r in episode_rows({"replay": sim}):
        if r["simulated"] is None or r["observed"] is None:
            continue
        ep = r["episode"]
        errors.append(float((r["simulated"] > 0) != (r["observed"] > 0)) if ep.displacement
                      else abs(r["simulated"] - r["observed"]))
    return float(np.mean(errors)) if errors else 0.0


# what the replay's calibration varies: how strongly people react to the measures of the episodes (the
# perceived cost of being intercepted, giving up after a pushback or a return) and how strongly the
# measures act (enforcement from operational cooperation, capacity building)
REPLAY_GRID = {
    "interception_cost_eur": [1500.0, 3000.0, 6000.0, 12000.0],
    "cooperation_enforcement": [0.6, 1.5, 3.0, 5.0],
    # arrests of network members under operational cooperation: smugglers stopped before departure rather
    # than boats intercepted (the July 2017 fall came with a 2023 interception share of 40 %, UNODC)
    "cooperation_arrests": [2.0, 5.0, 10.0, 20.0],
    # new networks deterred by the arrests a cooperation adds (the Balkan crackdown, the statement's
    # Aegean): no effect without a measure, so the 2023 fit does not move with it
    "arrests_deter_entry": [0.0, 1.0, 2.0, 5.0],
    "pushback_gives_up": [0.0, 0.2, 0.5, 0.8],
    "readmission_gives_up": [0.0, 0.5, 0.9, 1.0],
    "transit_gives_up": [0.0, 0.1, 0.3, 0.6],
    "capacity_building_gap": [0.3, 0.6, 0.9],
    # p = min(0.95, share x intensity) of the arrivals on the Greek islands returned to Turkey (the replay's
    # EU-Turkey measure has intensity 2): the statement's threat against the few returns it made
    "readmission_share": [0.05, 0.1, 0.25, 0.5],
    # how fast capacity building takes effect (days before it starts, days to ramp up): the Libyan build-up
    # of 2017 and the Italy-Libya ablation share (docs/replay_log.md, sixth session)
    "capacity_lag_days": [0.0, 30.0, 90.0],
    "capacity_ramp_days": [30.0, 60.0, 180.0],
}


def search_grid(grid: dict[str, list[float]], only: str) -> dict[str, list[float]]:
    """The part of `grid` named in `only` (comma-separated; empty: all of it)."""
    from ..errors import InputError

    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in grid]
    if unknown:
        raise InputError(None, "--only", f"{', '.join(unknown)} not in the search grid (one of: {', '.join(grid)})")
    return {n: grid[n] for n in names} if names else dict(grid)


def write_effects(path: Path, values: dict[str, float], note: str) -> None:
    """Put the fitted response parameters into the replay's calibrated file (behaviour.effects, or behaviour
    for its own fields), keeping the rest; written then renamed."""
    import yaml

    from ..files import atomic_write

    text = path.read_text()
    header = "".join(line + "\n" for line in text.splitlines()
                     if line.startswith("#") and not line.startswith("# behaviour.effects:"))
    body = with_effects(yaml.safe_load(text) or {}, {k: round(v, 4) for k, v in values.items()})
    out = header + f"# behaviour.effects: {note}\n" + yaml.safe_dump(body, sort_keys=False)
    atomic_write(path, lambda p: Path(p).write_text(out))
