"""Runs of the replay for the history commands: an ensemble of seeds, optionally with some measures
removed (the ablation), through sim/execute.py's runner. Each run hands back only its detections per
corridor and calendar month."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from ..execute import Job, run_jobs
from ..files import ROOT
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


def measures_named(data: dict, prefix: str) -> int:
    return sum(str(lv.get("name") or "").startswith(prefix) for g in ("interventions", "events")
               for lv in data.get(g) or [])


def seeds(path: Path, replicates: int, first: int | None = None) -> list[int]:
    """The ensemble's seeds: `replicates` in a row from `first` (default: the scenario's seed, as the
    validation page's tables use)."""
    base = parse_scenario(scenario_data(path), path).seed if first is None else first
    return [base + i for i in range(replicates)]


def run_variants(path: Path, variants: dict[str, str | None], *, replicates: int, scale: int,
                 days: int | None = None, workers: int = 1, progress=None,
                 first_seed: int | None = None) -> dict[str, pd.DataFrame]:
    """variant name -> mean detections per (month, corridor) over the same seeds (from `first_seed`,
    default the scenario's); a variant removes the measures named with its prefix (None: the replay as
    it is)."""
    data = scenario_data(path)
    seed_list = seeds(path, replicates, first_seed)
    jobs, keys = [], []
    for name, prefix in variants.items():
        for seed in seed_list:
            jobs.append(Job(scenario=without(data, prefix), seed=seed, days=days, scale=scale,
                            keep=monthly_detections, source=str(path)))
            keys.append(name)
    out: dict[str, list] = {}
    for key, res in zip(keys, run_jobs(jobs, workers=workers, progress=progress)):
        frame = pd.DataFrame({k: res[k] for k in ("month", "corridor", "detections")})
        out.setdefault(key, []).append(frame)
    # the mean over seeds, the lowest and highest seed (the chart's band), and the seeds' standard deviation
    # (how far the mean may move with other seeds: the guards allow for it)
    return {k: (pd.concat(v).assign(month=lambda f: pd.to_datetime(f["month"]))
                .groupby(["month", "corridor"], as_index=False)["detections"]
                .agg(detections="mean", low="min", high="max", sd="std")) for k, v in out.items()}


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
