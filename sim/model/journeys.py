"""The people's phases of a day, on the vectorised population: moving on legs, detention, being
stranded, new people deciding at origins, vocational places in transit, and departures.

Each phase takes the indices of the people it acts on and hands on those ready to leave a place.
"""

from __future__ import annotations

import numpy as np

from . import kernels
from .people import ALTERNATIVE, RETURNED, WAITING, Population
from .perception import Perception
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
        self.pooled = False  # whether any place was ever offered (else both pools are empty)
        self.holding_seen = False  # whether a holding ever kept anyone (people.held then marks those it keeps)
        self._quotas = (None, None, (False, False))  # the last quotas looked at, and whether they offer places
        # the mean of the log of a new person's budget, per origin (the budgets do not change during a run)
        self._budget_mu = kernels.log(budget) - 0.5 * behaviour.budget_spread ** 2
        # per leg: days its controlling country holds those it intercepts (countries.<ISO3>.detention_days)
        self.held_days = np.where(np.isnan(world.detention), behaviour.detention_days,
                                  world.detention).astype(np.int64)

    def road(self, active, risks, cheapest: np.ndarray):
        """Everybody on the road when nobody is readmitted anywhere: the day of the moving (move), the
        detained (detention) and the stranded (stranded) in one kernel. Returns (those ready to leave
        a place: the waiting, then those across, the released and the recovered; the still stranded)."""
        world, behaviour, pop, rec = self.world, self.behaviour, self.people, self.recorder
        return kernels.road_day(
            kernels.bits(self.rng), active, pop.leg, pop.state, pop.days_left, pop.credit, pop.broke_days, pop.origin,
            pop.place, pop.money, risks.p_death, risks.p_intercept, self.held_days, world.retry,
            risks.pushback, world.pushback_counted, world.detects_interception, world.detects, risks.p_detect,
            world.dst, world.is_destination, world.corridor, world.place_nationality,
            float(behaviour.effects.pushback_gives_up),
            behaviour.return_after_interception, behaviour.work_income_eur_per_day, behaviour.give_up_per_day,
            cheapest, rec.leg_row("deaths"), rec.leg_row("pushbacks"), rec.leg_row("interceptions"),
            rec.leg_row("crossings"), rec.leg_row("detections"), rec.detections_by_origin, rec.place_row("arrivals"),
            rec.place_row("returned"))

    def move(self, moving, risks, readmit=()) -> np.ndarray:
        """People on legs move a day on; at the end of a leg they die, are intercepted, or cross."""
        world, pop, rec, rng = self.world, self.people, self.recorder, self.rng
        if len(moving) == 0:
            return moving
        # dead, intercepted (held: some owed a retry, some pushed back) or across, at the leg's end; some
        # of those pushed back (the intercepted left waiting) stop trying, discouraged (no draw when the
        # share is 0, so results stay as before)
        on = kernels.move_on(
            kernels.bits(rng), moving, pop.leg, pop.state, pop.days_left, pop.credit, pop.broke_days, pop.origin,
            pop.place, risks.p_death, risks.p_intercept, self.held_days, world.retry, risks.pushback,
            world.pushback_counted, world.detects_interception, world.detects, risks.p_detect, world.dst,
            world.is_destination, world.corridor, world.place_nationality,
            float(self.behaviour.effects.pushback_gives_up), rec.leg_row("deaths"), rec.leg_row("pushbacks"),
            rec.leg_row("interceptions"), rec.leg_row("crossings"), rec.leg_row("detections"), rec.detections_by_origin,
            rec.place_row("arrivals"), rec.place_row("returned"))
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
                np.add.at(self.recorder.place_row("returned"), pop.place[quit_], 1)
        if readmit:
            on = on[pop.state[on] == WAITING]
        return on

    def reconsider(self, waiting, values, day: int) -> np.ndarray:
        """People waiting on the road weigh going on against giving up, as they weighed leaving at home:
        where the cost-to-go from here has risen past what reaching a destination is worth to them (a
        border sealed ahead, returns from the islands), some give up. Returns those who go on. People who
        set off today decided already; nothing is drawn when the rate is 0 (the default). What they weigh,
        the level of the cost-to-go or its change since they last looked, is effects.transit_weighs_change.
        Those waiting out the weather with a place bought (seasonality on the crossings) reconsider at the
        rate times effects.weather_wait_reconsiders, weighing the change as effects.weather_wait_weighs_change
        says; so do those a holding keeps (Journeys.holding)."""
        effects = self.behaviour.effects
        rate, change = effects.transit_gives_up, effects.transit_weighs_change
        if rate <= 0 or len(waiting) == 0:
            return waiting
        held_rate, held_change = rate * effects.weather_wait_reconsiders, effects.weather_wait_weighs_change
        if (held_rate, held_change) != (rate, change) and (self.behaviour.seasonality_on_crossings or self.holding_seen):
            held = self.people.held[waiting] == 1
            if held.any():
                return np.concatenate([self._reconsider(waiting[held], values, day, held_rate, held_change),
                                       self._reconsider(waiting[~held], values, day, rate, change)])
        return self._reconsider(waiting, values, day, rate, change)

    def _reconsider(self, waiting, values, day: int, rate: float, change: float) -> np.ndarray:
        if rate <= 0 or len(waiting) == 0:
            return waiting
        pop, behaviour = self.people, self.behaviour
        # the chance of going on is the logistic function 1 / (1 + exp((cost-to-go - benefit) / spread));
        # exp in NumPy, between the kernels
        z, none = kernels.reconsider_exponents(waiting, pop.group, pop.place, values, float(behaviour.benefit_eur),
                                               float(behaviour.decision_spread_eur))
        return kernels.reconsider_quit(kernels.bits(self.rng), waiting, kernels.exp(z), none, float(rate), pop.born, day,
                                       pop.state, pop.place, self.recorder.place_row("returned"), float(change),
                                       pop.seen_place, pop.seen_go)

    def holding(self, waiting, hold_days: np.ndarray) -> np.ndarray:
        """People kept where they are (the holding event: a procedure, a geographical restriction): at a
        place held a mean of d days, a share 1 / d of those ready to go on may go today, so the wait is
        geometric with mean d; the others wait there. Returns those who may go on."""
        if len(waiting) == 0:
            return waiting
        pop = self.people
        share = 1.0 / np.maximum(hold_days[pop.place[waiting]], 1.0)
        held = share < 1.0
        if not held.any():
            return waiting
        kept = held & (self.rng.random(len(waiting)) >= share)
        # they knew of the wait: tomorrow they reconsider as those waiting out the weather do
        pop.held[waiting] = kept
        self.holding_seen = True
        return waiting[~kept]

    def detention(self, held) -> np.ndarray:
        """Detained people are, after some days, returned home or released where they were caught."""
        pop = self.people
        if len(held) == 0:
            return held
        return kernels.detention_day(kernels.bits(self.rng), held, pop.days_left,
                                     self.behaviour.return_after_interception, pop.state, pop.place, pop.leg,
                                     pop.broke_days, self.recorder.place_row("returned"))

    def stranded(self, stranded, cheapest: np.ndarray):
        """Stranded people earn a little; some give up and go home; those who can pay the cheapest leg
        from where they are get going again. Returns (recovered, still stranded)."""
        behaviour, pop = self.behaviour, self.people
        if len(stranded) == 0:
            return stranded, stranded
        return kernels.stranded_day(kernels.bits(self.rng), stranded, behaviour.work_income_eur_per_day,
                                    behaviour.give_up_per_day, pop.money, pop.state, pop.place, pop.leg, pop.broke_days,
                                    cheapest, self.recorder.place_row("returned"))

    def create(self, day: int, values: np.ndarray, today, online_reach: float) -> np.ndarray:
        """New people at origins choose: an alternative (if known and offered), an irregular journey, or
        staying. Returns the indices of those who leave."""
        world, behaviour, pop, rng, rec = self.world, self.behaviour, self.people, self.rng, self.recorder
        src = kernels.bits(rng)
        offered = self._offered(today.legal_quota, today.vocational_quota)
        for pool, quota, offers in zip((self.legal_pool, self.vocational_pool),
                                       (today.legal_quota, today.vocational_quota), offered):
            if offers:  # most scenarios offer no places: nothing to add
                pool += quota / self.scale
                self.pooled = True
        # the day's new people per origin, drawn in the kernel (NumPy's Poisson draw at larger means)
        arrivals = (world.place_nationality, self.perception.group_of_country, values, float(behaviour.benefit_eur),
                    float(behaviour.decision_spread_eur), rec.place_row("created"))
        drawn, origins, n, group, neg, finite, total = kernels.draw_arrivals(src, self.demand, today.demand_mult,
                                                                            float(self.scale), *arrivals)
        if not drawn:
            lam = self.demand * today.demand_mult / self.scale
            origins, n, group, neg, finite, total = kernels.arrivals(rng.poisson(lam), *arrivals)
        if len(origins) == 0:
            return np.zeros(0, np.int64)
        taken = np.zeros(len(origins), np.int64)
        knows = None  # computed only where places are offered
        for pool in (self.legal_pool, self.vocational_pool):
            if not self.pooled or pool.max() < 1:  # no free place anywhere
                continue
            free = np.floor(pool[origins]).astype(np.int64)
            if not free.any():
                continue
            if knows is None:
                knows = np.minimum(1.0, behaviour.knows_alternatives + today.knowledge_add[origins])
            willing = rng.binomial(n - taken, knows * behaviour.prefers_alternative)
            got = np.minimum(willing, free)
            pool[origins] -= got
            taken += got
        online = 1.0 - behaviour.effects.online_share * (1.0 - online_reach)
        # the logistic function of (benefit - cost-to-go) / spread (perception.sigmoid), exp in NumPy
        leave_p = kernels.leave_probs(kernels.exp(neg), finite, online)
        trials = n - taken if self.pooled else n  # nobody took a place unless offered
        pop.reserve(total)
        people = (pop.state, pop.place, pop.leg, pop.origin, pop.group, pop.born, pop.broke_days, pop.days_left,
                  pop.credit, rec.place_row("alternatives"), rec.place_row("stayed"), rec.place_row("left"))
        # those who leave drawn in the kernel (NumPy's binomial draw for larger counts)
        drawn, left = kernels.draw_new_people(src, trials, leave_p, origins, group, n, taken, day, pop.n, *people)
        if not drawn:
            left = kernels.new_people(origins, group, n, taken, rng.binomial(trials, leave_p), day, pop.n, *people)
        pop.n += total
        if len(left) == 0:
            return left
        # their money: rng.lognormal(mean, spread) per person, drawn as NumPy draws it (a standard normal
        # each, then the C library's exp, in the kernel)
        kernels.lognormal_into(pop.money, left, pop.origin, self._budget_mu, rng.standard_normal(len(left)),
                               float(behaviour.budget_spread))
        return left

    def _offered(self, legal: np.ndarray, vocational: np.ndarray) -> tuple[bool, bool]:
        """Whether the quotas of legal and vocational places offer any (the levers' arrays are the same
        objects while unchanged)."""
        seen = self._quotas
        if legal is not seen[0] or vocational is not seen[1]:
            seen = self._quotas = (legal, vocational, (bool(legal.any()), bool(vocational.any())))
        return seen[2]

    def vocational_in_transit(self, waiting, stranded) -> np.ndarray:
        """Vocational places in transit countries, offered to stranded people first, then to waiting ones.
        Returns the waiting people who did not take one."""
        world, pop, pool = self.world, self.people, self.vocational_pool
        if not self.pooled or pool.max() < 1:  # no free place anywhere
            return waiting
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

    def depart(self, waiting, leg_costs, cheapest: np.ndarray, market, risks, closed: np.ndarray, visa=(),
               hold: np.ndarray | None = None) -> None:
        """Waiting people choose a leg; networks sell places up to capacity; people depart. `hold`, per leg:
        the share of those with a place who go today (the month's sea state, sim/model/seasons.py); the
        others keep their money and wait where they are, their place unused.

        `cheapest` is the cheapest open leg's price from each place at the start of the day; the
        market has opened at today's prices."""
        world, behaviour, pop, rng, rec = self.world, self.behaviour, self.people, self.rng, self.recorder
        if len(waiting) == 0:
            return
        if hold is not None:
            pop.held[waiting] = 0  # held today only if they buy a place and the weather keeps them

        # too poor for any open leg from here (and owed no retry here): count the days, strand after a while;
        # choose a leg: logit over the place's outgoing legs by perceived cost (incl. cost-to-go), exp in
        # NumPy between the kernels; the cheapest open leg from here if the chosen one is too dear; a
        # retry owed is taken; smuggled legs: places sold up to the networks' capacity, the others take
        # everybody
        waiting, owed, z, rows, row_of, limits = kernels.departing(
            waiting, pop.place, pop.group, pop.money, pop.credit, pop.broke_days, pop.leg, pop.state, cheapest,
            market.price, closed, world.src, world.n_places, risks.open, behaviour.strand_after_days,
            rec.place_row("stranded_new"), leg_costs, world.out_order, world.out_start, world.out_count,
            float(behaviour.route_spread_eur))
        if len(waiting) == 0:
            return
        go, go_leg, go_owed = market.sell_to_choosers(
            kernels.bits(rng), kernels.exp(z), rows, limits, row_of, len(leg_costs), world.out_order, world.out_start,
            world.out_count, waiting, owed, pop.place, pop.group, pop.money, pop.credit, pop.leg, closed, leg_costs,
            pop.broke_days, pop.state, rec.place_row("stranded_new"))
        if hold is not None and len(go):
            goes = rng.random(len(go)) < hold[go_leg]
            pop.held[go] = ~goes
            go, go_leg, go_owed = go[goes], go_leg[goes], go_owed[goes]

        # checks before boarding commercial transport: refused travellers get their money back; some
        # are sent home, the others look for another way
        boarding = (market.price, world.smuggled, world.days, behaviour.return_after_refusal, pop.money, pop.credit,
                    pop.state, pop.broke_days, pop.days_left, pop.place, rec.leg_row("revenue_eur"), rec.leg_row("paid"),
                    rec.leg_row("refused_boarding"), rec.place_row("returned"), rec.leg_row("departures"))
        if not visa:  # the refusals and boarding with their draws in the kernel
            kernels.refuse_and_board(kernels.bits(rng), go, go_leg, go_owed, risks.p_refused, *boarding)
            return
        refused = kernels.refused_at(go_leg, rng.random(len(go)), risks.p_refused)
        for nationalities, legs, p in visa:
            # no visa: refused at check-in, whatever the carrier's own checks
            needs = np.isin(go_leg, legs) & np.isin(world.place_nationality[pop.origin[go]], nationalities)
            refused |= needs & (rng.random(len(go)) < p)
        kernels.board(go, go_leg, go_owed, refused, rng.random(len(go)), *boarding)
