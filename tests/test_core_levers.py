"""Events and costs on the tiny network: each event changes what it says, only while it lasts."""

import pytest

from sim import run
from sim.scenario import parse_scenario


def with_levers(tiny, interventions=(), events=(), days=80):
    base, network = tiny
    data = base.model_dump()
    data.update(days=days, interventions=list(interventions), events=list(events))
    return parse_scenario(data, base.source), network


def daily(res, table, key, value):
    t = res.tables[table]
    return t[t[key] == value].set_index("day")


def test_surge_raises_departures_while_it_lasts(tiny):
    s, n = with_levers(tiny, events=[{"kind": "surge", "start": 30, "end": 50, "intensity": 3,
                                      "targets": {"places": ["niamey"]}}])
    d = daily(run(s, routes=n), "places", "place", "niamey")["created"]
    assert d.loc[30:49].mean() > 2 * d.loc[:29].mean()
    assert d.loc[50:].mean() < 1.5 * d.loc[:29].mean()


def test_route_closure_stops_departures_on_its_legs(tiny):
    s, n = with_levers(tiny, events=[{"kind": "route_closure", "start": 20, "end": 40,
                                      "targets": {"legs": ["tripoli-lampedusa"]}}])
    d = daily(run(s, routes=n), "legs", "leg", "tripoli-lampedusa")["attempts"]
    assert d.loc[20:39].sum() == 0
    assert d.loc[:19].sum() > 0 and d.loc[40:].sum() > 0


def test_sea_weather_raises_death_risk_at_sea_only(tiny):
    s, n = with_levers(tiny, events=[{"kind": "sea_weather", "start": 10, "end": 20, "intensity": 1}])
    res = run(s, routes=n)
    sea = daily(res, "legs", "leg", "sfax-lampedusa")["p_death"]
    land = daily(res, "legs", "leg", "agadez-sfax")["p_death"]
    assert sea.loc[10:19].min() > 1.5 * sea.loc[:9].max()
    assert land.loc[10:19].max() <= land.loc[:9].max() * 1.5  # land legs only move with enforcement


def test_corruption_scandal_and_budget_cut_change_the_authority(tiny):
    s, n = with_levers(tiny, events=[{"kind": "corruption_scandal", "start": 10, "end": 20, "intensity": 0.2,
                                      "targets": {"countries": ["TUN"]}},
                                     {"kind": "budget_cut", "start": 30, "end": 40, "intensity": 0.5,
                                      "targets": {"countries": ["LBY"]}}])
    res = run(s, routes=n)
    tun = daily(res, "countries", "iso3", "TUN")
    assert tun.loc[10, "corruption"] == pytest.approx(tun.loc[9, "corruption"] + 0.2)
    assert tun.loc[20, "corruption"] == pytest.approx(tun.loc[9, "corruption"])
    lby = daily(res, "countries", "iso3", "LBY")
    assert lby.loc[30, "effectiveness"] == pytest.approx(0.5 * lby.loc[29, "effectiveness"])
    assert lby.loc[40, "effectiveness"] == pytest.approx(lby.loc[29, "effectiveness"])


def test_network_shift_moves_capacity_to_the_new_corridor(tiny):
    s, n = with_levers(tiny, events=[{"kind": "network_shift", "start": 30, "intensity": 0.5,
                                      "targets": {"corridors": ["Central Mediterranean"]}, "to_corridor": "Sahara"}])
    nets = run(s, routes=n).tables["networks"]
    sahara = nets[nets["corridor"] == "Sahara"].groupby("day")["members"].sum()
    cm = nets[nets["corridor"] == "Central Mediterranean"].groupby("day")["members"].sum()
    assert sahara.loc[30] > sahara.loc[29] + 0.3 * cm.loc[29]
    assert cm.loc[30] < 0.6 * cm.loc[29]


