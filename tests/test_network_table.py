"""The smuggling networks as one table of arrays (sim/model/network_table.py), the networks' entry over
all clusters at once: the same as the per-network and per-cluster computations they replace (the route
choice over the groups present is tested in test_kernels.py)."""

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
