"""Runs named by what their results depend on: the key under which the app stores a run, the scenario back
from a key, and one replicate run from a key (the job a worker process receives)."""

from __future__ import annotations

import json

from sim.compare import slim
from sim.scenario import Scenario, parse_scenario


def run_key(scenario: Scenario, **overrides) -> str:
    """What a run's results depend on, as stable JSON: the scenario without name, description and seed."""
    data = scenario.model_dump(mode="json")
    data.update(overrides)
    for k in ("name", "description", "seed"):
        data.pop(k, None)
    data["network"] = str(scenario.network_path())
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def scenario_from_key(key: str, seed: int = 0) -> Scenario:
    data = json.loads(key)
    data["seed"] = seed
    return parse_scenario(data)



def slim_run(key: str, seed: int) -> dict:
    """One replicate run from a run key, reduced by `sim.compare.slim` (module level: a worker process runs it)."""
    from sim.run import run

    return slim(run(scenario_from_key(key, seed), seed=seed), seed)


def slim_task(_context, item: tuple[str, int]) -> dict:
    """The task of the app's background runner (sim.execute.Runner): one (key, seed)."""
    return slim_run(*item)