def test_cost_is_prorated_to_the_run(tiny):
    s, n = with_levers(tiny, days=50, interventions=[
        {"kind": "anti_corruption", "start": 0, "end": 100, "cost_eur": 1_000_000},
        {"kind": "awareness_campaign", "start": 10, "cost_eur": 300_000},
        {"kind": "financial_investigations", "start": 60, "end": 90, "cost_eur": 5_000_000}])
    res = run(s, routes=n)
    # a period's total is charged for its part inside the run; an open-ended cost_eur is read per year
    assert res.summary["overall"]["cost_eur"] == pytest.approx(500_000 + 300_000 * 40 / 365)


def test_operational_cooperation_counts_neighbours(tiny):
    """More countries along the route taking part give a stronger effect."""
    from sim.model.levers import Levers
    from sim.model.world import World

    def boost(countries):
        s, n = with_levers(tiny, interventions=[{"kind": "operational_cooperation", "intensity": 1,
                                                 "targets": {"corridors": ["Central Mediterranean"],
                                                             "countries": countries}}])
        levers = Levers(s, n, World.build(n, s))
        return levers.today(0).enforce_mult[n.leg_index["tripoli-lampedusa"]]

    assert boost(["LBY", "TUN"]) > boost(["LBY"]) > 1


def test_budget_cut_aimed_at_a_leg_cuts_only_that_leg(tiny):
    # aimed at a leg, the cut acts on that leg's enforcement, not on the country's other legs or its arrests
    cut = {"kind": "budget_cut", "start": 30, "end": 40, "intensity": 0.5, "targets": {"legs": ["tripoli-lampedusa"]}}
    s, n = with_levers(tiny, events=[cut])
    res = run(s, routes=n)
    s0, n0 = with_levers(tiny)
    base = run(s0, routes=n0)
    legs, legs0 = res.tables["legs"], base.tables["legs"]

    def p(t, leg, day):
        return t[(t["leg"] == leg) & (t["day"] == day)]["p_intercept"].iloc[0]

    assert p(legs, "tripoli-lampedusa", 30) < 0.75 * p(legs0, "tripoli-lampedusa", 30)
    assert p(legs, "tripoli-lampedusa", 40) == pytest.approx(p(legs0, "tripoli-lampedusa", 40), rel=0.2)
    others = set(legs0.loc[(legs0["day"] == 30) & (legs0["p_intercept"] > 0), "leg"]) - {"tripoli-lampedusa"}
    assert others  # the tiny network has other controlled legs to compare
    for leg in others:
        assert p(legs, leg, 30) == pytest.approx(p(legs0, leg, 30)), leg
    lby = daily(res, "countries", "iso3", "LBY")
    assert lby.loc[30, "effectiveness"] == pytest.approx(daily(base, "countries", "iso3", "LBY").loc[30, "effectiveness"])


def test_cooperation_deters_entry_only_on_the_legs_it_acts_on():
    # arrests_deter_entry: a measure aimed at the Central Mediterranean deters networks entering there, not on
    # the other corridors' legs of the countries it touches (Turkey controls Aegean and Central Med legs)
    from pathlib import Path

    import numpy as np

    from sim.model.levers import Levers
    from sim.model.world import World
    from sim.scenario import load_scenario

    base, n = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml")
    data = base.model_dump()
    data["interventions"] = [{"kind": "operational_cooperation", "intensity": 1.5,
                              "targets": {"corridors": ["Central Mediterranean"]}}]
    s = parse_scenario(data, base.source)
    world = World.build(n, s)
    today = Levers(s, n, world).today(0)
    cm = np.array([c == "Central Mediterranean" for c in np.array(world.corridors)[world.corridor]])
    assert (today.deter_mult[cm] > 1).all() and (today.deter_mult[~cm] == 1).all()
    aegean = n.leg_index["ayvalik-lesbos"]
    turkey = world.iso3.index("TUR")
    assert world.control[aegean] == turkey and today.arrest_mult[turkey] > 1  # arrests stay country-wide
