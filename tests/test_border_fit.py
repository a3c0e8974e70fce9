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
