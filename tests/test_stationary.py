"""A stationary start: the shipped baseline, which spins up a year before day 0, shows no warm-up and no drift.

Without the spin-up, year 2 ran 8-17 % above year 1 on the main routes (and +65 % on the small
Eastern Borders route): the cold start has nobody on the road, stranded or detained, and the stranded
stock and the networks take about a year to grow. Year 2 must be within +-5 % of year 1 on every
route, allowing for sampling noise (two standard errors of the seeds' mean ratio) on small routes.
"""

import numpy as np
import pytest

from sim import run
from sim.scenario import load_scenario

SEEDS = (1, 2, 3, 4)


@pytest.mark.slow
def test_baseline_year_2_is_within_5_percent_of_year_1_on_every_route(root):
    # the shipped file itself, as the app and the CLI run it (its 2023 fit is made with the spin-up)
    scenario, routes = load_scenario(root / "scenarios" / "baseline.yaml")
    assert scenario.spin_up_days >= 365, "the shipped baseline starts cold"
    ratios: dict[str, list[float]] = {}
    for seed in SEEDS:
        corridors = run(scenario, routes=routes, seed=seed, days=730, scale=10).tables["corridors"]
        for name, rows in corridors.groupby("corridor"):
            d = rows.sort_values("day")["detections"].to_numpy()
            if d[:365].sum() > 0:
                ratios.setdefault(name, []).append(d[365:].sum() / d[:365].sum())
    assert len(ratios) >= 6
    drifting = {}
    for name, r in ratios.items():
        r = np.array(r)
        se = r.std(ddof=1) / np.sqrt(len(r))
        if abs(r.mean() - 1) > 0.05 + 2 * se:
            drifting[name] = (round(r.mean(), 3), round(se, 3))
    assert not drifting, f"year 2 / year 1 (mean, standard error) off by more than 5 %: {drifting}"


def test_spin_up_is_not_reported_and_starts_with_people_on_the_road(tiny):
    scenario, routes = tiny
    cold = run(scenario, routes=routes, seed=3, days=30, scale=10)
    warm = run(scenario.model_copy(update={"spin_up_days": 120}), routes=routes, seed=3, days=30, scale=10)
    assert len(warm.tables["daily"]) == 30 and warm.tables["daily"]["day"].iloc[0] == 0
    assert warm.summary["meta"]["spin_up_days"] == 120
    first_cold, first_warm = cold.tables["daily"].iloc[0], warm.tables["daily"].iloc[0]
    on_road = ["state_moving", "state_waiting", "state_detained"]
    assert first_warm[on_road].sum() > 5 * max(first_cold[on_road].sum(), 1)
    # detections of the first week are already at their level, not ramping up from nothing
    assert warm.tables["daily"]["detections"].iloc[:7].sum() > 2 * cold.tables["daily"]["detections"].iloc[:7].sum()
    # the run's final states count only journeys that ended during the run
    assert warm.tables["daily"]["state_arrived"].iloc[0] <= warm.tables["daily"]["arrivals"].iloc[0]


def test_spin_up_is_shared_by_a_scenario_and_its_baseline(tiny):
    """No lever acts during the spin-up: on one seed, a scenario and its baseline start from one state."""
    scenario, routes = tiny
    base = scenario.model_copy(update={"spin_up_days": 60})
    data = base.model_dump()
    data["interventions"] = [{"kind": "operational_cooperation", "start": 10, "intensity": 2.0}]
    from sim.scenario import parse_scenario

    with_measure = parse_scenario(data, "x")
    a = run(base, routes=routes, seed=5, days=20, scale=10).tables["daily"]
    b = run(with_measure, routes=routes, seed=5, days=20, scale=10).tables["daily"]
    assert a.iloc[:10].equals(b.iloc[:10])
    assert not a.iloc[10:].equals(b.iloc[10:])
