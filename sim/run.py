"""The one run function the CLI, the app and the experiments all call."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .network import RouteNetwork
from .scenario import Scenario


def run(scenario: Scenario | str | Path, *, seed: int | None = None, days: int | None = None,
        scale: int | None = None, routes: RouteNetwork | None = None,
        progress: Callable[[int, int], None] | None = None):
    """Build the model from a scenario (object or file), run it to its horizon, return its Results."""
    from .model import RouteModel

    model = RouteModel(scenario, routes=routes, seed=seed, days=days, scale=scale)
    return model.run(progress=progress)


def run_many(scenario: Scenario | str | Path, seeds, **kwargs):
    """Run one scenario once per seed (sequentially); returns the list of Results in seed order."""
    return [run(scenario, seed=s, **kwargs) for s in seeds]
