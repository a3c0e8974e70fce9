"""The smuggling networks' state as one table of arrays, owned by the market.

The networks are Mesa agents (agents.SmugglingNetwork), but each is a thin view on one row of this
table: a day's work (the networks' step, the market's capacity and price, the record, the online
reach) is a few array operations over all rows instead of a Python loop over ~45 agents; the networks'
step runs in one compiled kernel (kernels.networks_day: networks_earn, the arrests' draws, networks_adapt).

Two kinds of columns:
- per network (one row each, in the order the networks were set up, which is the order of the Mesa
  AgentSet): members, capital, markup, reach and the day's revenue, bribes, seized, arrested;
- per leg a network sells on ("slots", the networks' legs one after the other, in row order): the leg,
  the authority acting on it, the one bribed there, the capacity's allocation, and the day's revenue,
  bribes and shares of arrests and seizures.

Rows are removed only when networks are dismantled (a few a year), so the table is rebuilt then;
every sum over a network's legs keeps the order of the per-network code it replaces.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from . import kernels

ROW = ("members", "capital", "markup", "reach", "revenue", "bribes", "seized", "arrested")
SLOT = ("alloc", "leg_revenue", "leg_bribes", "arrest_share", "seize_share")


class NetworkTable:
    """Every active network's figures, row by row; `agents[i]` is the Mesa agent of row i."""

    _pending: list | None = None  # rows added in a batch (see batch), not yet in the arrays

    def __init__(self, leg_authority: np.ndarray, leg_control: np.ndarray):
        self.leg_authority, self.leg_control = leg_authority, leg_control
        self.agents: list = []
        self._constants_of, self._constants_cached = None, ()  # see _constants
        self.corridor = np.zeros(0, np.int64)
        self.uid = np.zeros(0, np.int64)
        self.sizes = np.zeros(0, np.int64)
        for name in ROW:
            setattr(self, name, np.zeros(0))
        self.legs = np.zeros(0, np.int32)
        self.where = np.zeros(0, np.int32)
        self.control = np.zeros(0, np.int32)
        for name in SLOT:
            setattr(self, name, np.zeros(0))
        self._index()

    def __len__(self) -> int:
        return len(self.agents)

    def _index(self) -> None:
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        self.seg = np.repeat(np.arange(len(self.sizes)), self.sizes)

    # ------------------------------------------------------------------ rows
    @contextmanager
    def batch(self):
        """Rows added inside are put into the arrays together at the end (the same arrays as adding
        them one by one, without copying every column for each row); nothing may read the table
        meanwhile."""
        self._pending = []
        try:
            yield self
        finally:
            pending, self._pending = self._pending, None
            if pending:
                self._append_rows(pending)

    def _append_rows(self, rows: list) -> None:
        legs = [r[0] for r in rows]
        self.corridor = np.concatenate([self.corridor, np.array([r[1] for r in rows], np.int64)])
        self.uid = np.concatenate([self.uid, np.array([r[2] for r in rows], np.int64)])
        self.sizes = np.concatenate([self.sizes, np.array([len(x) for x in legs], np.int64)])
        for i, name in enumerate(ROW):
            setattr(self, name, np.concatenate([getattr(self, name), np.array([float(r[3][i]) for r in rows])]))
        all_legs = np.concatenate(legs)
        self.legs = np.concatenate([self.legs, all_legs])
        self.where = np.concatenate([self.where, self.leg_authority[all_legs]])
        self.control = np.concatenate([self.control, np.maximum(self.leg_control[all_legs], 0).astype(np.int32)])
        self.alloc = np.concatenate([self.alloc] + [r[4] for r in rows])
        for name in SLOT[1:]:
            setattr(self, name, np.concatenate([getattr(self, name), np.zeros(len(all_legs))]))
        self._index()

    def add(self, agent, legs: np.ndarray, corridor: int, members: float, capital: float,
            alloc: np.ndarray | None = None) -> int:
        """A new row for `agent` (capacity shared over its legs by `alloc`, equally when None); returns
        its row index."""
        legs = np.asarray(legs, dtype=np.int32)
        k = len(legs)
        row = len(self.agents)
        self.agents.append(agent)
        if self._pending is not None:
            share = np.full(k, 1.0 / k) if alloc is None else np.asarray(alloc, dtype=np.float64)
            self._pending.append((legs, corridor, agent.unique_id, (members, capital, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0),
                                  share))
            return row
        self.corridor = np.append(self.corridor, corridor)
        self.uid = np.append(self.uid, agent.unique_id)
        self.sizes = np.append(self.sizes, k)
        for name, value in zip(ROW, (members, capital, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0)):
            setattr(self, name, np.append(getattr(self, name), float(value)))
        self.legs = np.concatenate([self.legs, legs])
        self.where = np.concatenate([self.where, self.leg_authority[legs]])
        self.control = np.concatenate([self.control, np.maximum(self.leg_control[legs], 0).astype(np.int32)])
        self.alloc = np.concatenate([self.alloc, np.full(k, 1.0 / k) if alloc is None
                                     else np.asarray(alloc, dtype=np.float64)])
        for name in SLOT[1:]:
            setattr(self, name, np.concatenate([getattr(self, name), np.zeros(k)]))
        self._index()
        return row

    def slots(self, row: int) -> slice:
        start = int(self.starts[row])
        return slice(start, start + int(self.sizes[row]))

    def remove(self, gone: np.ndarray) -> list:
        """Drop the rows marked in `gone`; the remaining agents get their new row index. Returns the
        agents removed."""
        keep = ~gone
        removed = [a for a, g in zip(self.agents, gone) if g]
        self.agents = [a for a, k in zip(self.agents, keep) if k]
        for name in ("corridor", "uid", "sizes") + ROW:
            setattr(self, name, getattr(self, name)[keep])
        slot_keep = keep[self.seg]
        for name in ("legs", "where", "control") + SLOT:
            setattr(self, name, getattr(self, name)[slot_keep])
        self._index()
        for i, agent in enumerate(self.agents):
            agent._row = i
        return removed

    # ------------------------------------------------------------------ the day
    def capacity(self, capacity_per_member: float) -> np.ndarray:
        """Places per day each network can sell on each of its legs (people), per slot."""
        return self.members[self.seg] * capacity_per_member * self.alloc

    def online_reach(self) -> float:
        """Online reach weighted by members (1 with no networks). Python's sum, as over the agents (in the
        kernel)."""
        return kernels.online_reach(self.reach, self.members)

    def step(self, leg_signals: np.ndarray, authority_signals: np.ndarray, behaviour, rng) -> np.ndarray:
        """One day of every network (each network's day depends only on today's market and authority
        signals, not on the others'; arrests are drawn in row order).

        Each network earns fees, pays members and bribes, loses members to arrests and capital to
        seizures, moves capacity towards demand and away from policed legs, raises its price under
        pressure, hires while demand is unmet and money allows, and is dismantled when it runs down.

        `leg_signals` (5 x legs) and `authority_signals` (4 x countries) are the market's figures of the
        day (see market.Market.signals). Returns the rows to dismantle (a mask); the model removes them
        once the day is recorded."""
        n = len(self.agents)
        if n == 0:
            return np.zeros(0, bool)
        # the columns become rows of the kernels' new tables: nothing is written into a past day's arrays
        drawn, per_network, per_slot, gone = kernels.networks_day(
            kernels.bits(rng), self.members, self.capital, self.alloc, self.reach, self.markup, self.legs, self.where,
            self.starts, self.sizes, leg_signals, authority_signals, float(behaviour.capacity_per_member),
            float(behaviour.member_cost_eur_per_day), self._constants(behaviour))
        if not drawn:  # arrests expected by the dozen: NumPy draws them, between the two halves of the day
            return self._step_in_halves(leg_signals, authority_signals, behaviour, rng)
        (self.members, self.capital, self.reach, self.markup, self.seized, self.arrested, self.revenue,
         self.bribes) = per_network
        self.alloc, self.arrest_share, self.seize_share, self.leg_revenue, self.leg_bribes = per_slot
        return gone

    def _step_in_halves(self, leg_signals, authority_signals, behaviour, rng) -> np.ndarray:
        """step, with the arrests drawn by NumPy between kernels.networks_earn and networks_adapt."""
        per_network, per_slot, expected = kernels.networks_earn(
            self.members, self.capital, self.alloc, self.legs, self.where, self.starts, self.sizes, leg_signals,
            authority_signals, float(behaviour.capacity_per_member), float(behaviour.member_cost_eur_per_day))
        capacity, self.revenue, self.bribes, capital, arrest_p, seize_p = per_network
        self.leg_revenue, self.leg_bribes, arrest_share, seize_share = per_slot
        # arrests drawn in row order, for the networks the authorities reach
        drawn = rng.poisson(expected)
        per_network, per_slot, gone = kernels.networks_adapt(
            self.members, capital, capacity, self.alloc, self.reach, self.markup, drawn, arrest_share, seize_share,
            arrest_p, seize_p, self.legs, self.where, self.starts, self.sizes, leg_signals, authority_signals,
            self._constants(behaviour))
        self.members, self.capital, self.reach, self.markup, self.seized, self.arrested = per_network
        self.alloc, self.arrest_share, self.seize_share = per_slot
        return gone

    def _constants(self, behaviour) -> tuple:
        """The behaviour's figures the second half of the day reads (kernels.networks_adapt), as floats;
        kept for the run's behaviour."""
        if self._constants_of is behaviour:
            return self._constants_cached
        effects = behaviour.effects
        self._constants_of = behaviour
        self._constants_cached = tuple(float(x) for x in (
            effects.reach_recovery, behaviour.adapt_rate, behaviour.price_under_pressure, effects.markup_unmet,
            effects.markup_speed, behaviour.hire_cost_eur, behaviour.recruit_rate, effects.hire_capital_share,
            effects.unpaid_member_retention, effects.dismantle_share * behaviour.members_per_network))
        return self._constants_cached
