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
half of Frontex's month shares. The weights are read at the start and again when a new year's route
preferences or destinations take effect (sim/model/yearly.py): the Syrians living in
Turkey crossed the Aegean in 2016 and were counted on the Western Balkans by 2022.
"""

from __future__ import annotations

import numpy as np


def detections_per_crossing(world, risks) -> np.ndarray:
    """Per leg: the detections expected per person who gets across it, the crossing seen (on detection legs)
    and the failed attempts before it counted (interceptions by a bloc authority; a pushback as its authority
    counts it). Failed attempts are p / (1 - p) per success (p below 0.99: a leg that stops everybody carries
    nobody whose counts could weigh)."""
    p = np.minimum(risks.p_intercept, 0.99)
    counted = world.pushback * world.pushback_counted + (1.0 - world.pushback)
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
