"""The shipped networks, scenarios and docs are complete and consistent."""

import json
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pytest
import shapely

from sim.network import SEA_END_BUFFER_KM, land_crossing_km, leg_cycles, load_network
from sim.scenario import Behaviour, Event, Intervention, Scenario, json_schema, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
EUROPE_CORRIDORS = {"Central Mediterranean", "Eastern Mediterranean", "Western Mediterranean", "Western African",
                    "Western Balkans", "Eastern Borders"}


@pytest.fixture(scope="module")
def land():
    world = gpd.read_file(ROOT / "geodata" / "countries_110m.geojson")
    return shapely.make_valid(shapely.union_all(world.geometry.values))


def test_europe_network_is_big_enough_and_has_every_corridor():
    n = load_network(ROOT / "geodata" / "europe")
    assert len(n.places) >= 50 and len(n.legs) >= 100
    assert EUROPE_CORRIDORS <= set(n.corridors)
    assert {"land", "sea", "air"} <= set(n.legs["mode"])
    assert set(n.places["kind"]) == {"origin", "hub", "departure", "landing", "destination"}


@pytest.mark.parametrize("name", ["europe", "americas"])
def test_the_shipped_networks_have_no_cycle(name):
    """People choose their next leg place by place (a logit over the legs' perceived costs with the cost-to-go):
    on a cycle of cheap legs that choice becomes a random walk. A road back from Thessaloniki to Athens made
    45,000 trips a year round Athens - Thessaloniki - Athens in the 2023 baseline (twenty-ninth session)."""
    assert leg_cycles(load_network(ROOT / "geodata" / name)) == []


def test_people_who_cross_the_evros_can_stay_in_greece():
    """With the border at Idomeni closed (a planner's route_closure of thessaloniki-skopje; the replay's until the
    twenty-ninth session) the Evros still leads to a destination in Greece, not only through Thessaloniki to
    Skopje: without one nobody crossed it in the replay's 2017 and 2018 (Frontex: 7,587 and 22,546 land
    detections on the Eastern Mediterranean)."""
    graph = load_network(ROOT / "geodata" / "europe").graph()
    graph.remove_edge("thessaloniki", "skopje")
    assert nx.has_path(graph, "evros", "athens_asylum")
    assert not nx.has_path(graph, "thessaloniki", "athens_asylum")  # the dead end the new leg goes round


@pytest.mark.parametrize("name", ["europe", "americas"])
def test_sea_legs_are_drawn_over_the_sea(land, name):
    n = load_network(ROOT / "geodata" / name)
    # the Darién boats cross the Gulf of Urabá, which is land on the 1:110m basemap: their ports' depth inside
    # it widens their buffers (checked on a 1 km land mask when the network was drawn, geodata/americas/SOURCES.md)
    over = land_crossing_km(n, land, end_buffer_km=SEA_END_BUFFER_KM)  # as `sim check`
    assert len(over) > 0
    assert (over < 1.0).all(), over[over >= 1.0].to_dict()


