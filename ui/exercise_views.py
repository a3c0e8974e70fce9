"""Pieces both exercise pages show: the round's figures per corridor, a team's figures, the inbox of
injects and messages, and the shared map of the last closed round.

Everything a person typed is shown through `plain` (escaped markdown) or as table cells, never as HTML."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from sim.daily import run_frames
from sim.exercise.adjudicate import run_line
from ui import maps

from .exercise_live import plain

FIGURES = {"attempts": "Attempts", "arrivals": "Arrivals", "deaths": "Deaths", "interceptions": "Interceptions",
           "detections": "Detections", "smuggler_revenue_eur": "Smuggler revenue (€)"}
TEAM_FIGURES = {"attempts_from": "Attempts leaving its countries", "deaths_from": "Deaths on legs from its countries",
                "interceptions_by": "Interceptions by its countries", "detections_by": "Detections by its countries",
                "arrests": "Smugglers arrested", "seized_eur": "Proceeds seized (€)", "bribes_eur": "Bribes paid (€)"}


def corridor_table(results: dict) -> pd.DataFrame:
    """This round and the cumulative total per corridor, and the change against the round before."""
    rows = []
    cum = results["cumulative"]["corridors"]
    for corridor, figs in sorted(results["corridors"].items()):
        row = {"corridor": corridor}
        row.update({label: round(figs[k]) for k, label in FIGURES.items()})
        row["Attempts, change on the round before"] = round(results["displacement"][corridor]["attempts"])
        row["Deaths since day 0"] = round(cum[corridor]["deaths"])
        rows.append(row)
    return pd.DataFrame(rows).set_index("corridor")


def show_round(results: dict | None, title: str = "The last round") -> None:
    if not results:
        st.info("No round has been played yet: the figures appear here when the facilitator closes round 1.")
        return
    o = results["overall"]
    st.subheader(f"{title}: round {results['round']} (days {results['start_day']}–{results['end_day'] - 1})")
    cols = st.columns(5)
    for col, k in zip(cols, ("attempts", "arrivals", "deaths", "interceptions", "smuggler_revenue_eur")):
        col.metric(FIGURES[k], f"{o[k]:,.0f}")
    st.dataframe(corridor_table(results), width="stretch")


def team_table(figures: dict) -> pd.DataFrame:
    return pd.DataFrame([{"figure": label, "value": round(figures[k])} for k, label in TEAM_FIGURES.items()]
                        ).set_index("figure")


def country_table(figures: dict) -> pd.DataFrame:
    return pd.DataFrame([{"country": iso, "enforcement effectiveness (0–1)": round(v["effectiveness"], 2),
                          "corruption (0–1)": round(v["corruption"], 2)}
                         for iso, v in sorted(figures.get("countries", {}).items())]).set_index("country")


def inbox(injects: list[dict], messages: list[dict], *, notes: bool = False) -> None:
    """Injects and messages, newest first. `notes`: the facilitator also sees each inject's note."""
    items = [("inject", i) for i in injects] + [("message", m) for m in messages]
    if not items:
        st.caption("Nothing yet.")
        return
    for kind, item in sorted(items, key=lambda x: -(x[1].get("created") or 0)):
        when = time.strftime("%H:%M", time.localtime(item.get("created") or 0))
        if kind == "inject":
            recipients = item.get("recipients")
            if recipients is None:  # a team's own view says only whether it was for the team alone
                to = "your team only" if item["private"] else "all teams"
            else:
                to = ", ".join(recipients) or "all teams"
            private = bool(item.get("private") or recipients)
            head = f"Round {item['round']} · {when} · inject {item['inject_id']} · to {to}"
            box = st.warning if private else st.info
            box(plain(item["message"]), icon=None)
            st.caption(plain(head))
            if notes and item.get("note"):
                st.caption("Note for the facilitator: " + plain(item["note"]))
        else:
            head = f"Round {item['round']} · {when} · message from {item['sender']} to {item['recipient'] or 'all'}"
            st.success(plain(item["text"]))
            st.caption(plain(head))


@st.cache_resource(show_spinner=False, max_entries=16)
def _round_frames(path: str, line: int, number: int, closed_at: float, _ex):
    """The replayed run behind a closed round, pivoted for the map: one copy for every browser."""
    results = run_line(_ex.script, _ex.base, _ex.history(line, number), number)
    return run_frames(results.tables, _ex.network)


def round_map(ex, line: int, rounds: list[dict], key: str) -> None:
    """The app's run map on the last day of the last closed round (flows over that round)."""
    closed = [r for r in rounds if r["status"] == "closed"]
    if not closed:
        return
    last = closed[-1]
    with st.spinner("Drawing the map…"):
        frames = _round_frames(str(ex.path), line, last["number"], last["closed_at"] or 0.0, ex)
    day = last["end_day"] - 1
    window = ex.script.days_per_round if ex.script.days_per_round in maps.WINDOWS else 30
    opts = {"window": window, "leg_colour": "death", "place_size": "waiting_stranded",
            "country_shade": "effectiveness"}
    scales = maps.run_scales(frames, **opts)
    title = f"Round {last['number']}: days {last['start_day']}–{day}"
    base = maps.run_base_map(ex.network, scales=scales, title=title, **opts)
    layer = maps.run_data_layer(ex.network, frames, day, scales=scales, **opts)
    st.caption(f"Day {day}: leg width = attempts over {maps.WINDOWS[window]}, colour = death risk; countries "
               "shaded by enforcement effectiveness. Hover for the figures.")
    # a map the browser left out comes back as a new element, under a new key (docs/exercises.md)
    again = st.session_state.get(f"{key}_again_count", 0)
    st_folium(base, feature_group_to_add=layer, key=f"{key}_{again}" if again else key, height=480,
              use_container_width=True, returned_objects=[])
    st.button("Map not showing? Draw it again", key=f"{key}_again", on_click=_draw_again, args=(key,),
              help="Now and then the browser leaves out a map the server sent; this draws it anew.")


def _draw_again(key: str) -> None:
    st.session_state[f"{key}_again_count"] = st.session_state.get(f"{key}_again_count", 0) + 1
