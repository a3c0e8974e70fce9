"""The app's shared queue of background runs: sessions take turns, a closed or stopped session's waiting runs
are dropped, and the queue never waits for a run when it closes."""

from __future__ import annotations

import concurrent.futures as cf

from ui.job_queue import FairQueue


class FakeRunner:
    """A runner whose jobs finish when the test says so (submit/wait/close as sim.execute.Runner)."""

    def __init__(self):
        self.started, self.futures, self.closed = [], {}, None

    def submit(self, item):
        fut = cf.Future()
        fut.set_running_or_notify_cancel()
        self.started.append(item)
        self.futures[item] = fut
        return fut

    def wait(self, futures, timeout=5.0):
        return [f for f in futures if f.done()]

    def close(self, cancel=False):
        self.closed = cancel

    def finish(self, item, value=None):
        self.futures[item].set_result(value if value is not None else {"item": item})


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _queue(**kw):
    runner, clock, got = FakeRunner(), Clock(), {}
    q = FairQueue(lambda: runner, start=False, clock=clock, on_result=got.__setitem__, **kw)
    return q, runner, clock, got


def _drain(q, runner, clock, seconds_each=2.0):
    """Finish each running job in turn (each takes `seconds_each`), until nothing is left."""
    q.pump()
    while q._running:
        clock.now += seconds_each
        runner.finish(runner.started[-1])
        q.pump()


def test_two_sessions_take_turns():
    q, runner, clock, got = _queue()
    for s in range(5):
        assert q.submit("A", ("a", s), f"A{s}")
    for s in range(3):
        assert q.submit("B", ("b", s), f"B{s}")
    assert not q.submit("B", ("b", 0), "B0 again"), "a job already queued is not queued twice"
    _drain(q, runner, clock)
    # A asked first, but B does not wait for all of A's runs: they alternate while both have work
    assert runner.started == ["A0", "B0", "A1", "B1", "A2", "B2", "A3", "A4"]
    assert set(got) == {("a", s) for s in range(5)} | {("b", s) for s in range(3)}


def test_position_and_expected_wait_follow_the_turns():
    q, runner, clock, _ = _queue()
    for s in range(6):
        q.submit("A", ("a", s), f"A{s}")
    q.pump()  # A0 runs
    clock.now += 10
    runner.finish("A0")
    q.pump()  # a run time is measured (10 s); A1 runs
    q.submit("B", ("b", 0), "B0")
    sa, sb = q.status("A"), q.status("B")
    assert sb["position"] == 1 and sa["position"] == 2, "B's one run goes before A's next ones"
    assert sb["pending"] == 1 and sa["pending"] == 4 and sa["running"] == 1
    assert sb["mean_run_s"] == 10
    assert sb["wait_s"] == (1 + 0.5) * 10  # its own run, after half of the one running
    assert sa["wait_s"] == (5 + 0.5) * 10  # A's last run is the fifth to start from now


def test_stop_drops_only_that_sessions_waiting_runs():
    q, runner, clock, got = _queue()
    for s in range(4):
        q.submit("A", ("a", s), f"A{s}")
        q.submit("B", ("b", s), f"B{s}")
    q.pump()  # A0 runs
    assert q.cancel("A") == 3
    assert q.status("A")["pending"] == 0 and q.status("A")["position"] is None
    _drain(q, runner, clock)
    assert runner.started == ["A0", "B0", "B1", "B2", "B3"], "A's running job finishes, the rest never start"
    assert ("a", 0) in got


def test_a_session_that_stops_asking_is_closed():
    q, runner, clock, _ = _queue(idle_seconds=30)
    for s in range(3):
        q.submit("A", ("a", s), f"A{s}")
        q.submit("B", ("b", s), f"B{s}")
    q.pump()  # A0 runs
    for _ in range(4):  # B keeps polling (its page is open), A does not (its tab was closed)
        clock.now += 10
        q.status("B")
        runner.finish(runner.started[-1])
        q.pump()
    assert "A" not in q._pending, "A's waiting runs were dropped after 30 s without a poll"
    _drain(q, runner, clock)
    assert [s for s in runner.started if s.startswith("A")] == ["A0", "A1"]
    assert [s for s in runner.started if s.startswith("B")] == ["B0", "B1", "B2"]


