"""Calendar time and seasonality: dates for levers, dated results by month, and monthly multipliers
of departures estimated from Frontex's monthly series."""

import numpy as np
import pandas as pd
import pytest

from sim import run
from sim.errors import InputError
from sim.scenario import parse_scenario
from sim.seasonality import estimate, month_shares

CM = "Central Mediterranean"
SUMMER = [0.5, 0.5, 0.5, 0.5, 1.0, 1.5, 2.0, 2.0, 1.5, 1.0, 0.5, 0.5]


def dated(tiny, **fields):
    base, network = tiny
    data = base.model_dump()
    data.update({"start_date": "2016-01-01", "days": 365, "scale": 10, **fields})
    return parse_scenario(data, "dated.yaml"), network


def test_dates_become_day_numbers_and_a_date_needs_a_start_date(tiny):
    s, _ = dated(tiny, events=[{"kind": "route_closure", "targets": {"legs": ["tripoli-lampedusa"]},
                                "start": "2016-02-01", "end": "2016-03-01"}],
                 interventions=[{"kind": "anti_corruption", "start": "2015-06-01"}])
    assert (s.events[0].start, s.events[0].end) == (31, 60)
    assert s.interventions[0].start == 0  # in place before the run, no spin-up: acts from day 0
    spun, _ = dated(tiny, spin_up_days=100, interventions=[{"kind": "anti_corruption", "start": "2015-06-01"},
                                                         {"kind": "anti_corruption", "start": "2015-12-01"}])
    # in force before the run: it acts during the spin-up, from its date or the spin-up's first day
    assert [iv.start for iv in spun.interventions] == [-100, -31]
    data = s.model_dump()
    data.pop("start_date")
    data["events"][0]["start"] = "2016-02-01"
    with pytest.raises(InputError, match=r"events\[0\]\.start is a date .*start_date"):
        parse_scenario(data, "undated.yaml")


def test_a_leg_that_opens_on_a_date(tiny):
    """A new connection: the leg is closed until its opening date (route_closure with an end date)."""
    s, n = dated(tiny, days=90, events=[{"kind": "route_closure", "targets": {"legs": ["tripoli-lampedusa"]},
                                          "end": "2016-02-15"}])
    legs = run(s, routes=n, seed=2).tables["legs"]
    leg = legs[legs["leg"] == "tripoli-lampedusa"].set_index("day")["attempts"]
    assert leg.loc[:44].sum() == 0 and leg.loc[45:].sum() > 0


def test_results_carry_the_date_and_a_monthly_table(tiny):
    s, n = dated(tiny, days=70)
    res = run(s, routes=n, seed=1)
    daily, corridors, monthly = res.tables["daily"], res.tables["corridors"], res.tables["monthly"]
    assert daily["date"].iloc[0] == pd.Timestamp("2016-01-01") and daily["date"].iloc[-1] == pd.Timestamp("2016-03-10")
    assert "date" in corridors
    assert list(monthly["month"].unique()) == [pd.Timestamp(f"2016-0{m}-01") for m in (1, 2, 3)]
    feb = monthly[monthly["month"] == pd.Timestamp("2016-02-01")]
    assert set(feb["days"]) == {29}
    in_feb = corridors[(corridors["date"] >= "2016-02-01") & (corridors["date"] < "2016-03-01")]
    assert feb["detections"].sum() == in_feb["detections"].sum()
    undated = run(tiny[0].model_copy(update={"days": 20}), routes=n, seed=1)
    assert "monthly" not in undated.tables and "date" not in undated.tables["daily"]


def test_seasonality_puts_more_crossings_in_summer(tiny):
    base, n = dated(tiny)
    seasonal, _ = dated(tiny, behaviour={**tiny[0].behaviour.model_dump(), "seasonality": {CM: SUMMER}})
    months = []
    for s in (base, seasonal):
        m = run(s, routes=n, seed=3).tables["monthly"]
        m = m[m["corridor"] == CM].set_index("month")["crossings"]
        months.append(m)
    flat, season = months
    jul, jan = pd.Timestamp("2016-07-01"), pd.Timestamp("2016-02-01")
    assert season[jul] > 2 * season[jan]
    assert season[jul] / season[jan] > 1.5 * flat[jul] / flat[jan]


