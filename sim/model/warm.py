"""Imported by the forkserver that local worker processes fork from (sim.execute._mp_context): load the
compiled kernels there once, so that every worker forks with them loaded instead of loading them on its
first run (0.3-0.4 s each, docs/performance.md).

Loading a Numba kernel from its on-disk cache happens on its first call with a new type signature; the
cheapest way to make those calls with the types a run uses is a run: one day (after its spin-up) of the
shipped baseline at 1:1000, about 0.6 s with the kernels' first load, run without the spin-up cache so that
nothing of it is kept for later runs. It loads every kernel a day calls; the few that only NumPy's
fallbacks for larger draws call are loaded by a worker when it first needs them. The forkserver ignores
only an ImportError in a module it preloads and dies on anything else: here any failure is swallowed, and
a worker then loads the kernels on its first run as before. Everything loaded is then frozen out of the
garbage collector's way (as a worker does itself, sim.execute.freeze), before the workers fork."""

from __future__ import annotations

import gc
from pathlib import Path

WARM_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
WARM_SCALE = 1_000  # coarse, yet with smugglers' networks at work (a coarser scale leaves their kernels unloaded)


def load_kernels() -> bool:
    """Run one coarse day of the shipped baseline; False when it could not (no such file, anything else)."""
    try:
        from ..run import run
        from ..scenario import load_scenario

        scenario, network = load_scenario(WARM_SCENARIO)
        run(scenario.model_copy(update={"scale": WARM_SCALE}), days=1, routes=network, seed=1, cache=False)
        return True
    except Exception:  # noqa: BLE001 - a warm-up only: workers load the kernels themselves if it fails
        return False
    finally:
        gc.collect()
        gc.freeze()  # what is loaded now stays out of the collector's way in every worker (see sim.execute.freeze)


LOADED = load_kernels()
