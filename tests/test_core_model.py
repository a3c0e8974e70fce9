"""The model as a Mesa model: conservation of people, determinism, results."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model import RouteModel
from sim.model import people as P
from sim.scenario import parse_scenario
from sim.vocabulary import EVENT_KINDS as EVENTS
from sim.vocabulary import INTERVENTION_KINDS as KINDS


def check_conservation(model: RouteModel):
    """Every entry is in exactly one state, and stocks match the flows recorded so far."""
    pop, rec, d = model.people, model.recorder, model.steps - 1
    counts = pop.counts()
    assert counts.sum() == pop.n
    assert np.all(pop.state[: pop.n] >= 0) and np.all(pop.state[: pop.n] < len(P.STATES))
    assert (rec.states[d] == counts).all()
    created = rec.place["created"][: d + 1].sum()
    assert created == pop.n
    assert rec.place["arrivals"][: d + 1].sum() == counts[P.ARRIVED]
    assert rec.leg["deaths"][: d + 1].sum() == counts[P.DEAD]
    assert rec.place["alternatives"][: d + 1].sum() == counts[P.ALTERNATIVE]
    assert rec.place["stayed"][: d + 1].sum() == counts[P.STAYED]
    assert rec.place["returned"][: d + 1].sum() == counts[P.RETURNED]
    # the active list holds exactly the people not yet in a final state
    active = np.flatnonzero(pop.state[: pop.n] <= P.STRANDED)
    assert np.array_equal(np.sort(pop.active), active)
    # people on a leg are on a real leg that starts where they are recorded
    mv = active[pop.state[active] == P.MOVING]
    assert np.all(pop.leg[mv] >= 0)
    assert np.all(model.world.src[pop.leg[mv]] == pop.place[mv])
    assert np.all(pop.days_left[mv] >= 1)


lever = st.fixed_dictionaries({
    "kind": st.sampled_from(KINDS),
    "start": st.integers(0, 30),
    "length": st.integers(1, 40),
    "intensity": st.floats(0, 2),
    "cost_eur": st.floats(0, 1e7),
    "target": st.sampled_from([{}, {"countries": ["LBY"]}, {"corridors": ["Central Mediterranean"]},
                               {"countries": ["NER", "MLI"]}, {"legs": ["tripoli-lampedusa"]}]),
})
event = st.fixed_dictionaries({
    "kind": st.sampled_from(EVENTS),
    "start": st.integers(0, 30),
    "length": st.integers(1, 40),
    "intensity": st.floats(0, 3),
    "target": st.sampled_from([{}, {"countries": ["LBY"]}, {"corridors": ["Central Mediterranean"]},
                               {"places": ["niamey"]}]),
})


def _lever(d, is_event=False):
    out = {"kind": d["kind"], "start": d["start"], "end": d["start"] + d["length"],
           "intensity": d["intensity"], "targets": d["target"]}
    if not is_event:
        out["cost_eur"] = d["cost_eur"]
        if d["kind"] in ("legal_pathways", "vocational_training"):
            out["places_per_year"] = 5000
    elif d["kind"] == "network_shift":
        out["to_corridor"] = "Sahara"
    elif d["kind"] == "readmission":
        out["to_place"] = "agadez"
    elif d["kind"] == "visa_requirement":
        out["nationalities"] = ["NER"]
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    niamey=st.floats(0, 30000), bamako=st.floats(0, 30000), budget=st.floats(200, 8000),
    days=st.integers(5, 60), seed=st.integers(0, 2**31 - 1), scale=st.integers(1, 4),
    levers=st.lists(lever, max_size=4), events=st.lists(event, max_size=3),
)
def test_nobody_is_lost(tiny, niamey, bamako, budget, days, seed, scale, levers, events):
    base, network = tiny
    data = base.model_dump()
    data.update(days=days, seed=seed, scale=scale,
                demand=[{"origin": "niamey", "per_year": niamey, "budget_eur": budget},
                        {"origin": "bamako", "per_year": bamako, "budget_eur": budget}],
                interventions=[_lever(x) for x in levers], events=[_lever(x, True) for x in events])
    scenario = parse_scenario(data, base.source)
    model = RouteModel(scenario, routes=network)
    while model.running:
        model.step()
        check_conservation(model)
    res = model.results()
    daily = res.tables["daily"]
    states = daily[[f"state_{s}" for s in P.STATES]].sum(axis=1)
    assert (states == daily["created"].cumsum()).all()  # in people: every day, totals add up


def test_is_an_ordinary_mesa_model(tiny):
    import mesa

    from sim.model.agents import Authority, SmugglingNetwork

    scenario, network = tiny
    model = RouteModel(scenario, routes=network, days=10)
    assert isinstance(model, mesa.Model)
    assert len(model.agents_by_type[Authority]) == len(network.countries)
    assert len(model.agents_by_type[SmugglingNetwork]) >= 1
    for _ in range(10):
        model.step()
    assert not model.running
    assert model.steps == 10
    assert model.routes is network


def test_state_is_set_up_in_init_and_agents_do_not_write_into_the_model(tiny):
    """Every attribute of the model and its phases exists from the start; a day adds none, and an
    authority's step hands its figures back instead of writing them into the model."""
    from sim.model.agents import Authority

    scenario, network = tiny
    model = RouteModel(scenario, routes=network, days=3)
    parts = {"model": model, "market": model.market, "perception": model.perception,
             "journeys": model.journeys, "recorder": model.recorder}
    before = {name: set(vars(part)) for name, part in parts.items()}
    country_today = {k: v.copy() for k, v in model.country_today.items()}
    authority = next(iter(model.agents_by_type[Authority]))
    figures = authority.step(model.levers.today(1))
    assert set(figures) == set(country_today)
    for name, values in model.country_today.items():
        assert np.array_equal(values, country_today[name])  # the step above wrote nothing into the model
    while model.running:
        model.step()
    for name, part in parts.items():
        assert set(vars(part)) == before[name], name
    assert model.steps == model.days_run == 3


