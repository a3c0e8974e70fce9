"""The Streamlit app, headless (streamlit.testing.v1.AppTest), on the tiny fixture network.

Checks that every page loads, that widgets change results, that runs are reused rather than rerun, that a bad
upload shows the schema's message without crashing, and that no map the app draws links anything online."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402
from streamlit.testing.v1.element_tree import UnknownElement  # noqa: E402

from sim.errors import InputError  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from ui import maps  # noqa: E402
from ui.leaflet import external_links, standalone_html  # noqa: E402
from ui.scenario_files import (  # noqa: E402
    MAX_UPLOAD_BYTES,
    SCENARIO_DIR,
    SHIPPED_DIRS,
    list_scenarios,
    read_upload,
    scenario_yaml,
)

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TINY = ROOT / "tests" / "fixtures" / "tiny"
DEMAND = [{"origin": "niamey", "per_year": 20000, "budget_eur": 3500},
          {"origin": "bamako", "per_year": 15000, "budget_eur": 3000}]
TIMEOUT = 120


@pytest.fixture(autouse=True)
def session_dir(tmp_path, monkeypatch):
    """Each test keeps its browser sessions' files in its own folder (never in out/)."""
    folder = tmp_path / "sessions"
    monkeypatch.setenv("SIM_APP_SESSIONS", str(folder))
    return folder


def _write(folder: Path, name: str, **extra) -> Path:
    data = {"name": name, "network": str(TINY), "days": 40, "seed": 3, "scale": 5, "demand": DEMAND, **extra}
    path = folder / f"{name.lower().replace(' ', '_')}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture()
def scenario_dir(tmp_path, monkeypatch):
    """Two small scenarios on the tiny network; the app lists only these."""
    _write(tmp_path, "Tiny A")
    _write(tmp_path, "Tiny B", interventions=[{"kind": "operational_cooperation", "name": "Joint patrols",
                                               "intensity": 2.0, "cost_eur": 5_000_000}])
    monkeypatch.setenv("SIM_APP_SCENARIOS", str(tmp_path))
    return tmp_path


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def _walk(node):
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield child
            yield from _walk(child)


def _folium_args(at: AppTest) -> list[dict]:
    out = []
    for e in _walk(at._tree):
        if isinstance(e, UnknownElement) and e.type == "component_instance" and "folium" in e.proto.component_name:
            out.append(json.loads(e.proto.json_args))
    return out


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _assert_offline(args: dict) -> None:
    links = list(args["js_links"]) + list(args["css_links"])
    assert links, "the map must load Leaflet from somewhere"
    for url in links:
        assert not url.lower().startswith(("http:", "https:", "//")), url
        assert url.startswith("/app/static/"), url
    for part in ("header", "html", "script", "feature_group"):
        text = args.get(part) or ""
        assert '<script src="http' not in text and "href=\"http" not in text, part
        assert external_links(text) == [], part
    for url in links:
        assert (ROOT / "static" / url.removeprefix("/app/static/")).is_file(), url


# --------------------------------------------------------------------------- run and map page
def test_run_page_runs_draws_an_offline_map_and_reuses_runs(scenario_dir):
    from ui import state

    at = _app()
    assert at.title[0].value.startswith("Run a scenario")
    assert any("No results yet" in i.value for i in at.info) or _folium_args(at)
    at.button(key="run_button").click().run()
    assert not at.exception, at.exception
    attempts = _metric(at, "Crossing attempts")
    assert attempts != "0"
    maps_drawn = _folium_args(at)
    assert len(maps_drawn) == 1
    args = maps_drawn[0]
    _assert_offline(args)
    assert "feature_group" in args and "L.geoJson" in args["feature_group"]

    store = state.run_store()
    misses, layer = store.misses, args["feature_group"]
    # moving the day slider changes the data layer only, and runs nothing
    at.slider(key="map_day").set_value(5).run()
    assert not at.exception, at.exception
    args2 = _folium_args(at)[0]
    assert args2["feature_group"] != layer
    assert args2["script"] == args["script"], "the base map must not be rebuilt when only the day changes"
    # changing a map indicator rebuilds the legend but runs nothing either
    at.selectbox(key="map_leg_colour").set_value("fee").run()
    at.selectbox(key="map_window").set_value(7).run()
    at.checkbox(key="map_tiles").check().run()  # opt-in internet tiles: still no CDN script or stylesheet
    assert not at.exception, at.exception
    _assert_offline(_folium_args(at)[0])
    assert "tile.openstreetmap.org" in _folium_args(at)[0]["script"]
    assert store.misses == misses, "moving map widgets must not rerun the model"

    # Play from the last day starts again from day 0 (the browser test sees it step)
    at.slider(key="map_day").set_value(39).run()
    at.button(key="map_play").click().run()
    assert not at.exception, at.exception
    assert at.session_state["map_playing"] is True
    assert at.slider(key="map_day").value == 0
    at.button(key="map_play").click().run()
    assert at.session_state["map_playing"] is False

    # a widget that changes the scenario changes the results after Run
    at.number_input(key="days_" + str(at.session_state["scn_rev"])).set_value(20).run()
    assert any("changed since this run" in w.value for w in at.warning)
    at.button(key="run_button").click().run()
    assert not at.exception, at.exception
    assert _metric(at, "Crossing attempts") != attempts
    assert not any("changed since this run" in w.value for w in at.warning)


