"""Table-top exercises: script schema, adjudication by replay, the shared store, debrief, export/import."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest
import yaml

from sim.errors import InputError
from sim.exercise import ExerciseError, create_exercise, find_code, load_script, open_exercise
from sim.exercise.adjudicate import replay
from sim.exercise.debrief import debrief
from sim.exercise.script import SCHEMA_PATH, json_schema
from sim.exercise.transfer import import_exercise, write_export
from ui.exercise_report import report_html

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = {
    "name": "Test exercise",
    "base_scenario": "baseline.yaml",
    "teams": [
        {"name": "Origin", "countries": ["GIN", "CIV", "MLI"], "colour": "#1b9e77"},
        {"name": "Transit", "countries": ["LBY", "TUN"], "colour": "#d95f02"},
        {"name": "Destination", "countries": ["ITA"], "colour": "#7570b3"},
    ],
    "budget_eur_per_round": 1_000_000,
    "days_per_round": 30,
    "rounds": 3,
    "scale": 1000,
    "seeds": [7, 8],
    "objectives": [{"id": "coop", "text": "Cooperate across the corridor."}],
    "injects": [
        {"id": "hello", "round": 1, "message": "Welcome.", "objectives": ["coop"]},
        {"id": "scandal", "round": 2, "message": "Scandal in Libya.", "to_teams": ["Transit"],
         "event": {"kind": "corruption_scandal", "targets": {"countries": ["LBY"]}, "intensity": 0.3}},
        {"id": "busy", "message": "Many attempts.",
         "condition": {"metric": "attempts", "corridor": "Central Mediterranean", "window_days": 7,
                       "comparison": "at_least", "threshold": 1}},
        {"id": "never", "message": "Never.",
         "condition": {"metric": "deaths", "window_days": 7, "comparison": "above", "threshold": 1e12}},
    ],
}


def script_text(**changes) -> str:
    return yaml.safe_dump({**SCRIPT, **changes}, sort_keys=False)


@pytest.fixture
def exercise(tmp_path):
    return create_exercise(tmp_path / "data", script_text())


def corruption(team="Transit", cost=400_000, countries=("LBY",)):
    return {"kind": "anti_corruption", "intensity": 1.0, "cost_eur": cost, "countries": list(countries)}


# ---------------------------------------------------------------------- schema

@pytest.mark.parametrize("name", ["central_mediterranean", "western_balkans"])
def test_shipped_exercises_are_valid(name):
    script, base, network = load_script(ROOT / "scenarios" / "exercises" / f"{name}.yaml")
    assert len(script.teams) >= 3 and script.objectives
    kinds = {i.event.kind for i in script.injects if i.event}
    if name == "central_mediterranean":
        assert {"corruption_scandal", "sea_weather"} <= kinds


def test_schema_file_is_current():
    assert json.loads(SCHEMA_PATH.read_text()) == json.loads(json_schema())


def _mutate(data, path, value):
    data = json.loads(json.dumps(data))
    *head, last = path
    target = data
    for p in head:
        target = target[p]
    target[last] = value
    return data


BAD = [
    (("colour_x",), 1, "field 'colour_x'"),
    (("teams", 0, "countries"), ["XXX"], "field 'teams[0].countries'"),
    (("teams", 1, "name"), "Origin", "field 'teams'"),
    (("teams", 0, "colour"), "green", "field 'teams[0].colour'"),
    (("budget_eur_per_round",), float("inf"), "field 'budget_eur_per_round'"),
    (("base_scenario",), "../scenarios/baseline.yaml", "field 'base_scenario'"),
    (("base_scenario",), "nothere.yaml", "field 'base_scenario'"),
    (("injects", 0, "condition"), {"metric": "deaths", "threshold": 3}, "field 'injects[0]'"),
    (("injects", 1, "to_teams"), ["Nobody"], "field 'injects[1].to_teams'"),
    (("injects", 1, "event", "targets"), {"corridors": ["Atlantis"]}, "field 'injects[1].event.targets.corridors'"),
    (("injects", 2, "condition", "corridor"), "Atlantis", "field 'injects[2].condition.corridor'"),
    (("injects", 2, "condition", "metric"), "happiness", "field 'injects[2].condition.metric'"),
    (("injects", 0, "message"), "x" * 1001, "field 'injects[0].message'"),
    (("injects", 0, "objectives"), ["nope"], "field 'injects[0].objectives'"),
    (("rounds",), 0, "field 'rounds'"),
]


@pytest.mark.parametrize("path,value,field", BAD, ids=[b[2] + str(i) for i, b in enumerate(BAD)])
def test_bad_scripts_give_one_line_naming_file_and_field(tmp_path, path, value, field):
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(_mutate(SCRIPT, path, value)))
    with pytest.raises(InputError) as err:
        load_script(f)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(str(f)) and field in msg, msg


def test_broken_yaml_names_the_file(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text("name: [unclosed\n")
    with pytest.raises(InputError, match="broken.yaml.*broken YAML"):
        load_script(f)


# ---------------------------------------------------------------------- codes, decisions, budget

def test_codes_join_the_right_team_and_are_stored_hashed(exercise, tmp_path):
    ex, codes = exercise
    assert len({codes["facilitator"], *codes["teams"].values()}) == 4
    for team, code in codes["teams"].items():
        assert ex.join(code.lower().replace("-", " ")) == team
    assert ex.join("AAAAA-AAAAA") is None and not ex.is_facilitator(codes["teams"]["Origin"])
    assert ex.is_facilitator(codes["facilitator"])
    found = find_code(tmp_path / "data", codes["teams"]["Transit"])
    assert found[1:] == ("team", "Transit")
    raw = ex.path.read_bytes()
    assert not any(c.replace("-", "").encode() in raw for c in [codes["facilitator"], *codes["teams"].values()])


def test_decisions_are_checked(exercise):
    ex, _ = exercise
    with pytest.raises(ExerciseError, match="not one of the team's countries"):
        ex.submit_decision("Origin", corruption(countries=["LBY"]))
    with pytest.raises(ExerciseError, match="field 'kind'"):
        ex.submit_decision("Origin", {"kind": "bribery", "cost_eur": 1})
    with pytest.raises(ExerciseError, match="left of this round's budget"):
        ex.submit_decision("Transit", corruption(cost=1_000_001))
    ex.pause()
    with pytest.raises(ExerciseError, match="paused"):
        ex.submit_decision("Transit", corruption())
    ex.resume()
    ex.submit_decision("Transit", corruption())


def test_ten_threads_submitting_at_once_lose_nothing_and_cannot_overspend(exercise):
    ex, _ = exercise
    teams = ["Origin", "Transit", "Destination"]
    barrier, errors = threading.Barrier(10), []

    def submit(i):
        team = teams[i % 3]
        own = ex.script.team(team).countries[0]
        barrier.wait()
        try:
            ex.submit_decision(team, {"kind": "capacity_building", "cost_eur": 100_000 + i, "countries": [own]})
        except Exception as exc:  # noqa: BLE001  (the test reports any failure)
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(10)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    st = ex.status()
    assert sorted(d["cost_eur"] for d in st["decisions"]) == [100_000 + i for i in range(10)]

    # one team, ten concurrent submits of 300,000 each against 1,000,000: exactly three can fit
    barrier, refused = threading.Barrier(10), []

    def overspend():
        barrier.wait()
        try:
            ex.submit_decision("Destination", {"kind": "financial_investigations", "cost_eur": 300_000})
        except ExerciseError as exc:
            refused.append(exc)

    threads = [threading.Thread(target=overspend) for _ in range(10)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    spent = ex.team_view("Destination")["spent_eur"]
    accepted = 10 - len(refused)
    assert spent <= 1_000_000
    already = sum(100_000 + i for i in range(10) if i % 3 == 2)
    assert accepted == int((1_000_000 - already) // 300_000)


def test_joint_operation_needs_acceptance_and_charges_both(exercise):
    ex, _ = exercise
    offer = ex.offer_cooperation("Transit", "Destination", {"corridors": ["Central Mediterranean"]}, 300_000)
    assert ex.team_view("Transit")["spent_eur"] == 0
    with pytest.raises(ExerciseError):
        ex.answer_offer("Origin", offer, True)  # not addressed to Origin
    ex.answer_offer("Destination", offer, True)
    assert ex.team_view("Transit")["spent_eur"] == ex.team_view("Destination")["spent_eur"] == 300_000
    with pytest.raises(ExerciseError, match="no longer open"):
        ex.answer_offer("Destination", offer, True)
    history = ex.history(ex.current_line())
    joint = [p for p in history if p.decision]
    assert len(joint) == 1 and joint[0].team == "Transit" and joint[0].partner == "Destination"


def test_team_view_shows_only_its_own_pending_choices_and_private_messages(exercise):
    ex, _ = exercise
    mine = ex.submit_decision("Origin", {"kind": "awareness_campaign", "cost_eur": 200_000})
    ex.submit_decision("Transit", corruption())
    ex.send_message("facilitator", "For Transit only", recipient="Transit")
    ex.close_round()  # round 2 brings the scandal inject, to Transit only
    ex.submit_decision("Transit", corruption(cost=123_456))
    view = ex.team_view("Origin")
    text = json.dumps(view)
    assert "123456" not in text and "For Transit only" not in text and "Scandal" not in text
    assert view["decisions"] == [] and view["round"] == 2
    transit = ex.team_view("Transit")
    assert [d["cost_eur"] for d in transit["decisions"]] == [123_456]
    assert any("Scandal" in i["message"] and i["private"] for i in transit["injects"])
    assert any(m["text"] == "For Transit only" for m in transit["messages"])
    assert mine not in [d["id"] for d in transit["decisions"]]


# ---------------------------------------------------------------------- rounds, replay, injects

def test_replay_gives_identical_round_results(exercise):
    ex, _ = exercise
    ex.submit_decision("Transit", corruption())
    ex.submit_decision("Destination", {"kind": "operational_cooperation", "cost_eur": 500_000,
                                       "corridors": ["Central Mediterranean"]})
    ex.close_round()
    ex.submit_decision("Origin", {"kind": "awareness_campaign", "cost_eur": 200_000})
    ex.close_round()
    stored = {r["number"]: r["results"] for r in ex.rounds() if r["results"]}
    again = replay(ex.script, ex.base, ex.network, ex.history(ex.current_line()), 2)
    for n in (1, 2):
        again[n]["conditions_fired"] = stored[n]["conditions_fired"]
        assert json.loads(json.dumps(again[n])) == stored[n]
    # the decisions changed something: the replay with none differs
    bare = replay(ex.script, ex.base, ex.network, [], 2)
    assert bare[2]["corridors"] != stored[2]["corridors"]


def test_condition_inject_fires_when_met_and_its_scripted_peers_arrive(exercise):
    ex, _ = exercise
    first = ex.close_round()
    assert [c["inject"] for c in first["conditions_fired"]] == ["busy"]
    assert first["conditions_fired"][0]["value"] >= 1
    injects = {i["inject_id"]: i for i in ex.status()["injects"]}
    assert injects["busy"]["round"] == 2 and injects["busy"]["cause"] == "condition"
    assert injects["scandal"]["round"] == 2 and "never" not in injects
    ex.close_round()
    assert sum(i["inject_id"] == "busy" for i in ex.status()["injects"]) == 1  # fires once


def test_unscripted_inject_event_is_checked_and_applied(exercise):
    ex, _ = exercise
    with pytest.raises(ExerciseError, match="Atlantis"):
        ex.send_inject("Storm", event={"kind": "sea_weather", "targets": {"corridors": ["Atlantis"]}})
    ex.send_inject("Storm at sea", event={"kind": "sea_weather", "intensity": 5,
                                          "targets": {"corridors": ["Central Mediterranean"]}})
    assert any(p.inject == "unscripted-1" for p in ex.history(ex.current_line()))


def test_kill_and_reopen_loses_nothing(tmp_path):
    folder = tmp_path / "data"
    ex, codes = create_exercise(folder, script_text())
    ex.submit_decision("Transit", corruption())
    ex.close_round()
    ex.submit_decision("Origin", {"kind": "awareness_campaign", "cost_eur": 250_000})
    exercise_id, before = ex.info()["exercise_id"], ex.status()
    # a crash in the middle of closing round 2: the round is left 'closing'
    with ex.write() as c:
        c.execute("UPDATE rounds SET status = 'closing' WHERE number = 2")
    del ex
    again = open_exercise(folder, exercise_id)
    after = again.status()
    assert after["decisions"] == before["decisions"] and after["rounds"][0] == before["rounds"][0]
    assert again.join(codes["teams"]["Origin"]) == "Origin"
    again.close_round()
    assert [r["status"] for r in again.rounds()] == ["closed", "closed", "open"]


def test_undo_last_round_reopens_it(exercise):
    ex, _ = exercise
    ex.submit_decision("Transit", corruption())
    first = ex.close_round()
    ex.submit_decision("Origin", {"kind": "awareness_campaign", "cost_eur": 200_000})
    assert ex.undo_last_round() == 1
    st = ex.status()
    assert st["round"] == 1 and st["round_status"] == "open"
    assert [d["status"] for d in st["decisions"]] == ["pending"]
    assert not any(i["round"] == 2 for i in st["injects"])
    assert ex.close_round() == first


def test_branch_from_round_one_is_an_independent_line(exercise):
    ex, _ = exercise
    ex.submit_decision("Transit", corruption())
    r1 = ex.close_round()
    ex.submit_decision("Destination", {"kind": "operational_cooperation", "cost_eur": 900_000,
                                       "corridors": ["Central Mediterranean"], "intensity": 3})
    main2 = ex.close_round()
    main = ex.current_line()
    branch = ex.branch(1, "what if no joint operation")
    assert ex.current_line() == branch
    st = ex.status()
    assert st["round"] == 2 and st["rounds"][0]["results"] == r1
    assert {i["inject_id"] for i in st["injects"] if i["round"] == 2} == {"scandal", "busy"}
    ex.submit_decision("Origin", {"kind": "awareness_campaign", "cost_eur": 100_000})
    b2 = ex.close_round()
    assert b2["corridors"] != main2["corridors"]
    assert ex.rounds(main)[1]["results"] == main2  # the main line is untouched
    assert [p.team for p in ex.history(branch) if p.decision] == ["Transit", "Origin"]
    assert ex.undo_last_round() == 2  # the branch's own round
    with pytest.raises(ExerciseError, match="belong to the line it branched from"):
        ex.undo_last_round()  # round 1 is the main line's


# ---------------------------------------------------------------------- debrief, report, export/import

def test_debrief_compares_with_no_decisions_on_the_same_seeds(exercise):
    ex, _ = exercise
    ex.submit_decision("Destination", {"kind": "operational_cooperation", "cost_eur": 900_000, "intensity": 3,
                                       "corridors": ["Central Mediterranean"]})
    ex.send_message("Origin", "<script>alert('x')</script> & co")
    ex.close_round()
    d = debrief(ex, seeds=[7, 8])
    k = d["outcomes"]["kpis"]["cost_eur"]
    assert k["no_decisions"]["mean"] == 0 and k["played"]["mean"] == pytest.approx(900_000)
    assert d["outcomes"]["teams"]["Destination"]["cost_eur"]["mean"] == pytest.approx(900_000)
    assert d["outcomes"]["teams"]["Origin"]["attempts"]["mean"] == 0  # Origin decided nothing
    interceptions = d["outcomes"]["kpis"]["interceptions"]["difference"]
    assert interceptions["low"] <= interceptions["mean"] <= interceptions["high"]
    assert any(t["type"] == "decision" for t in d["timeline"])
    assert d["objectives"][0]["injects"][0]["delivered_round"] == 1
    page = report_html(d)
    assert "<script" not in page and "&lt;script&gt;" in page
    assert "http://" not in page and "https://" not in page and " src=" not in page


def test_export_import_into_a_fresh_folder_replays_identically(exercise, tmp_path):
    ex, _ = exercise
    ex.submit_decision("Transit", corruption())
    offer = ex.offer_cooperation("Transit", "Destination", {"corridors": ["Central Mediterranean"]}, 200_000)
    ex.answer_offer("Destination", offer, True)
    ex.close_round()
    ex.send_inject("Unscripted storm", event={"kind": "sea_weather", "targets": {"corridors": ["Central Mediterranean"]}})
    ex.close_round()
    ex.branch(1)
    ex.submit_decision("Origin", {"kind": "awareness_campaign", "cost_eur": 100_000})
    ex.close_round()
    path = write_export(ex, tmp_path / "export.json")
    copy, codes = import_exercise(tmp_path / "fresh", path)
    assert copy.path.parent == tmp_path / "fresh" and copy.join(codes["teams"]["Origin"]) == "Origin"
    for line in (1, 2):
        assert copy.rounds(line) and [r["results"] for r in copy.rounds(line)] == [r["results"] for r in ex.rounds(line)]
    assert copy.status()["decisions"][-1]["payload"] == ex.status()["decisions"][-1]["payload"]
    # a tampered result is refused, and leaves nothing behind
    data = json.loads(path.read_text())
    data["rounds"][0]["results"]["overall"]["deaths"] += 1
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="does not give the round's stored results"):
        import_exercise(tmp_path / "other", path)
    assert list((tmp_path / "other").glob("*.sqlite")) == []


def test_import_validates_like_a_scenario(tmp_path):
    f = tmp_path / "export.json"
    f.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(InputError) as err:
        import_exercise(tmp_path / "fresh", f)
    assert str(err.value).startswith(str(f)) and "field 'format'" in str(err.value)


def test_store_uses_wal(exercise):
    ex, _ = exercise
    conn = sqlite3.connect(ex.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
