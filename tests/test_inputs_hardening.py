"""Issue 9, inputs: every broken scenario, network or YAML file is refused with one line naming the file
and the field (exit 2, no traceback), or warned about where the case can be legitimate; targets are
checked against what each kind of lever acts on; random edits of a valid scenario never crash `check`."""

import csv
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.cli import app
from sim.errors import InputError
from sim.network import MAX_LEG_DAYS, load_network
from sim.scenario import MAX_DAYS, load_scenario, parse_scenario, scenario_data

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny"
GOOD = {"name": "t", "network": str(TINY), "days": 30,
        "demand": [{"origin": "niamey", "per_year": 1000}, {"origin": "bamako", "per_year": 500}]}


def check(path, *options):
    result = CliRunner().invoke(app, ["check", str(path), *options])
    return result.exit_code, result.stdout, result.stderr


def assert_refused(path, file, field, words, *options):
    code, out, err = check(path, *options)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err + out
    assert str(file) in lines[0], lines[0]
    assert field in lines[0], lines[0]
    assert words in lines[0], lines[0]
    assert len(lines[0]) < 600, lines[0]  # values quoted are cut short


def scenario(tmp_path, text=None, **changes):
    path = tmp_path / "s.yaml"
    path.write_text(text if text is not None else yaml.safe_dump({**GOOD, **changes}, sort_keys=False))
    return path


def lever(kind, **fields):
    key = "events" if kind in ("surge", "route_closure", "sea_weather", "corruption_scandal", "network_shift",
                               "budget_cut") else "interventions"
    extra = {"places_per_year": 100} if kind in ("legal_pathways", "vocational_training") else {}
    return {key: [{"kind": kind, **extra, **fields}]}


# (changes to GOOD, field named in the message, words in it)
SCENARIO_CASES = [
    # targets a kind cannot use, or that reach nothing or everything
    (lever("route_closure", targets={"places": ["lampedusa"]}), "events[0].targets.places", "cannot use places"),
    (lever("route_closure"), "events[0].targets", "would close every leg"),
    (lever("route_closure", targets={"legs": ["sfax-lampedusa"]}, intensity=0), "events[0].intensity",
     "for route_closure it must be 1"),
    (lever("operational_cooperation", targets={"places": ["tripoli", "sfax"]}), "interventions[0].targets.places",
     "cannot use places"),
    (lever("legal_pathways", targets={"countries": ["LBY"]}), "interventions[0].targets", "none of its targets"),
    (lever("awareness_campaign", targets={"countries": ["TUN"]}), "interventions[0].targets", "none of its targets"),
    (lever("awareness_campaign", targets={"corridors": ["Sahara"]}), "interventions[0].targets.corridors",
     "cannot use corridors"),
    (lever("surge", targets={"corridors": ["Sahara"]}, intensity=2), "events[0].targets.corridors",
     "cannot use corridors"),
    (lever("awareness_campaign", targets={"places": ["agadez"]}), "interventions[0].targets.places",
     "acts on origins only"),
    (lever("sea_weather", targets={"corridors": ["Sahara"]}), "events[0].targets", "no sea legs"),
    (lever("transport_operator_cooperation", targets={"legs": ["tripoli-lampedusa"]}), "interventions[0].targets",
     "no commercial legs"),
    (lever("anti_corruption", targets={"places": ["agadez"]}), "interventions[0].targets.places",
     "cannot use places"),
    # intensities outside their documented range
    (lever("surge", targets={"countries": ["NER"]}, intensity=1000), "events[0].intensity", "less than or equal to 10"),
    (lever("budget_cut", targets={"countries": ["LBY"]}, intensity=5), "events[0].intensity", "between 0 and 1"),
    (lever("network_shift", targets={"corridors": ["Sahara"]}, to_corridor="Central Mediterranean", intensity=3),
     "events[0].intensity", "between 0 and 1"),
    (lever("anti_corruption", intensity=50), "interventions[0].intensity", "less than or equal to 10"),
    (lever("corruption_scandal", targets={"countries": ["LBY"]}, intensity=2), "events[0].intensity",
     "between 0 and 1"),
    # numbers that are not finite, not numbers, or out of their range
    ({"corridors": {"Sahara": {"preference_eur": float("nan")}}}, "corridors.Sahara.preference_eur", "finite"),
    ({"destinations": {"rome": {"appeal_eur": float("nan")}}}, "destinations.rome.appeal_eur", "finite"),
    ({"nationality_preferences": {"NER": {"Sahara": float("-inf")}}}, "nationality_preferences.NER.Sahara", "finite"),
    ({"corridors": {"Sahara": {"risk_factor": float("inf")}}}, "corridors.Sahara.risk_factor", "finite"),
    (lever("anti_corruption", cost_eur=float("inf")), "interventions[0].cost_eur", "finite"),
    (lever("sea_weather", intensity=float("inf")), "events[0].intensity", "finite"),
    ({"behaviour": {"budget_spread": float("inf")}}, "behaviour.budget_spread", "finite"),
    ({"demand": [{"origin": "niamey", "per_year": float("inf")}]}, "demand[0].per_year", "finite"),
    ({"demand": [{"origin": "niamey", "per_year": 1e15}]}, "demand[0].per_year", "less than or equal to"),
    ({"demand": [{"origin": "niamey", "per_year": 1000}, {"origin": "niamey", "per_year": 5}]}, "demand",
     "listed twice"),
    ({"days": True}, "days", "true/false"),
    ({"days": 40000}, "days", "less than or equal to 3650"),
    ({"behaviour": {"detention_days": 40000}}, "behaviour.detention_days", "less than or equal to 3650"),
    ({"seed": -1}, "seed", "greater than or equal to 0"),
    ({"interventions": [{"kind": "x" * 5000}]}, "interventions[0].kind", "unknown value"),
]


