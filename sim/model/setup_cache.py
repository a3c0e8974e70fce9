"""Set-up shared between runs in one process: the World of a network and the expected flows at the start.

A sweep or a calibration runs the same network, and often the same scenario, hundreds of times in one
worker; only the seed, the horizon or the scale change. Building the World (pandas look-ups) and the
expected-flows pass that sizes the networks at the start cost more than a short coarse run, so both
are kept here, keyed by the network object and the scenario fields they depend on.

The network is part of the key by identity: a worker loads it once and passes the same object to every
run (`sim.run(..., routes=network)`). Each entry holds a reference to its network, so an id is never
reused while its entry lives. Cached values are read-only (the model never writes into its World).

A runner calls `sim.model.model.prepare(scenario, network)` once per scenario in a worker (optional: the
first run fills the caches anyway), and `clear()` to free the memory.

A third cache holds spun-up states (pickled; see spun_up.py), bounded in entries and in bytes: each holds
the people on the road (about 20 bytes an entry), the networks' table, the market and the authorities;
the baseline's is 0.24 MB at 1:1000, 0.39 MB at 1:10, the 2016-2023 replay's 0.3 MB at 1:100.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from ..network import RouteNetwork
from ..scenario import Scenario
from .world import World

MAX_ENTRIES = 16  # per cache; a worker rarely holds more networks or scenarios than this

# what World.build reads from a scenario (besides the network)
WORLD_FIELDS = {"corridors": True, "countries": True, "destinations": True, "nationality_preferences": True,
                "behaviour": {"retry_included"}}
# everything but these shapes the first day, hence the expected flows (they are computed before any
# random draw, and per day of demand, so neither the seed nor the scale nor the horizon matters)
NOT_IN_FLOWS = {"seed", "days", "scale", "name", "description"}

_worlds: OrderedDict = OrderedDict()
_flows: OrderedDict = OrderedDict()
_spun_up: OrderedDict = OrderedDict()
# a sweep runs its points one after the other, each on its replicates' seeds: the entries must cover the
# replicates of one point for the next point to find them
SPUN_UP_ENTRIES = 16
SPUN_UP_BYTES = 256 * 2**20


def world_for(network: RouteNetwork, scenario: Scenario) -> World:
    """The World of this network with this scenario's overrides, built once."""
    key = (id(network), scenario.model_dump_json(include=WORLD_FIELDS))
    return _cached(_worlds, key, network, lambda: World.build(network, scenario))


def expected_flows_for(network: RouteNetwork, scenario: Scenario, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """Expected people per day on each leg at the start (see Perception.expected_flows), computed once
    per network and scenario; a copy, so the caller may change it."""
    key = (id(network), scenario.model_dump_json(exclude=NOT_IN_FLOWS))
    return _cached(_flows, key, network, compute).copy()


def spun_up(key, network: RouteNetwork) -> bytes | None:
    """The pickled spun-up state stored under `key` for this network, or None."""
    hit = _spun_up.get(key)
    if hit is None or hit[0] is not network:
        return None
    _spun_up.move_to_end(key)
    return hit[1]


def keep_spun_up(key, network: RouteNetwork, state: bytes) -> None:
    _spun_up[key] = (network, state)
    _spun_up.move_to_end(key)
    while len(_spun_up) > 1 and (len(_spun_up) > SPUN_UP_ENTRIES
                                 or sum(len(v[1]) for v in _spun_up.values()) > SPUN_UP_BYTES):
        _spun_up.popitem(last=False)


def clear() -> None:
    _worlds.clear()
    _flows.clear()
    _spun_up.clear()


def sizes() -> dict[str, int]:
    """Entries held, per cache (for tests and a runner's diagnostics)."""
    return {"worlds": len(_worlds), "expected_flows": len(_flows), "spun_up": len(_spun_up)}


def _cached(cache: OrderedDict, key, network, compute):
    hit = cache.get(key)
    if hit is not None and hit[0] is network:
        cache.move_to_end(key)
        return hit[1]
    value = compute()
    cache[key] = (network, value)
    if len(cache) > MAX_ENTRIES:
        cache.popitem(last=False)
    return value
