"""Fitting response parameters (fields of behaviour.effects) to monthly detections with a shock.

A coordinate search over a grid per parameter: each candidate value is run on the same seeds, scored,
and the best kept before the next parameter; `rounds` passes over all parameters. The score is the mean
over corridors of the averaged relative difference of monthly detections (the replay's target measure),
plus, for the replay, the mean absolute error of the episodes' changes. Small and transparent on purpose:
each evaluation is a whole ensemble of long runs, so the grid stays coarse.

Not fitted here (yet): demand by origin and year, and seasonality; the replay reads the first demand
and the seasonality of data/history (see docs/validation.md)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..execute import Job, run_jobs
from .ensemble import monthly_detections


@dataclass
class Fit:
    values: dict[str, float]
    score: float
    trials: list[dict] = field(default_factory=list)  # every evaluation: values and score


def with_effects(data: dict, values: dict[str, float]) -> dict:
    out = copy.deepcopy(data)
    effects = out.setdefault("behaviour", {}).setdefault("effects", {})
    effects.update(values)
    return out


def simulate(data: dict, source: str, seeds: list[int], *, scale: int, days: int | None, workers: int = 1,
             progress=None) -> pd.DataFrame:
    """Mean detections per corridor and month over the seeds."""
    jobs = [Job(scenario=data, seed=s, days=days, scale=scale, keep=monthly_detections, source=source) for s in seeds]
    frames = [pd.DataFrame({k: r[k] for k in ("month", "corridor", "detections")})
              for r in run_jobs(jobs, workers=workers, progress=progress)]
    out = pd.concat(frames).assign(month=lambda f: pd.to_datetime(f["month"]))
    return out.groupby(["month", "corridor"], as_index=False)["detections"].mean()


def monthly_ard(sim: pd.DataFrame, observed: pd.DataFrame) -> float:
    """Mean over corridors of the averaged relative difference (months with observed detections)."""
    both = observed.merge(sim, on=["corridor", "month"], how="left", suffixes=("_obs", "_sim")).fillna(0.0)
    both = both[both["detections_obs"] > 0]
    rel = (both["detections_sim"] - both["detections_obs"]).abs() / both["detections_obs"]
    return float(rel.groupby(both["corridor"]).mean().mean())


def fit_effects(data: dict, source: str, observed: pd.DataFrame, grid: dict[str, list[float]], *, seeds: list[int],
                scale: int, days: int | None = None, rounds: int = 1, workers: int = 1, extra_score=None,
                log=None) -> Fit:
    """Coordinate search of behaviour.effects values on `grid` against `observed` (corridor, month,
    detections). `extra_score(sim)` adds to the score (the replay's episodes)."""
    from ..effects import Effects

    # start from the scenario's own values (the defaults where it sets none)
    given = (data.get("behaviour") or {}).get("effects") or {}
    current = {name: float(given.get(name, Effects.model_fields[name].default)) for name in grid}
    trials, cache = [], {}

    def score(values):
        key = tuple(sorted(values.items()))
        if key not in cache:
            sim = simulate(with_effects(data, values), source, seeds, scale=scale, days=days, workers=workers)
            s = monthly_ard(sim, observed) + (extra_score(sim) if extra_score else 0.0)
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
    return Fit(values=current, score=best, trials=trials)


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


# what the replay's calibration varies: the response parameters the episodes' levers use
REPLAY_GRID = {
    "readmission_share": [0.2, 0.5, 0.9],
    "cooperation_enforcement": [0.6, 1.5, 3.0],
    "visa_refusal": [0.5, 0.9, 1.0],
}


def write_effects(path: Path, values: dict[str, float], note: str) -> None:
    """Put the fitted effects into the replay's calibrated file (behaviour.effects), keeping the rest."""
    import yaml

    text = path.read_text()
    header = "".join(line + "\n" for line in text.splitlines()
                     if line.startswith("#") and not line.startswith("# behaviour.effects:"))
    body = yaml.safe_load(text) or {}
    body.setdefault("behaviour", {}).setdefault("effects", {}).update({k: round(v, 4) for k, v in values.items()})
    path.write_text(header + f"# behaviour.effects: {note}\n" + yaml.safe_dump(body, sort_keys=False))
