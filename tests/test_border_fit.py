"""The Eastern Med's split between its land border and its sea, fitted by year (sim/history/border_fit.py):
each step moves the Evros crossing's preference towards Frontex's split, bounded; the leg it moves is a land
crossing of the corridor counted at the bloc's border, and Bulgaria's, counted too, is left alone."""

import numpy as np
import pandas as pd
import pytest

from sim.history.border_fit import FITTED, LIMIT_SPREADS, observed_split, simulated_split, update_land

LEGS = FITTED["Eastern Mediterranean"][1]


def test_the_fitted_leg_is_the_evros_a_counted_land_crossing():
    from sim.history.data import REPLAY
    from sim.model import setup_cache
    from sim.scenario import load_scenario

    scenario, network = load_scenario(REPLAY)
    world = setup_cache.world_for(network, scenario)
    legs = network.legs
    counted = ((legs["corridor"] == "Eastern Mediterranean").to_numpy() & (legs["mode"] != "sea").to_numpy()
               & np.asarray(world.detects, bool))
    assert sorted(legs["id"][counted]) == ["edirne-evros", "kirklareli-malko_tarnovo"]
    assert LEGS == ("edirne-evros",)  # Bulgaria's people are counted on the Balkans: left to the route fit


def test_observed_split_is_frontexs_border_type():
    split = observed_split()["Eastern Mediterranean"]
    assert split[2018] == (22546.0, 34014.0)  # the year the Evros crossings rose
    assert set(split) == set(range(2016, 2024))


def test_one_step_moves_the_land_crossings_towards_the_observed_split():
    observed = {"Eastern Mediterranean": {2018: (20000.0, 30000.0), 2019: (10000.0, 60000.0), 2020: (100.0, 9000.0)}}
    border = pd.DataFrame({"corridor": "Eastern Mediterranean",
                           "border": ["land", "sea", "land", "sea", "land", "sea"],
                           "year": [2018, 2018, 2019, 2019, 2020, 2020],
                           "detections": [3000.0, 50000.0, 30000.0, 40000.0, 5000.0, 5000.0]})
    simulated = simulated_split(border)
    out = update_land({}, observed, simulated, spread=800.0, damping=0.5)
    # too few on land in 2018: the land crossings cheaper; too many in 2019: dearer; by the odds' log ratio
    odds_2018 = (3000 / 50000) / (20000 / 30000)
    assert out[2018][LEGS[0]] == pytest.approx(0.5 * 800 * max(np.log(odds_2018), -1.5), abs=0.1)
    assert out[2018][LEGS[0]] < 0 < out[2019][LEGS[0]]
    assert set(out[2018]) == set(LEGS)  # the Evros only; Bulgaria's crossing keeps the figure it has
    kept = update_land({2018: {"kirklareli-malko_tarnovo": 50.0}}, observed, simulated, spread=800.0, damping=0.5)
    assert kept[2018] == {"kirklareli-malko_tarnovo": 50.0, LEGS[0]: out[2018][LEGS[0]]}
    assert out[2020][LEGS[0]] == 0.0  # fewer than 200 observed on land: left alone, but listed
    # bounded, however many steps; other legs and years kept
    many = {2015: {"somewhere-else": 123.0}}
    for _ in range(100):
        many = update_land(many, observed, simulated, spread=800.0, damping=1.0)
    assert abs(many[2018][LEGS[0]]) == pytest.approx(LIMIT_SPREADS * 800.0)
    assert many[2015] == {"somewhere-else": 123.0}


def test_the_small_routes_crossings_are_their_counted_ways_into_the_bloc():
    """The Eastern Borders' preference by year acts on every crossing the route counts: the legs of its
    corridor that the model counts as detections (none left out, none of another route)."""
    from sim.history.border_fit import ROUTES
    from sim.history.data import REPLAY
    from sim.model import setup_cache
    from sim.scenario import load_scenario

    scenario, network = load_scenario(REPLAY)
    world = setup_cache.world_for(network, scenario)
    legs = network.legs
    counted = (legs["corridor"] == "Eastern Borders").to_numpy() & np.asarray(world.detects, bool)
    assert sorted(legs["id"][counted]) == sorted(ROUTES["ELB"])


