"""Seasonality: departures vary by calendar month and corridor (weather, sea state).

`behaviour.seasonality` gives each corridor 12 multipliers (January to December). People choose their
corridor on the road, not at home, so the multipliers act on departures from each origin, weighted by
where that origin's people are expected to be counted at the bloc's border: an origin whose people all take
the Central Mediterranean follows its months exactly; one split between two corridors follows a blend.
The weights are the expected detections (the flows that size the networks, times the share of crossings
seen): the multipliers are month shares of detections, and a crossing nobody counts (most of those into
Bulgaria) shows its season where the person is counted next. They are read at the start and again when a
new year's route preferences or destinations take effect (sim/model/yearly.py): the Syrians living in
Turkey crossed the Aegean in 2016 and were counted on the Western Balkans by 2022.
"""

from __future__ import annotations

import numpy as np


def origin_multipliers(world, perception, seasonality: dict[str, list[float]], values, leg_costs,
                       demand: np.ndarray, p_detect: np.ndarray) -> np.ndarray | None:
    """Per calendar month and place (12 x places): the multiplier of departures. None when flat."""
    if not seasonality or all(np.allclose(m, 1.0) for m in seasonality.values()):
        return None
    months = np.ones((len(world.corridors), 12))
    for name, m in seasonality.items():
        months[world.corridors.index(name)] = m
    out = np.ones((12, world.n_places))
    for place in np.flatnonzero(demand > 0):
        alone = np.zeros_like(demand)
        alone[place] = 1.0
        seen = perception.expected_flows(values, leg_costs, alone) * p_detect
        # where this origin's people are counted at the bloc's border, by corridor
        by_corridor = np.bincount(world.corridor[world.detects], weights=seen[world.detects],
                                  minlength=len(world.corridors))
        if by_corridor.sum() > 0:
            out[:, place] = (by_corridor / by_corridor.sum()) @ months
    return out
