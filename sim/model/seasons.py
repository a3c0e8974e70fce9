"""Seasonality: departures vary by calendar month and corridor (weather, sea state).

`behaviour.seasonality` gives each corridor 12 multipliers (January to December). People choose their
corridor on the road, not at home, so the multipliers act on departures from each origin, weighted by
where that origin's people are expected to cross into the bloc: an origin whose people all take the
Central Mediterranean follows its months exactly; one split between two corridors follows a blend.
The weights come from the expected flows at the start (the same that size the networks).
"""

from __future__ import annotations

import numpy as np


def origin_multipliers(world, perception, seasonality: dict[str, list[float]], values, leg_costs,
                       demand: np.ndarray) -> np.ndarray | None:
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
        flows = perception.expected_flows(values, leg_costs, alone)
        # where this origin's people cross into the bloc, by corridor
        by_corridor = np.bincount(world.corridor[world.detects], weights=flows[world.detects],
                                  minlength=len(world.corridors))
        if by_corridor.sum() > 0:
            out[:, place] = (by_corridor / by_corridor.sum()) @ months
    return out
