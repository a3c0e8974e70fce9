"""The order in which the cost-to-go visits places: each place after every place its legs lead to.

The cost-to-go of a place is the cheapest of its legs' cost plus the cost-to-go where the leg ends.
Visited in this order, every leg ends at a place already final, so one pass gives the exact values of
a network without cycles (the Europe and Americas networks have none). Places on a cycle (a strongly
connected component of the legs' graph) come together as one block, after the blocks their legs leave
for; the kernel sweeps a block until nothing changes in it (kernels.cost_to_go).

Computed once per network: the components by scipy, then the blocks ordered sinks first (Kahn's
algorithm on the graph of components, the lowest component number first among those ready, so the
order does not depend on anything but the network). Destinations are left out: their value is their
terminal value whatever legs leave them.
"""

from __future__ import annotations

import heapq

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .world import World


class SweepOrder:
    """Places with legs out (destinations excepted) in blocks, each block after those its legs reach.

    `places[blocks[b]:blocks[b + 1]]` is block b; place i of `places` has the legs
    `legs[starts[i]:starts[i + 1]]` (in `world.out_order`), which end at `ends` (same positions)."""

    def __init__(self, world: World):
        src, dst = np.asarray(world.src, np.int64), np.asarray(world.dst, np.int64)
        n = world.n_places
        keep = ~world.is_destination[src]  # a destination's legs never change its value
        graph = sp.csr_matrix((np.ones(int(keep.sum())), (src[keep], dst[keep])), shape=(n, n))
        n_comp, comp = connected_components(graph, directed=True, connection="strong")
        # the components each component's legs lead to (other than itself)
        cross = comp[src[keep]] != comp[dst[keep]]
        pairs = set(zip(comp[src[keep]][cross].tolist(), comp[dst[keep]][cross].tolist()))
        waiting_on = np.zeros(n_comp, np.int64)  # components still to be visited that a component leads to
        feeds = [[] for _ in range(n_comp)]  # the components leading to a component
        for a, b in pairs:
            waiting_on[a] += 1
            feeds[b].append(a)
        ready = [c for c in range(n_comp) if waiting_on[c] == 0]
        heapq.heapify(ready)
        members = [[] for _ in range(n_comp)]
        for p in range(n):
            if world.out_count[p] > 0 and not world.is_destination[p]:
                members[comp[p]].append(p)
        places, blocks = [], [0]
        while ready:
            c = heapq.heappop(ready)
            if members[c]:
                places += members[c]
                blocks.append(len(places))
            for a in feeds[c]:
                waiting_on[a] -= 1
                if waiting_on[a] == 0:
                    heapq.heappush(ready, a)
        self.places = np.array(places, np.int64)
        self.blocks = np.array(blocks, np.int64)
        counts = world.out_count[self.places].astype(np.int64)
        self.starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.legs = (np.concatenate([world.out_order[world.out_start[p]: world.out_start[p] + world.out_count[p]]
                                     for p in places]).astype(np.int64) if places else np.zeros(0, np.int64))
        self.ends = dst[self.legs]
        self.cyclic = int((np.diff(self.blocks) > 1).sum())  # blocks swept more than once
