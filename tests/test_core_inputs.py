"""Bad input: a clear one-line message naming the file and the field, exit code 2, no traceback."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.errors import InputError
from sim.network import load_network
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny"


def write_scenario(tmp_path, text, network=TINY):
    path = tmp_path / "s.yaml"
    path.write_text(text.replace("NETWORK", str(network)))
    return path


GOOD = """
name: t
network: NETWORK
days: 30
demand:
  - {origin: niamey, per_year: 1000}
"""


@pytest.mark.parametrize("text, field, words", [
    ("name: [unclosed\n", "line 2", "broken YAML"),
    ("- a\n- b\n", None, "must be a mapping"),
    (GOOD + "colour: red\n", "colour", "unknown field"),
    (GOOD.replace("days: 30", "days: soon"), "days", "valid integer"),
    (GOOD.replace("days: 30", "days: 0"), "days", "greater than or equal to 1"),
    (GOOD.replace("per_year: 1000", "per_year: -5"), "demand[0].per_year", "greater than or equal to 0"),
    (GOOD.replace("origin: niamey", "origin: atlantis"), "demand[0].origin", "unknown place 'atlantis'"),
    (GOOD.replace("origin: niamey", "origin: agadez"), "demand[0].origin", "not of kind 'origin'"),
    (GOOD + "countries:\n  FRA: {corruption: 0.2}\n", "countries.FRA", "not on the network"),
    (GOOD + "countries:\n  LBY: {corruption: 2}\n", "countries.LBY.corruption", "less than or equal to 1"),
    (GOOD + "corridors:\n  Atlantic: {risk_factor: 2}\n", "corridors.Atlantic", "unknown corridor"),
    (GOOD + "interventions:\n  - {kind: magic_wand}\n", "interventions[0].kind", "unknown value 'magic_wand'"),
    (GOOD + "interventions:\n  - {kind: anti_corruption, cost_eur: -1}\n", "interventions[0].cost_eur",
     "greater than or equal to 0"),
    (GOOD + "interventions:\n  - {kind: anti_corruption, start: 50, end: 10}\n", "interventions[0]",
     "must be after start"),
    (GOOD + "interventions:\n  - {kind: anti_corruption, targets: {countries: [XXX]}}\n",
     "interventions[0].targets.countries", "country XXX is not on the network"),
    (GOOD + "interventions:\n  - {kind: operational_cooperation, targets: {corridors: [Atlantic]}}\n",
     "interventions[0].targets.corridors", "unknown corridor 'Atlantic'"),
    (GOOD + "interventions:\n  - {kind: awareness_campaign, targets: {places: [nowhere]}}\n",
     "interventions[0].targets.places", "unknown place 'nowhere'"),
    (GOOD + "interventions:\n  - {kind: legal_pathways}\n", "interventions[0]", "places_per_year > 0"),
    (GOOD + "events:\n  - {kind: network_shift, to_corridor: Nowhere}\n", "events[0].to_corridor", "unknown corridor"),
    (GOOD + "events:\n  - {kind: earthquake}\n", "events[0].kind", "unknown value 'earthquake'"),
    (GOOD.replace("network: NETWORK", "network: /nonexistent/net"), None, "network folder not found"),
    (GOOD + "base: missing.yaml\n", "base", "not found"),
])
def test_bad_scenario_messages(tmp_path, text, field, words):
    path = write_scenario(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert words in msg
    if field:
        assert field in msg
    if "network folder" not in msg:
        assert str(path) in msg


def copy_net(tmp_path):
    dst = tmp_path / "net"
    shutil.copytree(TINY, dst)
    return dst


def edit(folder, name, fn):
    path = folder / name
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


def leg(data, lid):
    return next(f for f in data["features"] if f["properties"]["id"] == lid)


@pytest.mark.parametrize("change, file, words", [
    (lambda d: leg(d, "agadez-tripoli")["properties"].update({"to": "tripolis"}), "legs.geojson",
     "leg 'agadez-tripoli' (feature 4): field 'to': unknown place id 'tripolis'"),
    (lambda d: d["features"].append(d["features"][0]), "legs.geojson", "duplicate leg id 'niamey-agadez'"),
    (lambda d: leg(d, "sfax-lampedusa").update({"geometry": {"type": "LineString", "coordinates": []}}),
     "legs.geojson", "leg 'sfax-lampedusa'"),
    (lambda d: leg(d, "sfax-lampedusa").update({"geometry": None}), "legs.geojson", "geometry is empty"),
    (lambda d: leg(d, "sfax-lampedusa")["geometry"].update({"coordinates": [[10.76, 34.74], [5.0, 38.0]]}),
     "legs.geojson", "km from place 'lampedusa'"),
    (lambda d: leg(d, "sfax-lampedusa")["properties"].update({"death_risk": 1.5}), "legs.geojson",
     "field 'death_risk' must be in [0, 1)"),
    (lambda d: leg(d, "sfax-lampedusa")["properties"].update({"mode": "rocket"}), "legs.geojson", "field 'mode'"),
    (lambda d: leg(d, "sfax-lampedusa")["properties"].pop("days"), "legs.geojson", "field 'days' is missing"),
    (lambda d: leg(d, "sfax-lampedusa")["properties"].update({"control_iso3": "MLT"}), "legs.geojson",
     "country MLT is not in countries.csv"),
    (lambda d: d.pop("crs"), "legs.geojson", "crs: missing"),
    (lambda d: d["crs"]["properties"].update({"name": "EPSG:3857"}), "legs.geojson", "unexpected CRS"),
    (lambda d: d["features"].append(dict(d["features"][0])), "places.geojson", "duplicate place id 'niamey'"),
    (lambda d: d["features"][2].update({"geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}),
     "places.geojson", "geometry must be a Point"),
    (lambda d: d["features"].append({"type": "Feature", "properties": {
        "id": "island", "name": "Island", "kind": "hub", "iso3": "ITA"},
        "geometry": {"type": "Point", "coordinates": [15.0, 38.0]}}), "places.geojson",
     "place 'island' (feature 8): no origin can reach this place"),
    (lambda d: d["features"][0]["properties"].update({"iso3": "ATL"}), "places.geojson",
     "country ATL is not in countries.csv"),
    (lambda d: d["features"][0]["properties"].update({"nationality": "ATL"}), "places.geojson",
     "field 'nationality': country ATL is not in countries.csv"),
    (lambda d: d["features"][-1]["properties"].update({"nationality": "NER"}), "places.geojson",
     "field 'nationality' is for origins only"),
])
def test_bad_network_messages(tmp_path, change, file, words):
    folder = copy_net(tmp_path)
    edit(folder, file, change)
    with pytest.raises(InputError) as info:
        load_network(folder)
    msg = str(info.value)
    assert file in msg and words in msg, msg


def test_disconnected_origin(tmp_path):
    folder = copy_net(tmp_path)
    edit(folder, "legs.geojson", lambda d: d.update(features=[
        f for f in d["features"] if f["properties"]["from"] != "bamako"]))
    with pytest.raises(InputError, match="place 'bamako': this origin cannot reach any destination"):
        load_network(folder)


def test_bad_country_table(tmp_path):
    folder = copy_net(tmp_path)
    path = folder / "countries.csv"
    path.write_text(path.read_text().replace("LBY,Libya,0.4", "LBY,Libya,high"))
    with pytest.raises(InputError, match=r"countries.csv: line 5 \(LBY\): column 'enforcement' must be a number"):
        load_network(folder)


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_bad_input_exits_2_without_traceback(tmp_path):
    path = write_scenario(tmp_path, GOOD + "interventions:\n  - {kind: magic_wand}\n")
    for command in (["check", str(path)], ["run", str(path), "--out", str(tmp_path / "o")]):
        r = cli(*command)
        assert r.returncode == 2
        assert "Traceback" not in r.stderr
        assert r.stderr.startswith("error: ") and "interventions[0].kind" in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_cli_missing_file_and_help():
    r = cli("run", "no/such/file.yaml")
    assert r.returncode == 2 and "file not found" in r.stderr and "Traceback" not in r.stderr
    for command in ("run", "check", "compare", "schema"):
        r = cli(command, "--help")
        assert r.returncode == 0 and "Usage" in r.stdout


def test_results_cut_short_are_refused(tmp_path):
    from sim import run
    from sim.results import Results

    scenario, network = load_scenario(write_scenario(tmp_path, GOOD))
    run(scenario, routes=network, days=5).write(tmp_path / "out")
    legs = tmp_path / "out" / "legs.parquet"
    legs.write_bytes(legs.read_bytes()[:100])
    with pytest.raises(InputError, match="legs.parquet: cut short"):
        Results.read(tmp_path / "out")


def test_a_failed_run_keeps_earlier_results(tmp_path):
    good = write_scenario(tmp_path, GOOD)
    out = tmp_path / "out"
    assert cli("run", str(good), "--out", str(out), "--days", "5").returncode == 0
    before = (out / "summary.json").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text() + "colour: red\n")
    assert cli("run", str(bad), "--out", str(out)).returncode == 2
    assert (out / "summary.json").read_text() == before
