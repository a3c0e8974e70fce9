"""The one runner: a list of jobs run in this process, on local worker processes or on a Dask cluster.

Compare, calibration, the experiments' sweep (and the app) all hand their runs to a `Runner`. A job's seed
is part of the job, never of the worker, so a job gives the same result on any engine and any number of
workers. Workers only compute and return what the job keeps; the caller writes.

Two ways to use it:
- `run_jobs(jobs, workers=...)`: run them all, results in job order (what ensembles and calibration do);
- `Runner(...)`: `submit` a job, poll its future (`done()`, `result()`), `cancel` the ones not wanted any
  more, `close` at the end (what the sweep does, and what a long-lived app holds).

A worker keeps what is slow to rebuild between jobs: the loaded route networks (by file) and a shared
`context` (sent once per worker, e.g. an experiment's base scenario and network).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import gc
import multiprocessing
import os
import sys
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError


# ----------------------------------------------------------------------------- jobs
def summary(results) -> dict:
    """What a job keeps by default: the run's summary (overall and per corridor)."""
    return dict(results.summary)


@dataclass(frozen=True)
class Job:
    """One run. `keep(results) -> dict` chooses what comes back (the runner adds the seed); it must be a
    module-level function (or a functools.partial of one) so that worker processes can receive it."""

    scenario: Any  # a Scenario, or a scenario mapping (parsed in the worker, relative to `source`)
    seed: int
    days: int | None = None
    scale: int | None = None
    keep: Callable[[Any], dict] = summary
    source: str | None = None


_NETWORKS: dict = {}  # (network folder, its files' modification times) -> RouteNetwork, per process


def _network(scenario):
    """The scenario's route network, loaded once per worker and reused by its later jobs."""
    from .network import load_network

    folder = scenario.network_path()
    stamp = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in Path(folder).glob("*") if p.is_file())) \
        if Path(folder).is_dir() else ()
    key = (str(folder), stamp)
    if key not in _NETWORKS:
        if len(_NETWORKS) >= 4:
            _NETWORKS.pop(next(iter(_NETWORKS)))
        _NETWORKS[key] = load_network(folder)
    return _NETWORKS[key]


def run_job(_context, job: Job) -> dict:
    """The task of ensembles: run one Job and return {'seed': ..., **job.keep(results)}."""
    from .run import run
    from .scenario import Scenario, check_against_network, parse_scenario

    scenario = job.scenario if isinstance(job.scenario, Scenario) else parse_scenario(job.scenario, job.source)
    network = _network(scenario)
    check_against_network(scenario, network)
    results = run(scenario, seed=job.seed, days=job.days, scale=job.scale, routes=network)
    out = {"seed": int(job.seed), **job.keep(results)}
    del results
    release()
    return out


# ----------------------------------------------------------------------------- worker housekeeping
_FROZEN = False


def freeze() -> None:
    """Move everything alive now (modules, the context) out of the garbage collector's way.

    A finished model is a cycle (agents <-> model), freed only by a full collection; after each run the
    worker collects, and with the long-lived objects frozen that takes about 2 ms instead of about 100."""
    global _FROZEN
    if not _FROZEN:
        gc.collect()
        gc.freeze()
        _FROZEN = True


def unfreeze() -> None:
    global _FROZEN
    if _FROZEN:
        gc.unfreeze()
        _FROZEN = False


def release() -> None:
    """Free the finished model now, so a long-lived worker's memory stays flat."""
    if not _FROZEN and multiprocessing.parent_process() is not None:
        freeze()  # a worker process that was not warmed up (a Dask worker that joined late)
    gc.collect()


def warm_up() -> None:
    """Import the model now, so the first run's time is the run's alone; then freeze what is loaded."""
    from . import model, run  # noqa: F401

    freeze()


