"""The facilitator's debrief on screen: outcomes against no team decisions, each team's contribution, the
timeline and the learning objectives, with the after-action report and the exercise file as downloads.

The replays behind it take a while (every seed, as played, without any decision and without each team):
they run once per state of the exercise and are shared by every session (cached on the exercise's version)."""

from __future__ import annotations

import json
import math
import re

import pandas as pd
import streamlit as st

from sim.exercise.debrief import debrief
from sim.exercise.transfer import export_exercise
from ui.exercise_report import report_html
from ui.labels import KPI_LABELS

from .exercise_live import plain

CONTRIBUTION = ("attempts", "arrivals", "deaths", "interceptions", "smuggler_revenue_eur", "cost_eur")


@st.cache_data(show_spinner=False, max_entries=8)
def prepared(path: str, line: int, version: int, seeds: tuple[int, ...], _ex) -> dict:
    return json.loads(json.dumps(debrief(_ex, line, list(seeds)), default=float))


def band(b: dict) -> str:
    if b["mean"] is None or not math.isfinite(b["mean"]):
        return "–"
    if b["low"] == b["high"]:
        return f"{b['mean']:,.0f}"
    return f"{b['mean']:,.0f} ({b['low']:,.0f} to {b['high']:,.0f})"


def outcomes_table(out: dict) -> pd.DataFrame:
    return pd.DataFrame([{"measure": KPI_LABELS.get(k, k), "as played": band(v["played"]),
                          "no team decisions": band(v["no_decisions"]), "difference": band(v["difference"])}
                         for k, v in out["kpis"].items()]).set_index("measure")


def contribution_table(out: dict) -> pd.DataFrame:
    return pd.DataFrame([{"team": team, **{KPI_LABELS.get(k, k): band(v[k]) for k in CONTRIBUTION}}
                         for team, v in out["teams"].items()]).set_index("team")


def timeline_table(d: dict) -> pd.DataFrame:
    return pd.DataFrame([{"round": t["round"], "type": t["type"], "who": t["who"], "what": t["what"]}
                         for t in d["timeline"]])


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "exercise"


def show(d: dict) -> None:
    out = d["outcomes"]
    if out.get("kpis"):
        st.markdown(f"**Outcomes against the same exercise with no team decisions**: days 0–{out['end_day'] - 1}, "
                    f"mean over {len(out['seeds'])} seeds with the same random numbers and the same injects in both; "
                    "95 % interval in brackets.")
        st.dataframe(outcomes_table(out), width="stretch")
        st.markdown("**Each team's contribution**: as played minus the replay without that team's measures.")
        st.dataframe(contribution_table(out), width="stretch")
    else:
        st.info("No round has been played on this line yet: the outcomes appear after round 1.")
    st.markdown("**Timeline**")
    st.dataframe(timeline_table(d), width="stretch", hide_index=True)
    if d["objectives"]:
        st.markdown("**Learning objectives and their injects**")
        for o in d["objectives"]:
            st.markdown(plain(f"{o['id']}: {o['text']}"))
            rows = [{"inject": i["id"], "delivered in round": str(i["delivered_round"] or "not delivered"),
                     "expected action": i["expected_action"]} for i in o["injects"]]
            if rows:
                st.dataframe(pd.DataFrame(rows), width="stretch", hide_index=True)


def downloads(ex, d: dict | None) -> None:
    name = _slug(ex.info()["exercise_id"])
    c1, c2 = st.columns(2)
    if d is not None:
        c1.download_button("After-action report (HTML, works offline)", data=report_html(d),
                           file_name=f"after_action_{name}.html", mime="text/html", key="fac_dl_report",
                           on_click="ignore")
    c2.download_button("The exercise as a file (to replay on another server)",
                       # built on each page run, not deferred: the file a live redraw registers is then the
                       # same one (same bytes, same address) while the exercise is unchanged, so a download
                       # under way is not cancelled by a redraw
                       data=json.dumps(export_exercise(ex), indent=1), file_name=f"exercise_{name}.json",
                       mime="application/json", key="fac_dl_export", on_click="ignore")
