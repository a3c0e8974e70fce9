"""Run and map: run the current scenario once, see it on a map day by day, download tables and the map."""

from __future__ import annotations

import json
import re

import pandas as pd
import streamlit as st

from sim.compare import ensemble_summary
from sim.errors import InputError
from sim.stats import INTERVAL_NOTE
from sim.vocabulary import KIND_LABELS
from ui import session_store, state
from ui.labels import DAILY_MEASURES, package_costs
from ui.leaflet import standalone_html
from ui.paths import public
from ui.run_keys import run_key, scenario_from_key
from ui.style import compact
from ui.tables import ensemble_corridor_table, parquet_bytes, tables_zip

PLAY_SECONDS = 1.0  # time between frames when playing
METRIC_PX = 180  # a headline box: its longest label, figure and interval fit

scenario, network = state.require_scenario()

st.title("Run a scenario and see it on the map")
st.caption("The model follows people on the move, smuggling networks and authorities day by day. "
           "Press **Run the model**, then move the day slider (or press Play) to watch flows change.")

costs = package_costs(scenario)
left, right = st.columns([3, 2])
with left:
    st.subheader(scenario.name)
    if scenario.description:
        st.write(scenario.description)
    if scenario.interventions:
        st.markdown("**Interventions:** " + "; ".join(
            f"{KIND_LABELS.get(i.kind, i.kind)}" + (f" – {i.name}" if i.name and i.name != KIND_LABELS.get(i.kind) else "")
            for i in scenario.interventions))
    else:
        st.markdown("**Interventions:** none (a baseline). Add some in the *Scenario builder*.")
with right:
    st.metric("Package cost per year", compact(costs["total"], unit="€"), help=f"€ {costs['total']:,.0f}")
    st.caption(f"{scenario.days:,} days · seed {scenario.seed} · scale {scenario.scale} "
               f"(people per model entry) · network: {network.name} ({len(network.legs)} legs, "
               f"{len(network.places)} places)")

key = run_key(scenario)


def run_now(job: dict, label: str, slot) -> None:
    """Run a job ({key, seed, name, network}) with a progress bar in `slot`; it stays 'pending' in the
    session's file until done, so that a reload in the middle resumes it."""
    st.session_state["pending_run"] = job
    session_store.autosave()
    bar = slot.progress(0.0, text="Starting…")
    try:
        state.cached_run(job["key"], job["seed"], _progress=state.progress_callback(bar, label))
    except InputError as exc:
        slot.empty()
        st.session_state.pop("pending_run", None)
        st.error(f"The model cannot run this scenario: {public(str(exc))}")
        session_store.stop()
    slot.empty()
    st.session_state.pop("pending_run", None)
    st.session_state["last_run"] = job
    session_store.autosave()  # a click reruns only run_controls: app.py's own save does not follow


@st.fragment
def run_controls(job: dict) -> None:
    """The Run button and the place of its progress bar, there whether or not a run is under way.

    A fragment: a click reruns only this, and the page is drawn again only when it has another run to show.
    So pressing Run on the run already shown (a stored run is shown without a click), or while the page is
    still being drawn, leaves the page and its map as they are instead of drawing them again in the browser
    (docs/performance.md, "App")."""
    clicked = st.button("Run the model", type="primary", key="run_button",
                        help="Runs the scenario with the seed, horizon and scale from the sidebar. Results are "
                             "kept: running the same scenario and seed again is instant.")
    slot = st.empty()
    shown, pending = st.session_state.get("last_run"), st.session_state.get("pending_run")
    if clicked:
        run_now(job, "Running", slot)
    elif pending:  # a run was under way when the page was reloaded: carry on (instant if it finished meanwhile)
        run_now(pending, "Resuming the run started before the reload", slot)
    if st.session_state.get("last_run") != shown:
        st.rerun()  # the whole page, for the new run


run_controls({"key": key, "seed": scenario.seed, "name": scenario.name, "network": str(scenario.network_path())})

last = st.session_state.get("last_run")
# already run (by anyone, in this server or stored on disk, e.g. by `python -m sim cache-runs`): show it at once
if not last and state.stored(key, scenario.seed):
    last = st.session_state["last_run"] = {"key": key, "seed": scenario.seed, "name": scenario.name,
                                           "network": str(scenario.network_path())}
