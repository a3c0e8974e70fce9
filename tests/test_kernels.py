"""The compiled kernels (sim/model/kernels.py) give the same bits as the NumPy code they replace.

The NumPy versions are kept here as the reference: the route choice through a sorted key table with
one searchsorted, the cheapest open leg by lexsort. They are compared on the model's own arrays
mid-run, with legs closed (places with every leg closed, unreachable places) and visa and readmission
costs, and on random costs. The cost-to-go is compared with a brute-force Bellman-Ford run to the end
(Jacobi sweeps from inf until no value changes), on the model's arrays and on random graphs with
cycles."""

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model import kernels
from sim.model.model import RouteModel
from sim.model.sweep_order import SweepOrder


@pytest.fixture(scope="module")
def model():
    model = RouteModel("scenarios/baseline.yaml", seed=2, days=30, scale=100)
    for _ in range(5):
        model.step()
    return model


def converged_reference(n_places, src, dst, cost, closed, dest, terminal):
    """The cheapest cost from each place to a destination by Bellman-Ford (groups x places): Jacobi
    sweeps over every leg from inf, destinations held at their terminal value, until no value changes
    (at most n_places + 1 sweeps, with costs not negative). Returns it and each leg's cost plus the
    value at its end."""
    cost = np.where(closed[None, :], np.inf, cost)
    values = np.full((len(cost), n_places), np.inf)
    values[:, dest] = terminal
    is_dest = np.zeros(n_places, bool)
    is_dest[dest] = True
    for _ in range(n_places + 1):
        best = np.full_like(values, np.inf)
        np.minimum.at(best.T, src, (cost + values[:, dst]).T)
        new = np.where(is_dest[None, :], values, best)
        if np.array_equal(new, values):
            break
        values = new
    else:
        raise AssertionError("not converged")
    return values, cost + values[:, dst]


def perceived_reference(perception, price, risks, trust):
    behaviour = perception.behaviour
    seen = 1.0 - trust * (1.0 - behaviour.risk_underestimate)
    base = (price + perception.days_cost
            + (risks.p_intercept + risks.p_refused) * behaviour.interception_cost_eur)
    cost = base[None, :] + seen[:, None] * (risks.p_death * behaviour.value_of_life_eur)[None, :]
    return np.maximum(cost + perception.pref.T,
                      behaviour.effects.min_leg_cost_share * cost + behaviour.effects.min_leg_cost_eur)


def cost_to_go_reference(perception, price, risks, closed, trust, readmit=(), visa=()):
    """The model's cost-to-go by brute force: NumPy perceived costs, then converged_reference."""
    world = perception.world
    cost = perceived_reference(perception, price, risks, trust)
    if readmit or visa:
        cost = perception._policy_costs(cost.T, readmit, visa).T
    return converged_reference(world.n_places, world.src, world.dst, cost, closed,
                               np.flatnonzero(world.is_destination), -world.appeal[world.is_destination])


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
    """Arguments of cost_to_go as the model passes them, with and without closed legs, visa and
    readmission costs."""
    world, perception = model.world, model.perception
    trust = perception.trust(model.today.trust_mult, 1.0)
    closed = closed_legs(world)
    visa = [(np.array([world.place_country[perception.origin_places[0]]]), np.arange(0, world.n_legs, 7), 0.5),
            (np.array([world.place_country[perception.origin_places[-1]]]), np.arange(3, world.n_legs, 11), 1.0)]
    readmit = [(np.flatnonzero(world.place_kind == 3)[:3], int(perception.origin_places[0]), 0.4)]
    for shut, policies in ((np.zeros(world.n_legs, bool), {}), (closed, {}),
                           (closed, {"visa": visa, "readmit": readmit})):
        yield (model.market.price, model.risks, shut, trust), policies


def assert_same_cost_to_go(got, want):
    """Same unreachable places (inf) and legs; the finite values equal up to rounding (a fraction of a
    cent, far inside the 2 EUR the iteration used to stop at)."""
    for g, w in zip(got, want):
        assert np.array_equal(np.isinf(g), np.isinf(w))
        assert not np.isnan(g).any()
        np.testing.assert_allclose(g[np.isfinite(w)], w[np.isfinite(w)], rtol=1e-12, atol=1e-9)


def test_cost_to_go_is_the_converged_bellman_ford(model):
    perception, world = model.perception, model.world
    rng = np.random.default_rng(1)
    for args, policies in cases(model):
        for price in [args[0]] + [args[0] * rng.uniform(0.9, 1.1, world.n_legs) for _ in range(3)]:
            got = perception.cost_to_go(price, *args[1:], **policies)
            want = cost_to_go_reference(perception, price, *args[1:], **policies)
            assert_same_cost_to_go(got, want)
            assert perception.values is got[0]
            assert np.isinf(want[1]).any() == args[2].any()
            if args[2].any():  # closed legs leave places that cannot reach a destination
                assert np.isinf(want[0][:, world.out_count > 0]).any()


