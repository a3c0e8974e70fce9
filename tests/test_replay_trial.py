"""scripts/replay_trial.py: the trial's changes to the replay are the ones asked for, and only those."""

from importlib import util
from pathlib import Path

import pytest

from sim.scenario import scenario_data

ROOT = Path(__file__).resolve().parents[1]
REPLAY = ROOT / "scenarios" / "history" / "europe_2016_2023.yaml"
COAST = "EU-Turkey: Turkish coastguard and Greek interceptions"
CRETE = "Standing: few boats from eastern Libya to Crete before 2024"  # a standing closure of the replay, by name


def _script():
    spec = util.spec_from_file_location("replay_trial", ROOT / "scripts" / "replay_trial.py")
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_split_intensity_effect_and_added_measure():
    trial = _script()
    data = scenario_data(REPLAY)
    before = [dict(m) for m in data["interventions"]]
    pushback = {"name": "Trial: Aegean", "kind": "operational_cooperation", "targets": {"legs": ["ayvalik-lesbos"]},
                "start": "2020-03-01", "intensity": 1.0}
    out = trial.changed(data, [("arrests_deter_entry", "2")], [(f"{COAST}, from 2017", "0.5")],
                        [(f"{COAST}@2016-07-01", "2")], [pushback],
                        [(CRETE, "2022-07-01")])
    names = [m["name"] for m in out["interventions"]]
    first = out["interventions"][names.index(COAST)]
    second = out["interventions"][names.index(f"{COAST}, from 2016")]
    assert names.index(f"{COAST}, from 2016") == names.index(COAST) + 1
    assert str(first["end"]) == "2016-07-01" and str(second["start"]) == "2016-07-01"
    original_end = next(m["end"] for m in before if m["name"] == COAST)
    assert first["intensity"] == 3 and second["intensity"] == 2.0 and str(second["end"]) == str(original_end)
    assert out["interventions"][names.index(f"{COAST}, from 2017")]["intensity"] == 0.5
    assert out["interventions"][-1] == pushback
    assert out["behaviour"]["effects"]["arrests_deter_entry"] == 2.0
    crete = [m for m in out["events"] if m["name"] == CRETE]
    assert [m["end"] for m in crete] == ["2022-07-01"]
    assert len(out["interventions"]) == len(before) + 2
    assert data["interventions"] == before  # the loaded scenario is left as it was


def test_unknown_measure_is_a_clear_exit():
    trial = _script()
    with pytest.raises(SystemExit, match="no measure named"):
        trial.changed(scenario_data(REPLAY), [], [("No such measure", "1")], [])


def test_targets_replaced():
    trial = _script()
    data = scenario_data(REPLAY)
    cut = "Standing: Libya's coastguard before the Italy-Libya build-up"
    out = trial.changed(data, [], [], [], targets=[(cut, '{"corridors": ["Central Mediterranean"], "countries": ["LBY"]}')])
    got = [m for m in out["events"] if m["name"] == cut]
    assert [m["targets"] for m in got] == [{"corridors": ["Central Mediterranean"], "countries": ["LBY"]}]
    assert [m["targets"] for m in data["events"] if m["name"] == cut] == [{"countries": ["LBY"]}]  # left as it was


def test_an_added_event_goes_among_the_events():
    """`--add` with an event's kind (a route closure) puts it among the scenario's events, where the schema
    takes it; among the interventions the scenario would not parse (route_closure is not an intervention)."""
    from sim.scenario import parse_scenario

    trial = _script()
    data = scenario_data(REPLAY)
    closure = {"name": "Trial: Serbia closed", "kind": "route_closure", "targets": {"legs": ["belgrade-subotica"]},
               "start": "2020-03-17", "end": "2020-05-07"}
    out = trial.changed(data, [], [], [], [closure])
    assert out["events"][-1] == closure and len(out["events"]) == len(data["events"]) + 1
    assert len(out["interventions"]) == len(data["interventions"])
    parse_scenario(out, REPLAY)


