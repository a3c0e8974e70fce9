"""The exercise pages, headless (streamlit.testing.v1.AppTest): the facilitator creates an exercise and gets
its codes, teams join, decide and see each other's rounds but not each other's choices, the facilitator
closes a round and sends an inject, and wrong codes open nothing. Each AppTest is one browser session;
they share the data folder, as the people in a training room share the server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402
from streamlit.testing.v1.element_tree import UnknownElement  # noqa: E402

from sim.exercise import create_exercise  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TIMEOUT = 120


def small_script() -> dict:
    """The shipped Central Mediterranean exercise, short and coarse so that a round plays in a second."""
    data = yaml.safe_load((ROOT / "scenarios" / "exercises" / "central_mediterranean.yaml").read_text())
    data.update(name="Small Central Med", scale=1000, days_per_round=10, rounds=3, seeds=[1, 2])
    data["injects"] = [i for i in data["injects"] if "day" not in i and i.get("round", 1) <= 3]
    return data


@pytest.fixture()
def room(tmp_path, monkeypatch):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "small.yaml").write_text(yaml.safe_dump(small_script(), sort_keys=False))
    monkeypatch.setenv("ROUTE_SIM_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ROUTE_SIM_EXERCISES", str(scripts))
    return tmp_path


def session(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(f"ui/pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def ok(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    """Everything the page says, as the reader sees it (markdown escapes removed)."""
    parts = [e.value for kind in ("markdown", "info", "warning", "success", "error", "caption", "title", "subheader")
             for e in getattr(at, kind)]
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts))


def has_map(at: AppTest) -> bool:
    def walk(node):
        for child in (getattr(node, "children", None) or {}).values():
            yield child
            yield from walk(child)
    return any(isinstance(e, UnknownElement) and e.type == "component_instance" and "folium" in e.proto.component_name
               for e in walk(at._tree))


def create(room) -> tuple[AppTest, dict]:
    fac = session("facilitator")
    fac.selectbox(key="fac_script").set_value("small.yaml")
    ok(fac.button(key="fac_create").click().run())
    codes = [c.value for c in fac.code]
    assert len(codes) == 4, "the facilitator code and one code per team are shown"
    teams = [t["name"] for t in small_script()["teams"]]
    return fac, {"facilitator": codes[0], **dict(zip(teams, codes[1:]))}


def join(code: str) -> AppTest:
    team = session("team")
    team.text_input(key="team_code_input").input(code)
    return ok(team.button(key="team_join").click().run())


def test_version_changes_with_every_write_and_not_with_reads(tmp_path):
    ex, codes = create_exercise(tmp_path, yaml.safe_dump(small_script()))
    v0 = ex.version()
    ex.team_view("Transit countries")
    ex.status()
    assert ex.version() == v0
    ex.submit_decision("Transit countries", {"kind": "anti_corruption", "cost_eur": 100_000})
    v1 = ex.version()
    ex.send_inject("Storm")
    assert v0 < v1 < ex.version()
    assert ex.round_state() == {"status": "running", "line": 1, "round": 1, "round_status": "open", "deadline": None,
                                "rounds": 3}


def test_create_join_decide_close_and_inject(room):
    fac, codes = create(room)
    assert "Round 1 of 3" in texts(fac)

    transit = join(codes["Transit countries"])
    assert "Transit countries" in texts(transit)
    transit.selectbox(key="team_kind").set_value("anti_corruption")
    transit.number_input(key="team_cost").set_value(400_000)
    transit.multiselect(key="team_countries").set_value(["LBY"])
    ok(transit.button(key="team_submit").click().run())
    assert "Added: Anti-corruption" in texts(transit)
    assert transit.metric[1].value == "€ 0.40 M"  # committed

    # over the budget: refused with the rule, nothing recorded
    transit.number_input(key="team_cost").set_value(4_700_000)
    ok(transit.button(key="team_submit").click().run())
    assert "left of this round's budget" in texts(transit)
    assert transit.metric[1].value == "€ 0.40 M"

    # another team sees none of it; the facilitator sees that Transit decided
    origin = join(codes["Origin countries"])
    assert "400,000" not in texts(origin) and "Anti" not in texts(origin)
    assert origin.metric[1].value == "€ 0.00 M"
    ok(fac.run())
    teams = fac.dataframe[0].value
    assert teams.loc["Transit countries", "decided"] == "decided"
    assert teams.loc["Origin countries", "decided"] == "not yet"
    assert teams.loc["Origin countries", "joined"] == "yes"

    # close round 1: the model plays it; everyone sees round 2 and the results, with the map
    ok(fac.button(key="fac_close").click().run())
    assert "Round 2 of 3" in texts(fac) and "Round 1 played" in texts(fac)
    ok(origin.run())
    assert "Round 2 of 3" in texts(origin) and "round 1 (days 0–9)" in texts(origin)
    assert has_map(origin)

    # an unscripted inject to Origin only: markup in it is shown as text, never rendered
    fac.text_area(key="fac_inj_message").input("Border **closed** <img src=http://x.invalid/a.png>")
    fac.multiselect(key="fac_inj_to_teams").set_value(["Origin countries"])
    ok(fac.button(key="fac_inj_send").click().run())
    assert "Inject unscripted-1 sent" in texts(fac)
    # the same inject's callback once more within seconds (under load a rerun can replay a button's
    # trigger): it is not sent twice
    fac.text_area(key="fac_inj_message").input("Border **closed** <img src=http://x.invalid/a.png>")
    fac.multiselect(key="fac_inj_to_teams").set_value(["Origin countries"])
    ok(fac.button(key="fac_inj_send").click().run())
    assert "Inject unscripted-1 sent" in texts(fac) and "unscripted-2" not in texts(fac)
    ok(origin.run())
    shown = [w.value for w in origin.warning]
    assert any("Border \\*\\*closed\\*\\* \\<img src=http\\:" in v for v in shown), shown
    assert sum("Border" in v for v in shown) == 1, shown
    ok(transit.run())
    assert "Border" not in texts(transit)


def test_wrong_codes_open_nothing(room):
    fac, codes = create(room)
    team = join("AAAAA-AAAAA")
    assert "No exercise on this server has that join code" in texts(team)
    assert team.text_input(key="team_code_input").value == ""
    team = join(codes["facilitator"])
    assert "facilitator's code" in texts(team)
    assert not any(b.key == "team_submit" for b in team.button)

    other = session("facilitator")
    for wrong in ("AAAAA-AAAAA", codes["Transit countries"]):
        other.text_input(key="fac_code_input").input(wrong)
        ok(other.button(key="fac_open").click().run())
        assert "no exercise's facilitator code" in texts(other)
        assert not any(b.key == "fac_close" for b in other.button)
    other.text_input(key="fac_code_input").input(codes["facilitator"].lower().replace("-", " "))
    ok(other.button(key="fac_open").click().run())
    assert any(b.key == "fac_close" for b in other.button)
    assert not other.code, "the codes are shown only to the session that created the exercise"


def test_branch_undo_and_debrief_from_the_page(room):
    fac, codes = create(room)
    transit = join(codes["Transit countries"])
    transit.selectbox(key="team_kind").set_value("capacity_building")
    ok(transit.button(key="team_submit").click().run())
    ok(fac.button(key="fac_close").click().run())
    ok(fac.button(key="fac_close").click().run())
    assert "Round 3 of 3" in texts(fac)
    ok(fac.button(key="fac_undo").click().run())
    assert "Round 2 reopened" in texts(fac) and "Round 2 of 3" in texts(fac)
    fac.number_input(key="fac_branch_round_1").set_value(1)  # the key names the last round played
    fac.text_input(key="fac_branch_name").input("what if")
    ok(fac.button(key="fac_branch").click().run())
    assert "Now playing line 2" in texts(fac)
    ok(fac.button(key="fac_close").click().run())
    ok(fac.button(key="fac_debrief").click().run())
    frames = [d.value for d in fac.dataframe]
    outcomes = next(f for f in frames if "no team decisions" in f.columns)
    assert outcomes.loc["Cost of the interventions (€)", "no team decisions"] == "0"
    contributions = next(f for f in frames if f.index.name == "team" and "Cost of the interventions (€)" in f.columns)
    assert contributions.loc["Transit countries", "Cost of the interventions (€)"].startswith("1,000,000")
    assert any(b.label.startswith("After-action report") for b in fac.get("download_button"))


def test_joint_operation_offered_and_accepted_on_the_team_pages(room):
    fac, codes = create(room)
    transit, dest = join(codes["Transit countries"]), join(codes["Destination countries"])
    transit.selectbox(key="team_offer_to").set_value("Destination countries")
    transit.multiselect(key="team_offer_corridors").set_value(["Central Mediterranean"])
    transit.number_input(key="team_offer_cost").set_value(300_000)
    ok(transit.button(key="team_offer").click().run())
    assert "Offered a joint operation to Destination countries" in texts(transit)
    ok(dest.run())
    accept = [b for b in dest.button if b.key and b.key.startswith("team_accept_")]
    assert len(accept) == 1
    ok(accept[0].click().run())
    assert "the joint operation is on" in texts(dest) and dest.metric[1].value == "€ 0.30 M"
    ok(transit.run())
    assert transit.metric[1].value == "€ 0.30 M" and "joint with Destination countries" in texts(transit)
    # the destination team also opens legal pathways, as in the docs' walk-through
    dest.selectbox(key="team_kind").set_value("legal_pathways")
    ok(dest.run())
    ok(dest.button(key="team_submit").click().run())
    assert "Added: Legal pathways" in texts(dest)


def test_a_write_while_the_team_page_reads_is_shown_by_the_watcher(room, monkeypatch):
    """The round closes while a team's page is reading its view (seen in CI: the status line, redrawn on every
    poll, said round 2 while the page kept round 1's inbox and measures, for good). The page notes the version
    from before its reads, so its watcher sees the write and redraws the page with it."""
    from sim.exercise import Exercise

    fac, codes = create(room)
    transit = join(codes["Transit countries"])
    path = Exercise(next((room / "data").glob("*"))).path
    original = Exercise.team_view
    writes = []

    def view_then_a_write_elsewhere(self, team):
        out = original(self, team)
        if not writes:  # the facilitator's write lands after the page's read, before the end of its run
            writes.append(Exercise(path).send_inject("A storm closes Sfax."))
        return out

    monkeypatch.setattr(Exercise, "team_view", view_then_a_write_elsewhere)
    ok(transit.run())
    assert writes, "the page read its view"
    assert "A storm closes Sfax" in texts(transit), "the page kept what it read before the write, and stays so"
    assert transit.session_state["team_seen_version"] == Exercise(path).version()


def test_the_facilitator_page_shows_no_server_path(room, tmp_path):
    """The folder the exercises are kept in (ROUTE_SIM_DATA, here outside the project) shows as its last part
    only, before and after an exercise is created."""
    fac = session("facilitator")
    assert str(tmp_path) not in texts(fac) and "…/data" in texts(fac)
    fac, _ = create(room)
    assert "Round 1 of 3" in texts(fac)
    assert str(tmp_path) not in texts(fac)


def test_a_path_inside_the_project_shows_relative_to_it():
    import ui.exercise_live as live

    assert live.shown(live.ROOT / "out" / "exercises") == "out/exercises"
    assert live.shown(Path("/srv/elsewhere/ex1.sqlite")) == "…/ex1.sqlite"
