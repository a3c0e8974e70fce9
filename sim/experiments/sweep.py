"""Run every missing run of an experiment on local processes or a Dask cluster, writing as they finish.

The driver (this process) hands out jobs, keeps a bounded number in flight, and writes each result
(see store.py). Workers only compute: they never write, so a cluster needs no shared disk. A run's
seed comes from the experiment (seed + replicate), never from the worker, so results do not depend
on the engine or the number of workers.
"""

from __future__ import annotations

import concurrent.futures as cf
import fcntl
import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..execute import EngineBroken, Runner
from . import store
from .plan import Plan
from .worker import execute as run_point

MANIFEST_EVERY_S = 30.0
MAX_WORKER_DEATHS = 3  # a run that, alone on the pool, kills its worker this often is recorded as failed


@dataclass
class SweepReport:
    total: int
    done: int = 0
    failed: int = 0
    pending: int = 0
    before: int = 0  # runs already finished (done or failed) when the sweep started
    ran: int = 0  # runs finished by this call
    seconds: float = 0.0
    engine: str = ""
    first_error: str | None = None
    lost: int = 0  # runs not finished because the engine broke down (rerun to finish them)
    run_seconds: dict = field(default_factory=dict)  # run -> seconds of the whole job in the worker
    sim_seconds: dict = field(default_factory=dict)  # run -> seconds of the run call alone (run or run_summary)
    cpu_seconds: dict = field(default_factory=dict)  # run -> CPU seconds of the whole job in the worker


def scheduler_address(scheduler: str | None) -> str | None:
    """The Dask scheduler a sweep uses: --scheduler, else $DASK_SCHEDULER_ADDRESS, else none (local)."""
    return scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None


def make_runner(ctx, workers: int | None, scheduler: str | None, engine: str) -> Runner:
    """The runner of an experiment: each worker receives the context once and runs worker.execute."""
    return Runner(workers, scheduler=scheduler_address(scheduler), engine=engine, task=run_point, context=ctx)


# ----------------------------------------------------------------------------- the sweep
class _Lock:
    def __init__(self, out: Path):
        self.path = out / ".lock"

    def __enter__(self):
        self.fh = open(self.path, "w")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.fh.close()
            raise InputError(self.path.parent, None, "another sweep is writing to this folder") from None
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


