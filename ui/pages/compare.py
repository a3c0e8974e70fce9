"""Compare two to four scenarios as ensembles with common random numbers (the same seeds in every scenario)."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import streamlit as st
from streamlit_folium import st_folium

from sim.compare import compare_arms, daily_bands, leg_difference
from sim.errors import InputError
from sim.scenario import PILLARS, scenario_data
from sim.stats import INTERVAL_NOTE
from ui import maps, session_store, state
from ui.charts import OKABE_ITO, event_marks, events_note, forest_height, forest_plot
from ui.labels import DAILY_MEASURES
from ui.leaflet import standalone_html
from ui.paths import public
from ui.report import report_html
from ui.run_keys import run_key
from ui.scenario_files import list_scenarios, load_file
from ui.tables import change_table, displacement_compact, forest_frame, kpi_long, means_table, ranking_table

scenario, network = state.require_scenario()

st.title("Compare scenarios")
st.caption("Each scenario runs several times with the same seeds (common random numbers), so the differences "
           "come from the interventions, not from chance. Every interval on this page is a " + INTERVAL_NOTE
           + " (of the mean, or of the mean difference paired by seed).")

CURRENT = f"Current scenario: {scenario.name}"
shipped = list_scenarios()
options = [CURRENT] + list(shipped)
origin = str(st.session_state.get("scn_origin") or "")


def _info(path) -> tuple[bool, int, int]:
    """(same network as the current scenario, pillars covered, interventions) of a shipped scenario file."""
    try:
        data = scenario_data(path)
        same = str(Path(data["network"]).resolve()) == str(scenario.network_path())
        kinds = [i.get("kind") for i in data.get("interventions") or []]
    except (InputError, KeyError, TypeError, AttributeError):
        return False, 0, 0
    return same, len({PILLARS.get(k) for k in kinds if k in PILLARS}), len(kinds)


def default_choice() -> list[str]:
    """Baseline against a package: the current scenario against the baseline if it has interventions, else
    the current (a baseline) against the fullest package on the same network."""
    others = {o: _info(p) for o, p in shipped.items() if str(p) != origin}
    same = {o: i for o, i in others.items() if i[0]} or others
    baselines = sorted((o for o, i in same.items() if i[2] == 0), key=lambda o: "baseline" not in o.lower())
    if scenario.interventions:
        return baselines[:1] + [CURRENT]
    packages = sorted((o for o, i in same.items() if i[2] > 0), key=lambda o: (-same[o][1], -same[o][2]))
    return [CURRENT] + packages[:1]


saved = st.session_state.get("cmp_choice")
if saved is not None and not set(saved) <= set(options):  # restored from a session whose files changed
    st.session_state.pop("cmp_choice")
if "cmp_choice" not in st.session_state:
    st.session_state["cmp_choice"] = default_choice()
chosen = st.multiselect("Scenarios (2 to 4)", options, max_selections=4, key="cmp_choice",
                        help="The current scenario is the one in the sidebar, with your edits.")
replicates = int(st.session_state.get("replicates", 5))
seeds = list(range(scenario.seed, scenario.seed + replicates))
st.caption(f"{replicates} replicates per scenario (seeds {seeds[0]}–{seeds[-1]}), {scenario.days:,} days, scale "
           f"{scenario.scale}, taken from the sidebar for every scenario.")

arms_spec = []
problems = []
for label in chosen:
    if label == CURRENT:
        arms_spec.append((scenario.name + " (current)", scenario))
        continue
    try:
        _data, s, _net = load_file(shipped[label], network_loader=state.network_loader)
    except InputError as exc:
        problems.append(public(str(exc)))
        continue
    arms_spec.append((s.name, s))
for p in problems:
    st.error(f"Cannot use this scenario: {p}")
labels = []
for name, _s in arms_spec:
    label, n = name, 2
    while label in labels:
        label, n = f"{name} ({n})", n + 1
    labels.append(label)
if len(arms_spec) >= 2:  # the reference first: every change is measured against it
    plain = [i for i, (_n, s) in enumerate(arms_spec) if not s.interventions]
    if st.session_state.get("cmp_reference") not in labels:
        st.session_state["cmp_reference"] = labels[plain[0] if plain else 0]
    ref = st.selectbox("Reference: changes are measured against it", labels, key="cmp_reference",
                       help="By default the baseline (the scenario without interventions).")
    first = labels.index(ref)
    order = [first] + [i for i in range(len(labels)) if i != first]
    labels = [labels[i] for i in order]
    arms_spec = [arms_spec[i] for i in order]
keys = [run_key(s, days=scenario.days, scale=scenario.scale) for _n, s in arms_spec]

if len(arms_spec) < 2:
    st.info("Choose at least two scenarios.")
    session_store.stop()

def _pairs(job: dict) -> list[tuple[str, int]]:
    return [(key, seed) for key in job["keys"] for seed in job["seeds"]]


def comparison_done(job: dict) -> int:
    """Queue the comparison's runs not yet stored (in the queue shared by every session, as far as this
    session's memory budget allows) and say how many are done; once all are, it becomes the page's comparison.
    A failed run ends it with the model's message."""
    try:
        done = state.queue_runs(_pairs(job))
    except InputError as exc:
        st.session_state.pop("pending_comparison", None)
        st.error(f"The model cannot run this comparison: {public(str(exc))}")
        session_store.stop()
    if done == len(_pairs(job)):
        st.session_state.pop("pending_comparison", None)
        st.session_state["comparison"] = job
    return done


