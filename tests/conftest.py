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
