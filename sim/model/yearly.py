"""What changes by calendar year: demand per origin (`demand_by_year`), the nationalities' route
preferences (`nationality_preferences_by_year`), everybody's preference for a leg (`leg_preferences_by_year`)
and the destinations' appeal (`destinations_by_year`). All
change only on the first of January, so a measure's
effect within a year is never absorbed by them (the replay's rule, docs/scenarios.md). With
`behaviour.demand_lag_days` departures follow a new year's demand figure with that lag (`LaggedDemand`):
still one figure per origin and year, and no cliff on New Year, which no origin's people have."""

from __future__ import annotations

import math

import numpy as np

from ..calendar import dates
from .world import World, nationality_costs


class _ByYear:
    """One array per listed year. A day takes the latest listed year not after its own; days before the
    first listed year (the spin-up) take the first one."""

    def __init__(self, start_date, years: list[int], arrays: list[np.ndarray]):
        self.start_date = start_date
        self.years = np.array(years, dtype=np.int64)
        self.arrays = arrays
        self._current = -1

    def year_of(self, day: int) -> int:
        return int(dates(self.start_date, day).astype("datetime64[Y]").astype(np.int64)) + 1970

    def index_for(self, day: int) -> int:
        return self.index_of_year(self.year_of(day))

    def index_of_year(self, year: int) -> int:
        """The latest listed year not after `year` (the first before all), as an index into the arrays."""
        return max(0, int(np.searchsorted(self.years, year, side="right")) - 1)

    def for_day(self, day: int) -> np.ndarray | None:
        """The array if it changes today, else None."""
        i = self.index_for(day)
        if i == self._current:
            return None
        self._current = i
        return self.arrays[i]


class YearlyDemand(_ByYear):
    """Per-day demand arrays (people per day at each place) for each listed year. Origins not listed keep
    their `demand` figure."""

    def __init__(self, scenario, place_index: dict[str, int], flat: np.ndarray):
        years = sorted({y for by_year in scenario.demand_by_year.values() for y in by_year})
        arrays = []
        for year in years:
            demand = flat.copy()
            for origin, by_year in scenario.demand_by_year.items():
                demand[place_index[origin]] = by_year[latest_year(by_year, year)] / 365.0
            arrays.append(demand)
        super().__init__(scenario.start_date, years, arrays)

    def peak_per_day(self) -> float:
        return max(float(a.sum()) for a in self.arrays)


class LaggedDemand(YearlyDemand):
    """`behaviour.demand_lag_days` > 0: departures follow each year's figure with a lag. From 1 January the
    rate closes its gap to the year's figure exponentially, starting from where the year before left it
    (rate = figure + (rate on 1 January - figure) x exp(-days / lag)), so nobody's departures change
    overnight and no year's rate depends on a later year's figure: a measure's drop is never anticipated
    by demand. Before the first listed year the rate is that year's figure."""

    def __init__(self, scenario, place_index: dict[str, int], flat: np.ndarray, lag_days: float):
        super().__init__(scenario, place_index, flat)
        self.lag = float(lag_days)
        self.first_year, self.last_year = int(self.years[0]), int(self.years[-1])
        # each calendar year's figure from the first listed to the last (a year not listed takes the latest
        # listed before it) and the rate on its 1 January (math.exp: the C library's, the same on every CPU)
        self.figures = [self.arrays[self.index_of_year(y)] for y in range(self.first_year, self.last_year + 1)]
        self.on_jan1 = [self.figures[0]]
        for y, figure in zip(range(self.first_year, self.last_year), self.figures):
            length = int((np.datetime64(f"{y + 1}-01-01") - np.datetime64(f"{y}-01-01")).astype(np.int64))
            self.on_jan1.append(figure + (self.on_jan1[-1] - figure) * math.exp(-length / self.lag))

    def rate_on(self, day: int) -> np.ndarray:
        year = self.year_of(day)
        if year < self.first_year:
            return self.figures[0]
        year = min(year, self.last_year)  # after the last listed year its figure goes on
        i = year - self.first_year
        days = int((dates(self.start_date, day) - np.datetime64(f"{year}-01-01")).astype(np.int64))
        return self.figures[i] + (self.on_jan1[i] - self.figures[i]) * math.exp(-days / self.lag)

    def for_day(self, day: int) -> np.ndarray:
        """Today's rate: it changes every day."""
        return self.rate_on(day)


class YearlyPreferences(_ByYear):
    """Per year listed in either mapping, countries x legs: EUR added to `nationality_preferences` in that
    year, the nationality's (`nationality_preferences_by_year`) plus every row's per leg
    (`leg_preferences_by_year`). Each mapping takes its latest listed year not after this one (the first
    before all): a year's mapping replaces the previous year's, it does not add to it."""

    def __init__(self, scenario, world: World, leg_index: dict[str, int]):
        by_year, by_leg = scenario.nationality_preferences_by_year, scenario.leg_preferences_by_year
        years = sorted(set(by_year) | set(by_leg))
        arrays = []
        for year in years:
            costs = np.zeros((len(world.iso3), len(world.corridor)))
            if by_year:
                costs += nationality_costs(by_year[latest_year(by_year, year)], world.iso3, world.corridors,
                                           world.corridor, world.controlled)
            if by_leg:
                for leg, eur in by_leg[latest_year(by_leg, year)].items():
                    costs[:, leg_index[leg]] += eur
            arrays.append(costs)
        super().__init__(scenario.start_date, years, arrays)


def latest_year(by_year: dict, year: int) -> int:
    """The latest listed year not after `year` (the first listed before all)."""
    known = [y for y in sorted(by_year) if y <= year]
    return known[-1] if known else min(by_year)


class YearlyAppeal(_ByYear):
    """Per year listed for any destination, the appeal of every place (EUR): a listed destination takes its
    latest listed year not after this one (the first before all), the others their `destinations` figure."""

    def __init__(self, scenario, world: World, place_index: dict[str, int]):
        by_place = scenario.destinations_by_year
        years = sorted({y for by_year in by_place.values() for y in by_year})
        arrays = []
        for year in years:
            appeal = world.appeal.copy()
            for place, by_year in by_place.items():
                appeal[place_index[place]] = by_year[latest_year(by_year, year)]
            arrays.append(appeal)
        super().__init__(scenario.start_date, years, arrays)

