"""The observed series the replay is compared with (data/history), by the network's corridors.

The route -> corridors mapping is the one of data/observed_europe_2023.yaml, so that the 2023
validation and the replay compare the same things."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..files import read_yaml_mapping

ROOT = Path(__file__).resolve().parents[2]
HISTORY = ROOT / "data" / "history"
OBSERVED_2023 = ROOT / "data" / "observed_europe_2023.yaml"
MONTHLY_CSV = HISTORY / "frontex_detections_by_route_month_2009_2023.csv"
NATIONALITY_CSV = HISTORY / "frontex_detections_by_route_nationality_year_2009_2023.csv"
REPLAY = ROOT / "scenarios" / "history" / "europe_2016_2023.yaml"
MAIN_ROUTES = ("CMR", "EMR", "WMR", "WAR", "WBR", "ELB")


def route_corridors(observed: Path = OBSERVED_2023) -> dict[str, list[str]]:
    """Frontex route code -> the network's corridors that make it up."""
    spec = read_yaml_mapping(observed, "observed figures")
    return {code: list(r["corridors"]) for code, r in spec["routes"].items()}


def monthly_observed(first_year: int, last_year: int, path: Path = MONTHLY_CSV) -> pd.DataFrame:
    """Detections per main route and month, land and sea together: columns route, month (first day), detections."""
    frame = pd.read_csv(path)
    frame = frame[frame["route_code"].isin(MAIN_ROUTES) & frame["year"].between(first_year, last_year)]
    month = pd.to_datetime(dict(year=frame["year"], month=frame["month"], day=1))
    out = pd.DataFrame({"route": frame["route_code"].to_numpy(), "month": month.to_numpy(),
                        "detections": frame["detections"].to_numpy(float)})
    return out.groupby(["route", "month"], as_index=False)["detections"].sum()


def nationality_by_year(path: Path = NATIONALITY_CSV) -> pd.DataFrame:
    """Detections per nationality (ISO3) and year, summed over every route: rows nationality, columns year."""
    frame = pd.read_csv(path)
    return frame.pivot_table(index="nationality_iso3", columns="year", values="detections", aggfunc="sum",
                             fill_value=0)