def _wait_for_intervals(at: AppTest, timeout: float = 180) -> None:
    """The other replicates run in a background process: rerun the page until their intervals show."""
    import time

    start = time.monotonic()
    while not any(c.value.startswith("Mean of") and "(seeds" in c.value for c in at.caption):
        assert not at.exception, at.exception
        assert time.monotonic() - start < timeout, "the replicates for the intervals did not finish"
        time.sleep(0.2)
        at.run()


def test_run_page_figures_carry_their_ensemble_interval(scenario_dir):
    """Every headline figure is the mean of the replicates (this seed and the next ones) with its 95%
    interval, and so is every cell of the corridor table."""
    from sim import run
    from sim.compare import interval
    from sim.stats import INTERVAL_NOTE
    from ui.run_keys import scenario_from_key
    from ui.style import compact

    at = _app()
    at.button(key="run_button").click().run()
    assert not at.exception, at.exception
    _wait_for_intervals(at)
    metric = next(m for m in at.metric if m.label == "Crossing attempts")
    assert metric.delta.startswith("95%: ")
    assert any("Mean of 5 runs (seeds 3–7)" in c.value for c in at.caption)
    assert any(INTERVAL_NOTE in c.value for c in at.caption), "the interval says it is run-to-run variation only"
    key = at.session_state["last_run"]["key"]
    attempts = [run(scenario_from_key(key, s), seed=s).summary["overall"]["attempts"] for s in range(3, 8)]
    mean, low, high = interval(attempts)
    assert metric.value == compact(mean)
    assert metric.delta == f"95%: {compact(low)} – {compact(high)}"
    assert not at.table, "the corridor table is drawn only once its fold is opened"
    at.session_state["run_fold_corridor"] = True  # as a click on the fold does
    at.run()
    table = at.table[0].value
    assert table.loc["Central Mediterranean", "attempts"].endswith(")")


def test_seed_changes_results_and_same_seed_is_reused(scenario_dir):
    from ui import state

    at = _app()
    at.button(key="run_button").click().run()
    _wait_for_intervals(at)
    first = _metric(at, "Crossing attempts")
    rev = str(at.session_state["scn_rev"])
    at.number_input(key="seed_" + rev).set_value(4).run()
    at.button(key="run_button").click().run()
    assert not at.exception, at.exception
    _wait_for_intervals(at)
    assert _metric(at, "Crossing attempts") != first
    misses = state.run_store().misses
    at.number_input(key="seed_" + rev).set_value(3).run()
    at.button(key="run_button").click().run()
    assert any(c.value.startswith("Mean of 5 runs (seeds 3–7)") for c in at.caption)  # all kept: no wait
    assert _metric(at, "Crossing attempts") == first
    assert state.run_store().misses == misses, "seed 3 was run before: it must come from the store"


# --------------------------------------------------------------------------- uploads
@pytest.fixture()
def fixtures_as_data(monkeypatch, tmp_path):
    """Uploads may name networks and scenarios of a configured data folder: here the test fixtures."""
    monkeypatch.setenv("SIM_APP_DATA", os.pathsep.join([str(TINY.parent), str(tmp_path)]))


def test_bad_upload_shows_the_schema_message_and_keeps_running(scenario_dir, fixtures_as_data):
    at = _app()
    at.selectbox(key="scn_choice").set_value("Upload a scenario file…").run()
    assert not at.exception, at.exception
    bad = yaml.safe_dump({"name": "Bad", "network": "tiny", "demand": DEMAND,
                          "interventions": [{"kind": "teleportation"}]}).encode()
    at.file_uploader(key="scn_upload").set_value(("bad.yaml", bad, "application/x-yaml")).run()
    assert not at.exception, at.exception
    errors = " ".join(e.value for e in at.error)
    assert "bad.yaml" in errors and "interventions[0].kind" in errors and "teleportation" in errors
    # broken YAML: message with the line
    at.file_uploader(key="scn_upload").set_value(("broken.yaml", b"name: [unclosed\n", "application/x-yaml")).run()
    assert not at.exception, at.exception
    assert any("broken.yaml" in e.value and "broken YAML" in e.value for e in at.error)
    # a good upload becomes the scenario
    good = (scenario_dir / "tiny_a.yaml").read_bytes().replace(b"Tiny A", b"Uploaded tiny").replace(
        str(TINY).encode(), b"tiny")  # an upload names its network relative to the app's folders
    at.file_uploader(key="scn_upload").set_value(("good.yaml", good, "application/x-yaml")).run()
    assert not at.exception, at.exception
    assert not at.error
    assert at.session_state["scn_data"]["name"] == "Uploaded tiny"


def test_upload_handling_directly(tmp_path, fixtures_as_data):
    content = yaml.safe_dump({"name": "Up", "network": "../tests/fixtures/tiny", "days": 10, "demand": DEMAND}).encode()
    data, scenario, network = read_upload("up.yaml", content)  # relative to scenarios/, as if saved there
    assert scenario.name == "Up" and network.name == "tiny"
    with pytest.raises(InputError, match="limited to 1 MB"):
        read_upload("huge.yaml", b"#" * (MAX_UPLOAD_BYTES + 1))
    with pytest.raises(InputError, match="not a text file"):
        read_upload("bin.yaml", b"\xff\xfe\x00\x81")
    with pytest.raises(InputError, match=r"up\.yaml: line \d+, column \d+: broken YAML"):
        read_upload("up.yaml", b"a: [b\n")
    with pytest.raises(InputError, match="must be a mapping"):
        read_upload("list.yaml", b"- 1\n- 2\n")
    unknown_origin = yaml.safe_dump({"name": "X", "network": "tiny", "demand": [{"origin": "atlantis", "per_year": 5}]})
    with pytest.raises(InputError, match=r"x\.yaml: field 'demand\[0\]\.origin': unknown place 'atlantis'"):
        read_upload("x.yaml", unknown_origin.encode())
    with pytest.raises(InputError, match="negative|greater than or equal"):
        read_upload("neg.yaml", yaml.safe_dump({"name": "N", "network": "tiny", "demand": DEMAND, "interventions": [
            {"kind": "anti_corruption", "cost_eur": -5}]}).encode())
    # a base scenario is found in the data folders too, and errors name the upload
    (tmp_path / "base.yaml").write_text(yaml.safe_dump({"name": "B", "network": str(TINY), "demand": DEMAND}))
    data, scenario, _ = read_upload("child.yaml", yaml.safe_dump({"base": "base.yaml", "days": 12}).encode())
    assert scenario.days == 12 and scenario.name == "B"
    with pytest.raises(InputError, match=r"child\.yaml: base"):
        read_upload("child.yaml", yaml.safe_dump({"base": "no_such_file.yaml"}).encode())


