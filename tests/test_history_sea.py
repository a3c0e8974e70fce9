"""Sea arrivals by landing country and year: UNHCR's figures as the replay's fit reads them, and the replay's
own, which the response search scores beside the monthly detections."""

import pandas as pd
import pytest

from sim import run
from sim.history.sea import mean_sea, observed_sea, sea_arrivals, sea_error


def test_the_observed_figures_take_unhcrs_portal_first_then_the_national_series():
    obs = observed_sea().set_index(["country", "year"])
    assert obs.loc[("Greece", 2017), "arrivals"] == 29454  # the portal's sum, not the published 29,718
    assert obs.loc[("Greece", 2023), "series"] == "UNHCR_published"  # the portal has no 2023
    assert obs.loc[("Italy", 2023), "series"] == "IT_Viminale"
    assert not obs.index.duplicated().any()
    assert obs.index.get_level_values("year").max() <= 2023


def test_the_sea_error_is_the_mean_relative_difference_of_the_scored_country_years():
    obs = pd.DataFrame({"country": ["Greece", "Greece", "Italy", "Spain"], "year": [2016, 2017, 2016, 2016],
                        "arrivals": [100.0, 200.0, 50.0, 80.0], "series": "x"})
    exact = pd.DataFrame({"iso3": ["GRC", "GRC", "ITA"], "year": [2016, 2017, 2016], "arrivals": [100.0, 200.0, 50.0]})
    assert sea_error(exact, obs) == 0.0
    off = exact.assign(arrivals=[150.0, 100.0, 50.0])  # +50 %, -50 %, 0 %; Spain is not scored
    assert sea_error(off, obs) == pytest.approx(1 / 3)
    missing = exact.iloc[:2]  # nobody landing in Italy counts as 0 arrivals
    assert sea_error(missing, obs) == pytest.approx(1 / 3)


def test_a_runs_sea_arrivals_are_its_crossings_of_sea_legs_into_another_country(dated_tiny):
    scenario, network = dated_tiny()
    res = run(scenario, routes=network, seed=1, scale=10)
    got = mean_sea([sea_arrivals(res)])
    legs = network.legs
    iso3 = network.places["iso3"].to_numpy()
    sea = legs["id"][(legs["mode"] == "sea").to_numpy() & (iso3[legs["src"]] != iso3[legs["dst"]])]
    assert len(sea) > 0
    expected = res.tables["legs"].query("leg in @sea")["crossings"].sum()
    assert expected > 0
    assert got["arrivals"].sum() == pytest.approx(expected)
    assert set(got["year"]) <= {2016, 2017}


def test_frontex_splits_the_eastern_med_into_land_and_sea():
    from sim.history.sea import observed_border

    obs = observed_border().set_index(["route", "border", "year"])["detections"]
    assert obs[("EMR", "sea", 2021)] == 17101 and obs[("EMR", "land", 2021)] == 5692
    assert obs[("EMR", "land", 2018)] == 22546  # the Evros year
    assert obs.index.get_level_values("year").max() <= 2023


def test_a_runs_detections_by_border_add_up_to_its_detections(root):
    """On the 2023 world (30 days, coarse): every detection is on one border, and the sea's are those of
    the sea legs."""
    from sim.history.sea import border_detections, mean_border
    from sim.scenario import load_scenario, parse_scenario

    base, network = load_scenario(root / "scenarios" / "baseline.yaml")
    data = base.model_dump()
    data.update(start_date="2023-01-01", days=30)
    res = run(parse_scenario(data, base.source), routes=network, seed=1, scale=500)
    got = mean_border([border_detections(res)])
    legs = res.tables["legs"]
    assert got["detections"].sum() == pytest.approx(legs["detections"].sum())
    sea = set(network.legs["id"][network.legs["mode"] == "sea"])
    at_sea = legs[legs["leg"].isin(sea)]["detections"].sum()
    assert 0 < at_sea < legs["detections"].sum()  # people are detected at sea and on land
    assert got[got["border"] == "sea"]["detections"].sum() == pytest.approx(at_sea)
    assert set(got["border"]) == {"land", "sea"} and set(got["year"]) == {2023}
