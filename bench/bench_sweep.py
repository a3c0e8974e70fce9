"""Benchmark of sweeps: runs per second on 1 and 2 workers, per-run overhead, worker memory over many runs.

    .venv/bin/python bench/bench_sweep.py [SCENARIO] [--runs N] [--scales 100,1000] [--days D] [--workers 1,2] [--sobol]
                                          [--direct-runs K] [--chunk C] [--alternate R] [--workdir DIR]
                                          [--memory-runs M] [--skip-memory] [--skip-speed] [--json FILE]

SCENARIO (default scenarios/baseline.yaml) is swept N times (default 1,000: one design point, N replicates,
seeds seed..seed+N-1) at each 1:S scale (default 1:100 and 1:1000) on local processes, once per worker
count (default 1, 2); with --sobol, the first N runs of the Sobol example below instead (SCENARIO must then
be scenarios/declaration.yaml, whose measures its factors vary). Printed, per scale:

- runs per second for each worker count, and the scaling efficiency rate2 / (2 x rate1); also both once
  every worker has finished its first run (from the run files' write times), which leaves out each
  worker's start, paid once per sweep; with --alternate R the worker counts are swept in turn in R rounds
  of N/R runs each (each round a new sweep session, its workers started again), so that the machine's
  speed, which drifts by a sixth within minutes here, weighs on both rates alike;
- runs per CPU second of one worker: the same run as a sweep's worker does it (scenario built from the
  sweep's point, the model built and run, its summary, the worker's release()) called directly in this
  process, in CPU time (`time.process_time`), which other jobs on the machine change far less than
  wall time; and the model's share of it (building and running the model, without the summary);
- the Sobol example (10 parameters, 1,024 base samples: 1,024 x (10 + 2) = 12,288 runs with Saltelli's
  scheme, or 1,024 x (2 x 10 + 2) = 22,528 with second-order indices, the figure of issue 10) as a
  projected time on 1 and 2 workers, from the measured sweep rates and from the CPU rate;
- the per-run overhead beyond the model, to combine with any model speed:
  (a) wall time per run of the 1-worker sweep minus the mean wall time of the model alone (built and
      run, no summary) for K of the same seeds (default 200). To keep both under the same machine
      load, the 1-worker sweep runs in chunks of C runs (default 100, resuming the same results folder)
      and the direct calls for a chunk's seeds are timed just before it;
  (b) in CPU time: one worker's CPU per run minus the model's, from the same direct calls;
  (c) within the sweep: wall time per run minus the mean time of the run call inside the sweep
      (recorded per run in the results files), which no load drift can bias;
  and the driver's (this process's) CPU time per run of the 2-worker sweep, which the workers' cores pay;
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


def steady_rate(sessions: list[dict], out: Path, workers: int) -> float:
    """Runs per second once every worker has finished its first run: from the run files' write times,
    each session's runs after its first `workers` over the time from the `workers`-th to the last. Leaves
    out what a sweep pays once per worker (its start, loading the compiled kernels), which a long sweep
    (the Sobol example's 22,528 runs) spreads over thousands of runs."""
    times = sorted(p.stat().st_mtime for p in run_files(out))
    runs = wall = 0.0
    for s in sessions:
        mine = [t for t in times if s["start"] <= t <= s["end"] + 1.0]
        if len(mine) > workers + 1:
            runs += len(mine) - workers
            wall += mine[-1] - mine[workers - 1]
    return runs / wall if wall > 0 else float("nan")


# ----------------------------------------------------------------------------- phases
def write_experiment(workdir: Path, scenario: Path, runs: int, scale: int, days: int | None,
                     sobol: bool = False) -> Path:
    """One design point and `runs` replicates; or, with sobol, the Sobol example of issue 10 (its first
    `runs` runs are swept: every run a new point, as in the real thing)."""
    import yaml

    fixed = {"scale": scale}
    if days:
        fixed["days"] = days
    path = workdir / "bench.yaml"
    data = {"name": "bench", "base": str(scenario.resolve()), "set": fixed, "design": "grid", "factors": [],
            "replicates": runs}
    if sobol:
        data.update({"design": "sobol", "samples": 1024, "second_order": True, "replicates": 1,
                     "factors": SOBOL_FACTORS})
    path.write_text(yaml.safe_dump(data))
    return path


# the Sobol example: the nine kinds of measure of scenarios/declaration.yaml (as in
# scenarios/experiments/sobol_interventions.yaml) and Libya's corruption, 10 parameters
SOBOL_FACTORS = [
    {"name": kind, "path": f"interventions[kind={kind}].{field}", "relative": True, "low": low, "high": 2}
    for kind, field, low in (
        ("awareness_campaign", "intensity", 0), ("transport_operator_cooperation", "intensity", 0),
        ("operational_cooperation", "intensity", 0), ("digital_platform_cooperation", "intensity", 0),
        ("financial_investigations", "intensity", 0), ("anti_corruption", "intensity", 0),
        ("capacity_building", "intensity", 0), ("legal_pathways", "places_per_year", 0.1),
        ("vocational_training", "places_per_year", 0.1))
] + [{"name": "corruption_LBY", "path": "countries.LBY.corruption", "low": 0.1, "high": 0.9}]
SOBOL_RUNS = 1024 * (2 * 10 + 2)  # 10 parameters, 1,024 base samples, second-order indices (issue 10)


def time_direct(plan, indices, state, workdir) -> None:
    """Time, for these run indices, the run as a sweep's worker does it (worker.execute without the
    bookkeeping), called directly: in wall time the model alone (built and run) and the model with its
    summary (the worker's run call), in CPU time the whole (the point's scenario, the model, its summary,
    the worker's release()) and the model alone."""
    from sim.execute import one_blas_thread, release, warm_up
    from sim.experiments.worker import scenario_of
    from sim.model.model import RouteModel
    from sim.summary import summary_of

    warm_up()  # as a worker starts: the garbage collector then skips what is loaded (see sim.execute.freeze)
    one_blas_thread()  # as a worker

    def one(i):
        c0 = time.process_time()
        run = plan.runs[i]  # the point's scenario as the worker gets it: built once for its replicates
        scenario = scenario_of(plan.context, run.point, plan.points[run.point])
        t0, c1 = time.perf_counter(), time.process_time()
        model = RouteModel(scenario, routes=plan.context.network, seed=plan.runs[i].seed)
        while model.running:
            model.step()
        t1, c2 = time.perf_counter(), time.process_time()
        summary_of(model)
        t2 = time.perf_counter()
        del model
        release()  # as the sweep does after each run (not in the run call's wall time, as in the sweep)
        return {"model_s": t1 - t0, "call_s": t2 - t0, "cpu_s": time.process_time() - c0, "model_cpu_s": c2 - c1}

    one(0)  # a worker is warm after its first run
    release()
    for i in indices:
        if str(i) in state["direct"]:
            continue
        state["direct"][str(i)] = one(i)
        save_state(workdir, state)


def sweep_phase(plan, workdir: Path, state: dict, workers: int, chunk: int, direct_runs: int,
                upto: int | None = None) -> None:
    """Sweep on `workers` workers until `upto` runs (default: all of them) are in its results folder."""
    from sim.experiments.sweep import sweep

    out = workdir / f"out{workers}"
    sessions = state["sessions"].setdefault(str(workers), [])
    close_open_sessions(sessions, out)
    total = min(len(plan.runs), config_runs(state))
    n = total if upto is None else min(upto, total)
    n_chunks = math.ceil(total / chunk) if workers == 1 else 1
    per_chunk = math.ceil(direct_runs / n_chunks) if workers == 1 else 0
    while len(run_files(out)) < n:
        done = len(run_files(out))
        if per_chunk:
            c = done // chunk
            first = c * chunk
            time_direct(plan, range(first, min(first + per_chunk, n)), state, workdir)
        session = {"start": time.time(), "before": done, "end": None, "after": None,
                   "load": round(os.getloadavg()[0], 2), "cpu_start": time.process_time()}
        sessions.append(session)
        save_state(workdir, state)
        report = sweep(plan, out, workers=workers, progress=sys.stderr.isatty(),
                       stop_after=min(chunk - done % chunk, n - done) if workers == 1 else n - done)
        session["end"], session["after"] = time.time(), len(run_files(out))
        session["load_end"] = round(os.getloadavg()[0], 2)
        session["driver_cpu_s"] = time.process_time() - session.pop("cpu_start")
        session["worker_cpu_s"] = sum(report.cpu_seconds.values())  # the jobs' CPU in their workers
        session["worker_cpu_runs"] = len(report.cpu_seconds)
        save_state(workdir, state)
        if report.failed:
            sys.exit(f"error: {report.failed} runs failed: {report.first_error}")
        r, runs, wall = rate(sessions)
        print(f"  {workers} worker(s): {session['after']}/{n} runs, {r:.3f} runs/s so far, load "
              f"{session['load_end']}", flush=True)


def config_runs(state: dict) -> int:
    return state["config"]["runs"]


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
              "days": args.days, "direct_runs": min(args.direct_runs, args.runs), "chunk": args.chunk,
              "sobol": args.sobol, "alternate": args.alternate}
    state = load_state(workdir, config)
    plan = load_experiment(write_experiment(workdir, Path(args.scenario), args.runs, scale, args.days, args.sobol))
    print(f"{args.scenario}: {args.runs} runs{' of the Sobol example' if args.sobol else ''} at 1:{scale}, {plan.context.base_data.get('days')} days, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    workers = [int(x) for x in args.workers.split(",") if int(x) > 0]  # --workers 0: the CPU figure only
    if not workers or 1 not in workers:
        time_direct(plan, range(config["direct_runs"]), state, workdir)
    rounds = max(1, args.alternate)
    for r in range(1, rounds + 1):  # each worker count in turn, a share of the runs each round
        for w in workers:
            sweep_phase(plan, workdir, state, w, args.chunk, config["direct_runs"],
                        upto=math.ceil(args.runs * r / rounds))
    result = {"sweeps": []}
    for w in workers:
        sessions = state["sessions"][str(w)]
        r, runs, wall = rate(sessions)
        calls = run_call_seconds(workdir / f"out{w}")
        steady = steady_rate(sessions, workdir / f"out{w}", w)
        driver = [x for x in sessions if "driver_cpu_s" in x]
        result["sweeps"].append({
            "workers": w, "runs": runs, "wall_s": round(wall, 1), "runs_per_s": r, "runs_per_s_per_worker": r / w,
            "steady_runs_per_s": steady,
            "mean_run_call_s": statistics.fmean(calls), "sessions": len(sessions),
            "interrupted_sessions": sum(1 for s in sessions if s.get("interrupted")),
            "driver_cpu_ms_per_run": 1000 * sum(x["driver_cpu_s"] for x in driver)
            / max(1, sum(x["after"] - x["before"] for x in driver)),
            "worker_cpu_s_per_run": sum(x.get("worker_cpu_s", 0.0) for x in sessions)
            / max(1, sum(x.get("worker_cpu_runs", 0) for x in sessions)),
            "load_average": [min(s["load"] for s in sessions), max(s.get("load_end", s["load"]) for s in sessions)]})
    direct = list(state["direct"].values())
    if direct:
        def mean(key):
            return statistics.fmean(d[key] for d in direct)

        result["direct"] = {"runs": len(direct), "model_s": mean("model_s"), "call_s": mean("call_s"),
                            "cpu_s": mean("cpu_s"), "model_cpu_s": mean("model_cpu_s"),
                            "sd_model_s": statistics.stdev(d["model_s"] for d in direct) if len(direct) > 1 else 0.0,
                            "runs_per_cpu_s": 1 / mean("cpu_s"),
                            "overhead_cpu_ms": 1000 * (mean("cpu_s") - mean("model_cpu_s"))}
    one = next((s for s in result["sweeps"] if s["workers"] == 1), None)
    two = next((s for s in result["sweeps"] if s["workers"] == 2), None)
    if one:
        per_run = 1 / one["runs_per_s"]
        if direct:
            result["overhead_vs_model_ms"] = 1000 * (per_run - result["direct"]["model_s"])
        result["overhead_in_sweep_ms"] = 1000 * (per_run - one["mean_run_call_s"])
    if one and two:
        result["efficiency_2"] = two["runs_per_s"] / (2 * one["runs_per_s"])
        result["efficiency_2_steady"] = two["steady_runs_per_s"] / (2 * one["steady_runs_per_s"])
        # on two otherwise idle cores: the 1-worker sweep (jobs in its own process) needs d1 CPU seconds a run;
        # the 2-worker sweep needs w2 in its workers (each job beside another, sharing caches and memory) and
        # d2 in its driver, which the same two cores pay: rate1 = 1 / d1, rate2 = 2 / (w2 + d2)
        result["efficiency_2_cpu"] = (one["driver_cpu_ms_per_run"] / 1000) / (
            two["worker_cpu_s_per_run"] + two["driver_cpu_ms_per_run"] / 1000)
    projected = {f"{s['workers']} worker(s), measured rate": SOBOL_RUNS / s["runs_per_s"] for s in result["sweeps"]}
    if direct:
        for w in workers or [1, 2]:
            projected[f"{w} worker(s), CPU rate, idle cores"] = SOBOL_RUNS * result["direct"]["cpu_s"] / w
    result["sobol"] = {"runs": SOBOL_RUNS, "projected_hours": {k: round(v / 3600, 2) for k, v in projected.items()}}
    for s in result["sweeps"]:
        print(f"  1:{scale}, {s['workers']} worker(s): {s['runs_per_s']:.3f} runs/s "
              f"({s['runs_per_s_per_worker']:.3f} per worker); once every worker has finished a run "
              f"{s['steady_runs_per_s']:.3f} runs/s", flush=True)
    if direct:
        d = result["direct"]
        print(f"  1:{scale}, one worker's CPU: {d['cpu_s']:.3f} s a run ({d['runs_per_cpu_s']:.2f} runs per CPU "
              f"second), of which the model {d['model_cpu_s']:.3f} s: overhead {d['overhead_cpu_ms']:.1f} ms of CPU",
              flush=True)
    if "overhead_vs_model_ms" in result:
        print(f"  1:{scale}, 1-worker sweep: wall per run minus the model's: {result['overhead_vs_model_ms']:.1f} ms",
              flush=True)
    if "efficiency_2" in result:
        print(f"  1:{scale}, 2-worker efficiency: {result['efficiency_2']:.2f} in wall time, "
              f"{result['efficiency_2_steady']:.2f} once every worker has finished a run, "
              f"{result['efficiency_2_cpu']:.2f} from CPU times (idle cores)", flush=True)
    print(f"  1:{scale}, Sobol example ({SOBOL_RUNS:,} runs), projected hours: {result['sobol']['projected_hours']}",
          flush=True)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "baseline.yaml"))
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--scales", default="100,1000", help="scales to sweep at (1:S), comma-separated")
    ap.add_argument("--days", type=int, default=None)
    ap.add_argument("--sobol", action="store_true",
                    help="sweep the first --runs runs of the Sobol example (SCENARIO: scenarios/declaration.yaml)")
    ap.add_argument("--workers", default="1,2", help="worker counts to sweep on; 0: only the CPU time of direct runs")
    ap.add_argument("--direct-runs", type=int, default=200, help="runs timed with run() called directly")
    ap.add_argument("--chunk", type=int, default=100, help="the 1-worker sweep runs in chunks of this many runs")
    ap.add_argument("--alternate", type=int, default=1,
                    help="sweep the worker counts in turn in this many rounds (runs/K each), so that the machine's "
                         "speed drifting over minutes weighs on each count alike")
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
