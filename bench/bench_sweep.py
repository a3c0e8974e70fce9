"""Benchmark of sweeps: runs per second on 1 and 2 workers, per-run overhead, worker memory over many runs.

    .venv/bin/python bench/bench_sweep.py [SCENARIO] [--runs N] [--scales 100,1000] [--days D] [--workers 1,2]
                                          [--direct-runs K] [--chunk C] [--workdir DIR]
                                          [--memory-runs M] [--skip-memory] [--skip-speed] [--json FILE]

SCENARIO (default scenarios/baseline.yaml) is swept N times (default 1,000: one design point, N replicates,
seeds seed..seed+N-1) at each 1:S scale (default 1:100 and 1:1000) on local processes, once per worker
count (default 1, 2). Printed, per scale:

- runs per second for each worker count, and the scaling efficiency rate2 / (2 x rate1);
- runs per CPU second of one worker: the same run (scenario built from the sweep's point, run(), the
  worker's release()) called directly in this process, in CPU time (`time.process_time`), which other
  jobs on the machine change far less than wall time;
- the Sobol example (10 parameters, 1,024 base samples: 1,024 x (10 + 2) = 12,288 runs with Saltelli's
  scheme, or 1,024 x (2 x 10 + 2) = 22,528 with second-order indices, the figure of issue 10) as a
  projected time on 1 and 2 workers, from the measured sweep rates and from the CPU rate;
- the per-run overhead beyond the simulation, two ways:
  (a) as the issue defines it: wall time per run of the 1-worker sweep minus the mean time of the same
      run() called directly for K of the same seeds (default 200). To keep both under the same machine
      load, the 1-worker sweep runs in chunks of C runs (default 100, resuming the same results folder)
      and the direct calls for a chunk's seeds are timed just before it;
  (b) within the sweep: wall time per run minus the mean time of the run() call inside the sweep
      (recorded per run in the results files), which no load drift can bias;
- memory: the resident set size of one long-lived local worker process, and of one Dask worker, after
  each of M small runs (default 500 runs of the tiny test network, 60 days).

A long benchmark can be interrupted and resumed: give --workdir DIR and rerun the same command; sweeps
resume (they are resumable), and the time of an interrupted session is taken from its files' times.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# ----------------------------------------------------------------------------- state (for resuming)
def load_state(workdir: Path, config: dict) -> dict:
    path = workdir / "state.json"
    if path.exists():
        state = json.loads(path.read_text())
        if state["config"] != config:
            sys.exit(f"error: {workdir} holds a benchmark with other settings: {state['config']}")
        return state
    return {"config": config, "direct": {}, "sessions": {}}


def save_state(workdir: Path, state: dict) -> None:
    tmp = workdir / ".state.json.tmp"
    tmp.write_text(json.dumps(state, indent=1))
    os.replace(tmp, workdir / "state.json")


def run_files(out: Path) -> list[Path]:
    return sorted((out / "runs").glob("run-*.parquet")) if (out / "runs").is_dir() else []


def close_open_sessions(sessions: list[dict], out: Path) -> None:
    """A session cut short (process killed): its runs are the files written after it started, its end the
    last of them."""
    for s in sessions:
        if s["end"] is None:
            newer = [p.stat().st_mtime for p in run_files(out) if p.stat().st_mtime >= s["start"]]
            s["after"] = s["before"] + len(newer)
            s["end"] = max(newer) if newer else s["start"]
            s["interrupted"] = True


def rate(sessions: list[dict]) -> tuple[float, int, float]:
    runs = sum(s["after"] - s["before"] for s in sessions)
    wall = sum(s["end"] - s["start"] for s in sessions)
    return (runs / wall if wall > 0 else float("nan")), runs, wall


# ----------------------------------------------------------------------------- phases
def write_experiment(workdir: Path, scenario: Path, runs: int, scale: int, days: int | None) -> Path:
    import yaml

    fixed = {"scale": scale}
    if days:
        fixed["days"] = days
    path = workdir / "bench.yaml"
    path.write_text(yaml.safe_dump({"name": "bench", "base": str(scenario.resolve()), "set": fixed,
                                    "design": "grid", "factors": [], "replicates": runs}))
    return path


SOBOL_RUNS = 1024 * (2 * 10 + 2)  # 10 parameters, 1,024 base samples, second-order indices (issue 10)


def time_direct(plan, indices, state, workdir) -> None:
    """Time run() called directly (same scenario, seed and network as the sweep's run) for these run indices,
    in wall and in CPU time (the CPU time also counts building the point's scenario, as a worker does)."""
    from sim import run
    from sim.execute import release, warm_up
    from sim.experiments.worker import point_scenario

    warm_up()  # as a worker starts: the garbage collector then skips what is loaded (see sim.execute.freeze)
    scenario = point_scenario(plan.context, plan.points[0])
    run(scenario, seed=plan.runs[0].seed, routes=plan.context.network)  # a worker is warm after its first run
    release()
    for i in indices:
        if str(i) in state["direct"]:
            continue
        c = time.process_time()
        scenario = point_scenario(plan.context, plan.points[0])
        t = time.perf_counter()
        run(scenario, seed=plan.runs[i].seed, routes=plan.context.network)
        state["direct"][str(i)] = time.perf_counter() - t
        release()  # as the sweep does after each run (not in the wall time, as in the sweep's run() time)
        state.setdefault("direct_cpu", {})[str(i)] = time.process_time() - c
        save_state(workdir, state)


def sweep_phase(plan, workdir: Path, state: dict, workers: int, chunk: int, direct_runs: int) -> None:
    from sim.experiments.sweep import sweep

    out = workdir / f"out{workers}"
    sessions = state["sessions"].setdefault(str(workers), [])
    close_open_sessions(sessions, out)
    n = len(plan.runs)
    n_chunks = math.ceil(n / chunk) if workers == 1 else 1
    per_chunk = math.ceil(direct_runs / n_chunks) if workers == 1 else 0
    while len(run_files(out)) < n:
        done = len(run_files(out))
        if per_chunk:
            c = done // chunk
            first = c * chunk
            time_direct(plan, range(first, min(first + per_chunk, n)), state, workdir)
        session = {"start": time.time(), "before": done, "end": None, "after": None,
                   "load": round(os.getloadavg()[0], 2)}
        sessions.append(session)
        save_state(workdir, state)
        report = sweep(plan, out, workers=workers, progress=sys.stderr.isatty(),
                       stop_after=(chunk - done % chunk) if workers == 1 else None)
        session["end"], session["after"] = time.time(), len(run_files(out))
        session["load_end"] = round(os.getloadavg()[0], 2)
        save_state(workdir, state)
        if report.failed:
            sys.exit(f"error: {report.failed} runs failed: {report.first_error}")
        r, runs, wall = rate(sessions)
        print(f"  {workers} worker(s): {session['after']}/{n} runs, {r:.3f} runs/s so far, load "
              f"{session['load_end']}", flush=True)


def run_call_seconds(out: Path) -> list[float]:
    import pyarrow.parquet as pq

    from sim.experiments.store import RUN_CALL_KEY

    values = []
    for p in run_files(out):
        meta = pq.read_schema(p).metadata or {}
        if RUN_CALL_KEY in meta:
            values.append(float(meta[RUN_CALL_KEY]))
    return values


def memory_local(plan, n: int) -> list[float]:
    """RSS (MB) of one local worker process of the runner after each of n runs."""
    import psutil

    from sim.execute import ProcessEngine, worker_info
    from sim.experiments.worker import execute

    engine = ProcessEngine(execute, plan.context, 1)
    try:
        proc = psutil.Process(engine.pool.submit(worker_info).result()["pid"])
        rss = []
        for i in range(n):
            r = plan.runs[i % len(plan.runs)]
            engine.submit((r, plan.points[r.point])).result()
            rss.append(proc.memory_info().rss / 2**20)
    finally:
        engine.close()
    return rss


def memory_dask(plan, n: int) -> list[float]:
    """RSS (MB) of one Dask worker (LocalCluster, 1 process) after each of n runs, submitted as the sweep does."""
    import psutil
    from distributed import Client, LocalCluster

    from sim.execute import worker_info
    from sim.experiments.worker import execute

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
    pick = {k: round(rss[k - 1], 1) for k in (1, 10, 50, 100, 250, 500, 1000, len(rss)) if k <= len(rss)}
    ref = rss[min(49, len(rss) - 1)]
    return {"rss_mb_after_run": pick, "growth_mb_50_to_end": round(rss[-1] - ref, 1), "max_mb": round(max(rss), 1)}


def speed(args, scale: int, workdir: Path) -> dict:
    """Sweep rates at one scale (see the module's docstring)."""
    from sim.experiments.plan import load_experiment

    workdir.mkdir(parents=True, exist_ok=True)
    config = {"scenario": str(Path(args.scenario).resolve()), "runs": args.runs, "scale": scale,
              "days": args.days, "direct_runs": min(args.direct_runs, args.runs), "chunk": args.chunk}
    state = load_state(workdir, config)
    plan = load_experiment(write_experiment(workdir, Path(args.scenario), args.runs, scale, args.days))
    print(f"{args.scenario}: {args.runs} runs at 1:{scale}, {plan.context.base_data.get('days')} days, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    workers = [int(x) for x in args.workers.split(",") if int(x) > 0]  # --workers 0: the CPU figure only
    if not workers:
        time_direct(plan, range(config["direct_runs"]), state, workdir)
    for w in workers:
        sweep_phase(plan, workdir, state, w, args.chunk, config["direct_runs"])
    result = {"sweeps": []}
    for w in workers:
        sessions = state["sessions"][str(w)]
        r, runs, wall = rate(sessions)
        calls = run_call_seconds(workdir / f"out{w}")
        result["sweeps"].append({
            "workers": w, "runs": runs, "wall_s": round(wall, 1), "runs_per_s": r, "runs_per_s_per_worker": r / w,
            "mean_run_call_s": statistics.fmean(calls), "sessions": len(sessions),
            "interrupted_sessions": sum(1 for s in sessions if s.get("interrupted")),
            "load_average": [min(s["load"] for s in sessions), max(s.get("load_end", s["load"]) for s in sessions)]})
    direct = list(state["direct"].values())
    if direct:
        result["direct"] = {"runs": len(direct), "mean_s": statistics.fmean(direct),
                            "sd_s": statistics.stdev(direct) if len(direct) > 1 else 0.0}
    cpu = list(state.get("direct_cpu", {}).values())
    if cpu:
        result["direct_cpu"] = {"runs": len(cpu), "mean_s": statistics.fmean(cpu), "min_s": min(cpu),
                                "runs_per_cpu_s": 1 / statistics.fmean(cpu)}
    one = next((s for s in result["sweeps"] if s["workers"] == 1), None)
    two = next((s for s in result["sweeps"] if s["workers"] == 2), None)
    if one:
        per_run = 1 / one["runs_per_s"]
        if direct:
            result["overhead_vs_direct_ms"] = 1000 * (per_run - result["direct"]["mean_s"])
        result["overhead_in_sweep_ms"] = 1000 * (per_run - one["mean_run_call_s"])
    if one and two:
        result["efficiency_2"] = two["runs_per_s"] / (2 * one["runs_per_s"])
    projected = {f"{s['workers']} worker(s), measured rate": SOBOL_RUNS / s["runs_per_s"] for s in result["sweeps"]}
    if cpu:
        for w in workers or [1, 2]:
            projected[f"{w} worker(s), CPU rate, idle cores"] = SOBOL_RUNS * statistics.fmean(cpu) / w
    result["sobol"] = {"runs": SOBOL_RUNS, "projected_hours": {k: round(v / 3600, 2) for k, v in projected.items()}}
    for s in result["sweeps"]:
        print(f"  1:{scale}, {s['workers']} worker(s): {s['runs_per_s']:.3f} runs/s "
              f"({s['runs_per_s_per_worker']:.3f} per worker)", flush=True)
    if cpu:
        print(f"  1:{scale}, one worker's CPU: {result['direct_cpu']['mean_s']:.3f} s a run, "
              f"{result['direct_cpu']['runs_per_cpu_s']:.2f} runs per CPU second", flush=True)
    if "efficiency_2" in result:
        print(f"  1:{scale}, 2-worker efficiency: {result['efficiency_2']:.2f}", flush=True)
    print(f"  1:{scale}, Sobol example ({SOBOL_RUNS:,} runs), projected hours: {result['sobol']['projected_hours']}",
          flush=True)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "baseline.yaml"))
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--scales", default="100,1000", help="scales to sweep at (1:S), comma-separated")
    ap.add_argument("--days", type=int, default=None)
    ap.add_argument("--workers", default="1,2", help="worker counts to sweep on; 0: only the CPU time of direct runs")
    ap.add_argument("--direct-runs", type=int, default=200, help="runs timed with run() called directly")
    ap.add_argument("--chunk", type=int, default=100, help="the 1-worker sweep runs in chunks of this many runs")
    ap.add_argument("--workdir", type=Path, default=None, help="keep state here to resume (default: a temp folder)")
    ap.add_argument("--memory-runs", type=int, default=500)
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()

    from sim.experiments.plan import load_experiment

    result = {"command": " ".join([Path(sys.executable).name] + sys.argv), "cpus": os.cpu_count()}
    own_tmp = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="bench_sweep_")) if own_tmp else args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        if not args.skip_speed:
            result["scales"] = {}
            for scale in (int(x) for x in args.scales.split(",")):
                result["scales"][str(scale)] = speed(args, scale, workdir / f"scale{scale}")
        if not args.skip_memory:
            import yaml

            tiny = workdir / "tiny.yaml"
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
        if own_tmp:
            shutil.rmtree(workdir, ignore_errors=True)

    print(json.dumps(result, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