def test_one_step_moves_a_small_routes_crossings_towards_its_detections_by_year():
    from sim.history.border_fit import ROUTES, observed_totals, simulated_totals, update_routes

    observed = observed_totals()
    assert observed["ELB"][2017] == 776.0 and observed["ELB"][2021] == 8075.0  # Frontex's, land and sea
    rows = pd.MultiIndex.from_tuples([("VNM", "ELB"), ("TUR", "ELB"), ("TUR", "EMR")], names=["nationality", "route"])
    by_route = pd.DataFrame({2017: [300.0, 100.0, 5000.0], 2020: [20.0, 10.0, 900.0], 2021: [9000.0, 0.0, 0.0]},
                            index=rows)
    simulated = simulated_totals(by_route)
    assert simulated["ELB"] == {2017: 400.0, 2020: 30.0, 2021: 9000.0}
    legs = ROUTES["ELB"]
    out = update_routes({2017: {"edirne-evros": 99.0}}, observed, simulated, spread=800.0, damping=0.5)
    # too few in 2017: every crossing cheaper by the log ratio; too many in 2021: dearer
    assert out[2017][legs[0]] == pytest.approx(0.5 * 800 * np.log(400 / 776), abs=0.1)
    assert all(out[2017][leg] == out[2017][legs[0]] for leg in legs) and out[2017]["edirne-evros"] == 99.0
    assert out[2021][legs[0]] > 0
    assert out[2020][legs[0]] == 0.0  # fewer than 100 simulated: left alone, but listed
    many = {}
    for _ in range(100):
        many = update_routes(many, observed, simulated, spread=800.0, damping=1.0)
    assert abs(many[2017][legs[0]]) == pytest.approx(LIMIT_SPREADS * 800.0)


def test_the_replays_demand_fit_moves_the_small_routes_crossings_only_when_asked(monkeypatch):
    """fit_demand(routes=True): each step's runs get the Eastern Borders' crossings' figures by year, moved
    towards the route's detections (the runs stubbed: 300 a year on the route against Frontex's 615 to
    1,349 until 2020); without it (the default, as the shipped replay was fitted) the leg figures are not
    fitted at all."""
    from sim.history import demand_fit
    from sim.history.border_fit import ROUTES

    seen = []
    rows = pd.MultiIndex.from_tuples([("VNM", "ELB")], names=["nationality", "route"])

    def fake_runs(trial, source, seeds, *, scale, workers=1, progress=None):
        seen.append(trial.get("leg_preferences_by_year"))
        by_route = pd.DataFrame({y: [300.0] for y in range(2016, 2024)}, index=rows)
        return by_route.groupby(level="nationality").sum(), pd.DataFrame(), by_route, {}, None

    monkeypatch.setattr(demand_fit, "simulate_all", fake_runs)
    data = {"demand_by_year": {"hanoi": {y: 1000.0 for y in range(2016, 2024)}}}
    observed = pd.DataFrame({y: [300.0] for y in range(2016, 2024)}, index=["VNM"])
    fit = demand_fit.fit_demand(data, "replay.yaml", {"hanoi": "VNM"}, seeds=[1], scale=10, iterations=2,
                                observed=observed, routes=True)
    leg = ROUTES["ELB"][0]
    assert seen[0] == {}  # the first step runs the scenario's own figures
    # 300 against 776 in 2017: cheaper; against 8,075 in 2021, more so, as far as a step goes (MAX_LOG)
    assert seen[1][2021][leg] < seen[1][2017][leg] < 0
    assert fit.land[2017][leg] < seen[1][2017][leg]
    assert fit.history[0]["route_totals"]["ELB"][2017] == 300
    seen.clear()
    plain = demand_fit.fit_demand(data, "replay.yaml", {"hanoi": "VNM"}, seeds=[1], scale=10, iterations=2,
                                  observed=observed)
    assert plain.land is None and seen == [None, None]
