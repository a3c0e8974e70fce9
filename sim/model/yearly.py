"""Demand per origin by calendar year (`demand_by_year`): the daily arrivals at each origin in force on a
given day. Demand changes only on the first of January, so a measure's effect within a year is never
absorbed by demand (the replay's rule, docs/scenarios.md)."""

from __future__ import annotations

import numpy as np

from ..calendar import dates


class YearlyDemand:
    """Per-day demand arrays (people per day at each place) for each listed year.

    A day takes the latest listed year not after its own; days before the first listed year (the
    spin-up) take the first one. Origins not listed keep their `demand` figure."""

    def __init__(self, scenario, place_index: dict[str, int], flat: np.ndarray):
        self.start_date = scenario.start_date
        years = sorted({y for by_year in scenario.demand_by_year.values() for y in by_year})
        self.years = np.array(years, dtype=np.int64)
        self.arrays = []
        for year in years:
            demand = flat.copy()
            for origin, by_year in scenario.demand_by_year.items():
                known = [y for y in sorted(by_year) if y <= year] or [min(by_year)]
                demand[place_index[origin]] = by_year[known[-1]] / 365.0
            self.arrays.append(demand)
        self._current = -1

    def year_of(self, day: int) -> int:
        return int(dates(self.start_date, day).astype("datetime64[Y]").astype(np.int64)) + 1970

    def index_for(self, day: int) -> int:
        return max(0, int(np.searchsorted(self.years, self.year_of(day), side="right")) - 1)

    def for_day(self, day: int) -> np.ndarray | None:
        """The demand array if it changes today, else None."""
        i = self.index_for(day)
        if i == self._current:
            return None
        self._current = i
        return self.arrays[i]

    def peak_per_day(self) -> float:
        return max(float(a.sum()) for a in self.arrays)