if not last:
    # folium and the map modules are imported here, once the Run button is on screen
    from streamlit_folium import st_folium

    from ui import network_map

    st.info("No results yet: press **Run the model**. Meanwhile, the route network it runs on:")
    base = network_map.network_base_map(network, has_events=bool(scenario.events))
    layer, everywhere = network_map.network_layer(network, scenario.events, scenario.days)
    st_folium(base, feature_group_to_add=layer, key="network_map", height=520, use_container_width=True,
              returned_objects=[])
    if everywhere:
        st.caption("Events everywhere on the network: " + "; ".join(everywhere) + ".")
    session_store.stop()
if (last["key"], last["seed"]) != (key, scenario.seed):
    st.warning("The scenario or its settings changed since this run: the results below are for the previous "
               "version. Press **Run the model** to update them.")

with st.spinner("Loading results…"):
    results = state.cached_run(last["key"], last["seed"])
days = int(results.meta.get("days") or len(results.tables["daily"]))
o = results.summary["overall"]

st.subheader(f"Results: {last['name']}")
KPI_ROWS = [
    [("Crossing attempts", "attempts", 0, "Irregular attempts to cross a leg (people)."),
     ("Arrivals", "arrivals", 0, "People who reached a destination."),
     ("Deaths and missing", "deaths", 0, None),
     ("Deaths /1,000 attempts", "deaths_per_1000_attempts", 2, "Deaths and missing per 1,000 crossing attempts."),
     ("Interceptions", "interceptions", 0, None)],
    [("Stranded at the end", "stranded", 0, "Out of money on the way: most at risk of exploitation."),
     ("Took an alternative", "alternatives_taken", 0, "Legal pathway or vocational training."),
     ("Smuggler revenue", "smuggler_revenue_eur", 0, None),
     ("Proceeds seized", "proceeds_seized_eur", 0, None),
     ("Networks dismantled", "networks_dismantled", 0, None)],
]


def _exact(help_: str | None, value, digits: int, unit: str) -> str:
    """The help of a headline figure, ending with the figure in full (the headline is in compact units)."""
    full = "–" if value is None or value != value else f"{unit + ' ' if unit else ''}{value:,.{digits}f}"
    return ((help_ + " ") if help_ else "") + f"Exactly: {full}."


def show_kpis(overall: dict, ensemble: dict | None, done: int) -> None:
    """The headline figures: the ensemble's mean and 95 % interval; until it is done, the run shown."""
    # one wrapping row of fixed-width boxes: five a row on a laptop, three on a 1024 px projector, never cut
    box = st.container(horizontal=True, wrap=True, gap="small")
    for row in KPI_ROWS:
        for label, k, digits, help_ in row:
            col = box
            unit = "€" if k.endswith("_eur") else ""
            if ensemble is None:
                v = overall.get(k)
                col.metric(label, compact(v, digits, unit), help=_exact(help_, v, digits, unit), width=METRIC_PX)
                continue
            band = ensemble["overall"][k]
            spread = None
            if band["mean"] == band["mean"] and band["low"] != band["high"]:
                spread = f"{compact(band['low'], digits)} – {compact(band['high'], digits)}"
            col.metric(label, compact(band["mean"], digits, unit), delta=f"95%: {spread}" if spread else None,
                       delta_color="off", delta_arrow="off", help=_exact(help_, band["mean"], digits, unit),
                       width=METRIC_PX)
    if ensemble is None:
        st.caption(f"The run with seed {last['seed']}. The mean and 95% interval over {n_runs} runs replace these "
                   f"figures when the other runs are done ({done} of {n_runs} so far; they run in the background, "
                   "the map works meanwhile).")
    else:
        seeds = ensemble["seeds"]
        st.caption(f"Mean of {len(seeds)} runs (seeds {seeds[0]}–{seeds[-1]}) and its {INTERVAL_NOTE} "
                   f"(set the number of runs under Replicates in the sidebar). The map, the chart over time and "
                   f"the downloads show the run with seed {seeds[0]}.")


@st.cache_resource(show_spinner=False, max_entries=64)
def _ensemble(key: str, seeds: tuple[int, ...]) -> dict:
    return ensemble_summary(state.replicates(key, list(seeds))[0])


def ensemble_now(key: str, seeds: list[int]) -> tuple[dict | None, int]:
    """The ensemble's figures once all its runs are done (computed once), and how many are done."""
    runs, done = state.replicates(key, seeds)
    return (_ensemble(key, tuple(seeds)) if runs else None), done


