"""The replay's demand fit: each origin's demand per year moves towards the detections of its nationality in
that year, and a known demand is recovered from detections it generated (on seeds the fit never sees)."""

import pandas as pd
import pytest

from sim.history.data import MAIN_ROUTES
from sim.history.demand import OUT, origin_countries, yearly_demand
from sim.history.demand_fit import (
    STEP_BOUNDS,
    TOTAL_BOUNDS,
    at_bound,
    fit_demand,
    nationality_error,
    observed_by_nationality,
    observed_by_route,
    reached_routes,
    simulate,
    unreached,
    update,
)
from sim.network import load_network
from sim.scenario import scenario_data


def test_one_step_moves_each_origin_towards_its_nationality_and_keeps_unreachable_years():
    demand = {"a": {2016: 1000.0, 2017: 1000.0}, "b": {2016: 500.0, 2017: 500.0}}
    nat = {"a": "AAA", "b": "BBB"}
    observed = pd.DataFrame({2016: [2000.0, 100.0], 2017: [1000.0, 50.0]}, index=["AAA", "BBB"])
    simulated = pd.DataFrame({2016: [1000.0, 400.0], 2017: [1000.0, 0.0]}, index=["AAA", "BBB"])
    out = update(demand, nat, observed, simulated, damping=1.0)
    assert out["a"][2016] == pytest.approx(1000 * 2001 / 1001, rel=1e-3)  # twice too few: about doubled
    assert out["a"][2017] == pytest.approx(1000.0)  # matched: unchanged
    assert out["b"][2016] == pytest.approx(500 * STEP_BOUNDS[0], rel=1e-3)  # four times too many: one bounded step
    assert out["b"][2017] == 500.0  # nobody of that nationality reached a route: more would change nothing
    # bounded around where the fit started
    far = update({"a": {2016: 1000.0}}, {"a": "AAA"}, pd.DataFrame({2016: [1e9]}, index=["AAA"]),
                 pd.DataFrame({2016: [1.0]}, index=["AAA"]), damping=1.0, start={"a": {2016: 100.0}})
    assert far["a"][2016] == pytest.approx(100.0 * TOTAL_BOUNDS[1])
    # a wider bound (calibrate --replay --demand-bound) lets it go further, by the step's bound at most
    args = ({"a": {2016: 400.0}}, {"a": "AAA"}, pd.DataFrame({2016: [1e9]}, index=["AAA"]),
            pd.DataFrame({2016: [1.0]}, index=["AAA"]))
    assert update(*args, damping=1.0, start={"a": {2016: 100.0}})["a"][2016] == pytest.approx(100.0 * TOTAL_BOUNDS[1])
    wide = update(*args, damping=1.0, start={"a": {2016: 100.0}}, bounds=(TOTAL_BOUNDS[0], 20.0))
    assert wide["a"][2016] == pytest.approx(400.0 * STEP_BOUNDS[1])


def test_the_origin_years_at_a_bound_are_named():
    """The fit says which origin-years it could not move further: their nationality's detections are out of
    its reach, the first thing a researcher reading the fit wants to know."""
    start = {"a": {2015: 100.0, 2016: 100.0, 2017: 100.0}, "b": {2016: 200.0, 2017: 0.0}}
    demand = {"a": {2015: 500.0, 2016: 500.0, 2017: 300.0}, "b": {2016: 10.0, 2017: 10.0}}
    cells = at_bound(demand, start, bounds=(1 / 20, 5.0))
    # 2015 is the spin-up (never reported), b 2017 has no first demand to compare with
    assert cells == [("a", 2016, 5.0), ("b", 2016, 0.05)]
    assert at_bound(demand, start, bounds=(1 / 40, 10.0)) == []


def test_the_spin_up_year_moves_with_the_first_observed_year():
    """2015 (the replay's spin-up, never reported) has no target of its own: it keeps its first ratio to 2016,
    so that the tail of the 2015 wave on the road at the start grows as 2016's fitted demand grows."""
    start = {"a": {2015: 3000.0, 2016: 1000.0}, "b": {2015: 200.0, 2016: 400.0}}
    nat = {"a": "AAA", "b": "BBB"}
    observed = pd.DataFrame({2016: [2000.0, 100.0]}, index=["AAA", "BBB"])
    simulated = pd.DataFrame({2016: [1000.0, 200.0]}, index=["AAA", "BBB"])
    out = update(start, nat, observed, simulated, damping=1.0, start=start)
    assert out["a"][2016] == pytest.approx(1000 * 2001 / 1001, rel=1e-3)
    assert out["a"][2015] == pytest.approx(3 * out["a"][2016], rel=1e-3)  # Frontex's 2015/2016 ratio kept
    assert out["b"][2015] == pytest.approx(0.5 * out["b"][2016], rel=1e-3)
    # without a first demand to take the ratio from, the year is left as it is
    assert update(start, nat, observed, simulated, damping=1.0)["a"][2015] == 3000.0


def test_observed_spreads_unknown_nationalities_and_keeps_route_totals():
    nats = sorted(set(origin_countries(OUT.parent.parent.parent / "geodata" / "europe").values()))
    table = observed_by_nationality(nats)
    raw = pd.read_csv(OUT.parent.parent.parent / "data" / "history" /
                      "frontex_detections_by_route_nationality_year_2009_2023.csv")
    raw = raw[raw["route_code"].isin(MAIN_ROUTES) & raw["year"].between(2016, 2023)]
    assert table.sum().to_dict() == pytest.approx(raw.groupby("year")["detections"].sum().to_dict())
    assert table.loc["SYR", 2016] > raw[(raw["nationality_iso3"] == "SYR") & (raw["year"] == 2016)]["detections"].sum()