def test_caps_per_session():
    q, runner, clock, _ = _queue(slots=2, max_running=1, max_pending=3)
    assert all(q.submit("A", ("a", s), f"A{s}") for s in range(3))
    assert not q.submit("A", ("a", 3), "A3"), "the session's line is full"
    q.pump()
    assert runner.started == ["A0"], "one running job per session, even with a free slot"
    q.submit("B", ("b", 0), "B0")
    q.pump()
    assert runner.started == ["A0", "B0"]


def test_a_sessions_jobs_stay_under_its_memory_budget():
    q, runner, clock, got = _queue(memory_budget=100.0)
    assert q.submit("A", ("a", 0), "A0", size=60)
    assert not q.submit("A", ("a", 1), "A1", size=60), "60 + 60 bytes would go over A's budget of 100"
    assert q.submit("B", ("b", 0), "B0", size=60), "the budget is per session"
    q.pump()  # A0 runs: it still counts against A's budget
    assert q.held("A") == 60 and not q.submit("A", ("a", 1), "A1", size=60)
    assert q.submit("A", ("a", 2), "A2", size=40), "a smaller job still fits"
    clock.now += 1
    runner.finish("A0")
    q.pump()
    assert q.held("A") == 40 and q.submit("A", ("a", 1), "A1", size=60), "A0 done: the waiting job fits now"
    assert q.too_big(101) and not q.too_big(100)
    assert not q.submit("C", ("c", 0), "C0", size=101), "a job bigger than the whole budget never queues"
    assert q.cancel("A") == 2 and q.held("A") == 0
    _drain(q, runner, clock)
    assert ("a", 1) not in got and ("b", 0) in got


def test_close_kills_the_workers_and_drops_everything():
    q, runner, clock, _ = _queue()
    for s in range(3):
        q.submit("A", ("a", s), f"A{s}")
    q.pump()
    q.close()
    assert runner.closed is True, "the runner is closed with cancel=True: workers killed, not awaited"
    assert not q.submit("A", ("a", 9), "A9") and q.status("A")["pending"] == 0


def test_a_failed_job_is_reported_to_whoever_asks():
    q, runner, clock, _ = _queue()
    q.on_result = None
    q.submit("A", ("a", 0), "A0")
    q.pump()
    runner.futures["A0"].set_exception(ValueError("bad run"))
    q.pump()
    try:
        q.take(("a", 0))
    except ValueError as exc:
        assert "bad run" in str(exc)
    else:
        raise AssertionError("the job's error is raised to the caller")


def test_the_real_runner_behind_the_queue(tiny_path):
    """The app's set-up: sim.execute.Runner with one worker at lower priority, started with a bare __main__
    (forkserver), fed by the queue's own thread."""
    import time

    from sim.execute import Runner
    from sim.scenario import load_scenario
    from ui.run_keys import run_key, slim_task

    scenario, _ = load_scenario(tiny_path)
    key = run_key(scenario, days=20, scale=20)
    got = {}
    q = FairQueue(lambda: Runner(1, nice=10, isolate_main=True, task=slim_task), on_result=got.__setitem__)
    try:
        q.submit("A", (key, 1), (key, 1))
        q.submit("B", (key, 2), (key, 2))
        deadline = time.monotonic() + 240
        while len(got) < 2 and time.monotonic() < deadline:
            q.status("A"), q.status("B")
            time.sleep(0.2)
        assert set(got) == {(key, 1), (key, 2)} and got[(key, 2)]["seed"] == 2
        assert q.status("A")["mean_run_s"] > 0
    finally:
        q.close()
