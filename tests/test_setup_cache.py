"""Set-up shared between runs: a cached World and cached expected flows give the same runs."""

import pandas as pd

from sim.model import RouteModel, setup_cache


def _run(spec, network, seed):
    return RouteModel(spec, routes=network, seed=seed, days=30).run()


def test_cached_setup_gives_the_same_run(tiny):
    spec, network = tiny
    setup_cache.clear()
    fresh = _run(spec, network, 4)
    assert setup_cache.sizes() == {"worlds": 1, "expected_flows": 1, "spun_up": 0}
    again = _run(spec, network, 4)  # both from the caches
    assert setup_cache.sizes() == {"worlds": 1, "expected_flows": 1, "spun_up": 0}
    for name, table in fresh.tables.items():
        pd.testing.assert_frame_equal(table, again.tables[name])


def test_what_the_setup_depends_on_is_in_the_key(tiny):
    spec, network = tiny
    setup_cache.clear()
    _run(spec, network, 1)
    _run(spec.model_copy(update={"seed": 9, "days": 20, "scale": 2}), network, 1)  # same set-up
    assert setup_cache.sizes() == {"worlds": 1, "expected_flows": 1, "spun_up": 0}
    richer = spec.model_copy(update={"demand": [d.model_copy(update={"budget_eur": d.budget_eur * 2})
                                                for d in spec.demand]})
    _run(richer, network, 1)  # same world, other flows
    assert setup_cache.sizes() == {"worlds": 1, "expected_flows": 2, "spun_up": 0}
    corridor = network.corridors[0]
    dearer = type(spec).model_validate({**spec.model_dump(), "corridors": {corridor: {"fee_factor": 2.0}}})
    model = RouteModel(dearer, routes=network, days=5)
    assert setup_cache.sizes() == {"worlds": 2, "expected_flows": 3, "spun_up": 0}
    plain = RouteModel(spec, routes=network, days=5)
    assert (model.world.fee[model.world.corridor == 0] == 2 * plain.world.fee[plain.world.corridor == 0]).all()
