"""The one run function: one scenario, one seed. Batches of runs go through sim.execute."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .network import RouteNetwork
from .scenario import Scenario


def run(scenario: Scenario | str | Path, *, seed: int | None = None, days: int | None = None,
        scale: int | None = None, routes: RouteNetwork | None = None,
        progress: Callable[[int, int], None] | None = None):
    """Build the model from a scenario (object or file), run it to its horizon, return its Results."""
    from .model import RouteModel

    model = RouteModel(scenario, routes=routes, seed=seed, days=days, scale=scale)
    return model.run(progress=progress)

