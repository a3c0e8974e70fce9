"""The summary taken from the recorder's arrays (sim/summary.py) is the totals of the results tables to the
last bit, and `run_summary` gives the summary of `run` without the tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sim import run
from sim.run import run_summary

ROOT = Path(__file__).resolve().parents[1]
CASES = [  # scenario, seed, days, scale: interventions with costs, transit corridors, dates, another network
    ("scenarios/baseline.yaml", 3, 90, 100),
    ("scenarios/declaration.yaml", 5, 120, 100),
    ("scenarios/americas_baseline.yaml", 3, 60, 10),
    ("scenarios/history/europe_2016_2023.yaml", 2, 100, 200),
    ("tests/fixtures/tiny.yaml", 4, 60, 1),
]


def bits(summary: dict) -> str:
    """JSON writes every float by its repr, which tells apart any two floats that differ (-0.0 and 0.0 too)."""
    return json.dumps(summary, default=repr)


def table_totals(res) -> dict:
    """The summary's figures as sums of the results tables (the way the summary was computed before it was
    taken from the arrays)."""
    t = res.tables
    daily, corridors, networks = t["daily"], t["corridors"], t["networks"]

    def totals(frame) -> dict:
        paid, attempts = float(frame["paid"].sum()), float(frame["attempts"].sum())
        out = {k: float(frame[c].sum()) for k, c in (
            ("attempts", "attempts"), ("departures", "departures"), ("crossings", "crossings"),
            ("arrivals", "arrivals"), ("interceptions", "interceptions"), ("deaths", "deaths"),
            ("detections", "detections"), ("refused_boarding", "refused_boarding"),
            ("smuggler_revenue_eur", "revenue_eur"))}
        out["mean_fee_eur"] = float(frame["revenue_eur"].sum()) / paid if paid else None
        out["deaths_per_1000_attempts"] = 1000 * float(frame["deaths"].sum()) / attempts if attempts else None
        return out

    overall = totals(daily)
    overall.update({
        "stranded": float(daily["state_stranded"].iloc[-1]),
        "ever_stranded": float(daily["stranded_new"].sum()),
        "alternatives_taken": float(daily["alternatives"].sum()),
        "proceeds_seized_eur": float(daily["seized_eur"].sum()),
        "bribes_eur": float(daily["bribes_eur"].sum()),
        "arrests": float(daily["arrests"].sum()),
        "networks_dismantled": int(daily["networks_dismantled"].sum()),
        "networks_active_end": int(daily["networks_active"].iloc[-1]),
        **{k: float(daily[k].sum()) for k in ("created", "left", "stayed", "returned")},
    })
    seized = networks.groupby("corridor")["seized_eur"].sum() if len(networks) else {}
    per = {}
    for name in res.summary["corridors"]:
        frame = corridors[corridors["corridor"] == name]
        row = totals(frame)
        row["proceeds_seized_eur"] = float(seized.get(name, 0.0))
        row["networks_dismantled"] = int(frame["networks_dismantled"].sum())
        per[name] = row
    transit = [n for n in res.summary["corridors"]
               if not corridors.loc[corridors["corridor"] == n, "reaches_destination"].any()]
    return {"overall": overall, "corridors": per, "transit_corridors": transit}


@pytest.fixture(scope="module", params=CASES, ids=[Path(c[0]).stem for c in CASES])
def case(request):
    path, seed, days, scale = request.param
    return request.param, run(ROOT / path, seed=seed, days=days, scale=scale)


def test_summary_is_the_tables_totals_to_the_last_bit(case):
    _, res = case
    want = table_totals(res)
    got = res.summary
    assert got["transit_corridors"] == want["transit_corridors"]
    assert bits({k: got["overall"][k] for k in want["overall"]}) == bits(want["overall"])
    assert set(got["corridors"]) == set(want["corridors"])
    for name, row in want["corridors"].items():
        assert bits({k: got["corridors"][name][k] for k in row}) == bits(row), name


def test_run_summary_is_the_summary_of_run(case):
    (path, seed, days, scale), res = case
    fast = run_summary(ROOT / path, seed=seed, days=days, scale=scale)
    assert bits(fast) == bits(res.summary)
    assert res.summary["overall"]["attempts"] > 0  # a run with something to sum


def test_the_comparison_sees_a_last_bit_difference():
    a = {"overall": {"x": 0.1 + 0.2}}
    b = {"overall": {"x": 0.3}}
    assert a != b and bits(a) != bits(b)
    assert bits({"x": -0.0}) != bits({"x": 0.0})
    assert bits({"x": float(np.nextafter(1e6, 2e6))}) != bits({"x": 1e6})


def test_sums_follow_the_tables_summation_order():
    """On data where the order of summation shows in the last bits (random fractions, not the counts that
    make most of a run's figures exact in any order), the day sums and the day-and-corridor sums are the
    tables' groupby sums."""
    import pandas as pd

    from sim.summary import block, group_sums, per_day

    rng = np.random.default_rng(0)
    days, n = 40, 300
    arrays = {"revenue_eur": rng.lognormal(8, 2, (days, n)), "arrests": rng.random((days, n))}
    names = ["revenue_eur", "arrests"]
    corridor_of = np.array(["b", "c", "a"])[rng.integers(0, 3, n)]  # legs of three corridors, interleaved
    table = pd.DataFrame({"day": np.repeat(np.arange(days), n), "corridor": np.tile(corridor_of, days),
                          "revenue_eur": arrays["revenue_eur"].ravel() * 7, "arrests": arrays["arrests"].ravel()})
    values = block(arrays, names, days, scale=7)  # revenue is scaled, arrests are not
    want = table.groupby("day")[names].sum()
    got = per_day(values, names, days)
    for name in names:
        assert bits(got[name].tolist()) == bits(want[name].tolist())
    # the check can fail: NumPy's own row sums differ from these in the last bits
    assert bits((arrays["revenue_eur"] * 7).sum(axis=1).tolist()) != bits(want["revenue_eur"].tolist())
    # per day and corridor (sorted by name), with the corridors ranked by name as summarise does
    want = table.groupby(["day", "corridor"], sort=True)[names].sum()
    rank = {"a": 0, "b": 1, "c": 2}
    labels = np.arange(days)[:, None] * 3 + np.array([rank[c] for c in corridor_of])[None, :]
    got = group_sums(values, names, labels, days * 3)
    for name in names:
        assert bits(got[name].tolist()) == bits(want[name].tolist())
    # groups without rows sum to 0 (a corridor without legs)
    sums = group_sums(np.array([[1.0, 2.0, 4.0]]), ["x"], np.array([0, 0, 2]), 3)["x"]
    assert sums.tolist() == [3.0, 0.0, 4.0]
