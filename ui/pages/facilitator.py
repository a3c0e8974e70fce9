"""Facilitator: create an exercise (a shipped script or an uploaded file), hand out the codes, follow the
teams, close rounds (the model plays them), inject, pause, undo, branch, end, and debrief.

The codes are shown once, to the session that created the exercise; afterwards the facilitator's code
opens the controls (also after a reload or a server restart)."""

from __future__ import annotations

import tempfile
import typing
from pathlib import Path

import pandas as pd
import streamlit as st

from sim.errors import InputError
from sim.exercise import ExerciseError, create_exercise, create_from_file
from sim.exercise.transfer import import_exercise
from sim.scenario import EventKind
from ui import exercise_debrief
from ui import exercise_live as live
from ui.exercise_views import inbox, round_map, show_round

NO_EVENT = "(no event: a message only)"


# --------------------------------------------------------------------------- entering
def _open() -> None:
    code = st.session_state.get("fac_code_input", "")
    st.session_state["fac_code_input"] = ""
    ex = live.facilitator_exercise(code)
    if ex is None:
        live.flash("That code is no exercise's facilitator code on this server.", "error")
    else:
        live.hold("fac", ex)
        live.flash(f"Opened {ex.info()['name']}.")


def _created(ex, codes: dict) -> None:
    live.hold("fac", ex)
    st.session_state["fac_codes"] = {"exercise": ex.info()["exercise_id"], **codes}
    st.rerun()


def create_or_open() -> None:
    st.title("Facilitator")
    st.caption(f"Exercises are kept in {live.shown(live.data_folder())} on this server (one file each; set "
               f"{live.DATA_ENV} to change it). Nothing leaves this machine.")
    live.show_flash()
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Create an exercise")
        scripts = live.list_scripts()
        source = st.radio("From", ["A shipped script", "An uploaded file"], key="fac_source", horizontal=True)
        if source == "A shipped script":
            if not scripts:
                st.warning(f"No exercise scripts in {live.scripts_folder()}.")
                return
            name = st.selectbox("Script", list(scripts), key="fac_script")
            if st.button("Create the exercise", type="primary", key="fac_create"):
                try:
                    _created(*create_from_file(live.data_folder(), scripts[name]))
                except InputError as exc:
                    st.error(f"This script cannot be used: {exc}")
        else:
            up = st.file_uploader("An exercise script (.yaml) or an exercise exported from another server (.json)",
                                  type=["yaml", "yml", "json"], key="fac_upload")
            if up is not None and st.button("Create the exercise", type="primary", key="fac_create_upload"):
                _from_upload(up)
    with right:
        st.subheader("Open an exercise you run")
        st.text_input("Facilitator code", key="fac_code_input", type="password", max_chars=24)
        st.button("Open the controls", key="fac_open", on_click=_open)


def _from_upload(up) -> None:
    """Validated like a shipped file: a script by its schema, an export also by replaying its rounds."""
    try:
        if up.name.lower().endswith(".json"):
            with tempfile.TemporaryDirectory() as tmp, st.spinner("Checking the file by replaying its rounds…"):
                path = Path(tmp) / Path(up.name).name
                path.write_bytes(up.getvalue())
                ex, codes = import_exercise(live.data_folder(), path)
        else:
            ex, codes = create_exercise(live.data_folder(), up.getvalue().decode("utf-8", errors="replace"),
                                        source=Path(up.name).name)
    except InputError as exc:
        st.error(f"This file cannot be used: {exc}")
        return
    _created(ex, codes)


