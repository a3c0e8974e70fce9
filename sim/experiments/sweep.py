"""Run every missing run of an experiment on local processes or a Dask cluster, writing as they finish.

The driver (this process) hands out jobs, keeps a bounded number in flight, and writes each result
(see store.py). Workers only compute: they never write, so a cluster needs no shared disk. A run's
seed comes from the experiment (seed + replicate), never from the worker, so results do not depend
on the engine or the number of workers.
"""

from __future__ import annotations

import concurrent.futures as cf
import fcntl
import multiprocessing
import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from . import store
from .spec import Plan
from .worker import execute, execute_local, init_process, worker_info

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
    sim_seconds: dict = field(default_factory=dict)  # run -> seconds of the sim.run call alone


class EngineBroken(Exception):
    """The engine cannot go on (lost scheduler, repeated worker deaths)."""


# ----------------------------------------------------------------------------- engines
class InlineEngine:
    """One worker: the runs happen in this process, one after the other."""

    name = "inline (1 process)"

    def __init__(self, ctx):
        from .worker import _warm_up

        self.ctx, self.capacity = ctx, 1
        _warm_up()  # freezes what is loaded, so that collecting each finished model is cheap

    def submit(self, job):
        f = cf.Future()
        f.set_result(execute(self.ctx, job))
        return f

    def wait(self, futures):
        return [f for f in futures if f.done()] or list(futures)[:1]

    def close(self, cancel=False):
        from .worker import unfreeze

        unfreeze()


class ProcessEngine:
    """Local worker processes (concurrent.futures, spawned: a clean interpreter each)."""

    def __init__(self, ctx, workers: int):
        self.ctx, self.workers, self.capacity = ctx, workers, 2 * workers
        self.name = f"local processes ({workers} workers)"
        self.pool = self._pool()

    def _pool(self):
        pool = cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=init_process, initargs=(self.ctx,))
        try:  # a worker must come up before any run is trusted to it
            pool.submit(worker_info).result(timeout=300)
        except (cf.process.BrokenProcessPool, cf.TimeoutError) as exc:
            self._stop(pool)
            raise EngineBroken("the local worker processes do not start (" + (str(exc) or type(exc).__name__)
                               + "); when calling sweep() from a script, guard it with "
                               "if __name__ == '__main__':") from None
        return pool

    def submit(self, job):
        return self.pool.submit(execute_local, job)

    def wait(self, futures):
        done, _ = cf.wait(futures, timeout=5.0, return_when=cf.FIRST_COMPLETED)
        return done

    def restart(self):
        self._stop(self.pool)
        self.pool = self._pool()

    @staticmethod
    def _stop(pool):
        """Stop a pool now: the runs in flight are dropped (they will be run again on resume)."""
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:  # our own worker processes, by their handles
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)

    def close(self, cancel=False):
        if cancel:
            self._stop(self.pool)
        else:
            self.pool.shutdown(wait=True)


class DaskEngine:
    """A Dask distributed cluster: an existing scheduler, or a LocalCluster started here."""

    def __init__(self, ctx, address: str | None, workers: int):
        from distributed import Client, LocalCluster

        self.cluster = None
        if address:
            try:
                self.client = Client(address, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise InputError(None, "--scheduler", f"cannot reach the Dask scheduler at {address} ({exc})") from None
            self.name = f"Dask scheduler {address}"
        else:
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                        dashboard_address=None)
            self.client = Client(self.cluster)
            self.name = f"Dask LocalCluster ({workers} workers)"
        try:
            self._check_workers()
            self.ctx_future = self.client.scatter(ctx, broadcast=True, hash=False)
        except BaseException:
            self.close(cancel=True)
            raise
        self.capacity = 2 * max(1, sum(self.client.nthreads().values()))

    def _check_workers(self):
        from .. import __version__

        self.client.wait_for_workers(1, timeout=60)
        try:
            infos = self.client.run(worker_info)
        except Exception as exc:  # noqa: BLE001 - the workers could not even import the package
            raise InputError(None, "--scheduler", f"the Dask workers cannot run the simulator ({exc}): "
                                                  "install this package on them") from None
        bad = {w: i["version"] for w, i in infos.items() if i["version"] != __version__}
        if bad:
            w, v = next(iter(bad.items()))
            raise InputError(None, "--scheduler", f"worker {w} has sim {v}, this is sim {__version__}: "
                                                  "the cluster must run the same code")

    def submit(self, job):
        return self.client.submit(execute, self.ctx_future, job, pure=False, retries=0)

    def wait(self, futures):
        from distributed import wait

        try:
            done, _ = wait(list(futures), timeout=5.0, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return []
        return done

    def close(self, cancel=False):
        try:
            self.client.close()  # releases (cancels) whatever is still in flight
        finally:
            if self.cluster is not None:
                self.cluster.close()


def make_engine(ctx, workers: int | None, scheduler: str | None, engine: str):
    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    if engine == "auto":
        engine = "dask" if address else "processes"
    workers = workers or os.cpu_count() or 1
    if engine == "dask":
        return DaskEngine(ctx, address, workers)
    if address and engine == "processes":
        raise InputError(None, "--engine", "processes runs locally: drop --scheduler (or DASK_SCHEDULER_ADDRESS)")
    if workers == 1:
        return InlineEngine(ctx)
    return ProcessEngine(ctx, workers)


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
        store.write_manifest(out, store.manifest(plan, state, params))
        if not todo:
            _finish(report, state)
            return report
        eng = make_engine(plan.context, workers, scheduler, engine)
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
                if time.monotonic() - last_manifest > MANIFEST_EVERY_S:
                    store.write_manifest(out, store.manifest(plan, state, params))
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
    state[rid] = {"status": payload["status"], "seconds": payload["seconds"], "error": payload["error"]}
    report.run_seconds[rid] = payload["seconds"]
    if payload.get("sim_seconds") is not None:
        report.sim_seconds[rid] = payload["sim_seconds"]
    report.ran += 1
    report.failed = sum(1 for s in state.values() if s["status"] == "failed")


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
