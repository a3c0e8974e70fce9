"""The people's phases of a day, on the vectorised population: moving on legs, detention, being
stranded, new people deciding at origins, vocational places in transit, and departures.

Each phase takes the indices of the people it acts on and hands on those ready to leave a place.
"""

from __future__ import annotations

import numpy as np

from .people import ALTERNATIVE, ARRIVED, DEAD, DETAINED, MOVING, RETURNED, STAYED, STRANDED, WAITING, Population
from .perception import Perception, sigmoid
from .recorder import Recorder
from .world import World


class Journeys:
    """The people's day. Holds what does not change during a run, and the places offered as
    alternatives (legal pathways and vocational training), which fill up day by day."""

    def __init__(self, world: World, behaviour, people: Population, recorder: Recorder, rng, scale: int,
                 perception: Perception, demand: np.ndarray, budget: np.ndarray):
        self.world, self.behaviour, self.people, self.recorder = world, behaviour, people, recorder
        self.rng, self.scale, self.perception = rng, scale, perception
        self.demand, self.budget = demand, budget  # per origin place: people per day, EUR
        self.legal_pool = np.zeros(world.n_places)  # free legal-pathway places per place
        self.vocational_pool = np.zeros(world.n_places)  # free vocational places per place
        self.readmitted = 0  # model entries returned by readmission over the run (spin-up included)

    def move(self, moving, risks, readmit=()) -> np.ndarray:
        """People on legs move a day on; at the end of a leg they die, are intercepted, or cross."""
        world, pop, rec, rng = self.world, self.people, self.recorder, self.rng
        if len(moving) == 0:
            return moving
        left = pop.days_left[moving] - 1
        pop.days_left[moving] = left
        done = moving[left <= 0]
        if len(done) == 0:
            return done
        leg = pop.leg[done].astype(np.int64)
        u = rng.random(len(done))
        p_dead, p_int = risks.p_death[leg], risks.p_intercept[leg]
        dead = u < p_dead
        caught = ~dead & (u < p_dead + (1 - p_dead) * p_int)
        crossed = ~(dead | caught)
        pop.state[done[dead]] = DEAD
        rec.leg_add("deaths", leg[dead])
        held = done[caught]
        pop.state[held] = DETAINED
        pop.days_left[held] = self.behaviour.detention_days
        # some bought a package with several attempts: the smuggler owes them the next one
        retry = rng.random(len(held)) < world.retry[leg[caught]]
        pop.credit[held[retry]] = leg[caught][retry]
        # pushed back across the border: nobody is held or sent home, they wait where they started and
        # try again from tomorrow (still owed their retry, if any)
        pushed = rng.random(len(held)) < world.pushback[leg[caught]]
        pop.state[held[pushed]] = WAITING
        pop.days_left[held[pushed]] = 0
        pop.leg[held[pushed]] = -1
        pop.broke_days[held[pushed]] = 0
        rec.leg_add("pushbacks", leg[caught][pushed])
        gives_up = self.behaviour.effects.pushback_gives_up
        if gives_up > 0:
            # discouraged: some of those pushed back stop trying (no draw when 0, so results stay as before)
            back = held[pushed]
            quit_ = back[rng.random(len(back)) < gives_up]
            pop.state[quit_] = RETURNED
            rec.place_add("returned", pop.place[quit_])
        rec.leg_add("interceptions", leg[caught])
        seen = world.detects_interception[leg[caught]]
        rec.detections(pop.origin[held[seen]], leg[caught][seen])
        over, over_leg = done[crossed], leg[crossed]
        rec.leg_add("crossings", over_leg)
        # sea arrivals are all registered; on land only a share of crossings is detected
        seen = world.detects[over_leg] & (rng.random(len(over)) < risks.p_detect[over_leg])
        rec.detections(pop.origin[over[seen]], over_leg[seen])
        dst = world.dst[over_leg]
        pop.place[over] = dst
        pop.leg[over] = -1
        pop.broke_days[over] = 0
        home = world.is_destination[dst]
        pop.state[over[home]] = ARRIVED
        rec.place_add("arrivals", dst[home])
        on = over[~home]
        pop.state[on] = WAITING
        for places, to, p in readmit:
            # readmitted after being registered on arrival: they wait in the country that took them back
            reached = on[np.isin(pop.place[on], places)]
            back = reached[rng.random(len(reached)) < p]
            pop.place[back] = to
            self.readmitted += len(back)
            gives_up = self.behaviour.effects.readmission_gives_up
            if gives_up > 0 and len(back):
                # returned with no prospect of getting through: some stop trying where they were returned to
                quit_ = back[rng.random(len(back)) < gives_up]
                pop.state[quit_] = RETURNED
                self.recorder.place_add("returned", pop.place[quit_])
        if readmit:
            on = on[pop.state[on] == WAITING]
        return on

    def detention(self, held) -> np.ndarray:
        """Detained people are, after some days, returned home or released where they were caught."""
        pop = self.people
        if len(held) == 0:
            return held
        left = pop.days_left[held] - 1
        pop.days_left[held] = left
        out = held[left <= 0]
        home = self.rng.random(len(out)) < self.behaviour.return_after_interception
        pop.state[out[home]] = RETURNED
        self.recorder.place_add("returned", pop.place[out[home]])
        back = out[~home]
        pop.state[back] = WAITING
        pop.leg[back] = -1
        pop.broke_days[back] = 0
        return back

    def stranded(self, stranded, cheapest: np.ndarray):
        """Stranded people earn a little; some give up and go home; those who can pay the cheapest leg
        from where they are get going again. Returns (recovered, still stranded)."""
        behaviour, pop = self.behaviour, self.people
        if len(stranded) == 0:
            return stranded, stranded
        pop.money[stranded] += behaviour.work_income_eur_per_day
        quit_ = self.rng.random(len(stranded)) < behaviour.give_up_per_day
        pop.state[stranded[quit_]] = RETURNED
        self.recorder.place_add("returned", pop.place[stranded[quit_]])
        rest = stranded[~quit_]
        can = pop.money[rest] >= cheapest[pop.place[rest]]
        back = rest[can]
        pop.state[back] = WAITING
        pop.broke_days[back] = 0
        pop.leg[back] = -1
        return back, rest[~can]

    def create(self, day: int, values: np.ndarray, today, online_reach: float) -> np.ndarray:
        """New people at origins choose: an alternative (if known and offered), an irregular journey, or
        staying. Returns the indices of those who leave."""
        world, behaviour, pop, rng, rec = self.world, self.behaviour, self.people, self.rng, self.recorder
        counts = rng.poisson(self.demand * today.demand_mult / self.scale)
        self.legal_pool += today.legal_quota / self.scale
        self.vocational_pool += today.vocational_quota / self.scale
        origins = np.flatnonzero(counts)
        if len(origins) == 0:
            return np.zeros(0, np.int64)
        n = counts[origins]
        rec.place_add_counts("created", origins, n)
        group = self.perception.group_of_country[world.place_country[origins]]
        knows = np.minimum(1.0, behaviour.knows_alternatives + today.knowledge_add[origins])
        taken = np.zeros(len(origins), np.int64)
        for pool in (self.legal_pool, self.vocational_pool):
            free = np.floor(pool[origins]).astype(np.int64)
            if not free.any():
                continue
            willing = rng.binomial(n - taken, knows * behaviour.prefers_alternative)
            got = np.minimum(willing, free)
            pool[origins] -= got
            taken += got
        online = 1.0 - behaviour.effects.online_share * (1.0 - online_reach)
        cost = values[group, origins]
        leave_p = np.where(np.isfinite(cost),
                           sigmoid((behaviour.benefit_eur - cost) / behaviour.decision_spread_eur) * online, 0.0)
        leaving = rng.binomial(n - taken, leave_p)
        stayed = n - taken - leaving
        for state, k, measure in ((ALTERNATIVE, taken, "alternatives"), (STAYED, stayed, "stayed")):
            if k.any():
                rec.place_add_counts(measure, origins, k)
                at = np.repeat(origins, k)
                pop.add(len(at), state=state, place=at, leg=-1, origin=at, group=np.repeat(group, k), born=day)
        if not leaving.any():
            return np.zeros(0, np.int64)
        rec.place_add_counts("left", origins, leaving)
        at = np.repeat(origins, leaving)
        mu = np.log(self.budget[at]) - 0.5 * behaviour.budget_spread ** 2
        money = rng.lognormal(mu, behaviour.budget_spread)
        return pop.add(len(at), state=WAITING, place=at, leg=-1, origin=at, group=np.repeat(group, leaving),
                       born=day, money=money, broke_days=0, days_left=0, credit=-1)

    def vocational_in_transit(self, waiting, stranded) -> np.ndarray:
        """Vocational places in transit countries, offered to stranded people first, then to waiting ones.
        Returns the waiting people who did not take one."""
        world, pop, pool = self.world, self.people, self.vocational_pool
        places = np.flatnonzero((pool >= 1) & (world.place_kind != 0))
        if len(places) == 0:
            return waiting
        offered = np.concatenate([stranded, waiting])
        offered = offered[np.isin(pop.place[offered], places)]
        wants = offered[self.rng.random(len(offered)) < self.behaviour.prefers_alternative
                                                       * self.behaviour.effects.transit_alternative_uptake]
        took = []
        for p in places:
            here = wants[pop.place[wants] == p][: int(pool[p])]
            pool[p] -= len(here)
            self.recorder.place_add_n("alternatives", p, len(here))
            took.append(here)
        took = np.concatenate(took)
        pop.state[took] = ALTERNATIVE
        return waiting[pop.state[waiting] == WAITING]

    def depart(self, waiting, leg_costs, cheapest: np.ndarray, market, risks, closed: np.ndarray, visa=()) -> None:
        """Waiting people choose a leg; networks sell places up to capacity; people depart.

        `cheapest` is the cheapest open leg's price from each place at the start of the day; the
        market has opened at today's prices."""
        world, behaviour, pop, rng, rec = self.world, self.behaviour, self.people, self.rng, self.recorder
        if len(waiting) == 0:
            return

        # too poor for any open leg from here (and owed no retry here): count the days, strand after a while
        place = pop.place[waiting]
        cheapest = cheapest[place]
        money = pop.money[waiting]
        open_here = np.isfinite(cheapest)
        credit = pop.credit[waiting].astype(np.int64)
        owed = (credit >= 0) & (world.src[np.maximum(credit, 0)] == place) & risks.open[np.maximum(credit, 0)]
        poor = open_here & (money < cheapest) & ~owed
        broke = waiting[poor]
        cheapest_leg = market.cheapest_leg(closed)
        pop.leg[broke] = cheapest_leg[place[poor]]  # the leg they cannot pay for
        days = pop.broke_days[broke] + 1
        pop.broke_days[broke] = days
        strand = broke[days >= behaviour.strand_after_days]
        pop.state[strand] = STRANDED
        rec.place_add("stranded_new", pop.place[strand])
        can = open_here & ~poor
        waiting, place, money, owed, credit = waiting[can], place[can], money[can], owed[can], credit[can]
        if len(waiting) == 0:
            return

        # choose a leg: logit over the place's outgoing legs by perceived cost (incl. cost-to-go)
        group = pop.group[waiting].astype(np.int64)
        leg = self.perception.choose(leg_costs, group, place, rng.random(len(waiting)))
        moving = world.src[leg] == place  # else every leg is closed to this group's eyes: wait
        # the chosen leg too dear: take the cheapest open leg from here instead; a retry owed is taken
        dear = money < market.price[leg]
        leg = np.where(dear, cheapest_leg[place], leg)
        leg = np.where(owed, credit, leg)
        moving |= owed
        pop.leg[waiting] = np.where(moving, leg, -1)

        # smuggled legs: places sold up to the networks' capacity; the others take everybody
        go, go_leg, go_owed = market.sell(rng, waiting[moving], leg[moving], owed[moving])
        fee = np.where(go_owed, 0.0, market.price[go_leg])
        pop.money[go] -= fee.astype(np.float32)
        pop.credit[go] = -1
        paid = world.smuggled[go_leg] & ~go_owed
        rec.leg_add("revenue_eur", go_leg[paid], weights=fee[paid])
        rec.leg_add("paid", go_leg[paid])

        # checks before boarding commercial transport: refused travellers get their money back; some
        # are sent home, the others look for another way
        refused = rng.random(len(go)) < risks.p_refused[go_leg]
        for nationalities, legs, p in visa:
            # no visa: refused at check-in, whatever the carrier's own checks
            needs = np.isin(go_leg, legs) & np.isin(world.place_country[pop.origin[go]], nationalities)
            refused |= needs & (rng.random(len(go)) < p)
        rec.leg_add("refused_boarding", go_leg[refused])
        turned = go[refused]
        pop.money[turned] += fee[refused].astype(np.float32)
        home = turned[rng.random(len(turned)) < behaviour.return_after_refusal]
        pop.state[home] = RETURNED
        rec.place_add("returned", pop.place[home])
        go, go_leg = go[~refused], go_leg[~refused]
        pop.state[go] = MOVING
        pop.broke_days[go] = 0
        days = world.days[go_leg]
        pop.days_left[go] = np.maximum(1, np.floor(days) + (rng.random(len(go)) < days - np.floor(days)))
        rec.leg_add("departures", go_leg)