def test_a_network_written_from_the_docs_alone_runs(tmp_path):
    """tests/fixtures/horn_region was written from docs/geodata.md by someone who had not read the code."""
    path = ROOT / "tests" / "fixtures" / "horn_region.yaml"
    r = subprocess.run([sys.executable, "-m", "sim", "run", str(path), "--days", "60", "--out", str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["overall"]["arrivals"] > 0 and summary["overall"]["detections"] > 0


def _check_tiny(tmp_path, edit_legs, *flags) -> subprocess.CompletedProcess:
    """`sim check` on a scenario over a copy of the tiny network whose legs `edit_legs` changed in place."""
    import shutil

    net = tmp_path / "tiny"
    shutil.copytree(ROOT / "tests" / "fixtures" / "tiny", net)
    legs = json.loads((net / "legs.geojson").read_text())
    edit_legs(legs["features"])
    (net / "legs.geojson").write_text(json.dumps(legs))
    (tmp_path / "s.yaml").write_text("network: tiny\ndemand: [{origin: niamey, per_year: 10}]\n")
    return subprocess.run([sys.executable, "-m", "sim", "check", *flags, str(tmp_path / "s.yaml")],
                          capture_output=True, text=True, cwd=ROOT)


def test_check_warns_about_sea_legs_over_land(tmp_path):
    def overland(features):
        for f in features:
            if f["properties"]["id"] == "sfax-lampedusa":  # through Tunisia and Libya instead of over the sea
                f["geometry"]["coordinates"] = [[10.7603, 34.7406], [10.0, 33.0], [12.0, 32.0], [12.605, 35.509]]

    r = _check_tiny(tmp_path, overland)
    assert r.returncode == 0
    assert "sea leg 'sfax-lampedusa' crosses" in r.stderr
    clean = subprocess.run([sys.executable, "-m", "sim", "check", str(ROOT / "tests" / "fixtures" / "tiny.yaml")],
                           capture_output=True, text=True, cwd=ROOT)
    assert "warning" not in clean.stderr


def test_check_warns_about_a_cycle_of_legs(tmp_path):
    """A user's network with a way back (Lampedusa to Sfax by ferry) gets a warning from `sim check` naming the
    cycle, not an error: the model runs it, but people may go round it."""
    def way_back(features):
        back = json.loads(json.dumps(next(f for f in features if f["properties"]["id"] == "sfax-lampedusa")))
        back["properties"].update({"id": "lampedusa-sfax", "from": "lampedusa", "to": "sfax"})
        back["geometry"]["coordinates"] = back["geometry"]["coordinates"][::-1]
        features.append(back)

    r = _check_tiny(tmp_path, way_back)
    assert r.returncode == 0, r.stderr
    assert "go round in a cycle" in r.stderr and ("sfax -> lampedusa -> sfax" in r.stderr
                                                   or "lampedusa -> sfax -> lampedusa" in r.stderr), r.stderr
    strict = _check_tiny(tmp_path / "strict", way_back, "--strict")
    assert strict.returncode != 0 and "cycle" in strict.stderr and "Traceback" not in strict.stderr


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*baseline.yaml")), ids=lambda p: p.stem)
def test_the_shipped_baselines_check_strictly(path):
    """`sim check --strict` passes on each shipped network's baseline (the Americas' failed on the Gulf of
    Urabá, which the 1:110m basemap fills in, until the ports' buffers grew with their depth inland)."""
    r = subprocess.run([sys.executable, "-m", "sim", "check", "--strict", str(path)], capture_output=True,
                       text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr


def test_a_sea_leg_between_inland_places_is_still_over_land(land):
    """The inland allowance is capped: a land leg typed as sea (Niamey to Agadez) still crosses land."""
    import geopandas as gpd
    from shapely.geometry import LineString

    from sim.network import RouteNetwork

    legs = gpd.GeoDataFrame({"id": ["niamey-agadez"], "mode": ["sea"]},
                            geometry=[LineString([(2.1098, 13.5116), (7.9911, 16.9742)])], crs="EPSG:4326")
    net = RouteNetwork(folder=ROOT, places=None, legs=legs, countries=None, name="typo")
    assert land_crossing_km(net, land, end_buffer_km=SEA_END_BUFFER_KM).loc["niamey-agadez"] > 500


def test_leg_lengths_are_geodesic():
    n = load_network(ROOT / "tests" / "fixtures" / "tiny")
    leg = n.legs.set_index("id").loc["sfax-lampedusa"]
    assert leg["length_km"] == pytest.approx(188.5, abs=0.5)  # Sfax to Lampedusa on the WGS 84 ellipsoid


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_every_shipped_scenario_runs_from_the_cli(tmp_path, path):
    r = subprocess.run([sys.executable, "-m", "sim", "run", str(path), "--days", "20", "--scale", "50",
                        "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    keys = {"attempts", "arrivals", "interceptions", "deaths", "stranded", "alternatives_taken",
            "smuggler_revenue_eur", "proceeds_seized_eur", "networks_dismantled", "mean_fee_eur", "cost_eur"}
    assert keys <= set(summary["overall"])
    for row in summary["corridors"].values():
        assert keys <= set(row)
    for table in ("daily", "legs", "corridors", "places", "countries", "networks"):
        assert (tmp_path / f"{table}.parquet").stat().st_size > 0
    ensemble = json.loads((tmp_path / "ensemble.json").read_text())
    assert ensemble["replicates"] == 5 and len(ensemble["seeds"]) == 5
    for k in keys - {"mean_fee_eur"}:
        band = ensemble["overall"][k]
        assert band["low"] <= band["mean"] <= band["high"], k


def test_cli_totals_are_ensemble_means_with_intervals(tmp_path):
    """`sim run` prints and writes the mean of its replicates with a 95 % interval, the same whatever the
    number of worker processes; its tables are those of the first seed."""
    from sim import run
    from sim.compare import interval

    path = ROOT / "tests" / "fixtures" / "tiny.yaml"
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / workers
        r = subprocess.run([sys.executable, "-m", "sim", "run", str(path), "--days", "40", "--seed", "7",
                            "--replicates", "3", "--workers", workers, "--out", str(out)],
                           capture_output=True, text=True, cwd=ROOT)
        assert r.returncode == 0, r.stderr
        assert "3 runs (seeds 7-9)" in r.stdout and "±" in r.stdout
        outs.append(json.loads((out / "ensemble.json").read_text()))
    assert outs[0] == outs[1]
    attempts = [run(path, seed=s, days=40).summary["overall"]["attempts"] for s in (7, 8, 9)]
    mean, low, high = interval(attempts)
    band = outs[0]["overall"]["attempts"]
    assert band["mean"] == pytest.approx(mean) and band["low"] == pytest.approx(low) and low < mean < high
    first = json.loads((tmp_path / "1" / "summary.json").read_text())
    assert first["overall"]["attempts"] == attempts[0]


def test_pillar_scenarios_start_from_the_baseline():
    base, _ = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    pillars = {"prevention": "prevention", "response": "response", "alternatives": "alternatives"}
    for name, pillar in pillars.items():
        s, _ = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        assert s.demand == base.demand and s.corridors == base.corridors
        assert s.interventions and all(i.pillar == pillar for i in s.interventions)
    full, _ = load_scenario(ROOT / "scenarios" / "declaration.yaml")
    assert {i.pillar for i in full.interventions} == {"prevention", "response", "alternatives"}
    assert full.total_cost_eur() == pytest.approx(256e6, rel=0.01)


def test_docs_cover_every_field_and_the_schema_is_current():
    doc = (ROOT / "docs" / "scenarios.md").read_text()
    for model in (Scenario, Intervention, Event, Behaviour):
        for field in model.model_fields:
            assert f"`{field}`" in doc, f"docs/scenarios.md does not document {model.__name__}.{field}"
    assert json.loads((ROOT / "docs" / "scenario.schema.json").read_text()) == json.loads(json_schema())
    geo = (ROOT / "docs" / "geodata.md").read_text()
    for field in ("id", "from", "to", "mode", "corridor", "days", "fee_eur", "death_risk", "controlled",
                  "control_iso3", "smuggled", "commercial", "counts_detections"):
        assert f"`{field}`" in geo


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    commands = re.findall(r"^\s*(bash scripts/\S+\.sh)\s*$", readme, flags=re.M)
    assert "bash scripts/test.sh" in commands and "bash scripts/run-baseline.sh" in commands
    assert "bash scripts/test.sh" in ci


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios" / "experiments").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_every_shipped_experiment_checks(tmp_path, path):
    r = subprocess.run([sys.executable, "-m", "sim", "sweep", str(path), "--out", str(tmp_path / "o"), "--check"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert re.search(r"= \d+ runs", r.stdout + r.stderr)
