"""The runner: the same jobs give the same results in this process and on worker processes, in job
order; a job's error reaches the caller; pending jobs can be cancelled."""

import pytest

from sim.compare import summarise, summary_only
from sim.errors import InputError
from sim.execute import Job, Runner, run_jobs


def _same(a, b):
    assert [r["seed"] for r in a] == [r["seed"] for r in b]
    for x, y in zip(a, b):
        assert x["overall"] == pytest.approx(y["overall"], nan_ok=True, rel=0, abs=0)
        assert x["corridors"] == y["corridors"]


def test_results_do_not_depend_on_the_number_of_workers(tiny):
    scenario, _ = tiny
    jobs = [Job(scenario, seed, days=20, keep=summary_only) for seed in (5, 3, 9, 1)]
    inline = run_jobs(jobs, workers=1)
    pooled = run_jobs(jobs, workers=2)
    assert [r["seed"] for r in inline] == [5, 3, 9, 1]
    _same(inline, pooled)
    assert inline[0]["overall"] != inline[1]["overall"]  # the seed matters, so the check above means something


def test_a_scenario_mapping_is_a_job_too(tiny, tiny_path):
    from sim.scenario import scenario_data

    scenario, _ = tiny
    by_object = run_jobs([Job(scenario, 2, days=10, keep=summarise)])
    by_data = run_jobs([Job(scenario_data(tiny_path), 2, days=10, keep=summarise, source=str(tiny_path))])
    _same(by_object, by_data)
    assert by_object[0]["daily"].equals(by_data[0]["daily"])


def test_a_failing_job_raises_in_the_caller(tiny):
    scenario, _ = tiny
    bad = scenario.model_copy(update={"network": "no/such/network"})
    with pytest.raises(InputError, match="no/such/network"):
        run_jobs([Job(scenario, 1, days=5), Job(bad, 2, days=5)], workers=2)


def test_submit_poll_and_cancel(tiny):
    scenario, _ = tiny
    with Runner(1, nice=5) as runner:  # nice: on a worker process even for one worker, as the app wants
        assert runner.name.startswith("local processes")
        futures = [runner.submit(Job(scenario, s, days=30, keep=summary_only)) for s in range(6)]
        cancelled = runner.cancel(futures[2:])
        assert cancelled >= 1
        first = futures[0].result(timeout=120)
        assert first["seed"] == 0
        assert sum(f.cancelled() for f in futures) == cancelled
        assert futures[1].result(timeout=120)["seed"] == 1


def _kernels_in_worker(context, item):
    """In a worker, before any run: what the forkserver loaded for it."""
    import sys

    from sim.model import kernels

    warm = sys.modules.get("sim.model.warm")
    day = ("road_day", "cost_to_go", "networks_day", "record_networks")  # what every day of a run calls
    return {"warm": getattr(warm, "LOADED", None), **{k: len(getattr(kernels, k).signatures) for k in day}}


def test_workers_fork_with_the_kernels_loaded():
    # the forkserver preloads sim.model.warm, which runs a day of the shipped baseline: a worker's first
    # run then finds the compiled kernels in memory instead of loading them from disk (0.3-0.4 s each)
    from sim.execute import ProcessEngine

    engine = ProcessEngine(_kernels_in_worker, None, 2, help_while_starting=False)  # every job in a worker
    try:
        got = [f.result(timeout=120) for f in [engine.submit(i) for i in range(2)]]
    finally:
        engine.close()
    for g in got:
        assert g["warm"] is True
        assert all(g[k] >= 1 for k in ("road_day", "cost_to_go", "networks_day", "record_networks")), g


