"""First demand per origin and year for the replay, from Frontex detections by nationality and year.

Rule (transparent, before any fit): an origin's people per year in year y are its fitted 2023 figure
(scenarios/calibrated/europe_2023.yaml) times the ratio of its nationality's detections, summed over every
route, in y to those in 2023. Summing over routes keeps displacement between routes out of demand, but a
measure that stops people altogether (the EU-Turkey statement for Syrians) does lower the ratio: this
first demand absorbs part of the shocks, which `python -m sim episodes` measures with its ablation. Ratios
are bounded (RATIO_BOUNDS) so that a nationality with a handful of detections in 2023 cannot explode;
a nationality with none in 2023 follows all nationalities together.

This is where the replay's fit starts (`python -m sim calibrate --replay`, sim/history/demand_fit.py,
which fits each origin's demand per year to its nationality's detections and writes it into the same
file); rerunning this script resets the file to the first demand.

    python -m sim.history.demand [--drop-preferences]   # writes scenarios/calibrated/europe_2016_2023_demand.yaml

(keeping the route preferences by year fitted before, unless --drop-preferences)
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..files import atomic_write, read_yaml_mapping
from .data import MONTHLY_CSV, NATIONALITY_CSV, ROOT, monthly_observed, nationality_by_year, route_corridors

FIT_2023 = ROOT / "scenarios" / "calibrated" / "europe_2023.yaml"
SEASONALITY = ROOT / "data" / "history" / "seasonality.yaml"  # python -m sim.seasonality
OUT = ROOT / "scenarios" / "calibrated" / "europe_2016_2023_demand.yaml"
# 2015 is the replay's spin-up year (365 days before 1 January 2016, not reported): with its own demand the
# replay starts with the tail of the 2015 wave still on the road (51,000 Eastern Mediterranean detections a
# month in January-March 2016), which a spin-up on 2016's demand cannot give. No reported month is in 2015,
# so the fit does not fit it: it moves it with 2016's, keeping this rule's ratio (demand_fit.update).
YEARS = tuple(range(2015, 2024))
RATIO_BOUNDS = (0.05, 20.0)


def network_of(calibrated: Path) -> Path:
    """The network folder a calibrated scenario names, resolved from its own folder."""
    fit = read_yaml_mapping(calibrated, "a calibrated scenario")
    return (Path(calibrated).parent / fit.get("network", "../../geodata/europe")).resolve()


def origin_countries(network_folder: Path) -> dict[str, str]:
    from ..network import load_network

    places = load_network(network_folder).places
    origins = places[places["kind"] == "origin"]
    return dict(zip(origins["id"], origins["nationality"]))


def yearly_demand(fit_2023: Path = FIT_2023, nationality_csv: Path = NATIONALITY_CSV,
                  years=YEARS) -> dict[str, dict[int, float]]:
    """origin -> year -> people per year."""
    fit = read_yaml_mapping(fit_2023, "a calibrated scenario")
    country = origin_countries(network_of(fit_2023))
    table = nationality_by_year(nationality_csv)
    total = table.sum(axis=0)
    lo, hi = RATIO_BOUNDS
    out = {}
    for row in fit["demand"]:
        origin, per_year = row["origin"], float(row["per_year"])
        iso3 = country[origin]
        series = table.loc[iso3] if iso3 in table.index and table.loc[iso3].get(2023, 0) > 0 else total
        out[origin] = {y: round(per_year * min(hi, max(lo, float(series.get(y, 0)) / float(series[2023]))), 1)
                       for y in years}
    return out


def spin_up_months(network_folder: Path, year: int = 2015, monthly_csv: Path = MONTHLY_CSV,
                   nationality_csv: Path = NATIONALITY_CSV, seasonality: Path = SEASONALITY) -> dict[str, list[float]]:
    """origin -> 12 multipliers of its departures in the spin-up's months (`spin_up_demand_months`).

    Frontex's months of `year` on each main route, as shares of the year's mean month, divided by the
    route's mean season (data/history/seasonality.yaml, which the model applies anyway), then averaged over
    the routes the origin's nationality was detected on in `year`, weighted by those detections, and scaled
    to a mean of 1 (the year's total stays its figure). The 2015 wave grew from 2,200 Eastern Mediterranean
    detections in January to 216,000 in October: a flat 2015 left the road of 1 January 2016 as an average
    month leaves it. Departures are shaped like the detections of the same month: the weeks on the road
    between the two are not modelled here. An origin whose nationality was not detected that year stays flat."""
    monthly = monthly_observed(year, year, monthly_csv)
    monthly["m"] = monthly["month"].dt.month - 1
    seasons = read_yaml_mapping(seasonality, "seasonality")["seasonality"]
    corridors = route_corridors()
    profiles = {}
    for route, rows in monthly.groupby("route"):
        counts = np.zeros(12)
        counts[rows["m"].to_numpy()] = rows["detections"].to_numpy()
        season = np.array(seasons[corridors[route][0]], dtype=float)
        if counts.sum() > 0:
            profiles[route] = counts / counts.mean() / season
    by_route = pd.read_csv(nationality_csv)
    by_route = by_route[(by_route["year"] == year) & by_route["route_code"].isin(list(profiles))]
    weights = by_route.pivot_table(index="nationality_iso3", columns="route_code", values="detections",
                                   aggfunc="sum", fill_value=0)
    out = {}
    for origin, iso3 in origin_countries(network_folder).items():
        if iso3 not in weights.index or weights.loc[iso3].sum() <= 0:
            continue
        w = weights.loc[iso3]
        months = sum(float(w[r]) * profiles[r] for r in w.index) / float(w.sum())
        months = months / months.mean()
        out[origin] = [round(float(min(12.0, x)), 3) for x in months]
    return out


def write_spin_up_months(path: Path = OUT, year: int = 2015) -> Path:
    """Put `spin_up_demand_months` (spin_up_months) into the replay's calibrated file, keeping the rest."""
    body = read_yaml_mapping(path, "the replay's calibrated file")
    body["spin_up_demand_months"] = spin_up_months(network_of(path.parent / body.get("base", FIT_2023.name)), year)
    lines = path.read_text().splitlines()
    header = [line for line in lines if line.startswith("#")]
    note = (f"# spin_up_demand_months: Frontex's months of {year} per route over their mean season, weighted by "
            f"each nationality's routes (`python -m sim.history.demand --spin-up-months`, sim/history/demand.py)")
    header = [line for line in header if not line.startswith("# spin_up_demand_months:")] + [note]
    text = "\n".join(header) + "\n" + yaml.safe_dump(body, sort_keys=False)
    atomic_write(path, lambda p: Path(p).write_text(text))
    return path


def write(path: Path = OUT, fit_2023: Path = FIT_2023, keep_preferences: bool = True) -> Path:
    demand = yearly_demand(fit_2023)
    header = (f"# Written by `python -m sim.history.demand` on {dt.date.today().isoformat()}: demand per origin by\n"
              "# year = the 2023 fit x (the nationality's Frontex detections in the year / in 2023), summed over\n"
              "# routes, bounded to x0.05..x20 (sim/history/demand.py); seasonality from data/history/seasonality.yaml. Do not edit by hand: rerun it (or the\n"
              "# replay's calibration, which overwrites it). scenarios/history/europe_2016_2023.yaml reads it.\n")
    seasons = read_yaml_mapping(SEASONALITY, "seasonality")["seasonality"]
    body = {"base": Path(fit_2023).name, "demand_by_year": demand, "behaviour": {"seasonality": seasons}}
    if path.exists():  # keep the response parameters the replay's calibration wrote, and its note
        fitted = read_yaml_mapping(path, "the replay's calibrated file").get("behaviour") or {}
        for name, value in fitted.items():
            if name != "seasonality":
                body["behaviour"][name] = value
        # ... and the route preferences by year it fitted: the next fit starts from them (unless the world
        # or the measures changed so much that the fit should start again from none)
        prefs = read_yaml_mapping(path, "the replay's calibrated file").get("nationality_preferences_by_year")
        if prefs and keep_preferences:
            body["nationality_preferences_by_year"] = prefs
        notes = [line for line in path.read_text().splitlines() if line.startswith("# behaviour.effects:")]
        header += "".join(line + "\n" for line in notes[-1:])
    text = header + yaml.safe_dump(body, sort_keys=False)
    atomic_write(path, lambda p: Path(p).write_text(text))
    return path


if __name__ == "__main__":  # pragma: no cover - a thin entry point
    if "--spin-up-months" in sys.argv:
        print(f"wrote {write_spin_up_months()}")
        sys.exit(0)
    args = [a for a in sys.argv[1:] if a != "--drop-preferences"]
    print(f"wrote {write(Path(args[0]) if args else OUT, keep_preferences='--drop-preferences' not in sys.argv)}")
