"""sim.group_sum gives pandas' group sums to the last bit: on random blocks (either of pandas' two
algorithms, NaN, infinities, signed zeros, groups without rows) and on the blocks of a run's summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.group_sum import day_sums, group_sums

SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, 1.7976931348623157e308, -1.7976931348623157e308]


def pandas_sums(values: np.ndarray, labels: np.ndarray, n_groups: int) -> np.ndarray:
    """The tables' way (and sim/summary.py's before sim.group_sum): a DataFrame of the block, grouped by
    the labels, summed, groups without rows as 0.0."""
    names = [f"c{i}" for i in range(values.shape[0])]
    frame = pd.DataFrame(values.T, columns=names, copy=False)
    sums = frame.groupby(pd.Series(labels.ravel()), sort=True).sum()
    sums = sums.reindex(range(n_groups), fill_value=0.0)
    return np.stack([sums[k].to_numpy(np.float64) for k in names]) if names else np.zeros((0, n_groups))


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a.view(np.uint64), b.view(np.uint64))


@st.composite
def blocks(draw):
    n_cols = draw(st.integers(1, 4))
    n_rows = draw(st.integers(0, 300))
    n_groups = draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    labels = rng.integers(0, n_groups, n_rows)
    if draw(st.booleans()):  # sorted labels: pandas' reduceat path (unless a NaN is in the block)
        labels = np.sort(labels)
    kind = draw(st.sampled_from(["counts", "money", "wide", "mixed"]))
    if kind == "counts":  # model entries times a scale, as most columns
        values = rng.poisson(rng.uniform(0, 5), (n_cols, n_rows)) * float(draw(st.sampled_from([1, 10, 100, 1000])))
    elif kind == "money":  # euros: fractions of all sizes
        values = rng.lognormal(6, 3, (n_cols, n_rows)) * rng.choice([1.0, 0.0, -1.0], (n_cols, n_rows))
    elif kind == "wide":  # magnitudes far apart, where compensation and order matter most
        values = rng.standard_normal((n_cols, n_rows)) * 10.0 ** rng.integers(-20, 20, (n_cols, n_rows))
    else:
        values = rng.standard_normal((n_cols, n_rows)) * 1e3
    n_special = draw(st.integers(0, 3)) if n_rows else 0
    for _ in range(n_special):
        values[rng.integers(n_cols), rng.integers(n_rows)] = SPECIAL[draw(st.integers(0, len(SPECIAL) - 1))]
    return np.ascontiguousarray(values, dtype=np.float64), labels, n_groups


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning", "ignore:invalid value encountered:RuntimeWarning")
@settings(max_examples=600, deadline=None)
@given(blocks())
def test_random_blocks_same_bits_as_pandas(case):
    values, labels, n_groups = case
    assert same_bits(group_sums(values, labels, n_groups), pandas_sums(values, labels, n_groups))


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning", "ignore:invalid value encountered:RuntimeWarning")
@settings(max_examples=300, deadline=None)
@given(blocks(), st.integers(1, 30), st.integers(0, 12))
def test_day_sums_same_bits_as_pandas(case, days, n):
    """day_sums: the group sum of `days` runs of n rows each (a block of per-day rows), NaN and inf-inf
    (a NaN sum without a NaN) included."""
    values, _, _ = case
    values = np.resize(values, (values.shape[0], days * n))
    labels = np.repeat(np.arange(days), n)
    assert same_bits(day_sums(values, days), pandas_sums(values, labels, days))
    if values.size and n >= 2:
        values[np.isnan(values)] = 1.0
        values[0, 0], values[0, n - 1] = np.inf, -np.inf  # day 0's sum NaN, in a block without NaN
        assert np.isnan(day_sums(values, days)[0, 0])
        assert same_bits(day_sums(values, days), pandas_sums(values, labels, days))


@pytest.mark.parametrize("sorted_labels", [True, False])
def test_many_rows_same_bits_as_pandas(sorted_labels):
    """Long groups (a year of days per corridor), where NumPy's reduceat sums pairwise in blocks."""
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 12, 20_000)
    labels = np.sort(labels) if sorted_labels else labels
    values = rng.lognormal(3, 4, (5, labels.size)) * rng.integers(0, 2, (5, labels.size))
    assert same_bits(group_sums(values, labels, 15), pandas_sums(values, labels, 15))


def test_summary_blocks_same_bits_as_pandas():
    """The blocks and labels of a run's summary: per day (sorted labels) and per day and corridor."""
    from sim.model.spun_up import new_model
    from sim.summary import LEG_TOTALS, PLACE_TOTALS, block, leg_block

    model = new_model("scenarios/baseline.yaml", seed=2, days=60, scale=100)
    while model.running:
        model.step()
    rec, w, days = model.recorder, model.world, model.days
    legs = leg_block(rec, w, days, model.scale)
    rank = np.argsort(np.argsort(np.array(w.corridors, dtype=object)))
    cases = [
        (legs, np.repeat(np.arange(days), w.n_legs), days),
        (block(rec.place, PLACE_TOTALS, days, model.scale), np.repeat(np.arange(days), w.n_places), days),
        (legs, (np.arange(days)[:, None] * len(w.corridors) + rank[w.corridor][None, :]).ravel(),
         days * len(w.corridors)),
    ]
    for values, labels, n_groups in cases:
        assert values.shape[0] == len(LEG_TOTALS) or values.shape[0] == len(PLACE_TOTALS)
        assert values.any()
        assert same_bits(group_sums(values, labels, n_groups), pandas_sums(values, labels, n_groups))
