"""Per-day figures of a run, kept in preallocated arrays (model entries; scaled to people on output)."""

from __future__ import annotations

import numpy as np

from . import kernels
from .people import STATES

# departures: everyone who sets off on a leg, ordinary bus and flight legs included; the results derive
# irregular crossing attempts from them (departures on controlled or smuggled legs, see sim/results.py)
LEG_FLOWS = ("departures", "crossings", "interceptions", "pushbacks", "deaths", "refused_boarding", "paid",
             "revenue_eur", "detections")
LEG_LEVELS = ("price_eur", "capacity", "queue", "p_intercept", "p_death")
PLACE_FLOWS = ("created", "left", "stayed", "alternatives", "arrivals", "returned", "stranded_new")
PLACE_LEVELS = ("waiting", "stranded", "detained")
COUNTRY_FLOWS = ("arrests", "seized_eur", "bribes_eur")
COUNTRY_LEVELS = ("effectiveness", "corruption", "training")
# measures counted in model entries, multiplied by the scale on output (the rest are already in
# people or euros: network capacities, queues and money follow the people they stand for)
SCALED = {"departures", "crossings", "interceptions", "pushbacks", "deaths", "refused_boarding", "paid", "revenue_eur", "detections",
          *PLACE_FLOWS, *PLACE_LEVELS}


class Recorder:
    """The run's figures, day by day. The model hands it what it records; it reads nothing else."""

    def __init__(self, world, days: int, capacity_per_member: float, years: np.ndarray | None = None):
        self.world, self.capacity_per_member = world, capacity_per_member
        self.day = 0
        self.leg = {m: np.zeros((days, world.n_legs)) for m in LEG_FLOWS + LEG_LEVELS}
        self.place = {m: np.zeros((days, world.n_places)) for m in PLACE_FLOWS + PLACE_LEVELS}
        self.country = {m: np.zeros((days, world.n_countries)) for m in COUNTRY_FLOWS + COUNTRY_LEVELS}
        self.states = np.zeros((days, len(STATES)), dtype=np.int64)
        self.networks_active = np.zeros(days, dtype=np.int64)
        self.networks_dismantled = np.zeros(days, dtype=np.int64)
        self._network_days: list[tuple] = []  # the networks' figures of each day (see network_rows)
        self.dismantled_by_corridor = np.zeros((days, len(world.corridors)), dtype=np.int64)
        # detections at the bloc's border by corridor and nationality, over the whole run
        self.detections_by_origin = np.zeros((len(world.corridors), world.n_countries))
        # ... and by calendar year when the run has dates (`years`: each day's year, counted from the first),
        # which the replay's fit compares with detections by nationality and year: the running total is
        # kept as it stood at the start of each year, and a year's figures are the difference
        self.years = years
        self._year_start = {} if years is None else {0: self.detections_by_origin.copy()}
        self._rows_day = None  # the day of the rows below: today's row of every per-leg and per-place measure
        self._leg_rows, self._place_rows = {}, {}
        if days:
            self.begin_day(0)

    def begin_day(self, day: int):
        self.day = day
        if self.years is not None and day > 0 and self.years[day] != self.years[day - 1]:
            self._year_start[int(self.years[day])] = self.detections_by_origin.copy()
        if day != self._rows_day:  # (a spin-up's one-row recorder keeps its rows)
            self._rows_day = day
            self._leg_rows = {m: rows[day] for m, rows in self.leg.items()}
            self._place_rows = {m: rows[day] for m, rows in self.place.items()}

    @property
    def detections_by_year(self) -> np.ndarray | None:
        """Detections by calendar year (counted from the run's first), corridor and nationality, over the
        days run; None for a run without dates."""
        if self.years is None:
            return None
        starts = [self._year_start[y] for y in sorted(self._year_start)] + [self.detections_by_origin]
        return np.diff(np.stack(starts), axis=0)

    def leg_row(self, measure) -> np.ndarray:
        """Today's row of a per-leg measure: the phases' kernels count into it (detections by corridor
        and nationality go to `detections_by_origin`)."""
        return self._leg_rows[measure]

    def place_row(self, measure) -> np.ndarray:
        return self._place_rows[measure]

    def place_add_n(self, measure, place, n):
        self.place[measure][self.day, place] += n

    def network_gone(self, net):
        self.networks_dismantled[self.day] += 1
        self.dismantled_by_corridor[self.day, net.corridor] += 1

    def end_day(self, pop, market, risks, country_today: dict, networks, gone: np.ndarray):
        """The day's stocks and levels: people by state and place, each leg's market and risks, each
        country's figures, and every network (`networks` is the market's NetworkTable; rows marked in
        `gone` are recorded as no longer active)."""
        d = self.day
        place, leg = self._place_rows, self._leg_rows
        before = self.states[d - 1] if d > 0 else np.zeros(len(STATES), np.int64)
        kernels.record_people(pop.active, pop.state, pop.place, place["waiting"], place["stranded"],
                              place["detained"], self.states[d], before, place["arrivals"], leg["deaths"],
                              place["returned"], place["alternatives"], place["stayed"])
        kernels.record_legs(leg["price_eur"], leg["capacity"], leg["queue"], leg["p_intercept"], leg["p_death"],
                            market.price, market.capacity, market.queue_people, risks.p_intercept, risks.p_death)
        for name in COUNTRY_LEVELS:
            self.country[name][d] = country_today[name]
        n_nets = len(networks)
        self.networks_active[d] = n_nets - np.count_nonzero(gone)
        if n_nets:
            # arrests, seizures and bribes of the day, credited to the countries where they happened
            country = self.country
            kernels.record_networks(networks.where, networks.control, networks.seg, networks.arrested,
                                    networks.arrest_share, networks.seized, networks.seize_share, networks.leg_bribes,
                                    country["arrests"][d], country["seized_eur"][d], country["bribes_eur"][d])
            # one row per network and day, built into tuples only when the results are asked for
            self._network_days.append((d, networks.uid, networks.corridor, networks.members, networks.capital,
                                       networks.markup, networks.revenue, networks.bribes, networks.seized,
                                       networks.arrested, networks.reach, ~gone))

    @property
    def network_rows(self) -> list[tuple]:
        """(day, network id, corridor, members, capital, capacity, markup, revenue, bribes, seized,
        arrested, online reach, active) per network and day, in Python numbers."""
        if not self._network_days:
            return []
        days, *figures = zip(*self._network_days)
        cols = [np.concatenate(c) for c in figures]
        cols.insert(0, np.repeat(days, [len(ids) for ids in figures[0]]))
        cols.insert(5, cols[3] * self.capacity_per_member)
        return list(zip(*(c.tolist() for c in cols)))
