"""Runs of the replay for the history commands: an ensemble of seeds, optionally with some measures
removed (the ablation), through sim/execute.py's runner. Each run hands back only its detections per
corridor and calendar month."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..execute import Job, run_jobs
from ..files import ROOT
from ..model.yearly import latest_year
from ..scenario import parse_scenario, scenario_data


def monthly_detections(results) -> dict:
    """What a replay job keeps: detections per corridor and month (module level: workers receive it)."""
    m = results.tables["monthly"]
    return {"month": m["month"].dt.strftime("%Y-%m-01").tolist(), "corridor": m["corridor"].tolist(),
            "detections": m["detections"].astype(float).tolist()}


def without(data: dict, prefix: str | None) -> dict:
    """The scenario mapping with the measures whose name starts with `prefix` removed."""
    if not prefix:
        return data
    out = dict(data)
    for group in ("interventions", "events"):
        out[group] = [lv for lv in data.get(group) or [] if not str(lv.get("name") or "").startswith(prefix)]
    return out


# the fields that change only on 1 January (sim/model/yearly.py): per key, whether the year is the outer key
# ({year: {...}}) or each entry's ({origin: {year: ...}})
YEARLY_FIELDS = {"demand_by_year": False, "destinations_by_year": False,
                 "nationality_preferences_by_year": True, "leg_preferences_by_year": True}


def held(data: dict, first: int, last: int) -> dict:
    """The scenario mapping with every year from `first` + 1 to `last` taking `first`'s demand, route and leg
    preferences and destinations' appeal, and every later year its own as before: what the episode's windows
    would see if the new years brought nothing new (the other part of a change that the ablation leaves)."""
    out = dict(data)
    for key, year_outside in YEARLY_FIELDS.items():
        value = data.get(key) or {}
        if not value:
            continue
        if year_outside:
            out[key] = _held_years(value, first, last)
        else:
            out[key] = {name: _held_years(by_year, first, last) for name, by_year in value.items()}
    return out


def _held_years(by_year: dict, first: int, last: int) -> dict:
    # each year takes the figure the model would read for it (sim/model/yearly.py)
    keep = {int(y): v for y, v in by_year.items()}
    out = dict(keep)
    for year in range(first + 1, last + 1):
        out[year] = keep[latest_year(keep, first)]
    # the year after keeps the figure it had (a year not listed took the latest before it, now a held one)
    if last + 1 not in keep:
        out[last + 1] = keep[latest_year(keep, last + 1)]
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class Variant:
    """A rerun of the replay: without the measures named with `prefix` (None: all kept) and, with `hold`
    (first, last), with the years after `first` up to `last` holding `first`'s yearly figures."""
    prefix: str | None = None
    hold: tuple[int, int] | None = None

    def apply(self, data: dict) -> dict:
        data = without(data, self.prefix)
        return held(data, *self.hold) if self.hold else data


def measures_named(data: dict, prefix: str) -> int:
    return sum(str(lv.get("name") or "").startswith(prefix) for g in ("interventions", "events")
               for lv in data.get(g) or [])


def seeds(path: Path, replicates: int, first: int | None = None) -> list[int]:
    """The ensemble's seeds: `replicates` in a row from `first` (default: the scenario's seed, as the
    validation page's tables use)."""
    base = parse_scenario(scenario_data(path), path).seed if first is None else first
    return [base + i for i in range(replicates)]


def run_seeds(path: Path, variants: dict[str, str | Variant | None], *, replicates: int, scale: int,
              days: int | None = None, workers: int = 1, progress=None,
              first_seed: int | None = None) -> dict[str, list[pd.DataFrame]]:
    """variant name -> one frame of detections per (month, corridor) for each seed, in the seeds' order (from
    `first_seed`, default the scenario's; the same seeds for every variant, so that seeds pair up); a variant
    removes the measures named with its prefix (None: the replay as it is), or is a Variant."""
    data = scenario_data(path)
    seed_list = seeds(path, replicates, first_seed)
    jobs, keys = [], []
    for name, variant in variants.items():
        variant = variant if isinstance(variant, Variant) else Variant(variant)
        scenario = variant.apply(data)
        for seed in seed_list:
            jobs.append(Job(scenario=scenario, seed=seed, days=days, scale=scale,
                            keep=monthly_detections, source=str(path)))
            keys.append(name)
    out: dict[str, list] = {}
    for key, frame in zip(keys, seed_frames(run_jobs(jobs, workers=workers, progress=progress))):
        out.setdefault(key, []).append(frame)
    return out


def seed_frames(runs: list[dict]) -> list[pd.DataFrame]:
    """Each run's detections per month and corridor (columns month, corridor, detections)."""
    return [pd.DataFrame({k: r[k] for k in ("month", "corridor", "detections")})
            .assign(month=lambda f: pd.to_datetime(f["month"])) for r in runs]


def ensemble_mean(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The mean over seeds, the lowest and highest seed (the chart's band), and the seeds' standard deviation
    (how far the mean may move with other seeds: the guards allow for it)."""
    return (pd.concat(frames).groupby(["month", "corridor"], as_index=False)["detections"]
            .agg(detections="mean", low="min", high="max", sd="std"))


def run_variants(path: Path, variants: dict[str, str | Variant | None], *, replicates: int, scale: int,
                 days: int | None = None, workers: int = 1, progress=None,
                 first_seed: int | None = None) -> dict[str, pd.DataFrame]:
    """variant name -> mean detections per (month, corridor) over the same seeds (run_seeds, ensemble_mean)."""
    runs = run_seeds(path, variants, replicates=replicates, scale=scale, days=days, workers=workers,
                     progress=progress, first_seed=first_seed)
    return {k: ensemble_mean(v) for k, v in runs.items()}


def fingerprint(path: Path, *files: Path) -> str:
    """A short hash of the replay's resolved scenario and the observed files: what the generated tables
    in docs/validation.md were computed from (its staleness test recomputes it)."""
    text = json.dumps(scenario_data(path), sort_keys=True, default=str)
    # the resolved scenario holds absolute paths: hash them relative to the project, so that a clone
    # elsewhere (CI, another machine) computes the same fingerprint
    h = hashlib.sha256(text.replace(str(ROOT), "<project>").encode())
    for f in files:
        h.update(Path(f).read_bytes())
    return h.hexdigest()[:12]
