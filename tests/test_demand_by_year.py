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
])
def test_bad_yearly_demand_names_the_field(tiny, extra, where):
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
