"""Ensembles and comparisons with common random numbers: both arms run with the same seeds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import InputError
from .execute import Job, run_jobs
from .scenario import Scenario
from .stats import interval, level_interval
from .vocabulary import KPIS


def summary_only(res) -> dict:
    """What an ensemble of single-scenario runs keeps: the KPIs overall and per corridor (no tables)."""
    return {"overall": {k: res.summary["overall"].get(k) for k in KPIS},
            "corridors": {c: dict(v) for c, v in res.summary["corridors"].items()},
            "transit_corridors": list(res.summary.get("transit_corridors", []))}


def summarise(res) -> dict:
    """What an ensemble keeps of one run by default: the KPIs, per-corridor totals and the daily table."""
    return {**summary_only(res), "daily": res.tables["daily"]}


def ensemble_summary(runs: list[dict]) -> dict:
    """Mean and 95 % interval of the mean (run-to-run variation, lower bound clipped at zero) of every KPI,
    overall and per corridor, over an ensemble of runs of one scenario (each as kept by `summary_only` or
    `summarise`, with its seed)."""
    def band(values):
        mean, low, high = level_interval(values)  # KPIs and corridor totals are counts and euros
        return {"mean": mean, "low": low, "high": high}

    corridors = sorted({c for r in runs for c in r["corridors"]})
    measures = sorted({m for r in runs for v in r["corridors"].values() for m in v})
    return {
        "replicates": len(runs),
        "seeds": [int(r["seed"]) for r in runs],
        "overall": {k: band([r["overall"].get(k) for r in runs]) for k in KPIS},
        "corridors": {c: {m: band([r["corridors"].get(c, {}).get(m) for r in runs]) for m in measures}
                      for c in corridors},
        "transit_corridors": sorted({c for r in runs for c in r.get("transit_corridors", [])}),
    }


def run_ensemble(scenario: Scenario, seeds, *, days=None, scale=None, workers: int = 1, scheduler=None,
                 progress=None, measure=summarise):
    """Run one scenario once per seed (see sim.execute); the same seed gives the same run whatever the
    engine and worker count. `measure(results) -> dict` chooses what is kept of each run (a module-level
    function, so that worker processes can receive it); each run comes back with its seed."""
    jobs = [Job(scenario, int(s), days=days, scale=scale, keep=measure) for s in seeds]
    return run_jobs(jobs, workers=workers, scheduler=scheduler, progress=progress)


@dataclass
class Comparison:
    kpis: pd.DataFrame  # per KPI: mean of each arm, mean difference (B - A) and its 95 % interval
    displacement: pd.DataFrame  # per corridor: change in attempts, crossings, deaths and detections, with intervals
    cost_effectiveness: dict
    arms: list


def compare_runs(runs_a: list, runs_b: list) -> Comparison:
    """Paired differences of two ensembles run with the same seeds."""
    seeds_a, seeds_b = [r["seed"] for r in runs_a], [r["seed"] for r in runs_b]
    if seeds_a != seeds_b:
        raise ValueError("both arms must use the same seeds (common random numbers)")
    rows = []
    for k in KPIS:
        a = [r["overall"][k] for r in runs_a]
        b = [r["overall"][k] for r in runs_b]
        diff = [None if x is None or y is None else y - x for x, y in zip(a, b)]
        ma, mb, (md, lo, hi) = interval(a)[0], interval(b)[0], interval(diff)
        rows.append({"kpi": k, "a": ma, "b": mb, "difference": md, "low": lo, "high": hi})
    kpis = pd.DataFrame(rows)
    corridors = sorted(set(runs_a[0]["corridors"]) | set(runs_b[0]["corridors"]))
    disp = []
    for c in corridors:
        row = {"corridor": c}
        for m in ("attempts", "crossings", "deaths", "detections"):
            d = [rb["corridors"].get(c, {}).get(m, 0) - ra["corridors"].get(c, {}).get(m, 0)
                 for ra, rb in zip(runs_a, runs_b)]
            row[m], row[f"{m}_low"], row[f"{m}_high"] = interval(d)
        # what A had, for the relative change a planner compares with history (Frontex counts detections)
        row["detections_a"] = float(np.mean([ra["corridors"].get(c, {}).get("detections", 0) for ra in runs_a]))
        disp.append(row)
    displacement = pd.DataFrame(disp)
    return Comparison(kpis, displacement, cost_effectiveness(runs_a, runs_b), [runs_a, runs_b])


def cost_effectiveness(runs_a, runs_b) -> dict:
    """Extra cost of B per death, per irregular crossing (a detection at the bloc's border) and per irregular
    crossing attempt (setting off on a controlled or smuggled leg, anywhere on the route) it avoids, with
    the interval of the denominator."""
    out = {}
    extra = interval([rb["overall"]["cost_eur"] - ra["overall"]["cost_eur"] for ra, rb in zip(runs_a, runs_b)])[0]
    out["extra_cost_eur"] = extra
    for name, key in (("death", "deaths"), ("irregular_crossing", "detections"),
                      ("irregular_crossing_attempt", "attempts")):
        avoided, lo, hi = interval([ra["overall"][key] - rb["overall"][key] for ra, rb in zip(runs_a, runs_b)])
        entry = {"avoided": avoided, "avoided_low": lo, "avoided_high": hi}
        if avoided > 0 and extra > 0:
            entry["cost_per_avoided_eur"] = extra / avoided
            # the interval of a ratio with a fixed numerator: invert the denominator's interval
            entry["cost_per_avoided_low_eur"] = extra / hi if hi > 0 else None
            entry["cost_per_avoided_high_eur"] = extra / lo if lo > 0 else None  # None: could be no effect
        else:
            entry["cost_per_avoided_eur"] = None
        out[name] = entry
    return out


def check_same_network(a: Scenario, b: Scenario, source=None) -> None:
    """Refuse to compare scenarios on two networks: their corridors differ, and a table of both would mix
    one region's corridors with the other's."""
    net_a, net_b = a.network_path().resolve(), b.network_path().resolve()
    if net_a != net_b:
        raise InputError(source or b.name, "field 'network'",
                         f"B runs on network {net_b.name!r}, A on {net_a.name!r}: compare scenarios on one network")


def compare(a: Scenario, b: Scenario, replicates: int = 10, *, first_seed: int | None = None, days=None,
            scale=None, workers: int = 1, scheduler=None, progress=None) -> Comparison:
    """B against A over `replicates` paired runs: both arms on the same seeds, in one batch of jobs."""
    check_same_network(a, b)
    seed0 = a.seed if first_seed is None else first_seed
    seeds = range(seed0, seed0 + replicates)
    jobs = [Job(arm, s, days=days, scale=scale, keep=summarise) for arm in (a, b) for s in seeds]
    runs = run_jobs(jobs, workers=workers, scheduler=scheduler, progress=progress)
    return compare_runs(runs[:replicates], runs[replicates:])


# --------------------------------------------------------------------------- what the app's comparisons read
def slim(results, seed: int) -> dict:
    """A run reduced to what comparisons need: the dict `compare_runs` reads, plus leg totals."""
    legs = results.tables["legs"].groupby("leg", sort=False)[["attempts", "crossings", "deaths", "interceptions"]].sum()
    return {"seed": int(seed), **summarise(results), "legs": legs}


def compare_arms(arms: list[list[dict]]) -> list[Comparison]:
    """Each arm against the first, paired by seed (common random numbers)."""
    return [compare_runs(arms[0], arm) for arm in arms[1:]]


def leg_difference(arm_a: list[dict], arm_b: list[dict], measure: str = "attempts") -> pd.DataFrame:
    """Per leg: mean of a measure over the run in each arm, and the paired change B - A with its 95% interval."""
    legs = arm_a[0]["legs"].index
    a = np.array([r["legs"][measure].reindex(legs).fillna(0).to_numpy() for r in arm_a])
    b = np.array([r["legs"][measure].reindex(legs).fillna(0).to_numpy() for r in arm_b])
    rows = []
    for j, leg in enumerate(legs):
        m, lo, hi = interval(b[:, j] - a[:, j])
        rows.append({"leg": leg, "a": a[:, j].mean(), "b": b[:, j].mean(), "change": m, "low": lo, "high": hi})
    return pd.DataFrame(rows)


# columns of the daily table that are levels on the day (averaged over a period); every other one is a flow (summed)
DAILY_STOCKS = ("state_stranded", "state_waiting", "networks_active")


def daily_kind(measure: str) -> str:
    return "stock" if measure in DAILY_STOCKS else "flow"


def daily_bands(labels: list[str], arms: list[list[dict]], measure: str, period: int = 7) -> pd.DataFrame:
    """Mean over replicates and the 95% interval of the mean, per period of `period` days, for each scenario.

    Flows are summed over each period; stocks are averaged."""
    kind = daily_kind(measure)
    frames = []
    for label, arm in zip(labels, arms):
        mat = np.array([r["daily"][measure].to_numpy(float) for r in arm])  # replicates x days
        days = mat.shape[1]
        if days >= period:  # whole periods only: a short last period would look like a drop
            days = days // period * period
            mat = mat[:, :days]
        starts = np.arange(0, days, period)
        if kind == "flow":
            agg = np.add.reduceat(mat, starts, axis=1)
        else:
            agg = np.add.reduceat(mat, starts, axis=1) / np.diff(np.append(starts, days))
        mean, low, high = np.array([level_interval(agg[:, j]) for j in range(agg.shape[1])]).reshape(-1, 3).T
        frames.append(pd.DataFrame({"scenario": label, "day": starts, "mean": mean, "low": low, "high": high}))
    return pd.concat(frames, ignore_index=True)