def test_flat_seasonality_changes_nothing(tiny):
    base, n = dated(tiny, days=60)
    flat, _ = dated(tiny, days=60, behaviour={**tiny[0].behaviour.model_dump(), "seasonality": {CM: [1.0] * 12}})
    assert run(base, routes=n, seed=4).tables["daily"].equals(run(flat, routes=n, seed=4).tables["daily"])


def test_seasonality_needs_a_start_date_and_twelve_months(tiny):
    data = tiny[0].model_dump()
    data["behaviour"]["seasonality"] = {CM: SUMMER}
    with pytest.raises(InputError, match="start_date"):
        parse_scenario(data, "x.yaml")
    data["start_date"] = "2016-01-01"
    data["behaviour"]["seasonality"] = {CM: [1.0] * 11}
    with pytest.raises(InputError, match="seasonality"):
        parse_scenario(data, "x.yaml")


def test_estimate_recovers_a_known_season_and_skips_shocked_years():
    pattern = [0.5, 0.5, 0.6, 0.8, 1.0, 1.2, 1.6, 1.6, 1.4, 1.1, 0.9, 0.8]
    rows = []
    for year in range(2016, 2024):
        level = 1000 * (1 + year - 2016)
        for month in range(1, 13):
            shock = 0.1 if (year == 2017 and month >= 7) else 1.0  # a level shift mid-2017
            rows.append({"route_code": "CMR", "year": year, "month": month,
                         "detections": level * pattern[month - 1] * shock})
    monthly = pd.DataFrame(rows)
    got = estimate(monthly, {"CMR": [CM]})[CM]
    assert got == pytest.approx([p * 12 / sum(pattern) for p in pattern], abs=0.002)
    kept = estimate(monthly, {"CMR": [CM]}, shocks=set())[CM]
    assert kept[7] < got[7] - 0.05  # with the shocked year in, July to December read low
    assert month_shares(monthly).loc["CMR"].sum() == pytest.approx(1.0)


def test_a_measure_in_force_before_the_run_acts_during_the_spin_up(tiny):
    """A dated lever from before start_date changes the state day 0 starts from; day-number levers
    (start 0 or later) never do, so a scenario and its baseline still spin up alike."""
    from sim.model.model import RouteModel

    closure = {"kind": "route_closure", "targets": {"legs": ["tripoli-lampedusa"]}}
    base, network = dated(tiny, spin_up_days=60, days=30)
    before, _ = dated(tiny, spin_up_days=60, days=30, events=[{**closure, "start": "2015-11-01"}])
    at_zero, _ = dated(tiny, spin_up_days=60, days=30, events=[{**closure, "start": 0}])
    states = {}
    for name, spec in (("base", base), ("before", before), ("at_zero", at_zero)):
        m = RouteModel(spec, routes=network, seed=3)
        states[name] = m.state_counts()
    assert states["at_zero"] == states["base"]
    assert states["before"] != states["base"]



def test_origins_yearly_splits_the_runs_detections_by_calendar_year(tiny):
    """The replay's fit compares detections by nationality and year: the yearly table must add up to the
    run's table of detections by corridor and nationality, and fall in the run's calendar years."""
    from sim.run import run

    spec, network = dated(tiny, start_date="2016-10-01", days=200)
    res = run(spec, seed=2, routes=network)
    yearly, whole = res.tables["origins_yearly"], res.tables["origins"]
    assert set(yearly["year"]) <= {2016, 2017} and yearly["detections"].sum() > 0
    summed = yearly.groupby(["corridor", "nationality"])["detections"].sum().sort_index()
    assert summed.to_dict() == whole.set_index(["corridor", "nationality"])["detections"].sort_index().to_dict()
    assert yearly.loc[yearly["year"] == 2017, "detections"].sum() > 0


def test_the_shipped_multipliers_are_what_the_estimate_writes(tmp_path, root):
    """`python -m sim.seasonality` runs (it reads the route map) and gives data/history/seasonality.yaml."""
    import yaml

    from sim.seasonality import write

    write(out=tmp_path / "seasonality.yaml")
    shipped = yaml.safe_load((root / "data" / "history" / "seasonality.yaml").read_text())
    assert yaml.safe_load((tmp_path / "seasonality.yaml").read_text()) == shipped