def test_cells_the_network_cannot_reach_are_spread_not_fitted():
    """Algerians counted on the Eastern Med (1,653 in 2016) had no way there until the flight from Algiers to
    Istanbul (thirtieth session): the fit pushed their demand up to Frontex's total, and the extra people went
    to the Western Med (+23 % in 2016). A cell the network cannot reach is now spread over the route's other
    nationalities, as an unknown nationality's are, and listed. Nigerians counted on the Eastern Med (2,626 in
    2022) were such a cell until the flight from Lagos to Istanbul (thirty-second session); Mauritanians on the
    Western Med (1,165 in 2018) still are: the network takes them only to the boats at Nouadhibou."""
    root = OUT.parent.parent.parent
    nats = sorted(set(origin_countries(root / "geodata" / "europe").values()))
    reach = reached_routes(load_network(root / "geodata" / "europe"))
    assert {"EMR", "WMR", "CMR"} <= reach["DZA"]  # the flight to Istanbul
    assert "EMR" in reach["NGA"]  # the flight from Lagos to Istanbul
    assert "WMR" not in reach["MRT"]  # no way from Nouakchott to the Western Med
    plain, fitted = observed_by_route(nats), observed_by_route(nats, reach=reach)
    assert fitted.loc[("MRT", "WMR")].sum() == 0 and plain.loc[("MRT", "WMR"), 2018] > 1000
    # each route-year keeps its total: the cell goes to the others, as the unknown nationalities' do
    assert fitted.groupby(level="route").sum().to_numpy() == pytest.approx(plain.groupby(level="route").sum().to_numpy())
    assert fitted.loc[("DZA", "WMR"), 2018] > plain.loc[("DZA", "WMR"), 2018]
    cells = unreached(nats, reach)
    top = cells.iloc[0]
    assert (top["nationality"], top["route"], top["year"], top["detections"]) == ("MRT", "WMR", 2018, 1165)
    assert (cells["detections"] >= 200).all()
    assert not (cells["nationality"].isin(["DZA", "NGA"]) & (cells["route"] == "EMR")).any()
    # a network that reaches every cell it is asked about leaves the table as it was
    everywhere = {n: set(MAIN_ROUTES) for n in nats}
    assert observed_by_route(nats, reach=everywhere).to_numpy() == pytest.approx(plain.to_numpy())
    assert unreached(nats, everywhere).empty


def test_the_replay_reads_a_fitted_demand_for_every_origin_and_year():
    written = scenario_data(OUT)["demand_by_year"]
    first = yearly_demand()
    assert set(written) == set(first)
    for origin, years in first.items():
        assert set(int(y) for y in written[origin]) == set(years)
        for y, v in years.items():
            # inside the fit's bounds around the first demand (sim/history/demand.py), whatever fits came before
            assert min(v * TOTAL_BOUNDS[0], 10.0) - 0.1 <= written[origin][y] <= max(v * TOTAL_BOUNDS[1], 10.0) + 0.1, (origin, y)


@pytest.mark.slow
def test_a_known_demand_is_recovered(tiny):
    base, network = tiny
    data = base.model_dump(mode="json", exclude_none=True)
    data.update(start_date="2016-01-01", days=730, spin_up_days=60, scale=10)
    truth = {"niamey": {2016: 20000.0, 2017: 8000.0}, "bamako": {2016: 15000.0, 2017: 30000.0}}
    nat = origin_countries(base.network_path())
    made, _ = simulate({**data, "demand_by_year": truth}, base.source, [101, 102], scale=10)
    # start far off; the fit sees other seeds than those that made the data
    start = {o: {y: 10000.0 for y in ys} for o, ys in truth.items()}
    before, _ = simulate({**data, "demand_by_year": start}, base.source, [1, 2], scale=10)
    fit = fit_demand({**data, "demand_by_year": start}, base.source, nat, seeds=[1, 2], scale=10, iterations=5,
                     observed=made)
    after, _ = simulate({**data, "demand_by_year": fit.demand}, base.source, [1, 2], scale=10)
    assert nationality_error(made, after) < 0.5 * nationality_error(made, before)
    for origin, years in truth.items():
        for y, v in years.items():
            assert fit.demand[origin][y] == pytest.approx(v, rel=0.25), (origin, y)


def test_calibrate_replay_names_the_cells_it_cannot_fit(capsys):
    from sim.cli.history import _reach

    root = OUT.parent.parent.parent
    nats = sorted(set(origin_countries(root / "geodata" / "europe").values()))
    reach = _reach(root / "geodata" / "europe", nats)
    out = capsys.readouterr().out
    assert "MRT WMR 2018 (1,165)" in out and "not fitted" in out
    assert reach == reached_routes(load_network(root / "geodata" / "europe"))


def test_calibrate_replay_names_the_origin_years_at_a_bound(capsys):
    """What `calibrate --replay` prints after the demand fit: the origin-years it left at a bound (the shipped
    fit's, measured against the first demand), or that there are none."""
    import yaml

    from sim.cli.history import _say_at_bound

    fitted = yaml.safe_load(OUT.read_text())["demand_by_year"]
    first = yearly_demand()
    _say_at_bound(fitted, first, TOTAL_BOUNDS)
    out = capsys.readouterr().out
    cells = at_bound(fitted, first, TOTAL_BOUNDS)
    assert cells, "the shipped fit has origin-years at the bound (docs/replay_log.md, forty-second session)"
    origin, year, ratio = cells[0]
    assert f"{len(cells)} origin-years' demand at its bounds" in out and f"{origin} {year} (x{ratio:g})" in out
    _say_at_bound(fitted, first, (TOTAL_BOUNDS[0] / 100, TOTAL_BOUNDS[1] * 100))
    assert "no origin-year's demand is at its bounds" in capsys.readouterr().out
