"""What people believe legs cost, and how they choose between them.

People choose with the information of their perception group (their country of origin): the perceived
cost of each leg, the cheapest perceived cost from each place to a destination (the cost-to-go, a
shortest path over the route graph: kernels.cost_to_go in a SweepOrder), and a logit choice between a
place's outgoing legs.
"""

from __future__ import annotations

import numpy as np

from . import kernels
from .by_place import LegsByPlace
from .sweep_order import SweepOrder
from .world import World


def sigmoid(x):
    return 1.0 / (1.0 + kernels.exp(-np.clip(x, -50, 50)))


class Perception:
    """Perception groups (one per country of origin) and each group's cost-to-go, kept from day to day."""

    def __init__(self, world: World, behaviour):
        self.world, self.behaviour = world, behaviour
        origins = np.flatnonzero(world.place_kind == 0)
        group_countries = np.unique(world.place_nationality[origins])
        self.group_of_country = np.full(world.n_countries, -1, np.int32)
        self.group_of_country[group_countries] = np.arange(len(group_countries))
        self.group_country = group_countries
        self.n_groups = len(group_countries)
        self.origin_places = origins
        self.origin_group = self.group_of_country[world.place_nationality[origins]]
        self.origins_per_group = np.bincount(self.origin_group, minlength=self.n_groups)
        # the last cost-to-go per (group, place)
        self.values = np.full((self.n_groups, world.n_places), np.inf)
        self.by_place = LegsByPlace(world)
        self.sweep = SweepOrder(world)
        self.destinations = np.flatnonzero(world.is_destination)
        # the parts of a leg's perceived cost that do not change during a run
        self.days_cost = world.days * behaviour.value_of_day_eur
        self._held_days_cost = (None, self.days_cost)  # holding's days, and the days' cost with them
        # each (group, leg)'s preference, legs in rows as kernels.perceived_costs reads them
        self.pref = np.ascontiguousarray((world.preference[None, :] + world.nationality_preference[self.group_country]).T)
        self.terminal = np.ascontiguousarray(-world.appeal[world.is_destination], dtype=float)
        self._trust_of = self._trust_base = None  # the levers' trust multipliers, and the trust per group of them

    def appeal_this_year(self, appeal: np.ndarray) -> None:
        """This calendar year's appeal of the destinations (per place, EUR)."""
        self.terminal = np.ascontiguousarray(-appeal[self.world.is_destination], dtype=float)

    def prefer_this_year(self, extra: np.ndarray) -> None:
        """This calendar year's nationality preferences on top of the scenario's (countries x legs, EUR)."""
        world = self.world
        self.pref = np.ascontiguousarray((world.preference[None, :]
                                          + (world.nationality_preference + extra)[self.group_country]).T)

    def trust(self, trust_mult: np.ndarray, online_reach: float) -> np.ndarray:
        """Trust in smugglers' narratives per perception group, after campaigns and takedowns."""
        base, factor = self._trust_parts(trust_mult, online_reach)
        return base * factor

    def _trust_parts(self, trust_mult: np.ndarray, online_reach: float) -> tuple[np.ndarray, float]:
        """trust() as the product of its two parts: the trust per group before the networks' online
        reach (changes only with the levers) and the reach's factor."""
        if trust_mult is not self._trust_of:  # the levers' arrays are the same object while unchanged
            self._trust_of = trust_mult
            mult = np.bincount(self.origin_group, weights=trust_mult[self.origin_places],
                               minlength=self.n_groups) / self.origins_per_group
            self._trust_base = self.behaviour.trust_in_smugglers * mult
        online = self.behaviour.effects.online_trust_share
        return self._trust_base, (1.0 - online) + online * online_reach

    def days_cost_today(self, hold_days: np.ndarray | None) -> np.ndarray:
        """Each leg's days at value_of_day_eur, with the share effects.holding_foreseen of the mean days people
        are kept at its start (the holding event) before they may set off on it."""
        if hold_days is None:
            return self.days_cost
        if hold_days is not self._held_days_cost[0]:  # the levers' array is the same object while unchanged
            behaviour = self.behaviour
            extra = hold_days[self.world.src] * (behaviour.effects.holding_foreseen * behaviour.value_of_day_eur)
            self._held_days_cost = (hold_days, self.days_cost + extra)
        return self._held_days_cost[1]

    def cost_to_go_today(self, price, risks, closed, trust_mult, online_reach, readmit=(), visa=(), hold_days=None):
        """cost_to_go at the trust of trust(trust_mult, online_reach), in one kernel when no readmission
        or visa costs apply."""
        days_cost = self.days_cost_today(hold_days)
        if readmit or visa:
            return self.cost_to_go(price, risks, closed, self.trust(trust_mult, online_reach), readmit, visa,
                                   days_cost)
        world, behaviour, sweep = self.world, self.behaviour, self.sweep
        effects = behaviour.effects
        base, factor = self._trust_parts(trust_mult, online_reach)
        values, leg_costs = kernels.perceived_cost_to_go(
            price, days_cost, risks.p_intercept, risks.p_refused, risks.p_death, base, factor,
            float(behaviour.risk_underestimate), self.pref, float(behaviour.interception_cost_eur),
            float(behaviour.value_of_life_eur), float(effects.min_leg_cost_share), float(effects.min_leg_cost_eur),
            closed, sweep.places, sweep.blocks, sweep.starts, sweep.legs, sweep.ends, self.destinations, self.terminal,
            world.dst, world.n_places)
        self.values = values
        return values, leg_costs

    def cost_to_go(self, price, risks, closed, trust, readmit=(), visa=(), days_cost=None):
        """Perceived cost per leg (groups x legs) and cheapest cost to a destination (groups x places).

        Returns (values, leg_costs): the cost-to-go from each place, and each leg's perceived cost
        plus the cost-to-go from its end (what a person at its start compares)."""
        world, behaviour = self.world, self.behaviour
        effects = behaviour.effects
        # a group perceives a share 1 - trust x (1 - underestimate) of the real risk; a preferred corridor
        # can make a crossing feel cheaper, not free: no negative legs, so the cost-to-go stays well defined
        days_cost = self.days_cost if days_cost is None else days_cost
        cost = kernels.perceived_costs(price, days_cost, risks.p_intercept, risks.p_refused, risks.p_death,
                                       trust, float(behaviour.risk_underestimate), self.pref,
                                       float(behaviour.interception_cost_eur),
                                       float(behaviour.value_of_life_eur), float(effects.min_leg_cost_share),
                                       float(effects.min_leg_cost_eur))
        if readmit or visa:
            cost = self._policy_costs(cost, readmit, visa)
        # a less wanted destination is worth less at the end of the road: a higher cost-to-go
        sweep = self.sweep
        values, leg_costs = kernels.cost_to_go(cost, closed, sweep.places, sweep.blocks, sweep.starts, sweep.legs,
                                               sweep.ends, self.destinations, self.terminal, world.dst, world.n_places)
        self.values = values
        return values, leg_costs

    def _policy_costs(self, cost, readmit, visa):
        """Readmission and visa requirements, as people expect them.

        Returned with probability p from where a leg ends to where they started, people pay the leg again
        until they get through: its expected cost is (cost + p x interception cost) / (1 - p). A visa
        refused with probability p costs p x the interception cost, like a check before boarding; a
        certain refusal closes the leg to that nationality."""
        world, behaviour = self.world, self.behaviour
        cost = cost.copy()  # legs x groups
        for places, _, p in readmit:
            legs = np.isin(world.dst, places)
            cost[legs] = (cost[legs] + p * behaviour.interception_cost_eur) / (1.0 - p)
        for nationalities, legs, p in visa:
            groups = self.group_of_country[nationalities]
            groups = groups[groups >= 0]
            if len(groups) == 0 or len(legs) == 0:
                continue
            sel = np.ix_(legs, groups)
            cost[sel] = np.inf if p >= 1.0 else cost[sel] + p * behaviour.interception_cost_eur
        return cost

    def choice_probs(self, leg_costs) -> np.ndarray:
        """Logit choice between a place's outgoing legs: probability per (group, leg)."""
        world, by_place = self.world, self.by_place
        seg = world.src  # each leg's segment is its start place
        finite = np.isfinite(leg_costs)
        costs = np.where(finite, leg_costs, np.inf)
        mins = np.full((world.n_places, leg_costs.shape[0]), np.inf)
        mins[by_place.places] = by_place.min(costs.T[by_place.legs])
        mins = mins[seg].T
        usable = finite & np.isfinite(mins)
        rel = np.where(usable, costs - np.where(usable, mins, 0.0), 0.0)
        weight = np.where(usable, kernels.exp(-rel / self.behaviour.route_spread_eur), 0.0)
        sums = np.zeros((world.n_places, leg_costs.shape[0]))
        sums[by_place.places] = by_place.sum(weight.T[by_place.legs])
        sums = sums[seg].T
        return np.divide(weight, sums, out=np.zeros_like(weight), where=sums > 0)

    def choose_given(self, leg_costs, group: np.ndarray, place: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The leg each person (perception group, place, uniform draw `u`) picks by the logit choice; a
        leg that does not start at the person's place where every leg from there is closed to their eyes.
        The model makes the same choice inside kernels.choose_and_buy, its draws made there.

        The choice is one search per person in a sorted table of keys group x (places + 1) + place +
        the leg's cumulative share of its place (kernels.choose_legs). The table is built only for the
        groups present, and only as far along the legs as their searches can reach: a row of
        probabilities does not depend on the other rows, and a person whose place's legs are all
        closed looks past them into the next place's (or group's) first leg, as in the table of every
        group."""
        world = self.world
        z, rows, row_of, limits = kernels.choice_exponents(leg_costs, group, place, world.out_order, world.out_start,
                                                           world.out_count, float(self.behaviour.route_spread_eur))
        return kernels.choose_legs(kernels.exp(z), rows, limits, row_of, len(leg_costs), world.out_order, world.out_start,
                                   world.out_count, world.n_places, group, place, u)

    def expected_flows(self, values, leg_costs, demand) -> np.ndarray:
        """Expected people per day on each leg if nobody waited: sizes the networks at the start."""
        world, behaviour = self.world, self.behaviour
        probs = self.choice_probs(leg_costs)  # groups x legs: each nationality's own choices
        at = np.zeros((self.n_groups, world.n_places))
        origins, groups = self.origin_places, self.origin_group
        leave = sigmoid((behaviour.benefit_eur - values[groups, origins]) / behaviour.decision_spread_eur)
        at[groups, origins] = demand[origins] * np.where(np.isfinite(values[groups, origins]), leave, 0.0)
        arrive = np.zeros((world.n_legs, world.n_places))
        arrive[np.arange(world.n_legs), world.dst] = 1.0
        flows = np.zeros(world.n_legs)
        for _ in range(4 * world.n_places):
            at[:, world.is_destination] = 0
            if at.sum() < 1e-6:
                break
            leg_flow = at[:, world.src] * probs
            flows += leg_flow.sum(axis=0)
            at = leg_flow @ arrive
        return flows

