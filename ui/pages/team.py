"""Team: join an exercise with a code, read the injects and messages, see the last round on the map and in
figures, and spend the round's budget on measures or joint operations with another team.

The page shows only what `Exercise.team_view` returns for this team: another team's pending choices never
reach this browser. Actions run in button callbacks (before the page is drawn), so the page shows their
effect at once; the live watcher redraws it when anyone else changes the exercise."""

from __future__ import annotations

import typing

import streamlit as st

from sim.exercise import ExerciseError, find_code
from sim.scenario import QUOTA_KINDS, InterventionKind
from sim.vocabulary import KIND_HELP, KIND_LABELS
from ui import exercise_live as live
from ui.exercise_views import country_table, inbox, round_map, show_round, team_table

KINDS = list(typing.get_args(InterventionKind))


def _join() -> None:
    code = st.session_state.get("team_code_input", "")
    st.session_state["team_code_input"] = ""
    found = find_code(live.data_folder(), code) if code.strip() else None
    if found is None:
        live.flash("No exercise on this server has that join code: check it with the facilitator.", "error")
    elif found[1] == "facilitator":
        live.flash("That is the facilitator's code: open the Facilitator page with it.", "error")
    else:
        live.hold("team", found[0])
        st.session_state["team_name"] = found[2]
        live.flash(f"Joined as {found[2]}.")


def _leave() -> None:
    live.hold("team", None)
    st.session_state.pop("team_name", None)


def _act(what: str, fn, *args, **kwargs) -> None:
    """Run one team action; its outcome (or the rule that refused it) shows at the top of the page."""
    try:
        fn(*args, **kwargs)
        live.flash(what)
    except ExerciseError as exc:
        live.flash(f"Not done: {exc}", "error")


def _submit(ex, team: str) -> None:
    ss = st.session_state
    kind = ss["team_kind"]
    data = {"kind": kind, "intensity": float(ss["team_intensity"]), "cost_eur": float(ss["team_cost"]),
            "corridors": list(ss.get("team_corridors") or [])}
    if kind == "legal_pathways":
        data["countries"] = list(ss.get("team_lp_origins") or [])
        data["destinations"] = list(ss.get("team_lp_destinations") or [])
    else:
        data["countries"] = list(ss.get("team_countries") or [])
    if kind in QUOTA_KINDS:
        data["places_per_year"] = float(ss.get("team_places") or 0)
    _act(f"Added: {KIND_LABELS[kind]}, € {data['cost_eur']:,.0f}.", ex.submit_decision, team, data)


def _offer(ex, team: str) -> None:
    ss = st.session_state
    data = {"intensity": float(ss["team_offer_intensity"]), "corridors": list(ss.get("team_offer_corridors") or [])}
    _act(f"Offered a joint operation to {ss['team_offer_to']}.", ex.offer_cooperation, team, ss["team_offer_to"],
         data, float(ss["team_offer_cost"]))


def _millions(eur: float) -> str:
    return f"€ {eur / 1e6:,.2f} M"


# --------------------------------------------------------------------------- joining
ex = live.held("team")
team = st.session_state.get("team_name")
if ex is None or team is None:
    st.title("Team")
    st.caption("Join the exercise with your team's code (the facilitator gives it to you). Case, spaces and dashes "
               "do not matter.")
    live.show_flash()
    st.text_input("Join code", key="team_code_input", max_chars=24, placeholder="e.g. K7QXM-T2HPA")
    st.button("Join", type="primary", key="team_join", on_click=_join)
    st.stop()

live.note_version(ex, "team")
view = ex.team_view(team)
st.title(live.plain(team))
st.caption(f"{live.plain(view['exercise'])} · your countries: {', '.join(view['countries'])} · "
           "other teams cannot see your choices before the round is played.")
live.live(ex, "team", live.show_status)
live.show_flash()

can_act = view["status"] == "running" and view["round_status"] == "open"
network = ex.network
others = [t.name for t in ex.script.teams if t.name != team]

left, right = st.columns([2, 3], gap="large")
with left:
    st.subheader("Inbox")
    st.caption("Injects and messages for your team, newest first.")
    inbox(view["injects"], view["messages"])
    if view["briefing"]:
        with st.expander("Your briefing"):
            st.markdown(live.plain(view["briefing"]))

