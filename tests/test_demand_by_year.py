"""Demand per origin by calendar year: it changes on 1 January and only then."""

import pytest

from sim import run
from sim.errors import InputError
from sim.scenario import check_against_network, parse_scenario


def _created(res, place):
    t = res.tables["places"]
    return t[t["place"] == place].set_index("day")["created"]


def test_demand_changes_on_new_year_only(dated_tiny):
    s, n = dated_tiny(demand_by_year={"niamey": {2016: 20000, 2017: 60000}})
    created = _created(run(s, routes=n), "niamey")
    nov_dec, jan_feb = created.loc[:60].mean(), created.loc[61:].mean()  # day 61 = 1 January 2017
    assert jan_feb > 2.3 * nov_dec
    # an origin without yearly figures keeps its flat demand: the same draws until niamey's demand
    # changes (after that the shared random stream differs), the same level after
    flat, _ = dated_tiny()
    with_years, without = _created(run(s, routes=n), "bamako"), _created(run(flat, routes=n), "bamako")
    assert with_years.loc[:60].equals(without.loc[:60])
    assert with_years.loc[61:].mean() == pytest.approx(without.loc[61:].mean(), rel=0.15)


def test_a_rerun_holding_the_new_year_keeps_the_year_befores_departures(dated_tiny):
    """`sim episodes` splits a change across New Year with a rerun whose new years hold the year before's
    figures (sim/history/ensemble.held): in it the step of 1 January is gone, and only it."""
    from sim.history.ensemble import held

    s, n = dated_tiny(demand_by_year={"niamey": {2016: 20000, 2017: 60000}})
    same = parse_scenario(held(s.model_dump(), 2016, 2017), s.source)
    assert same.demand_by_year["niamey"] == {2016: 20000, 2017: 20000, 2018: 60000}
    created = _created(run(same, routes=n), "niamey")
    nov_dec, jan_feb = created.loc[:60].mean(), created.loc[61:].mean()
    assert jan_feb == pytest.approx(nov_dec, rel=0.2)
    stepped = _created(run(s, routes=n), "niamey")
    assert stepped.loc[:60].equals(created.loc[:60])  # the same draws until the new year


def test_years_before_the_first_take_the_first_and_later_ones_the_latest(dated_tiny):
    s, n = dated_tiny(demand_by_year={"niamey": {2015: 40000, 2018: 1000}})
    created = _created(run(s, routes=n), "niamey")
    reference, _ = dated_tiny(demand=[{"origin": "niamey", "per_year": 40000, "budget_eur": 3500},
                                           {"origin": "bamako", "per_year": 15000, "budget_eur": 3000}])
    assert created.sum() == pytest.approx(_created(run(reference, routes=n), "niamey").sum(), rel=0.1)


def test_the_peak_year_sizes_the_memory_estimate(dated_tiny):
    from sim.checks import population_bytes

    s, _ = dated_tiny(demand_by_year={"niamey": {2016: 20000, 2017: 200000}})
    flat, _ = dated_tiny()
    assert population_bytes(s) > 5 * population_bytes(flat)


@pytest.mark.parametrize("extra, where", [
    ({"demand_by_year": {"niamey": {2016: 1}}, "start_date": None}, "start_date"),
    ({"demand_by_year": {"timbuktu": {2016: 1}}}, "demand_by_year.timbuktu"),
    ({"demand_by_year": {"niamey": {2016: -5}}}, "demand_by_year"),
    ({"demand_by_year": {"niamey": {}}}, "demand_by_year"),
    ({"spin_up_demand_months": {"niamey": [1.0] * 12}}, "spin_up_days"),
    ({"spin_up_days": 30, "spin_up_demand_months": {"timbuktu": [1.0] * 12}}, "spin_up_demand_months.timbuktu"),
    ({"spin_up_days": 30, "spin_up_demand_months": {"niamey": [1.0] * 11}}, "spin_up_demand_months"),
    ({"spin_up_days": 30, "spin_up_demand_months": {"niamey": [-1.0] + [1.0] * 11}}, "spin_up_demand_months"),
])
def test_bad_yearly_demand_or_spin_up_months_name_the_field(tiny, extra, where):
    base, network = tiny
    data = base.model_dump()
    data.update({"start_date": "2016-01-01", **extra})
    with pytest.raises(InputError) as err:
        check_against_network(parse_scenario(data, base.source), network)
    assert where in str(err.value)



