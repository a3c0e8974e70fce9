"""The planner's mirrors of past shocks (scenarios/history/mirrors): valid scenarios on the shipped baseline,
and `compare` reports what history is measured in: detections by corridor, with the change relative to A."""

import subprocess
import sys
from pathlib import Path

import pytest

from sim.compare import compare
from sim.scenario import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[1]

MIRRORS = sorted((ROOT / "scenarios" / "history" / "mirrors").glob("*.yaml"))


def test_there_are_mirrors_of_the_three_shocks_of_the_issue():
    assert {p.stem for p in MIRRORS} == {"libya_coastguard", "turkey_statement", "balkan_crackdown"}


@pytest.mark.parametrize("path", MIRRORS, ids=lambda p: p.stem)
def test_each_mirror_checks_strictly_and_builds_on_the_baseline(path):
    out = subprocess.run([sys.executable, "-m", "sim", "check", "--strict", str(path)], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    mirror, _ = load_scenario(path)
    baseline, _ = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    assert mirror.demand == baseline.demand and mirror.behaviour == baseline.behaviour
    assert mirror.interventions or mirror.events


def test_compare_gives_detections_by_corridor_and_the_change_relative_to_a(tiny):
    base, _ = tiny
    data = base.model_dump(mode="json", exclude_none=True)
    data.update(days=60, scale=10)
    a = parse_scenario(data, base.source)
    data["interventions"] = [{"kind": "operational_cooperation", "intensity": 2.0,
                              "targets": {"corridors": ["Central Mediterranean"]}}]
    b = parse_scenario(data, base.source)
    result = compare(a, b, replicates=2)
    d = result.displacement.set_index("corridor")
    assert {"detections", "detections_low", "detections_high", "detections_a"} <= set(d.columns)
    runs_a, runs_b = result.arms
    cm = "Central Mediterranean"
    assert d.loc[cm, "detections_a"] == pytest.approx(sum(r["corridors"][cm]["detections"] for r in runs_a) / 2)
    assert d.loc[cm, "detections"] == pytest.approx(
        sum(rb["corridors"][cm]["detections"] - ra["corridors"][cm]["detections"] for ra, rb in zip(runs_a, runs_b)) / 2)