@st.fragment(run_every=5)
def queue_line():
    """Where this session's runs are in the queue shared by everyone; asking every few seconds also tells the
    queue this page is still open (a session that stops asking is taken as closed and its runs dropped)."""
    q = state.queue_status()
    if q["position"] is None:
        if q["running"]:
            st.caption("Your last run is running.")
        return
    wait = f", about {max(q['wait_s'], 1):,.0f} s to go" if q["wait_s"] is not None else ""
    each = f" (one run takes about {q['mean_run_s']:,.0f} s)" if q["mean_run_s"] else ""
    st.caption(f"In the queue shared by everyone using the app: your next run is number {q['position']} of "
               f"{q['queued_total']} waiting{wait}{each}.")


n_runs = int(st.session_state.get("replicates", 5))
seeds = list(range(last["seed"], last["seed"] + n_runs))
try:
    ensemble, runs_done = ensemble_now(last["key"], seeds)
except InputError as exc:  # a replicate bigger than the session's memory budget: the one run only
    st.warning(f"No intervals: {public(str(exc))}")
    state.stop_replicates(last["key"])
    ensemble, runs_done = ensemble_now(last["key"], seeds)
show_kpis(o, ensemble, runs_done)
# the page does not redraw itself when the other runs are done (a redraw, even of part of the page,
# can swallow a click on a download): the figures update at the next interaction, or with this button
if ensemble is None:
    stopped = st.session_state.get("replicates_stopped") == last["key"]
    if stopped:
        st.caption(f"Stopped: {runs_done} of {n_runs} runs done; the others are not queued.")
    else:
        queue_line()
    a, b = st.columns([3, 1])
    a.button(f"Show the intervals ({runs_done} of {n_runs} runs done)", key="show_intervals",
             help="The other runs go on in the background; this redraws the figures with the runs done so far.")
    if stopped:
        b.button("Resume the runs", key="resume_replicates", on_click=state.resume_replicates)
    else:
        b.button("Stop the runs", key="stop_replicates", on_click=state.stop_replicates, args=(last["key"],),
                 help="Drop your runs still waiting in the queue (the one running finishes).")


# --------------------------------------------------------------------------- the map
def _toggle_play():
    playing = not st.session_state.get("map_playing", False)
    st.session_state["map_playing"] = playing
    if playing:
        st.session_state["map_hold"] = 2  # the click's rerun and the full rerun after it show the current day
        if st.session_state.get("map_day", 0) >= st.session_state.get("map_last_day", 0):
            st.session_state["map_day"] = 0  # at the end: play from the start