def test_lagged_demand_follows_the_new_year_without_a_cliff_and_never_ahead_of_it(dated_tiny):
    import math

    lag = 40.0
    years = {2016: 20000, 2017: 60000}
    s, n = dated_tiny(demand_by_year={"niamey": years}, behaviour={"demand_lag_days": lag}, days=300)
    created = _created(run(s, routes=n), "niamey")
    steps, _ = dated_tiny(demand_by_year={"niamey": years}, days=300)
    stepped = _created(run(steps, routes=n), "niamey")
    # before New Year (day 61 = 1 January 2017) both run on 2016's figure: the lag does not look ahead
    assert created.loc[:60].mean() == pytest.approx(stepped.loc[:60].mean(), rel=0.15)
    # the first 30 days of 2017 close 1 - 40/30 x (1 - exp(-30/40)) of the gap: about 40 %, not all of it
    closed = 1 - lag / 30 * (1 - math.exp(-30 / lag))
    expected = (20000 + (60000 - 20000) * closed) / 365
    assert created.loc[61:90].mean() == pytest.approx(expected, rel=0.2)
    assert stepped.loc[61:90].mean() > 1.5 * created.loc[61:90].mean()
    # after a few lags it runs on 2017's figure
    assert created.loc[240:].mean() == pytest.approx(stepped.loc[240:].mean(), rel=0.15)


def test_demand_lag_cannot_be_negative(tiny):
    base, network = tiny
    data = base.model_dump()
    data.update({"start_date": "2016-01-01", "demand_by_year": {"niamey": {2016: 1}},
                 "behaviour": {"demand_lag_days": -3}})
    with pytest.raises(InputError) as err:
        check_against_network(parse_scenario(data, base.source), network)
    assert "demand_lag_days" in str(err.value)


# ------------------------------------------------------------------ the spin-up's months
def _on_road_at_start(res):
    first = res.tables["daily"].iloc[0]
    return float(first[["state_moving", "state_waiting", "state_detained"]].sum())


def test_spin_up_months_shape_the_road_at_day_0_and_nothing_after_it(dated_tiny):
    """A wave that grew through the year before (the replay's 2015) leaves more people on the road on day 0
    than a flat year of the same total; months of 1 are the flat spin-up, draw for draw."""
    spin = {"spin_up_days": 365}
    flat, n = dated_tiny(**spin)
    ones, _ = dated_tiny(**spin, spin_up_demand_months={"niamey": [1.0] * 12, "bamako": [1.0] * 12})
    # the spin-up runs 1 November 2015 to 31 October 2016: a wave in its last months, September-October
    wave = [0.2] * 8 + [4.0, 4.0] + [0.2, 0.2]
    late, _ = dated_tiny(**spin, spin_up_demand_months={"niamey": wave, "bamako": wave})
    base = run(flat, routes=n, seed=5)
    assert run(ones, routes=n, seed=5).tables["daily"].equals(base.tables["daily"])
    waved = run(late, routes=n, seed=5)
    assert _on_road_at_start(waved) > 2 * _on_road_at_start(base)
    # the reported days draw from the year's own demand: the new arrivals of the last month alike
    created = _created(waved, "niamey").loc[90:].mean(), _created(base, "niamey").loc[90:].mean()
    assert created[0] == pytest.approx(created[1], rel=0.15)


def test_the_replays_spin_up_months_follow_2015s_wave(root):
    """From Frontex's 2015 months: the Afghans' (Eastern Med and Balkans) autumn far above their winter,
    every origin's months averaging 1 (2015's total stays its figure)."""
    import numpy as np

    from sim.history.demand import spin_up_months

    months = spin_up_months(root / "geodata" / "europe")
    assert len(months) >= 30
    for origin, m in months.items():
        assert len(m) == 12 and np.mean(m) == pytest.approx(1.0, abs=0.01), origin
    kabul = months["kabul"]
    assert min(kabul[9], kabul[10]) > 5 * max(kabul[0], kabul[1])