def one_blas_thread():
    """Limit the BLAS (OpenBLAS) of this process to one thread; returns the limiter (its
    `restore_original_limits()` undoes it).

    A worker is one of as many processes as cores: BLAS threads of its own only fight the other workers
    for the cores. Its only matrix product, the expected flows of a new scenario (every run of a Sobol
    sweep), took 2 ms of CPU with one thread against a mean of 27-45 ms of CPU (54-109 ms wall) with the
    default two on a loaded machine, where the threads spin waiting for each other (docs/performance.md,
    Sweeps). Dask's nanny sets OPENBLAS_NUM_THREADS=1 in its workers itself."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def worker_info() -> dict:
    """For checking a worker: the package version, its process id and its BLAS threads."""
    from threadpoolctl import threadpool_info

    import sim

    warm_up()
    blas = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
    return {"version": sim.__version__, "pid": os.getpid(), "blas_threads": max(blas, default=None)}


_TASK: Callable | None = None
_CONTEXT: Any = None


def die_with(owner: int) -> None:
    """End this worker when the process that started the pool (`owner`) is gone, however it ended.

    Workers come from a forkserver, so their parent is the server, which exits when the owner does:
    on Linux the kernel then kills the worker (PR_SET_PDEATHSIG); everywhere, a watchdog thread exits
    when the parent changes or the owner no longer exists."""
    import signal
    import threading
    import time

    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    def watch():
        while True:
            time.sleep(1.0)
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # exists, owned by someone else: not ours any more, or a container quirk
                pass
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def init_process(task, context, nice: int = 0, owner: int | None = None) -> None:
    """Initializer of local worker processes: keep the task and context; leave Ctrl-C to the parent;
    die with the process that started the pool."""
    import signal

    global _TASK, _CONTEXT
    _TASK, _CONTEXT = task, context
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if owner is not None:
        die_with(owner)
    if nice:
        os.nice(nice)
    warm_up()
    one_blas_thread()  # after the imports, so that every BLAS they load is limited


def call_local(item):
    return _TASK(_CONTEXT, item)


# ----------------------------------------------------------------------------- engines
class EngineBroken(Exception):
    """The engine cannot go on (lost scheduler, workers that do not start)."""


class InlineEngine:
    """No worker: the jobs run in this process, one after the other, as they are submitted."""

    name = "inline (1 process)"

    def __init__(self, task, context):
        self.task, self.context, self.capacity = task, context, 1
        warm_up()
        self._blas = one_blas_thread()  # as in a worker process; restored on close

    def submit(self, item):
        f = cf.Future()
        try:
            f.set_result(self.task(self.context, item))
        except Exception as exc:  # noqa: BLE001 - handed to the caller through the future, as a pool would
            f.set_exception(exc)
        return f

    def wait(self, futures, timeout: float = 5.0):
        return [f for f in futures if f.done()] or list(futures)[:1]

    def close(self, cancel=False):
        self._blas.restore_original_limits()
        unfreeze()


@contextlib.contextmanager
def _bare_main():
    """A spawned or forkserver worker first imports the parent's __main__ module; under Streamlit that is
    the app script, which would run the whole app in the worker. Start workers with a bare __main__."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


class _BareMainForkServerProcess(multiprocessing.context.ForkServerProcess):
    # module level, not local to _mp_context: the process object is pickled to the forkserver, by its class
    @staticmethod
    def _Popen(process_obj):
        with _bare_main():
            return multiprocessing.context.ForkServerProcess._Popen(process_obj)


class _BareMainSpawnProcess(multiprocessing.context.SpawnProcess):
    @staticmethod
    def _Popen(process_obj):
        with _bare_main():
            return multiprocessing.context.SpawnProcess._Popen(process_obj)


class _BareMainForkServerContext(multiprocessing.context.ForkServerContext):
    Process = _BareMainForkServerProcess


class _BareMainSpawnContext(multiprocessing.context.SpawnContext):
    Process = _BareMainSpawnProcess


def _mp_context(method: str, isolate_main: bool):
    base = multiprocessing.get_context(method)
    if method == "forkserver":  # imported (and the kernels loaded) once in the server; every worker forks with it
        base.set_forkserver_preload(["sim.execute", "sim.run", "sim.model", "sim.model.warm"])
    if not isolate_main or method == "fork":
        return base
    return _BareMainForkServerContext() if method == "forkserver" else _BareMainSpawnContext()


def start_workers_early(workers: int | None, scheduler: str | None = None, engine: str = "auto") -> None:
    """Start the forkserver that a command's local worker processes will fork from now, at the start of the
    command: it imports the model and loads the compiled kernels (1.5 s) on the other core while this
    process reads its inputs, instead of after them. Nothing for one worker (the runs stay in this process)
    or a Dask engine. Only for commands run from a terminal: under the app the server must start with a
    bare __main__ (see _bare_main), which ProcessEngine arranges when it starts it."""
    from multiprocessing import forkserver

    if local_workers(workers, scheduler, engine) < 2:
        return
    _mp_context("forkserver", isolate_main=False)  # sets what the server preloads
    forkserver.ensure_running()  # spawns it and returns; the server imports while this process goes on


