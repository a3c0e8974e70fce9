"""The one run function: one scenario, one seed (and its summary-only form). Batches of runs go through
sim.execute. A run whose spin-up this process already made starts from a copy of it (sim/model/spun_up.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .network import RouteNetwork
from .scenario import Scenario


def run(scenario: Scenario | str | Path, *, seed: int | None = None, days: int | None = None,
        scale: int | None = None, routes: RouteNetwork | None = None,
        progress: Callable[[int, int], None] | None = None, cache: bool | None = None):
    """Build the model from a scenario (object or file), run it to its horizon, return its Results.
    cache=False: neither start from nor keep a spun-up state (see sim.model.spun_up.new_model)."""
    from .model.spun_up import new_model

    model = new_model(scenario, routes=routes, seed=seed, days=days, scale=scale, cache=cache)
    return model.run(progress=progress)


def run_summary(scenario: Scenario | str | Path, *, seed: int | None = None, days: int | None = None,
                scale: int | None = None, routes: RouteNetwork | None = None,
                progress: Callable[[int, int], None] | None = None, cache: bool | None = None) -> dict:
    """`run(...).summary`, the same to the last bit, without building the results tables: for runners that
    keep only summary figures (a sweep's outputs), to which the tables would add about 0.1 s a run."""
    from .model.spun_up import new_model
    from .summary import summary_of

    model = new_model(scenario, routes=routes, seed=seed, days=days, scale=scale, cache=cache)
    while model.running:
        model.step()
        if progress:
            progress(model.days_run, model.days)
    return summary_of(model)