@pytest.mark.parametrize("changes, field, words", SCENARIO_CASES, ids=[c[1] + ":" + c[2] for c in SCENARIO_CASES])
def test_broken_scenarios_are_refused_in_one_line(tmp_path, changes, field, words):
    path = scenario(tmp_path, **changes)
    assert_refused(path, path, f"field '{field}'", words)


def test_a_measure_after_the_horizon_is_a_warning_that_strict_refuses(tmp_path):
    path = scenario(tmp_path, **lever("anti_corruption", targets={"countries": ["LBY"]}, start=100))
    code, out, err = check(path)
    assert code == 0 and out.startswith("ok:")
    assert "warning:" in err and "interventions[0].start" in err and "never acts" in err
    assert_refused(path, path, "interventions[0].start", "never acts", "--strict")


def test_a_target_country_without_origin_beside_one_with_is_a_warning(tmp_path):
    path = scenario(tmp_path, **lever("awareness_campaign", targets={"countries": ["NER", "LBY"]}))
    code, _, err = check(path)
    assert code == 0 and "country LBY has no origin" in err


def test_memory_estimate_refuses_a_run_that_cannot_fit(tmp_path):
    path = scenario(tmp_path, days=3650, demand=[{"origin": "niamey", "per_year": 1e8},
                                                 {"origin": "bamako", "per_year": 1e8}])
    assert_refused(path, path, "field 'demand'", "GiB")
    scenario(tmp_path, days=3650, scale=10_000, demand=[{"origin": "niamey", "per_year": 1e8}])
    assert check(tmp_path / "s.yaml")[0] == 0  # the same people at a coarser scale fit


# ---- YAML files


BILLION_LAUGHS = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))

YAML_CASES = [
    (BILLION_LAUGHS, "aliases expand"),
    ("name: a\nname: b\nnetwork: x\n", "given twice"),
    ("a: " + "[" * 100_000, "nested more than"),
]


@pytest.mark.parametrize("text, words", YAML_CASES, ids=["billion-laughs", "duplicate-key", "deep-nesting"])
def test_hostile_yaml_is_refused_fast(tmp_path, text, words):
    path = scenario(tmp_path, text=text)
    start = time.perf_counter()
    assert_refused(path, path, "", words)
    assert time.perf_counter() - start < 5


def test_billion_laughs_is_small(tmp_path):
    assert len(BILLION_LAUGHS) < 700


def test_big_and_binary_files_are_refused(tmp_path):
    big = scenario(tmp_path, text="# " + "x" * 6_000_000 + "\n")
    assert_refused(big, big, "", "larger than 5 MB")
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"name: \xff\xfe\n")
    assert_refused(binary, binary, "", "not a UTF-8")
    base = scenario(tmp_path, base="/dev/zero")
    assert_refused(base, "/dev/zero", "", "not a regular file")


