"""The market for places on smuggled legs: the networks' capacity and price on each leg, the queues,
the sale of places, the figures every network reads, and where networks are set up, move and enter.

Each smuggled leg belongs to one local market (a cluster): the smuggled legs of one corridor that
start in one country. Networks are set up per cluster and sell on its legs.
"""

from __future__ import annotations

import numpy as np

from ..effects import SETTLE_ANY
from . import kernels
from .agents import SmugglingNetwork
from .network_table import NetworkTable
from .world import World


def clusters(world: World) -> dict[tuple[int, int], np.ndarray]:
    """Smuggled legs grouped by corridor and the country they start in: one local market each."""
    out = {}
    for leg in np.flatnonzero(world.smuggled):
        out.setdefault((int(world.corridor[leg]), int(world.leg_country[leg])), []).append(leg)
    return {k: np.array(v, dtype=np.int32) for k, v in out.items()}


class Market:
    """Per-leg market state of the day (in people and euros), and the networks' entry and moves."""

    def __init__(self, world: World, behaviour, scale: int):
        self.world, self.behaviour, self.scale = world, behaviour, scale
        n_legs = world.n_legs
        self.capacity = np.zeros(n_legs)  # places the networks offer today
        self.price = world.fee.copy()  # today's price: the base fee times the networks' mean markup
        self.queue_people = np.zeros(n_legs)  # people who wanted a place today and got none
        self.served_people = np.zeros(n_legs)  # people sold a place today
        # the authority that acts on a leg: its controller, else the country it starts in
        self.leg_authority = np.where(world.control >= 0, world.control, world.leg_country).astype(np.int32)
        self._leg_ids = np.arange(world.n_legs, dtype=np.int32)  # the entry kernel reads the drag by leg
        self.clusters = clusters(world)
        self.networks = NetworkTable(self.leg_authority, world.control)  # the active networks' figures
        # the clusters' legs end to end, for the entry kernel
        sizes = [len(v) for v in self.clusters.values()]
        self._cluster_legs = (np.concatenate(list(self.clusters.values())).astype(np.int64) if sizes
                              else np.zeros(0, np.int64))
        self._cluster_sizes = np.array(sizes, np.int64)
        # the parts of the signals that depend only on the risks, and the risks they were computed for
        self._signal_risks = self._bribes_per_euro = self._drawn = None
        # the authorities' signals, and the authorities' figures (their version) and seizure levers they are of
        self._authority_signals, self._authority_key = None, None
        self._cluster_starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self._cluster_keys, self._cluster_leg_lists = list(self.clusters), list(self.clusters.values())

    # ------------------------------------------------------------------ networks
    def new_network(self, model, legs, corridor, members, capital, alloc=None) -> SmugglingNetwork:
        """A network registered with the model (Mesa agents belong to one model)."""
        return SmugglingNetwork(model, self.networks, legs, corridor, members, capital, alloc)

    def seed_networks(self, model, flows: np.ndarray) -> None:
        """Networks at the start, sized for the expected flows on each cluster's legs."""
        behaviour = self.behaviour
        effects = behaviour.effects
        with self.networks.batch():  # the table's arrays made once, not copied for every network
            for (corridor, _), legs in self.clusters.items():
                need = max(float(flows[legs].sum()) * effects.seed_headroom,
                           behaviour.capacity_per_member * behaviour.members_per_network
                           * effects.seed_min_network_share)
                members = need / behaviour.capacity_per_member
                n = max(1, int(round(members / behaviour.members_per_network)))
                alloc = (flows[legs] + 1e-3) / (flows[legs] + 1e-3).sum()
                for _ in range(n):
                    self.new_network(model, legs, corridor, members / n, behaviour.hire_cost_eur * members / n,
                                     alloc)

    def shift_networks(self, model, smugglers, from_corridors, to_corridor, share) -> None:
        """A share of the networks on some corridors moves to another (a network_shift event)."""
        targets = [legs for (corr, _), legs in self.clusters.items() if corr == to_corridor]
        if not targets:
            return
        legs = np.unique(np.concatenate(targets))
        for net in list(smugglers):
            if net.corridor in from_corridors and net.members > 0:
                moved = net.members * share
                net.members -= moved
                money = max(net.capital, 0) * share
                net.capital -= money
                self.new_network(model, legs, to_corridor, moved, money)

    def enter_networks(self, model, rng, drag: np.ndarray) -> int:
        """New networks appear where demand is unmet and the business pays; seizures (and deterrence) slow
        it: `drag` per leg divides the entry rate. Returns how many entered.

        Computed for all clusters at once; one draw per cluster that passes both tests, in cluster
        order, as a loop over the clusters would draw them."""
        behaviour = self.behaviour
        effects = behaviour.effects
        # a few model entries always wait at a coarse scale: only a real queue draws a new network
        least = max(effects.entry_min_queue, effects.entry_min_queue_entries * self.scale)
        unmet, enters = kernels.entering(
            kernels.bits(rng), self.queue_people, self.capacity, self.price, self._cluster_legs, self._cluster_starts,
            self._cluster_sizes, float(least), float(effects.entry_min_queue_share),
            behaviour.member_cost_eur_per_day / behaviour.capacity_per_member, drag, self._leg_ids,
            float(behaviour.entry_rate), float(effects.entry_queue_pull))
        if len(enters) == 0:
            return 0
        keys, cluster_legs = self._cluster_keys, self._cluster_leg_lists
        for c in enters:
            (corridor, _), legs = keys[c], cluster_legs[c]
            # sized for part of the unmet demand it sees
            members = max(effects.entry_min_members,
                          min(float(unmet[c]) / behaviour.capacity_per_member * effects.entry_unmet_share,
                              float(behaviour.members_per_network)))
            self.new_network(model, legs, corridor, members, behaviour.hire_cost_eur * members)
        return len(enters)

    # ------------------------------------------------------------------ the day's market
    def open(self) -> None:
        """Today's capacity and price on each leg, from the networks selling there; queues start empty."""
        world, nets = self.world, self.networks
        self.capacity, self.price = kernels.market_open(nets.legs, nets.seg, nets.members, nets.alloc, nets.markup,
                                                        float(self.behaviour.capacity_per_member), world.fee,
                                                        self.queue_people, self.served_people)

    def sell_to_choosers(self, rng_bits, weight, rows, limits, row_of, n_groups, out_order, out_start, out_count,
                         waiting, owed, place, group, money, credit, leg, closed, leg_costs, broke_days, state,
                         stranded_new):
        """People choose their leg (kernels.choose_and_buy, after kernels.departing) and buy places:
        places on smuggled legs sold up to the networks' capacity, in random order within each leg's
        queue (kernels.sell); other legs take everybody. Those too poor for the leg they chose take the
        cheapest instead, unless it is worse than behaviour.effects.settle_margin_eur allows. Returns the
        buyers who got a place, their legs, and whether their place was owed (a free retry)."""
        world = self.world
        go, go_leg, go_owed, self.queue_people, self.served_people = kernels.choose_and_buy(
            rng_bits, weight, rows, limits, row_of, n_groups, out_order, out_start, out_count, waiting, owed, place,
            group, money, credit, leg, self.price, closed, world.src, self.capacity, self.scale, world.smuggled,
            leg_costs, self._settle_margin(), broke_days, state, self.behaviour.strand_after_days, stranded_new)
        return go, go_leg, go_owed

    def _settle_margin(self) -> float:
        # the schema's largest value means no limit: even a leg that leads nowhere (an infinite cost) is taken
        margin = float(self.behaviour.effects.settle_margin_eur)
        return np.inf if margin >= SETTLE_ANY else margin

    def cheapest_price(self, closed: np.ndarray) -> np.ndarray:
        """Cheapest open leg from each place today (inf where every leg is closed or none leaves)."""
        return kernels.cheapest_open(self.price, closed, self.world.src, self.world.n_places)[0]

    def signals(self, risks, country_today: dict[str, np.ndarray], seizure_mult: np.ndarray, authority_version: int):
        """Per-leg figures every network reads today (computed once here rather than in each network),
        and the pressure of the authority acting on each leg. Returns (leg signals, authority signals).

        `authority_version` changes whenever the authorities' figures (`country_today`) do: the authority
        signals are rebuilt only then or when the seizure levers change (nobody writes into them)."""
        behaviour = self.behaviour
        if risks is not self._signal_risks:  # the parts that change only with the risks
            self._signal_risks = risks
            self._bribes_per_euro = behaviour.bribe_share * risks.corruption
            self._drawn = kernels.exp(-behaviour.effects.capacity_avoids_interception * risks.p_intercept)
        leg_signals = kernels.leg_signals(self.queue_people, self.served_people, self.price, self.capacity,
                                          self._bribes_per_euro, self._drawn, risks.open, risks.p_intercept)
        key = self._authority_key
        if key is None or key[0] != authority_version or key[1] is not seizure_mult:
            self._authority_signals = np.stack([country_today["arrest_pressure"], country_today["seizure_pressure"],
                                                country_today["takedown_pressure"], seizure_mult])
            self._authority_key = (authority_version, seizure_mult)
        return leg_signals, self._authority_signals
