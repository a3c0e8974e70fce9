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
    with Runner(2, task=_kernels_in_worker, context=None) as runner:
        got = runner.map(range(2))
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