# ---- networks


def copy_tiny(tmp_path) -> Path:
    net = tmp_path / "net"
    shutil.copytree(TINY, net)
    return net


def edit_geojson(path: Path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def feature(data, fid):
    return next(f for f in data["features"] if f["properties"]["id"] == fid)


def set_props(fid, **props):
    return lambda d: feature(d, fid)["properties"].update(props)


NETWORK_CASES = [
    ("legs.geojson", set_props("lampedusa-rome", days=40000), "lampedusa-rome", f"at most {MAX_LEG_DAYS}"),
    ("legs.geojson", set_props("lampedusa-rome", days=float("nan")), "lampedusa-rome", "must be a number"),
    ("places.geojson", lambda d: d["features"].__setitem__(0, 7), "feature 1", "not a GeoJSON Feature"),
    ("places.geojson", lambda d: d["features"][0].__setitem__("properties", "niamey"), "feature 1",
     "'properties' must be an object"),
    ("legs.geojson", lambda d: d["crs"].__setitem__("properties", "EPSG:4326"), "crs", "unexpected CRS"),
    ("places.geojson", lambda d: feature(d, "niamey")["geometry"].__setitem__("coordinates", [13.5137, 2.1098]),
     "niamey", "coordinates look swapped"),
]


@pytest.mark.parametrize("file, change, field, words", NETWORK_CASES, ids=[c[3] for c in NETWORK_CASES])
def test_broken_networks_are_refused_in_one_line(tmp_path, file, change, field, words):
    net = copy_tiny(tmp_path)
    edit_geojson(net / file, change)
    path = scenario(tmp_path, network=str(net))
    assert_refused(path, net / file, field, words)


def test_a_destination_with_a_leaving_leg_is_refused(tmp_path):
    net = copy_tiny(tmp_path)

    def add_leg(d):
        leg = json.loads(json.dumps(feature(d, "lampedusa-rome")))
        leg["properties"].update({"id": "rome-lampedusa", "from": "rome", "to": "lampedusa"})
        leg["geometry"]["coordinates"] = leg["geometry"]["coordinates"][::-1]
        d["features"].append(leg)

    edit_geojson(net / "legs.geojson", add_leg)
    path = scenario(tmp_path, network=str(net))
    assert_refused(path, net / "legs.geojson", "rome-lampedusa", "is a destination")


def test_duplicate_json_keys_are_refused(tmp_path):
    net = copy_tiny(tmp_path)
    text = (net / "places.geojson").read_text().replace('"kind": "origin"', '"kind": "origin", "kind": "hub"', 1)
    (net / "places.geojson").write_text(text)
    path = scenario(tmp_path, network=str(net))
    assert_refused(path, net / "places.geojson", "", "given twice")


def test_country_codes_must_be_iso(tmp_path):
    net = copy_tiny(tmp_path)
    for name in ("countries.csv", "places.geojson", "legs.geojson"):
        (net / name).write_text((net / name).read_text().replace("NER", "SOL"))
    path = scenario(tmp_path, network=str(net))
    assert_refused(path, net / "countries.csv", "SOL", "not an ISO 3166 alpha-3 code")


def test_non_utf8_country_table_is_refused(tmp_path):
    net = copy_tiny(tmp_path)
    (net / "countries.csv").write_bytes((net / "countries.csv").read_bytes().replace(b"Niger", b"Nig\xe9r"))
    path = scenario(tmp_path, network=str(net))
    assert_refused(path, net / "countries.csv", "", "not a UTF-8")


def test_a_place_in_another_country_is_a_warning_naming_it_and_its_distance(tmp_path):
    net = copy_tiny(tmp_path)
    edit_geojson(net / "places.geojson", set_props("niamey", iso3="MLI"))
    with (net / "countries.csv").open() as fh:
        assert any(r["iso3"] == "MLI" for r in csv.DictReader(fh))
    code, _, err = check(scenario(tmp_path, network=str(net)))
    assert code == 0
    assert "place 'niamey'" in err and "it is in NER" in err and "km from MLI" in err


def test_shipped_scenarios_check_clean():
    for path in [*sorted((ROOT / "scenarios").glob("*.yaml")), ROOT / "tests" / "fixtures" / "tiny.yaml"]:
        code, out, err = check(path)
        assert code == 0 and out.startswith("ok:"), (path, err)
        assert all("sea leg" in line for line in err.splitlines()), (path, err)  # only the known basemap notes


def test_day_counters_hold_every_allowed_day_count():
    from sim.model.people import Population

    for name in ("days_left", "broke_days", "born"):
        assert max(MAX_DAYS, MAX_LEG_DAYS + 1) <= np.iinfo(Population.FIELDS[name]).max


def test_the_command_line_refuses_without_a_traceback(tmp_path):
    """As a user runs it: a separate process, the hostile file and a negative seed."""
    path = scenario(tmp_path, text=BILLION_LAUGHS)
    start = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "sim", "check", str(path)], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert time.perf_counter() - start < 60
    good = scenario(tmp_path)
    res = subprocess.run([sys.executable, "-m", "sim", "run", str(good), "--seed", "-1", "--out",
                          str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


# ---- operational cooperation: the same participation rule with or without a corridor


def test_operational_cooperation_participation_does_not_depend_on_naming_the_corridor(tmp_path):
    from sim.model.levers import Levers
    from sim.model.world import World

    network = load_network(TINY)

    def boost(targets):
        spec = parse_scenario({**GOOD, **lever("operational_cooperation", targets=targets)})
        return Levers(spec, network, World.build(network, spec)).today(0).enforce_mult

    # LBY controls or starts legs on both corridors: naming no corridor means those of its legs
    without = boost({"countries": ["LBY"]})
    named = boost({"corridors": ["Sahara", "Central Mediterranean"], "countries": ["LBY"]})
    everyone = boost({"countries": ["LBY", "TUN", "DZA"]})
    leg = network.leg_index["tripoli-lampedusa"]
    assert np.array_equal(without, named)
    assert 1 < without[leg] < everyone[leg]


# ---- random edits of a valid scenario: accepted or InputError, nothing else

VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                   st.sampled_from(["niamey", "agadez", "LBY", "Sahara", "Central Mediterranean", "surge",
                                    "route_closure", "awareness_campaign", "sea_weather"]),
                   st.lists(st.sampled_from(["NER", "LBY", "Sahara", "sfax", "tripoli-lampedusa"]), max_size=3))
FIELDS = ["name", "days", "seed", "scale", "demand", "countries", "corridors", "behaviour", "interventions",
          "events", "destinations", "nationality_preferences"]


def mutate(data, draw):
    """Set one field somewhere in the scenario to a random value."""
    where = draw(st.sampled_from(["top", "demand", "lever", "behaviour", "targets"]))
    value = draw(VALUES)
    if where == "top":
        data[draw(st.sampled_from(FIELDS))] = value
    elif where == "demand":
        demand = data.get("demand")
        if not (isinstance(demand, list) and demand and isinstance(demand[0], dict)):
            data["demand"] = demand = [{"origin": "niamey", "per_year": 10}]  # an earlier edit replaced it
        demand[0][draw(st.sampled_from(["origin", "per_year", "budget_eur", "extra"]))] = value
    elif where == "behaviour":
        data["behaviour"] = {draw(st.sampled_from(["budget_spread", "detention_days", "value_of_day_eur"])): value}
    else:
        kind = draw(st.sampled_from(["surge", "route_closure", "awareness_campaign", "operational_cooperation",
                                     "sea_weather", "legal_pathways"]))
        item = {"kind": kind, **lever(kind)[next(iter(lever(kind)))][0]}
        if where == "lever":
            item[draw(st.sampled_from(["intensity", "start", "end", "kind", "places_per_year"]))] = value
        else:
            item["targets"] = {draw(st.sampled_from(["countries", "corridors", "legs", "places"])): value}
        group = next(iter(lever(kind)))
        data[group] = [*(data[group] if isinstance(data.get(group), list) else []), item]
    return data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_random_edits_of_a_valid_scenario_are_accepted_or_refused_cleanly(tmp_path, data):
    base = scenario_data(ROOT / "tests" / "fixtures" / "tiny.yaml")
    for _ in range(data.draw(st.integers(1, 3))):
        base = mutate(base, data.draw)
    path = tmp_path / "m.yaml"
    try:
        path.write_text(yaml.safe_dump(base, sort_keys=False, allow_unicode=True))
    except yaml.YAMLError:
        return
    try:
        load_scenario(path)
    except InputError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 600
