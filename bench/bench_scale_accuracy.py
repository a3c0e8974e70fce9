"""What a coarser scale costs in accuracy, besides what it saves in time.

A scale of N runs one model entry per N people: the means should stay those of scale 1 and only the noise
grow. This runs the same seeds of a scenario at each scale asked for (default: the shipped 2023 baseline at
1, 10, 100 and 1000) and prints, per main route, the ensemble's mean detections and dead and missing of its
2023 figures, and the scale's difference from scale 1 (bias plus noise: the 95 % interval of the mean at
that scale is printed beside it, so that a difference well outside it is a bias), with the wall time; then
the smuggling networks' side of the same runs: networks active, members arrested and the networks' revenue
per day (means over the run).

Usage:  .venv/bin/python bench/bench_scale_accuracy.py [--scenario PATH] [--scales 1,10,100,1000]
                                                      [--replicates 8] [--workers 2]
Results and the command are recorded in docs/performance.md ("What a coarse scale costs")."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


NETWORK_FIGURES = ("networks_active", "arrests", "revenue_eur")


def network_figures(results) -> dict:
    """Per-day means of the networks' figures over the run (module level: workers receive it)."""
    daily = results.tables["daily"]
    return {k: float(daily[k].mean()) for k in NETWORK_FIGURES}


def main() -> None:
    from sim.calibration import load_observed
    from sim.calibration.validation import validate
    from sim.compare import run_ensemble
    from sim.scenario import load_scenario
    from sim.stats import interval

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    ap.add_argument("--scales", default="1,10,100,1000")
    ap.add_argument("--replicates", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    try:
        scales = [int(s) for s in args.scales.split(",")]
    except ValueError:
        ap.error(f"--scales: whole numbers separated by commas, not {args.scales!r}")
    if not scales or min(scales) < 1 or args.replicates < 2:
        ap.error("--scales: each at least 1; --replicates: at least 2 (the interval needs two runs)")
    if not args.scenario.is_file():
        ap.error(f"--scenario: no such file: {args.scenario}")
    _, observed = load_observed(ROOT / "data" / "observed_europe_2023.yaml")
    table, seconds, networks = {}, {}, {}
    scenario, _ = load_scenario(args.scenario)
    for scale in scales:
        t0 = time.perf_counter()
        v = validate(args.scenario, observed, replicates=args.replicates, scale=scale, workers=args.workers)
        seconds[scale] = time.perf_counter() - t0
        table[scale] = {(r["figure"], r["route"]): (r["sim"], r.get("low_sim"), r.get("high_sim")) for r in v.rows
                        if r["figure"] in ("detections", "dead and missing")}
        # validate() hands back only the figures it checks: the networks' side reruns the same seeds (seconds
        # at these scales; the timing printed is validate's alone)
        runs = run_ensemble(scenario, range(1, args.replicates + 1), scale=scale, workers=args.workers,
                            measure=network_figures)
        networks[scale] = {k: interval([r[k] for r in runs]) for k in NETWORK_FIGURES}
    ref = scales[0]
    print(f"{args.scenario.name}, seeds 1-{args.replicates}; difference from scale {ref} "
          "(the 95 % interval of the mean at that scale, as a difference from its mean, in brackets)")
    print(f"{'figure':<28}" + "".join(f"{'scale ' + str(s):>24}" for s in scales))
    for key in table[ref]:
        base = table[ref][key][0]
        cells = [f"{base:,.0f}"]
        for s in scales[1:]:
            mean, low, high = table[s][key]
            half = (high - low) / 2 / base if low is not None and base else float("nan")
            cells.append(f"{mean / base - 1:+.1%} (±{half:.1%})" if base else "-")
        print(f"{key[0][:16] + ' ' + key[1]:<28}" + "".join(f"{c:>24}" for c in cells))
    for k in NETWORK_FIGURES:
        base = networks[ref][k][0]
        cells = [f"{base:,.1f}"]
        for s in scales[1:]:
            mean, low, high = networks[s][k]
            cells.append(f"{mean / base - 1:+.1%} (±{(high - low) / 2 / base:.1%})" if base else "-")
        print(f"{k + ' per day':<28}" + "".join(f"{c:>24}" for c in cells))
    print("seconds (routes' runs)" + " " * 6 + "".join(f"{seconds[s]:>24.1f}" for s in scales))


if __name__ == "__main__":
    main()