class ProcessEngine:
    """Local worker processes, started by a forkserver: a clean process each, not a fork of a process
    that may hold threads (the app's server, a Dask client).

    While the workers start (the forkserver imports the model and warms it up: 1-2 s of CPU), the process
    that started them would sit idle: instead, a thread starts them, and this process runs the jobs given
    to it meanwhile itself, one at a time, until a worker is up; the jobs it has not started then go to the
    pool at once. Not in the app (nice or isolate_main), whose server must stay responsive."""

    START_TIMEOUT = 300.0  # seconds for the first worker to come up
    START_ATTEMPTS = 3  # starts tried when a worker dies while starting (then EngineBroken)

    def __init__(self, task, context, workers: int, *, nice: int = 0, isolate_main: bool = False,
                 start_method: str = "forkserver", help_while_starting: bool | None = None):
        self.task, self.context, self.workers, self.capacity = task, context, workers, 2 * workers
        self.nice, self.mp = nice, _mp_context(start_method, isolate_main)
        self.name = f"local processes ({workers} workers)"
        self.helping = (not nice and not isolate_main) if help_while_starting is None else help_while_starting
        self._lock = threading.Lock()
        self._held: list = []  # (future, job) given while the workers start, not yet to the pool
        self._limiter, self._froze, self._starter, self._up = None, False, None, None
        self.ran_here = 0  # jobs this process ran itself while the workers started
        self.pool = self._new_pool()
        self._starts = 0
        if self.helping:
            self._start_in_background()
        else:
            self._check_up(self.pool, self.pool.submit(worker_info), timeout=self.START_TIMEOUT)

    def _new_pool(self):
        return cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=self.mp, initializer=init_process,
                                      initargs=(self.task, self.context, self.nice, os.getpid()))

    def _check_up(self, pool, up, timeout: float) -> None:
        """A worker must come up before any run is trusted to the pool."""
        try:
            up.result(timeout=timeout)
        except (cf.process.BrokenProcessPool, cf.TimeoutError, RuntimeError) as exc:
            self._stop(pool)
            raise EngineBroken("the local worker processes do not start (" + (str(exc) or type(exc).__name__)
                               + "); when calling the runner from a script, guard it with "
                               "if __name__ == '__main__':") from None

    def _start_in_background(self) -> None:
        self._starts += 1
        self._up = cf.Future()  # set by the starter thread when a worker is up
        self._starter = threading.Thread(target=self._start_workers, name="start-workers", daemon=True)
        self._starter.start()

    def _start_workers(self) -> None:
        """The starter thread: spawn every worker (the first spawn waits for the forkserver's imports), wait
        for one to be up, then hand the held jobs to the pool."""
        try:
            first = [self.pool.submit(worker_info) for _ in range(self.workers)][0]
            info = first.result(timeout=self.START_TIMEOUT)
        except BaseException as exc:  # noqa: BLE001 - reported to the caller by _starting
            self._up.set_exception(exc)
            return
        with self._lock:
            try:
                for fut, item in self._held:
                    if not fut.cancelled():
                        fut.hand_to(self.pool.submit(call_local, item))
            except cf.process.BrokenProcessPool as exc:
                # a worker died while the held jobs were handed over: the jobs not handed fail as the pool's own
                # would (their caller reruns them) and the workers are started again (_starting)
                for fut, _ in self._held:
                    if fut._inner is None and fut.set_running_or_notify_cancel():
                        fut.set_exception(exc)
                self._held.clear()
                self._up.set_exception(exc)
                return
            self._held.clear()
            self._up.set_result(info)

    def _starting(self) -> bool:
        """True while no worker is up yet; raises EngineBroken if they could not start."""
        up = self._up
        if up is None:
            return False
        if not up.done():
            return True
        self._starter.join()
        if isinstance(up.exception(), cf.process.BrokenProcessPool) and self._starts < self.START_ATTEMPTS:
            # a worker died while starting (killed, out of memory): start them again
            print("a worker process died while the workers started: starting them again", file=sys.stderr)
            self._stop(self.pool)
            self.pool = self._new_pool()
            self._start_in_background()
            return True
        self._up = None
        self._stop_helping()
        self._check_up(self.pool, up, timeout=0)
        return False

    def submit(self, item):
        while self._up is not None:  # starting: hold the job (the pool's submit would wait for the spawns)
            with self._lock:
                if not self._up.done():
                    fut = _HeldFuture()
                    self._held.append((fut, item))
                    return fut
            self._starting()  # up (then _up is None), or started again
        return self.pool.submit(call_local, item)

    def _help(self) -> bool:
        """Run the first held job here; False when there is none (or the workers are up)."""
        with self._lock:
            if not self._held or self._up.done():
                return False
            fut, item = self._held.pop(0)
            if not fut.set_running_or_notify_cancel():
                return True
        if self._limiter is None:  # as in a worker: one BLAS thread, the heap frozen out of the collector's way
            self._limiter, self._froze = one_blas_thread(), not _FROZEN
            freeze()
        self.ran_here += 1
        try:
            fut.set_result(self.task(self.context, item))
        except Exception as exc:  # noqa: BLE001 - handed to the caller through the future, as the pool would
            fut.set_exception(exc)
        return True

    def _stop_helping(self) -> None:
        if self._limiter is not None:
            self._limiter.restore_original_limits()
            if self._froze:
                unfreeze()
            self._limiter, self._froze = None, False

    def wait(self, futures, timeout: float = 5.0):
        if self._starting():
            while self._help():
                done = [f for f in futures if f.done()]
                if done:
                    return done
            if self._starting():
                timeout = min(timeout, 0.05)  # look again soon: the pool may be up by then
        done, _ = cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return done

    def _drop_held(self) -> None:
        if self._starter is not None:
            self._starter.join(timeout=30)
        with self._lock:
            for fut, _ in self._held:
                fut.cancel()
            self._held.clear()
        self._stop_helping()
        self._up = None

    def restart(self):
        """Start the pool again (after a worker died); the jobs in flight are dropped."""
        self._drop_held()
        self._stop(self.pool)
        self.pool = self._new_pool()
        self._check_up(self.pool, self.pool.submit(worker_info), timeout=self.START_TIMEOUT)

    @staticmethod
    def _stop(pool):
        """Stop a pool now: the jobs in flight are dropped."""
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:  # our own worker processes, by their handles
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)

    def close(self, cancel=False):
        if cancel:
            self._drop_held()
            self._stop(self.pool)
            return
        if self._starter is not None:
            self._starter.join()  # the held jobs are in the pool now, unless the workers did not start
        self._drop_held()
        self.pool.shutdown(wait=True)


