"""Route preferences by calendar year (`nationality_preferences_by_year`): they change on 1 January and only
then, and the replay's fit moves them towards each nationality's observed split between routes."""

import pandas as pd
import pytest

from sim import run
from sim.errors import InputError
from sim.history.demand_fit import PREFERENCE_LIMIT, update_preferences
from sim.scenario import check_against_network, parse_scenario


def _departures(res, place):
    t = res.tables["places"]
    return t[t["place"] == place].set_index("day")["left"]


def test_a_years_preference_acts_from_1_january_only(dated_tiny):
    # Malians find the Central Mediterranean much dearer from 2017: until 31 December nothing differs (same
    # draws, same figures); from 1 January fewer of them set off
    s, n = dated_tiny(nationality_preferences_by_year={2016: {}, 2017: {"MLI": {"Central Mediterranean": 8000}}})
    flat, _ = dated_tiny()
    with_years, without = run(s, routes=n), run(flat, routes=n)
    for name in ("places", "legs"):
        a, b = with_years.tables[name], without.tables[name]
        assert a[a["day"] <= 60].equals(b[b["day"] <= 60]), name  # day 61 = 1 January 2017
    assert _departures(with_years, "bamako").loc[70:].sum() < 0.8 * _departures(without, "bamako").loc[70:].sum()


def test_an_empty_year_is_the_scenario_itself(dated_tiny):
    s, n = dated_tiny(nationality_preferences_by_year={2016: {}})
    flat, _ = dated_tiny()
    assert run(s, routes=n).tables["legs"].equals(run(flat, routes=n).tables["legs"])


@pytest.mark.parametrize("extra, where", [
    ({"nationality_preferences_by_year": {2016: {"MLI": {"Sahara": 10}}}, "start_date": None}, "start_date"),
    ({"nationality_preferences_by_year": {2016: {"XXX": {"Sahara": 10}}}}, "nationality_preferences_by_year.2016.XXX"),
    ({"nationality_preferences_by_year": {2016: {"MLI": {"Nowhere": 10}}}},
     "nationality_preferences_by_year.2016.MLI.Nowhere"),
    ({"nationality_preferences_by_year": {2016: {"MLI": {"Sahara": True}}}}, "nationality_preferences_by_year"),
    ({"leg_preferences_by_year": {2016: {"tripoli-lampedusa": 10}}, "start_date": None}, "start_date"),
    ({"leg_preferences_by_year": {2016: {"tripoli-nowhere": 10}}}, "leg_preferences_by_year.2016.tripoli-nowhere"),
    ({"leg_preferences_by_year": {2016: {"tripoli-lampedusa": True}}}, "leg_preferences_by_year"),
])
def test_bad_yearly_preferences_name_the_field(tiny, extra, where):
    base, network = tiny
    data = base.model_dump()
    data.update({"start_date": "2016-01-01", **extra})
    with pytest.raises(InputError) as err:
        check_against_network(parse_scenario(data, base.source), network)
    assert where in str(err.value)


def _cells(values: dict) -> pd.DataFrame:
    """{(nationality, route): {year: detections}} as the fit's (nationality, route) x year table."""
    rows = pd.MultiIndex.from_tuples(list(values), names=["nationality", "route"])
    return pd.DataFrame(list(values.values()), index=rows).fillna(0.0)


