"""Per-day figures of a run, kept in preallocated arrays (model entries; scaled to people on output)."""

from __future__ import annotations

import numpy as np

from . import people as P

LEG_FLOWS = ("attempts", "crossings", "interceptions", "pushbacks", "deaths", "refused_boarding", "paid",
             "revenue_eur", "detections")
LEG_LEVELS = ("price_eur", "capacity", "queue", "p_intercept", "p_death")
PLACE_FLOWS = ("created", "left", "stayed", "alternatives", "arrivals", "returned", "stranded_new")
PLACE_LEVELS = ("waiting", "stranded", "detained")
COUNTRY_FLOWS = ("arrests", "seized_eur", "bribes_eur")
COUNTRY_LEVELS = ("effectiveness", "corruption", "training")
# measures counted in model entries, multiplied by the scale on output (the rest are already in
# people or euros: network capacities, queues and money follow the people they stand for)
SCALED = {"attempts", "crossings", "interceptions", "pushbacks", "deaths", "refused_boarding", "paid", "revenue_eur", "detections",
          *PLACE_FLOWS, *PLACE_LEVELS}


class Recorder:
    def __init__(self, model):
        self.model = model
        w, days = model.world, model.days
        self.day = 0
        self.leg = {m: np.zeros((days, w.n_legs)) for m in LEG_FLOWS + LEG_LEVELS}
        self.place = {m: np.zeros((days, w.n_places)) for m in PLACE_FLOWS + PLACE_LEVELS}
        self.country = {m: np.zeros((days, w.n_countries)) for m in COUNTRY_FLOWS + COUNTRY_LEVELS}
        self.states = np.zeros((days, len(P.STATES)), dtype=np.int64)
        self.networks_active = np.zeros(days, dtype=np.int64)
        self.networks_dismantled = np.zeros(days, dtype=np.int64)
        self.network_rows: list[tuple] = []
        self.dismantled_by_corridor = np.zeros((days, len(w.corridors)), dtype=np.int64)
        # detections at the bloc's border by corridor and nationality, over the whole run
        self.detections_by_origin = np.zeros((len(w.corridors), w.n_countries))

    def begin_day(self):
        self.day = self.model.day

    def leg_add(self, measure, legs, weights=None):
        if len(legs):
            self.leg[measure][self.day] += np.bincount(legs, weights=weights, minlength=self.model.world.n_legs)

    def detections(self, people, legs):
        """Tally detections (crossings or bloc interceptions on detection legs) by corridor and nationality."""
        if len(people):
            w = self.model.world
            nationality = w.place_country[self.model.people.origin[people]]
            np.add.at(self.detections_by_origin, (w.corridor[legs], nationality), 1)
            self.leg_add("detections", legs)

    def place_add(self, measure, places):
        if len(places):
            self.place[measure][self.day] += np.bincount(places, minlength=self.model.world.n_places)

    def place_add_counts(self, measure, places, counts):
        self.place[measure][self.day, places] += counts

    def place_add_n(self, measure, place, n):
        self.place[measure][self.day, place] += n

    def network_gone(self, net):
        self.networks_dismantled[self.day] += 1
        self.dismantled_by_corridor[self.day, net.corridor] += 1

    def end_day(self):
        m, d, w = self.model, self.day, self.model.world
        pop = m.people
        a = pop.active
        n_p = w.n_places
        key = pop.state[a].astype(np.int64) * n_p + pop.place[a]
        by_place = np.bincount(key, minlength=4 * n_p).reshape(4, n_p)
        self.place["waiting"][d] = by_place[P.WAITING]
        self.place["stranded"][d] = by_place[P.STRANDED]
        self.place["detained"][d] = by_place[P.DETAINED]
        # final states only ever grow: their stocks are the sums of the day's flows so far
        today = self.states[d]
        today[:4] = by_place.sum(axis=1)
        before = self.states[d - 1] if d > 0 else np.zeros_like(today)
        today[P.ARRIVED] = before[P.ARRIVED] + self.place["arrivals"][d].sum()
        today[P.DEAD] = before[P.DEAD] + self.leg["deaths"][d].sum()
        today[P.RETURNED] = before[P.RETURNED] + self.place["returned"][d].sum()
        today[P.ALTERNATIVE] = before[P.ALTERNATIVE] + self.place["alternatives"][d].sum()
        today[P.STAYED] = before[P.STAYED] + self.place["stayed"][d].sum()
        leg = self.leg
        leg["price_eur"][d] = m.price
        leg["capacity"][d] = m.capacity
        leg["queue"][d] = m.queue_people
        leg["p_intercept"][d] = m.p_intercept
        leg["p_death"][d] = m.p_death
        c = m.country_today
        for name in COUNTRY_LEVELS:
            self.country[name][d] = c[name]
        nets = list(m.networks)
        gone = {id(n) for n in m._dismantled_today}
        self.networks_active[d] = len(nets) - len(gone)
        if nets:
            # arrests, seizures and bribes of the day, credited to the countries where they happened
            n_c = w.n_countries
            where = np.concatenate([n.where for n in nets])
            self.country["arrests"][d] += np.bincount(
                where, np.concatenate([n.arrested * n.arrest_share for n in nets]), minlength=n_c)
            self.country["seized_eur"][d] += np.bincount(
                where, np.concatenate([n.seized * n.seize_share for n in nets]), minlength=n_c)
            self.country["bribes_eur"][d] += np.bincount(
                np.concatenate([n.control for n in nets]), np.concatenate([n.leg_bribes for n in nets]),
                minlength=n_c)
        rows = self.network_rows
        for net in nets:
            rows.append((d, net.unique_id, net.corridor, net.members, net.capital, net.members * m.behaviour.capacity_per_member,
                         net.markup, net.revenue, net.bribes, net.seized, net.arrested, net.reach, id(net) not in gone))