class _HeldFuture(cf.Future):
    """A job's future while a starting ProcessEngine holds it: settled by the engine's own process if it
    runs the job, or by the pool's future once the job is handed to the pool."""

    _inner = None

    def hand_to(self, inner) -> None:
        self._inner = inner
        inner.add_done_callback(self._settle)

    def _settle(self, inner) -> None:
        if inner.cancelled():
            super().cancel()
            self.set_running_or_notify_cancel()  # wakes whoever waits on it, as the pool's own futures do
        elif self.set_running_or_notify_cancel():
            if inner.exception() is not None:
                self.set_exception(inner.exception())
            else:
                self.set_result(inner.result())

    def cancel(self) -> bool:
        if self._inner is not None:
            return self._inner.cancel()  # which settles this one through _settle
        return super().cancel()


class DaskEngine:
    """A Dask distributed cluster: an existing scheduler, or a LocalCluster started here."""

    def __init__(self, task, context, address: str | None, workers: int):
        from distributed import Client, LocalCluster

        self.task, self.cluster = task, None
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
            self.context = self.client.scatter(context, broadcast=True, hash=False) if context is not None else None
        except BaseException:
            self.close(cancel=True)
            raise
        self.capacity = 2 * max(1, sum(self.client.nthreads().values()))

    def _check_workers(self):
        from . import __version__

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

    def submit(self, item):
        return self.client.submit(self.task, self.context, item, pure=False, retries=0)

    def wait(self, futures, timeout: float = 5.0):
        from distributed import wait

        try:
            done, _ = wait(list(futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return []
        return done

    def close(self, cancel=False):
        try:
            self.client.close()  # releases (cancels) whatever is still in flight
        finally:
            if self.cluster is not None:
                self.cluster.close()


ENGINES = ("auto", "processes", "dask")


def local_workers(workers: int | None, scheduler: str | None = None, engine: str = "auto", nice: int = 0) -> int:
    """How many local worker processes make_engine starts for these options: 0 for Dask (auto with a
    scheduler address) or when the runs stay in this process (one worker, not niced)."""
    if engine == "dask" or (engine == "auto" and scheduler):
        return 0
    workers = workers or os.cpu_count() or 1
    return 0 if workers == 1 and not nice else workers


def make_engine(task, context=None, *, workers: int | None = 1, scheduler: str | None = None,
                engine: str = "auto", nice: int = 0, isolate_main: bool = False):
    """auto: Dask when a scheduler address is given, else local processes (in this process for 1 worker)."""
    if engine not in ENGINES:
        raise InputError(None, "--engine", f"unknown engine {engine!r} (auto, processes or dask)")
    if engine == "auto":
        engine = "dask" if scheduler else "processes"
    workers = workers or os.cpu_count() or 1
    if engine == "dask":
        return DaskEngine(task, context, scheduler, workers)
    if scheduler:
        raise InputError(None, "--engine", "processes runs locally: drop --scheduler (or DASK_SCHEDULER_ADDRESS)")
    local = local_workers(workers, nice=nice)
    if not local:
        return InlineEngine(task, context)
    return ProcessEngine(task, context, local, nice=nice, isolate_main=isolate_main)


# ----------------------------------------------------------------------------- the runner
class Runner:
    """Runs jobs on one engine; submit-and-poll, cancel, or `map` a list.

    task(context, item) -> result is what a worker does with one item (default: `run_job` on a Job); a
    module-level function. nice > 0 lowers the workers' priority (and always uses worker processes, so
    that the caller stays responsive); isolate_main starts them with a bare __main__ (see _bare_main)."""

    def __init__(self, workers: int | None = 1, *, scheduler: str | None = None, engine: str = "auto",
                 task: Callable = run_job, context: Any = None, nice: int = 0, isolate_main: bool = False):
        self.engine = make_engine(task, context, workers=workers, scheduler=scheduler, engine=engine, nice=nice,
                                  isolate_main=isolate_main)

    @property
    def name(self) -> str:
        return self.engine.name

    @property
    def capacity(self) -> int:
        """How many jobs to keep in flight so that no worker waits."""
        return self.engine.capacity

    def submit(self, item):
        """Start one job; returns a future (done(), result(), cancel())."""
        return self.engine.submit(item)

    def wait(self, futures, timeout: float = 5.0):
        """Block until at least one of `futures` is done or `timeout` seconds pass; returns those done."""
        return self.engine.wait(futures, timeout)

    @staticmethod
    def cancel(futures) -> int:
        """Cancel the jobs of `futures` that have not started; returns how many were cancelled."""
        return sum(1 for f in futures if not f.done() and f.cancel())

    def map(self, items, progress: Callable[[int, int], None] | None = None) -> list:
        """Run every item; results in the items' order. A job's exception is raised here."""
        items = list(items)
        results, todo, inflight = [None] * len(items), list(range(len(items)))[::-1], {}
        try:
            while todo or inflight:
                while todo and len(inflight) < self.capacity:
                    k = todo.pop()
                    inflight[self.submit(items[k])] = k
                for fut in self.wait(inflight):
                    results[inflight.pop(fut)] = fut.result()
                    if progress:
                        progress(len(items) - len(todo) - len(inflight), len(items))
        except BaseException:
            self.cancel(inflight)
            raise
        return results

    def restart(self) -> None:
        """Start the local worker processes again after one died (the jobs in flight are dropped)."""
        self.engine.restart()

    def close(self, cancel: bool = False) -> None:
        self.engine.close(cancel=cancel)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *_):
        self.close(cancel=exc_type is not None)


def run_jobs(jobs, *, workers: int = 1, scheduler: str | None = None, progress=None) -> list[dict]:
    """Run Jobs; results in the jobs' order, the same whatever the engine and number of workers."""
    jobs = list(jobs)
    with Runner(min(workers, max(1, len(jobs))), scheduler=scheduler) as runner:
        return runner.map(jobs, progress)
