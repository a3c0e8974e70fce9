"""The smuggling networks as one table of arrays (sim/model/network_table.py), the networks' entry over
all clusters at once, and the route choice over the groups present: the same as the per-network,
per-cluster and all-groups computations they replace."""

import numpy as np

from sim.model.market import _EntryGroups
from sim.model.model import RouteModel


def test_entry_groups_sum_each_cluster_as_its_own_array():
    rng = np.random.default_rng(5)
    for _ in range(50):
        sizes = rng.integers(1, 14, 40)
        legs = [rng.integers(0, 200, k).astype(np.int32) for k in sizes]
        groups = _EntryGroups({(i, 0): v for i, v in enumerate(legs)})
        x = rng.random((3, 200)) * 10.0 ** rng.integers(-3, 8, (3, 200))
        sums, one, means = groups.sum(x), groups.sum(x[1]), groups.mean(x[2])
        for i, v in enumerate(legs):
            assert [float(x[j][v].sum()) for j in range(3)] == list(sums[:, i])  # to the last bit
            assert float(x[1][v].sum()) == one[i]
            assert float(x[2][v].mean()) == means[i]


def _check_views(model):
    table = model.market.networks
    agents = list(model.smugglers)
    assert table.agents == agents  # the table's rows are the Mesa agents, in the AgentSet's order
    assert list(table.uid) == [a.unique_id for a in agents]
    for row, agent in enumerate(agents):
        assert agent._row == row
        assert agent.members == table.members[row] and agent.capital == table.capital[row]
        assert np.array_equal(agent.legs, table.legs[table.seg == row])
        assert np.array_equal(agent.alloc, table.alloc[table.seg == row])
        assert np.array_equal(agent.capacity(2.0), table.capacity(2.0)[table.seg == row])
    assert np.array_equal(table.seg, np.repeat(np.arange(len(agents)), [len(a.legs) for a in agents]))


def test_agents_are_views_on_the_table_through_entries_and_dismantlings():
    model = RouteModel("scenarios/baseline.yaml", seed=3, days=200, scale=100)
    _check_views(model)
    while model.running:
        model.step()
    assert model.networks_entered > 0 and model.networks_dismantled > 0  # rows were added and removed
    _check_views(model)
    active = model.results().tables["networks"].query("day == 199 and active")
    assert list(active["network"]) == [a.unique_id for a in model.smugglers]
    assert np.allclose(active["members"], model.market.networks.members)


def test_writing_an_agent_leaves_recorded_days_alone():
    model = RouteModel("scenarios/baseline.yaml", seed=1, days=5, scale=100)
    for _ in range(3):
        model.step()
    before = list(model.recorder.network_rows)
    net = next(iter(model.smugglers))
    net.members = net.members / 2  # as a network_shift does at the start of a day
    net.alloc = np.full(len(net.legs), 1.0 / len(net.legs))
    assert model.recorder.network_rows == before
    assert model.market.networks.members[net._row] == net.members


def test_choice_over_the_groups_present_is_the_choice_over_all_groups():
    model = RouteModel("scenarios/baseline.yaml", seed=2, days=30, scale=100)
    for _ in range(5):
        model.step()
    perception, world = model.perception, model.world
    trust = perception.trust(model.today.trust_mult, 1.0)
    closed = np.zeros(world.n_legs, bool)
    closed[np.flatnonzero(world.out_count[world.src] > 1)[::3]] = True  # some places with every leg closed
    closed[world.out_order[world.out_start[world.src[-1]]:]] = True
    _, leg_costs = perception.cost_to_go(model.market.price, model.risks, closed, trust)
    rng = np.random.default_rng(0)
    keys, stride = perception.choice_table(perception.choice_probs(leg_costs))
    for n_groups in (1, 3, len(leg_costs)):
        groups = rng.choice(len(leg_costs), n_groups, replace=False)
        group = np.repeat(groups, 400)
        place = rng.integers(0, world.n_places, len(group))
        u = rng.random(len(group))
        u[:20] = 1.0 - 1e-16  # the end of a place's keys
        key = group * stride + place + u * (1 - 1e-9) + 1e-12
        pos = np.minimum(np.searchsorted(keys, key, side="left"), len(keys) - 1) % world.n_legs
        assert np.array_equal(perception.choose(leg_costs, group, place, u), world.out_order[pos])
