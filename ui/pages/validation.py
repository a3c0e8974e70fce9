"""Validation page: how well the model fits what happened. The shipped baseline against 2023's figures per
route, and the 2016-2023 replay against Frontex's months and the dated shocks of data/history/EPISODES.md,
with the share of each shock its measures carry. It shows the tables that `python -m sim validate-data`,
`sim episodes` and `sim validate-data --monthly` wrote into docs/validation.md, and their chart: those
ensembles take minutes of CPU, so the page never runs the model (it would hold up every other user).

Part of the app's navigation, and runnable alone:  streamlit run ui/pages/validation.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run alone with `streamlit run ui/pages/validation.py`
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from sim.history.doc import read_section  # noqa: E402

PAGE = ROOT / "docs" / "validation.md"
CHART = ROOT / "docs" / "replay_monthly.png"


def _show(which: str) -> None:
    table = read_section(PAGE, which)
    if table is None:  # an installation without the docs folder, or a page that lost its markers
        st.info(f"No table here: this installation's docs/validation.md has no '{which}' section.")
    else:
        st.markdown(table)


st.title("How well it fits")
st.write("Before comparing packages, see how close the model comes to what happened: the year it is fitted "
         "to, and eight years of months and shocks it must reproduce. Every figure is an ensemble mean over "
         "seeds the fit never used. The full discussion, with what is not met and why, is in "
         "docs/validation.md.")

st.header("2023: the baseline against the year's figures")
st.caption("Detections per route (Frontex), dead and missing (IOM), fees, the origin mix per route, the share "
           "of Central Mediterranean departures intercepted, and Cyprus's boat arrivals.")
_show("validate-data")

st.header("2016-2023: the replay, month by month")
st.caption("One eight-year run with the dated measures of data/history/EPISODES.md. Each shock's change is "
           "compared with the observed one. The replay is then rerun without that shock's measures (same seeds): "
           "the share is how much of the change the measures carry.")
_show("episodes")
if CHART.exists():
    st.image(str(CHART), caption="Frontex's monthly detections per main route against the replay: mean and "
                                 "range of the seeds")
_show("monthly")
st.stop()
