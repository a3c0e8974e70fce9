"""Benchmark: the model's fixed cost per day, in a warm process (issue 10, item 1).

    .venv/bin/python bench/bench_fixed_cost.py [--runs 3] [--only year|eight] [--no-spin-up] [--profile] [--numpy-exp]

Two figures, in CPU time of this process (`time.process_time`), each the minimum of `--runs` runs
after one untimed run (network loaded, set-up caches filled, compiled code loaded):

- year:  the shipped baseline (scenarios/baseline.yaml), seed 1, 365 days at scale 1000;
- eight: the same, 2920 days (8 years) at scale 100.

A run is `RouteModel(spec, routes=net, seed=1, days=D, scale=S)` then `step()` to the end, so it
includes the baseline's spin-up (spin_up_days: 365, run inside the constructor) unless --no-spin-up
(which sets spin_up_days to 0). `--profile` prints a cProfile of one more run of each instead.
`--numpy-exp` runs the model with NumPy's exp and log instead of the C library's (`sim/model/kernels.py`
exp and log, since the seventeenth session), to measure what the same results on every CPU cost.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASES = {"year": (365, 1000), "eight": (2920, 100)}


def use_numpy_exp():
    """The model's exp and log as before the seventeenth session: NumPy's (results then depend on the CPU)."""
    import numpy as np

    from sim.model import kernels

    kernels.exp, kernels.log = np.exp, np.log


def run_once(spec, net, days: int, scale: int) -> float:
    from sim.model import RouteModel

    t0 = time.process_time()
    model = RouteModel(spec, routes=net, seed=1, days=days, scale=scale)
    while model.running:
        model.step()
    return time.process_time() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "baseline.yaml"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", choices=sorted(CASES))
    ap.add_argument("--no-spin-up", action="store_true", help="set spin_up_days to 0")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--numpy-exp", action="store_true", help="NumPy's exp and log, not the C library's")
    args = ap.parse_args()
    if args.numpy_exp:
        use_numpy_exp()

    from sim.scenario import load_scenario

    spec, net = load_scenario(args.scenario)
    if args.no_spin_up:
        spec = spec.model_copy(update={"spin_up_days": 0})
    spin = spec.spin_up_days
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name, (days, scale) in CASES.items():
        if args.only and name != args.only:
            continue
        first = run_once(spec, net, days, scale)  # fills the caches, loads (or compiles) the kernels
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            run_once(spec, net, days, scale)
            prof.disable()
            print(f"--- {name}: {days} days at scale {scale}, spin-up {spin} days")
            pstats.Stats(prof).sort_stats("tottime").print_stats(30)
            continue
        times = [run_once(spec, net, days, scale) for _ in range(args.runs)]
        print(f"{name}: {days} days at scale {scale}, spin-up {spin} days included: "
              f"first run {first:.3f} s, then {' / '.join(f'{t:.3f}' for t in times)} s CPU, "
              f"min {min(times):.3f} s ({1000 * min(times) / (days + spin):.3f} ms per day)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