def prepare_out(out: Path, plan: Plan) -> None:
    """Create DIR, or check that it holds this experiment (same hash and package version)."""
    from .. import __version__

    if out.exists() and not out.is_dir():
        raise InputError(out, None, "is a file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    if (out / store.MANIFEST).exists():
        old = store.read_manifest(out)
        h = old.get("experiment", {}).get("hash")
        if h != plan.hash:
            raise InputError(out, None, f"holds the results of another experiment (hash {h}, this one is {plan.hash}): "
                                        "use another --out folder")
        if old.get("version") != __version__:
            raise InputError(out, None, f"was written by sim {old.get('version')}, this is sim {__version__}: "
                                        "use another --out folder so results of two versions do not mix")
    elif any(p for p in out.iterdir() if not p.name.startswith(".")):
        if any((out / sub).exists() for sub in (store.RUNS, store.FAILED, store.DAILY)):
            raise InputError(out, None, "holds runs but no manifest.json: use another --out folder")


def sweep(plan: Plan, out: str | Path, *, workers: int | None = None, scheduler: str | None = None,
          engine: str = "auto", retry_failed: bool = False, progress: bool | None = None,
          echo=None, stop_after: int | None = None) -> SweepReport:
    """Run the experiment's missing runs into `out`; return what happened. Ctrl-C leaves a resumable folder.

    stop_after: end (as if interrupted) after this many runs finish, for tests and dry runs."""
    from tqdm import tqdm

    echo = echo or (lambda msg: print(msg, file=sys.stderr))
    out = Path(out)
    prepare_out(out, plan)
    params = plan.points
    report = SweepReport(total=len(plan.runs))
    with _Lock(out):
        state = store.scan(out, plan)
        if retry_failed:
            state = {k: v for k, v in state.items() if v["status"] != "failed"}
        todo = deque((r, params[r.point]) for r in plan.runs if r.run not in state)
        report.before = len(state)
        report.failed = sum(1 for s in state.values() if s["status"] == "failed")
        manifest_every = _write_manifest(out, plan, state, params)
        if not todo:
            _finish(report, state)
            return report
        eng = make_runner(plan.context, workers, scheduler, engine)
        report.engine = eng.name
        if state:
            echo(f"resuming: {len(state)} of {len(plan.runs)} runs already finished, {len(todo)} to go")
        show = sys.stderr.isatty() if progress is None else progress
        bar = tqdm(total=len(plan.runs), initial=len(state), unit="run", disable=not show,
                   smoothing=0.05, desc=plan.spec.name[:30])
        inflight: dict = {}
        deaths: dict[int, int] = {}
        suspects: deque = deque()  # runs in flight when a worker died: rerun one at a time to find the culprit
        t0 = last_manifest = time.monotonic()

        def finished(job, payload):
            _record(out, plan, job, payload, state, report)
            bar.update(1)
            if report.failed:
                bar.set_postfix(failed=report.failed, refresh=False)

        try:
            while (todo or inflight or suspects) and not (stop_after is not None and report.ran >= stop_after):
                if suspects:
                    if not inflight:
                        job = suspects.popleft()
                        inflight[eng.submit(job)] = job
                else:
                    while todo and len(inflight) < eng.capacity:
                        job = todo.popleft()
                        inflight[eng.submit(job)] = job
                alone = len(inflight) == 1
                broken = False
                for fut in eng.wait(inflight):
                    job = inflight.pop(fut)
                    try:
                        payload = fut.result()
                    except cf.process.BrokenProcessPool:
                        broken = True
                        inflight[fut] = job  # handled below with the others
                        break
                    except Exception as exc:  # noqa: BLE001 - engine trouble, not the run's
                        if type(exc).__name__ != "KilledWorker":
                            raise EngineBroken(f"{type(exc).__name__}: {exc}") from None
                        payload = _lost(job, f"Dask workers died running it ({exc})")
                    finished(job, payload)
                if broken:
                    # a worker process died: keep what finished; the others are suspects, rerun one at a time,
                    # and a run that kills its worker when alone MAX_WORKER_DEATHS times is recorded as failed
                    lost = []
                    for fut, job in list(inflight.items()):
                        if fut.done() and not fut.cancelled() and fut.exception() is None:
                            finished(job, fut.result())
                        else:
                            lost.append(job)
                    inflight.clear()
                    if alone and len(lost) == 1:
                        job = lost[0]
                        deaths[job[0].run] = deaths.get(job[0].run, 0) + 1
                        if deaths[job[0].run] >= MAX_WORKER_DEATHS:
                            finished(job, _lost(job, f"the worker process died {MAX_WORKER_DEATHS} times running it"))
                            lost = []
                    suspects.extendleft(reversed(lost))
                    echo("a worker process died: restarting the local pool and running its runs again")
                    eng.restart()
                if time.monotonic() - last_manifest > manifest_every:
                    manifest_every = _write_manifest(out, plan, state, params)
                    last_manifest = time.monotonic()
        except EngineBroken as exc:
            report.lost = len(todo) + len(inflight) + len(suspects)
            echo(f"the engine stopped ({exc}); rerun the same command to finish the missing runs")
            eng.close(cancel=True)
            eng = None
        except KeyboardInterrupt:
            bar.close()
            eng.close(cancel=True)
            eng = None
            store.write_manifest(out, store.manifest(plan, state, params))
            report.seconds = time.monotonic() - t0
            _finish(report, state)
            raise
        finally:
            bar.close()
            if eng is not None:
                eng.close(cancel=bool(todo or inflight or suspects))
        report.seconds = time.monotonic() - t0
        store.write_manifest(out, store.manifest(plan, state, params))
    _finish(report, state)
    return report


def _record(out, plan, job, payload, state, report):
    rid = job[0].run
    if payload["status"] == "done":
        store.write_run(out, plan, job, payload)
    else:
        store.write_failed(out, plan, job, payload)
    # counted as it changes, not over the whole state each run (22,528 runs in a Sobol sweep)
    report.failed += (payload["status"] == "failed") - (state.get(rid, {}).get("status") == "failed")
    state[rid] = {"status": payload["status"], "seconds": payload["seconds"], "error": payload["error"]}
    report.run_seconds[rid] = payload["seconds"]
    if payload.get("sim_seconds") is not None:
        report.sim_seconds[rid] = payload["sim_seconds"]
    if payload.get("cpu_seconds") is not None:
        report.cpu_seconds[rid] = payload["cpu_seconds"]
    report.ran += 1


def _write_manifest(out, plan, state, params) -> float:
    """Write the manifest; return the seconds to wait before the next one: MANIFEST_EVERY_S, or longer
    when writing it takes more than 1 % of that (it lists every run: 19 MB and about 1 s of the driver's
    CPU for a Sobol sweep of 22,528 runs, which the workers' cores would otherwise pay for every 30 s)."""
    t = time.process_time()
    store.write_manifest(out, store.manifest(plan, state, params))
    return max(MANIFEST_EVERY_S, 100 * (time.process_time() - t))


def _lost(job, error: str) -> dict:
    return {"run": job[0].run, "status": "failed", "outputs": None, "daily": None, "seconds": float("nan"),
            "error": error}


def _finish(report: SweepReport, state: dict):
    report.done = sum(1 for s in state.values() if s["status"] == "done")
    report.failed = sum(1 for s in state.values() if s["status"] == "failed")
    report.pending = report.total - report.done - report.failed
    errs = sorted((k, s["error"]) for k, s in state.items() if s["status"] == "failed")
    if errs:
        report.first_error = f"run {errs[0][0]}: {errs[0][1]}"
