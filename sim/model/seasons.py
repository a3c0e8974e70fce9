"""Seasonality: departures vary by calendar month and corridor (weather, sea state).

`behaviour.seasonality` gives each corridor 12 multipliers (January to December). People choose their
corridor on the road, not at home, so the multipliers act on departures from each origin, weighted by
where that origin's people are expected to be counted at the bloc's border: an origin whose people all take
the Central Mediterranean follows its months exactly; one split between two corridors follows a blend.
The weights are the expected detections: the flows that size the networks, times the share of crossings
seen, plus the interceptions counted on the way (a leg intercepting a share p of attempts takes p / (1 - p)
failed attempts per person across, each counted as its authority counts them: Hungary's pushbacks at
Röszke, tried again and again, are most of the Western Balkans' detections). The multipliers are month
shares of detections, and a crossing nobody counts (most of those into Bulgaria) shows its season where
the person is counted next. Without the interceptions, an origin split between the Central Mediterranean
and the Western Balkans (Afghans, Pakistanis, Tunisians) weighed the Balkans at a third of what its people
were counted there, took the sea's winter, and the Western Balkans' simulated January-March came out at
little more than half of Frontex's month shares (0.57, 0.44, 0.43 against 0.88, 0.82, 0.77). The weights
are read at the start and again when a new year's route preferences or destinations take effect
(sim/model/yearly.py): the Syrians living in Turkey crossed the Aegean in 2016 and were counted on the
Western Balkans by 2022.

For the corridors of `behaviour.seasonality_on_crossings` the months act where the corridor is crossed
instead (crossing_go): of those who bought a place on one of its counted legs, a share multiplier / wait
days goes each day, the others wait there for a better day. A single multiplier of departures cannot serve people
counted on two corridors one after the other (the Aegean in September, Hungary's border weeks later): the
departures that fitted the Aegean's months put the Western Balkans' peak in October, a month and a half
after the Aegean's, where Frontex has it in November and December (docs/replay_log.md, twenty-sixth session).
"""

from __future__ import annotations

import numpy as np


def detections_per_crossing(world, risks) -> np.ndarray:
    """Per leg: the detections expected per person who gets across it, the crossing seen (on detection legs)
    and the failed attempts before it counted (interceptions by a bloc authority; a pushback as its authority
    counts it). Failed attempts are p / (1 - p) per success (p below 0.99: a leg that stops everybody carries
    nobody whose counts could weigh)."""
    p = np.minimum(risks.p_intercept, 0.99)
    counted = risks.pushback * world.pushback_counted + (1.0 - risks.pushback)
    failed = np.where(world.detects_interception, p / (1.0 - p) * counted, 0.0)
    return np.where(world.detects, risks.p_detect, 0.0) + failed


def origin_multipliers(world, perception, seasonality: dict[str, list[float]], values, leg_costs,
                       demand: np.ndarray, risks) -> np.ndarray | None:
    """Per calendar month and place (12 x places): the multiplier of departures. None when flat."""
    if not seasonality or all(np.allclose(m, 1.0) for m in seasonality.values()):
        return None
    months = np.ones((len(world.corridors), 12))
    for name, m in seasonality.items():
        months[world.corridors.index(name)] = m
    out = np.ones((12, world.n_places))
    per_crossing = detections_per_crossing(world, risks)
    counts = per_crossing > 0
    for place in np.flatnonzero(demand > 0):
        alone = np.zeros_like(demand)
        alone[place] = 1.0
        seen = perception.expected_flows(values, leg_costs, alone) * per_crossing
        # where this origin's people are counted at the bloc's border, by corridor
        by_corridor = np.bincount(world.corridor[counts], weights=seen[counts], minlength=len(world.corridors))
        if by_corridor.sum() > 0:
            out[:, place] = (by_corridor / by_corridor.sum()) @ months
    return out


def split_months(behaviour) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """behaviour.seasonality split into the corridors whose months act on departures and those whose months
    act on the crossings (behaviour.seasonality_on_crossings)."""
    on_crossings = set(behaviour.seasonality_on_crossings)
    departures = {c: m for c, m in behaviour.seasonality.items() if c not in on_crossings}
    crossings = {c: m for c, m in behaviour.seasonality.items() if c in on_crossings}
    return departures, crossings


def crossing_go(world, seasonality: dict[str, list[float]], wait_days: float,
                by_corridor: dict[str, float] | None = None,
                modes: tuple[str, ...] = ("land", "sea", "air")) -> np.ndarray | None:
    """Per calendar month and leg (12 x legs): the share of those who bought a place on the leg today who
    go (the others wait where they are for a better day): multiplier / wait days (the corridor's in
    `by_corridor`, else `wait_days`), at most 1, on the counted legs of a corridor with months; 1 on every
    other leg. None without seasonality (flat months still hold people a mean wait)."""
    by_corridor = by_corridor or {}
    if not seasonality:
        return None
    go = np.ones((12, world.n_legs))
    counted = (world.detects | world.detects_interception) & np.isin(world.mode, list(modes))
    for name, m in seasonality.items():
        legs = counted & (world.corridor == world.corridors.index(name))
        go[:, legs] = np.minimum(1.0, np.asarray(m, float) / by_corridor.get(name, wait_days))[:, None]
    return go