def test_a_dropped_measure_is_gone_and_only_it():
    """`--drop` removes the named measure (here a lockdown, replaced by a confinement of the same dates);
    an unknown name is a clear exit."""
    trial = _script()
    data = scenario_data(REPLAY)
    serbia = "Standing: COVID-19, Serbia confines the people in its centres"
    held = {"name": "Trial: Serbia confined", "kind": "confinement", "targets": {"countries": ["SRB"]},
            "start": "2020-03-17", "end": "2020-05-07"}
    out = trial.changed(data, [], [], [], [held], dropped=[serbia])
    names = [m["name"] for m in out["events"]]
    assert serbia not in names and names[-1] == held["name"]
    assert len(out["events"]) == len(data["events"]) and serbia in [m["name"] for m in data["events"]]
    with pytest.raises(SystemExit, match="no measure named"):
        trial.changed(data, [], [], [], dropped=["No such measure"])


def test_the_season_table_reads_the_months_shape_against_frontex():
    """Months that repeat Frontex's give a distance of 0 on every route; flat months give the distance of
    Frontex's shares from 1 (the Western Balkans' guard in tests/test_history_replay.py reads the same)."""
    import numpy as np
    import pandas as pd

    from sim.history.data import route_corridors
    from sim.history.season_fit import observed_shares
    from sim.seasonality import MONTHLY

    rt = _script()
    frontex = pd.read_csv(MONTHLY).query("2016 <= year <= 2023")
    first = {code: cs[0] for code, cs in route_corridors().items()}
    frontex = frontex[frontex["route_code"].isin(list(first))]
    same = (frontex.assign(corridor=frontex["route_code"].map(first),
                           month=pd.to_datetime(dict(year=frontex["year"], month=frontex["month"], day=1)))
            .groupby(["month", "corridor"], as_index=False)["detections"].sum())
    table = rt.season_table(same)
    assert set(first) <= set(table.index)
    assert (table["distance"].astype(float) == 0).all(), table["distance"]
    flat = same.assign(detections=100.0)
    table = rt.season_table(flat)
    expected = (observed_shares() * 12 - 1).abs().mean(axis=1)
    for route in first:
        assert np.isclose(float(table.loc[route, "distance"]), expected[route], atol=6e-4), route
        assert table.loc[route, 1].startswith("1.00/")


def test_shares_name_the_episodes_prefixes():
    """--shares: 'all' is every episode's prefix once (Italy-Libya's two rows share one); a name that is no
    episode's prefix is a clear exit naming it; without it nothing is rerun."""
    from sim.history.episodes import EPISODES

    trial = _script()
    assert trial.share_prefixes("all") == list(dict.fromkeys(ep.prefix for ep in EPISODES))
    assert trial.share_prefixes("Serbia visas, EU-Turkey") == ["Serbia visas", "EU-Turkey"]
    with pytest.raises(SystemExit) as exit_:
        trial.share_prefixes("Serbia visa")
    assert "'Serbia visa'" in str(exit_.value) and "Serbia visas" in str(exit_.value)

    class Args:
        shares, scale, workers = "", 10, 1

    assert trial.ablations({}, [1], Args()) == {}
    from sim.history.ensemble import Variant
    from sim.history.episodes import held_key

    assert trial.ablation_variants("Serbia visas, EU-Turkey") == {"Serbia visas": Variant("Serbia visas"),
                                                                  "EU-Turkey": Variant("EU-Turkey")}
    # --held: only the episodes whose windows lie in different years get the rerun holding the new years
    assert trial.ablation_variants("Serbia visas, EU-Turkey", held=True) == {
        "Serbia visas": Variant("Serbia visas"), held_key("Serbia visas"): Variant("Serbia visas", (2022, 2023)),
        "EU-Turkey": Variant("EU-Turkey")}
