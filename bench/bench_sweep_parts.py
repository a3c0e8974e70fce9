"""What a sweep's run costs besides the model, piece by piece, in CPU time (`time.process_time`).

    .venv/bin/python bench/bench_sweep_parts.py [--scale 1000] [--runs 10] [--points 50] [--tasks 2000]
                                                [--only runs|sobol|blas|tasks]

Printed, per run of the shipped baseline at 1:S (mean and minimum over N runs after a first one):
- the worker's pieces: the point's scenario (built from the experiment and checked against the network),
  the model (built, spun up and run), the full results tables (`RouteModel.results`, what a sweep built
  before), the summary alone (`sim.summary.summary_of`, what it builds now), the worker's release()
  (a garbage collection);
- the driver's: writing one run's results file (`store.write_run`);
then, for the Sobol example of issue 10 (10 parameters, 1,024 base samples, second-order: 22,528 runs of
scenarios/declaration.yaml, see bench_sweep.py --sobol):
- building and checking the scenario of P of its points (every run a new point);
- the manifest (every run listed) written once, as the driver does at the start, the end and every
  MANIFEST_EVERY_S seconds or more;
the expected flows of a new scenario (the model's only matrix product, every run of a Sobol sweep: its
set-up cache misses), 20 times with BLAS's default threads and 20 times with one, as a worker now has;
and the round trip of T empty tasks through two local worker processes (`sim.execute.ProcessEngine`), one
job a task and eight jobs a task, in the driver's CPU and in wall time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def experiment(folder: Path, data: dict) -> Path:
    import yaml

    path = folder / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def ms(values) -> str:
    return f"{1000 * statistics.fmean(values):8.1f} ms  (min {1000 * min(values):.1f})"


def run_pieces(folder: Path, scale: int, n: int) -> None:
    from sim.execute import one_blas_thread, release, warm_up
    from sim.experiments import store
    from sim.experiments.plan import load_experiment
    from sim.experiments.worker import _outputs, point_scenario
    from sim.model.model import RouteModel
    from sim.summary import summary_of

    plan = load_experiment(experiment(folder, {
        "name": "parts", "base": str(ROOT / "scenarios" / "baseline.yaml"), "set": {"scale": scale},
        "design": "grid", "factors": [], "replicates": n + 1}))
    ctx = plan.context
    warm_up()
    one_blas_thread()
    pieces = {k: [] for k in ("scenario", "model", "results tables", "summary only", "release", "write_run")}
    for i, r in enumerate(plan.runs):
        c = time.process_time()
        scenario = point_scenario(ctx, plan.points[r.point])
        pieces["scenario"].append(time.process_time() - c)
        c = time.process_time()
        model = RouteModel(scenario, routes=ctx.network, seed=r.seed)
        while model.running:
            model.step()
        pieces["model"].append(time.process_time() - c)
        c = time.process_time()
        results = model.results()
        pieces["results tables"].append(time.process_time() - c)
        c = time.process_time()
        summary = summary_of(model)
        pieces["summary only"].append(time.process_time() - c)
        assert summary["overall"] == results.summary["overall"]
        payload = {"run": r.run, "status": "done", "outputs": _outputs(summary, ctx.outputs), "daily": None,
                   "seconds": 1.0, "sim_seconds": 1.0}
        del results, model
        c = time.process_time()
        release()
        pieces["release"].append(time.process_time() - c)
        c = time.process_time()
        store.write_run(folder / "out", plan, (r, plan.points[r.point]), payload)
        pieces["write_run"].append(time.process_time() - c)
        if i == 0:  # the first run fills the set-up caches
            pieces = {k: [] for k in pieces}
    print(f"baseline at 1:{scale}, {n} runs, CPU per run:")
    for k, v in pieces.items():
        print(f"  {k:15s} {ms(v)}")


def sobol_pieces(folder: Path, points: int) -> None:
    from bench_sweep import write_experiment

    from sim.experiments import store
    from sim.experiments.plan import load_experiment
    from sim.experiments.worker import point_scenario

    sub = folder / "sobol"
    sub.mkdir()
    c = time.process_time()
    plan = load_experiment(write_experiment(sub, ROOT / "scenarios" / "declaration.yaml", 1, 1000, None, sobol=True))
    print(f"Sobol example: {len(plan.runs)} runs, plan loaded in {time.process_time() - c:.2f} s of CPU")
    point_scenario(plan.context, plan.points[0])
    times = []
    for p in plan.points[1:points + 1]:
        c = time.process_time()
        point_scenario(plan.context, p)
        times.append(time.process_time() - c)
    print(f"  scenario of a new point, {points} points: {ms(times)}")
    state = {r.run: {"status": "done", "seconds": 0.5, "error": None} for r in plan.runs}
    c = time.process_time()
    store.write_manifest(sub, store.manifest(plan, state, plan.points))
    print(f"  manifest written: {1000 * (time.process_time() - c):.0f} ms of CPU, "
          f"{(sub / store.MANIFEST).stat().st_size / 1e6:.1f} MB")


def blas() -> None:
    from threadpoolctl import threadpool_info, threadpool_limits

    from sim.model.model import RouteModel

    model = RouteModel(ROOT / "scenarios" / "declaration.yaml", scale=1000, days=1)
    p = model.perception
    values, legs = p.cost_to_go(model.market.price, model.risks, model.today.closed,
                                p.trust(model.today.trust_mult, model.online_reach), model.today.readmit,
                                model.today.visa)
    default = max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
    for threads in (default, 1):
        with threadpool_limits(limits=threads, user_api="blas"):
            p.expected_flows(values, legs, model.demand)
            cpu, wall = [], []
            for _ in range(20):
                c, t = time.process_time(), time.perf_counter()
                p.expected_flows(values, legs, model.demand)
                cpu.append(time.process_time() - c)
                wall.append(time.perf_counter() - t)
        print(f"  {threads} BLAS thread(s): CPU {ms(cpu)}, wall {ms(wall)}")


def echo(_context, job):
    return {"run": job, "status": "done", "outputs": {f"k{i}": float(i) for i in range(11)}, "daily": None,
            "seconds": 0.1, "sim_seconds": 0.1, "error": None}


def echo_chunk(context, jobs):
    return [echo(context, j) for j in jobs]


def ipc(tasks: int) -> None:
    from sim.execute import ProcessEngine

    for chunk in (1, 8):
        engine = ProcessEngine(echo if chunk == 1 else echo_chunk, None, 2)
        try:
            items = list(range(tasks)) if chunk == 1 else [list(range(i, i + chunk)) for i in range(0, tasks, chunk)]
            c, t = time.process_time(), time.perf_counter()
            inflight = set()
            while items or inflight:
                while items and len(inflight) < engine.capacity:
                    inflight.add(engine.submit(items.pop()))
                for f in engine.wait(inflight):
                    inflight.discard(f)
                    f.result()
            print(f"  {chunk} job(s) a task: driver CPU {1000 * (time.process_time() - c) / tasks:.3f} ms a job, "
                  f"wall {1000 * (time.perf_counter() - t) / tasks:.3f} ms a job")
        finally:
            engine.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--points", type=int, default=50)
    ap.add_argument("--tasks", type=int, default=2000)
    ap.add_argument("--only", choices=("runs", "sobol", "blas", "tasks"), default=None, help="measure only this part")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_parts_"))
    try:
        print(f"load average {os.getloadavg()[0]:.1f}")
        if args.only in (None, "runs"):
            run_pieces(folder, args.scale, args.runs)
        if args.only in (None, "sobol"):
            sobol_pieces(folder, args.points)
        if args.only in (None, "blas"):
            print("expected flows of a new scenario (declaration, 1:1000):")
            blas()
        if args.only in (None, "tasks"):
            print(f"empty tasks through 2 local workers ({args.tasks}):")
            ipc(args.tasks)
        print(f"load average {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
