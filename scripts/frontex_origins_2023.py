"""Write data/frontex_origins_2023.csv: the nationalities per route in 2023 that the 2023 calibration fits.

    .venv/bin/python scripts/frontex_origins_2023.py

From Frontex's detections by route, nationality and year (data/history/, the same source as the ten
most-detected nationalities this file held before): per main route, the ten most-detected nationalities
(unknown, OOO, included) and every other nationality with an origin on the Europe network and at least
MIN_DETECTIONS detections. With the top ten only, a route's other nationalities were spread over the ten
in proportion: the Central Mediterranean's Sudanese, Gambians, Eritreans, Nigerians (30,731 detections of
nationalities on the network outside its top ten) were counted as Guineans, Tunisians and Ivorians, and the
2016-2023 replay, which fits every nationality, disagreed with the baseline (docs/replay_log.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
HISTORY = ROOT / "data" / "history" / "frontex_detections_by_route_nationality_year_2009_2023.csv"
OUT = ROOT / "data" / "frontex_origins_2023.csv"
PLACES = ROOT / "geodata" / "europe" / "places.geojson"
MIN_DETECTIONS = 200  # a smaller cell is noise at the calibration's scales
COLUMNS = ["route", "route_code", "year", "nationality_iso3", "detections", "source", "source_date"]


def main() -> None:
    frame = pd.read_csv(HISTORY)
    frame = frame[frame["year"] == 2023]
    features = json.loads(PLACES.read_text())["features"]
    network = {f["properties"].get("iso3") for f in features if f["properties"].get("kind") == "origin"}
    rows = []
    for _code, route in frame.groupby("route_code", sort=False):
        route = route.sort_values("detections", ascending=False, kind="stable")
        top = route.head(10)
        more = route.iloc[10:]
        more = more[more["nationality_iso3"].isin(network) & (more["detections"] >= MIN_DETECTIONS)]
        rows.append(pd.concat([top, more]))
    out = pd.concat(rows)[COLUMNS]
    tmp = OUT.with_suffix(".csv.tmp")
    out.to_csv(tmp, index=False)
    tmp.replace(OUT)
    print(f"wrote {OUT.relative_to(ROOT)}: {len(out)} rows")


if __name__ == "__main__":
    main()
