"""Intervals of counts and euros never go below zero; differences may; every interval says what it covers."""


import pandas as pd
import pytest

from sim.compare import daily_bands, ensemble_summary
from sim.stats import INTERVAL_NOTE, format_interval, interval, level_interval
from ui.tables import band_text


def _run(seed, deaths, revenue):
    return {"seed": seed, "overall": {"deaths": deaths, "smuggler_revenue_eur": revenue},
            "corridors": {"Sahara": {"deaths": deaths}},
            "daily": pd.DataFrame({"deaths": [deaths, 0, 0, 0, 0, 0, 0]})}


RUNS = [_run(1, 0, 10.0), _run(2, 0, 0.0), _run(3, 5, 0.0)]  # few small counts: the t-interval reaches below 0


def test_the_t_interval_of_small_counts_goes_negative_and_is_clipped():
    assert interval([0, 0, 5])[1] < 0  # what the app used to show ("deaths 2 (-1 – 4)")
    m, low, high = level_interval([0, 0, 5])
    assert low == 0.0 and m == pytest.approx(5 / 3) and high == interval([0, 0, 5])[2]
    # a difference keeps its negative bound
    assert interval([-1, 0, 5])[1] < 0 and level_interval([-1, 0, 5])[1] < 0


def test_ensemble_and_daily_bands_clip_counts_and_euros():
    ens = ensemble_summary(RUNS)
    assert ens["overall"]["deaths"]["low"] == 0.0 and ens["overall"]["smuggler_revenue_eur"]["low"] == 0.0
    assert ens["corridors"]["Sahara"]["deaths"]["low"] == 0.0
    bands = daily_bands(["A"], [RUNS], "deaths", period=7)
    assert (bands["low"] >= 0).all() and bands["high"].iloc[0] > bands["mean"].iloc[0]
    text = band_text(ens["overall"]["deaths"], 1)
    assert "(0.0 – " in text and "-" not in text.replace(" – ", "")


def test_printed_interval_of_a_clipped_count_is_not_plus_minus():
    m, low, high = level_interval([0, 0, 5])
    assert format_interval(m, low, high) == f"1.7 (0.0 to {high:.1f})"
    m, low, high = interval([10, 12, 14])
    assert format_interval(m, low, high).startswith("12.0 ±")


def test_the_note_says_what_the_interval_covers():
    assert "run-to-run variation" in INTERVAL_NOTE and "parameter uncertainty not included" in INTERVAL_NOTE
