"""The Mesa agents: one authority per country, and the smuggling networks.

People are not agents here: they are the vectorised population owned by the model (see people.py).
Agents read what they need from their arguments and hand their results back; they do not write
into the model.
"""

from __future__ import annotations

import mesa
import numpy as np

# what an authority hands the model each day, one value per country
COUNTRY_FIGURES = ("effectiveness", "corruption", "arrest_pressure", "seizure_pressure", "takedown_pressure",
                   "training")


class Authority(mesa.Agent):
    """A country's border, police and financial authorities, as one actor.

    Each day it turns its base capacities and the levers acting on it into today's effectiveness and
    the pressure it puts on the networks operating on its legs (arrests, seizures, takedowns).
    """

    def __init__(self, model, country: int, iso3: str, base: dict[str, float], behaviour):
        super().__init__(model)
        self.country = country
        self.iso3 = iso3
        self.base = base
        self.behaviour = behaviour
        self.training = self.enforcement = self.digital = self.financial = self.corruption = 0.0
        self.effectiveness = self.arrest_pressure = self.seizure_pressure = self.takedown_pressure = 0.0

    def step(self, today) -> dict[str, float]:
        """Today's figures from the levers acting on this country; returns them (COUNTRY_FIGURES)."""
        i, behaviour = self.country, self.behaviour
        gain = today.capacity_gain[i]

        def grown(x):
            return x + (1.0 - x) * gain

        self.training = grown(self.base["training"])
        self.enforcement = grown(self.base["enforcement"]) * today.budget_mult[i]
        self.digital = grown(self.base["digital_capacity"])
        self.financial = grown(self.base["financial_capacity"])
        self.corruption = min(1.0, self.base["corruption"] + today.corruption_add[i]) * today.corruption_mult[i]
        # trained staff use the same capacity better; cooperation is applied per leg by the model
        trained = behaviour.effects.training_effect
        self.effectiveness = self.enforcement * ((1.0 - 0.5 * trained) + trained * self.training)
        honest = 1.0 - self.corruption
        self.arrest_pressure = behaviour.arrest_rate * self.effectiveness * today.arrest_mult[i] * honest
        self.seizure_pressure = (behaviour.seizure_rate * self.financial * today.seizure_mult[i]
                                 * (1.0 - behaviour.effects.corruption_shields_seizures * self.corruption))
        self.takedown_pressure = behaviour.takedown_rate * self.digital * today.takedown_mult[i]
        return {name: getattr(self, name) for name in COUNTRY_FIGURES}