def map_body(run_id: str, seed: int, network_path: str, days: int, title: str):
    from streamlit_folium import st_folium

    from ui import maps, network_map

    playing = st.session_state.get("map_playing", False)
    step = int(st.session_state.get("map_step", 7))
    # a run of another length (or a first one) opens on its last day
    if st.session_state.get("map_last_day") != days - 1 or "map_day" not in st.session_state:
        st.session_state["map_day"] = days - 1
    st.session_state["map_last_day"] = days - 1
    st.session_state["map_day"] = min(int(st.session_state["map_day"]), days - 1)
    hold = st.session_state.get("map_hold", 0)
    if playing and hold > 0:
        st.session_state["map_hold"] = hold - 1
    elif playing:  # a tick of the play timer: next frame
        nxt = st.session_state["map_day"] + step
        if nxt > days - 1:
            st.session_state["map_playing"] = False
            st.session_state["map_day"] = days - 1
            st.rerun()
        st.session_state["map_day"] = nxt

    # The map is sent before its controls, which are drawn above it (in `controls`): on a first visit the
    # browser starts on the map's frame before it draws eight widgets (docs/performance.md, "App"). So the
    # map is built from the controls' values in the session (set by the browser before this run), or their
    # defaults, and the widgets are created after it.
    controls = st.container()
    st.session_state.setdefault("map_window", 30)  # defaults set here, not by index=: they may be restored
    st.session_state.setdefault("map_step", 7)
    leg_colour = _chosen("map_leg_colour", maps.LEG_COLOURS)
    place_size = _chosen("map_place_size", maps.PLACE_SIZES)
    country_shade = _chosen("map_country_shade", maps.COUNTRY_SHADES)
    window = _chosen("map_window", maps.WINDOWS)
    day = int(st.session_state["map_day"]) if days > 1 else 0
    tiles = bool(st.session_state.get("map_tiles", False))

    network = state.cached_network(network_path)
    frames = state.cached_frames(run_id, seed, network_path)
    scales = maps.run_scales(frames, window, leg_colour, place_size, country_shade)
    base = maps.run_base_map(network, window=window, leg_colour=leg_colour, place_size=place_size,
                             country_shade=country_shade, scales=scales, tiles=tiles, title=title)
    layer = maps.run_data_layer(network, frames, day, window=window, leg_colour=leg_colour, place_size=place_size,
                                country_shade=country_shade, scales=scales)
    events = scenario_from_key(run_id).events
    everywhere = network_map.add_events(layer, network, events, day, days)
    with st.container(key="run_map_box"):  # named, so that a test or benchmark finds the results map
        st_folium(base, feature_group_to_add=layer, key="run_map", height=560, use_container_width=True,
                  returned_objects=[])

    with controls:
        c1, c2, c3, c4 = st.columns(4)
        c1.selectbox("Leg colour", list(maps.LEG_COLOURS), key="map_leg_colour",
                     format_func=lambda k: f"{maps.LEG_COLOURS[k][0]} ({maps.LEG_COLOURS[k][1]})",
                     help="Colour of each leg. Width always shows the number of attempts.")
        c2.selectbox("Circle size", list(maps.PLACE_SIZES), key="map_place_size",
                     format_func=lambda k: maps.PLACE_SIZES[k][0])
        c3.selectbox("Country shading", list(maps.COUNTRY_SHADES), key="map_country_shade",
                     format_func=lambda k: maps.COUNTRY_SHADES[k][0] +
                     (f" ({maps.COUNTRY_SHADES[k][1]})" if maps.COUNTRY_SHADES[k][1] else ""))
        c4.selectbox("Flows counted over", list(maps.WINDOWS), key="map_window",
                     format_func=lambda w: maps.WINDOWS[w],
                     help="Leg widths and colours add up the days up to the chosen day.")
        d1, d2, d3, d4 = st.columns([6, 1.2, 1.2, 1.6], vertical_alignment="bottom")
        if days > 1:
            d1.slider("Day of the run", 0, days - 1, key="map_day",
                      help="Drag, or click the slider and use the arrow keys. Day 0 is the first day.")
        else:  # a slider needs two days to choose from
            d1.markdown("**Day 0**: the run has one day.")
        play = d2.button("⏸ Pause" if playing else "▶ Play", key="map_play", on_click=_toggle_play,
                         disabled=days < 2, help="Step through the run automatically.")
        d3.selectbox("Step", [1, 7, 30], key="map_step", format_func=lambda s: f"{s} d",
                     help="Days per frame when playing.")
        d4.checkbox("Internet tiles", key="map_tiles",
                    help="Off by default: the map works offline with the shipped country outlines. "
                         "On: adds OpenStreetMap tiles, which needs internet.")
        st.caption(f"Day {day:,} of {days - 1:,}: flows over {maps.WINDOWS[window]}; circles and countries on the "
                   "day. Hover over a leg, place or country for its figures"
                   + (", over a ! for an event (faded on days it is not on)." if len(events) > len(everywhere) else ".")
                   + (" Events everywhere: " + "; ".join(everywhere) + "." if everywhere else ""))
    if play:
        st.rerun(scope="app")  # the timer that steps the days is set up by a full rerun

    def map_file() -> str:
        m = maps.run_map(network, frames, day, window=window, leg_colour=leg_colour, place_size=place_size,
                         country_shade=country_shade, tiles=tiles, title=f"{title}: day {day}")
        return standalone_html(m)

    st.download_button("Download this map (HTML, works offline)", data=map_file,
                       file_name=f"map_{_slug(title)}_day{day}.html", mime="text/html", key="dl_map",
                       on_click="ignore")


def _chosen(key: str, options) -> object:
    """A map control's value before its widget is drawn: the session's (the widget's last value), else the
    first option, as the widget itself would show."""
    value = st.session_state.get(key)
    return value if value in options else next(iter(options))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "scenario"


st.subheader("Map")
playing = st.session_state.get("map_playing", False)
st.fragment(map_body, run_every=PLAY_SECONDS if playing else None)(
    last["key"], last["seed"], last["network"], days, last["name"])

