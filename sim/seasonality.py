"""Estimate the monthly multipliers of `behaviour.seasonality` from Frontex's monthly detections.

For each route and year, each month's share of the year's detections; averaged over the years
2016-2023 that no shock distorts (a policy shock or a pandemic moves a year's level mid-year, which a
month share would read as season); times 12, so that a flat route gets twelve 1s and the multipliers
average 1. Routes are mapped to the network's corridors as in data/observed_europe_2023.yaml.

    .venv/bin/python -m sim.seasonality            # writes data/history/seasonality.yaml

A scenario (the 2016-2023 replay) reads it as `behaviour.seasonality`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
MONTHLY = ROOT / "data" / "history" / "frontex_detections_by_route_month_2009_2023.csv"
TARGETS = ROOT / "data" / "observed_europe_2023.yaml"
OUT = ROOT / "data" / "history" / "seasonality.yaml"
YEARS = range(2016, 2024)
# route-years whose month shares a shock distorts (data/history/EPISODES.md): the EU-Turkey statement
# (EMR, March 2016) and the closure of the Balkan route behind it (WBR, March 2016), the Italy-Libya memorandum and the fall from July 2017 (CMR), Serbia's visa
# alignment Nov 2022 - Jan 2023 and the crackdown from 28 Oct 2023 (WBR), the EU-Tunisia memorandum of
# July 2023 (CMR), Belarus flying people to its border with the EU (ELB, summer 2021); and 2020, when border closures for COVID-19 cut every route from March
SHOCKS = {("EMR", 2016), ("CMR", 2017), ("WBR", 2022), ("WBR", 2023), ("CMR", 2023), ("WBR", 2016), ("ELB", 2021)} | {
    (route, 2020) for route in ("CMR", "EMR", "WMR", "WAR", "WBR", "ELB")}


def month_shares(monthly: pd.DataFrame, years=YEARS, shocks=SHOCKS) -> pd.DataFrame:
    """Mean share of each calendar month in its year's detections, per route code (rows) x month 1-12,
    over the given years except the shocked route-years and years with no detections."""
    frame = monthly[monthly["year"].isin(list(years))]
    per = frame.groupby(["route_code", "year", "month"])["detections"].sum().unstack("month", fill_value=0)
    per = per.reindex(columns=range(1, 13), fill_value=0)
    totals = per.sum(axis=1)
    keep = [(r, y) not in shocks and totals[(r, y)] > 0 for r, y in per.index]
    shares = per[keep].div(totals[keep], axis=0)
    return shares.groupby(level="route_code").mean()


def estimate(monthly: pd.DataFrame, routes: dict[str, list[str]], **kwargs) -> dict[str, list[float]]:
    """`behaviour.seasonality` per corridor: 12 x the mean month share of the route it belongs to."""
    shares = month_shares(monthly, **kwargs)
    out = {}
    for code, corridors in routes.items():
        if code not in shares.index:
            continue
        mult = [round(float(x), 3) for x in 12 * shares.loc[code].to_numpy()]
        for corridor in corridors:
            out[corridor] = mult
    return out


def route_corridors(targets: Path = TARGETS) -> dict[str, list[str]]:
    data = yaml.safe_load(targets.read_text())
    return {code: list(spec["corridors"]) for code, spec in data["routes"].items()}


def write(out: Path = OUT, monthly_path: Path = MONTHLY, targets: Path = TARGETS) -> dict:
    monthly = pd.read_csv(monthly_path)
    if monthly["year"].max() > 2023:
        raise SystemExit(f"error: {monthly_path}: holds figures after 2023, which the project does not use")
    seasons = estimate(monthly, route_corridors(targets))
    head = ("# behaviour.seasonality: monthly multipliers (January..December) of departures per corridor,\n"
            f"# estimated by `python -m sim.seasonality` from {monthly_path.relative_to(ROOT)}: mean month share\n"
            "# of each year's detections over 2016-2023 (shocked route-years left out, see sim/seasonality.py),\n"
            "# times 12. Do not edit by hand.\n")
    out.write_text(head + yaml.safe_dump({"seasonality": seasons}, sort_keys=False, default_flow_style=None))
    return seasons


def main(argv=None) -> int:
    seasons = write()
    for corridor, mult in seasons.items():
        print(f"{corridor:24s} " + " ".join(f"{m:4.2f}" for m in mult) + f"   peak/trough {max(mult) / max(min(mult), 1e-9):.1f}")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


__all__ = ["estimate", "month_shares", "route_corridors", "write"]
