"""Costs per year, pro-rated to the days a measure is active inside the run, so cost-effectiveness does not
move with the horizon."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim import run
from sim.compare import compare
from sim.errors import InputError
from sim.scenario import parse_scenario, yearly_cost_of

ROOT = Path(__file__).resolve().parents[1]


def package(tiny, interventions, days=365):
    base, _ = tiny
    data = base.model_dump()
    data.update(days=days, interventions=list(interventions))
    return parse_scenario(data, base.source)


def test_charged_cost_is_the_active_days_at_the_yearly_rate(tiny):
    s = package(tiny, [
        {"kind": "anti_corruption", "cost_eur_per_year": 3_650_000},                      # 10 000 a day
        {"kind": "awareness_campaign", "start": 100, "cost_eur_per_year": 365_000},       # 1 000 a day from day 100
        {"kind": "financial_investigations", "start": 50, "end": 150, "cost_eur": 2_000_000},  # 20 000 a day
        {"kind": "capacity_building", "start": 400, "cost_eur_per_year": 1e9}])           # after the horizon
    assert s.charged_eur(365) == pytest.approx(3_650_000 + 265_000 + 2_000_000)
    assert s.charged_eur(730) == pytest.approx(7_300_000 + 630_000 + 2_000_000 + 1e9 * 330 / 365)
    assert s.charged_eur(120) == pytest.approx(1_200_000 + 20_000 + 1_400_000)
    assert s.cost_per_year_eur() == pytest.approx(3_650_000 + 365_000 + 2_000_000 * 365 / 100 + 1e9)


def test_a_steady_programme_costs_twice_as_much_over_twice_the_horizon(tiny):
    s = package(tiny, [{"kind": "operational_cooperation", "intensity": 2.0, "cost_eur_per_year": 10e6}], days=60)
    _, network = tiny
    short, long = (run(s, routes=network, days=d, scale=20).summary["overall"]["cost_eur"] for d in (30, 60))
    assert short == pytest.approx(10e6 * 30 / 365) and long == pytest.approx(2 * short)


def test_open_ended_cost_eur_is_read_per_year_and_check_says_so(tiny, tmp_path):
    old = package(tiny, [{"kind": "anti_corruption", "cost_eur": 1_000_000}])
    new = package(tiny, [{"kind": "anti_corruption", "cost_eur_per_year": 1_000_000}])
    assert old.charged_eur(730) == new.charged_eur(730) == pytest.approx(2_000_000)
    assert yearly_cost_of({"cost_eur": 1_000_000}) == 1_000_000
    assert yearly_cost_of({"cost_eur": 1_000_000, "start": 0, "end": 730}) == pytest.approx(500_000)
    data = tiny[0].model_dump(mode="json")
    data.update(network=str(Path(tiny[0].source).parent / data["network"]),
                interventions=[{"kind": "anti_corruption", "cost_eur": 1_000_000}])
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "sim", "check", str(path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    warnings = [line for line in out.stderr.splitlines() if "interventions[0].cost_eur" in line]
    assert len(warnings) == 1 and "per year" in warnings[0] and "cost_eur_per_year" in warnings[0]


def test_both_cost_fields_are_refused(tiny):
    with pytest.raises(InputError, match="cost_eur_per_year, not both"):
        package(tiny, [{"kind": "anti_corruption", "cost_eur": 1, "cost_eur_per_year": 1}])


def test_cost_per_avoided_crossing_does_not_move_with_the_horizon(tiny):
    """Paired runs (same seeds in both arms) of a steady package at 365 and 730 days. The charged cost is
    exactly proportional to the horizon; crossings avoided are a random count (about ±3 % with 3 paired seeds
    on this network) and the measure takes a few weeks to reach full effect, so the ratios are compared
    within 12 %. Charging the whole cost whatever the horizon (the old reading) would halve it at 730 days."""
    base, _ = tiny
    a = package(tiny, [])
    b = package(tiny, [{"kind": "operational_cooperation", "intensity": 2.0, "cost_eur_per_year": 10e6},
                       {"kind": "awareness_campaign", "cost_eur_per_year": 2e6}])
    ce = {d: compare(a, b, replicates=3, days=d, scale=5).cost_effectiveness for d in (365, 730)}
    assert ce[730]["extra_cost_eur"] == pytest.approx(2 * ce[365]["extra_cost_eur"]) == pytest.approx(24e6)
    per = {d: ce[d]["irregular_crossing"]["cost_per_avoided_eur"] for d in ce}
    assert per[365] and per[730]
    assert per[730] / per[365] == pytest.approx(1.0, abs=0.12)