# --------------------------------------------------------------------------- the codes, once
def show_codes(ex) -> None:
    codes = st.session_state.get("fac_codes")
    slot = st.container()  # always there, so that hiding the codes does not shift the controls below
    if not codes or codes["exercise"] != ex.info()["exercise_id"]:
        return
    with slot.container(border=True):
        st.markdown("**The codes: write them down or download them now.** They are shown only this once "
                    "(the server keeps only their hashes).")
        st.markdown("Facilitator code (keep it to yourself):")
        st.code(codes["facilitator"], language=None)
        cols = st.columns(len(codes["teams"]))
        for col, (team, code) in zip(cols, codes["teams"].items()):
            col.markdown(live.plain(team))
            col.code(code, language=None)
        text = f"{ex.info()['name']} ({codes['exercise']})\nFacilitator: {codes['facilitator']}\n" + "".join(
            f"{team}: {code}\n" for team, code in codes["teams"].items())
        c1, c2 = st.columns(2)
        c1.download_button("Download the codes (text)", data=text, file_name=f"codes_{codes['exercise']}.txt",
                           mime="text/plain", key="fac_dl_codes", on_click="ignore")
        c2.button("I have noted them: hide the codes", key="fac_hide_codes",
                  on_click=lambda: st.session_state.pop("fac_codes", None))


# --------------------------------------------------------------------------- actions
def _act(what: str, fn, *args, **kwargs) -> None:
    try:
        out = fn(*args, **kwargs)
        live.flash(what.replace("{out}", str(out)))
    except (ExerciseError, InputError) as exc:
        live.flash(f"Not done: {exc}", "error")


def _inject(ex) -> None:
    ss = st.session_state
    event = None
    if ss.get("fac_inj_kind", NO_EVENT) != NO_EVENT:
        event = {"kind": ss["fac_inj_kind"], "intensity": float(ss["fac_inj_intensity"]),
                 "targets": {"countries": list(ss.get("fac_inj_countries") or []),
                             "corridors": list(ss.get("fac_inj_corridors") or [])}}
        if ss.get("fac_inj_days"):
            event["duration_days"] = int(ss["fac_inj_days"])
        if ss["fac_inj_kind"] == "network_shift" and ss.get("fac_inj_to"):
            event["to_corridor"] = ss["fac_inj_to"]
    message, to_teams, note = ss.get("fac_inj_message", ""), list(ss.get("fac_inj_to_teams") or []), ss.get("fac_inj_note", "")
    earlier = live.repeated("inject", repr((message, to_teams, event, note)))
    if earlier:  # the same click's callback fired again: do not send it twice
        live.flash(f"Inject {earlier} sent.")
        return
    try:
        sent = ex.send_inject(message, to_teams=to_teams, event=event, note=note)
    except ExerciseError as exc:
        live.flash(f"Not sent: {exc}", "error")
        return
    live.done("inject", sent)
    ss["fac_inj_message"] = ss["fac_inj_note"] = ""
    live.flash(f"Inject {sent} sent.")


def _deadline(ex) -> None:
    _act("Countdown started.", ex.set_deadline, 60 * float(st.session_state["fac_minutes"]))


def _leave() -> None:
    live.hold("fac", None)
    st.session_state.pop("fac_debrief_data", None)


def teams_table(status: dict) -> pd.DataFrame:
    return pd.DataFrame([{"team": name, "joined": "yes" if t["joined"] else "not yet",
                          "decided": "decided" if t["decided"] else "not yet", "measures": t["decisions"],
                          "committed (€)": f"{t['spent_eur']:,.0f}", "budget (€)": f"{t['budget_eur']:,.0f}"}
                         for name, t in status["teams"].items()]).set_index("team")


def controls(ex, s: dict) -> None:
    running, is_open = s["status"] == "running", s["round_status"] == "open"
    c1, c2, c3, c4 = st.columns(4, vertical_alignment="bottom")
    if c1.button(f"Close round {s['round']} and play it", type="primary", key="fac_close",
                 disabled=not (running and s["round_status"] in ("open", "closing"))):
        with st.spinner(f"The model is playing round {s['round']}…"):
            _act(f"Round {s['round']} played.", ex.close_round)
        st.rerun()
    if s["status"] == "paused":
        c2.button("Resume", key="fac_resume", on_click=_act, args=("Resumed.", ex.resume))
    else:
        c2.button("Pause", key="fac_pause", disabled=s["status"] != "running", on_click=_act,
                  args=("Paused: teams cannot change their choices.", ex.pause))
    c3.button("Undo the last round", key="fac_undo", disabled=s["status"] == "ended", on_click=_act,
              args=("Round {out} reopened.", ex.undo_last_round),
              help="Reopens the last played round of this line; what was chosen in the round after it is dropped.")
    with c4:
        sure = st.checkbox("I am sure", key="fac_end_sure")
        st.button("End the exercise", key="fac_end", disabled=not sure or s["status"] == "ended", on_click=_act,
                  args=("The exercise has ended.", ex.end))
    d1, d2, d3 = st.columns([1, 1, 2], vertical_alignment="bottom")
    d1.number_input("Countdown (minutes)", min_value=1.0, max_value=180.0, value=15.0, step=1.0, key="fac_minutes")
    d2.button("Start the countdown", key="fac_deadline", disabled=not is_open, on_click=_deadline, args=(ex,))
    d3.button("Clear the countdown", key="fac_deadline_clear", disabled=not is_open, on_click=_act,
              args=("Countdown cleared.", ex.set_deadline, None))