def graph(n_places, src, dst, dest):
    """The fields of a World that SweepOrder reads."""
    src, dst = np.asarray(src, np.int64), np.asarray(dst, np.int64)
    out_count = np.bincount(src, minlength=n_places).astype(np.int32)
    is_destination = np.zeros(n_places, bool)
    is_destination[dest] = True
    return SimpleNamespace(n_places=n_places, src=src, dst=dst, is_destination=is_destination, out_count=out_count,
                           out_start=np.concatenate([[0], np.cumsum(out_count)[:-1]]).astype(np.int32),
                           out_order=np.argsort(src, kind="stable").astype(np.int32))


def compiled_cost_to_go(world, cost, closed, dest, terminal):
    sweep = SweepOrder(world)
    return kernels.cost_to_go(np.ascontiguousarray(cost.T), closed, sweep.places, sweep.blocks, sweep.starts, sweep.legs,
                              sweep.ends, np.asarray(dest, np.int64), np.asarray(terminal, float), world.dst,
                              world.n_places)


@st.composite
def networks(draw):
    """A random network of legs (cycles and self-loops allowed, places with no way to a destination,
    destinations with legs out), some legs closed, some costs inf (a refused visa), for a few groups."""
    n = draw(st.integers(2, 12))
    n_legs = draw(st.integers(1, 3 * n))
    src = draw(st.lists(st.integers(0, n - 1), min_size=n_legs, max_size=n_legs))
    dst = draw(st.lists(st.integers(0, n - 1), min_size=n_legs, max_size=n_legs))
    dest = sorted(draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=max(1, n // 3))))
    n_groups = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    cost = rng.uniform(1.0, 5000.0, (n_groups, n_legs))
    cost[rng.random(cost.shape) < 0.1] = np.inf
    closed = rng.random(n_legs) < draw(st.sampled_from([0.0, 0.2, 0.5]))
    terminal = -rng.uniform(0.0, 6000.0, len(dest)) * (rng.random(len(dest)) < 0.7)
    return graph(n, src, dst, dest), cost, closed, dest, terminal


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_cost_to_go_on_random_networks_with_cycles(case):
    world, cost, closed, dest, terminal = case
    got = compiled_cost_to_go(world, cost, closed, dest, terminal)
    want = converged_reference(world.n_places, world.src, world.dst, cost, closed, dest, terminal)
    assert_same_cost_to_go(got, want)


def test_sweep_order_visits_a_place_after_where_its_legs_lead():
    rng = np.random.default_rng(3)
    # two cycles (1 -> 2 -> 3 -> 1 and 5 <-> 6), a self-loop (4), a chain into them, 0 a destination
    src = [1, 2, 3, 3, 4, 4, 5, 6, 6, 7, 7, 8]
    dst = [2, 3, 1, 0, 4, 5, 6, 5, 1, 6, 8, 7]
    world = graph(9, src, dst, [0])
    sweep = SweepOrder(world)
    assert sweep.cyclic == 3  # {1, 2, 3}, {5, 6} and {7, 8}
    block = np.full(world.n_places, -1)
    for b in range(len(sweep.blocks) - 1):
        block[sweep.places[sweep.blocks[b]: sweep.blocks[b + 1]]] = b
    assert sorted(sweep.places) == list(range(1, 9))
    for i, p in enumerate(sweep.places):
        legs = sweep.legs[sweep.starts[i]: sweep.starts[i + 1]]
        assert sorted(legs) == list(np.flatnonzero(world.src == p))
        assert np.array_equal(sweep.ends[sweep.starts[i]: sweep.starts[i + 1]], world.dst[legs])
        assert all(block[e] <= block[p] for e in world.dst[legs])  # a destination: -1
    cost = rng.uniform(1.0, 100.0, (3, len(src)))
    for closed in (np.zeros(len(src), bool), np.arange(len(src)) == 3):  # 3 -> 0 closed: nothing reaches 0
        got = compiled_cost_to_go(world, cost, closed, [0], [-50.0])
        want = converged_reference(9, world.src, world.dst, cost, closed, [0], [-50.0])
        assert_same_cost_to_go(got, want)
        assert (np.isinf(got[0][:, 1:]) if closed.any() else np.isfinite(got[0])).all()


def test_shipped_networks_need_one_pass():
    """The shipped networks have no cycle: every place is settled in one visit."""
    for path in ("scenarios/baseline.yaml", "scenarios/americas_baseline.yaml"):
        sweep = RouteModel(path, seed=1, days=2, scale=1000).perception.sweep
        assert sweep.cyclic == 0 and len(sweep.places) > 40


def test_choice_is_the_numpy_key_table_over_every_group(model):
    perception, world = model.perception, model.world
    rng = np.random.default_rng(0)
    for args, policies in cases(model):
        _, leg_costs = perception.cost_to_go(*args, **policies)
        for n_groups in (1, 3, len(leg_costs)):
            groups = rng.choice(len(leg_costs), n_groups, replace=False)
            group = np.repeat(groups, 400)
            place = rng.integers(0, world.n_places, len(group))
            u = rng.random(len(group))
            u[:20] = 1.0 - 1e-16  # the end of a place's keys
            u[20:40] = 0.0
            # past the last place with legs: the next group's first leg, or the very last leg
            last = world.n_places - 1 - np.argmax(world.out_count[::-1] > 0)
            group = np.concatenate([group, [len(leg_costs) - 1, 0, 0]])
            place = np.concatenate([place, [world.n_places - 1, world.n_places - 1, last]])
            u = np.concatenate([u, [0.5, 0.5, 1.0 - 1e-16]])
            want = choose_reference(perception, leg_costs, group, place, u)
            assert np.array_equal(perception.choose_given(leg_costs, group, place.astype(np.int16), u), want)
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


def test_sums_are_numpys_sums_bit_for_bit():
    rng = np.random.default_rng(4)
    for n in [*range(1, 140), 255, 1000]:
        x = rng.normal(size=n) * 10 ** rng.uniform(-3, 6, n)
        assert kernels.pairwise_sum(x, 0, n) == x.sum()
    for _ in range(200):
        sizes = rng.integers(1, 40, rng.integers(1, 60))
        x = rng.normal(size=sizes.sum()) * 10 ** rng.uniform(-3, 6, sizes.sum())
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        assert np.array_equal(kernels.segment_sums(x, starts, sizes), np.add.reduceat(x, starts))


def network_step_reference(t, leg_signals, authority_signals, behaviour, rng):
    """The NumPy networks' day the kernels replaced (NetworkTable.step before them), on table `t`."""
    n = len(t.agents)
    seg, starts = t.seg, t.starts
    alloc, members, capital, reach = t.alloc, t.members, t.capital, t.reach

    def per_network(x):
        return np.add.reduceat(x, starts)

    effects = behaviour.effects
    revenue_per_capacity, bribe_rate, appeal, p_int, demand = leg_signals[:, t.legs]
    arrest, seizure, takedown, seizure_mult = authority_signals[:, t.where]
    capacity = members * behaviour.capacity_per_member
    leg_revenue = capacity[seg] * alloc * revenue_per_capacity
    leg_bribes = leg_revenue * bribe_rate
    revenue, bribes = per_network(leg_revenue), per_network(leg_bribes)
    capital = capital + revenue - bribes - members * behaviour.member_cost_eur_per_day
    arrest_share, seize_share = arrest * alloc, seizure * alloc
    arrest_p, seize_p = per_network(arrest_share), per_network(seize_share)
    arrested = np.zeros(n)
    hit = arrest_p > 0
    if hit.any():
        arrested[hit] = np.minimum(rng.poisson(members[hit] * np.minimum(arrest_p[hit], 1.0)), members[hit])
    members = members - arrested
    seized = np.maximum(capital, 0.0) * np.minimum(seize_p, 1.0)
    capital = capital - seized
    with np.errstate(divide="ignore", invalid="ignore"):
        arrest_share = np.where(hit[seg], arrest_share / np.where(hit, arrest_p, 1.0)[seg], arrest_share)
        seize_share = np.where((seize_p > 0)[seg], seize_share / np.where(seize_p > 0, seize_p, 1.0)[seg], seize_share)
        cut = np.minimum(per_network(takedown * alloc), 1.0)
        reach = np.minimum(1.0, reach * (1.0 - cut) + effects.reach_recovery * (1.0 - reach))
        total = per_network(appeal)
        moves = (total > 0)[seg]
        rate = behaviour.adapt_rate
        alloc = np.where(moves, (1 - rate) * alloc + rate / np.where(total > 0, total, 1.0)[seg] * appeal, alloc)
        pressure = per_network(alloc * p_int)
        drag = per_network(alloc * seizure_mult)
        unmet = np.maximum(0.0, per_network(demand) - capacity) / np.maximum(capacity, 1.0)
        target_markup = 1.0 + behaviour.price_under_pressure * pressure + effects.markup_unmet * np.minimum(unmet, 1.0)
        markup = t.markup + effects.markup_speed * (target_markup - t.markup)
        grow = (unmet > 0) & (capital > behaviour.hire_cost_eur)
        hires = np.where(grow, np.minimum(
            behaviour.recruit_rate * np.maximum(members, 1.0) * np.minimum(unmet, 1.0) / drag,
            effects.hire_capital_share * capital / behaviour.hire_cost_eur), 0.0)
    members = np.where(grow, members + hires, np.where(capital < 0, members * effects.unpaid_member_retention, members))
    capital = capital - hires * behaviour.hire_cost_eur
    gone = (members < 1.0) | ((members < effects.dismantle_share * behaviour.members_per_network)
                              & (capital < behaviour.hire_cost_eur))
    return {"leg_revenue": leg_revenue, "leg_bribes": leg_bribes, "arrest_share": arrest_share,
            "seize_share": seize_share, "alloc": alloc, "revenue": revenue, "bribes": bribes, "seized": seized,
            "arrested": arrested, "members": members, "capital": capital, "markup": markup, "reach": reach,
            "gone": gone}


def test_networks_day_is_the_numpy_day():
    import copy

    model = RouteModel("scenarios/baseline.yaml", seed=4, days=120, scale=100)
    checked = arrests = in_kernel = 0
    rng = np.random.default_rng(9)
    while model.running:
        model.step()
        market, table = model.market, model.market.networks
        leg_signals, authority_signals = market.signals(model.risks, model.country_today, model.today.seizure_mult,
                                                        model.authority_version)
        # pressure from the authorities on every leg some days, so that arrests and seizures happen
        authority_signals = authority_signals * rng.uniform(0, 3, authority_signals.shape)
        if model.steps % 10 == 0:  # some days so much pressure that arrests are expected by the dozen
            authority_signals[0] *= 1e3
        before, halves = copy.copy(table), copy.copy(table)
        want = network_step_reference(before, leg_signals, authority_signals, model.behaviour,
                                      np.random.default_rng(model.steps))
        # the day in one kernel when its arrests can be drawn there, else in two around NumPy's draw: the same
        in_kernel += kernels.poisson_fits(kernels.networks_earn(
            table.members, table.capital, table.alloc, table.legs, table.where, table.starts, table.sizes, leg_signals,
            authority_signals, float(model.behaviour.capacity_per_member),
            float(model.behaviour.member_cost_eur_per_day))[2])
        gone = table.step(leg_signals, authority_signals, model.behaviour, np.random.default_rng(model.steps))
        gone_halves = halves._step_in_halves(leg_signals, authority_signals, model.behaviour,
                                             np.random.default_rng(model.steps))
        assert np.array_equal(gone, want["gone"]) and np.array_equal(gone_halves, want.pop("gone"))
        for name, value in want.items():
            assert np.array_equal(getattr(table, name), value), name
            assert np.array_equal(getattr(halves, name), value), name
        checked += 1
        arrests += int((want["arrested"] > 0).sum())
    assert checked == 120 and arrests > 0 and 0 < in_kernel < checked


def test_entry_candidates_are_the_loop_over_clusters():
    """Against a loop over the clusters with NumPy's own sums of each cluster's array."""
    rng = np.random.default_rng(6)
    n_legs, n_countries = 200, 30
    for trial in range(60):
        sizes = rng.integers(1, 14, 40)
        clusters = [rng.integers(0, n_legs, k) for k in sizes]
        queue = rng.random(n_legs) * 10.0 ** rng.integers(-1, 4, n_legs) * (rng.random(n_legs) < 0.5)
        capacity = rng.random(n_legs) * 10.0 ** rng.integers(-1, 4, n_legs)
        price = rng.uniform(100, 5000, n_legs)
        seizure_mult = rng.uniform(0.5, 5, n_countries)
        authority = rng.integers(0, n_countries, n_legs).astype(np.int32)
        least, share, margin = [5.0, 1e9][trial == 0], 0.05, 300.0
        unmet, candidates, drag = kernels.entry_candidates(
            queue, capacity, price, np.concatenate(clusters), np.concatenate([[0], np.cumsum(sizes)[:-1]]),
            sizes, least, share, margin, seizure_mult, authority)
        if queue.sum() < least * (1 - 1e-9):
            assert len(candidates) == 0
            continue
        want, want_drag = [], []
        for c, legs in enumerate(clusters):
            u = float(queue[legs].sum())
            assert unmet[c] == u
            if u >= max(least, share * float(capacity[legs].sum())) and float((price * queue)[legs].sum()) / u > margin:
                want.append(c)
                want_drag.append(float(seizure_mult[authority[legs]].mean()))
        assert list(candidates) == want and list(drag) == want_drag
        # with the entry's draws (Market.enter_networks): one uniform per candidate, below entry_rate / drag
        ours, numpys = np.random.default_rng(trial), np.random.default_rng(trial)
        got_unmet, enters = kernels.entering(
            kernels.bits(ours), queue, capacity, price, np.concatenate(clusters),
            np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes, least, share, margin, seizure_mult, authority, 0.3,
            0.0)
        assert np.array_equal(got_unmet, unmet)
        assert np.array_equal(enters, candidates[numpys.random(len(candidates)) < 0.3 / drag])
        assert ours.random() == numpys.random()
        assert trial == 0 or len(want) > 0
        # a long queue pulls (effects.entry_queue_pull): the chance times (unmet / least) ** pull, at most 1
        ours, numpys = np.random.default_rng(trial), np.random.default_rng(trial)
        _, pulled = kernels.entering(
            kernels.bits(ours), queue, capacity, price, np.concatenate(clusters),
            np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes, least, share, margin, seizure_mult, authority, 0.3,
            0.5)
        chance = np.minimum(1.0, 0.3 / drag * (unmet[candidates] / max(least, 1.0)) ** 0.5)
        assert np.array_equal(pulled, candidates[numpys.random(len(candidates)) < chance])
        assert set(enters) <= set(pulled)  # the same draws: every market entered without the pull is with it


def sell_reference(rng, buyers, legs, owed, capacity, scale, smuggled):
    """The NumPy sale the kernel replaced (Market.sell before it)."""
    n_legs = len(capacity)
    queue = np.bincount(legs[smuggled[legs]], minlength=n_legs) * float(scale)
    x = capacity / scale
    floor = np.floor(x)
    slots = (floor + (rng.random(x.shape) < (x - floor))).astype(np.int64)
    perm = rng.permutation(len(buyers))
    order = perm[np.argsort(legs[perm].astype(np.int16), kind="stable")]
    sorted_leg = legs[order]
    starts = np.flatnonzero(np.diff(sorted_leg, prepend=-1))
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(starts, append=len(order)))
    ok = ~smuggled[sorted_leg] | (rank < slots[sorted_leg])
    go, go_leg, go_owed = buyers[order][ok], sorted_leg[ok], owed[order][ok]
    served = np.bincount(go_leg[smuggled[go_leg]], minlength=n_legs) * float(scale)
    return go, go_leg, go_owed, np.maximum(queue - served, 0), served


def test_sale_is_the_numpy_sale():
    rng = np.random.default_rng(8)
    n_legs = 60
    for n in (0, 1, 5, 300, 3000):
        for scale in (1, 100):
            smuggled = rng.random(n_legs) < 0.6
            capacity = rng.uniform(0, 40, n_legs) * scale * (rng.random(n_legs) < 0.8)
            buyers = rng.choice(10 * n + 1, n, replace=False).astype(np.int64)
            legs = rng.integers(0, n_legs, n).astype(np.int64)
            owed = rng.random(n) < 0.2
            draws, reference = np.random.default_rng(n), np.random.default_rng(n)
            want = sell_reference(reference, buyers, legs, owed, capacity, scale, smuggled)
            got = kernels.sell(kernels.bits(draws), buyers, legs, owed, capacity, scale, smuggled)
            assert draws.bit_generator.state == reference.bit_generator.state
            for g, w in zip(got, want):
                assert g.dtype == w.dtype and np.array_equal(g, w)
            if n >= 300:
                assert 0 < len(got[0]) < n  # some turned away


def test_lognormal_is_numpys_to_the_last_bit():
    """kernels.lognormal_into (NumPy's standard normals, the C library's exp in the kernel) against
    Generator.lognormal: the same values, in float64 and rounded to float32, and the same numbers left
    in the generator."""
    for seed in range(120):
        sizes = np.random.default_rng(seed + 500)
        n = int(sizes.integers(0, 300))
        origin = sizes.integers(0, 40, 2 * n + 1).astype(np.int16)
        people = sizes.choice(2 * n + 1, n, replace=False)
        mean_of = np.log(sizes.uniform(50, 20000, 40)) - 0.5 * 0.8 ** 2
        sigma = (0.8, 0.3, 1.5, 0.0)[seed % 4]
        got_rng, want_rng = np.random.default_rng(seed), np.random.default_rng(seed)
        want = want_rng.lognormal(mean_of[origin[people]], sigma)
        z = got_rng.standard_normal(n)
        got, got32 = np.zeros(2 * n + 1), np.zeros(2 * n + 1, np.float32)
        kernels.lognormal_into(got, people, origin, mean_of, z, sigma)
        kernels.lognormal_into(got32, people, origin, mean_of, z, sigma)
        assert np.array_equal(got[people].view(np.int64), want.view(np.int64))
        assert np.array_equal(got32[people], want.astype(np.float32))
        assert got_rng.random() == want_rng.random()


def reconsider_reference(journeys, waiting, values, day, rng):
    """The NumPy reconsidering the kernels replaced (Journeys.reconsider before them)."""
    pop, behaviour = journeys.people, journeys.behaviour
    rate = behaviour.effects.transit_gives_up
    cost = values[pop.group[waiting].astype(np.int64), pop.place[waiting].astype(np.int64)]
    with np.errstate(over="ignore"):
        go_on = np.where(np.isfinite(cost), 1.0 / (1.0 + np.exp((cost - behaviour.benefit_eur)
                                                              / behaviour.decision_spread_eur)), 0.0)
    quit_ = (pop.born[waiting] != day) & (rng.random(len(waiting)) < rate * (1.0 - go_on))
    gone = waiting[quit_]
    pop.state[gone] = 6  # RETURNED
    returned = np.zeros_like(journeys.recorder.place_row("returned"))
    np.add.at(returned, pop.place[gone], 1)
    return waiting[~quit_], returned


def test_reconsidering_is_the_numpy_code():
    """Including costs-to-go so high that exp overflows (and near it), and unreachable places."""
    import copy

    model = RouteModel("scenarios/baseline.yaml", seed=3, days=60, scale=100)
    for _ in range(40):
        model.step()
    journeys, pop = model.journeys, model.people
    assert journeys.behaviour.effects.transit_gives_up > 0
    spread, benefit = journeys.behaviour.decision_spread_eur, journeys.behaviour.benefit_eur
    rng = np.random.default_rng(4)
    waiting = np.arange(pop.n)  # everybody ever created: the function reads only their group, place, born
    assert len(waiting) > 1000
    quits = 0
    for trial in range(20):
        values = model.perception.values.copy()
        # costs around the benefit, and some far above it: exp((cost - benefit) / spread) near and past overflow
        near = rng.random(values.shape) < 0.4
        values[near] = benefit + spread * rng.uniform(-5, 5, near.sum())
        high = rng.random(values.shape) < 0.2
        values[high] = benefit + spread * rng.uniform(690, 730, high.sum())
        values[rng.random(values.shape) < 0.1] = np.inf
        day = int(pop.born[waiting[trial]])  # some of them set off that day: they do not reconsider
        want_pop, got_pop = copy.deepcopy(pop), copy.deepcopy(pop)
        journeys.people = want_pop
        want, want_returned = reconsider_reference(journeys, waiting, values, day, np.random.default_rng(trial))
        journeys.people, journeys.rng = got_pop, np.random.default_rng(trial)
        row = journeys.recorder.place_row("returned")
        before = row.copy()
        got = journeys.reconsider(waiting, values, day)
        assert np.array_equal(got, want) and np.array_equal(got_pop.state, want_pop.state)
        assert np.array_equal(row - before, want_returned)
        quits += len(waiting) - len(want)
    journeys.people, journeys.rng = pop, model.rng
    assert quits > 500


def test_draws_in_kernels_are_numpys():
    """The draws made inside kernels (from the generator's bit generator, kernels.bits) against
    NumPy's own: the same values, in the same order, and the same generator state after them, on
    Poisson means up to just under 10, binomial draws up to n x p = 30 on either side of p = 0.5
    (with p = 0, p = 1 and n = 0), permutations and uniforms. Arguments outside the ported branches
    are refused (the caller then lets NumPy draw)."""
    args = np.random.default_rng(11)
    ours, numpys = np.random.default_rng(12), np.random.default_rng(12)
    src = kernels.bits(ours)
    values = 0
    for trial in range(1500):
        k = int(args.integers(0, 120))
        lam = args.random(k) * (0.01, 1.0, 9.999)[trial % 3] * (args.random(k) > 0.3)
        assert kernels.poisson_fits(lam)
        assert np.array_equal(kernels.poisson(src, lam), numpys.poisson(lam))
        n = args.integers(0, 60, k)
        p = args.random(k) * (args.random(k) > 0.2)
        p[args.random(k) < 0.1] = 1.0
        p[args.random(k) < 0.1] = 0.5
        fits = np.where(p <= 0.5, p * n, (1 - p) * n) <= 30
        n, p = n[fits], p[fits]
        assert kernels.binomial_fits(n, p)
        assert np.array_equal(kernels.binomial(src, n, p), numpys.binomial(n, p))
        m = int(args.integers(0, 300))
        assert np.array_equal(kernels.permutation(src, m), numpys.permutation(m))
        assert np.array_equal(kernels.uniforms(src, m).view(np.int64), numpys.random(m).view(np.int64))
        assert kernels.uniform(src) == numpys.random()
        values += 2 * k + m
    assert ours.bit_generator.state == numpys.bit_generator.state and values > 100_000
    assert not kernels.poisson_fits(np.array([1.0, 10.0]))
    assert not kernels.poisson_fits(np.array([np.nan]))
    assert not kernels.binomial_fits(np.array([100]), np.array([0.31]))
    assert not kernels.binomial_fits(np.array([100]), np.array([0.69]))
    assert kernels.binomial_fits(np.array([100]), np.array([0.3]))


def test_draws_follow_a_copied_generator():
    """kernels.bits looks the state up on every call: a copy of the generator draws from its own state."""
    import copy

    rng = np.random.default_rng(5)
    twin = copy.deepcopy(rng)
    kernels.uniforms(kernels.bits(rng), 10)
    assert twin.random() == np.random.default_rng(5).random()
    assert kernels.uniform(kernels.bits(twin)) == np.random.default_rng(5).random(2)[1]
    for _ in range(3):  # two generators in turn: each gets its own state
        for g in (rng, twin):
            assert kernels.bits(g)[2] == g.bit_generator.ctypes.state_address


def test_the_road_in_one_kernel_is_the_phases_one_after_the_other():
    """Journeys.road (one kernel) against by_state, move, detention and stranded called one after the
    other (the path the model keeps for days with readmissions), from copies of one model mid-run: the
    same people handed on, the same population and record, the same numbers left in the generator."""
    import copy

    model = RouteModel("scenarios/baseline.yaml", seed=6, days=40, scale=100)
    for day in range(30):
        model.step()
        if day < 10:
            continue
        one, other = copy.deepcopy(model), copy.deepcopy(model)
        cheapest = one.market.cheapest_price(one.today.closed)
        ready, stranded = one.journeys.road(one.people.active, one.risks, cheapest)
        pop = other.people
        at_place, on_leg, held, broke = kernels.by_state(pop.active, pop.state)
        want = [at_place, other.journeys.move(on_leg, other.risks), other.journeys.detention(held)]
        recovered, want_stranded = other.journeys.stranded(broke, cheapest)
        assert np.array_equal(ready, np.concatenate(want + [recovered])) and np.array_equal(stranded, want_stranded)
        for name in pop.FIELDS:
            assert np.array_equal(getattr(one.people, name), getattr(pop, name)), name
        for measure, rows in one.recorder.leg.items():
            assert np.array_equal(rows, other.recorder.leg[measure]), measure
        for measure, rows in one.recorder.place.items():
            assert np.array_equal(rows, other.recorder.place[measure]), measure
        assert np.array_equal(one.recorder.detections_by_origin, other.recorder.detections_by_origin)
        assert one.rng.random() == other.rng.random()
        assert len(on_leg) and len(held) and len(broke)


def test_cost_to_go_in_one_kernel_is_the_two_calls(model):
    """Perception.cost_to_go_today (trust, perceived costs and the cost-to-go in one kernel) against
    trust() and cost_to_go(): the same bits, with and without closed legs, at several online reaches
    and trust multipliers."""
    perception, world = model.perception, model.world
    rng = np.random.default_rng(3)
    for args, policies in cases(model):
        if policies:
            continue
        price, risks, closed, _ = args
        for reach in (1.0, 0.37, 0.0):
            trust_mult = rng.uniform(0.2, 1.5, world.n_places)
            got = perception.cost_to_go_today(price, risks, closed, trust_mult, reach)
            want = perception.cost_to_go(price, risks, closed, perception.trust(trust_mult, reach))
            for g, w in zip(got, want):
                assert np.array_equal(g.view(np.int64), w.view(np.int64))


def test_python_sum_is_pythons_sum():
    """kernels.python_sum against sum(x.tolist()) (Python 3.12's compensated sum), magnitudes far apart,
    negative zeros and infinities included; online_reach against the Python expression it replaced."""
    rng = np.random.default_rng(0)
    for trial in range(3000):
        n = int(rng.integers(0, 80))
        x = rng.uniform(0, 10, n) * 10.0 ** rng.integers(-8, 8, n)
        if trial % 7 == 0:
            x = -x
        if trial % 11 == 0 and n:
            x[0] = -0.0
        if trial % 13 == 0 and n > 2:
            x[1] = np.inf
        got, want = kernels.python_sum(x), sum(x.tolist())
        assert got == want or (np.isnan(got) and np.isnan(want))
        assert np.signbit(got) == np.signbit(want)
        reach, members = rng.random(n), np.abs(x)
        total = sum(members.tolist())
        want = (sum((reach * members).tolist()) / total) if total > 0 else 1.0
        got = kernels.online_reach(reach, members)
        assert got == want or (np.isnan(got) and np.isnan(want))


def test_too_poor_for_the_chosen_leg_takes_the_cheapest_only_within_the_settle_margin():
    """chosen_legs: a person short of the chosen leg's price takes the cheapest open leg when its perceived
    cost (with the road beyond) is within settle_eur of the chosen one's; beyond it they wait, counting the
    days, and are stranded after strand_after; a retry owed is taken whatever the margin."""
    from sim.model.people import STRANDED, WAITING

    # one place (0) with two legs: 0 (the one chosen, 2,000 EUR) and 1 (the cheapest, 1,500 EUR), whose
    # perceived cost with the road beyond is 3,000 EUR above leg 0's for the one group
    src = np.array([0, 0])
    price = np.array([2000.0, 1500.0])
    cheapest_leg = np.array([1])
    leg_costs = np.array([[5000.0, 8000.0]])

    def day(settle, broke=0, owed=False, strand_after=3):
        waiting = np.array([0])
        money, credit = np.array([1800.0], np.float32), np.array([1 if owed else -1])
        place, group, leg = np.array([0]), np.array([0]), np.array([-1])
        broke_days, state = np.array([broke], np.int16), np.array([WAITING], np.int8)
        stranded_new = np.zeros(1)
        buyers, legs, _ = kernels.chosen_legs(waiting, np.array([0]), np.array([owed]), credit, place, money, leg,
                                              price, cheapest_leg, src, group, leg_costs, settle, broke_days, state,
                                              strand_after, stranded_new)
        return list(legs), int(broke_days[0]), int(state[0]), float(stranded_new[0]), int(leg[0])

    assert day(np.inf) == ([1], 0, WAITING, 0.0, 1)  # no limit: the cheaper, worse road
    assert day(3500.0) == ([1], 0, WAITING, 0.0, 1)  # within the margin
    assert day(2500.0) == ([], 1, WAITING, 0.0, 0)  # beyond it: waits for the chosen leg's price
    assert day(2500.0, broke=2) == ([], 3, STRANDED, 1.0, 0)  # and is stranded after strand_after days
    assert day(2500.0, owed=True) == ([1], 0, WAITING, 0.0, 1)  # the retry owed on leg 1 is taken


def test_pushed_back_people_count_as_the_share_their_authority_reports():
    """intercepted: on a detection leg a person held counts as one detection, a person pushed back as
    pushback_counted of one (0 where pushbacks are reported apart); interceptions and pushbacks count
    whole whatever the share, and the draws decide the same fates as before."""
    from sim.model.people import DETAINED, WAITING

    # four people intercepted on leg 0 (a detection leg, half pushed back) and one on leg 1 (not one)
    held = np.arange(5)
    leg = np.array([0, 0, 0, 0, 1])
    origin = np.array([0, 0, 1, 1, 0])
    # draws: 5 for the retries (none owed), then 5 for the pushbacks: persons 1 and 3 pushed back (leg 1's
    # authority pushes nobody back: person 4 is held)
    v = np.array([0.9] * 5 + [0.8, 0.1, 0.8, 0.1, 0.1])

    def counts(counted):
        state = np.full(5, WAITING, np.int8)
        days_left, credit = np.zeros(5, np.int16), np.full(5, -1)
        broke_days, legs = np.zeros(5, np.int16), leg.copy()
        pushbacks, interceptions, detections = np.zeros(2), np.zeros(2), np.zeros(2)
        by_origin = np.zeros((1, 2))
        # held 10 days on leg 0, 30 on leg 1 (countries.<ISO3>.detention_days of the legs' authorities)
        kernels.intercepted(held, v, legs, state, days_left, credit, broke_days, origin, np.array([10, 30]),
                            np.zeros(2), np.array([0.5, 0.0]), np.array([counted, counted]), np.array([True, False]),
                            np.array([0, 0]), np.array([0, 1]), pushbacks, interceptions, detections, by_origin)
        counts.days_left = list(days_left)
        return list(state), list(pushbacks), list(interceptions), list(detections), list(by_origin[0])

    state, pushbacks, interceptions, detections, by_origin = counts(1.0)
    assert state == [DETAINED, WAITING, DETAINED, WAITING, DETAINED]
    assert counts.days_left == [10, 0, 10, 0, 30]  # the held for their leg's detention, the pushed back at once
    assert pushbacks == [2.0, 0.0] and interceptions == [4.0, 1.0]
    assert detections == [4.0, 0.0] and by_origin == [2.0, 2.0]  # every interception on leg 0
    assert counts(0.0) == (state, pushbacks, interceptions, [2.0, 0.0], [1.0, 1.0])  # the held only
    assert counts(0.25) == (state, pushbacks, interceptions, [2.5, 0.0], [1.25, 1.25])


def test_reconsidering_on_the_change_gives_up_the_share_of_the_chance_lost():
    """effects.transit_weighs_change at 1: the first look at a place gives nobody up; after it, of those who
    look again (a share `rate`), a share 1 - (chance now / chance last seen) gives up; an unchanged chance
    gives nobody up, a chance of 0 (no way on) everybody who looks. At 0.5, half of each rule."""
    n, rate = 20000, 0.4
    waiting = np.arange(n)
    born, place = np.zeros(n, np.int16), np.full(n, 3, np.int16)
    seen_place, seen_go = np.zeros(n, np.int16), np.zeros(n)
    rng = np.random.default_rng(9)

    def look(go_on, change=1.0, people=waiting):
        state = np.zeros(n, np.int8)
        returned = np.zeros(5)
        e = np.full(len(people), 1.0 / go_on - 1.0 if go_on > 0 else 0.0)
        none = np.full(len(people), go_on == 0)
        on = kernels.reconsider_quit(kernels.bits(rng), people, e, none, rate, born, 1, state, place, returned,
                                     change, seen_place, seen_go)
        assert returned[3] == len(people) - len(on) == (state == 6).sum()
        return on

    assert len(look(0.8)) == n  # first look here: nothing has changed
    assert (seen_place == 4).all() and np.allclose(seen_go, 0.8)
    assert len(look(0.8)) == n  # no news: nobody gives up
    on = look(0.2)  # three quarters of the chance lost: 0.4 x 0.75 = 30 % give up
    assert abs((n - len(on)) / n - 0.3) < 0.015
    looked = np.isclose(seen_go[on], 0.2)  # those who looked and went on remember the lower chance
    assert abs(looked.mean() - 0.1 / 0.7) < 0.015 and np.isclose(seen_go[on][~looked], 0.8).all()
    again = look(0.2, people=on)  # the ones who had not looked yet still lose their three quarters
    assert abs((len(on) - len(again)) / len(on) - rate * 0.75 * (1 - looked.mean())) < 0.015
    # at 0.5: half the level's 1 - 0.1 and half the change's 1 - 0.1 / the chance last seen (0.2 or 0.8)
    share = 0.5 * 0.9 + 0.5 * (1.0 - 0.1 / seen_go[again])
    half = look(0.1, change=0.5, people=again)
    assert abs((len(again) - len(half)) / len(again) - rate * share.mean()) < 0.015
    assert abs(len(look(0.0, people=half)) / len(half) - (1 - rate)) < 0.015  # no way on: gone when they look
