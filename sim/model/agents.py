"""The Mesa agents: one authority per country, and the smuggling networks.

People are not agents here: they are the vectorised population owned by the model (see people.py).
Agents read what they need from their arguments and hand their results back; they do not write
into the model.
"""

from __future__ import annotations

import mesa
import numpy as np

from .network_table import ROW, SLOT

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

    Its figures live in one row of the market's NetworkTable (network_table.py), where the day is
    computed for all networks at once; the attributes here read and write that row.
    """

    def __init__(self, model, table, legs: np.ndarray, corridor: int, members: float, capital: float,
                 alloc: np.ndarray | None = None):
        """`table` is the market's NetworkTable; the network sells on `legs` of the route graph, its
        capacity shared over them by `alloc` (equally when None)."""
        super().__init__(model)
        self._table = table
        self.corridor = corridor
        self.founded = model.steps  # Mesa's step count when it was set up (0: at the start)
        self._row = table.add(self, legs, corridor, members, capital, alloc)

    def capacity(self, capacity_per_member: float) -> np.ndarray:
        """Places per day it can sell on each of its legs (people)."""
        return self.members * capacity_per_member * self.alloc

    def __repr__(self) -> str:
        return (f"SmugglingNetwork(id={self.unique_id}, corridor={self.corridor}, members={self.members:.1f}, "
                f"capital={self.capital:,.0f})")


def _row_figure(name: str) -> property:
    def get(self) -> float:
        return float(getattr(self._table, name)[self._row])

    def set(self, value: float) -> None:
        # a new array, not a write in place: the recorder keeps the table's arrays of past days
        column = getattr(self._table, name).copy()
        column[self._row] = value
        setattr(self._table, name, column)
    return property(get, set, doc=f"the network's {name} (its row of the market's table)")


def _slot_figure(name: str) -> property:
    def get(self) -> np.ndarray:
        return getattr(self._table, name)[self._table.slots(self._row)]

    def set(self, value) -> None:
        column = getattr(self._table, name).copy()
        column[self._table.slots(self._row)] = value
        setattr(self._table, name, column)
    return property(get, set, doc=f"the network's {name} on each of its legs (a view on the market's table)")


for _name in ROW:
    setattr(SmugglingNetwork, _name, _row_figure(_name))
for _name in SLOT + ("legs", "where", "control"):
    setattr(SmugglingNetwork, _name, _slot_figure(_name))