# --------------------------------------------------------------------------- builder
def test_builder_edits_interventions_and_cost(scenario_dir):
    at = _app()
    at.switch_page("ui/pages/builder.py").run()
    assert not at.exception, at.exception
    assert [s.value.split(" ·")[0] for s in at.subheader][:3] == ["Prevention", "Response", "Alternatives"]
    assert _metric(at, "Package cost per year") == "€ 0"
    at.selectbox(key="add_kind_response").set_value("financial_investigations").run()
    at.button(key="add_response").click().run()
    assert not at.exception, at.exception
    costs = [n for n in at.number_input if n.key and n.key.endswith("_cost")]
    assert len(costs) == 1
    costs[0].set_value(2_500_000).run()
    assert _metric(at, "Package cost per year") == "€ 2.5 M"
    assert _metric(at, "Response") == "€ 2.5 M"
    at.button(key="add_alternatives").click().run()  # legal pathways by default
    assert not at.exception, at.exception
    assert _metric(at, "Alternatives") == "€ 1 M"
    assert [iv["kind"] for iv in at.session_state["scn_data"]["interventions"]] == [
        "financial_investigations", "legal_pathways"]
    # an end before the start: the schema's message, no crash
    p = "iv_" + f"{at.session_state['scn_rev']}_{at.session_state['iv_rev']}_0_"
    at.number_input(key=p + "start").set_value(60).run()
    at.number_input(key=p + "end").set_value(30).run()
    assert not at.exception, at.exception
    assert any("end (day 30) must be after start (day 60)" in e.value for e in at.error)
    at.number_input(key=p + "end").set_value(None).run()
    assert not at.error
    # remove the first: the second remains
    at.button(key=p + "remove").click().run()
    assert [iv["kind"] for iv in at.session_state["scn_data"]["interventions"]] == ["legal_pathways"]
    # the edited scenario runs on the Run page
    at.switch_page("ui/pages/run.py").run()
    at.button(key="run_button").click().run()
    assert not at.exception, at.exception
    assert _folium_args(at)


