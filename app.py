"""Streamlit app of the migratory-route cooperation simulator: build a scenario, run it, watch it on a map,
compare packages of interventions. Start with:  python -m ui.serve   (`streamlit run app.py` with a warm-up
first: ui/serve.py; see docs/app.md).

The app holds no model logic: it calls sim.run and sim.compare and presents their tables."""

import streamlit as st

from ui import leaflet, session_store, state

st.set_page_config(page_title="Migratory-route cooperation simulator", layout="wide")
leaflet.use_local_leaflet(state.static_prefix())  # Leaflet from static/, never from a CDN

# No page icons: Streamlit turns the active page's icon into a favicon fetched from the internet.
pages = [
    st.Page("ui/pages/run.py", title="Run and map", default=True),
    st.Page("ui/pages/builder.py", title="Scenario builder"),
    st.Page("ui/pages/compare.py", title="Compare scenarios"),
    st.Page("ui/pages/experiments.py", title="Experiments"),
    st.Page("ui/pages/validation.py", title="How well it fits"),  # docs/validation.md's tables
    st.Page("ui/pages/facilitator.py", title="Facilitator"),  # table-top exercises (docs/exercises.md)
    st.Page("ui/pages/team.py", title="Team"),
]
page = st.navigation(pages)
session_store.restore()  # after a reload: the edits, settings and results of this session (?s= in the address)
try:
    state.sidebar()
    page.run()
finally:  # pages end with st.stop(): save on the way out too
    session_store.autosave()
