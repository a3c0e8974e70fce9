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


# Whole files of ensembles, full CLI runs, servers and browsers: `scripts/test.sh --quick` leaves them out
# (single tests elsewhere carry @pytest.mark.slow themselves).
SLOW_FILES = {
    "test_browser.py", "test_browser_exercise.py", "test_core_behaviour.py", "test_core_shipped.py",
    "test_experiments.py", "test_calibration.py", "test_stationary.py", "test_exercise_app.py",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
