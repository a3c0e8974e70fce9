"""Compiled kernels (Numba) for the loops the model runs every day over small arrays.

A day's fixed cost was hundreds of NumPy calls on arrays of a few hundred entries, each paying about
a microsecond or more of call overhead; here the same arithmetic runs as plain loops. Each kernel does
the floating-point operations of the NumPy code it replaces in the same order, so results are the same
to the last bit (tests/test_kernels.py checks them against the NumPy versions in perception.py).
Transcendental functions stay in NumPy: Numba's `exp` is not NumPy's to the last bit.

`cache=True` keeps the machine code on disk (in `__pycache__`, or NUMBA_CACHE_DIR), so a process
compiles a kernel once per machine and a worker only loads it.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def perceived_costs(price, days_cost, p_intercept, p_refused, p_death, seen, pref, interception_cost,
                    value_of_life, min_share, min_eur):
    """Each group's perceived cost of each leg (groups x legs): price, days, expected interceptions and
    refusals, and the share `seen` of the death risk; the preference added, but never below a floor."""
    n_groups, n_legs = pref.shape
    cost = np.empty((n_groups, n_legs))
    for leg in range(n_legs):
        base = (price[leg] + days_cost[leg]) + (p_intercept[leg] + p_refused[leg]) * interception_cost
        death = p_death[leg] * value_of_life
        for g in range(n_groups):
            c = base + seen[g] * death
            cost[g, leg] = max(c + pref[g, leg], min_share * c + min_eur)
    return cost


@njit(cache=True)
def cost_to_go(values, cost, closed, legs, offsets, places, ends, dest, terminal, dst, max_sweeps):
    """The cost-to-go from yesterday's `values` (groups x places, updated in place): closed legs cost
    inf, destinations are worth their terminal value, then value_iteration. Returns each leg's cost
    plus the cost-to-go from its end (groups x legs)."""
    n_groups, n_legs = cost.shape
    cost = cost.copy()
    for leg in range(n_legs):
        if closed[leg]:
            for g in range(n_groups):
                cost[g, leg] = np.inf
    for g in range(n_groups):
        for i in range(len(dest)):
            values[g, dest[i]] = terminal[i]
    value_iteration(values, cost, legs, offsets, places, ends, dest, terminal, max_sweeps)
    out = np.empty((n_groups, n_legs))
    for g in range(n_groups):
        for leg in range(n_legs):
            out[g, leg] = cost[g, leg] + values[g, dst[leg]]
    return out


@njit(cache=True)
def value_iteration(values, cost, legs, offsets, places, ends, dest, terminal, max_sweeps):
    """Jacobi sweeps of the cost-to-go, in place on `values` (groups x places), until no place moves by
    more than 2 EUR (an unreachable place, inf before and after, has not moved).

    `cost` is the perceived cost per (group, leg). `legs` are ranked as in LegsByPlace: column k
    (positions offsets[k]:offsets[k+1]) holds the k-th leg out of each of the first places of `places`;
    `ends` are those legs' end places. The sweeps run on (places x groups) copies, so that the
    innermost loop runs over the groups in contiguous memory (vectorised)."""
    n_groups, n_places, n_ranked, n_legs = values.shape[0], values.shape[1], len(places), len(legs)
    n_cols = len(offsets) - 1
    at = np.empty((n_places, n_groups))
    for g in range(n_groups):
        for p in range(n_places):
            at[p, g] = values[g, p]
    leg_cost = np.empty((n_legs, n_groups))
    for i in range(n_legs):
        for g in range(n_groups):
            leg_cost[i, g] = cost[g, legs[i]]
    best = np.empty((n_ranked, n_groups))
    for _ in range(max_sweeps):
        # every place's best leg from the last sweep's values: the first leg, then the k-th legs
        for r in range(n_ranked):
            end = ends[r]
            for g in range(n_groups):
                best[r, g] = leg_cost[r, g] + at[end, g]
        for k in range(1, n_cols):
            start = offsets[k]
            for r in range(offsets[k + 1] - start):
                end = ends[start + r]
                for g in range(n_groups):
                    v = leg_cost[start + r, g] + at[end, g]
                    b = best[r, g]
                    best[r, g] = v if v < b else b
        moved = False
        for r in range(n_ranked):
            p = places[r]
            for g in range(n_groups):
                if abs(best[r, g] - at[p, g]) > 2.0:  # EUR; inf - inf is nan: not moved
                    moved = True
                at[p, g] = best[r, g]
        for i in range(len(dest)):
            for g in range(n_groups):
                at[dest[i], g] = terminal[i]
        if not moved:
            break
    for g in range(n_groups):
        for p in range(n_places):
            values[g, p] = at[p, g]


@njit(cache=True)
def choice_exponents(leg_costs, src, out_order, out_start, out_count, spread):
    """For the logit choice: per (group, leg), -(cost - cheapest from its place) / spread, and whether
    the leg is usable (finite cost at a place with a finite cheapest leg); 0 where not usable."""
    n_groups, n_legs = leg_costs.shape
    n_places = len(out_start)
    z = np.zeros((n_groups, n_legs))
    usable = np.zeros((n_groups, n_legs), np.bool_)
    mins = np.empty(n_places)
    for g in range(n_groups):
        for p in range(n_places):
            m = np.inf
            for k in range(out_count[p]):
                c = leg_costs[g, out_order[out_start[p] + k]]
                if c < m:
                    m = c
            mins[p] = m
        for leg in range(n_legs):
            c, m = leg_costs[g, leg], mins[src[leg]]
            if np.isfinite(c) and np.isfinite(m):
                usable[g, leg] = True
                z[g, leg] = -(c - m) / spread
    return z, usable


@njit(cache=True)
def choose_legs(weight, usable, groups, out_order, out_start, out_count, src, group, place, u):
    """The leg each person picks: the sorted key table of Perception.choice_table over the rows of
    `weight` (exp of choice_exponents; rows are the perception groups `groups`, ascending), then one
    search per person, as Perception.choose does with NumPy."""
    n_rows, n_legs = weight.shape
    n_places = len(out_start)
    stride = n_places + 1
    keys = np.empty(n_rows * n_legs)
    sums = np.empty(n_places)
    probs = np.empty(n_legs)
    for i in range(n_rows):
        # per place, the sum of its legs' weights in np.add.reduceat's order: the first, plus the others
        # added one after another
        for p in range(n_places):
            n = out_count[p]
            if n == 0:
                sums[p] = 0.0
                continue
            first = out_start[p]
            s = weight[i, out_order[first]] if usable[i, out_order[first]] else 0.0
            if n > 1:
                rest = weight[i, out_order[first + 1]] if usable[i, out_order[first + 1]] else 0.0
                for k in range(2, n):
                    leg = out_order[first + k]
                    rest += weight[i, leg] if usable[i, leg] else 0.0
                s += rest
            sums[p] = s
        for leg in range(n_legs):
            s = sums[src[leg]]
            probs[leg] = (weight[i, leg] if usable[i, leg] else 0.0) / s if s > 0 else 0.0
        # cumulative sum over the legs sorted by place; each leg's share of its place so far
        base = groups[i] * stride
        csum = 0.0
        row = np.empty(n_legs)
        for j in range(n_legs):
            csum += probs[out_order[j]]
            row[j] = csum
        for j in range(n_legs):
            seg = src[out_order[j]]
            first = out_start[seg]
            before = row[first - 1] if first > 0 else 0.0
            within = min(row[j] - before, 1.0)
            keys[i * n_legs + j] = float(base + seg) + within
    out = np.empty(len(group), np.int64)
    last = len(keys) - 1
    for m in range(len(group)):
        key = float(group[m] * stride + place[m]) + u[m] * (1 - 1e-9) + 1e-12
        pos = min(np.searchsorted(keys, key), last) % n_legs
        out[m] = out_order[pos]
    return out


@njit(cache=True)
def cheapest_open(price, closed, src, n_places):
    """Per place, the cheapest open leg's price (inf where none) and the leg (-1 where none); among legs
    of the same price, the lowest leg number."""
    best = np.full(n_places, np.inf)
    leg_of = np.full(n_places, -1, np.int64)
    for leg in range(len(price)):
        if closed[leg]:
            continue
        p = src[leg]
        if price[leg] < best[p]:
            best[p] = price[leg]
            leg_of[p] = leg
    return best, leg_of