def inject_form(ex) -> None:
    network = ex.network
    with st.container(border=True):
        st.markdown("**Send an unscripted inject**")
        st.text_area("Message to the teams", key="fac_inj_message", max_chars=1000)
        st.multiselect("To (empty = all teams)", [t.name for t in ex.script.teams], key="fac_inj_to_teams")
        kind = st.selectbox("Event in the model", [NO_EVENT, *typing.get_args(EventKind)], key="fac_inj_kind",
                            help="Applies from the first day of the open round (see docs/scenarios.md for the kinds).")
        if kind != NO_EVENT:
            e1, e2 = st.columns(2)
            e1.multiselect("Countries (empty = all)", sorted(network.countries.index), key="fac_inj_countries")
            e2.multiselect("Corridors (empty = all)", sorted(network.corridors), key="fac_inj_corridors")
            e3, e4 = st.columns(2)
            e3.number_input("Intensity", min_value=0.0, max_value=100.0, value=1.0, step=0.25, key="fac_inj_intensity")
            e4.number_input("Lasts (days; 0 = to the end)", min_value=0, max_value=3650, value=0, step=7,
                            key="fac_inj_days")
            if kind == "network_shift":
                st.selectbox("Networks move to", sorted(network.corridors), key="fac_inj_to")
        st.text_input("Note for yourself (the debrief shows it)", key="fac_inj_note", max_chars=1000)
        st.button("Send the inject", key="fac_inj_send", on_click=_inject, args=(ex,))


def lines_panel(ex, s: dict) -> None:
    lines = ex.lines()
    closed = [r["number"] for r in s["rounds"] if r["status"] == "closed"]
    with st.expander(f"Lines: {len(lines)} (branch into a “what if”, or switch)", expanded=False):
        st.dataframe(pd.DataFrame([{"line": ln["id"], "name": ln["name"], "branched from": str(ln["parent"] or "–"),
                                    "after round": ln["fork_round"], "status": ln["status"],
                                    "played now": "◀" if ln["id"] == s["line"] else ""} for ln in lines]),
                     hide_index=True, width="stretch")
        b1, b2, b3 = st.columns([1, 2, 1], vertical_alignment="bottom")
        top = min(max(closed or [0]), ex.script.rounds - 1)
        # the key follows the rounds played, so the suggested round moves on with the exercise
        key = f"fac_branch_round_{top}"
        b1.number_input("Branch after round", min_value=0, max_value=max(top, 0), value=max(top - 1, 0), step=1,
                        key=key, help="0 = from the start. The new line keeps rounds up to this one.")
        b2.text_input("Name of the new line", key="fac_branch_name", max_chars=60, placeholder="what if …")
        b3.button("Branch", key="fac_branch", on_click=lambda: _act(
            "Now playing line {out}.", ex.branch, int(st.session_state[key]),
            st.session_state.get("fac_branch_name") or None))
        others = [ln["id"] for ln in lines if ln["id"] != s["line"]]
        if others:
            w1, w2 = st.columns([3, 1], vertical_alignment="bottom")
            names = {ln["id"]: f"{ln['id']}: {ln['name']}" for ln in lines}
            w1.selectbox("Switch to line", others, format_func=names.get, key="fac_switch_to")
            w2.button("Switch", key="fac_switch", on_click=lambda: _act(
                f"Now playing line {st.session_state['fac_switch_to']}.", ex.switch_line,
                st.session_state["fac_switch_to"]))


