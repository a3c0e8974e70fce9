"""Benchmark of sweeps: runs per second on 1 and 2 workers, per-run overhead, worker memory over many runs.

    .venv/bin/python bench/bench_sweep.py [SCENARIO] [--runs N] [--scale S] [--days D] [--direct-runs K]
                                          [--workers 1,2] [--memory-runs M] [--skip-memory] [--json FILE]

SCENARIO (default scenarios/baseline.yaml) is swept N times (default 1,000: one design point, N replicates,
seeds seed..seed+N-1) at 1:S scale (default 100), once per worker count (default 1 and 2, local processes).
Printed:

- runs per second per worker count, and the scaling efficiency rate2 / (2 x rate1);
- per-run overhead beyond the simulation, two ways:
  (a) as the issue defines it: wall time per run of the 1-worker sweep minus the mean time of the same
      run() called directly (first K seeds, default all N; measured before the sweeps, same process);
  (b) within the sweep itself: wall time per run minus the mean time of the run() call inside the sweep
      (same runs, same moment, so it does not drift with other load on the machine);
- memory: the resident set size of one long-lived local worker process, and of one Dask worker, over M
  small runs (default 500 runs of the tiny test network, 60 days), sampled after every run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def write_experiment(folder: Path, scenario: Path, runs: int, scale: int, days: int | None) -> Path:
    import yaml

    fixed = {"scale": scale}
    if days:
        fixed["days"] = days
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump({"name": "bench", "base": str(scenario.resolve()), "set": fixed,
                                    "design": "grid", "factors": [], "replicates": runs}))
    return path


def direct(plan, k: int) -> list[float]:
    """Time run() called directly for the first k runs of the plan (same scenario, seeds, network)."""
    from sim import run
    from sim.experiments.worker import point_scenario

    scenario = point_scenario(plan.context, plan.points[0])
    times = []
    for i, r in enumerate(plan.runs[:k]):
        t = time.perf_counter()
        run(scenario, seed=r.seed, network=plan.context.network)
        times.append(time.perf_counter() - t)
        if (i + 1) % 50 == 0:
            print(f"  direct {i + 1}/{k}: {statistics.fmean(times):.3f} s per run, load {os.getloadavg()[0]:.1f}",
                  flush=True)
    return times


def swept(plan, out: Path, workers: int) -> dict:
    from sim.experiments.sweep import sweep

    shutil.rmtree(out, ignore_errors=True)
    load0 = os.getloadavg()[0]
    t = time.perf_counter()
    report = sweep(plan, out, workers=workers, progress=sys.stderr.isatty())
    wall = time.perf_counter() - t
    load1 = os.getloadavg()[0]
    assert report.done == len(plan.runs), f"{report.failed} runs failed: {report.first_error}"
    sim = list(report.sim_seconds.values())
    return {"workers": workers, "engine": report.engine, "runs": len(plan.runs), "wall_s": wall,
            "runs_per_s": len(plan.runs) / wall, "mean_run_call_s": statistics.fmean(sim),
            "mean_job_s": statistics.fmean(report.run_seconds.values()),
            "load_average_before_after": [round(load0, 2), round(load1, 2)]}


def memory_local(plan, n: int) -> list[float]:
    """RSS (MB) of one spawned worker process after each of n runs."""
    import concurrent.futures as cf

    import psutil

    from sim.experiments.worker import execute_local, init_process, worker_info

    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(1, mp_context=ctx, initializer=init_process, initargs=(plan.context,)) as pool:
        proc = psutil.Process(pool.submit(worker_info).result()["pid"])
        rss = []
        for i in range(n):
            r = plan.runs[i % len(plan.runs)]
            pool.submit(execute_local, (r, plan.points[r.point])).result()
            rss.append(proc.memory_info().rss / 2**20)
    return rss


def memory_dask(plan, n: int) -> list[float]:
    """RSS (MB) of one Dask worker (LocalCluster, 1 process) after each of n runs, as the sweep submits them."""
    import psutil
    from distributed import Client, LocalCluster

    from sim.experiments.worker import execute, worker_info

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        pid = next(iter(client.run(worker_info).values()))["pid"]
        proc = psutil.Process(pid)
        ctx = client.scatter(plan.context, broadcast=True, hash=False)
        rss = []
        for i in range(n):
            r = plan.runs[i % len(plan.runs)]
            fut = client.submit(execute, ctx, (r, plan.points[r.point]), pure=False)
            fut.result()
            del fut
            rss.append(proc.memory_info().rss / 2**20)
    return rss


def summarise_rss(rss: list[float]) -> dict:
    pick = {k: round(rss[k - 1], 1) for k in (1, 10, 50, 100, 250, 500, len(rss)) if k <= len(rss)}
    ref = rss[min(49, len(rss) - 1)]
    return {"rss_mb_after_run": pick, "growth_mb_50_to_end": round(rss[-1] - ref, 1),
            "max_mb": round(max(rss), 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "baseline.yaml"))
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--scale", type=int, default=100)
    ap.add_argument("--days", type=int, default=None)
    ap.add_argument("--direct-runs", type=int, default=None, help="runs timed directly (default: all)")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--memory-runs", type=int, default=500)
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()

    from sim.experiments.spec import load_experiment

    result = {"command": " ".join([Path(sys.executable).name] + sys.argv), "cpus": os.cpu_count(),
              "load_average_at_start": round(os.getloadavg()[0], 2)}
    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    try:
        if not args.skip_speed:
            plan = load_experiment(write_experiment(tmp, Path(args.scenario), args.runs, args.scale, args.days))
            k = args.direct_runs or args.runs
            print(f"{args.scenario}: {args.runs} runs at 1:{args.scale}, {plan.context.base_data.get('days')} days; "
                  f"direct run() x {k} ...", flush=True)
            times = direct(plan, k)
            result["direct"] = {"runs": k, "mean_s": statistics.fmean(times),
                                "sd_s": statistics.stdev(times) if len(times) > 1 else 0.0}
            print(f"  direct: {result['direct']['mean_s']:.3f} s per run", flush=True)
            result["sweeps"] = []
            for w in [int(x) for x in args.workers.split(",")]:
                print(f"sweep on {w} worker(s) ...", flush=True)
                s = swept(plan, tmp / f"out{w}", w)
                result["sweeps"].append(s)
                print(f"  {s['runs_per_s']:.3f} runs/s ({s['wall_s']:.0f} s, {s['engine']})", flush=True)
            one = next((s for s in result["sweeps"] if s["workers"] == 1), None)
            two = next((s for s in result["sweeps"] if s["workers"] == 2), None)
            if one:
                per_run = one["wall_s"] / one["runs"]
                result["overhead_vs_direct_ms"] = 1000 * (per_run - result["direct"]["mean_s"])
                result["overhead_in_sweep_ms"] = 1000 * (per_run - one["mean_run_call_s"])
            if one and two:
                result["efficiency_2"] = two["runs_per_s"] / (2 * one["runs_per_s"])
        if not args.skip_memory:
            tiny = tmp / "tiny.yaml"
            import yaml

            tiny.write_text(yaml.safe_dump({"name": "memory", "base": str(ROOT / "tests" / "fixtures" / "tiny.yaml"),
                                            "set": {"days": 60, "scale": 10}, "replicates": 50}))
            mplan = load_experiment(tiny)
            print(f"memory: {args.memory_runs} runs of the tiny network on one local worker ...", flush=True)
            result["memory_local"] = summarise_rss(memory_local(mplan, args.memory_runs))
            print(f"  {result['memory_local']}", flush=True)
            print(f"memory: {args.memory_runs} runs on one Dask worker ...", flush=True)
            result["memory_dask"] = summarise_rss(memory_dask(mplan, args.memory_runs))
            print(f"  {result['memory_dask']}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(json.dumps(result, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