def test_a_season_step_moves_each_multiplier_towards_the_month_it_shows_in():
    """The replay's months lag its multipliers (people travel before they cross): the step reads the lag
    and corrects month k by the error of month k + lag, keeping the mean at 1."""
    import numpy as np

    from sim.history.season_fit import lag_months, update_seasons

    observed = np.array(SUMMER) / sum(SUMMER)
    multipliers = np.array(SUMMER) * 12 / sum(SUMMER)
    # a simulated profile one month late and half as deep
    late = np.roll(0.5 * observed + 0.5 / 12, 1)
    assert lag_months(multipliers, late) == 1
    obs = pd.DataFrame([observed], index=pd.Index(["CMR"], name="route_code"), columns=range(1, 13))
    sim = pd.DataFrame([late], index=obs.index, columns=range(1, 13))
    new, lags = update_seasons({CM: list(multipliers)}, obs, sim, {"CMR": [CM]}, damping=1.0)
    assert lags == {"CMR": 1}
    new = np.array(new[CM])
    assert np.mean(new) == pytest.approx(1.0, abs=0.01)
    # deeper than before: summer up, winter down, each by the error of the following month
    expected = multipliers * observed[np.r_[1:12, 0]] / late[np.r_[1:12, 0]]
    assert new == pytest.approx(expected / expected.mean(), abs=0.002)
    assert new[6] > multipliers[6] and new[1] < multipliers[1]


def test_an_ard_step_moves_each_month_by_the_factor_that_gives_its_least_ard():
    """The ARD weighs a quiet month missed as much as a busy one: each month's factor is the median of observed
    over simulated, weighted by simulated over observed, and month k's multiplier moves by month k + lag's."""
    import numpy as np

    from sim.history.season_fit import month_factors, update_seasons_ard

    months = pd.date_range("2016-01-01", periods=36, freq="MS")
    observed = pd.DataFrame({"corridor": CM, "month": months,
                             "detections": np.tile(np.array(SUMMER) * 100.0, 3)})
    over = np.ones(36)
    over[months.month == 2] = 3.0  # every February three times too many
    over[(months.month == 8) & (months.year == 2017)] = 0.2  # one August far too few, the other two right
    sim = observed.assign(detections=observed["detections"] * over)
    factors = month_factors(sim, observed, CM)
    assert factors[1] == pytest.approx(1 / 3) and factors[7] == pytest.approx(1.0)  # the median, not the mean
    assert np.delete(factors, 1) == pytest.approx(np.ones(11))
    # each |f s - o| / o over the years is least at the factor found
    feb = (sim["month"].dt.month == 2).to_numpy()
    for f in (0.3, 0.36, 0.5):
        assert (np.abs(f * sim["detections"][feb] - observed["detections"][feb]) / observed["detections"][feb]).sum() \
            >= (np.abs(factors[1] * sim["detections"][feb] - observed["detections"][feb])
                / observed["detections"][feb]).sum()
    flat = [1.0] * 12
    new = np.array(update_seasons_ard({CM: flat}, observed, sim, {"CMR": [CM]}, {"CMR": 1}, damping=1.0)[CM])
    assert np.mean(new) == pytest.approx(1.0, abs=0.01)
    assert new[0] == pytest.approx(new[1] / 3, rel=0.01)  # January's departures show in February
    assert new[1:] == pytest.approx(np.full(11, new[1]), rel=0.01)


EM, WB = "Eastern Mediterranean", "Western Balkans"
AUTUMN = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1.0, 1.5, 2.0, 2.0, 1.5, 1.0]  # the Aegean's kind of year
WINTER = [2.0, 1.5, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1.0, 1.5, 2.0]


def _syrians_model(**fields):
    from sim.model.model import RouteModel
    from sim.scenario import scenario_data

    data = scenario_data("scenarios/baseline.yaml")
    data.update(start_date="2016-12-01", days=40, spin_up_days=0, scale=1000, **fields)
    data["behaviour"] = {**data.get("behaviour", {}), "seasonality": {EM: AUTUMN, WB: WINTER}}
    model = RouteModel(parse_scenario(data, "scenarios/baseline.yaml"))
    return model, model.routes.place_index["syrians_in_turkey"]


def _eastern_med_weight(months):
    """The weight of the Eastern Med's months in a blend of the two (least squares)."""
    import numpy as np

    a, b = np.array(AUTUMN), np.array(WINTER)
    return float(np.dot(months - b, a - b) / np.dot(a - b, a - b))


