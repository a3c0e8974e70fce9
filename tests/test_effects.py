"""behaviour.effects: each lever's effect size is a parameter that moves its outcome, in the expected
direction, on common seeds; and an experiment can sweep it."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim import run
from sim.effects import Effects, effects_table
from sim.errors import InputError
from sim.experiments.plan import load_experiment
from sim.scenario import parse_scenario

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny.yaml"
CM = "Central Mediterranean"
SEEDS = (1, 2)


def _sum(res, table, column, **where):
    t = res.tables[table]
    for key, value in where.items():
        t = t[t[key] == value]
    return float(t[column].sum())


def _mean(res, table, column, **where):
    t = res.tables[table]
    for key, value in where.items():
        t = t[t[key] == value]
    return float(t[column].mean())


# lever(s), behaviour besides the effects, the effect, its changed value, the outcome, and the sign of
# the change the larger effect must bring (+1: outcome rises, -1: it falls)
CASES = {
    "awareness_campaign (trust)": (
        [{"kind": "awareness_campaign", "targets": {"places": ["niamey"]}, "intensity": 0.5}], {},
        "awareness_trust", 1.0, lambda r: _sum(r, "places", "left", place="niamey"), -1),
    "awareness_campaign (knowledge of alternatives)": (
        [{"kind": "awareness_campaign", "targets": {"places": ["niamey"]}, "intensity": 0.5},
         {"kind": "legal_pathways", "targets": {"places": ["niamey"]}, "places_per_year": 20000,
          "destinations": ["ITA"]}], {},
        "awareness_knowledge", 1.0, lambda r: _sum(r, "places", "alternatives", place="niamey"), +1),
    "transport_operator_cooperation": (
        [{"kind": "transport_operator_cooperation", "intensity": 1.0}], {},
        "transport_refusal", 0.8, lambda r: _sum(r, "daily", "refused_boarding"), +1),
    "operational_cooperation (enforcement)": (
        [{"kind": "operational_cooperation", "targets": {"corridors": [CM]}, "intensity": 1.0}], {},
        "cooperation_enforcement", 1.2, lambda r: _sum(r, "corridors", "interceptions", corridor=CM), +1),
    "operational_cooperation (arrests)": (
        [{"kind": "operational_cooperation", "targets": {"corridors": [CM]}, "intensity": 1.0}], {},
        "cooperation_arrests", 4.0, lambda r: _sum(r, "daily", "arrests"), +1),
    "operational_cooperation (shore prevention)": (
        [{"kind": "operational_cooperation", "targets": {"corridors": [CM]}, "intensity": 1.0}], {},
        "shore_prevention", 0.5, lambda r: _sum(r, "corridors", "detections", corridor=CM), -1),
    "operational_cooperation (staging prevention)": (
        [{"kind": "operational_cooperation", "targets": {"corridors": ["Sahara"]}, "intensity": 1.0}], {},
        "staging_prevention", 0.5, lambda r: _sum(r, "corridors", "crossings", corridor="Sahara"), -1),
    "digital_platform_cooperation": (
        [{"kind": "digital_platform_cooperation", "intensity": 1.0}], {},
        "digital_takedowns", 8.0, lambda r: _mean(r, "networks", "online_reach"), -1),
    "financial_investigations": (
        [{"kind": "financial_investigations", "intensity": 1.0}], {},
        "financial_seizures", 8.0, lambda r: _sum(r, "daily", "seized_eur"), +1),
    "anti_corruption": (
        [{"kind": "anti_corruption", "intensity": 0.5}], {},
        "anti_corruption", 1.0, lambda r: _mean(r, "countries", "corruption"), -1),
    "capacity_building": (
        [{"kind": "capacity_building", "targets": {"countries": ["LBY"]}, "intensity": 1.0}],
        {"capacity_lag_days": 0, "capacity_ramp_days": 10},
        "capacity_building_gap", 0.6, lambda r: _mean(r, "countries", "effectiveness", iso3="LBY"), +1),
    "vocational_training (in transit)": (
        [{"kind": "vocational_training", "targets": {"countries": ["NER", "LBY", "TUN"]},
          "places_per_year": 20000}], {},
        "transit_alternative_uptake", 1.0,
        lambda r: _sum(r, "places", "alternatives") - _sum(r, "places", "alternatives", place="niamey")
        - _sum(r, "places", "alternatives", place="bamako"), +1),
    # no lever: people too poor for the leg they chose wait for it rather than take a cheaper, worse road
    "too poor for the chosen leg (settle_margin_eur)": (
        [], {}, "settle_margin_eur", 0.0, lambda r: _sum(r, "daily", "stranded_new"), +1),
}


def _scenario(tiny, interventions, behaviour):
    base, network = tiny
    data = base.model_dump()
    data.update(days=80, scale=10, interventions=interventions)
    data["behaviour"] = {**data["behaviour"], **behaviour}
    return data, network


@pytest.mark.parametrize("case", list(CASES))
def test_each_lever_effect_moves_its_outcome(tiny, case):
    interventions, behaviour, effect, value, outcome, sign = CASES[case]
    data, network = _scenario(tiny, interventions, behaviour)
    default = getattr(Effects(), effect)
    assert value != default

    def total(effect_value):
        d = {**data, "behaviour": {**data["behaviour"], "effects": {effect: effect_value}}}
        scenario = parse_scenario(d, "test")
        return sum(outcome(run(scenario, routes=network, seed=s)) for s in SEEDS)

    before, after = total(default), total(value)
    assert sign * (after - before) > 0.02 * abs(before) + 1e-9, (case, before, after)


def test_defaults_are_the_same_as_no_effects_block(tiny):
    data, network = _scenario(tiny, CASES["operational_cooperation (arrests)"][0], {})
    plain = run(parse_scenario(data, "a"), routes=network, seed=4)
    explicit = dict(data, behaviour={**data["behaviour"], "effects": Effects().model_dump()})
    same = run(parse_scenario(explicit, "b"), routes=network, seed=4)
    assert plain.tables["daily"].equals(same.tables["daily"])


def test_every_effect_has_a_description_and_a_range_around_its_default():
    rows = effects_table()
    assert len(rows) == len(Effects.model_fields) >= 35
    for name, default, lo, hi, description in rows:
        assert lo <= default <= hi, name
        assert lo < hi and description, name


def test_out_of_range_effect_is_one_clear_error(tiny):
    data, _ = _scenario(tiny, [], {"effects": {"awareness_trust": 1.5}})
    with pytest.raises(InputError) as err:
        parse_scenario(data, "scenario.yaml")
    assert "behaviour.effects.awareness_trust" in str(err.value)
    data, _ = _scenario(tiny, [], {"effects": {"no_such_effect": 1}})
    with pytest.raises(InputError, match="unknown field"):
        parse_scenario(data, "scenario.yaml")


def test_docs_list_every_effect():
    text = (ROOT / "docs" / "scenarios.md").read_text()
    missing = [name for name in Effects.model_fields if f"`{name}`" not in text]
    assert not missing, f"docs/scenarios.md does not list {missing}"


def test_a_sweep_over_one_effect_validates(tmp_path):
    spec = {
        "name": "awareness effect", "base": str(TINY),
        "set": {"days": 30, "scale": 10,
                "interventions": [{"kind": "awareness_campaign", "targets": {"places": ["niamey"]}}]},
        "design": "grid",
        "factors": [{"name": "trust", "path": "behaviour.effects.awareness_trust", "values": [0.3, 0.6, 0.9]}],
        "replicates": 1, "outputs": ["attempts"],
    }
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(spec))
    plan = load_experiment(path)
    assert len(plan.runs) == 3
    assert sorted(p["trust"] for p in plan.points) == [0.3, 0.6, 0.9]


def _cooperation_run(tiny, deter, interventions, seed):
    base, network = tiny
    data = base.model_dump()
    data.update(days=150, scale=10, interventions=interventions)
    data["behaviour"] = {**data["behaviour"], "effects": {"arrests_deter_entry": deter, "cooperation_arrests": 10.0}}
    return run(parse_scenario(data, "test"), routes=network, seed=seed)


def test_arrests_deter_new_networks_under_cooperation(tiny):
    """arrests_deter_entry: the arrests operational cooperation adds also slow new networks entering (the
    Balkan crackdown's lever): fewer networks on the corridor and fewer crossings, on common seeds."""
    coop = [{"kind": "operational_cooperation", "targets": {"corridors": [CM]}, "intensity": 3.0}]

    def totals(deter):
        networks = crossings = 0.0
        for seed in SEEDS:
            res = _cooperation_run(tiny, deter, coop, seed)
            nets = res.tables["networks"]
            networks += nets.loc[nets["corridor"] == CM, "network"].nunique()
            crossings += _sum(res, "corridors", "crossings", corridor=CM)
        return networks, crossings

    (nets_0, cross_0), (nets_1, cross_1) = totals(0.0), totals(1.0)
    assert nets_1 < nets_0 and cross_1 < 0.95 * cross_0, (nets_0, nets_1, cross_0, cross_1)


def test_a_long_queue_draws_networks_despite_deterrence(tiny):
    """entry_queue_pull: where cooperation's arrests deter new networks, a long queue draws them back: more
    networks on the corridor and more crossings, on common seeds."""
    base, network = tiny
    coop = [{"kind": "operational_cooperation", "targets": {"corridors": [CM]}, "intensity": 3.0}]

    def totals(pull):
        networks = crossings = 0.0
        for seed in SEEDS:
            data = base.model_dump()
            data.update(days=150, scale=10, interventions=coop)
            data["behaviour"] = {**data["behaviour"], "effects": {
                "arrests_deter_entry": 1.0, "cooperation_arrests": 10.0, "entry_queue_pull": pull}}
            res = run(parse_scenario(data, "test"), routes=network, seed=seed)
            nets = res.tables["networks"]
            networks += nets.loc[nets["corridor"] == CM, "network"].nunique()
            crossings += _sum(res, "corridors", "crossings", corridor=CM)
        return networks, crossings

    (nets_0, cross_0), (nets_1, cross_1) = totals(0.0), totals(1.0)
    assert nets_1 > nets_0 and cross_1 > cross_0, (nets_0, nets_1, cross_0, cross_1)


def test_arrests_deter_nothing_without_a_measure(tiny):
    """With no measure arrests are at their base rate, so the effect leaves a run bit for bit as it was: the
    baseline's calibration does not move with it."""
    plain, deterred = (_cooperation_run(tiny, deter, [], 3) for deter in (0.0, 2.0))
    for name in ("daily", "networks", "legs"):
        assert plain.tables[name].equals(deterred.tables[name]), name


def _legs_without_and_with(tiny, case, outcome):
    """Per leg, with the case's effect at 0 and at its tested value (seed 3): refusals, paid places, revenue
    and `outcome`."""
    interventions, _, effect, value, _, _ = CASES[case]
    data, network = _scenario(tiny, interventions, {})

    def legs(effect_value):
        d = {**data, "behaviour": {**data["behaviour"], "effects": {effect: effect_value}}}
        res = run(parse_scenario(d, "test"), routes=network, seed=3)
        return res.tables["legs"].groupby("leg")[["refused_boarding", "paid", "revenue_eur", outcome]].sum()

    return legs(0.0), legs(value)


def test_shore_prevention_stops_boats_not_people(tiny):
    """Departures stopped on the shore: counted on the corridor's sea legs as refused boarding, never
    detected, and the fee goes back to the person, not to the smuggler; nobody is stopped without the effect,
    and nobody is stopped on a leg the measure does not target."""
    off, on = _legs_without_and_with(tiny, "operational_cooperation (shore prevention)", "detections")
    table = tiny[1].legs
    sea = pd.Index(table.loc[(table["mode"] == "sea") & table["smuggled"] & (table["corridor"] == CM), "id"])
    others = off.index.difference(sea)
    assert len(sea) and off["refused_boarding"].sum() == 0
    assert on.loc[sea, "refused_boarding"].sum() > 0
    assert on.loc[others, "refused_boarding"].sum() == 0
    for column in ("paid", "revenue_eur", "detections"):
        assert on.loc[sea, column].sum() < off.loc[sea, column].sum(), column


def test_staging_prevention_stops_people_before_land_crossings_only(tiny):
    """Raids before a smuggled land crossing: counted on the corridor's smuggled, controlled land legs as refused
    boarding, and the fee goes back to the person; nobody is stopped without the effect, on the corridor's
    commercial land legs, or on any leg the measure does not target (its sea legs included)."""
    off, on = _legs_without_and_with(tiny, "operational_cooperation (staging prevention)", "crossings")
    table = tiny[1].legs
    land = pd.Index(table.loc[(table["mode"] == "land") & table["smuggled"] & table["controlled"]
                              & (table["corridor"] == "Sahara"), "id"])
    others = off.index.difference(land)
    assert len(land) and len(others) and off["refused_boarding"].sum() == 0
    assert on.loc[land, "refused_boarding"].sum() > 0
    assert on.loc[others, "refused_boarding"].sum() == 0
    for column in ("paid", "revenue_eur", "crossings"):
        assert on.loc[land, column].sum() < off.loc[land, column].sum(), column
