"""RouteModel: the Mesa model of people, smuggling networks and authorities on a route network.

One day, in this order:
1. levers: today's effect of the interventions and events;
2. authorities: today's effectiveness and pressure on networks; per-leg interception and death risk;
3. perception: what people believe each leg costs, and the cost-to-go to a destination;
4. people on legs and in detention move on: deaths, interceptions, crossings, arrivals, releases;
5. stranded people earn a little, give up, or get going again;
6. new people at origins choose between an alternative, an irregular journey, or staying;
7. waiting people choose their next leg; networks sell places; people depart (checks before boarding);
8. networks earn, pay, suffer arrests and seizures, adapt and grow; new networks enter;
9. the day's figures are recorded.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np

from ..network import RouteNetwork, load_network
from ..scenario import Scenario, check_against_network, load_scenario
from . import people as P
from .agents import Authority, SmugglingNetwork, sigmoid, stochastic_round
from .levers import Levers
from .recorder import Recorder
from .world import World

ONLINE_SHARE = 0.5  # share of would-be migrants who first hear of smugglers online


class RouteModel(mesa.Model):
    """Build from a Scenario (or a scenario file path); step with `model.step()` once per day."""

    def __init__(self, scenario: Scenario | str | Path, *, network: RouteNetwork | None = None,
                 seed: int | None = None, days: int | None = None, scale: int | None = None):
        if not isinstance(scenario, Scenario):
            scenario, network = load_scenario(scenario, network)
        elif network is None:
            network = load_network(scenario.network_path())
            check_against_network(scenario, network)
        update = {k: v for k, v in (("seed", seed), ("days", days), ("scale", scale)) if v is not None}
        if update:
            scenario = scenario.model_copy(update=update)
        super().__init__(rng=scenario.seed)
        # Mesa reserves `scenario` for its own Scenario class: ours is `spec`
        self.spec, self.network = scenario, network
        self.behaviour = scenario.behaviour
        self.days, self.scale, self.day = scenario.days, scenario.scale, 0
        self.world = w = World.build(network, scenario)
        self.levers = Levers(scenario, network, w)
        self.today = self.levers.today(0)

        # perception groups: one per country of origin
        origins = np.flatnonzero(w.place_kind == 0)
        group_countries = np.unique(w.place_country[origins])
        self.group_of_country = np.full(w.n_countries, -1, np.int32)
        self.group_of_country[group_countries] = np.arange(len(group_countries))
        self.group_country = group_countries
        self.n_groups = len(group_countries)
        self.origin_places = origins
        self.origin_group = self.group_of_country[w.place_country[origins]]
        self.origins_per_group = np.bincount(self.origin_group, minlength=self.n_groups)

        self.demand = np.zeros(w.n_places)
        self.budget = np.ones(w.n_places)
        for d in scenario.demand:
            i = network.place_index[d.origin]
            self.demand[i] += d.per_year / 365.0
            self.budget[i] = d.budget_eur
        self.legal_pool = np.zeros(w.n_places)
        self.vocational_pool = np.zeros(w.n_places)

        expected = int(self.demand.sum() * self.days / self.scale * 1.1) + 1024
        self.people = P.Population(expected)

        # per-leg state the agents read; filled every day
        L = w.n_legs
        self.capacity = np.zeros(L)
        self.price = w.fee.copy()
        self.queue_people = np.zeros(L)
        self.served_people = np.zeros(L)
        self.p_intercept = np.zeros(L)
        self.p_death = w.risk.copy()
        self.leg_corruption = np.zeros(L)
        # the authority that acts on a leg: its controller, else the country it starts in
        self.leg_authority = np.where(w.control >= 0, w.control, w.leg_country).astype(np.int32)
        self.country_today = {k: np.zeros(w.n_countries) for k in (
            "effectiveness", "corruption", "arrest_pressure", "seizure_pressure", "takedown_pressure", "training")}

        self.online_reach = 1.0  # networks' average online reach, relative to an unhindered start
        self.authorities = [Authority(self, i, iso3) for i, iso3 in enumerate(w.iso3)]
        self._authority_inputs = None
        self._update_legs()
        self.recorder = Recorder(self)
        self.networks_dismantled = 0
        self.networks_entered = 0
        self._dismantled_today = []
        self._seed_networks()
        self.running = True

    # ----------------------------------------------------------------- set-up
    def _clusters(self):
        """Smuggled legs grouped by corridor and the country they start in: one local market each."""
        w = self.world
        clusters = {}
        for leg in np.flatnonzero(w.smuggled):
            clusters.setdefault((int(w.corridor[leg]), int(w.leg_country[leg])), []).append(leg)
        return {k: np.array(v, dtype=np.int32) for k, v in clusters.items()}

    def _expected_flows(self) -> np.ndarray:
        """Expected people per day on each leg if nobody waited: sizes the networks at the start."""
        w, b = self.world, self.behaviour
        V, Q = self._cost_to_go()
        probs = self._choice_probs(Q)  # groups x legs: each nationality's own choices
        at = np.zeros((self.n_groups, w.n_places))
        origins, groups = self.origin_places, self.origin_group
        leave = sigmoid((b.benefit_eur - V[groups, origins]) / b.decision_spread_eur)
        at[groups, origins] = self.demand[origins] * np.where(np.isfinite(V[groups, origins]), leave, 0.0)
        arrive = np.zeros((w.n_legs, w.n_places))
        arrive[np.arange(w.n_legs), w.dst] = 1.0
        flows = np.zeros(w.n_legs)
        for _ in range(4 * w.n_places):
            at[:, w.is_destination] = 0
            if at.sum() < 1e-6:
                break
            leg_flow = at[:, w.src] * probs
            flows += leg_flow.sum(axis=0)
            at = leg_flow @ arrive
        return flows

    def _seed_networks(self):
        b = self.behaviour
        flows = self._expected_flows()
        self.clusters = self._clusters()
        for (corridor, _), legs in self.clusters.items():
            need = max(float(flows[legs].sum()) * 1.3, b.capacity_per_member * b.members_per_network * 0.5)
            members = need / b.capacity_per_member
            n = max(1, int(round(members / b.members_per_network)))
            for _ in range(n):
                net = SmugglingNetwork(self, legs, corridor, members / n, b.hire_cost_eur * members / n)
                net.alloc = (flows[legs] + 1e-3) / (flows[legs] + 1e-3).sum()

    # ----------------------------------------------------------------- daily helpers
    @property
    def networks(self):
        return self.agents_by_type.get(SmugglingNetwork, mesa.agent.AgentSet([], random=self.random))

    def dismantle(self, network: SmugglingNetwork):
        self._dismantled_today.append(network)

    def _update_legs(self):
        """Today's interception and death probability on each leg, from the authorities and levers."""
        w, b, c, t = self.world, self.behaviour, self.country_today, self.today
        ctrl = np.maximum(w.control, 0)
        effort = c["effectiveness"][ctrl] * t.enforce_mult
        corrupt = np.where(w.controlled, c["corruption"][ctrl], 0.0)
        # bribed officials let a share of crossings through unchecked
        p = (1.0 - np.exp(-b.interception_scale * effort)) * (1.0 - 0.8 * corrupt)
        self.p_intercept = np.where(w.controlled, np.clip(p, 0, 0.98), 0.0)
        self.leg_corruption = corrupt
        # under pressure smugglers use worse boats, night crossings and longer detours
        self.p_death = np.clip(w.risk * t.risk_mult * (1.0 + b.danger_under_pressure * self.p_intercept), 0, 0.95)
        # fraudulent documents beat checks before boarding where officials can be bought
        fraud = c["corruption"][w.leg_country]
        self.p_refused = np.where(w.commercial, t.check * (1.0 - 0.7 * fraud), 0.0)
        self.open_legs = ~t.closed
        share = w.base["detection_share"][ctrl]
        watch = np.where(np.isnan(share), 1.0 - np.exp(-b.detection_scale * c["effectiveness"][ctrl]), share)
        self.p_detect = np.where(w.detects & ~w.sea & w.controlled, watch, 1.0)

    def _trust(self) -> np.ndarray:
        """Trust in smugglers' narratives per perception group, after campaigns and takedowns."""
        mult = np.bincount(self.origin_group, weights=self.today.trust_mult[self.origin_places],
                           minlength=self.n_groups) / self.origins_per_group
        return self.behaviour.trust_in_smugglers * mult * (0.5 + 0.5 * self.online_reach)

    def _cost_to_go(self):
        """Perceived cost per leg (groups x legs) and cheapest cost to a destination (groups x places)."""
        w, b = self.world, self.behaviour
        trust = self._trust()
        seen = 1.0 - trust * (1.0 - b.risk_underestimate)  # share of the real risk a group perceives
        base = (self.price + w.days * b.value_of_day_eur
                + (self.p_intercept + self.p_refused) * b.interception_cost_eur)
        cost = base[None, :] + seen[:, None] * (self.p_death * b.value_of_life_eur)[None, :]
        # a preferred corridor can make a crossing feel cheaper, not free: no negative legs, so the
        # cost-to-go stays well defined
        pref = w.preference[None, :] + w.nationality_preference[self.group_country]
        cost = np.maximum(cost + pref, 0.1 * cost + 1.0)
        cost[:, self.today.closed] = np.inf
        V = getattr(self, "_V", None)
        if V is None or V.shape != (self.n_groups, w.n_places):
            V = np.full((self.n_groups, w.n_places), np.inf)
        V = V.copy()
        # a less wanted destination is worth less at the end of the road: a higher cost-to-go
        terminal = -w.appeal[w.is_destination]
        V[:, w.is_destination] = terminal
        # value iteration from yesterday's values, on the legs sorted by start place
        order = w.out_order
        starts = w.out_start[w.out_count > 0]
        has_out = np.flatnonzero(w.out_count > 0)
        cost_sorted, dst_sorted = cost[:, order], w.dst[order]
        for _ in range(w.n_places + 1):
            best = np.minimum.reduceat(cost_sorted + V[:, dst_sorted], starts, axis=1)
            with np.errstate(invalid="ignore"):
                moved = np.abs(best - V[:, has_out]) > 2.0  # EUR; inf - inf is nan: still unreachable
            V[:, has_out] = best
            V[:, w.is_destination] = terminal
            if not moved.any():
                break
        self._V = V
        return V, cost + V[:, w.dst]

    def _choice_probs(self, Q) -> np.ndarray:
        """Logit choice between a place's outgoing legs: probability per (group, leg)."""
        w = self.world
        seg = w.src  # each leg's segment is its start place
        finite = np.isfinite(Q)
        Qm = np.where(finite, Q, np.inf)
        mins = np.full((Q.shape[0], w.n_places), np.inf)
        order, starts = w.out_order, w.out_start[w.out_count > 0]
        has_out = np.flatnonzero(w.out_count > 0)
        mins[:, has_out] = np.minimum.reduceat(Qm[:, order], starts, axis=1)
        usable = finite & np.isfinite(mins[:, seg])
        rel = np.where(usable, Qm - np.where(usable, mins[:, seg], 0.0), 0.0)
        weight = np.where(usable, np.exp(-rel / self.behaviour.route_spread_eur), 0.0)
        sums = np.zeros((Q.shape[0], w.n_places))
        sums[:, has_out] = np.add.reduceat(weight[:, order], starts, axis=1)
        return np.divide(weight, sums[:, seg], out=np.zeros_like(weight), where=sums[:, seg] > 0)

    def _choice_table(self, probs):
        """A sorted key table for picking a leg with one searchsorted over all waiting people."""
        w = self.world
        order = w.out_order
        p_sorted = probs[:, order]
        seg_sorted = w.src[order]
        csum = np.cumsum(p_sorted, axis=1)
        first = w.out_start[seg_sorted]
        before = np.where(first > 0, csum[:, np.maximum(first - 1, 0)], 0.0)
        within = np.minimum(csum - before, 1.0)
        stride = w.n_places + 1
        keys = (np.arange(probs.shape[0])[:, None] * stride + seg_sorted[None, :] + within).ravel()
        return keys, stride

    # ----------------------------------------------------------------- the day
    def step(self) -> None:
        if self.day >= self.days:
            self.running = False
            return
        pop, rec = self.people, self.recorder
        rec.begin_day()
        self.today = t = self.levers.today(self.day)
        for shift in t.shifts:
            self._shift_networks(*shift)
        # an authority's day depends only on its base capacities and today's levers on its country:
        # when those are as yesterday (most days), so is every authority's output
        inputs = np.stack([t.capacity_gain, t.budget_mult, t.corruption_add, t.corruption_mult,
                           t.arrest_mult, t.seizure_mult, t.takedown_mult])
        if self._authority_inputs is None or not np.array_equal(inputs, self._authority_inputs):
            for authority in self.authorities:
                authority.step()
            self._authority_inputs = inputs
        self._update_legs()
        nets = list(self.networks)
        reach_w = sum(n.members for n in nets)
        self.online_reach = (sum(n.reach * n.members for n in nets) / reach_w) if reach_w > 0 else 1.0
        V, Q = self._cost_to_go()
        self.cheapest = self._cheapest_price()

        # one look at everybody on the road; each phase hands on the people ready to leave a place
        a = pop.active
        st = pop.state[a]
        ready = [a[st == P.WAITING],
                 self._move(a[st == P.MOVING], rec),
                 self._detention(a[st == P.DETAINED], rec)]
        stranded = a[st == P.STRANDED]
        recovered, stranded = self._stranded(stranded, rec)
        new = self._create(V, rec)
        waiting = np.concatenate(ready + [recovered, new])
        waiting = self._vocational_in_transit(waiting, stranded, rec)
        self._depart(waiting, Q, rec)

        self._market_signals()
        SmugglingNetwork.step_all(self, nets)
        self._enter_networks()
        active = np.concatenate([a, new])
        pop.active = active[pop.state[active] <= P.STRANDED]
        rec.end_day()
        for net in self._dismantled_today:
            rec.network_gone(net)
            net.remove()
            self.networks_dismantled += 1
        self._dismantled_today = []
        self.day += 1
        self.running = self.day < self.days

    def _move(self, mv, rec) -> np.ndarray:
        """People on legs move a day on; at the end of a leg they die, are intercepted, or cross."""
        w, pop = self.world, self.people
        if len(mv) == 0:
            return mv
        left = pop.days_left[mv] - 1
        pop.days_left[mv] = left
        done = mv[left <= 0]
        if len(done) == 0:
            return done
        leg = pop.leg[done].astype(np.int64)
        u = self.rng.random(len(done))
        p_dead, p_int = self.p_death[leg], self.p_intercept[leg]
        dead = u < p_dead
        caught = ~dead & (u < p_dead + (1 - p_dead) * p_int)
        crossed = ~(dead | caught)
        pop.state[done[dead]] = P.DEAD
        rec.leg_add("deaths", leg[dead])
        held = done[caught]
        pop.state[held] = P.DETAINED
        pop.days_left[held] = self.behaviour.detention_days
        # some bought a package with several attempts: the smuggler owes them the next one
        retry = self.rng.random(len(held)) < w.retry[leg[caught]]
        pop.credit[held[retry]] = leg[caught][retry]
        # pushed back across the border: nobody is held or sent home, they wait where they started and
        # try again from tomorrow (still owed their retry, if any)
        pushed = self.rng.random(len(held)) < w.pushback[leg[caught]]
        pop.state[held[pushed]] = P.WAITING
        pop.days_left[held[pushed]] = 0
        pop.leg[held[pushed]] = -1
        pop.broke_days[held[pushed]] = 0
        rec.leg_add("pushbacks", leg[caught][pushed])
        rec.leg_add("interceptions", leg[caught])
        seen = w.detects_interception[leg[caught]]
        rec.detections(held[seen], leg[caught][seen])
        over, over_leg = done[crossed], leg[crossed]
        rec.leg_add("crossings", over_leg)
        # sea arrivals are all registered; on land only a share of crossings is detected
        seen = w.detects[over_leg] & (self.rng.random(len(over)) < self.p_detect[over_leg])
        rec.detections(over[seen], over_leg[seen])
        dst = w.dst[over_leg]
        pop.place[over] = dst
        pop.leg[over] = -1
        pop.broke_days[over] = 0
        home = w.is_destination[dst]
        pop.state[over[home]] = P.ARRIVED
        rec.place_add("arrivals", dst[home])
        on = over[~home]
        pop.state[on] = P.WAITING
        return on

    def _detention(self, held, rec) -> np.ndarray:
        """Detained people are, after some days, returned home or released where they were caught."""
        pop = self.people
        if len(held) == 0:
            return held
        left = pop.days_left[held] - 1
        pop.days_left[held] = left
        out = held[left <= 0]
        home = self.rng.random(len(out)) < self.behaviour.return_after_interception
        pop.state[out[home]] = P.RETURNED
        rec.place_add("returned", pop.place[out[home]])
        back = out[~home]
        pop.state[back] = P.WAITING
        pop.leg[back] = -1
        pop.broke_days[back] = 0
        return back

    def _stranded(self, sd, rec):
        """Stranded people earn a little; some give up and go home; those who can pay get going again."""
        b, pop = self.behaviour, self.people
        if len(sd) == 0:
            return sd, sd
        pop.money[sd] += b.work_income_eur_per_day
        quit_ = self.rng.random(len(sd)) < b.give_up_per_day
        pop.state[sd[quit_]] = P.RETURNED
        rec.place_add("returned", pop.place[sd[quit_]])
        rest = sd[~quit_]
        can = pop.money[rest] >= self.cheapest[pop.place[rest]]
        back = rest[can]
        pop.state[back] = P.WAITING
        pop.broke_days[back] = 0
        pop.leg[back] = -1
        return back, rest[~can]

    def _cheapest_price(self) -> np.ndarray:
        """Cheapest open leg from each place today (inf where every leg is closed or none leaves)."""
        w = self.world
        price = np.where(self.today.closed, np.inf, self.price)
        cheapest = np.full(w.n_places, np.inf)
        np.minimum.at(cheapest, w.src, price)
        return cheapest

    def _create(self, V, rec) -> np.ndarray:
        """New people at origins choose: an alternative (if known and offered), an irregular journey, or staying."""
        w, b, pop, rng, t = self.world, self.behaviour, self.people, self.rng, self.today
        counts = rng.poisson(self.demand * t.demand_mult / self.scale)
        self.legal_pool += t.legal_quota / self.scale
        self.vocational_pool += t.vocational_quota / self.scale
        origins = np.flatnonzero(counts)
        if len(origins) == 0:
            return np.zeros(0, np.int64)
        n = counts[origins]
        rec.place_add_counts("created", origins, n)
        group = self.group_of_country[w.place_country[origins]]
        knows = np.minimum(1.0, b.knows_alternatives + t.knowledge_add[origins])
        taken = np.zeros(len(origins), np.int64)
        for pool in (self.legal_pool, self.vocational_pool):
            free = np.floor(pool[origins]).astype(np.int64)
            if not free.any():
                continue
            willing = rng.binomial(n - taken, knows * b.prefers_alternative)
            got = np.minimum(willing, free)
            pool[origins] -= got
            taken += got
        online = 1.0 - ONLINE_SHARE * (1.0 - self.online_reach)
        cost = V[group, origins]
        leave_p = np.where(np.isfinite(cost), sigmoid((b.benefit_eur - cost) / b.decision_spread_eur) * online, 0.0)
        leaving = rng.binomial(n - taken, leave_p)
        stayed = n - taken - leaving
        for state, k, measure in ((P.ALTERNATIVE, taken, "alternatives"), (P.STAYED, stayed, "stayed")):
            if k.any():
                rec.place_add_counts(measure, origins, k)
                at = np.repeat(origins, k)
                pop.add(len(at), state=state, place=at, leg=-1, origin=at, group=np.repeat(group, k), born=self.day)
        if not leaving.any():
            return np.zeros(0, np.int64)
        rec.place_add_counts("left", origins, leaving)
        at = np.repeat(origins, leaving)
        mu = np.log(self.budget[at]) - 0.5 * b.budget_spread ** 2
        money = rng.lognormal(mu, b.budget_spread)
        return pop.add(len(at), state=P.WAITING, place=at, leg=-1, origin=at, group=np.repeat(group, leaving),
                       born=self.day, money=money, broke_days=0, days_left=0, credit=-1)

    def _vocational_in_transit(self, waiting, stranded, rec) -> np.ndarray:
        """Vocational places in transit countries, offered to stranded people first, then to waiting ones."""
        w, pop, pool = self.world, self.people, self.vocational_pool
        places = np.flatnonzero((pool >= 1) & (w.place_kind != 0))
        if len(places) == 0:
            return waiting
        offered = np.concatenate([stranded, waiting])
        offered = offered[np.isin(pop.place[offered], places)]
        wants = offered[self.rng.random(len(offered)) < self.behaviour.prefers_alternative * 0.5]
        took = []
        for p in places:
            here = wants[pop.place[wants] == p][: int(pool[p])]
            pool[p] -= len(here)
            rec.place_add_n("alternatives", p, len(here))
            took.append(here)
        took = np.concatenate(took)
        pop.state[took] = P.ALTERNATIVE
        return waiting[pop.state[waiting] == P.WAITING]

    def _depart(self, wt, Q, rec):
        """Waiting people choose a leg; networks sell places up to capacity; people depart."""
        w, b, pop, rng = self.world, self.behaviour, self.people, self.rng
        self.queue_people[:] = 0
        self.served_people[:] = 0
        # network capacity and price on each leg today
        nets = list(self.networks)
        if nets:
            legs = np.concatenate([n.legs for n in nets])
            caps = np.concatenate([n.capacity() for n in nets])
            marks = np.repeat([n.markup for n in nets], [len(n.legs) for n in nets])
            cap = np.bincount(legs, weights=caps, minlength=w.n_legs)
            price_num = np.bincount(legs, weights=caps * marks, minlength=w.n_legs)
        else:
            cap = price_num = np.zeros(w.n_legs)
        markup = np.divide(price_num, cap, out=np.ones(w.n_legs), where=cap > 0)
        self.capacity = cap
        self.price = w.fee * markup
        if len(wt) == 0:
            return

        # too poor for any open leg from here (and owed no retry here): count the days, strand after a while
        place = pop.place[wt]
        cheapest = self.cheapest[place]
        money = pop.money[wt]
        open_here = np.isfinite(cheapest)
        credit = pop.credit[wt].astype(np.int64)
        owed = (credit >= 0) & (w.src[np.maximum(credit, 0)] == place) & self.open_legs[np.maximum(credit, 0)]
        poor = open_here & (money < cheapest) & ~owed
        broke = wt[poor]
        cheapest_leg = self._cheapest_leg()
        pop.leg[broke] = cheapest_leg[place[poor]]  # the leg they cannot pay for
        days = pop.broke_days[broke] + 1
        pop.broke_days[broke] = days
        strand = broke[days >= b.strand_after_days]
        pop.state[strand] = P.STRANDED
        rec.place_add("stranded_new", pop.place[strand])
        can = open_here & ~poor
        wt, place, money, owed, credit = wt[can], place[can], money[can], owed[can], credit[can]
        if len(wt) == 0:
            return

        # choose a leg: logit over the place's outgoing legs by perceived cost (incl. cost-to-go)
        keys, stride = self._choice_table(self._choice_probs(Q))
        g = pop.group[wt].astype(np.int64)
        key = g * stride + place + rng.random(len(wt)) * (1 - 1e-9) + 1e-12
        pos = np.minimum(np.searchsorted(keys, key, side="left"), len(keys) - 1) % w.n_legs
        leg = w.out_order[pos].astype(np.int64)
        moving = w.src[leg] == place  # else every leg is closed to this group's eyes: wait
        # the chosen leg too dear: take the cheapest open leg from here instead; a retry owed is taken
        dear = money < self.price[leg]
        leg = np.where(dear, cheapest_leg[place], leg)
        leg = np.where(owed, credit, leg)
        moving |= owed
        pop.leg[wt] = np.where(moving, leg, -1)
        buyers, bleg, free = wt[moving], leg[moving], owed[moving]

        # smuggled legs: places sold up to the networks' capacity, in random order
        smuggled = w.smuggled[bleg]
        self.queue_people = np.bincount(bleg[smuggled], minlength=w.n_legs) * float(self.scale)
        slots = stochastic_round(rng, cap / self.scale)
        # random order within each leg's queue: shuffle, then a stable (radix) sort by leg
        perm = rng.permutation(len(buyers))
        order = perm[np.argsort(bleg[perm].astype(np.int16), kind="stable")]
        sorted_leg = bleg[order]
        starts = np.flatnonzero(np.diff(sorted_leg, prepend=-1))
        rank = np.arange(len(order)) - np.repeat(starts, np.diff(starts, append=len(order)))
        ok = ~w.smuggled[sorted_leg] | (rank < slots[sorted_leg])
        go, gleg, gfree = buyers[order][ok], sorted_leg[ok], free[order][ok]
        sold = w.smuggled[gleg]
        self.served_people = np.bincount(gleg[sold], minlength=w.n_legs) * float(self.scale)
        self.queue_people = np.maximum(self.queue_people - self.served_people, 0)
        fee = np.where(gfree, 0.0, self.price[gleg])
        pop.money[go] -= fee.astype(np.float32)
        pop.credit[go] = -1
        paid = sold & ~gfree
        rec.leg_add("revenue_eur", gleg[paid], weights=fee[paid])
        rec.leg_add("paid", gleg[paid])

        # checks before boarding commercial transport: refused travellers get their money back; some
        # are sent home, the others look for another way
        refused = rng.random(len(go)) < self.p_refused[gleg]
        rec.leg_add("refused_boarding", gleg[refused])
        turned = go[refused]
        pop.money[turned] += fee[refused].astype(np.float32)
        home = turned[rng.random(len(turned)) < b.return_after_refusal]
        pop.state[home] = P.RETURNED
        rec.place_add("returned", pop.place[home])
        go, gleg = go[~refused], gleg[~refused]
        pop.state[go] = P.MOVING
        pop.broke_days[go] = 0
        days = w.days[gleg]
        pop.days_left[go] = np.maximum(1, np.floor(days) + (rng.random(len(go)) < days - np.floor(days)))
        rec.leg_add("attempts", gleg)

    def _market_signals(self):
        """Per-leg figures every network reads today: computed once here rather than in each network."""
        b, c = self.behaviour, self.country_today
        demand = self.queue_people + self.served_people
        self.leg_signals = np.stack([
            self.served_people * self.price / np.maximum(self.capacity, 1e-9),  # revenue per unit of capacity
            b.bribe_share * self.leg_corruption,  # bribes per euro earned
            (demand + 1.0) * np.exp(-4.0 * self.p_intercept) * self.open_legs,  # where capacity is drawn
            self.p_intercept,
            demand,
        ])
        self.authority_signals = np.stack([c["arrest_pressure"], c["seizure_pressure"], c["takedown_pressure"],
                                           self.today.seizure_mult])

    def _cheapest_leg(self) -> np.ndarray:
        w = self.world
        price = np.where(self.today.closed, np.inf, self.price)
        order = np.lexsort((price, w.src))
        best = np.full(w.n_places, -1, np.int64)
        first = np.unique(w.src[order], return_index=True)
        legs = order[first[1]]
        ok = np.isfinite(price[legs])
        best[first[0][ok]] = legs[ok]
        return best

    def _shift_networks(self, from_corridors, to_corridor, share):
        targets = [legs for (corr, _), legs in self.clusters.items() if corr == to_corridor]
        if not targets:
            return
        legs = np.unique(np.concatenate(targets))
        for net in list(self.networks):
            if net.corridor in from_corridors and net.members > 0:
                moved = net.members * share
                net.members -= moved
                money = max(net.capital, 0) * share
                net.capital -= money
                SmugglingNetwork(self, legs, to_corridor, moved, money)

    def _enter_networks(self):
        """New networks appear where demand is unmet and the business pays; seizures slow it."""
        b, rng = self.behaviour, self.rng
        for (corridor, country), legs in self.clusters.items():
            unmet = float(self.queue_people[legs].sum())
            # a few model entries always wait at a coarse scale: only a real queue draws a new network
            if unmet < max(50.0, 3.0 * self.scale, 0.25 * float(self.capacity[legs].sum())):
                continue
            margin = float((self.price[legs] * self.queue_people[legs]).sum()) / unmet
            if margin <= b.member_cost_eur_per_day / b.capacity_per_member:
                continue
            drag = float(self.today.seizure_mult[self.leg_authority[legs]].mean())
            if rng.random() < b.entry_rate / drag:
                # sized for part of the unmet demand it sees
                members = max(5.0, min(unmet / b.capacity_per_member / 2, float(b.members_per_network)))
                SmugglingNetwork(self, legs, corridor, members, b.hire_cost_eur * members)
                self.networks_entered += 1

    # ----------------------------------------------------------------- checks and results
    def state_counts(self) -> dict[str, int]:
        """People per state right now (model entries times scale)."""
        return {name: int(c) * self.scale for name, c in zip(P.STATES, self.people.counts())}

    def run(self, progress=None):
        while self.running:
            self.step()
            if progress:
                progress(self.day, self.days)
        return self.results()

    def results(self):
        from ..results import Results

        return Results.from_model(self)