def test_downloaded_yaml_passes_check_in_scenarios_folder(scenario_dir):
    scenario, _ = load_scenario(scenario_dir / "tiny_b.yaml")
    text = scenario_yaml(scenario)
    data = yaml.safe_load(text)
    assert not Path(data["network"]).is_absolute(), "network should be relative to scenarios/"
    path = SCENARIO_DIR / f"_app_test_download_{os.getpid()}.yaml"
    try:
        path.write_text(text, encoding="utf-8")
        again, network = load_scenario(path)  # includes check_against_network
        assert again.total_cost_eur() == scenario.total_cost_eur() == 5_000_000
        assert again.interventions[0].kind == "operational_cooperation"
        out = subprocess.run([sys.executable, "-m", "sim", "check", str(path)], cwd=ROOT, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr
    finally:
        path.unlink(missing_ok=True)


def _wait_for_comparison(at: AppTest, timeout: float = 180) -> None:
    """The comparison's runs go through the shared queue: rerun the page (as its progress fragment does)
    until they are done."""
    import time

    start = time.monotonic()
    while "pending_comparison" in at.session_state and at.session_state["pending_comparison"]:
        assert not at.exception, at.exception
        assert time.monotonic() - start < timeout, "the comparison's runs did not finish"
        time.sleep(0.2)
        at.run()
    assert not at.exception, at.exception


# --------------------------------------------------------------------------- compare
def test_compare_page_kpis_costs_and_difference_map(scenario_dir):
    from ui.style import compact

    at = _app()
    at.number_input(key="replicates_input").set_value(2).run()
    at.switch_page("ui/pages/compare.py").run()
    assert not at.exception, at.exception
    chosen = at.multiselect(key="cmp_choice")
    options = chosen.options
    b = next(o for o in options if o.startswith("Tiny B"))
    chosen.set_value([options[0], b]).run()
    at.button(key="cmp_run").click().run()
    _wait_for_comparison(at)
    assert not at.exception, at.exception
    frames = [d.value for d in at.dataframe]
    kpis = frames[0]
    assert "Deaths and missing (people)" in kpis.index
    assert any("change [95%]" in c for c in kpis.columns)
    cost = next(f for f in frames if "€ per death avoided [95%]" in f.columns)
    # Tiny B's measure costs 5 M a year (an open-ended cost_eur is read per year): its 40 days are charged
    assert cost["extra cost"].iloc[0] == compact(5_000_000 * 40 / 365, unit="€") == "€ 548 k"
    drawn = _folium_args(at)
    assert len(drawn) == 1
    _assert_offline(drawn[0])
    assert "Change" in drawn[0]["feature_group"]
    # choosing another measure redraws without rerunning anything
    from ui import state

    misses = state.slim_store().misses
    at.selectbox(key="cmp_map_measure").set_value("deaths").run()
    at.selectbox(key="cmp_measure").set_value("state_stranded").run()
    assert not at.exception, at.exception
    assert state.slim_store().misses == misses


def test_experiments_page_loads(scenario_dir):
    at = _app()
    at.switch_page("ui/pages/experiments.py").run()
    assert not at.exception, at.exception
    assert at.title


def test_validation_page_shows_the_pages_generated_tables_and_chart(scenario_dir):
    """A planner sees in the app how close the model comes to 2023 and to the replay's shocks: the tables
    docs/validation.md holds (written by the validate-data and episodes commands) and the monthly chart."""
    from sim.history import doc

    at = _app()
    at.switch_page("ui/pages/validation.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "How well it fits"
    shown = "\n".join(m.value for m in at.markdown)
    for which in ("validate-data", "episodes", "monthly"):
        table = doc.read_section(ROOT / "docs" / "validation.md", which)
        assert table and table.strip() in shown, which
    assert "| EU-Turkey statement (20 Mar 2016) | EMR |" in shown and "figures matched" in shown
    assert sum(1 for e in _walk(at._tree) if getattr(e, "type", "") == "image") == 1  # the monthly chart


def test_no_scenarios_is_handled(tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_APP_SCENARIOS", str(tmp_path / "empty"))
    at = _app()
    assert any("No scenario" in i.value for i in at.info)


# --------------------------------------------------------------------------- standalone map file
def test_standalone_map_html_is_offline():
    from sim import run
    from sim.daily import run_frames

    scenario, network = load_scenario(ROOT / "tests" / "fixtures" / "tiny.yaml")
    res = run(scenario, routes=network, days=20, scale=10)
    frames = run_frames(res.tables, network)
    html = standalone_html(maps.run_map(network, frames, 10, title="t"))
    assert external_links(html) == []
    assert '<script src="http' not in html
    assert not re.search(r'<link[^>]+href="(https?:)?//', html)
    assert "L.geoJson" in html and "Leaflet 1.9.4" in html  # Leaflet inlined
    assert "url(data:image/png;base64," in html  # its images too


def test_shaded_countries_take_their_outlines_from_the_basemap():
    """The day's layer sends no country outline the basemap already drew: each shaded country names the
    basemap feature with its outline, the map keeps the basemap's outlines, and the layer reads them there."""
    from sim import run
    from sim.daily import run_frames
    from ui.basemap import country_shapes
    from ui.map_elements import GeoLayer

    scenario, network = load_scenario(ROOT / "tests" / "fixtures" / "tiny.yaml")
    frames = run_frames(run(scenario, routes=network, days=20, scale=10).tables, network)
    m = maps.run_map(network, frames, 10, title="t")
    layers = {e.layer_name: e for e in _walk_elements(m) if isinstance(e, GeoLayer)}
    base = json.loads(layers["countries"].data_js)["features"]
    shaded = json.loads(layers["country shading"].data_js)["features"]
    shapes = country_shapes(network)
    assert shaded and len(shaded) == len(shapes)
    for f in shaded:
        iso = re.search(r"\((\w+)\)$", f["properties"]["h"]).group(1)
        assert f["geometry"] is None
        assert base[f["properties"]["b"]]["geometry"] == shapes[iso], iso
    html = m.get_root().render()
    assert html.index("map.simShared = data.features") < html.index('"b":')  # kept before it is read
    assert html.count(f", map = {m.get_name()};") == 4  # basemap, shading, legs, places: all on this map


def _walk_elements(element):
    yield element
    for child in element._children.values():
        yield from _walk_elements(child)


def test_comparison_report_is_one_offline_page():
    from sim import run
    from sim.compare import compare_arms, slim
    from ui.report import report_html

    scenario, network = load_scenario(ROOT / "tests" / "fixtures" / "tiny.yaml")
    funded = scenario.model_copy(update={"interventions": [
        __import__("sim.scenario", fromlist=["Intervention"]).Intervention(
            kind="operational_cooperation", intensity=2.0, cost_eur=1_000_000)]})
    arms = [[slim(run(s, seed=k, days=30, scale=10, routes=network), k) for k in (1, 2)] for s in (scenario, funded)]
    comps = compare_arms(arms)
    html = report_html(["Baseline", "Funded"], [scenario, funded], comps, arms,
                       {"replicates": 2, "seeds": "1–2", "days": 30, "scale": 10}, network)
    assert "Changes against Baseline" in html and "Cost-effectiveness" in html and "Displacement" in html
    assert html.count("data:image/png;base64,") == 2  # charts over time + where flows moved (one alternative)
    assert external_links(html) == [] and "http" not in html.replace("http-equiv", "")


def test_the_app_offers_the_replay_and_the_planners_mirrors(monkeypatch):
    """Without SIM_APP_SCENARIOS the sidebar lists the shipped scenarios, the 2016-2023 replay and the
    planner's mirrors of its shocks (to compare with the baseline), the baseline first; each loads."""
    monkeypatch.delenv("SIM_APP_SCENARIOS", raising=False)
    shipped = list_scenarios()
    files = {p.relative_to(SCENARIO_DIR).as_posix() for p in shipped.values()}
    assert {"baseline.yaml", "history/europe_2016_2023.yaml", "history/mirrors/libya_coastguard.yaml",
            "history/mirrors/turkey_statement.yaml", "history/mirrors/balkan_crackdown.yaml"} <= files
    assert next(iter(shipped.values())).name == "baseline.yaml"
    assert any("Mirror of the EU-Turkey statement" in label for label in shipped)
    for path in shipped.values():
        load_scenario(path)  # raises with the file and the field if one does not load


def test_choosing_the_replay_in_the_sidebar_takes_its_dates_and_horizon(monkeypatch):
    """The replay, chosen like any scenario, sets the sidebar's horizon to its eight years (nothing runs
    until the user presses Run)."""
    monkeypatch.delenv("SIM_APP_SCENARIOS", raising=False)
    label = next(k for k, p in list_scenarios().items() if p.name == "europe_2016_2023.yaml")
    at = _app()
    at.selectbox(key="scn_choice").set_value(label).run()
    assert not at.exception, at.exception
    assert any(n.label == "Horizon (days)" and n.value == 2922 for n in at.sidebar.number_input)


@pytest.mark.parametrize("path", sorted(p for d in SHIPPED_DIRS for p in d.glob("*.yaml")),
                         ids=lambda p: p.relative_to(SCENARIO_DIR).as_posix())
def test_yaml_round_trip_of_shipped_scenarios(path):
    """Every shipped scenario, written back by the builder, reads as the same scenario from scenarios/."""
    try:
        scenario, _ = load_scenario(path)
    except InputError as exc:  # a shipped file that does not load is for the core tests to report
        pytest.skip(f"does not load: {exc}")
    tmp = SCENARIO_DIR / f"_app_test_round_trip_{os.getpid()}.yaml"
    try:
        tmp.write_text(scenario_yaml(scenario), encoding="utf-8")
        again, _ = load_scenario(tmp)
    finally:
        tmp.unlink(missing_ok=True)
    assert again.model_dump() == scenario.model_dump()


# --------------------------------------------------------------------------- colour-vision deficiencies
# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear RGB
MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}


def _lab(hex_colours: list[str], deficiency: str | None = None):
    """CIE L*a*b* (D65) of sRGB colours, as seen with a colour-vision deficiency when one is named."""
    import numpy as np

    rgb = np.array([[int(h.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)] for h in hex_colours])
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    if deficiency:
        lin = np.clip(lin @ np.array(MACHADO[deficiency]).T, 0, 1)
    xyz = lin @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def _legend_steps(palette: str, n: int = 6) -> list[str]:
    from ui.style import colour

    return [colour(v, 0, n - 1, palette) for v in range(n)]


def _cvd_problems(steps: list[str], grounds: list[str], deficiency: str | None) -> list[str]:
    """What makes a leg colour scale hard to read: adjacent legend steps closer than CIE76 delta-E 8, lightness
    that does not run one way, or a step closer than delta-E 10 to a colour it is drawn over."""
    import numpy as np

    lab = _lab(steps, deficiency)
    problems = []
    delta = np.linalg.norm(np.diff(lab, axis=0), axis=1)
    if delta.min() < 8:
        problems.append(f"adjacent steps {np.round(delta, 1)}")
    lightness = np.diff(lab[:, 0])
    if not ((lightness < 0).all() or (lightness > 0).all()):
        problems.append("lightness not monotonic")
    gap = np.linalg.norm(lab[:, None, :] - _lab(grounds, deficiency)[None, :, :], axis=2).min()
    if gap < 10:
        problems.append(f"a step is {gap:.1f} from a ground colour")
    return problems


@pytest.mark.parametrize("deficiency", [None, *MACHADO])
def test_palettes_survive_colour_blindness(deficiency):
    """Every leg colour scale, for normal vision and simulated protanopia, deuteranopia and tritanopia, over
    the land and over every country shading (at 0.6 opacity: its light half)."""
    from ui.style import LAND, PALETTES

    grounds = [LAND] + [c for key in maps.COUNTRY_SHADES if key != "none"
                        for c in PALETTES[maps.COUNTRY_SHADES[key][2]][:4]]
    for key, (_label, _unit, palette) in maps.LEG_COLOURS.items():
        assert _cvd_problems(_legend_steps(palette), grounds, deficiency) == [], (key, palette, deficiency)


def test_old_yellow_to_red_over_green_fails_the_check():
    """The check above is not vacuous: the former legs (yellow to red) over green countries fail it under
    protanopia and deuteranopia."""
    old_legs = ["#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026"]
    greens = ["#f7fcf5", "#e5f5e0", "#c7e9c0", "#a1d99b", "#74c476", "#41ab5d", "#238b45"]
    assert _cvd_problems(old_legs, greens, None) == []
    assert _cvd_problems(old_legs, greens, "protanopia")
    assert _cvd_problems(old_legs, greens, "deuteranopia")


# --------------------------------------------------------------------------- issue 12: the planners' app
SURGE = [{"kind": "surge", "name": "Drought", "targets": {"places": ["niamey"]}, "start": 10, "end": 20,
          "intensity": 2.0}]


def _feature_groups(at: AppTest) -> str:
    return " ".join(a.get("feature_group") or "" for a in _folium_args(at))


def test_routes_on_the_map_before_a_run_with_names_and_events(scenario_dir):
    _write(scenario_dir, "Tiny A", events=SURGE)  # the first scenario: the one the app opens on
    at = _app()
    assert "last_run" not in at.session_state
    drawn = _folium_args(at)
    assert len(drawn) == 1, "the network must be on the map before any run"
    _assert_offline(drawn[0])
    layer = drawn[0]["feature_group"]
    assert "Niamey" in layer and "niamey \u2192" not in layer and "niamey →" not in layer
    assert "Event: Surge of departures" in layer and "Drought" in layer
    assert "<details" in drawn[0]["script"], "the legend folds away"
    # after a run: the run map names places too, and shows the event (on day 15 it is on)
    at.button(key="run_button").click().run()
    at.slider(key="map_day").set_value(15).run()
    assert not at.exception, at.exception
    layer = _feature_groups(at)
    assert "Niamey" in layer and "Event: Surge" in layer and "(not on this day)" not in layer
    assert "fees paid at boarding" in layer and "some set out earlier" in layer
    at.slider(key="map_day").set_value(30).run()
    assert "(not on this day)" in _feature_groups(at)
    at.session_state["run_fold_time"] = True  # the chart over time is drawn once its fold is opened
    at.run()
    assert any("Shaded: the days an event" in c.value for c in at.caption)


def test_map_fits_the_bulk_of_a_large_network():
    from sim.network import load_network
    from ui.basemap import network_bounds, view_bounds

    net = load_network(ROOT / "geodata" / "europe")
    x0, y0, x1, y1 = view_bounds(net)
    w0, _, w1, _ = network_bounds(net)
    assert w1 - w0 > 150, "the network reaches from the Caribbean to China"
    assert x1 - x0 < 0.6 * (w1 - w0) and -30 < x0 and x1 < 90 and 0 < y0 < y1 < 65


@pytest.mark.parametrize("days", [1, 2, 3650])
def test_any_horizon_renders(scenario_dir, days):
    at = _app()
    rev = str(at.session_state["scn_rev"])
    at.number_input(key="days_" + rev).set_value(days).run()
    at.button(key="run_button").click().run()
    assert not at.exception, at.exception
    assert _folium_args(at)
    if days == 1:
        assert any("the run has one day" in m.value for m in at.markdown)
    else:
        assert at.slider(key="map_day").value == days - 1


def test_map_opens_on_the_last_day_after_a_horizon_change(scenario_dir):
    at = _app()
    at.button(key="run_button").click().run()
    assert at.slider(key="map_day").value == 39
    at.slider(key="map_day").set_value(5).run()
    rev = str(at.session_state["scn_rev"])
    at.number_input(key="days_" + rev).set_value(60).run()
    at.button(key="run_button").click().run()
    assert not at.exception, at.exception
    assert at.slider(key="map_day").value == 59


def _reopen(sid: str) -> AppTest:
    """The same browser session after a reload: a new Streamlit session with ?s=<id> in the address."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["s"] = sid
    at.run()
    assert not at.exception, at.exception
    return at


def test_reload_keeps_edits_settings_and_results(scenario_dir, session_dir):
    at = _app()
    sid = at.query_params["s"]
    sid = sid if isinstance(sid, str) else sid[0]
    rev = str(at.session_state["scn_rev"])
    at.number_input(key="seed_" + rev).set_value(9).run()
    at.number_input(key="days_" + rev).set_value(30).run()
    at.number_input(key="replicates_input").set_value(3).run()
    at.switch_page("ui/pages/builder.py").run()
    at.button(key="add_response").click().run()
    at.switch_page("ui/pages/run.py").run()
    at.button(key="run_button").click().run()
    attempts = _metric(at, "Crossing attempts")
    assert (session_dir / f"{sid}.json").is_file()

    again = _reopen(sid)
    data = again.session_state["scn_data"]
    assert (data["seed"], data["days"], again.session_state["replicates"]) == (9, 30, 3)
    assert [iv["kind"] for iv in data["interventions"]] == ["operational_cooperation"]
    assert again.session_state["last_run"]["seed"] == 9
    assert _metric(again, "Crossing attempts") == attempts
    assert again.number_input(key="replicates_input").value == 3
    # another id (another browser) starts afresh
    other = _reopen("0" * 32)
    assert other.session_state["scn_data"]["seed"] == 3


def test_a_run_in_progress_resumes_after_a_reload(scenario_dir, session_dir):
    from ui import state
    from ui.run_keys import run_key

    scenario, _ = load_scenario(scenario_dir / "tiny_b.yaml")
    scenario = scenario.model_copy(update={"days": 33})
    job = {"key": run_key(scenario), "seed": 11, "name": "Tiny B", "network": str(scenario.network_path())}
    assert (job["key"], 11) not in state.run_store()
    sid = "ab" * 16
    session_dir.mkdir(parents=True, exist_ok=True)
    (session_dir / f"{sid}.json").write_text(json.dumps({"pending_run": job}), encoding="utf-8")
    at = _reopen(sid)
    assert (job["key"], 11) in state.run_store(), "the pending run was not resumed"
    assert at.session_state["last_run"] == job and "pending_run" not in at.session_state
    assert "pending_run" not in json.loads((session_dir / f"{sid}.json").read_text())


def test_session_ids_cannot_name_other_files(session_dir):
    from ui.session_store import session_file

    for bad in ("../x", "/etc/passwd", "ABC", "a" * 31):
        with pytest.raises(ValueError):
            session_file(bad)
    assert session_file("f" * 32).parent == session_dir


def test_compare_defaults_to_baseline_vs_package_with_a_reference_control(scenario_dir):
    at = _app()
    at.number_input(key="replicates_input").set_value(2).run()
    at.switch_page("ui/pages/compare.py").run()
    assert not at.exception, at.exception
    chosen = at.multiselect(key="cmp_choice").value
    assert len(chosen) == 2 and chosen[0].startswith("Current scenario: Tiny A") and chosen[1].startswith("Tiny B")
    assert at.selectbox(key="cmp_reference").value == "Tiny A (current)"
    at.button(key="cmp_run").click().run()
    _wait_for_comparison(at)
    assert not at.exception, at.exception
    assert at.subheader[0].value == "Changes against Tiny A (current)"
    charts = [e for e in _walk(at._tree) if getattr(e, "type", None) in ("vega_lite_chart", "arrow_vega_lite_chart")]
    assert charts and "change_pct" in charts[0].proto.spec, "the forest plot comes first"
    change = at.dataframe[0].value
    assert list(change.columns) == ["Tiny A (current) (mean)", "Tiny B: change [95%]"]
    assert re.fullmatch(r"-?[\d.]+( k| M)? \[-?[\d.]+( k| M)?, -?[\d.]+( k| M)?\]",
                        change.loc["Irregular crossing attempts (people)", "Tiny B: change [95%]"])
    ranking = next(d.value for d in at.dataframe if "rank: deaths" in d.value.columns)
    assert list(ranking["scenario"]) == ["Tiny B"]
    # the other way round: Tiny B as the reference
    at.selectbox(key="cmp_reference").set_value("Tiny B").run()
    at.button(key="cmp_run").click().run()
    _wait_for_comparison(at)
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value.columns) == ["Tiny B (mean)", "Tiny A (current): change [95%]"]


def test_compact_numbers():
    from ui.style import compact

    assert [compact(x) for x in (0, 999, 12_345, -91_065, 906e6, 1.2345e9, 999_960)] == [
        "0", "999", "12.3 k", "-91.1 k", "906 M", "1.23 bn", "1 M"]
    assert compact(906e6, unit="€") == "€ 906 M" and compact(float("nan")) == "–" and compact(None) == "–"
    assert compact(2.456, 2) == "2.46"


def test_builder_speaks_the_screens_language(scenario_dir):
    at = _app()
    at.switch_page("ui/pages/builder.py").run()
    assert "Add a measure to Alternatives" in [s.label for s in at.selectbox]
    at.button(key="add_response").click().run()
    at.button(key="add_response").click().run()
    p = "iv_" + f"{at.session_state['scn_rev']}_{at.session_state['iv_rev']}_1_"
    at.number_input(key=p + "start").set_value(60).run()
    at.number_input(key=p + "end").set_value(30).run()
    assert not at.exception, at.exception
    errors = " ".join(e.value for e in at.error)
    assert "measure 2 (Operational cooperation along a route)" in errors and "interventions[" not in errors
    at.number_input(key=p + "end").set_value(None).run()
    cost = next(n for n in at.number_input if n.key.endswith("_cost"))
    assert cost.label == "Cost per year: € 1 M"
    # the description follows the package, so the saved file does not describe the old one
    desc = at.session_state["scn_data"]["description"]
    assert "Edited in the app: measures Operational cooperation" in desc
    at.text_input(key=f"desc_{at.session_state['scn_rev']}").set_value("My own words").run()
    at.button(key="add_prevention").click().run()
    assert at.session_state["scn_data"]["description"] == "My own words"


def test_report_has_a_difference_map_per_alternative_and_a4_print_css():
    from sim import run
    from sim.compare import compare_arms, slim
    from sim.scenario import Intervention
    from ui.report import report_html

    scenario, network = load_scenario(ROOT / "tests" / "fixtures" / "tiny.yaml")
    arms_s = [scenario] + [scenario.model_copy(update={"interventions": [
        Intervention(kind=k, intensity=2.0, cost_eur=1_000_000)]}) for k in ("operational_cooperation", "anti_corruption")]
    arms = [[slim(run(s, seed=k, days=30, scale=10, routes=network), k) for k in (1, 2)] for s in arms_s]
    html = report_html(["Baseline", "Patrols", "Integrity"], arms_s, compare_arms(arms), arms,
                       {"replicates": 2, "seeds": "1–2", "days": 30, "scale": 10}, network)
    assert html.count("data:image/png;base64,") == 3  # charts over time + one map per alternative
    assert "difference map: Patrols" in html and "difference map: Integrity" in html
    assert "@page{size:A4" in html


class _InlineRunner:
    """Runs a job as the queue starts it, in this process (submit/wait/close as sim.execute.Runner)."""

    def __init__(self):
        self.started = []

    def submit(self, item):
        import concurrent.futures as cf

        from ui.run_keys import slim_run

        self.started.append(item)
        fut = cf.Future()
        fut.set_result(slim_run(*item))
        return fut

    def wait(self, futures, timeout=0.0):
        return list(futures)

    def close(self, cancel=False):
        pass


def test_comparison_runs_go_through_the_shared_queue_taking_turns(scenario_dir, monkeypatch):
    """Two sessions' comparisons wait in the queue every session shares (showing their place in it) and
    start in turn; each page shows its comparison once its runs are done, the runs the same as run directly."""
    import pandas as pd

    from sim import run as sim_run
    from sim.compare import slim
    from ui import state
    from ui.job_queue import FairQueue
    from ui.run_keys import scenario_from_key

    runner = _InlineRunner()
    q = FairQueue(lambda: runner, start=False, on_result=state.slim_store().put, memory_budget=2**40)
    monkeypatch.setattr(state, "job_queue", lambda: q)
    sessions = []
    for seed in (101, 201):  # different seeds: no run is shared, each session queues its own four
        at = _app()
        next(n for n in at.number_input if n.label == "Seed").set_value(seed).run()
        at.number_input(key="replicates_input").set_value(2).run()
        at.switch_page("ui/pages/compare.py").run()
        at.button(key="cmp_run").click().run()
        assert not at.exception, at.exception
        assert at.session_state["pending_comparison"], "the comparison waits for its runs"
        n = len(sessions) + 1  # B's first run goes after A's first, before A's second
        assert any(f"is number {n} of {4 * n} waiting" in c.value for c in at.caption), [c.value for c in at.caption]
        at.button(key="cmp_stop")  # it can be stopped while it waits
        assert q.status(at.session_state["_sid"])["pending"] == 4
        sessions.append(at)
    while q._running or any(q._pending.values()):
        q.pump()
    seeds = [s for _key, s in runner.started]
    assert sorted(seeds) == [101, 101, 102, 102, 201, 201, 202, 202]
    assert ["A" if s < 200 else "B" for s in seeds] == ["A", "B"] * 4, f"the sessions take turns: {seeds}"
    for at in sessions:
        at.run()
        assert not at.exception, at.exception
        assert not at.session_state["pending_comparison"] if "pending_comparison" in at.session_state else True
        assert list(at.dataframe[0].value.columns) == ["Tiny A (current) (mean)", "Tiny B: change [95%]"]
    key, seed = runner.started[-1]
    scn = scenario_from_key(key, seed)
    direct = slim(sim_run(scn, seed=seed, routes=state.network_loader(scn.network_path())), seed)
    queued = state.slim_store().get((key, seed))
    assert direct.keys() == queued.keys()
    pd.testing.assert_frame_equal(direct.pop("legs"), queued.pop("legs"))
    assert repr(direct) == repr(queued), "a queued run is the run the page made itself before"


def test_stopping_a_comparison_drops_its_waiting_runs(scenario_dir, monkeypatch):
    from ui import state
    from ui.job_queue import FairQueue

    runner = _InlineRunner()
    q = FairQueue(lambda: runner, start=False, on_result=state.slim_store().put)
    monkeypatch.setattr(state, "job_queue", lambda: q)
    at = _app()
    next(n for n in at.number_input if n.label == "Seed").set_value(301).run()
    at.number_input(key="replicates_input").set_value(2).run()
    at.switch_page("ui/pages/compare.py").run()
    at.button(key="cmp_run").click().run()
    assert q.status(at.session_state["_sid"])["pending"] == 4
    at.button(key="cmp_stop").click().run()
    assert not at.exception, at.exception
    assert q.status(at.session_state["_sid"])["pending"] == 0 and not runner.started
    assert not at.session_state["pending_comparison"] if "pending_comparison" in at.session_state else True
    assert any("Run the comparison" in i.value for i in at.info)


def test_a_comparison_run_over_the_sessions_memory_budget_is_refused(scenario_dir, monkeypatch):
    from ui import state
    from ui.job_queue import FairQueue

    runner = _InlineRunner()
    q = FairQueue(lambda: runner, start=False, on_result=state.slim_store().put, memory_budget=1.0)
    monkeypatch.setattr(state, "job_queue", lambda: q)
    at = _app()
    next(n for n in at.number_input if n.label == "Seed").set_value(401).run()
    at.number_input(key="replicates_input").set_value(2).run()
    at.switch_page("ui/pages/compare.py").run()
    at.button(key="cmp_run").click().run()
    assert not at.exception, at.exception
    assert any("more than a session may use at once" in e.value for e in at.error), [e.value for e in at.error]
    assert not q._pending and not runner.started
    assert not at.session_state["pending_comparison"] if "pending_comparison" in at.session_state else True


def test_events_in_force_before_day_0_keep_the_charts_on_the_runs_days():
    """A standing condition (the baseline's closure of the ways into Ukraine and Serbia's visas for Tunisians and
    Iranians, from day -3650) or a measure dated before a replay's start is charted from day 0, not from its own start, which
    would squash the run's days into a sliver of the x axis; one on for the whole run is named in a caption
    instead of shading it all."""
    from ui.charts import event_marks, events_frame, events_note

    base, _ = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml")
    standing = base.events
    assert len(standing) >= 2 and all(e.start < 0 and e.end is None for e in standing)
    ev = events_frame(standing, 365)
    assert set(ev["start"]) == {0} and set(ev["end"]) == {365} and ev["throughout"].all()
    assert event_marks(standing, 365) is None
    assert events_note(standing, 365) == f"On throughout the run, not shaded: {'; '.join(ev['event'])}."
    # one on from before day 0 that ends inside the run is shaded from day 0, without a start rule; one that
    # starts inside the run gets both
    from sim.scenario import Event

    ending = Event(kind="route_closure", name="until day 100", targets={"legs": ["istanbul-kyiv"]}, start=-50,
                   end=100)
    later = Event(kind="route_closure", name="from day 200", targets={"legs": ["istanbul-kyiv"]}, start=200)
    ev = events_frame([*standing, ending, later], 365)
    assert ev["start"].min() == 0 and ev["end"].max() == 365
    assert events_note([*standing, ending, later], 365).startswith("Shaded: the days an event is on")
    spec = event_marks([*standing, ending, later], 365).to_dict()
    data = [row for d in spec["datasets"].values() for row in d]
    assert {r["event"] for r in data} == set(ev["event"].iloc[-2:])  # the standing ones not shaded
    assert all(r["start"] >= 0 for r in data)
    rules = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    assert len(rules) == 1
    assert [r["event"] for r in spec["datasets"][rules[0]["data"]["name"]]] == [ev["event"].iloc[-1]]