# --------------------------------------------------------------------------- over time, corridors, downloads
def _panel(label: str, key: str):
    """A fold below the map whose content is drawn only while it is open (st.expander with on_change): the
    page's first draw stops at the map, so the browser draws the map without drawing a chart, a table and
    downloads at the same time (docs/performance.md, "App"). Opening one reruns only `details`."""
    fold = st.expander(label, key=key, on_change="rerun")
    return fold if fold.open else None


def over_time(daily: pd.DataFrame, run_id: str, days: int) -> None:
    measures = st.multiselect("Figures", list(DAILY_MEASURES), default=["attempts", "arrivals", "interceptions"],
                              format_func=lambda k: DAILY_MEASURES[k][0], key="run_measures")
    period = st.radio("Per", [1, 7, 30], index=1, horizontal=True, key="run_period",
                      format_func=lambda p: {1: "day", 7: "week (7 days)", 30: "30 days"}[p],
                      help="Flows (attempts, deaths…) are added up over the period; stocks (stranded…) are averaged.")
    if not measures:
        return
    from ui.charts import events_note, over_time_chart  # altair: imported once a chart is drawn

    whole = len(daily) // period * period if len(daily) >= period else len(daily)  # whole periods only
    daily = daily.iloc[:whole]
    chart = pd.DataFrame({"day": daily["day"] // period * period})
    for m in measures:
        chart[DAILY_MEASURES[m][0]] = daily[m]
    agg = {DAILY_MEASURES[m][0]: ("sum" if DAILY_MEASURES[m][1] == "flow" else "mean") for m in measures}
    chart = chart.groupby("day").agg(agg).reset_index().melt("day", var_name="figure", value_name="value")
    events = scenario_from_key(run_id).events
    st.altair_chart(over_time_chart(chart, "figure", "value", "as named in the legend", events, days),
                    width="stretch")
    note = events_note(events, days)
    if note:
        st.caption(note)


def by_corridor(run_id: str, seeds: list[int], ensemble: dict | None) -> None:
    if ensemble is None:
        st.caption(f"The run with seed {seeds[0]}; the intervals follow when the other runs are done.")
        figures = ensemble_summary([state.cached_slim_run(run_id, seeds[0])])
    else:
        st.caption(f"Mean of the {len(seeds)} runs, with the {INTERVAL_NOTE} in brackets.")
        figures = ensemble
    st.table(ensemble_corridor_table(figures).set_index("corridor"))


def downloads(results, name: str, seed: int) -> None:
    st.caption("Tables are tidy: one row per day (and leg, corridor, place, country or network). "
               "All figures are in people and euros, whatever the scale.")
    t1, t2, t3, t4 = st.columns([2, 1, 1, 2], vertical_alignment="bottom")
    table = t1.selectbox("Table", list(results.tables), key="dl_table",
                         format_func=lambda t: f"{t} ({len(results.tables[t]):,} rows)")
    stem = f"{_slug(name)}_seed{seed}_{table}"
    t2.download_button("CSV", data=lambda: results.tables[table].to_csv(index=False), file_name=f"{stem}.csv",
                       mime="text/csv", key="dl_csv", on_click="ignore")
    t3.download_button("Parquet", data=lambda: parquet_bytes(results.tables[table]), file_name=f"{stem}.parquet",
                       mime="application/octet-stream", key="dl_parquet", on_click="ignore")
    t4.download_button("All tables + summary (zip)", data=lambda: tables_zip(results),
                       file_name=f"{_slug(name)}_seed{seed}.zip", mime="application/zip",
                       key="dl_zip", on_click="ignore")
    with st.expander("Summary as JSON"):
        # st.json, not st.code: st.code's syntax highlighter is 1.5 MB of JavaScript that the browser would
        # compile while it draws the map above (docs/performance.md, "App")
        st.json(json.dumps(results.summary["overall"], default=float))


@st.fragment
def details(results, run_id: str, name: str, seeds: list[int], ensemble: dict | None, days: int) -> None:
    """The panels under the map, folded: each is drawn when opened, and stays open (its key) for this session."""
    if fold := _panel("Over time: the run's daily figures, per day, week or 30 days", "run_fold_time"):
        with fold:
            over_time(results.tables["daily"], run_id, days)
    if fold := _panel("By corridor: totals per corridor", "run_fold_corridor"):
        with fold:
            by_corridor(run_id, seeds, ensemble)
    if fold := _panel("Downloads: the tables (CSV, Parquet, zip) and the summary", "run_fold_downloads"):
        with fold:
            downloads(results, name, seeds[0])


details(results, last["key"], last["name"], seeds, ensemble, days)
