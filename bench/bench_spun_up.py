"""Benchmark of the spun-up cache (sim/model/spun_up.py): a sweep whose points share their seeds, with the
cache off and on.

    .venv/bin/python bench/bench_spun_up.py [--points N] [--replicates K] [--scale S] [--days D] [--workers W]

The sweep is the Sobol example's design (bench/bench_sweep.py) over the nine kinds of measure of
scenarios/declaration.yaml, WITHOUT its tenth factor (Libya's corruption, a country figure that acts in
the spin-up, so every point would spin up anew), with K replicates (seeds seed..seed+K-1) per point; its
first N x K runs are swept (N points, each on the same K seeds), at 1:S, once with SIM_SPIN_UP_CACHE=0
and once with the cache, on W local worker processes (each its own cache), each sweep from a process of
its own (the workers come from a forkserver, which keeps the environment it started with). Printed for each: wall time,
runs per second, the workers' CPU seconds per run (the jobs' CPU in their workers, as the sweep records
it), and the load average before and after. The summaries of both sweeps are compared: they must be equal.

bench/bench_sweep.py cannot show the cache's gain: its one point's replicates have consecutive seeds (every
run a new spin-up), and its --sobol runs vary Libya's corruption.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=30)
    ap.add_argument("--replicates", type=int, default=4)
    ap.add_argument("--scale", type=int, default=1000)
    ap.add_argument("--days", type=int, default=None)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--one", help=argparse.SUPPRESS)  # a child's sweep folder: each mode in its own process
    args = ap.parse_args()
    if args.one:
        return sweep_once(args, Path(args.one))

    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory() as tmp:
        outputs = {}
        for mode in ("0", "1"):
            # a process of its own: the workers come from a forkserver, which keeps the environment it
            # started with
            out = Path(tmp) / f"mode{mode}"
            subprocess.run([sys.executable, __file__, *sys.argv[1:], "--one", str(out)], check=True,
                           env={**os.environ, "SIM_SPIN_UP_CACHE": mode})
            outputs[mode] = [pq.read_table(p).to_pandas() for p in sorted((out / "sweep").rglob("*.parquet"))]
        same = len(outputs["0"]) == len(outputs["1"]) > 0 and all(
            a.equals(b) for a, b in zip(outputs["0"], outputs["1"]))
        print(f"  outputs identical with and without the cache: {same}")
        if not same:
            sys.exit(1)


def sweep_once(args, work: Path) -> None:
    import yaml
    from bench_sweep import SOBOL_FACTORS

    from sim.experiments.plan import load_experiment
    from sim.experiments.sweep import sweep

    work.mkdir(parents=True)
    n = args.points * args.replicates
    fixed = {"scale": args.scale, **({"days": args.days} if args.days else {})}
    data = {"name": "bench-spun-up", "base": str(ROOT / "scenarios" / "declaration.yaml"), "set": fixed,
            "design": "sobol", "samples": 1024, "second_order": True, "replicates": args.replicates,
            "factors": [f for f in SOBOL_FACTORS if f["name"] != "corruption_LBY"]}
    (work / "exp.yaml").write_text(yaml.safe_dump(data))
    plan = load_experiment(work / "exp.yaml")
    mode = os.environ.get("SIM_SPIN_UP_CACHE", "1")
    if mode == "0":
        print(f"declaration, {args.points} points x {args.replicates} seeds = {n} runs at 1:{args.scale}, "
              f"{plan.context.base_data.get('days')} days, {args.workers} worker(s)", flush=True)
    load = os.getloadavg()[0]
    start = time.perf_counter()
    report = sweep(plan, work / "sweep", workers=args.workers, progress=False, stop_after=n)
    wall = time.perf_counter() - start
    if report.failed:
        sys.exit(f"error: {report.failed} runs failed: {report.first_error}")
    cpu = sum(report.cpu_seconds.values()) / max(len(report.cpu_seconds), 1)
    print(f"  cache {'on ' if mode != '0' else 'off'}: {wall:.1f} s wall, {n / wall:.2f} runs/s, "
          f"{cpu:.3f} s CPU per run in the workers, load {load:.2f} -> {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