def test_constructible_from_a_path(tiny_path):
    model = RouteModel(str(tiny_path), days=5, seed=3)
    assert model.spec.seed == 3 and model.days == 5


def test_same_seed_same_tables_different_seed_different(tiny):
    from sim import run

    scenario, network = tiny
    a = run(scenario, seed=11, days=40, routes=network)
    b = run(scenario, seed=11, days=40, routes=network)
    c = run(scenario, seed=12, days=40, routes=network)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert a.summary == b.summary
    assert not a.tables["legs"].equals(c.tables["legs"])


def test_scale_reports_people_not_entries(tiny):
    """A coarser scale changes the noise, not the size of the figures."""
    from sim import run

    scenario, network = tiny
    fine = np.mean([run(scenario, seed=s, days=60, routes=network).summary["overall"]["attempts"]
                    for s in range(3)])
    coarse = np.mean([run(scenario, seed=s, days=60, scale=10, routes=network).summary["overall"]["attempts"]
                      for s in range(3)])
    assert coarse == pytest.approx(fine, rel=0.2)


def test_results_round_trip(tmp_path, tiny):
    from sim import run
    from sim.results import Results

    scenario, network = tiny
    res = run(scenario, days=20, routes=network)
    res.write(tmp_path)
    back = Results.read(tmp_path)
    for name in res.tables:
        pd.testing.assert_frame_equal(res.tables[name], back.tables[name], check_dtype=False)
    assert back.summary["overall"]["attempts"] == res.summary["overall"]["attempts"]
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_an_origin_abroad_starts_people_of_its_nationality(tmp_path, tiny_path):
    """An origin with `nationality` (people living abroad: Syrians in Turkey) starts people of that
    nationality: their detections count under it, wherever the origin lies (and they share their
    nationality's perception group). Bamako's people made Nigerien here: no Malian is detected any more."""
    import json
    import shutil

    from sim import run
    from sim.network import load_network
    from sim.scenario import scenario_data

    folder = tmp_path / "tiny"
    shutil.copytree(tiny_path.parent / "tiny", folder)
    places = json.loads((folder / "places.geojson").read_text())
    for f in places["features"]:
        if f["properties"]["id"] == "bamako":
            f["properties"]["nationality"] = "NER"
    (folder / "places.geojson").write_text(json.dumps(places))
    data = scenario_data(tiny_path)
    data.update(days=120)
    base = parse_scenario(data, tiny_path)
    moved = load_network(folder)
    assert dict(zip(moved.places["id"], moved.places["nationality"]))["bamako"] == "NER"
    before = run(base, seed=4, routes=load_network(tiny_path.parent / "tiny")).tables["origins"]
    after = run(base, seed=4, routes=moved).tables["origins"]
    by = lambda t: t.groupby("nationality")["detections"].sum()  # noqa: E731
    assert by(before).get("MLI", 0) > 0
    assert by(after).get("MLI", 0) == 0
    assert by(after).get("NER", 0) > by(before).get("NER", 0) + 0.5 * by(before).get("MLI", 0)