def test_an_origins_months_follow_the_corridor_its_people_are_counted_on_this_year(root, monkeypatch):
    """The Syrians living in Turkey are counted on the Western Balkans in the 2023 world (their crossing into
    Bulgaria mostly unseen): their departures follow its months. Made to find the Western Balkans dear from
    2017, they are counted on the Aegean, and from 1 January their departures follow the Eastern Med's."""
    monkeypatch.chdir(root)
    model, place = _syrians_model(nationality_preferences_by_year={2016: {}, 2017: {"SYR": {WB: 20000}}})
    before = _eastern_med_weight(model.seasons[:, place])
    for _ in range(40):  # day 31 is 1 January 2017
        model.step()
    after = _eastern_med_weight(model.seasons[:, place])
    assert before < 0.4 and after > before + 0.3, (before, after)
    # the same preferences in 2017: read again on 1 January, the blend is about the start's (the markets moved
    # in a month); and a scenario with nothing by year keeps the months of the start
    for fields in ({"nationality_preferences_by_year": {2016: {}, 2017: {}}}, {}):
        same, place = _syrians_model(**fields)
        start = same.seasons.copy()
        for _ in range(40):
            same.step()
        assert abs(_eastern_med_weight(same.seasons[:, place]) - before) < 0.1
        assert fields or (same.seasons == start).all()


def test_a_crossing_nobody_counts_gives_no_weight_to_its_corridors_months(root, monkeypatch):
    import dataclasses

    import numpy as np

    from sim.model.seasons import origin_multipliers

    monkeypatch.chdir(root)
    model, place = _syrians_model()
    world, t = model.world, model.today
    values, leg_costs = model.perception.cost_to_go_today(model.market.price, model.risks, t.closed, t.trust_mult,
                                                          model.online_reach, t.readmit, t.visa)
    balkans = world.corridor == world.corridors.index(WB)
    # nobody on the Western Balkans is seen crossing, and nobody is intercepted there
    blind = dataclasses.replace(model.risks, p_detect=np.where(balkans, 0.0, model.risks.p_detect),
                                p_intercept=np.where(balkans, 0.0, model.risks.p_intercept))
    seasons = origin_multipliers(world, model.perception, model.behaviour.seasonality, values, leg_costs,
                                 model.season_demand, blind)
    assert _eastern_med_weight(model.seasons[:, place]) < 0.4
    # counted only on the Aegean (and on corridors with flat months): the Eastern Med's months, or a blend
    # of them with flat ones
    assert _eastern_med_weight(seasons[:, place]) > 0.6
    assert np.isclose(seasons[:, place].mean(), 1.0)


def test_attempts_pushed_back_and_counted_weigh_their_corridor_by_how_often_they_are_counted(root, monkeypatch):
    """An origin's months are a blend weighted by its expected detections per corridor. Each attempt that
    Hungary pushes back at Röszke is counted and tried again: a leg intercepting a share p of attempts counts
    p / (1 - p) failed attempts per person across. With the Western Balkans' interceptions at 0.8, its weight
    in the Syrians' blend grows over the same model with no interceptions there (4 failed attempts per
    crossing counted where none were); with the pushbacks not counted (an authority that reports them apart),
    it does not."""
    import dataclasses

    import numpy as np

    from sim.model.seasons import detections_per_crossing, origin_multipliers

    monkeypatch.chdir(root)
    model, place = _syrians_model()
    world, t = model.world, model.today
    values, leg_costs = model.perception.cost_to_go_today(model.market.price, model.risks, t.closed, t.trust_mult,
                                                          model.online_reach, t.readmit, t.visa)
    balkans = (world.corridor == world.corridors.index(WB)) & world.detects_interception
    assert balkans.any()

    def months(p, world=world):
        risks = dataclasses.replace(model.risks, p_intercept=np.where(balkans, p, model.risks.p_intercept))
        return origin_multipliers(world, model.perception, model.behaviour.seasonality, values, leg_costs,
                                  model.season_demand, risks)[:, place]

    none, many = _eastern_med_weight(months(0.0)), _eastern_med_weight(months(0.8))
    assert many < none - 0.05, (none, many)
    uncounted = dataclasses.replace(world, pushback=np.where(balkans, 1.0, world.pushback),
                                    pushback_counted=np.where(balkans, 0.0, world.pushback_counted))
    assert abs(_eastern_med_weight(months(0.8, uncounted)) - _eastern_med_weight(months(0.0, uncounted))) < 1e-9
    per = detections_per_crossing(world, dataclasses.replace(
        model.risks, p_intercept=np.where(balkans, 0.8, 0.0)))
    counted = world.pushback * world.pushback_counted + (1 - world.pushback)
    expected = np.where(world.detects, model.risks.p_detect, 0.0) + np.where(balkans, 4.0 * counted, 0.0)
    assert np.allclose(per, expected)


