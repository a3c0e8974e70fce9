"""Fitting a destination's appeal by year (`destinations_by_year`) to its known arrivals by year.

The 2023 calibration fits Cyprus's appeal (`destinations.nicosia.appeal_eur`) to 2023's boat arrivals. In
the replay the same figure held for every year, and the route preferences by year, fitted per nationality
and *corridor*, moved Cyprus with the Aegean: Cyprus is on the Eastern Mediterranean, and the Syrians'
preference for that corridor in 2019, which the Aegean needed, sent 10,000 of them to Cyprus in the three
months after the way from Lebanon opened (UNHCR: 1,660 in the whole year), and the next year's took them
away again (2022: 800 against 3,952). A destination's appeal is the one figure that sets who lands there
and not on the rest of its corridor, so each year gets its own, fitted to that year's arrivals.

Fitted: the destinations of FITTED, whose country's sea arrivals are all theirs (the network's only
destination in that country, reached only by sea). Observed: UNHCR's sea arrivals of that country by year
(data/history, sim/history/sea.py), and for 2023, where UNHCR's series stops, the 2023 target of
data/observed_europe_2023.yaml (`destinations.<place>.arrivals`). A year with no simulated arrival keeps
the destination's own figure: the way there is closed (no appeal opens it); unless the fit has already moved
that year's figure, in which case it went too far down and comes back up.

Each step moves a year's appeal by damping x log(observed / simulated) / slope, the log bounded to +-MAX_LOG,
and keeps it within LIMIT_SPREADS route spreads of the destination's own `appeal_eur`. The slope (log arrivals
per EUR of appeal) differs from year to year by a factor of five: around Cyprus's 2023 figure, 2,000 EUR moved
the 2022 arrivals by a factor of ten and 6,500 EUR the 2019 ones by a factor of four (docs/replay_log.md,
thirteenth session). A fixed gain either crawled in 2019 or swung 2022 back and forth, so each year's slope is
read from its last two steps (a secant), within SLOPE_BOUNDS, and is 1 / STEP_EUR_PER_LOG until then.
"""

from __future__ import annotations

import math

import numpy as np

# destination place -> the landing country whose sea arrivals are all its own
FITTED = {"nicosia": "CYP"}
STEP_EUR_PER_LOG = 2000.0
SLOPE_BOUNDS = (1 / 8000.0, 1 / 500.0)  # log arrivals per EUR of appeal
MIN_SECANT_EUR = 50.0  # a year whose figure moved less than this keeps the slope it had
MAX_LOG = 1.5
LIMIT_SPREADS = 12.0


def observed_arrivals(first_year: int = 2016, last_year: int = 2023) -> dict[str, dict[int, float]]:
    """place -> year -> arrivals (UNHCR's sea arrivals of its country; the 2023 target where UNHCR has none)."""
    from ..files import read_yaml_mapping
    from .data import OBSERVED_2023
    from .sea import SCORED, observed_sea

    sea = observed_sea(first_year, last_year)
    targets = read_yaml_mapping(OBSERVED_2023, "observed figures").get("destinations") or {}
    out = {}
    for place, iso3 in FITTED.items():
        rows = sea[sea["country"] == SCORED[iso3]]
        years = {int(r["year"]): float(r["arrivals"]) for _, r in rows.iterrows()}
        if last_year >= 2023 and 2023 not in years and place in targets:
            years[2023] = float(targets[place]["arrivals"])
        out[place] = years
    return out


def simulated_arrivals(sea: dict[tuple[str, int], float], place: str) -> dict[int, float]:
    """year -> arrivals at `place` from the mean sea arrivals by (landing ISO3, year)."""
    iso3 = FITTED[place]
    return {year: value for (country, year), value in sea.items() if country == iso3}


def update_appeals(appeals: dict[str, dict[int, float]], base: dict[str, float],
                   observed: dict[str, dict[int, float]], simulated: dict[str, dict[int, float]],
                   spread: float, damping: float = 0.7,
                   previous: tuple[dict, dict] | None = None) -> dict[str, dict[int, float]]:
    """One damped step of each fitted destination's appeal by year. `appeals` the current figures (a year not
    listed starts from `base`, the destination's own appeal_eur); years with no simulated arrival keep theirs.
    `previous`: the figures and simulated arrivals of the step before, from which each year's slope is read."""
    out = {p: dict(ys) for p, ys in appeals.items()}
    before_appeal, before_sim = previous if previous is not None else ({}, {})
    limit = LIMIT_SPREADS * spread
    for place, years in observed.items():
        own = float(base.get(place, 0.0))
        figures = out.setdefault(place, {})
        got = simulated.get(place, {})
        for year, want in sorted(years.items()):
            now = float(figures.get(year, own))
            sim = float(got.get(year, 0.0))
            if want <= 0 or (sim <= 0 and now == own):
                figures[year] = round(now, 1)
                continue
            # none simulated where the fit has moved the figure: it went too far down, come back up
            log_err = math.log(want / sim) if sim > 0 else MAX_LOG
            slope = 1.0 / STEP_EUR_PER_LOG
            was, was_sim = (before_appeal.get(place) or {}).get(year), (before_sim.get(place) or {}).get(year, 0.0)
            if was is not None and abs(now - was) >= MIN_SECANT_EUR and sim > 0 and was_sim > 0:
                slope = float(np.clip(math.log(sim / was_sim) / (now - was), *SLOPE_BOUNDS))
            step = damping * float(np.clip(log_err, -MAX_LOG, MAX_LOG)) / slope
            figures[year] = round(float(np.clip(now + step, own - limit, own + limit)), 1)
    return out


__all__ = ["FITTED", "SLOPE_BOUNDS", "observed_arrivals", "simulated_arrivals", "update_appeals"]
