"""A destination's appeal by calendar year (`destinations_by_year`): it changes on 1 January and only then, and
the replay's fit moves Cyprus's towards its sea arrivals by year (sim/history/appeal_fit.py)."""

import math

import pytest

from sim import run
from sim.errors import InputError
from sim.history.appeal_fit import LIMIT_SPREADS, observed_arrivals, update_appeals
from sim.scenario import check_against_network, parse_scenario


def _departures(res, place):
    t = res.tables["places"]
    return t[t["place"] == place].set_index("day")["left"]


def test_a_years_appeal_acts_from_1_january_only(dated_tiny):
    # Rome, the tiny network's one destination, is worth 6,000 EUR less from 2017: until 31 December nothing
    # differs (same draws, same figures); from 1 January fewer people set off for it
    s, n = dated_tiny(destinations_by_year={"rome": {2016: 0, 2017: -6000}})
    flat, _ = dated_tiny()
    with_years, without = run(s, routes=n), run(flat, routes=n)
    for name in ("places", "legs"):
        a, b = with_years.tables[name], without.tables[name]
        assert a[a["day"] <= 60].equals(b[b["day"] <= 60]), name  # day 61 = 1 January 2017
    for origin in ("niamey", "bamako"):
        assert _departures(with_years, origin).loc[70:].sum() < 0.8 * _departures(without, origin).loc[70:].sum()


def test_a_year_at_the_destinations_own_figure_is_the_scenario_itself(dated_tiny):
    s, n = dated_tiny(destinations={"rome": {"appeal_eur": 500}}, destinations_by_year={"rome": {2016: 500}})
    flat, _ = dated_tiny(destinations={"rome": {"appeal_eur": 500}})
    assert run(s, routes=n).tables["legs"].equals(run(flat, routes=n).tables["legs"])


@pytest.mark.parametrize("extra, where", [
    ({"destinations_by_year": {"rome": {2016: -100}}, "start_date": None}, "start_date"),
    ({"destinations_by_year": {"atlantis": {2016: -100}}}, "destinations_by_year.atlantis"),
    ({"destinations_by_year": {"niamey": {2016: -100}}}, "destinations_by_year.niamey"),
    ({"destinations_by_year": {"rome": {2016: True}}}, "destinations_by_year"),
    ({"destinations_by_year": {"rome": {}}}, "destinations_by_year.rome"),
])
def test_bad_yearly_appeal_names_the_field(tiny, extra, where):
    base, network = tiny
    data = base.model_dump()
    data.update({"start_date": "2016-01-01", **extra})
    with pytest.raises(InputError) as err:
        check_against_network(parse_scenario(data, base.source), network)
    assert where in str(err.value)


def test_one_step_moves_each_year_towards_its_arrivals():
    observed = {"nicosia": {2018: 800.0, 2019: 1600.0, 2022: 4000.0, 2023: 4000.0}}
    simulated = {"nicosia": {2019: 9600.0, 2022: 800.0, 2023: 4000.0}}  # 2018: the way was closed
    out = update_appeals({}, {"nicosia": -3500.0}, observed, simulated, spread=800.0, damping=1.0)["nicosia"]
    assert out[2018] == -3500.0  # none simulated and never moved: closed, no appeal opens it
    assert out[2019] < -3500.0 < out[2022]  # too many: less wanted; too few: more
    assert out[2023] == pytest.approx(-3500.0)  # on target: stays
    # a year the fit moved down until nobody came comes back up
    again = update_appeals({"nicosia": {2019: -9000.0}}, {"nicosia": -3500.0}, observed,
                           {"nicosia": {2019: 0.0}}, spread=800.0, damping=1.0)["nicosia"]
    assert again[2019] > -9000.0
    # bounded around the destination's own figure, however many steps
    many = {}
    for _ in range(100):
        many = update_appeals(many, {"nicosia": -3500.0}, observed, {"nicosia": {2019: 1e6, 2022: 1.0}},
                              spread=800.0, damping=1.0)
    assert many["nicosia"][2019] == pytest.approx(-3500.0 - LIMIT_SPREADS * 800.0)
    assert many["nicosia"][2022] == pytest.approx(-3500.0 + LIMIT_SPREADS * 800.0)


def test_cyprus_arrivals_are_unhcrs_and_the_2023_target():
    years = observed_arrivals()["nicosia"]
    assert sorted(years) == list(range(2016, 2024))
    assert years[2022] == 3952 and years[2019] == 1660  # UNHCR (data/history/sea_arrivals_by_country_year_2016_2023.csv)
    assert years[2023] == 4259  # where UNHCR's series stops: the 2023 target (data/observed_europe_2023.yaml)


def test_a_years_slope_is_read_from_its_last_two_steps():
    # arrivals = 1000 x exp((appeal + 3500) / 1000): from two steps the secant finds the figure for 5,000
    # in one more (damping 1), where the first guess of the slope would not
    def arrivals(appeal):
        return 1000.0 * math.exp((appeal + 3500.0) / 1000.0)

    observed = {"nicosia": {2022: 5000.0}}
    now, was = {"nicosia": {2022: -2500.0}}, {"nicosia": {2022: -3500.0}}
    out = update_appeals(now, {"nicosia": -3500.0}, observed, {"nicosia": {2022: arrivals(-2500.0)}},
                         spread=800.0, damping=1.0, previous=(was, {"nicosia": {2022: arrivals(-3500.0)}}))
    assert out["nicosia"][2022] == pytest.approx(-3500.0 + 1000.0 * math.log(5.0), abs=1.0)
    first = update_appeals(now, {"nicosia": -3500.0}, observed, {"nicosia": {2022: arrivals(-2500.0)}},
                           spread=800.0, damping=1.0)
    assert abs(first["nicosia"][2022] - out["nicosia"][2022]) > 100.0


def test_the_replays_demand_fit_carries_and_moves_the_appeals(monkeypatch):
    """fit_demand(appeals=True): each step's runs get the current appeals by year, and Cyprus's move
    towards its arrivals (the runs stubbed: 9,600 in 2019 against UNHCR's 1,660, 800 in 2022 against 3,952)."""
    import pandas as pd

    from sim.history import demand_fit

    seen = []

    def fake_runs(trial, source, seeds, *, scale, workers=1, progress=None):
        seen.append(trial.get("destinations_by_year"))
        yearly = pd.DataFrame({2019: [1000.0]}, index=["SYR"])
        return yearly, pd.DataFrame(), None, {("CYP", 2019): 9600.0, ("CYP", 2022): 800.0}, None

    monkeypatch.setattr(demand_fit, "simulate_all", fake_runs)
    data = {"demand_by_year": {"damascus": {2019: 1000.0}}, "destinations": {"nicosia": {"appeal_eur": -3500.0}}}
    observed = pd.DataFrame({2019: [1000.0]}, index=["SYR"])
    fit = demand_fit.fit_demand(data, "replay.yaml", {"damascus": "SYR"}, seeds=[1], scale=10, iterations=2,
                                observed=observed, appeals=True)
    assert seen[0] == {}  # the first step runs the scenario's own figures
    assert seen[1]["nicosia"][2019] < -3500.0 < seen[1]["nicosia"][2022]  # the second, the moved ones
    assert fit.appeals["nicosia"][2019] < seen[1]["nicosia"][2019]
    assert fit.history[0]["arrivals"]["nicosia"][2019] == 9600
