"""One queue of background runs shared by every session of the app, handed to the project's runner
(sim.execute.Runner) one job at a time, taking the sessions in turn.

Why: the replicates behind the Run page's intervals run in a worker process at a lower priority. With one
first-come-first-served pool, a session asking for 100 replicates starved every other session, kept the worker
busy after it closed, and the server waited for the worker on SIGTERM. Here:

- each session's jobs wait in its own line; free worker slots go to the sessions in turn (round-robin), and
  a session has at most `max_running` jobs running at once;
- a session sees its place in the queue and the expected wait (from the measured run times);
- a session's waiting jobs are dropped when it presses Stop (`cancel`) or stops asking about them for
  `idle_seconds` (it was closed);
- a session's running and waiting jobs together stay under `memory_budget` bytes (their estimated memory):
  a job that would go over waits outside the queue (`submit` says no; the page asks again later), and one
  bigger than the whole budget is refused (`too_big`);
- `close()` kills the workers rather than waiting for them, and the dispatcher thread closes the queue as
  soon as the Streamlit server is stopping, so the server exits promptly on SIGTERM.

Nothing here draws; the dispatcher is a daemon thread. Tests drive `pump()` by hand (`start=False`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from typing import Any

MAX_REPLICATES = 20  # per request: the sidebar's cap, so one session cannot queue hundreds of runs


class FairQueue:
    def __init__(self, runner_factory: Callable[[], Any], *, slots: int = 1, max_running: int = 1,
                 max_pending: int = 4 * MAX_REPLICATES, idle_seconds: float = 60.0,
                 on_result: Callable[[Hashable, Any], None] | None = None, clock: Callable[[], float] = time.monotonic,
                 start: bool = True, stop_when: Callable[[], bool] | None = None,
                 memory_budget: float | None = None):
        self._runner_factory, self._runner = runner_factory, None
        self.slots, self.max_running, self.max_pending = slots, max_running, max_pending
        self.idle_seconds, self.on_result, self.clock = idle_seconds, on_result, clock
        self._stop_when = stop_when
        self.memory_budget = memory_budget
        self._size: dict[Hashable, float] = {}  # key -> estimated bytes of a job waiting or running
        self._lock = threading.RLock()
        self._pending: OrderedDict[str, deque] = OrderedDict()  # session -> its waiting (key, item), in order
        self._served: dict[str, int] = {}  # session -> when it last got a slot (a tick), for the turns
        self._tick = 0
        self._running: dict[Any, tuple[str, Hashable, float]] = {}  # future -> (session, key, started)
        self._seen: dict[str, float] = {}  # session -> last time it asked (submit or status)
        self._results: dict[Hashable, Any] = {}  # key -> result not yet handed to on_result's caller
        self._errors: dict[Hashable, BaseException] = {}
        self._durations: deque[float] = deque(maxlen=20)
        self.closed = False
        self._thread = None
        if start:
            self._thread = threading.Thread(target=self._loop, name="fair-queue", daemon=True)
            self._thread.start()

    # ------------------------------------------------------------------ what sessions call
    def submit(self, session: str, key: Hashable, item: Any, size: float = 0.0) -> bool:
        """Queue a job for `session` unless the same key is already queued or running (for anyone); False if
        it was not queued (already there, the session's line is full, or its jobs would go over the memory
        budget with this one's estimated `size` bytes)."""
        with self._lock:
            self._seen[session] = self.clock()
            if self.closed or key in self._results or self._has(key):
                return False
            line = self._pending.get(session, ())
            if len(line) >= self.max_pending or self.too_big(size) or \
                    (self.memory_budget is not None and self.held(session) + size > self.memory_budget):
                return False
            self._pending.setdefault(session, deque()).append((key, item))
            self._size[key] = size
            return True

    def too_big(self, size: float) -> bool:
        """A job that can never start: bigger than a session's whole memory budget."""
        return self.memory_budget is not None and size > self.memory_budget

    def held(self, session: str) -> float:
        """Estimated bytes of the session's jobs waiting and running."""
        with self._lock:
            keys = [k for k, _ in self._pending.get(session, ())]
            keys += [k for s, k, _ in self._running.values() if s == session]
            return sum(self._size.get(k, 0.0) for k in keys)

    def take(self, key: Hashable):
        """The result of a finished job (once), or None; a job's exception is raised here."""
        with self._lock:
            if key in self._errors:
                raise self._errors.pop(key)
            return self._results.pop(key, None)

    def cancel(self, session: str) -> int:
        """Drop the session's waiting jobs (its running one finishes: its result is kept for anyone)."""
        with self._lock:
            line = self._pending.pop(session, ())
            for key, _ in line:
                self._size.pop(key, None)
            return len(line)

    def status(self, session: str) -> dict:
        """For the session's screen: its jobs waiting and running, the place of its next job in the queue
        (1 = next to start) and the expected seconds until its jobs are all done (None before any run time
        has been measured)."""
        with self._lock:
            self._seen[session] = self.clock()
            mine = len(self._pending.get(session, ()))
            running = sum(1 for s, _, _ in self._running.values() if s == session)
            order = self._dispatch_order()
            position = order.index(session) + 1 if session in order else None
            last = max((i for i, s in enumerate(order) if s == session), default=-1) + 1
            mean = sum(self._durations) / len(self._durations) if self._durations else None
            wait = None
            if mean is not None:
                # jobs that start before the session's last one, plus those running now (half done on average)
                wait = (last + 0.5 * len(self._running)) * mean / self.slots
            return {"pending": mine, "running": running, "position": position, "wait_s": wait,
                    "queued_total": sum(len(q) for q in self._pending.values()), "mean_run_s": mean}

    # ------------------------------------------------------------------ the dispatcher
    def _has(self, key) -> bool:
        return any(k == key for _, k, _ in self._running.values()) or \
            any(k == key for line in self._pending.values() for k, _ in line)

    def _dispatch_order(self) -> list[str]:
        """Whose job starts next, and after it, if nothing new arrives: the sessions' lines interleaved, the
        one served longest ago (or never) first."""
        lines = {s: len(q) for s, q in self._pending.items() if q}
        served, tick, out = dict(self._served), self._tick, []
        while lines:
            s = min(lines, key=lambda x: served.get(x, -1))
            out.append(s)
            tick += 1
            served[s] = tick
            lines[s] -= 1
            if not lines[s]:
                del lines[s]
        return out

    def _next(self):
        """The next (session, key, item) to start: the waiting session served longest ago (a new one first),
        among those under their cap of running jobs; None if none may start."""
        running = {}
        for s, _, _ in self._running.values():
            running[s] = running.get(s, 0) + 1
        ready = [s for s, line in self._pending.items() if line and running.get(s, 0) < self.max_running]
        if not ready:
            return None
        s = min(ready, key=lambda x: self._served.get(x, -1))  # ties: the order sessions first asked
        self._tick += 1
        self._served[s] = self._tick
        line = self._pending[s]
        key, item = line.popleft()
        if not line:
            del self._pending[s]
        return s, key, item

    def runner(self):
        if self._runner is None:
            self._runner = self._runner_factory()
        return self._runner

    def pump(self, timeout: float = 0.0) -> None:
        """Collect finished jobs, drop closed sessions' waiting jobs, start jobs on the free slots."""
        with self._lock:
            if self.closed:
                return
            now = self.clock()
            for s in [s for s in self._seen if now - self._seen[s] > self.idle_seconds]:
                self.cancel(s)
                del self._seen[s]  # forgotten: a session that comes back starts a fresh turn
                self._served.pop(s, None)
            futures = list(self._running)
        done = self.runner().wait(futures, timeout) if futures and timeout else [f for f in futures if f.done()]
        with self._lock:
            for fut in done:
                session, key, started = self._running.pop(fut)
                self._size.pop(key, None)
                try:
                    result = fut.result()
                except BaseException as exc:  # noqa: BLE001 (handed to whoever takes the key)
                    self._errors[key] = exc
                    continue
                self._durations.append(self.clock() - started)
                if self.on_result is not None:
                    self.on_result(key, result)
                else:
                    self._results[key] = result
            while len(self._running) < self.slots:
                nxt = self._next()
                if nxt is None:
                    break
                session, key, item = nxt
                try:
                    fut = self.runner().submit(item)
                except BaseException as exc:
                    self._errors[key] = exc  # the session that asks for it sees why; the loop starts afresh
                    raise
                self._running[fut] = (session, key, self.clock())

    def _loop(self) -> None:
        while not self.closed:
            if self._stop_when is not None and self._stop_when():
                self.close()
                return
            try:
                self.pump(timeout=0.2 if self._running else 0.0)
            except Exception:  # noqa: BLE001 (a broken worker: start afresh, the queue goes on)
                with self._lock:
                    for _, key, _ in list(self._running.values()):
                        self._errors[key] = RuntimeError("the background worker stopped; run again")
                    self._running.clear()
                    if self._runner is not None:
                        self._runner.close(cancel=True)
                        self._runner = None
            if not self._running:
                time.sleep(0.2)

    def close(self) -> None:
        """Drop every waiting job and kill the workers (jobs in flight are lost): never waits for a run."""
        with self._lock:
            self.closed = True
            self._pending.clear()
            self._running.clear()
            self._size.clear()
            runner, self._runner = self._runner, None
        if runner is not None:
            runner.close(cancel=True)


def server_stopping() -> bool:
    """True once the Streamlit server is shutting down (SIGTERM, Ctrl-C)."""
    try:
        from streamlit.runtime import Runtime, RuntimeState
    except ImportError:
        return False
    if not Runtime.exists():
        return False
    return Runtime.instance().state in (RuntimeState.STOPPING, RuntimeState.STOPPED)