def _crossing(tiny, season, wait=20.0, **fields):
    behaviour = {**tiny[0].behaviour.model_dump(), "seasonality": {CM: season}, "seasonality_on_crossings": [CM],
                 "crossing_wait_days": wait}
    return dated(tiny, behaviour=behaviour, **fields)


def test_seasonality_on_the_crossings_holds_people_where_the_sea_is_crossed(tiny):
    """With the months on the crossings, people wait at the place the counted sea legs leave from while the
    sea is bad: fewer crossings in winter, more people waiting there then, and everybody still in one state."""
    from sim.model import RouteModel

    s, n = _crossing(tiny, SUMMER, spin_up_days=365)
    model = RouteModel(s, routes=n)
    world = model.world
    crossing_points = sorted({int(world.src[leg]) for leg in np.flatnonzero(world.detects & (world.corridor
                                                                                            == world.corridors.index(CM)))})
    assert crossing_points
    waiting = {}
    while model.running:
        model.step()
        if model.steps % 61 == 0:  # spun up: the recorder starts at day 0, the people before it
            counts = model.people.counts()
            assert counts.sum() == model.people.n and (model.recorder.states[model.steps - 1] == counts).all()
        day = model.steps - 1
        if day in (45, 200):  # mid-February, mid-July
            waiting[day] = model.recorder.place["waiting"][day][crossing_points].sum()
    res = model.results()
    m = res.tables["monthly"]
    m = m[m["corridor"] == CM].set_index("month")["crossings"]
    assert m[pd.Timestamp("2016-07-01")] > 1.5 * m[pd.Timestamp("2016-02-01")]
    assert waiting[45] > 2 * waiting[200]
    # the same months on the departures: nobody waits at the coast for the weather
    on_departures, _ = dated(tiny, spin_up_days=365,
                             behaviour={**tiny[0].behaviour.model_dump(), "seasonality": {CM: SUMMER}})
    other = RouteModel(on_departures, routes=n)
    while other.running:
        other.step()
    assert other.recorder.place["waiting"][45][crossing_points].sum() < waiting[45] / 2


def test_the_wait_at_the_crossing_is_a_parameter(tiny):
    """crossing_wait_days: the longer people wait in a mean month, the fewer cross in the run's first months;
    every person is in one state each day while they wait."""
    from sim.model import RouteModel
    from tests.test_core_model import check_conservation

    crossed = []
    for wait in (2.0, 60.0):
        s, n = _crossing(tiny, [1.0] * 12, wait=wait, days=90)
        model = RouteModel(s, routes=n, seed=5)
        while model.running:
            model.step()
            check_conservation(model)
        m = model.results().tables["monthly"]
        crossed.append(m[m["corridor"] == CM]["crossings"].sum())
    assert crossed[1] < 0.8 * crossed[0]


def test_the_counted_legs_go_with_their_corridors_months_and_other_legs_go_at_once(tiny):
    from sim.model import RouteModel
    from sim.model.seasons import crossing_go

    s, n = _crossing(tiny, SUMMER, wait=4.0)
    world = RouteModel(s, routes=n).world
    go = crossing_go(world, {CM: SUMMER}, 4.0)
    held = (world.detects | world.detects_interception) & (world.corridor == world.corridors.index(CM))
    assert held.any() and not held.all()
    assert np.allclose(go[:, ~held], 1.0)
    assert np.allclose(go[:, held], np.minimum(1.0, np.array(SUMMER) / 4.0)[:, None])
    assert crossing_go(world, {}, 4.0) is None
    own = crossing_go(world, {CM: SUMMER}, 4.0, {CM: 2.0})  # the corridor's own wait
    assert np.allclose(own[:, held], np.minimum(1.0, np.array(SUMMER) / 2.0)[:, None])
    assert np.allclose(crossing_go(world, {CM: SUMMER}, 4.0, {"Other": 2.0}), go)  # only the corridors named


