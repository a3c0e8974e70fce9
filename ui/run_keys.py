"""Runs named by what their results depend on: the key under which the app stores a run, the scenario back
from a key, and one replicate run from a key (the job a worker process receives)."""

from __future__ import annotations

from sim.run_cache import run_key, scenario_from_key, slim_or_run

__all__ = ["run_key", "scenario_from_key", "slim_run", "slim_task"]


def slim_run(key: str, seed: int, cache=None) -> dict:
    """One replicate run from a run key, reduced by `sim.compare.slim`: read from the run cache on disk if it
    is there, else run (and stored there). Module level: a worker process runs it."""
    return slim_or_run(cache, key, seed)


def slim_task(cache, item: tuple[str, int]) -> dict:
    """The task of the app's background runner (sim.execute.Runner): one (key, seed); its context is the
    app's run cache on disk (a sim.run_cache.RunCache, or None)."""
    return slim_run(*item, cache=cache)