def test_workers_started_early_only_for_two_or_more_local_ones():
    # a fresh process (the forkserver is one per process): no server for 1 worker or a Dask engine, one for 2
    import subprocess
    import sys

    code = ("import multiprocessing.forkserver as fs\n"
            "from sim.execute import start_workers_early\n"
            "start_workers_early(1); start_workers_early(2, scheduler='tcp://127.0.0.1:1');"
            " start_workers_early(2, engine='dask'); print(fs._forkserver._forkserver_pid is None)\n"
            "start_workers_early(2); print(fs._forkserver._forkserver_pid is None)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "False"]


def _pid(context, item):
    import os

    return {"item": item, "pid": os.getpid(), "context": context}


def test_the_driver_runs_jobs_while_the_workers_start():
    # while no worker is up, the process that started the pool runs the jobs given to it itself (rather
    # than sit idle for the 1-2 s of the forkserver's start); once a worker is up, the jobs it has not
    # started go to the pool. The start is held back here until the test lets it go.
    import os
    import threading

    from sim.execute import ProcessEngine

    class HeldBack(ProcessEngine):
        go = threading.Event()

        def _start_workers(self):
            self.go.wait(120)
            super()._start_workers()

    engine = HeldBack(_pid, "ctx", 2)
    try:
        assert engine.helping
        futures = [engine.submit(i) for i in range(6)]
        assert futures[5].cancel()  # a job not started can be cancelled
        assert [f.result()["item"] for f in engine.wait(futures[:5])] == [0]  # run here, the first one
        assert [f.result()["item"] for f in engine.wait(futures[1:5])] == [1]
        HeldBack.go.set()  # the workers come up: jobs 2-4 go to the pool
        got = [f.result(timeout=120) for f in futures[:5]]
        assert [g["item"] for g in got] == [0, 1, 2, 3, 4] and all(g["context"] == "ctx" for g in got)
        assert [g["pid"] == os.getpid() for g in got] == [True, True, False, False, False]
        assert futures[5].cancelled() and not engine._held
        assert engine.submit(7).result(timeout=120)["pid"] != os.getpid()  # straight to the pool now
        assert not engine._starting()
    finally:
        engine.close()


def test_the_app_engine_never_runs_jobs_in_its_own_process():
    # nice (the app's workers): the caller must stay responsive, so it never helps
    import os

    from sim.execute import ProcessEngine

    engine = ProcessEngine(_pid, None, 1, nice=5)
    try:
        assert not engine.helping and not engine._starting()
        assert engine.submit(1).result(timeout=120)["pid"] != os.getpid()
    finally:
        engine.close()


def test_results_are_the_same_whoever_ran_them(tiny_path):
    # a fresh process, so a cold forkserver: the driver runs jobs itself while the workers start (which jobs
    # depends on timing; test_the_driver_runs_jobs_while_the_workers_start pins a mix down); the results
    # equal those of one worker (all in the driver) and with a warm forkserver
    import subprocess
    import sys

    code = ("import json\n"
            "from sim.execute import Runner, Job\n"
            "from sim.compare import summary_only\n"
            "from sim.scenario import load_scenario\n"
            f"s, _ = load_scenario({str(tiny_path)!r})\n"
            "jobs = [Job(s, k, days=20, keep=summary_only) for k in range(12)]\n"
            "with Runner(2) as r:\n"
            "    cold = r.map(jobs); here = r.engine.ran_here\n"
            "with Runner(2) as r: warm = r.map(jobs)\n"
            "with Runner(1) as r: one = r.map(jobs)\n"
            "print(json.dumps([here > 0, cold == one, warm == one]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[-2] == "[true, true, true]"


def test_a_worker_that_dies_while_the_held_jobs_are_handed_over(capsys):
    # a worker killed just as the first one came up breaks the pool while the held jobs go to it: the jobs not
    # handed over fail as the pool's own do (BrokenProcessPool: the sweep reruns them) and the workers are
    # started again. Before, the starter thread died with the exception, the jobs stayed held, and the
    # driver ran every later job itself with no word of the death (a CI run of the thirty-second session)
    import concurrent.futures as cf
    import threading

    from sim.execute import ProcessEngine, call_local

    class BreaksHandOff(ProcessEngine):
        go = threading.Event()

        def _start_workers(self):
            self.go.wait(120)
            if self._starts == 1:
                real = self.pool

                class Broken:
                    def submit(self, fn, *args):
                        if fn is call_local:
                            raise cf.process.BrokenProcessPool("a worker was killed")
                        return real.submit(fn, *args)

                    def __getattr__(self, name):
                        return getattr(real, name)

                self.pool = Broken()
            super()._start_workers()

    engine = BreaksHandOff(_pid, "ctx", 2)
    try:
        held = [engine.submit(i) for i in range(3)]
        BreaksHandOff.go.set()
        for f in held:
            with pytest.raises(cf.process.BrokenProcessPool):
                f.result(timeout=120)
        got = engine.submit(9)
        while not got.done():
            engine.wait([got], timeout=0.1)
        assert got.result()["item"] == 9 and engine._starts == 2
        assert "a worker process died while the workers started" in capsys.readouterr().err
    finally:
        engine.close(cancel=True)


def test_workers_that_die_while_starting_are_started_again(capsys):
    # a worker killed while the workers start breaks the pool before any job reached it: start them again,
    # up to START_ATTEMPTS times, then stop with the engine's message
    import concurrent.futures as cf

    from sim.execute import EngineBroken, ProcessEngine

    class DiesFirst(ProcessEngine):
        deaths = 1

        def _start_workers(self):
            if self._starts <= self.deaths:
                self._up.set_exception(cf.process.BrokenProcessPool("a worker was killed"))
                return
            super()._start_workers()

    engine = DiesFirst(_pid, "ctx", 2)
    try:
        futures = [engine.submit(i) for i in range(6)]
        while not all(f.done() for f in futures):
            engine.wait(futures)
        assert sorted(f.result()["item"] for f in futures) == list(range(6))
        assert engine._starts == 2 and "a worker process died while the workers started" in capsys.readouterr().err
    finally:
        engine.close()

    class AlwaysDies(DiesFirst):
        deaths = 99

    engine = AlwaysDies(_pid, "ctx", 2)
    try:
        with pytest.raises(EngineBroken, match="do not start"):
            for i in range(1000):
                engine.wait([engine.submit(i)], timeout=0.01)
        assert engine._starts == ProcessEngine.START_ATTEMPTS
    finally:
        engine.close(cancel=True)