def script_table(ex, s: dict) -> pd.DataFrame:
    delivered = {i["inject_id"]: i["round"] for i in s["injects"]}
    rows = []
    for i in ex.script.injects:
        when = (f"round {i.round}" if i.round else f"day {i.day}" if i.day is not None else
                f"when {i.condition.describe()}")
        rows.append({"inject": i.id, "when": when, "to": ", ".join(i.to_teams) or "all teams",
                     "event": i.event.kind if i.event else "–", "delivered in round": str(delivered.get(i.id, "–")),
                     "expected action": i.expected_action.strip()})
    return pd.DataFrame(rows)


def debrief_panel(ex, s: dict) -> None:
    st.subheader("Debrief")
    seeds = ex.script.seeds
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    n = c1.slider("Seeds to replay", 1, len(seeds), len(seeds), key="fac_debrief_seeds",
                  help="More seeds: tighter intervals, longer wait. Each seed replays the line as played, without "
                       "any decision and without each team's measures.") if len(seeds) > 1 else 1
    if c2.button("Prepare the debrief", type="primary", key="fac_debrief"):
        with st.spinner("Replaying the exercise without the teams' decisions…"):
            st.session_state["fac_debrief_data"] = exercise_debrief.prepared(str(ex.path), s["line"], ex.version(),
                                                                        tuple(seeds[:n]), ex)
    d = st.session_state.get("fac_debrief_data")
    if d is not None and d["line"] != s["line"]:
        d = None
    if d is not None:
        exercise_debrief.show(d)
    exercise_debrief.downloads(ex, d)


# --------------------------------------------------------------------------- the page
ex = live.held("fac")
if ex is None:
    create_or_open()
    st.stop()

live.note_version(ex, "fac")
info = ex.info()
st.title(live.plain(info["name"]))
st.caption(f"Exercise {info['exercise_id']} · line {info['current_line']} · kept in {live.shown(ex.path)}")
show_codes(ex)
live.live(ex, "fac", live.show_status)
live.show_flash()
s = ex.status()  # read after the version was noted: what is shown is at least that recent

st.subheader("Teams")
st.dataframe(teams_table(s), width="stretch")
controls(ex, s)
inject_form(ex)
lines_panel(ex, s)
with st.expander("Replace a team's join code (lost or leaked)"):
    r1, r2 = st.columns([3, 1], vertical_alignment="bottom")
    r1.selectbox("Team", [t.name for t in ex.script.teams], key="fac_recode_team")
    r2.button("New code", key="fac_recode", on_click=lambda: _act(
        "New code for " + st.session_state["fac_recode_team"] + ": {out} (the old one no longer works).",
        ex.new_team_code, st.session_state["fac_recode_team"]))

closed = [r for r in s["rounds"] if r["status"] == "closed"]
show_round(closed[-1]["results"] if closed else None)
if closed:
    teams = closed[-1]["results"]["teams"]
    st.dataframe(pd.DataFrame([{"team": t, "attempts leaving": round(v["attempts_from"]),
                                "deaths on its legs": round(v["deaths_from"]),
                                "interceptions": round(v["interceptions_by"]), "arrests": round(v["arrests"]),
                                "seized (€)": round(v["seized_eur"])} for t, v in teams.items()]).set_index("team"),
                 width="stretch")
    round_map(ex, s["line"], s["rounds"], key="fac_map")

st.subheader("Injects and messages on this line")
left, right = st.columns(2, gap="large")
with left:
    inbox(s["injects"], s["messages"], notes=True)
with right:
    st.markdown("**The script's injects (MSEL)**")
    if ex.script.injects:
        st.dataframe(script_table(ex, s), hide_index=True, width="stretch")

debrief_panel(ex, s)
st.divider()
st.button("Leave the controls (the facilitator code opens them again)", key="fac_leave", on_click=_leave)
