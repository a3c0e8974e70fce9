"""The validate-data table: an ensemble of a scenario against the observed figures, with 95 % intervals,
and its Markdown for docs/validation.md."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from ..compare import interval, run_ensemble
from ..errors import InputError
from ..network import load_network
from ..scenario import check_against_network, parse_scenario, scenario_data
from .measuring import check, ensemble_means, interception_legs, measure
from .observed import Observed


@dataclass
class Validation:
    rows: list[dict]
    average_relative_difference: float
    settings: dict


def validate(scenario_path: Path, observed: Observed, *, replicates: int = 8, scale: int = 1,
             first_seed: int = 1, workers: int = 1, progress=None, year: int | None = None) -> Validation:
    """The scenario's ensemble against the observed figures; with `year`, only that calendar year of its
    runs (the scenario needs a start date and must cover the whole year)."""
    data = scenario_data(scenario_path)
    scenario = parse_scenario(data, scenario_path)
    network = load_network(scenario.network_path())
    check_against_network(scenario, network)
    if year is not None:
        _check_year(scenario, scenario_path, year)
    fn = partial(measure, routes=observed.routes, interception_legs=interception_legs(network, observed),
                 places=tuple(observed.arrivals), year=year)
    runs = run_ensemble(scenario, range(first_seed, first_seed + replicates), scale=scale, workers=workers,
                        measure=fn, progress=progress)
    sim = ensemble_means(runs, observed)
    rows = check(sim, observed)
    # add the ensemble's 95 % interval to each simulated figure
    for r in rows:
        if r["figure"] == "detections":
            r["low_sim"], r["high_sim"] = interval([x["detections"][r["route"]] for x in runs])[1:]
        elif r["figure"] == "dead and missing":
            codes = r["route"].split("+")
            r["low_sim"], r["high_sim"] = interval([sum(x["deaths"][c] for c in codes) for x in runs])[1:]
        elif r["figure"] == "fee (EUR)":
            r["low_sim"], r["high_sim"] = interval([x["fee"][r["route"]] for x in runs])[1:]
        elif r["figure"] == "interception share":
            r["low_sim"], r["high_sim"] = interval([x["interception"] for x in runs])[1:]
        elif r["figure"] == "arrivals":
            r["low_sim"], r["high_sim"] = interval([x["arrivals"][r["route"]] for x in runs])[1:]
    det = [r for r in rows if r["figure"] == "detections"]
    ard = float(np.mean([abs(r["sim"] - r["real"]) / r["real"] for r in det]))
    settings = {"scenario": str(scenario_path), "replicates": replicates, "scale": scale,
                "seeds": f"{first_seed}-{first_seed + replicates - 1}", "year": year}
    return Validation(rows, ard, settings)


def _check_year(scenario, path: Path, year: int) -> None:
    """A clear message, before any run, when the scenario's runs do not cover the whole calendar year."""
    import datetime as dt

    if scenario.start_date is None:
        raise InputError(path, "start_date", f"--year {year} needs a scenario with a start date")
    first = scenario.start_date
    end = first + dt.timedelta(days=scenario.days)  # the first day not run
    if not (first <= dt.date(year, 1, 1) and dt.date(year + 1, 1, 1) <= end):
        raise InputError(path, "days", f"--year {year}: the runs cover {first} to {end - dt.timedelta(days=1)}, "
                         f"not the whole of {year}")


def validation_markdown(v: Validation) -> str:
    def n(x, d=0):
        return "-" if x is None else f"{x:,.{d}f}"

    year = v.settings.get("year")
    out = [f"Ensemble of {v.settings['replicates']} runs (seeds {v.settings['seeds']}) of "
           f"`{Path(v.settings['scenario']).name}` at scale {v.settings['scale']}"
           + (f", its calendar year {year} only" if year is not None else "") + "; 95 % interval of the "
           "ensemble mean.", "",
           "| route | Frontex detections 2023 | simulated (mean) | 95 % interval | relative difference | within ±15 % |",
           "|---|---:|---:|---:|---:|:---:|"]
    for r in v.rows:
        if r["figure"] == "detections":
            out.append(f"| {r['route']} | {n(r['real'])} | {n(r['sim'])} | {n(r['low_sim'])} - {n(r['high_sim'])} | "
                       f"{(r['sim'] - r['real']) / r['real']:+.1%} | {'yes' if r['ok'] else 'NO'} |")
    out += ["", f"Averaged relative difference over the routes (the metric Flee reports): "
            f"**{v.average_relative_difference:.1%}**", "",
            "| dead and missing | band (IOM low - target - high) | simulated (mean) | 95 % interval | inside |",
            "|---|---:|---:|---:|:---:|"]
    for r in v.rows:
        if r["figure"] == "dead and missing":
            out.append(f"| {r['route']} | {n(r['low'])} - {n(r['real'])} - {n(r['high'])} | {n(r['sim'])} | "
                       f"{n(r['low_sim'])} - {n(r['high_sim'])} | {'yes' if r['ok'] else 'NO'} |")
    out += ["", "| fee on the border crossing (EUR) | published range | simulated (mean) | inside |", "|---|---:|---:|:---:|"]
    for r in v.rows:
        if r["figure"] == "fee (EUR)":
            out.append(f"| {r['route']} | {n(r['low'])} - {n(r['high'])} | {n(r['sim'])} | {'yes' if r['ok'] else 'NO'} |")
    out += ["", "| origin mix | data's top three | distance (total variation, 0 = same shares) | top three among the model's top five, distance <= 0.35 |",
            "|---|---|---:|:---:|"]
    for r in v.rows:
        if r["figure"] == "origin mix":
            out.append(f"| {r['route']} | {', '.join(r['top'])} | {r['sim']:.2f} | {'yes' if r['ok'] else 'NO'} |")
    for r in v.rows:
        if r["figure"] == "interception share":
            out += ["", f"Share of departures intercepted on the {r['route']} (UNODC 2023: {r['real']:.0%}): "
                    f"simulated {r['sim']:.0%} ({r['low_sim']:.0%} - {r['high_sim']:.0%}), "
                    f"{'within' if r['ok'] else 'OUTSIDE'} the tolerance."]
    for r in v.rows:
        if r["figure"] == "arrivals":
            out += ["", f"Arrivals at {r['route']} (real {n(r['real'])}): simulated {n(r['sim'])} "
                    f"({n(r['low_sim'])} - {n(r['high_sim'])}), {'within' if r['ok'] else 'OUTSIDE'} "
                    f"±{r['tolerance']:.0%}."]
    met = sum(r["ok"] for r in v.rows)
    out += ["", f"{met} of {len(v.rows)} figures matched."]
    return "\n".join(out)