def stop_comparison() -> None:
    """Stop: drop this session's runs still waiting (the one running finishes and is kept)."""
    st.session_state.pop("pending_comparison", None)
    state.job_queue().cancel(session_store.session_id())


@st.fragment(run_every=1.5)
def comparison_progress(job: dict, verb: str) -> None:
    """Every scenario once per seed, in the background: progress, place in the queue and expected wait,
    redrawn every 1.5 s (which also tells the queue this page is open); the whole page once all are done.
    The job stays pending in the session's file until done, so a reload resumes it (stored runs are reused)."""
    if not st.session_state.get("pending_comparison"):  # stopped: the page without it
        st.rerun(scope="app")
    done, total = comparison_done(job), len(_pairs(job))
    if done == total:
        st.rerun(scope="app")
    st.progress(done / total, text=f"{verb}: {done} of {total} runs done")
    q = state.queue_status()
    if q["position"] is not None:
        wait = f", about {max(q['wait_s'], 1):,.0f} s to go" if q["wait_s"] is not None else ""
        st.caption(f"In the queue shared by everyone using the app: your next run is number {q['position']} of "
                   f"{q['queued_total']} waiting{wait}.")
    elif q["running"]:
        st.caption("Your runs are running.")
    st.button("Stop the comparison", key="cmp_stop", on_click=stop_comparison,
              help="Drop your runs still waiting in the queue (the one running finishes and is kept).")


def run_comparison(job: dict, verb: str) -> None:
    st.session_state["pending_comparison"] = job
    session_store.autosave()
    if comparison_done(job) < len(_pairs(job)):
        comparison_progress(job, verb)
        session_store.stop()


if st.button("Run the comparison", type="primary", key="cmp_run",
             help="Runs every scenario once per seed. Runs already done are reused."):
    run_comparison({"labels": labels, "keys": keys, "seeds": seeds, "scenarios": [s for _n, s in arms_spec],
                    "networks": [str(s.network_path()) for _n, s in arms_spec], "days": scenario.days,
                    "scale": scenario.scale}, "Running")
elif st.session_state.get("pending_comparison"):
    run_comparison(st.session_state["pending_comparison"], "Resuming after the reload")

cmp = st.session_state.get("comparison")
if not cmp:
    st.info("Press **Run the comparison**.")
    session_store.stop()
if (cmp["labels"], cmp["keys"], cmp["seeds"]) != (labels, keys, seeds):
    st.warning("The choice or the settings changed since this comparison: press **Run the comparison** to update.")

with st.spinner("Loading runs…"):
    arms = [[state.cached_slim_run(k, s) for s in cmp["seeds"]] for k in cmp["keys"]]
comps = compare_arms(arms)
L = cmp["labels"]

st.subheader(f"Changes against {L[0]}")
st.caption(f"Paired by seed over {len(cmp['seeds'])} runs: each scenario minus the reference ({L[0]}), as a % of "
           "the reference's mean; the bars are 95% intervals of the mean change (run-to-run variation only). Hover for the change in people "
           "or euros.")
forest = forest_frame(L, comps)
if len(forest):
    st.altair_chart(forest_plot(forest, L[0], L[1:]), width="stretch", height=forest_height(forest) + 90)
