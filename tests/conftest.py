"""Shared fixtures: paths and small scenarios."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def tiny_path():
    return FIXTURES / "tiny.yaml"


@pytest.fixture(scope="session")
def tiny(tiny_path):
    from sim.scenario import load_scenario

    return load_scenario(tiny_path)


@pytest.fixture
def dated_tiny(tiny):
    """The tiny scenario starting on 1 November 2016 for 120 days (1 January 2017 is day 61), with `extra`
    fields: (scenario, network)."""
    from sim.scenario import parse_scenario

    def make(**extra):
        base, network = tiny
        data = base.model_dump()
        data.update({"start_date": "2016-11-01", "days": 120, **extra})
        return parse_scenario(data, base.source), network
    return make


# Whole files of ensembles, full CLI runs, servers and browsers: `scripts/test.sh --quick` leaves them out
# (single tests elsewhere carry @pytest.mark.slow themselves).
SLOW_FILES = {
    "test_browser.py", "test_browser_exercise.py", "test_core_behaviour.py", "test_core_shipped.py",
    "test_experiments.py", "test_calibration.py", "test_stationary.py", "test_exercise_app.py",
    "test_outputs.py", "test_exercise.py", "test_effects.py", "test_history_replay.py", "test_history_levers.py",
    "test_job_queue_server.py", "test_app.py", "test_experiments_app.py", "test_setup_cache.py",
    "test_inputs_hardening.py", "test_costs.py", "test_exercise_check.py", "test_execute.py",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True, scope="session")
def _app_folders_of_the_tests(tmp_path_factory):
    """The app keeps sessions, exercises and runs under out/ by default: tests (and the servers they start, which
    inherit the environment) keep theirs in a temporary folder, so a test run leaves out/ as it found it."""
    import os

    keep = {k: os.environ.get(k) for k in ("SIM_APP_SESSIONS", "ROUTE_SIM_DATA", "SIM_APP_RUN_CACHE_MB")}
    os.environ.setdefault("SIM_APP_SESSIONS", str(tmp_path_factory.mktemp("app_sessions")))
    os.environ.setdefault("ROUTE_SIM_DATA", str(tmp_path_factory.mktemp("exercises")))
    # no run cache on disk unless a test turns it on in its own folder (tests/test_run_cache.py): runs read
    # from out/run_cache would hide what a test means to run
    os.environ.setdefault("SIM_APP_RUN_CACHE_MB", "0")
    yield
    for k, v in keep.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
