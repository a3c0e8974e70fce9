"""Compare two to four scenarios as ensembles with common random numbers (the same seeds in every scenario)."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import streamlit as st
from streamlit_folium import st_folium

from sim.compare import compare_arms, daily_bands, leg_difference
from sim.errors import InputError
from sim.scenario import scenario_data
from ui import maps, state
from ui.labels import DAILY_MEASURES
from ui.leaflet import standalone_html
from ui.report import report_html
from ui.run_keys import run_key
from ui.scenario_files import list_scenarios, load_file
from ui.tables import cost_table, displacement_table, kpi_long, kpi_table

scenario, network = state.require_scenario()

st.title("Compare scenarios")
st.caption("Each scenario runs several times with the same seeds (common random numbers), so the differences "
           "come from the interventions, not from chance. Intervals are 95% intervals of the mean difference.")

CURRENT = f"Current scenario: {scenario.name}"
shipped = list_scenarios()
options = [CURRENT] + list(shipped)
origin = str(st.session_state.get("scn_origin") or "")


def _same_network(path) -> bool:
    try:
        return str(Path(scenario_data(path)["network"]).resolve()) == str(scenario.network_path())
    except (InputError, KeyError, TypeError):
        return False


others = [o for o in shipped if str(shipped[o]) != origin]
default = [CURRENT] + ([o for o in others if _same_network(shipped[o])] or others)[:1]
chosen = st.multiselect("Scenarios (2 to 4; the first is the reference)", options, default=default, max_selections=4,
                        key="cmp_choice", help="The current scenario is the one in the sidebar, with your edits.")
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
        problems.append(str(exc))
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
keys = [run_key(s, days=scenario.days, scale=scenario.scale) for _n, s in arms_spec]

if len(arms_spec) < 2:
    st.info("Choose at least two scenarios.")
    st.stop()

if st.button("Run the comparison", type="primary", key="cmp_run",
             help="Runs every scenario once per seed. Runs already done are reused."):
    bar = st.progress(0.0, text="Starting…")
    total = len(keys) * len(seeds)
    done = 0
    for label, key in zip(labels, keys):
        for seed in seeds:
            cb = state.progress_callback(bar, f"{label}, seed {seed} ({done + 1} of {total} runs)",
                                          start=done / total, span=1 / total)
            try:
                state.cached_slim_run(key, seed, _progress=cb)
            except InputError as exc:
                bar.empty()
                st.error(f"The model cannot run {label}: {exc}")
                st.stop()
            done += 1
    bar.empty()
    st.session_state["comparison"] = {"labels": labels, "keys": keys, "seeds": seeds,
                                      "scenarios": [s for _n, s in arms_spec],
                                      "networks": [str(s.network_path()) for _n, s in arms_spec],
                                      "days": scenario.days, "scale": scenario.scale}

cmp = st.session_state.get("comparison")
if not cmp:
    st.info("Press **Run the comparison**.")
    st.stop()
if (cmp["labels"], cmp["keys"], cmp["seeds"]) != (labels, keys, seeds):
    st.warning("The choice or the settings changed since this comparison: press **Run the comparison** to update.")

with st.spinner("Loading runs…"):
    arms = [[state.cached_slim_run(k, s) for s in cmp["seeds"]] for k in cmp["keys"]]
comps = compare_arms(arms)
L = cmp["labels"]

st.subheader("Key figures")
st.caption(f"Mean over {len(cmp['seeds'])} runs; the change is paired by seed: scenario minus the reference "
           f"({L[0]}), with its 95% interval in brackets.")
st.dataframe(kpi_table(L, comps), width="stretch")

st.subheader("Cost-effectiveness")
st.caption("Extra cost over the reference per death avoided and per irregular crossing avoided "
           "(irregular crossings = crossings detected at borders).")
st.dataframe(cost_table(L, comps), hide_index=True, width="stretch")

st.subheader("Where flows went: displacement")
st.dataframe(displacement_table(L, comps), width="stretch")
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
colour = alt.Color("scenario:N", sort=L, title="scenario", scale=alt.Scale(scheme="category10"),
                   legend=alt.Legend(orient="bottom", labelLimit=400))
chart = (alt.Chart(band).mark_area(opacity=0.22).encode(x=enc_x, y="low:Q", y2="high:Q", color=colour)
         + alt.Chart(band).mark_line().encode(x=enc_x, y=alt.Y("mean:Q", title=DAILY_MEASURES[measure][0]),
                                              color=colour, tooltip=["scenario", "day", "mean", "low", "high"]))
st.altair_chart(chart, width="stretch")
st.caption("Lines: mean over the runs; bands: 95% interval of the mean.")

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