st.dataframe(change_table(L, comps), width="stretch")
with st.expander("Means of every scenario"):
    st.dataframe(means_table(L, comps), width="stretch")

st.subheader("Cost-effectiveness: ranking")
st.caption(f"Extra cost over {L[0]} per death avoided and per irregular crossing avoided (crossings detected at "
           "borders), cheapest first. 'Unbounded': the runs are compatible with no saving.")
st.dataframe(ranking_table(L, comps), hide_index=True, width="stretch")

st.subheader("Where flows went: displacement")
shown = st.radio("Change in", ["attempts", "crossings", "deaths"], horizontal=True, key="cmp_disp_measure")
st.dataframe(displacement_compact(L, comps, shown), width="stretch")
same_network = len(set(cmp["networks"])) == 1
if same_network:
    a, b, c = st.columns([2, 1, 1], vertical_alignment="bottom")
    j = a.selectbox("Map: scenario compared with the reference", list(range(1, len(L))), format_func=lambda i: L[i],
                    key="cmp_map_arm")
    measure = b.selectbox("Measure", ["attempts", "crossings", "deaths"], key="cmp_map_measure")
    tiles = c.checkbox("Internet tiles", key="cmp_tiles", help="Off by default: the map works offline.")
    net = state.cached_network(cmp["networks"][0])
    diff = leg_difference(arms[0], arms[j], measure)
    vmax = maps.difference_max(diff)
    base = maps.difference_base_map(net, L[0], L[j], vmax, tiles=tiles, measure=measure)
    layer = maps.difference_layer(net, diff, vmax, L[0], L[j], measure)
    st_folium(base, feature_group_to_add=layer, key="cmp_map", height=520, use_container_width=True,
              returned_objects=[])
    st.download_button("Download this map (HTML, works offline)",
                       data=lambda: standalone_html(maps.difference_map(net, diff, L[0], L[j], tiles=tiles,
                                                                             measure=measure)),
                       file_name="difference_map.html", mime="text/html", key="dl_cmp_map", on_click="ignore")
else:
    st.info("The scenarios use different networks: no difference map.")

st.subheader("Over time")
a, b = st.columns([3, 1])
measure = a.selectbox("Figure", list(DAILY_MEASURES), format_func=lambda m: DAILY_MEASURES[m][0], key="cmp_measure")
period = b.selectbox("Per", [7, 30, 1], format_func=lambda p: {1: "day", 7: "week", 30: "30 days"}[p], key="cmp_period",
                     help="Flows are added up over the period; stocks are averaged.")
band = daily_bands(L, arms, measure, period)
enc_x = alt.X("day:Q", title="day of the run")
colour = alt.Color("scenario:N", sort=L, title="scenario", scale=alt.Scale(range=OKABE_ITO),
                   legend=alt.Legend(orient="bottom", labelLimit=400))
chart = (alt.Chart(band).mark_area(opacity=0.22).encode(x=enc_x, y="low:Q", y2="high:Q", color=colour)
         + alt.Chart(band).mark_line().encode(x=enc_x, y=alt.Y("mean:Q", title=DAILY_MEASURES[measure][0]),
                                              color=colour, tooltip=["scenario", "day", "mean", "low", "high"]))
events = list({(e.kind, e.name, e.start, e.end): e for s in cmp["scenarios"] for e in s.events}.values())
marks = event_marks(events, cmp["days"])
chart = chart if marks is None else marks + chart
st.altair_chart(chart, width="stretch")
note = events_note(events, cmp["days"], "runs")
st.caption(f"Lines: mean over the runs; bands: {INTERVAL_NOTE}." + (f" {note}" if note else ""))

st.subheader("Downloads")
d1, d2 = st.columns(2)
settings = {"replicates": len(cmp["seeds"]), "seeds": f"{cmp['seeds'][0]}–{cmp['seeds'][-1]}", "days": cmp["days"],
            "scale": cmp["scale"]}
d1.download_button("Comparison report (one HTML page)",
                   data=lambda: report_html(L, cmp["scenarios"], comps, arms, settings,
                                            state.cached_network(cmp["networks"][0]) if same_network else None),
                   file_name="comparison_report.html", mime="text/html", key="dl_report", on_click="ignore")
d2.download_button("Key figures (CSV)", data=lambda: kpi_long(L, comps).to_csv(index=False),
                   file_name="comparison_kpis.csv", mime="text/csv", key="dl_kpis", on_click="ignore")
