"""The replay's sea arrivals by landing country and year against UNHCR's (data/history), and the Eastern
Mediterranean's detections by way in: a check the replay's fit does not see (it fits Frontex's detections),
used to choose what the detections alone cannot pin down (how many arrivals on the Greek islands the
EU-Turkey statement returned, docs/replay_log.md).

    .venv/bin/python scripts/replay_sea_arrivals.py [--seeds 2016,2017] [--scale 100] [--workers 2]

Sea arrivals = crossings of sea legs, by the country of the place they land in; UNHCR's figures are its
Operational Data Portal sums (Greece includes Crete; Spain's 'all' the Canaries too).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
COUNTRIES = {"GRC": "Greece", "ITA": "Italy", "CYP": "Cyprus", "ESP": "Spain", "MLT": "Malta"}
EMR_WAYS = {"Aegean islands": ["ayvalik-lesbos", "cesme-chios", "kusadasi-samos", "bodrum-kos"],
            "Crete": ["tobruk-ierapetra"], "Cyprus": ["tripoli_lbn-cape_greco"],
            "land (Evros, Bulgaria)": ["edirne-evros", "kirklareli-malko_tarnovo"]}


def by_year(job) -> dict:
    """One run's sea crossings by landing country and year, and EMR detections by leg and year."""
    from sim.calendar import dates
    from sim.history.sea import sea_arrivals
    from sim.run import run
    from sim.scenario import load_scenario

    path, seed, scale = job
    spec, net = load_scenario(path)
    res = run(spec, routes=net, seed=seed, scale=scale)
    sea = sea_arrivals(res)  # the same sea arrivals the replay's response search scores
    arrivals = dict(zip(zip(sea["sea_iso3"], sea["sea_year"]), sea["sea_arrivals"]))
    legs = res.tables["legs"]
    legs = legs[legs["corridor"] == "Eastern Mediterranean"]
    year = pd.to_datetime(dates(res.meta["start_date"], legs["day"].to_numpy())).year
    emr = legs.assign(year=year).groupby(["leg", "year"])["detections"].sum()
    return {"arrivals": arrivals, "emr": emr.to_dict()}


def observed() -> dict[str, dict[int, tuple[float, str]]]:
    """country -> year -> (arrivals, mark): UNHCR's portal sums, else the file's other national series (*)."""
    from sim.history.sea import observed_sea

    out: dict[str, dict[int, tuple[float, str]]] = {}
    for _, r in observed_sea().iterrows():
        mark = "" if r["series"] == "UNHCR_ODP_via_vi-enne" else "*"
        out.setdefault(r["country"], {})[int(r["year"])] = (float(r["arrivals"]), mark)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "history" / "europe_2016_2023.yaml"))
    ap.add_argument("--seeds", default="2016,2017")
    ap.add_argument("--scale", type=int, default=100)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    jobs = [(args.scenario, int(s), args.scale) for s in args.seeds.split(",")]
    if args.workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.workers) as pool:
            runs = list(pool.map(by_year, jobs))
    else:
        runs = [by_year(j) for j in jobs]
    n = len(runs)
    sim = pd.Series({k: sum(r["arrivals"].get(k, 0.0) for r in runs) / n
                     for k in set().union(*(r["arrivals"] for r in runs))})
    obs = observed()
    years = range(2016, 2024)
    print(f"Sea arrivals by landing country and year: replay (mean of seeds {args.seeds}, scale {args.scale}) "
          "against UNHCR's portal (thousands; * another series of the file where the portal has none; - none)")
    print("| country | " + " | ".join(str(y) for y in years) + " |")
    print("|---|" + "---|" * len(years))
    for iso3, name in COUNTRIES.items():
        o = obs.get(name, {})
        cells = [f"{sim.get((iso3, y), 0.0) / 1000:.1f} / " + (f"{o[y][0] / 1000:.1f}{o[y][1]}" if y in o else "-")
                 for y in years]
        print(f"| {name} (replay / UNHCR) | " + " | ".join(cells) + " |")
    emr = pd.Series({k: sum(r["emr"].get(k, 0.0) for r in runs) / n for k in set().union(*(r["emr"] for r in runs))})
    print("\nEastern Mediterranean detections in the replay by way in (thousands)")
    print("| way in | " + " | ".join(str(y) for y in years) + " |")
    print("|---|" + "---|" * len(years))
    for way, ids in EMR_WAYS.items():
        cells = [f"{sum(emr.get((leg, y), 0.0) for leg in ids) / 1000:.1f}" for y in years]
        print(f"| {way} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