def test_the_months_on_the_crossings_act_on_the_modes_named(tiny):
    """crossing_months_modes: with ["sea"] a counted land crossing of a corridor on the crossings goes
    whatever the month (the replay's Bulgarian and Greek land borders, which the Aegean's months held in
    winter), and its sea legs keep their months; the field reaches the model from the scenario."""
    import dataclasses

    from sim.model import RouteModel
    from sim.model.seasons import crossing_go

    s, n = _crossing(tiny, SUMMER, wait=4.0)
    world = RouteModel(s, routes=n).world
    held = np.flatnonzero((world.detects | world.detects_interception) & (world.corridor == world.corridors.index(CM)))
    assert len(held) >= 2 and set(world.mode[held]) == {"sea"}
    land = held[0]
    mixed = dataclasses.replace(world, mode=np.where(np.arange(world.n_legs) == land, "land", world.mode))
    months = np.minimum(1.0, np.array(SUMMER) / 4.0)
    every = crossing_go(mixed, {CM: SUMMER}, 4.0)
    sea_only = crossing_go(mixed, {CM: SUMMER}, 4.0, modes=("sea",))
    assert np.allclose(every[:, land], months) and np.allclose(sea_only[:, land], 1.0)
    assert np.allclose(sea_only[:, held[1:]], months[:, None])
    behaviour = {**s.behaviour.model_dump(), "crossing_months_modes": ["land", "air"]}
    no_sea, _ = dated(tiny, behaviour=behaviour)
    assert np.allclose(RouteModel(no_sea, routes=n).crossing, 1.0)  # tiny's counted crossings are all by sea
    assert not np.allclose(RouteModel(s, routes=n).crossing, 1.0)
    with pytest.raises(InputError, match="crossing_months_modes"):
        dated(tiny, behaviour={**behaviour, "crossing_months_modes": ["boat"]})
    with pytest.raises(InputError, match="crossing_months_modes"):
        dated(tiny, behaviour={**behaviour, "crossing_months_modes": []})


def test_a_corridor_on_the_crossings_needs_its_months(tiny):
    data = tiny[0].model_dump()
    data["start_date"] = "2016-01-01"
    data["behaviour"]["seasonality"] = {CM: SUMMER}
    data["behaviour"]["seasonality_on_crossings"] = ["Western Mediterranean"]
    with pytest.raises(InputError, match=r"seasonality_on_crossings\[0\].*no months"):
        parse_scenario(data, "x.yaml")
    data["behaviour"]["seasonality_on_crossings"] = [CM]
    data["behaviour"]["crossing_wait_days_by_corridor"] = {"Western Mediterranean": 5.0}
    with pytest.raises(InputError, match=r"crossing_wait_days_by_corridor.*Western Mediterranean"):
        parse_scenario(data, "x.yaml")


def _returned_in_a_long_winter(tiny, **effects) -> int:
    """People returned over 120 days of a winter-long Central Med (multiplier 0.3 on the crossings, a 30-day
    wait), people on the road reconsidering at 0.3 a day, with `effects`."""
    behaviour = {**tiny[0].behaviour.model_dump(), "seasonality": {CM: [0.3] * 12},
                 "seasonality_on_crossings": [CM], "crossing_wait_days": 30.0}
    behaviour["effects"] = {**behaviour["effects"], "transit_gives_up": 0.3, **effects}
    s, n = dated(tiny, days=120, behaviour=behaviour)
    return int(run(s, routes=n, seed=6).tables["daily"]["returned"].sum())


def test_people_waiting_out_the_weather_reconsider_at_their_own_rate(tiny):
    """effects.weather_wait_reconsiders: at 0 the people held at a crossing by the weather do not weigh giving
    up while they wait, so fewer give up on the road than at 1 (as everybody waiting)."""
    returned = [_returned_in_a_long_winter(tiny, weather_wait_reconsiders=share) for share in (1.0, 0.0)]
    assert returned[1] < 0.8 * returned[0], returned  # 5,100 and 3,550 when written


def test_people_waiting_out_the_weather_who_weigh_the_change_stay_for_the_sea(tiny):
    """effects.weather_wait_weighs_change: at 1 the people held at a crossing by the weather give up only when
    the way ahead gets worse than when they last looked, so a long winter gives fewer of them up than when the
    level of their cost-to-go decides (0), at the same rate."""
    returned = [_returned_in_a_long_winter(tiny, weather_wait_weighs_change=change) for change in (0.0, 1.0)]
    assert returned[1] < 0.8 * returned[0], returned  # 5,100 and 3,500 when written
