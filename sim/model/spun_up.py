"""Runs that start from a spun-up state already computed in this process.

A scenario with `spin_up_days` runs those days before day 0, unrecorded (RouteModel._spin_up). What they
leave depends only on the scenario without what acts from day 0 on, the seed, the scale and the network:
not on the run's days, name or description, nor on the levers starting on day 0 or later (none acts on a
negative day). A sweep over measures, compare's two arms or an ensemble's repeated points spin the same
state up again and again; here the first run of a (spin-up inputs, seed, scale, network) keeps a pickled
copy of its state right after its spin-up, and later runs start from a fresh copy of it, with their own
levers, days and an empty recorder (RouteModel.attach). Their results are the same to the last bit as
those of a run that spins up itself (tests/test_spun_up.py).

The copy is a pickle: each run gets its own objects (population arrays, networks' table and their Mesa
agents, market, authorities, both random generators, perception and journeys state), and the Mesa model
unpickled is a model of its own, its agents registered with it. The network and the World (read-only,
shared by every run, see setup_cache.py) are left out of the pickle and handed back by reference.

Set SIM_SPIN_UP_CACHE=0 (or pass cache=False) to spin every run up itself.
"""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

from ..network import RouteNetwork
from ..scenario import Scenario
from . import setup_cache
from .model import RouteModel, resolve

# what does not act before day 0: the run's horizon and labels, and the levers starting on day 0 or later
# (the levers are put back below, those acting in the spin-up)
NOT_IN_SPIN_UP = {"name", "description", "days", "interventions", "events"}


def new_model(scenario: Scenario | str | Path, *, routes: RouteNetwork | None = None, seed: int | None = None,
              days: int | None = None, scale: int | None = None, cache: bool | None = None) -> RouteModel:
    """A RouteModel ready for day 0, as `RouteModel(...)` builds it: from the cached spun-up state when
    this process already spun up the same inputs (unless cache=False or SIM_SPIN_UP_CACHE=0)."""
    scenario, routes = resolve(scenario, routes, seed, days, scale)
    if cache is None:
        cache = os.environ.get("SIM_SPIN_UP_CACHE", "1") != "0"
    if not cache or not scenario.spin_up_days:
        return RouteModel(scenario, routes=routes)
    key = spin_up_key(scenario, routes)
    state = setup_cache.spun_up(key, routes)
    if state is None:
        model = RouteModel(scenario, routes=routes)
        setup_cache.keep_spun_up(key, routes, _dump(model))
        return model
    model = _load(state, routes, setup_cache.world_for(routes, scenario))
    model.attach(scenario)
    return model


def spin_up_key(scenario: Scenario, routes: RouteNetwork) -> tuple:
    """Everything the spun-up state depends on. The network by identity (the cache entry keeps it alive)."""
    return (id(routes), scenario.model_dump_json(exclude=NOT_IN_SPIN_UP), _spin_up_levers(scenario))


def _spin_up_levers(scenario: Scenario) -> tuple:
    """The levers that act in the spin-up, in the order Levers combines them: those starting before day 0,
    and capacity building that comes after such a capacity building, whatever its start: before it starts
    it still enters the product of gaps (a ramp of 0), which gives back 1 - (1 - gain) for the earlier one's
    gain, equal to it but for the last bit."""
    kept, ramping = [], False
    for lv in [*scenario.interventions, *scenario.events]:
        building = lv.kind == "capacity_building"
        if lv.start < 0 or (building and ramping):
            kept.append(lv.model_dump_json())
        ramping |= building and lv.start < 0
    return tuple(kept)


class _Pickler(pickle.Pickler):
    def __init__(self, file, shared: dict):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._shared = {id(obj): name for name, obj in shared.items()}

    def persistent_id(self, obj):
        return self._shared.get(id(obj))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, shared: dict):
        super().__init__(file)
        self._shared = shared

    def persistent_load(self, pid):
        return self._shared[pid]


def _dump(model: RouteModel) -> bytes:
    """The model's state after its spin-up, without what belongs to its run (scenario, levers, recorder),
    nor the network and World, which stay shared."""
    own = model.spec, model.levers, model.recorder
    model.spec = model.levers = model.recorder = model.journeys.recorder = None
    # the population's arrays without their room to grow (attach makes room for the run's people): after
    # the compacting spin-up only its first n entries hold anybody
    people = model.people
    arrays = {name: getattr(people, name) for name in people.FIELDS}
    for name, arr in arrays.items():
        setattr(people, name, arr[: max(people.n, 16)].copy())
    try:
        out = io.BytesIO()
        _Pickler(out, {"routes": model.routes, "world": model.world}).dump(model)
    finally:
        model.spec, model.levers, model.recorder = own
        model.journeys.recorder = model.recorder
        for name, arr in arrays.items():
            setattr(people, name, arr)
    return out.getvalue()


def _load(state: bytes, routes: RouteNetwork, world) -> RouteModel:
    return _Unpickler(io.BytesIO(state), {"routes": routes, "world": world}).load()
