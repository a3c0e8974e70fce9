"""The Mesa agents: one authority per country, and the smuggling networks.

People are not agents here: they are the vectorised population owned by the model (see people.py).
"""

from __future__ import annotations

import mesa
import numpy as np


class Authority(mesa.Agent):
    """A country's border, police and financial authorities, as one actor.

    Each day it turns its base capacities and the levers acting on it into today's effectiveness and
    the pressure it puts on the networks operating on its legs (arrests, seizures, takedowns).
    """

    def __init__(self, model, country: int, iso3: str):
        super().__init__(model)
        self.country = country
        self.iso3 = iso3
        base = model.world.base
        self.base = {k: float(v[country]) for k, v in base.items()}
        self.step()

    def step(self) -> None:
        m, i, b = self.model, self.country, self.model.behaviour
        t = m.today
        gain = t.capacity_gain[i]

        def grown(x):
            return x + (1.0 - x) * gain

        self.training = grown(self.base["training"])
        self.enforcement = grown(self.base["enforcement"]) * t.budget_mult[i]
        self.digital = grown(self.base["digital_capacity"])
        self.financial = grown(self.base["financial_capacity"])
        self.corruption = min(1.0, self.base["corruption"] + t.corruption_add[i]) * t.corruption_mult[i]
        # trained staff use the same capacity better; cooperation is applied per leg by the model
        self.effectiveness = self.enforcement * (0.75 + 0.5 * self.training)
        honest = 1.0 - self.corruption
        self.arrest_pressure = b.arrest_rate * self.effectiveness * t.arrest_mult[i] * honest
        self.seizure_pressure = b.seizure_rate * self.financial * t.seizure_mult[i] * (1.0 - 0.5 * self.corruption)
        self.takedown_pressure = b.takedown_rate * self.digital * t.takedown_mult[i]
        c = m.country_today
        c["effectiveness"][i] = self.effectiveness
        c["corruption"][i] = self.corruption
        c["arrest_pressure"][i] = self.arrest_pressure
        c["seizure_pressure"][i] = self.seizure_pressure
        c["takedown_pressure"][i] = self.takedown_pressure
        c["training"][i] = self.training


class SmugglingNetwork(mesa.Agent):
    """A smuggling network selling places on some legs.

    It earns fees, pays members and bribes, loses members to arrests and capital to seizures, moves
    capacity away from policed legs towards demand, raises prices under pressure, hires when demand is
    unmet and it has the money, and is dismantled when both members and capital run low.
    """

    def __init__(self, model, legs: np.ndarray, corridor: int, members: float, capital: float):
        super().__init__(model)
        self.legs = np.asarray(legs, dtype=np.int32)
        # the authority acting on each leg, and the one bribed on it (its controller)
        self.where = model.leg_authority[self.legs]
        self.control = np.maximum(model.world.control[self.legs], 0)
        self.corridor = corridor
        self.alloc = np.full(len(self.legs), 1.0 / len(self.legs))
        self.members = float(members)
        self.capital = float(capital)
        self.markup = 1.0
        self.reach = 1.0
        self.founded = model.day
        self.revenue = 0.0
        self.bribes = 0.0
        self.seized = 0.0
        self.arrested = 0.0
        self.leg_revenue = np.zeros(len(self.legs))
        self.leg_bribes = np.zeros(len(self.legs))
        self.arrest_share = np.zeros(len(self.legs))
        self.seize_share = np.zeros(len(self.legs))

    def capacity(self) -> np.ndarray:
        """Places per day it can sell on each of its legs (people)."""
        return self.members * self.model.behaviour.capacity_per_member * self.alloc

    def step(self) -> None:
        m, b = self.model, self.model.behaviour
        alloc = self.alloc
        # today's signals on its legs and from the authorities acting there, read in two gathers
        revenue_per_capacity, bribe_rate, appeal, p_int, demand = m.leg_signals[:, self.legs]
        arrest, seizure, takedown, seizure_mult = m.authority_signals[:, self.where]
        capacity = self.members * b.capacity_per_member
        self.leg_revenue = (capacity * alloc) * revenue_per_capacity
        self.leg_bribes = self.leg_revenue * bribe_rate
        self.revenue = float(self.leg_revenue.sum())
        self.bribes = float(self.leg_bribes.sum())
        self.capital += self.revenue - self.bribes - self.members * b.member_cost_eur_per_day

        # what the authorities where it operates do to it: arrests, seizures, takedowns
        self.arrest_share, self.seize_share = arrest * alloc, seizure * alloc
        arrest_p, seize_p = float(self.arrest_share.sum()), float(self.seize_share.sum())
        self.arrested = min(float(m.rng.poisson(self.members * min(arrest_p, 1.0))), self.members) \
            if arrest_p > 0 else 0.0
        self.members -= self.arrested
        self.seized = max(self.capital, 0.0) * min(seize_p, 1.0)
        self.capital -= self.seized
        # the recorder credits arrests and seizures to countries by these shares
        if arrest_p > 0:
            self.arrest_share = self.arrest_share / arrest_p
        if seize_p > 0:
            self.seize_share = self.seize_share / seize_p
        cut = min(float(takedown @ alloc), 1.0)
        self.reach = min(1.0, self.reach * (1.0 - cut) + 0.01 * (1.0 - self.reach))

        # adapt: capacity follows demand and avoids policed or closed legs
        total = appeal.sum()
        if total > 0:
            self.alloc = alloc = (1 - b.adapt_rate) * alloc + (b.adapt_rate / total) * appeal
        pressure = float(alloc @ p_int)
        drag = float(alloc @ seizure_mult)
        wanted = float(demand.sum())
        unmet = max(0.0, wanted - capacity) / max(capacity, 1.0)
        target_markup = 1.0 + b.price_under_pressure * pressure + 0.3 * min(unmet, 1.0)
        self.markup += 0.1 * (target_markup - self.markup)

        # grow where demand is unmet and money allows (seizures slow it); shed members it cannot pay
        if unmet > 0 and self.capital > b.hire_cost_eur:
            hires = min(b.recruit_rate * max(self.members, 1.0) * min(unmet, 1.0) / drag,
                        0.5 * self.capital / b.hire_cost_eur)
            self.members += hires
            self.capital -= hires * b.hire_cost_eur
        elif self.capital < 0:
            self.members *= 0.97

        if self.members < 1.0 or (self.members < 0.25 * b.members_per_network and self.capital < b.hire_cost_eur):
            m.dismantle(self)

    def __repr__(self) -> str:
        return (f"SmugglingNetwork(id={self.unique_id}, corridor={self.corridor}, members={self.members:.1f}, "
                f"capital={self.capital:,.0f})")


def stochastic_round(rng, x: np.ndarray) -> np.ndarray:
    """Round each value up or down at random so that the expected value is kept."""
    floor = np.floor(x)
    return (floor + (rng.random(x.shape) < (x - floor))).astype(np.int64)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50, 50)))