def test_one_step_moves_a_split_towards_the_observed_one():
    observed = _cells({("SYR", "EMR"): {2016: 9000.0}, ("SYR", "CMR"): {2016: 1000.0}, ("SYR", "WBR"): {2016: 1000.0},
                       ("AFG", "EMR"): {2016: 500.0}, ("AFG", "WBR"): {2016: 200.0},
                       ("IRQ", "EMR"): {2016: 4000.0}, ("IRQ", "CMR"): {2016: 4000.0}})
    simulated = _cells({("SYR", "EMR"): {2016: 3000.0}, ("SYR", "CMR"): {2016: 3000.0}, ("SYR", "WBR"): {2016: 7000.0},
                        ("AFG", "EMR"): {2016: 100.0}, ("AFG", "WBR"): {2016: 900.0},
                        ("IRQ", "EMR"): {2016: 8000.0}, ("IRQ", "CMR"): {2016: 0.0}})
    out = update_preferences({}, observed, simulated, spread=800.0, damping=1.0)
    syr = out[2016]["SYR"]
    # too few in over the Eastern Mediterranean, too many over the Central: the first cheaper, the second
    # dearer, centred (a common shift would only trade off against demand)
    assert syr["Eastern Mediterranean"] < 0 < syr["Central Mediterranean"]
    assert syr["Eastern Mediterranean"] == pytest.approx(-syr["Central Mediterranean"])
    # too many going on over the Balkans: dearer, by its own error (it is taken after the way in, not
    # instead of it)
    assert syr["Western Balkans"] == pytest.approx(800.0 * 1.0, rel=0.01)  # log ratio above 1: one clipped step
    assert "AFG" not in out[2016]  # fewer than the fit's floor of detections in the year: noise, left alone
    assert "IRQ" not in out[2016]  # one route reached in the model: a split it cannot show, left alone
    assert set(syr) == {"Eastern Mediterranean", "Central Mediterranean", "Western Balkans"}
    # a route reached in another year of the run is open: a year with none on it moves towards it
    observed[2017] = observed[2016]
    simulated[2017] = simulated[2016]
    simulated.loc[("IRQ", "CMR"), 2017] = 500.0
    two = update_preferences({}, observed, simulated, spread=800.0, damping=1.0)
    assert two[2016]["IRQ"]["Central Mediterranean"] < 0 < two[2016]["IRQ"]["Eastern Mediterranean"]
    assert two[2016]["SYR"] == syr  # the others as before
    # a way the network has but the run never took (the preferences made it too dear) moves too when the
    # network's reach is given and the data count people on it; a way it does not have stays alone
    opened = update_preferences({}, observed.drop(columns=2017), simulated.drop(columns=2017), spread=800.0,
                                damping=1.0, reach={"IRQ": {"EMR", "CMR"}, "SYR": {"EMR", "WBR"}})
    assert opened[2016]["IRQ"]["Central Mediterranean"] < 0 < opened[2016]["IRQ"]["Eastern Mediterranean"]
    assert opened[2016]["SYR"] == syr  # reached in the run: the network's reach only adds ways
    quiet = observed.drop(columns=2017).copy()
    quiet.loc[("IRQ", "CMR"), 2016] = 0.0
    quiet.loc[("IRQ", "EMR"), 2016] = 8000.0
    alone = update_preferences({}, quiet, simulated.drop(columns=2017), spread=800.0, damping=1.0,
                               reach={"IRQ": {"EMR", "CMR"}})
    assert "IRQ" not in alone[2016]  # nobody counted on the way it never takes: nothing to move towards
    # bounded, however many steps
    many = {}
    for _ in range(200):
        many = update_preferences(many, observed, simulated, spread=800.0, damping=1.0)
    assert max(abs(v) for v in many[2016]["SYR"].values()) <= PREFERENCE_LIMIT * 800.0


def _leg_departures(res, leg, first_day):
    t = res.tables["legs"]
    return t[(t["leg"] == leg) & (t["day"] >= first_day)]["departures"].sum()


def test_a_legs_preference_by_year_moves_people_to_the_other_way_from_1_january(dated_tiny):
    # the boats from Tripoli much dearer for everybody from 2017: until 31 December nothing differs; from 1
    # January fewer take them and more leave from Sfax (two ways across one corridor, which a corridor's
    # preference cannot set apart)
    s, n = dated_tiny(leg_preferences_by_year={2016: {}, 2017: {"tripoli-lampedusa": 8000}})
    flat, _ = dated_tiny()
    by_leg, without = run(s, routes=n), run(flat, routes=n)
    for name in ("places", "legs"):
        a, b = by_leg.tables[name], without.tables[name]
        assert a[a["day"] <= 60].equals(b[b["day"] <= 60]), name
    assert _leg_departures(by_leg, "tripoli-lampedusa", 70) < 0.5 * _leg_departures(without, "tripoli-lampedusa", 70)
    assert _leg_departures(by_leg, "sfax-lampedusa", 70) > _leg_departures(without, "sfax-lampedusa", 70)


def test_leg_and_nationality_preferences_by_year_each_keep_their_latest_year(dated_tiny):
    # the nationality's 2016 mapping still holds in 2017, when only the legs' mapping lists the year
    both, n = dated_tiny(nationality_preferences_by_year={2016: {"MLI": {"Central Mediterranean": 8000}}},
                         leg_preferences_by_year={2017: {"tripoli-lampedusa": 0}})
    nationality_only, _ = dated_tiny(nationality_preferences_by_year={2016: {"MLI": {"Central Mediterranean": 8000}}})
    assert run(both, routes=n).tables["legs"].equals(run(nationality_only, routes=n).tables["legs"])
