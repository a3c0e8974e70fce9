"""Runs started from a cached spun-up state (sim/model/spun_up.py) give the same results to the last bit
as runs that spin up themselves, and what the spin-up depends on is in the cache's key."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.model import RouteModel, setup_cache
from sim.model.spun_up import new_model
from sim.scenario import Intervention, load_scenario

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def spin_ups(monkeypatch):
    """Counts the spin-ups actually run, from an empty cache."""
    setup_cache.clear()
    count = [0]
    real = RouteModel._spin_up

    def counted(self, days):
        count[0] += 1
        return real(self, days)

    monkeypatch.setattr(RouteModel, "_spin_up", counted)
    monkeypatch.delenv("SIM_SPIN_UP_CACHE", raising=False)
    yield count
    setup_cache.clear()


def _fresh(spec, network, **kw):
    return RouteModel(spec, routes=network, **kw).run()


def _cached(spec, network, **kw):
    return new_model(spec, routes=network, **kw).run()


def _assert_same(a, b):
    assert a.summary == b.summary
    assert a.tables.keys() == b.tables.keys()
    for name, table in a.tables.items():
        pd.testing.assert_frame_equal(table, b.tables[name], check_exact=True, obj=name)


def _with(spec, *levers, **update):
    """The scenario with more interventions (validated, as a file would be read)."""
    data = spec.model_dump()
    data["interventions"] = [*data["interventions"], *[lv.model_dump() for lv in levers]]
    out = type(spec).model_validate({**data, **update})
    out._source = spec.source
    return out


def _tiny(tiny):
    spec, network = tiny
    return spec.model_copy(update={"spin_up_days": 60, "days": 40}), network


def test_a_run_from_the_cache_is_the_run_spun_up_itself(tiny, spin_ups):
    spec, network = _tiny(tiny)
    _cached(spec, network, seed=3)
    assert spin_ups[0] == 1
    # other measures from day 0 (one from day 10), another horizon: the same spin-up
    ops = Intervention(kind="operational_cooperation", intensity=1.0, start=10)
    other = _with(spec, ops, Intervention(kind="anti_corruption", intensity=0.7), days=25)
    hit = _cached(other, network, seed=3)
    assert spin_ups[0] == 1
    fresh = _fresh(other, network, seed=3)
    assert spin_ups[0] == 2
    _assert_same(hit, fresh)
    assert hit.summary != _fresh(spec, network, seed=3, days=25).summary  # the measures do act


def test_runs_from_the_cache_share_no_state(tiny, spin_ups):
    spec, network = _tiny(tiny)
    shut = _with(spec, Intervention(kind="financial_investigations", intensity=1.0), days=30)
    first = _cached(spec, network, seed=5)
    _cached(shut, network, seed=5)
    again = _cached(spec, network, seed=5)
    assert spin_ups[0] == 1
    _assert_same(first, again)
    # two models alive from one entry: running one leaves the other as it was
    a, b = new_model(spec, routes=network, seed=5), new_model(spec, routes=network, seed=5)
    people = a.people.state[: a.people.n].copy()
    while b.running:
        b.step()
    assert np.array_equal(a.people.state[: a.people.n], people)
    assert a.steps == 0 and len(a.smugglers) > 0
    assert all(net.model is a for net in a.smugglers) and all(net.model is b for net in b.smugglers)
    assert len(a.agents_by_type[type(next(iter(a.agents)))]) > 0
    _assert_same(a.run(), first)


@pytest.mark.parametrize("change", ["behaviour", "negative lever", "seed", "scale", "capacity after capacity"])
def test_what_the_spin_up_depends_on_is_in_the_key(tiny, spin_ups, change):
    spec, network = _tiny(tiny)
    spec = _with(spec, Intervention(kind="capacity_building", intensity=1.0, start=-200))
    seed, scale = 2, 1
    _cached(spec, network, seed=seed, scale=scale)
    if change == "behaviour":
        effects = spec.behaviour.effects.model_copy(update={"training_effect": 0.9})
        changed = spec.model_copy(update={"behaviour": spec.behaviour.model_copy(update={"effects": effects})})
    elif change == "negative lever":
        changed = _with(spec, Intervention(kind="anti_corruption", intensity=0.5, start=-30))
    elif change == "seed":
        changed, seed = spec, 7
    elif change == "scale":
        changed, scale = spec, 2
    else:
        changed = _with(spec, Intervention(kind="capacity_building", intensity=0.5, start=20))
    run = _cached(changed, network, seed=seed, scale=scale)
    assert spin_ups[0] == 2  # missed
    _assert_same(run, _fresh(changed, network, seed=seed, scale=scale))


def test_the_cache_is_bounded_and_can_be_turned_off(tiny, spin_ups, monkeypatch):
    spec, network = _tiny(tiny)
    spec = spec.model_copy(update={"days": 5})
    for seed in range(setup_cache.SPUN_UP_ENTRIES + 2):
        new_model(spec, routes=network, seed=seed)
    assert setup_cache.sizes()["spun_up"] == setup_cache.SPUN_UP_ENTRIES
    new_model(spec, routes=network, seed=0)  # the oldest went first
    assert spin_ups[0] == setup_cache.SPUN_UP_ENTRIES + 3
    new_model(spec, routes=network, seed=0, cache=False)
    monkeypatch.setenv("SIM_SPIN_UP_CACHE", "0")
    new_model(spec, routes=network, seed=0)
    assert spin_ups[0] == setup_cache.SPUN_UP_ENTRIES + 5
    setup_cache.clear()
    assert setup_cache.sizes()["spun_up"] == 0


@pytest.mark.slow
def test_baseline_then_declaration(spin_ups):
    """compare's two arms on one seed: the declaration starts from the baseline's spin-up."""
    base, network = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    decl, _ = load_scenario(ROOT / "scenarios" / "declaration.yaml", network)
    _cached(base, network, seed=11, days=20, scale=1000)
    hit = _cached(decl, network, seed=11, days=30, scale=1000)
    assert spin_ups[0] == 1
    _assert_same(hit, _fresh(decl, network, seed=11, days=30, scale=1000))
    # and a point of a sweep over the declaration's intensities
    point = decl.model_copy(update={"interventions": [lv.model_copy(update={"intensity": lv.intensity / 2})
                                                      for lv in decl.interventions]})
    hit = _cached(point, network, seed=11, days=15, scale=1000)
    assert spin_ups[0] == 2
    _assert_same(hit, _fresh(point, network, seed=11, days=15, scale=1000))


@pytest.mark.slow
def test_the_replay_whose_levers_act_in_the_spin_up(spin_ups):
    replay, network = load_scenario(ROOT / "scenarios" / "history" / "europe_2016_2023.yaml")
    assert any(lv.start < 0 for lv in replay.interventions + replay.events)
    _cached(replay, network, seed=1, days=400, scale=1000)
    later = [lv for lv in replay.interventions if lv.start > 0 and lv.kind != "capacity_building"]
    assert later
    other = replay.model_copy(update={"interventions": [lv for lv in replay.interventions if lv is not later[0]]})
    hit = _cached(other, network, seed=1, days=300, scale=1000)
    assert spin_ups[0] == 1
    _assert_same(hit, _fresh(other, network, seed=1, days=300, scale=1000))
    # without a lever dated before the start, the spin-up is another
    earlier = next(lv for lv in replay.interventions if lv.start < 0)
    fewer = replay.model_copy(update={"interventions": [lv for lv in replay.interventions if lv is not earlier]})
    _cached(fewer, network, seed=1, days=50, scale=1000)
    assert spin_ups[0] == 3


def test_the_cache_is_bounded_in_bytes(tiny, spin_ups, monkeypatch):
    spec, network = _tiny(tiny)
    spec = spec.model_copy(update={"days": 5})
    monkeypatch.setattr(setup_cache, "SPUN_UP_BYTES", 1)
    new_model(spec, routes=network, seed=1)
    new_model(spec, routes=network, seed=2)
    assert setup_cache.sizes()["spun_up"] == 1  # the newest stays, over the budget alone
    new_model(spec, routes=network, seed=2)
    assert spin_ups[0] == 2
