"""The smuggling networks as one table of arrays (sim/model/network_table.py): the Mesa agents are views
on its rows. (The compiled networks' day, their entry over all clusters and the route choice over the
groups present are compared with the NumPy code they replace in test_kernels.py.)"""

import numpy as np

from sim.model.model import RouteModel


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
    from sim.scenario import load_scenario, parse_scenario

    # seizures and arrests everywhere, so that networks are dismantled as well as entered (the baseline
    # alone dismantles a network only now and then), and new networks drawn ten times as often as the
    # default rate, so that rows are added whatever the fit (measured: 8 to 11 entries and 2 to 5
    # dismantlings in 200 days on seeds 1 to 3; interceptions as well left no queue to enter)
    base, routes = load_scenario("scenarios/baseline.yaml")
    data = base.model_dump()
    data["interventions"] = [{"kind": "financial_investigations", "intensity": 3.0}]
    data["behaviour"]["entry_rate"] = 0.5
    model = RouteModel(parse_scenario(data, base.source), routes=routes, seed=1, days=200, scale=100)
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
