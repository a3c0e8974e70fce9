"""The compiled kernels (sim/model/kernels.py) give the same bits as the NumPy code they replace.

The NumPy versions are kept here as the reference: value iteration by Jacobi sweeps over LegsByPlace,
the route choice through a sorted key table with one searchsorted, the cheapest open leg by lexsort.
They are compared on the model's own arrays mid-run, with legs closed (places with every leg closed,
unreachable places) and visa and readmission costs, and on random costs."""

import numpy as np
import pytest

from sim.model import kernels
from sim.model.model import RouteModel


@pytest.fixture(scope="module")
def model():
    model = RouteModel("scenarios/baseline.yaml", seed=2, days=30, scale=100)
    for _ in range(5):
        model.step()
    return model


def iterate_reference(perception, values, cost, terminal):
    """The NumPy value iteration the kernel replaced (Jacobi sweeps on places x groups)."""
    by_place, dest = perception.by_place, perception.destinations
    places = by_place.places
    at = values.T.copy()
    leg_cost = cost.T[by_place.legs]
    leg_end = perception.world.dst[by_place.legs]
    with np.errstate(invalid="ignore"):
        for _ in range(perception.world.n_places + 1):
            best = by_place.min(leg_cost + at[leg_end])
            moved = np.abs(best - at[places]) > 2.0
            at[places] = best
            at[dest] = terminal[:, None]
            if not moved.any():
                break
    return np.ascontiguousarray(at.T)


def choice_table_reference(perception, probs, groups):
    world = perception.world
    order = world.out_order
    p_sorted = probs[:, order]
    seg_sorted = world.src[order]
    csum = np.cumsum(p_sorted, axis=1)
    first = world.out_start[seg_sorted]
    before = np.where(first > 0, csum[:, np.maximum(first - 1, 0)], 0.0)
    within = np.minimum(csum - before, 1.0)
    stride = world.n_places + 1
    keys = (groups[:, None] * stride + seg_sorted[None, :] + within).ravel()
    return keys, stride


def choose_reference(perception, leg_costs, group, place, u):
    """The NumPy route choice over every group's table."""
    world = perception.world
    groups = np.arange(len(leg_costs))
    keys, stride = choice_table_reference(perception, perception.choice_probs(leg_costs), groups)
    key = group * stride + place + u * (1 - 1e-9) + 1e-12
    pos = np.minimum(np.searchsorted(keys, key, side="left"), len(keys) - 1) % world.n_legs
    return world.out_order[pos]


def closed_legs(world):
    closed = np.zeros(world.n_legs, bool)
    closed[np.flatnonzero(world.out_count[world.src] > 1)[::3]] = True  # some places with every leg closed
    closed[world.out_order[world.out_start[world.src[-1]]:]] = True
    return closed


def cases(model):
    """(values the iteration starts from, the legs' perceived costs, terminal values, leg costs with the
    cost-to-go) as the model computes them, with and without closed legs, visa and readmission costs."""
    world, perception = model.world, model.perception
    trust = perception.trust(model.today.trust_mult, 1.0)
    closed = closed_legs(world)
    visa = [(np.array([world.place_country[perception.origin_places[0]]]), np.arange(0, world.n_legs, 7), 0.5),
            (np.array([world.place_country[perception.origin_places[-1]]]), np.arange(3, world.n_legs, 11), 1.0)]
    readmit = [(np.flatnonzero(world.place_kind == 3)[:3], int(perception.origin_places[0]), 0.4)]
    seen = []
    iterate = perception._iterate

    def record(values, cost, terminal):
        seen.append((values.copy(), cost.copy(), terminal.copy()))
        return iterate(values, cost, terminal)

    perception._iterate = record
    try:
        for shut, policies in ((np.zeros(world.n_legs, bool), {}), (closed, {}),
                               (closed, {"visa": visa, "readmit": readmit})):
            _, leg_costs = perception.cost_to_go(model.market.price, model.risks, shut, trust, **policies)
            yield (*seen[-1], leg_costs)
    finally:
        perception._iterate = iterate


def test_value_iteration_is_the_numpy_jacobi_sweeps(model):
    perception, world = model.perception, model.world
    for start, cost, terminal, _ in cases(model):
        got = perception._iterate(start.copy(), cost, terminal)
        want = iterate_reference(perception, start.copy(), cost, terminal)
        assert np.array_equal(got, want)
    # costs moved by up to 1 % from the day's: the iteration stops on the 2 EUR rule before converging
    rng = np.random.default_rng(1)
    for start, cost, terminal, _ in cases(model):
        for _ in range(5):
            moved = cost * rng.uniform(0.99, 1.01, cost.shape)
            got = perception._iterate(start.copy(), moved, terminal)
            assert np.array_equal(got, iterate_reference(perception, start.copy(), moved, terminal))
    # random costs, from a cold start (every place unreachable): many sweeps
    terminal = -world.appeal[world.is_destination]
    cost = rng.uniform(10, 5000, (perception.n_groups, world.n_legs))
    cost[rng.random(cost.shape) < 0.2] = np.inf
    start = np.full((perception.n_groups, world.n_places), np.inf)
    start[:, world.is_destination] = terminal
    got = perception._iterate(start.copy(), cost, terminal)
    want = iterate_reference(perception, start.copy(), cost, terminal)
    assert np.array_equal(got, want)
    assert np.isinf(want).any() and np.isfinite(want).any()


def test_choice_is_the_numpy_key_table_over_every_group(model):
    perception, world = model.perception, model.world
    rng = np.random.default_rng(0)
    for *_, leg_costs in cases(model):
        for n_groups in (1, 3, len(leg_costs)):
            groups = rng.choice(len(leg_costs), n_groups, replace=False)
            group = np.repeat(groups, 400)
            place = rng.integers(0, world.n_places, len(group))
            u = rng.random(len(group))
            u[:20] = 1.0 - 1e-16  # the end of a place's keys
            u[20:40] = 0.0
            want = choose_reference(perception, leg_costs, group, place, u)
            assert np.array_equal(perception.choose(leg_costs, group, place.astype(np.int16), u), want)
        # people at places whose legs are all closed to them (or with no legs) get a leg elsewhere
        assert (world.src[want] != place).any()


def test_cheapest_open_leg_is_the_lexsort_choice():
    rng = np.random.default_rng(3)
    n_places, n_legs = 40, 300
    src = np.sort(rng.integers(0, n_places - 5, n_legs)).astype(np.int32)
    price = rng.choice([100.0, 200.0, 300.0, np.inf], n_legs)  # ties, and open legs with no price
    closed = rng.random(n_legs) < 0.3
    best, leg = kernels.cheapest_open(price, closed, src, n_places)
    p = np.where(closed, np.inf, price)
    want_best = np.full(n_places, np.inf)
    np.minimum.at(want_best, src, p)
    order = np.lexsort((p, src))
    want_leg = np.full(n_places, -1, np.int64)
    first = np.unique(src[order], return_index=True)
    legs = order[first[1]]
    ok = np.isfinite(p[legs])
    want_leg[first[0][ok]] = legs[ok]
    assert np.array_equal(best, want_best)
    assert np.array_equal(leg, want_leg)
    assert (leg == -1).sum() >= 5 and (leg >= 0).sum() > 5
