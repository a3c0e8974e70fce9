"""Benchmark: model time per simulated day against the number of people and the size of the network.

    .venv/bin/python bench/bench_scaling.py                 # people 10k, 100k, 1M, 10M; both networks
    .venv/bin/python bench/bench_scaling.py --people 1e4 1e5 --repeats 3 --network-entries 1e5

Each point runs in its own process (so that its peak memory, `ru_maxrss`, is its own) and times the
days of the run only, in CPU time of that process (`time.process_time`), the minimum over --repeats runs
(one run above a million people). Set-up (network, world) is loaded before the clock starts.

- People: the shipped baseline (routes into Europe) for one year at scale 1 (one entry per person), with
  every origin's demand multiplied so that about N people are created over the year.
- Network: the Europe network and a generated one of about 2,000 places and 4,000 legs (`generate`,
  written to a temporary folder in the geodata format of docs/geodata.md), with the same number of people.

Prints a table and the fitted exponents (time per day ~ people^a, ~ legs^b).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BASELINE = ROOT / "scenarios" / "baseline.yaml"
# real ISO3 codes for the generated countries (the network only needs them to be distinct)
ISO3 = ("AFG ALB ARM AUT AZE BEL BGR BIH BLR CHE CYP CZE DEU DNK ESP EST FIN FRA GBR GEO GRC HRV HUN IRL IRN IRQ "
        "ISL ITA JOR KAZ LBN LTU LUX LVA MDA MKD MLT MNE NLD NOR POL PRT ROU SRB SVK SVN SWE SYR TUR UKR").split()


# ---------------------------------------------------------------- the generated network
def generate(folder: Path, places: int = 2000, legs_per_place: float = 2.2, seed: int = 0) -> Path:
    """Write a valid network folder of about `places` places in layers (origins, three hub layers,
    departures, landings, destinations), each place with about `legs_per_place` legs to the next layer.
    Sea crossings (departure to landing) are smuggled and controlled. Returns the folder."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    shares = [("origin", 0.10), ("hub", 0.20), ("hub", 0.20), ("hub", 0.20), ("departure", 0.15),
              ("landing", 0.10), ("destination", 0.05)]
    layers, feats, n = [], [], 0
    for depth, (kind, share) in enumerate(shares):
        count = max(2, int(places * share))
        layer = []
        for i in range(count):
            pid = f"p{n}"
            # far out in the Pacific, so that sea legs do not cross land; a column per layer
            lon, lat = -170.0 + 6.0 * depth, -30.0 + 60.0 * i / count
            country = ISO3[(depth * 7 + i * len(ISO3) // count) % len(ISO3)]
            feats.append(_point(pid, kind, country, lon, lat))
            layer.append((pid, country, lon, lat))
            n += 1
        layers.append(layer)
    legs = []
    for depth in range(len(layers) - 1):
        here, there = layers[depth], layers[depth + 1]
        reached = set()
        for k, (_pid, _country, _lon, _lat) in enumerate(here):
            near = int(k * len(there) / len(here))  # mostly towards the same latitude
            count = max(1, rng.poisson(legs_per_place))
            for j in set(np.clip(near + rng.integers(-3, 4, count), 0, len(there) - 1).tolist()):
                legs.append(_leg(here[k], there[j], depth, rng))
                reached.add(j)
        # every place must be reachable from an origin: a leg from the nearest place of the layer before
        for j in sorted(set(range(len(there))) - reached):
            legs.append(_leg(here[int(j * len(here) / len(there))], there[j], depth, rng))
    corridor_names = sorted({leg["properties"]["corridor"] for leg in legs})
    _write_geojson(folder / "places.geojson", "places", feats)
    _write_geojson(folder / "legs.geojson", "legs", legs)
    used = sorted({f["properties"]["iso3"] for f in feats})
    rows = ["iso3,name,enforcement,corruption,digital_capacity,financial_capacity,training,counts_detections"]
    for c in used:
        v = rng.uniform(0.1, 0.8, 5).round(2)
        rows.append(f"{c},{c},{v[0]},{v[1]},{v[2]},{v[3]},{v[4]},{int(c in ISO3[5:30])}")
    (folder / "countries.csv").write_text("\n".join(rows) + "\n")
    (folder / "corridors.txt").write_text("\n".join(corridor_names) + "\n")  # for the reader only
    return folder


def _point(pid, kind, iso3, lon, lat):
    return {"type": "Feature", "properties": {"id": pid, "name": pid, "kind": kind, "iso3": iso3},
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def _leg(a, b, depth, rng):
    sea = depth == 4  # departure to landing
    corridor = f"corridor {int((a[3] + 30) // 12)}"  # latitude bands
    props = {"id": f"{a[0]}-{b[0]}", "from": a[0], "to": b[0], "mode": "sea" if sea else "land",
             "corridor": corridor, "days": float(rng.integers(1, 6)), "fee_eur": float(rng.integers(50, 1500)),
             "death_risk": float(rng.uniform(0.005, 0.03) if sea else rng.uniform(0, 0.003)),
             "controlled": bool(sea or a[1] != b[1]), "control_iso3": b[1] if (sea or a[1] != b[1]) else None,
             "smuggled": bool(sea or rng.random() < 0.3), "commercial": bool(not sea and rng.random() < 0.5)}
    return {"type": "Feature", "properties": props,
            "geometry": {"type": "LineString", "coordinates": [[a[2], a[3]], [b[2], b[3]]]}}


def _write_geojson(path: Path, name: str, features: list) -> None:
    path.write_text(json.dumps({"type": "FeatureCollection", "name": name,
                                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
                                "features": features}))


def generated_scenario(folder: Path) -> Path:
    """A scenario on the generated network: every origin sends people (demand set by --network-entries)."""
    import yaml

    places = json.loads((folder / "places.geojson").read_text())["features"]
    origins = [f["properties"]["id"] for f in places if f["properties"]["kind"] == "origin"]
    spec = {"name": "Generated network", "network": folder.name, "days": 365, "seed": 1,
            "demand": [{"origin": o, "per_year": 1000.0, "budget_eur": 4000} for o in origins]}
    path = folder.parent / "generated.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


# ---------------------------------------------------------------- one point, in its own process
def point(scenario: str, entries: float, repeats: int) -> dict:
    from sim.model import RouteModel
    from sim.scenario import load_scenario

    spec, network = load_scenario(scenario)
    factor = entries / sum(d.per_year for d in spec.demand)
    spec = spec.model_copy(update={"scale": 1, "days": 365, "demand": [
        d.model_copy(update={"per_year": d.per_year * factor}) for d in spec.demand]})
    times = []
    for _ in range(repeats):
        model = RouteModel(spec, routes=network)
        t0 = time.process_time()
        while model.running:
            model.step()
        times.append(time.process_time() - t0)
        created = int(model.people.n)
        del model
    return {"scenario": Path(scenario).stem, "places": len(network.places), "legs": len(network.legs),
            "created": created, "cpu_s": min(times), "per_day_ms": min(times) / 365 * 1000,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def in_subprocess(scenario: str, entries: float, repeats: int) -> dict:
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); from bench.bench_scaling import point; "
            f"print(json.dumps(point({scenario!r}, {entries!r}, {repeats})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def slope(xs, ys) -> float:
    """Least-squares exponent of y ~ x^a."""
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0]) if len(xs) > 1 else math.nan


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=float, nargs="*", default=[1e4, 1e5, 1e6, 1e7])
    ap.add_argument("--network-entries", type=float, default=1e5, help="people per year on each network")
    ap.add_argument("--places", type=int, default=2000, help="places of the generated network")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"{'scenario':<20} {'places':>6} {'legs':>6} {'created':>11} {'CPU s':>8} {'ms/day':>8} {'peak MB':>8}")

    def show(r):
        print(f"{r['scenario']:<20} {r['places']:>6} {r['legs']:>6} {r['created']:>11,} {r['cpu_s']:>8.2f} "
              f"{r['per_day_ms']:>8.2f} {r['peak_mb']:>8.0f}", flush=True)

    people = []
    for n in args.people:
        r = in_subprocess(str(BASELINE), n, args.repeats if n < 1e6 else 1)
        show(r)
        people.append(r)
    if len(people) > 1:
        print(f"time per day ~ people^{slope([r['created'] for r in people], [r['per_day_ms'] for r in people]):.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = generate(Path(tmp) / "generated", places=args.places)
        nets = [in_subprocess(str(BASELINE), args.network_entries, args.repeats),
                in_subprocess(str(generated_scenario(folder)), args.network_entries, args.repeats)]
    for r in nets:
        show(r)
    print(f"time per day ~ legs^{slope([r['legs'] for r in nets], [r['per_day_ms'] for r in nets]):.2f} "
          f"(same people per year)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