class SmugglingNetwork(mesa.Agent):
    """A smuggling network selling places on some legs.

    It earns fees, pays members and bribes, loses members to arrests and capital to seizures, moves
    capacity away from policed legs towards demand, raises prices under pressure, hires when demand is
    unmet and it has the money, and is dismantled when both members and capital run low.
    """

    def __init__(self, model, legs: np.ndarray, corridor: int, members: float, capital: float, *,
                 leg_authority: np.ndarray, leg_control: np.ndarray):
        """`leg_authority` and `leg_control` are per leg of the route graph: the authority acting on a
        leg, and the country controlling it (-1 if none)."""
        super().__init__(model)
        self.legs = np.asarray(legs, dtype=np.int32)
        # the authority acting on each leg, and the one bribed on it (its controller)
        self.where = leg_authority[self.legs]
        self.control = np.maximum(leg_control[self.legs], 0)
        self.corridor = corridor
        self.alloc = np.full(len(self.legs), 1.0 / len(self.legs))
        self.members = float(members)
        self.capital = float(capital)
        self.markup = 1.0
        self.reach = 1.0
        self.founded = model.steps  # Mesa's step count when it was set up (0: at the start)
        self.revenue = 0.0
        self.bribes = 0.0
        self.seized = 0.0
        self.arrested = 0.0
        self.leg_revenue = np.zeros(len(self.legs))
        self.leg_bribes = np.zeros(len(self.legs))
        self.arrest_share = np.zeros(len(self.legs))
        self.seize_share = np.zeros(len(self.legs))

    def capacity(self, capacity_per_member: float) -> np.ndarray:
        """Places per day it can sell on each of its legs (people)."""
        return self.members * capacity_per_member * self.alloc

    @staticmethod
    def step_all(networks: list, leg_signals: np.ndarray, authority_signals: np.ndarray, behaviour,
                 rng) -> list:
        """One day of every network, computed together over their legs (each network's day depends only
        on today's market and authority signals, not on the others'; arrests are drawn in network order).

        Each network earns fees, pays members and bribes, loses members to arrests and capital to
        seizures, moves capacity towards demand and away from policed legs, raises its price under
        pressure, hires while demand is unmet and money allows, and is dismantled when it runs down.

        `leg_signals` (5 x legs) and `authority_signals` (4 x countries) are the market's figures of the
        day (see market.Market.signals). Returns the networks to dismantle; the model removes them
        once the day is recorded."""
        if not networks:
            return []
        sizes = np.fromiter((len(n.legs) for n in networks), np.int64, len(networks))
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        seg = np.repeat(np.arange(len(networks)), sizes)
        legs = np.concatenate([n.legs for n in networks])
        where = np.concatenate([n.where for n in networks])
        alloc = np.concatenate([n.alloc for n in networks])
        members = np.fromiter((n.members for n in networks), float, len(networks))
        capital = np.fromiter((n.capital for n in networks), float, len(networks))
        markup = np.fromiter((n.markup for n in networks), float, len(networks))
        reach = np.fromiter((n.reach for n in networks), float, len(networks))

        effects = behaviour.effects

        def per_network(x):
            return np.add.reduceat(x, starts)

        # today's signals on their legs and from the authorities acting there
        revenue_per_capacity, bribe_rate, appeal, p_int, demand = leg_signals[:, legs]
        arrest, seizure, takedown, seizure_mult = authority_signals[:, where]
        capacity = members * behaviour.capacity_per_member
        leg_revenue = capacity[seg] * alloc * revenue_per_capacity
        leg_bribes = leg_revenue * bribe_rate
        revenue, bribes = per_network(leg_revenue), per_network(leg_bribes)
        capital = capital + revenue - bribes - members * behaviour.member_cost_eur_per_day

        # what the authorities where they operate do to them: arrests, seizures, takedowns
        arrest_share, seize_share = arrest * alloc, seizure * alloc
        arrest_p, seize_p = per_network(arrest_share), per_network(seize_share)
        arrested = np.zeros(len(networks))
        hit = arrest_p > 0
        if hit.any():
            arrested[hit] = np.minimum(rng.poisson(members[hit] * np.minimum(arrest_p[hit], 1.0)), members[hit])
        members = members - arrested
        seized = np.maximum(capital, 0.0) * np.minimum(seize_p, 1.0)
        capital = capital - seized
        # the recorder credits arrests and seizures to countries by these shares
        arrest_share = np.where(hit[seg], arrest_share / np.where(hit, arrest_p, 1.0)[seg], arrest_share)
        seize_share = np.where((seize_p > 0)[seg], seize_share / np.where(seize_p > 0, seize_p, 1.0)[seg], seize_share)
        cut = np.minimum(per_network(takedown * alloc), 1.0)
        reach = np.minimum(1.0, reach * (1.0 - cut) + effects.reach_recovery * (1.0 - reach))

        # adapt: capacity follows demand and avoids policed or closed legs
        total = per_network(appeal)
        moves = (total > 0)[seg]
        rate = behaviour.adapt_rate
        alloc = np.where(moves, (1 - rate) * alloc + rate / np.where(total > 0, total, 1.0)[seg] * appeal, alloc)
        pressure = per_network(alloc * p_int)
        drag = per_network(alloc * seizure_mult)
        unmet = np.maximum(0.0, per_network(demand) - capacity) / np.maximum(capacity, 1.0)
        target_markup = 1.0 + behaviour.price_under_pressure * pressure + effects.markup_unmet * np.minimum(unmet, 1.0)
        markup = markup + effects.markup_speed * (target_markup - markup)

        # grow where demand is unmet and money allows (seizures slow it); shed members they cannot pay
        grow = (unmet > 0) & (capital > behaviour.hire_cost_eur)
        hires = np.where(grow, np.minimum(
            behaviour.recruit_rate * np.maximum(members, 1.0) * np.minimum(unmet, 1.0) / drag,
            effects.hire_capital_share * capital / behaviour.hire_cost_eur), 0.0)
        members = np.where(grow, members + hires, np.where(capital < 0, members * effects.unpaid_member_retention, members))
        capital = capital - hires * behaviour.hire_cost_eur
        gone = (members < 1.0) | ((members < effects.dismantle_share * behaviour.members_per_network)
                                  & (capital < behaviour.hire_cost_eur))

        dismantled = []
        for i, n in enumerate(networks):
            sl = slice(starts[i], starts[i] + sizes[i])
            n.leg_revenue, n.leg_bribes = leg_revenue[sl], leg_bribes[sl]
            n.arrest_share, n.seize_share, n.alloc = arrest_share[sl], seize_share[sl], alloc[sl]
            n.revenue, n.bribes, n.seized, n.arrested = float(revenue[i]), float(bribes[i]), float(seized[i]), \
                float(arrested[i])
            n.members, n.capital, n.markup, n.reach = float(members[i]), float(capital[i]), float(markup[i]), \
                float(reach[i])
            if gone[i]:
                dismantled.append(n)
        return dismantled

    def __repr__(self) -> str:
        return (f"SmugglingNetwork(id={self.unique_id}, corridor={self.corridor}, members={self.members:.1f}, "
                f"capital={self.capital:,.0f})")
