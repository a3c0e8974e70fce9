"""validate-data --year: one calendar year of a longer run against the observed figures (the replay's 2023
against the 2023 figures), and clear messages when the runs do not cover the year."""

from __future__ import annotations

import subprocess
import sys
from functools import partial

import pytest

from sim.calibration import interception_legs, load_observed, measure
from sim.history.data import REPLAY, ROOT
from sim.network import load_network
from sim.run import run
from sim.scenario import parse_scenario, scenario_data

OBSERVED = ROOT / "data" / "observed_europe_2023.yaml"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "sim", "validate-data", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_the_years_of_a_run_add_up_to_the_whole_run():
    """Two whole calendar years measured apart add up to the run measured whole (the run's summary, which
    the year's figures do not use: they come from the day-by-day tables)."""
    data = scenario_data(REPLAY)
    scenario = parse_scenario({**data, "days": 731}, REPLAY)  # 2016 (a leap year) and 2017
    _, observed = load_observed(OBSERVED)
    network = load_network(scenario.network_path())
    res = run(scenario, seed=5, scale=2000)
    fn = partial(measure, routes=observed.routes, interception_legs=interception_legs(network, observed),
                 places=tuple(observed.arrivals))
    whole, y16, y17 = fn(res), fn(res, year=2016), fn(res, year=2017)
    assert sum(whole["detections"].values()) > 0
    for figure in ("detections", "deaths"):
        for route in observed.routes:
            assert y16[figure][route] + y17[figure][route] == pytest.approx(whole[figure][route])
    for place in observed.arrivals:
        assert y16["arrivals"][place] + y17["arrivals"][place] == pytest.approx(whole["arrivals"][place])
    for route in observed.routes:  # the nationalities of the two years make up the run's
        both = {n: y16["by_origin"][route].get(n, 0) + y17["by_origin"][route].get(n, 0)
                for n in set(y16["by_origin"][route]) | set(y17["by_origin"][route])}
        assert both == pytest.approx({n: v for n, v in whole["by_origin"][route].items() if v or n in both})
    assert y16["detections"] != y17["detections"]  # not the same figures twice
    with pytest.raises(ValueError, match="2018"):
        fn(res, year=2018)


def test_a_year_the_runs_do_not_cover_gets_a_clear_message():
    out = _cli("--scenario", str(REPLAY), "--year", "2030", "--replicates", "2")
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "days" in out.stderr + out.stdout and "2030" in out.stderr + out.stdout
    baseline = ROOT / "scenarios" / "baseline.yaml"
    out = _cli("--scenario", str(baseline), "--year", "2023", "--replicates", "2")
    assert out.returncode != 0 and "Traceback" not in out.stderr and "start_date" in out.stderr + out.stdout
    out = _cli("--monthly", "--year", "2023")
    assert out.returncode != 0 and "Traceback" not in out.stderr and "--year" in out.stderr + out.stdout
