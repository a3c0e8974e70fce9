"""Benchmark: the baseline year at full scale (one entry per person) against a bare NumPy movement loop.

    .venv/bin/python bench/bench_model.py [SCENARIO] [--demand-factor F] [--days N] [--numpy-exp]

Prints, for the model and for the floor (a loop that only creates people at the same origins and
moves them leg by leg to a destination, with the same arrays and no decisions), the wall time,
person-steps per second (one person-step = one person not yet in a final state, on one day), people
created, and the peak memory of the process that ran it. Each is run in its own process so the peaks
are separate. The ratio model/floor in person-steps per second is the figure the issue asks for.
`--numpy-exp` runs the model with NumPy's exp and log instead of the C library's (bench_fixed_cost.py).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_model(scenario: str, factor: float, days: int | None, numpy_exp: bool = False) -> dict:
    import numpy as np

    if numpy_exp:
        from bench_fixed_cost import use_numpy_exp

        use_numpy_exp()

    from sim.model import RouteModel
    from sim.model import people as P
    from sim.scenario import load_scenario

    spec, network = load_scenario(scenario)
    if factor != 1:
        spec = spec.model_copy(update={"demand": [d.model_copy(update={"per_year": d.per_year * factor})
                                                  for d in spec.demand]})
    model = RouteModel(spec, routes=network, days=days, scale=1)
    person_steps = 0
    t0 = time.perf_counter()
    while model.running:
        model.step()
        person_steps += len(model.people.active)
    wall = time.perf_counter() - t0
    counts = model.people.counts()
    return {"what": "model", "wall_s": wall, "person_steps": person_steps, "created": int(model.people.n),
            "left": int(model.people.n - counts[P.STAYED] - counts[P.ALTERNATIVE]),
            "peak_mb": peak_mb(), "days": model.days, "arrived": int(counts[P.ARRIVED]),
            "waiting_end": int(np.sum(counts[:4]))}


def run_floor(scenario: str, factor: float, days: int | None) -> dict:
    """Only the movement: create people at origins, pick a random next leg, count down days, arrive."""
    import numpy as np

    from sim.model.world import World
    from sim.scenario import load_scenario

    spec, network = load_scenario(scenario)
    w = World.build(network, spec)
    days = days or spec.days
    rng = np.random.default_rng(spec.seed)
    demand = np.zeros(w.n_places)
    for d in spec.demand:
        demand[network.place_index[d.origin]] += d.per_year * factor / 365
    cap = int(demand.sum() * days * 1.1) + 1024
    place = np.zeros(cap, np.int16)
    leg = np.full(cap, -1, np.int16)
    days_left = np.zeros(cap, np.int16)
    n = 0
    active = np.zeros(0, np.int64)
    out_count = w.out_count
    person_steps = 0
    t0 = time.perf_counter()
    for _day in range(days):
        counts = rng.poisson(demand)
        new = np.repeat(np.arange(w.n_places), counts)
        idx = np.arange(n, n + len(new))
        place[idx] = new
        days_left[idx] = 0
        leg[idx] = -1
        n += len(new)
        active = np.concatenate([active, idx])
        # on a leg: count down; at the end, arrive at its end place
        on_leg = active[leg[active] >= 0]
        days_left[on_leg] -= 1
        done = on_leg[days_left[on_leg] <= 0]
        place[done] = w.dst[leg[done]]
        leg[done] = -1
        # arrived at a destination: leaves the active list
        active = active[~w.is_destination[place[active]]]
        # at a place: take a random outgoing leg
        free = active[leg[active] < 0]
        p = place[free]
        pick = (rng.random(len(free)) * out_count[p]).astype(np.int64)
        chosen = w.out_order[w.out_start[p] + pick]
        leg[free] = chosen
        days_left[free] = np.maximum(1, np.round(w.days[chosen]))
        person_steps += len(active)
    wall = time.perf_counter() - t0
    return {"what": "floor", "wall_s": wall, "person_steps": person_steps, "created": n, "peak_mb": peak_mb(),
            "days": days}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "baseline.yaml"))
    ap.add_argument("--demand-factor", type=float, default=1.0,
                    help="multiply every origin's demand (to reach a million people created)")
    ap.add_argument("--days", type=int, default=None)
    ap.add_argument("--numpy-exp", action="store_true", help="NumPy's exp and log, not the C library's")
    ap.add_argument("--one", choices=["model", "floor"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        if args.one == "model":
            print(json.dumps(run_model(args.scenario, args.demand_factor, args.days, args.numpy_exp)))
        else:
            print(json.dumps(run_floor(args.scenario, args.demand_factor, args.days)))
        return
    out = {}
    for what in ("model", "floor"):
        cmd = [sys.executable, __file__, args.scenario, "--demand-factor", str(args.demand_factor), "--one", what]
        if args.days:
            cmd += ["--days", str(args.days)]
        if args.numpy_exp:
            cmd += ["--numpy-exp"]
        out[what] = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    m, f = out["model"], out["floor"]
    for r in (m, f):
        r["person_steps_per_s"] = r["person_steps"] / r["wall_s"]
        print(f"{r['what']:>5}: {r['days']} days, {r['created']:,} people created, {r['wall_s']:.1f} s, "
              f"{r['person_steps']:,} person-steps, {r['person_steps_per_s']:,.0f} person-steps/s, "
              f"peak memory {r['peak_mb']:,.0f} MB")
    ratio = m["person_steps_per_s"] / f["person_steps_per_s"]
    print(f"model speed / bare-loop speed (person-steps per second): {ratio:.2f}")
    print(f"model wall time / bare-loop wall time: {m['wall_s'] / f['wall_s']:.1f}")


if __name__ == "__main__":
    main()