with right:
    st.subheader(f"Your measures for round {view['round']}")
    b1, b2, b3 = st.columns(3)
    b1.metric("Budget this round", _millions(view["budget_eur"]))
    b2.metric("Committed", _millions(view["spent_eur"]))
    b3.metric("Left", _millions(view["remaining_eur"]))
    # lists that grow and shrink sit in containers: the widgets below keep their place on the page
    with st.container():
        for d in view["decisions"]:
            p = d["payload"]
            c1, c2 = st.columns([5, 1], vertical_alignment="center")
            where = ", ".join(p["countries"]) or "all your countries"
            joint = f" (joint with {d['partner']})" if d["partner"] else ""
            c1.markdown(live.plain(f"{KIND_LABELS[p['kind']]}{joint} · intensity {p['intensity']:g} · "
                                   f"€ {d['cost_eur']:,.0f} · {where}"))
            if d["status"] == "pending" and d["offer"] is None:
                c2.button("Withdraw", key=f"team_withdraw_{d['id']}", disabled=not can_act,
                          on_click=_act, args=("Withdrawn.", ex.withdraw_decision, team, d["id"]))
        if not view["decisions"]:
            st.caption("No measure chosen yet this round.")

    with st.container(border=True):
        st.markdown("**Add a measure**")
        kind = st.selectbox("Measure", KINDS, format_func=KIND_LABELS.get, key="team_kind")
        st.caption(KIND_HELP[kind])
        c1, c2 = st.columns(2)
        c1.number_input("Cost (€)", min_value=0.0, max_value=1e12, value=1_000_000.0, step=250_000.0,
                        format="%.0f", key="team_cost", help="Must fit what is left of this round's budget.")
        c2.slider("Intensity", 0.1, 3.0, 1.0, 0.1, key="team_intensity",
                  help="How strongly the measure acts (1 = as the model's defaults).")
        if kind == "legal_pathways":
            st.multiselect("Origin countries offered places (empty = all)", sorted(network.countries.index),
                           key="team_lp_origins")
            st.multiselect("Your countries that take people in (empty = all of them)", view["countries"],
                           key="team_lp_destinations")
        else:
            st.multiselect("Where (your countries; empty = all of them)", view["countries"], key="team_countries")
        st.multiselect("Corridors (empty = all)", sorted(network.corridors), key="team_corridors")
        if kind in QUOTA_KINDS:
            st.number_input("Places per year", min_value=0.0, max_value=1e7, value=1000.0, step=500.0,
                            format="%.0f", key="team_places")
        st.button("Add this measure", type="primary", key="team_submit", disabled=not can_act,
                  on_click=_submit, args=(ex, team))

    st.subheader("Joint operations")
    st.caption("An operational cooperation that covers your countries and the other team's. It happens only if "
               "the other team accepts; each side then pays its share.")
    with st.container():
        for o in view["offers"]:
            mine = o["from_team"] == team
            who = f"to {o['to_team']}" if mine else f"from {o['from_team']}"
            corridors = ", ".join(o["payload"]["corridors"]) or "all corridors"
            c1, c2, c3 = st.columns([4, 1, 1], vertical_alignment="center")
            c1.markdown(live.plain(f"Offer {who} · {corridors} · intensity {o['payload']['intensity']:g} · "
                                   f"€ {o['cost_each_eur']:,.0f} each · {o['status']}"))
            if o["status"] == "offered" and mine:
                c2.button("Withdraw", key=f"team_offer_withdraw_{o['id']}", disabled=not can_act,
                          on_click=_act, args=("Offer withdrawn.", ex.withdraw_offer, team, o["id"]))
            elif o["status"] == "offered":
                c2.button("Accept", key=f"team_accept_{o['id']}", type="primary", disabled=not can_act,
                          on_click=_act, args=("Accepted: the joint operation is on.", ex.answer_offer, team, o["id"],
                                               True))
                c3.button("Decline", key=f"team_decline_{o['id']}", disabled=not can_act,
                          on_click=_act, args=("Declined.", ex.answer_offer, team, o["id"], False))
    if others:
        with st.expander("Offer a joint operation to another team"):
            st.selectbox("To", others, key="team_offer_to")
            st.multiselect("Corridors (empty = all)", sorted(network.corridors), key="team_offer_corridors")
            o1, o2 = st.columns(2)
            o1.number_input("Cost for each side (€)", min_value=1.0, max_value=1e12, value=500_000.0,
                            step=100_000.0, format="%.0f", key="team_offer_cost")
            o2.slider("Intensity", 0.1, 3.0, 1.0, 0.1, key="team_offer_intensity")
            st.button("Offer", key="team_offer", disabled=not can_act, on_click=_offer, args=(ex, team))

last = view["last_round"]
if last:
    last = {**last, "start_day": ex.script.round_days(last["round"])[0],
            "end_day": ex.script.round_days(last["round"])[1]}
show_round(last)
if last and last["team"]:
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**Your countries, last round**")
        st.dataframe(team_table(last["team"]), width="stretch")
    with c2:
        st.markdown("**Your authorities at the round's end**")
        st.dataframe(country_table(last["team"]), width="stretch")
    line = ex.current_line()
    round_map(ex, line, ex.rounds(line), key="team_map")

st.divider()
st.button("Leave (another team can join from this browser)", key="team_leave", on_click=_leave)
