"""Compiled kernels (Numba) for the loops the model runs every day over small arrays.

A day's fixed cost was hundreds of NumPy calls on arrays of a few hundred entries, each paying about
a microsecond or more of call overhead; here the same arithmetic runs as plain loops. Each kernel does
the floating-point operations of the NumPy code it replaces in the same order, so results are the same
to the last bit (tests/test_kernels.py checks them against the NumPy code they replaced). Random draws
are NumPy's: made by the callers between kernels, or inside a kernel from the model's own generator
(its bit generator's C functions, called on its state, see "NumPy's draws" below) by NumPy's own
algorithms, so the same numbers come out in the same order.

The model's own exponentials and logarithms go through `exp` and `log` below (the C library's exp on each value), not `np.exp`:
NumPy chooses its exp code by the CPU (AVX-512 or AVX2), and the two give some values other last bits,
enough to flip a rare choice, so the same seed gave other results on an AVX-512 machine (seventeenth
session); the C library's exp is the same on both, and costs no measurable time (docs/performance.md).

`cache=True` keeps the machine code on disk (in `__pycache__`, or NUMBA_CACHE_DIR), so a process
compiles a kernel once per machine and a worker only loads it. The kernels stay in this one file on
purpose: Numba's cache checks only the file of the function it loads, so a kernel calling a kernel of
another file would keep its stale copy after that file changed. Numba's cache cannot load recursive
kernels safely (tests/test_kernels_cache.py): none here is recursive.
"""

from __future__ import annotations

import ctypes
import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from .people import ALTERNATIVE, ARRIVED, DEAD, DETAINED, MOVING, RETURNED, STAYED, STRANDED, WAITING

# ---------------------------------------------------------------------------- NumPy's draws, inside kernels
# A kernel draws from the model's generator as NumPy would: it calls the bit generator's own C functions
# (next_double, next_uint32) on the generator's state, and runs NumPy's algorithms (numpy/random/src/
# distributions/distributions.c) for the few distributions the day needs. A draw made here leaves the
# generator exactly as NumPy's would (tests/test_kernels.py compares values and the state after them).
# Poisson and binomial draws are ported only for their small-mean branches (Poisson mean below 10,
# binomial n x min(p, 1 - p) up to 30, NumPy's multiplication and inversion methods); a caller whose
# arguments fall outside them (larger scales) lets NumPy draw, before any draw is made here.

_POINTERS: dict = {}  # per bit generator type: the addresses of its next_double and next_uint32
# the last generator's ctypes interface and its bits, as one tuple (replaced whole: threads each see a
# consistent pair); the interface is made once per bit generator and kept alive here, so a later
# generator (a copy, an unpickled one) cannot have the same object
_last: tuple = (None, None)


def bits(rng) -> tuple[int, int, int]:
    """What a kernel needs to draw from `rng`: the addresses of its bit generator's next_double and
    next_uint32 and of its state. Looked up from the bit generator itself (a copied or unpickled
    generator has its own state), remembered for the last one."""
    global _last
    bit_generator = rng.bit_generator
    interface = bit_generator.ctypes
    last = _last
    if interface is last[0]:
        return last[1]
    fns = _POINTERS.get(type(bit_generator))
    if fns is None:
        fns = _POINTERS[type(bit_generator)] = (ctypes.cast(interface.next_double, ctypes.c_void_p).value,
                                                ctypes.cast(interface.next_uint32, ctypes.c_void_p).value)
    found = (fns[0], fns[1], interface.state_address)
    _last = (interface, found)
    return found


def _c_call(ret, ret_type):
    """An intrinsic calling the C function at address `fn` (an integer) on the state at `state`."""
    @intrinsic
    def call(typingctx, fn, state):
        if not (isinstance(fn, types.Integer) and isinstance(state, types.Integer)):
            return None  # a typing error, not a call through a float
        def codegen(context, builder, signature, args):
            pointer = ir.IntType(8).as_pointer()
            function = builder.inttoptr(args[0], ir.FunctionType(ret, [pointer]).as_pointer())
            return builder.call(function, [builder.inttoptr(args[1], pointer)])
        return ret_type(types.intp, types.intp), codegen
    return call


_next_double = _c_call(ir.DoubleType(), types.float64)
_next_uint32 = _c_call(ir.IntType(32), types.uint32)


@njit(cache=True)
def _exp_into(x, out):
    for i in range(x.size):
        out[i] = math.exp(x[i])


@njit(cache=True)
def _log_into(x, out):
    for i in range(x.size):
        out[i] = math.log(x[i])


def _c_library(x, scalar, kernel):
    """scalar(x) for a number, else kernel applied to each value of x (any shape, any strides)."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 0:
        return scalar(float(a))
    a = np.ascontiguousarray(a)
    out = np.empty(a.shape)
    kernel(a.reshape(-1), out.reshape(-1))
    return out


def exp(x):
    """np.exp(x) with the C library's exp on each value: the same on every x86-64 CPU (module docstring)."""
    return _c_library(x, math.exp, _exp_into)


def log(x):
    """np.log(x) with the C library's log, for the same reason as exp."""
    return _c_library(x, math.log, _log_into)


@njit(cache=True)
def uniform(src):
    """One draw of rng.random() (`src` from bits(rng))."""
    return _next_double(src[0], src[2])


@njit(cache=True)
def uniforms(src, n):
    """rng.random(n)."""
    out = np.empty(n)
    for i in range(n):
        out[i] = _next_double(src[0], src[2])
    return out


@njit(cache=True)
def poisson_fits(lam):
    """Whether rng.poisson(lam) takes only the branches ported here (every mean in [0, 10))."""
    for x in lam:
        if not (x >= 0.0 and x < 10.0):
            return False
    return True


@njit(cache=True)
def poisson(src, lam):
    """rng.poisson(lam) for means that poisson_fits: NumPy's multiplication method."""
    out = np.empty(len(lam), np.int64)
    for i in range(len(lam)):
        x = lam[i]
        k = 0
        if x != 0.0:
            enlam = math.exp(-x)
            prod = 1.0
            while True:
                prod *= _next_double(src[0], src[2])
                if prod > enlam:
                    k += 1
                else:
                    break
        out[i] = k
    return out


@njit(cache=True)
def binomial_fits(n, p):
    """Whether rng.binomial(n, p) takes only the branches ported here (NumPy's inversion method)."""
    for i in range(len(n)):
        q = p[i]
        if not (n[i] >= 0 and q >= 0.0 and q <= 1.0):
            return False
        if n[i] != 0 and q != 0.0 and (q * n[i] > 30.0 if q <= 0.5 else (1.0 - q) * n[i] > 30.0):
            return False
    return True


@njit(cache=True)
def _binomial_inversion(src, n, p):
    q = 1.0 - p
    qn = math.exp(n * math.log(q))
    np_ = n * p
    bound = np.int64(min(float(n), np_ + 10.0 * math.sqrt(np_ * q + 1)))
    x = 0
    px = qn
    u = _next_double(src[0], src[2])
    while u > px:
        x += 1
        if x > bound:
            x = 0
            px = qn
            u = _next_double(src[0], src[2])
        else:
            u -= px
            px = ((n - x + 1) * p * px) / (x * q)
    return x


@njit(cache=True)
def binomial(src, n, p):
    """rng.binomial(n, p) for arguments that binomial_fits."""
    out = np.empty(len(n), np.int64)
    for i in range(len(n)):
        if n[i] == 0 or p[i] == 0.0:
            out[i] = 0
        elif p[i] <= 0.5:
            out[i] = _binomial_inversion(src, n[i], p[i])
        else:
            out[i] = n[i] - _binomial_inversion(src, n[i], 1.0 - p[i])
    return out


@njit(cache=True)
def permutation(src, n):
    """rng.permutation(n): NumPy's shuffle of arange(n), each swap partner by masked rejection on
    32-bit draws (n stays far below 2**32 here)."""
    out = np.arange(n)
    for i in range(n - 1, 0, -1):
        top = np.uint32(i)
        mask = top
        for shift in (1, 2, 4, 8, 16):
            mask |= mask >> np.uint32(shift)
        while True:
            j = _next_uint32(src[1], src[2]) & mask
            if j <= top:
                break
        j = np.int64(j)
        out[i], out[j] = out[j], out[i]
    return out


@njit(cache=True)
def perceived_costs(price, days_cost, p_intercept, p_refused, p_death, trust, underestimate, pref, interception_cost,
                    value_of_life, min_share, min_eur):
    """Each group's perceived cost of each leg (legs x groups, as `pref`): price, days, expected
    interceptions and refusals, and the share of the death risk a group sees (1 - trust x underestimate
    share); the preference added, but never below a floor. Legs in rows: cost_to_go's loops run over
    the groups of a leg."""
    n_legs, n_groups = pref.shape
    seen = np.empty(n_groups)
    for g in range(n_groups):
        seen[g] = 1.0 - trust[g] * (1.0 - underestimate)
    cost = np.empty((n_legs, n_groups))
    for leg in range(n_legs):
        base = (price[leg] + days_cost[leg]) + (p_intercept[leg] + p_refused[leg]) * interception_cost
        death = p_death[leg] * value_of_life
        row, leg_pref = cost[leg], pref[leg]
        for g in range(n_groups):
            c = base + seen[g] * death
            row[g] = max(c + leg_pref[g], min_share * c + min_eur)
    return cost


@njit(cache=True)
def cost_to_go(cost, closed, places, blocks, starts, legs, ends, dest, terminal, dst, n_places):
    """The cheapest perceived cost from each place to a destination (groups x places), exact, from
    the perceived cost of each leg (`cost`, legs x groups, the day's own array): closed legs cost inf
    (written into `cost`), destinations are worth their terminal value, a place that cannot reach one
    is worth inf. Returns the values and each leg's cost plus the value where it ends (groups x legs).

    The places are visited in a SweepOrder (`places` in `blocks`, the legs of place i at
    `starts[i]:starts[i + 1]` of `legs` and `ends`): each after the places its legs lead to, so a
    block of one place is final after one visit. A block of places on a cycle is swept until no value
    changes: from inf, the values only come down (Bellman-Ford; the costs are not negative), and a
    block of n places is settled after n sweeps, so at most n + 1 are made. The work runs on
    (legs x groups) and (places x groups) arrays so that the innermost loop runs over the groups in
    contiguous memory (vectorised)."""
    n_legs, n_groups = cost.shape
    for leg in range(n_legs):
        if closed[leg]:
            for g in range(n_groups):
                cost[leg, g] = np.inf
    by_leg = cost
    at = np.full((n_places, n_groups), np.inf)
    for i in range(len(dest)):
        for g in range(n_groups):
            at[dest[i], g] = terminal[i]
    for b in range(len(blocks) - 1):
        lo, hi = blocks[b], blocks[b + 1]
        if hi - lo == 1:  # every leg ends at a final value (or here: inf, then never below the others)
            row = at[places[lo]]
            first = starts[lo]
            leg_cost, end = by_leg[legs[first]], at[ends[first]]
            for g in range(n_groups):
                row[g] = leg_cost[g] + end[g]
            for j in range(first + 1, starts[lo + 1]):
                leg_cost, end = by_leg[legs[j]], at[ends[j]]
                for g in range(n_groups):
                    v, r = leg_cost[g] + end[g], row[g]
                    row[g] = v if v < r else r
            continue
        for _ in range(hi - lo + 1):
            changed = False
            for i in range(lo, hi):
                row = at[places[i]]
                for j in range(starts[i], starts[i + 1]):
                    leg_cost, end = by_leg[legs[j]], at[ends[j]]
                    for g in range(n_groups):
                        v = leg_cost[g] + end[g]
                        if v < row[g]:
                            row[g] = v
                            changed = True
            if not changed:
                break
    values = np.empty((n_groups, n_places))
    for p in range(n_places):
        for g in range(n_groups):
            values[g, p] = at[p, g]
    out = np.empty((n_groups, n_legs))
    for leg in range(n_legs):
        leg_cost, end = by_leg[leg], at[dst[leg]]
        for g in range(n_groups):
            out[g, leg] = leg_cost[g] + end[g]
    return values, out


@njit(cache=True)
def perceived_cost_to_go(price, days_cost, p_intercept, p_refused, p_death, trust_base, trust_factor, underestimate,
                         pref, interception_cost, value_of_life, min_share, min_eur, closed, places, blocks, starts,
                         legs, ends, dest, terminal, dst, n_places):
    """perceived_costs then cost_to_go in one call (Perception.cost_to_go without readmission or visa
    costs), each group's trust taken as trust_base x trust_factor (Perception.trust's product)."""
    trust = np.empty(len(trust_base))
    for g in range(len(trust_base)):
        trust[g] = trust_base[g] * trust_factor
    cost = perceived_costs(price, days_cost, p_intercept, p_refused, p_death, trust, underestimate, pref,
                           interception_cost, value_of_life, min_share, min_eur)
    return cost_to_go(cost, closed, places, blocks, starts, legs, ends, dest, terminal, dst, n_places)


@njit(cache=True)
def choice_rows(group, place, n_groups, out_start, out_count):
    """The perception groups with somebody choosing (ascending), each group's row among them (-1 if
    none), and how far along the legs sorted by place each row's keys are needed: to the end of the
    first place with legs after the furthest place anybody of the group is at (or all legs)."""
    furthest = np.full(n_groups, -1, np.int64)
    for m in range(len(group)):
        if place[m] > furthest[group[m]]:
            furthest[group[m]] = place[m]
    n_rows = 0
    for g in range(n_groups):
        if furthest[g] >= 0:
            n_rows += 1
    rows, row_of, limits = np.empty(n_rows, np.int64), np.full(n_groups, -1, np.int64), np.empty(n_rows, np.int64)
    n_legs = out_start[-1] + out_count[-1]
    k = 0
    for g in range(n_groups):
        if furthest[g] < 0:
            continue
        rows[k], row_of[g] = g, k
        limits[k] = n_legs
        for q in range(furthest[g] + 1, len(out_start)):
            if out_count[q] > 0:
                limits[k] = out_start[q] + out_count[q]
                break
        k += 1
    return rows, row_of, limits


@njit(cache=True)
def choice_exponents(leg_costs, group, place, out_order, out_start, out_count, spread):
    """For the logit choice of people (perception `group`, `place`): the rows of choice_rows, and per
    (row, leg) -(cost - cheapest from its place) / spread for a leg with a finite cost at a place with
    a finite cheapest leg, else -inf (a weight exp(-inf) = 0: not usable). Columns in the order of
    out_order (legs sorted by their place), up to each row's limit (-inf after). Rows are the
    perception groups `rows` of `leg_costs`. Returns (exponents, rows, row_of, limits)."""
    rows, row_of, limits = choice_rows(group, place, len(leg_costs), out_start, out_count)
    n_legs = leg_costs.shape[1]
    z = np.full((len(rows), n_legs), -np.inf)
    for i in range(len(rows)):
        g = rows[i]
        for p in range(len(out_start)):
            first, n = out_start[p], out_count[p]
            if first >= limits[i]:
                break
            m = np.inf
            for j in range(first, first + n):
                c = leg_costs[g, out_order[j]]
                if c < m:
                    m = c
            for j in range(first, first + n):
                c = leg_costs[g, out_order[j]]
                z[i, j] = -(c - m) / spread if np.isfinite(c) and np.isfinite(m) else -np.inf
    return z, rows, row_of, limits


@njit(cache=True)
def choose_legs(weight, rows, limits, row_of, n_groups, out_order, out_start, out_count, n_places, group, place, u):
    """The leg each person picks (Perception.choose): one search per person in the sorted key table of
    the route choice, the table built from `weight` (exp of choice_exponents).

    A key is group x (places + 1) + place + the leg's cumulative share of its place, that share taken
    as the difference of the row's cumulative sums over all legs, as np.cumsum gives them; a place's
    weights sum in np.add.reduceat's order (the first, plus the others added one after another).
    Keys are sorted, so a person's search ends in their group's row, by the first place with legs after
    theirs (within the row's limit); past the row's end it lands on the next group's first leg, or on
    the last leg after the last group, as in the table of every group."""
    n_legs = weight.shape[1]
    stride = n_places + 1
    keys = np.empty((len(rows), n_legs))
    for i in range(len(rows)):
        base = rows[i] * stride
        csum = 0.0
        before = 0.0
        for p in range(n_places):
            first, n = out_start[p], out_count[p]
            if first >= limits[i]:
                break
            if n == 0:
                continue
            s = weight[i, first]
            if n > 1:
                rest = weight[i, first + 1]
                for j in range(first + 2, first + n):
                    rest += weight[i, j]
                s += rest
            for j in range(first, first + n):
                csum += weight[i, j] / s if s > 0 else 0.0
                keys[i, j] = float(base + p) + min(csum - before, 1.0)
            before = csum
    out = np.empty(len(group), np.int64)
    for m in range(len(group)):
        i = row_of[group[m]]
        key = float(group[m] * stride + place[m]) + u[m] * (1 - 1e-9) + 1e-12
        pos = np.searchsorted(keys[i, :limits[i]], key)
        if pos < limits[i]:
            out[m] = out_order[pos]
        else:  # past the row's last leg
            out[m] = out_order[n_legs - 1] if group[m] == n_groups - 1 else out_order[0]
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


# ---------------------------------------------------------------------------- NumPy's sums, bit for bit
@njit(cache=True)
def _block_sum(x, start, n):
    """NumPy's pairwise_sum for n <= 128: sequential below 8 numbers, else 8 running sums."""
    if n < 8:
        res = -0.0
        for i in range(n):
            res += x[start + i]
        return res
    r0, r1, r2, r3 = x[start], x[start + 1], x[start + 2], x[start + 3]
    r4, r5, r6, r7 = x[start + 4], x[start + 5], x[start + 6], x[start + 7]
    i = 8
    while i < n - (n % 8):
        r0 += x[start + i]
        r1 += x[start + i + 1]
        r2 += x[start + i + 2]
        r3 += x[start + i + 3]
        r4 += x[start + i + 4]
        r5 += x[start + i + 5]
        r6 += x[start + i + 6]
        r7 += x[start + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += x[start + i]
        i += 1
    return res


@njit(cache=True)
def pairwise_sum(x, start, n):
    """The sum of x[start:start + n] in the order NumPy's float reductions use (pairwise_sum in its
    loops: blocks of at most 128 numbers, halves above, the halves' sizes multiples of 8). The halving
    runs on an explicit stack: Numba's cache does not load recursive functions safely."""
    if n <= 128:
        return _block_sum(x, start, n)
    frames = np.empty((64, 3), np.int64)  # start, size, stage (0: new, 1: left done, 2: both done)
    values = np.empty(64)
    frames[0, 0], frames[0, 1], frames[0, 2] = start, n, 0
    top, n_values = 1, 0
    while top > 0:
        s, m, stage = frames[top - 1, 0], frames[top - 1, 1], frames[top - 1, 2]
        if m <= 128:
            values[n_values] = _block_sum(x, s, m)
            n_values += 1
            top -= 1
            continue
        half = m // 2
        half -= half % 8
        if stage == 0:
            frames[top - 1, 2] = 1
            frames[top, 0], frames[top, 1], frames[top, 2] = s, half, 0
            top += 1
        elif stage == 1:
            frames[top - 1, 2] = 2
            frames[top, 0], frames[top, 1], frames[top, 2] = s + half, m - half, 0
            top += 1
        else:
            values[n_values - 2] = values[n_values - 2] + values[n_values - 1]
            n_values -= 1
            top -= 1
    return values[0]


@njit(cache=True)
def segment_sums(x, starts, sizes):
    """np.add.reduceat(x, starts) for segments of `sizes` >= 1 laid end to end: each segment's first
    number, plus the pairwise sum of the others."""
    out = np.empty(len(starts))
    for i in range(len(starts)):
        s = starts[i]
        out[i] = x[s] + pairwise_sum(x, s + 1, sizes[i] - 1) if sizes[i] > 1 else x[s]
    return out


@njit(cache=True)
def python_sum(x):
    """sum(x.tolist()) to the last bit: Python 3.12's sum of floats, from the integer 0 (0 + the first
    value), then Neumaier's compensated summation, the compensation added at the end when finite."""
    n = len(x)
    if n == 0:
        return 0.0
    total = 0 + x[0]
    c = 0.0
    for i in range(1, n):
        v = x[i]
        t = total + v
        if abs(total) >= abs(v):
            c += (total - t) + v
        else:
            c += (v - t) + total
        total = t
    if c != 0.0 and np.isfinite(c):
        total += c
    return total


@njit(cache=True)
def online_reach(reach, members):
    """NetworkTable.online_reach: reach weighted by members, summed as Python sums (1 with no members)."""
    total = python_sum(members)
    if not total > 0:
        return 1.0
    return python_sum(reach * members) / total


# ---------------------------------------------------------------------------- the networks' day
@njit(cache=True)
def _minimum(a, b):
    return a if a <= b else b  # np.minimum (no NaN here), -0.0 and 0.0 included


@njit(cache=True)
def _maximum(a, b):
    return a if a >= b else b


@njit(cache=True)
def networks_earn(members, capital, alloc, legs, where, starts, sizes, leg_signals, authority_signals,
                  capacity_per_member, member_cost):
    """The networks' day up to the arrests (NetworkTable.step): fees, bribes, wages, and each network's
    exposure to arrests and seizures. Returns per network the rows (capacity, revenue, bribes, capital,
    arrest pressure, seizure pressure), per slot the rows (leg revenue, leg bribes, arrest shares,
    seizure shares), and the expected arrests of the networks under arrest pressure (two tables
    rather than ten arrays: each array handed back to Python costs a little)."""
    n, n_slots = len(members), len(legs)
    capacity = np.empty(n)
    for i in range(n):
        capacity[i] = members[i] * capacity_per_member
    leg_revenue, leg_bribes = np.empty(n_slots), np.empty(n_slots)
    arrest_share, seize_share = np.empty(n_slots), np.empty(n_slots)
    for i in range(n):
        for j in range(starts[i], starts[i] + sizes[i]):
            leg, w = legs[j], where[j]
            leg_revenue[j] = capacity[i] * alloc[j] * leg_signals[0, leg]
            leg_bribes[j] = leg_revenue[j] * leg_signals[1, leg]
            arrest_share[j] = authority_signals[0, w] * alloc[j]
            seize_share[j] = authority_signals[1, w] * alloc[j]
    revenue = segment_sums(leg_revenue, starts, sizes)
    bribes = segment_sums(leg_bribes, starts, sizes)
    capital = capital + revenue - bribes - members * member_cost
    arrest_p = segment_sums(arrest_share, starts, sizes)
    seize_p = segment_sums(seize_share, starts, sizes)
    # the expected arrests of each network the authorities reach (arrest_p > 0), in row order
    n_hit = 0
    for i in range(n):
        if arrest_p[i] > 0:
            n_hit += 1
    expected = np.empty(n_hit)
    k = 0
    for i in range(n):
        if arrest_p[i] > 0:
            expected[k] = members[i] * _minimum(arrest_p[i], 1.0)
            k += 1
    per_network, per_slot = np.empty((6, n)), np.empty((4, n_slots))
    for row, x in enumerate((capacity, revenue, bribes, capital, arrest_p, seize_p)):
        per_network[row, :] = x
    for row, x in enumerate((leg_revenue, leg_bribes, arrest_share, seize_share)):
        per_slot[row, :] = x
    return per_network, per_slot, expected


@njit(cache=True)
def networks_adapt(members, capital, capacity, alloc, reach, markup, drawn, arrest_share, seize_share,
                   arrest_p, seize_p, legs, where, starts, sizes, leg_signals, authority_signals, c):
    """The rest of the networks' day (NetworkTable.step) after the arrests are drawn (`drawn`, one per
    network under arrest pressure, at most its members): seizures, online reach, capacity moved
    towards demand, price, hiring, and who is dismantled. `c` holds the behaviour's figures in the
    order of NetworkTable._constants. Returns per network the rows (members, capital, reach, markup,
    seized, arrested), per slot the rows (alloc, arrest shares, seizure shares), and gone."""
    (reach_recovery, adapt_rate, price_under_pressure, markup_unmet, markup_speed, hire_cost, recruit_rate,
     hire_capital_share, unpaid_retention, dismantle_members) = c
    n, n_slots = len(members), len(legs)
    arrested = np.zeros(n)
    k = 0
    for i in range(n):
        if arrest_p[i] > 0:
            arrested[i] = _minimum(float(drawn[k]), members[i])
            k += 1
    members = members - arrested
    seized, new_capital = np.empty(n), np.empty(n)
    for i in range(n):
        seized[i] = _maximum(capital[i], 0.0) * _minimum(seize_p[i], 1.0)
        new_capital[i] = capital[i] - seized[i]
    capital = new_capital
    # the recorder credits arrests and seizures to countries by these shares
    arrest_share, seize_share = arrest_share.copy(), seize_share.copy()
    cut_share, appeal, new_alloc = np.empty(n_slots), np.empty(n_slots), np.empty(n_slots)
    demand = np.empty(n_slots)
    for i in range(n):
        for j in range(starts[i], starts[i] + sizes[i]):
            if arrest_p[i] > 0:
                arrest_share[j] = arrest_share[j] / arrest_p[i]
            if seize_p[i] > 0:
                seize_share[j] = seize_share[j] / seize_p[i]
            cut_share[j] = authority_signals[2, where[j]] * alloc[j]
            appeal[j] = leg_signals[2, legs[j]]
            demand[j] = leg_signals[4, legs[j]]
    cut = segment_sums(cut_share, starts, sizes)
    new_reach = np.empty(n)
    for i in range(n):
        new_reach[i] = _minimum(1.0, reach[i] * (1.0 - _minimum(cut[i], 1.0)) + reach_recovery * (1.0 - reach[i]))
    # adapt: capacity follows demand and avoids policed or closed legs
    total = segment_sums(appeal, starts, sizes)
    pressure_share, drag_share = np.empty(n_slots), np.empty(n_slots)
    for i in range(n):
        for j in range(starts[i], starts[i] + sizes[i]):
            if total[i] > 0:
                new_alloc[j] = (1 - adapt_rate) * alloc[j] + adapt_rate / total[i] * appeal[j]
            else:
                new_alloc[j] = alloc[j]
            pressure_share[j] = new_alloc[j] * leg_signals[3, legs[j]]
            drag_share[j] = new_alloc[j] * authority_signals[3, where[j]]
    pressure = segment_sums(pressure_share, starts, sizes)
    drag = segment_sums(drag_share, starts, sizes)
    wanted = segment_sums(demand, starts, sizes)
    new_markup, gone = np.empty(n), np.empty(n, np.bool_)
    new_members = np.empty(n)
    for i in range(n):
        unmet = _maximum(0.0, wanted[i] - capacity[i]) / _maximum(capacity[i], 1.0)
        target = 1.0 + price_under_pressure * pressure[i] + markup_unmet * _minimum(unmet, 1.0)
        new_markup[i] = markup[i] + markup_speed * (target - markup[i])
        # grow where demand is unmet and money allows (seizures slow it); shed members they cannot pay
        hires = 0.0
        if unmet > 0 and capital[i] > hire_cost:
            hires = _minimum(recruit_rate * _maximum(members[i], 1.0) * _minimum(unmet, 1.0) / drag[i],
                             hire_capital_share * capital[i] / hire_cost)
            new_members[i] = members[i] + hires
        elif capital[i] < 0:
            new_members[i] = members[i] * unpaid_retention
        else:
            new_members[i] = members[i]
        capital[i] = capital[i] - hires * hire_cost
        gone[i] = (new_members[i] < 1.0) | ((new_members[i] < dismantle_members) & (capital[i] < hire_cost))
    per_network, per_slot = np.empty((6, n)), np.empty((3, n_slots))
    for row, x in enumerate((new_members, capital, new_reach, new_markup, seized, arrested)):
        per_network[row, :] = x
    for row, x in enumerate((new_alloc, arrest_share, seize_share)):
        per_slot[row, :] = x
    return per_network, per_slot, gone


@njit(cache=True)
def networks_day(rng_bits, members, capital, alloc, reach, markup, legs, where, starts, sizes, leg_signals,
                 authority_signals, capacity_per_member, member_cost, c):
    """The networks' whole day (NetworkTable.step) in one call: networks_earn, the arrests drawn from
    `rng_bits` as rng.poisson(expected) would draw them (when poisson_fits), networks_adapt. Returns
    (whether drawn, per network the rows (members, capital, reach, markup, seized, arrested, revenue,
    bribes), per slot the rows (alloc, arrest shares, seizure shares, leg revenue, leg bribes), gone);
    when not drawn nothing is drawn and the tables are empty."""
    per_network, per_slot, expected = networks_earn(members, capital, alloc, legs, where, starts, sizes, leg_signals,
                                                    authority_signals, capacity_per_member, member_cost)
    if not poisson_fits(expected):
        return False, np.empty((8, 0)), np.empty((5, 0)), np.empty(0, np.bool_)
    drawn = poisson(rng_bits, expected)
    adapted, slots, gone = networks_adapt(members, per_network[3], per_network[0], alloc, reach, markup, drawn,
                                          per_slot[2], per_slot[3], per_network[4], per_network[5], legs, where,
                                          starts, sizes, leg_signals, authority_signals, c)
    n, n_slots = len(members), len(legs)
    rows, slot_rows = np.empty((8, n)), np.empty((5, n_slots))
    rows[:6] = adapted
    rows[6], rows[7] = per_network[1], per_network[2]
    slot_rows[:3] = slots
    slot_rows[3], slot_rows[4] = per_slot[0], per_slot[1]
    return True, rows, slot_rows, gone


# ---------------------------------------------------------------------------- new networks
@njit(cache=True)
def entry_candidates(queue, capacity, price, legs, starts, sizes, least, min_share, min_margin, seizure_mult,
                     leg_authority):
    """The clusters (local markets) where a new network may enter today (Market.enter_networks): a real
    queue (at least `least` people and `min_share` of the capacity) whose takings per person waiting
    pay a member. Sums per cluster as NumPy sums each cluster's own array. Returns (unmet queue per
    cluster, the candidate clusters, the mean seizure multiplier over each candidate's legs)."""
    n = len(starts)
    unmet = np.zeros(n)
    none = np.zeros(0, np.int64)
    if pairwise_sum(queue, 0, len(queue)) < least * (1 - 1e-9):  # no cluster's queue can reach it
        return unmet, none, np.zeros(0)
    k_max = 0
    for c in range(n):
        k_max = max(k_max, sizes[c])
    buf = np.empty(k_max)
    pays = np.zeros(n, np.bool_)
    for c in range(n):
        s, k = starts[c], sizes[c]
        for j in range(k):
            buf[j] = queue[legs[s + j]]
        unmet[c] = pairwise_sum(buf, 0, k)
        for j in range(k):
            buf[j] = capacity[legs[s + j]]
        cap = pairwise_sum(buf, 0, k)
        if unmet[c] >= _maximum(least, min_share * cap):
            for j in range(k):
                buf[j] = price[legs[s + j]] * queue[legs[s + j]]
            pays[c] = pairwise_sum(buf, 0, k) / unmet[c] > min_margin
    candidates = np.flatnonzero(pays)
    drag = np.empty(len(candidates))
    for i in range(len(candidates)):
        s, k = starts[candidates[i]], sizes[candidates[i]]
        for j in range(k):
            buf[j] = seizure_mult[leg_authority[legs[s + j]]]
        drag[i] = pairwise_sum(buf, 0, k) / k
    return unmet, candidates, drag


@njit(cache=True)
def entering(rng_bits, queue, capacity, price, legs, starts, sizes, least, min_share, min_margin, seizure_mult,
             leg_authority, entry_rate, pull):
    """entry_candidates, then a draw from `rng_bits` per candidate: a network enters where it is below
    entry_rate / drag, times (unmet queue / max(least, 1)) ** pull when pull > 0 (a long queue draws
    smugglers despite the deterrence; at most 1). Returns (unmet queue per cluster, the clusters entered)."""
    unmet, candidates, drag = entry_candidates(queue, capacity, price, legs, starts, sizes, least, min_share,
                                               min_margin, seizure_mult, leg_authority)
    u = uniforms(rng_bits, len(candidates))
    chance = np.empty(len(candidates))
    for i in range(len(candidates)):
        chance[i] = entry_rate / drag[i]
        if pull > 0:
            # the C library's exp and log, as everywhere in the model (the same on every CPU)
            chance[i] = min(1.0, chance[i] * math.exp(pull * math.log(unmet[candidates[i]] / max(least, 1.0))))
    n = 0
    for i in range(len(candidates)):
        if u[i] < chance[i]:
            n += 1
    enters = np.empty(n, np.int64)
    k = 0
    for i in range(len(candidates)):
        if u[i] < chance[i]:
            enters[k] = candidates[i]
            k += 1
    return unmet, enters


# ---------------------------------------------------------------------------- the market's sales
@njit(cache=True)
def sell(src, buyers, legs, owed, capacity, scale, smuggled):
    """Places on smuggled legs sold up to the networks' capacity (Market.sell), with two draws from
    `src` (bits of the generator): a uniform per leg rounds the capacity up or down at random, then a
    permutation gives the random order of the buyers. Buyers are taken leg by leg in that order (a
    stable sort by leg); the others' legs take everybody. Returns (buyers served, their legs, their
    owed flags, people queueing, people served per leg)."""
    n_legs, n = len(capacity), len(buyers)
    u = uniforms(src, n_legs)
    perm = permutation(src, n)
    counts = np.zeros(n_legs, np.int64)
    for i in range(n):
        counts[legs[i]] += 1
    first = np.empty(n_legs, np.int64)
    total = 0
    for leg in range(n_legs):
        first[leg] = total
        total += counts[leg]
    order = np.empty(n, np.int64)
    fill = first.copy()
    for m in range(n):
        i = perm[m]
        order[fill[legs[i]]] = i
        fill[legs[i]] += 1
    slots = np.empty(n_legs, np.int64)
    for leg in range(n_legs):
        x = capacity[leg] / scale
        floor = np.floor(x)
        slots[leg] = np.int64(floor + (1.0 if u[leg] < x - floor else 0.0))
    keep = np.zeros(n, np.bool_)
    n_go = 0
    for j in range(n):
        leg = legs[order[j]]
        if not smuggled[leg] or j - first[leg] < slots[leg]:
            keep[j] = True
            n_go += 1
    go, go_leg, go_owed = np.empty(n_go, np.int64), np.empty(n_go, np.int64), np.empty(n_go, np.bool_)
    served = np.zeros(n_legs, np.int64)
    k = 0
    for j in range(n):
        if keep[j]:
            i = order[j]
            go[k], go_leg[k], go_owed[k] = buyers[i], legs[i], owed[i]
            if smuggled[legs[i]]:
                served[legs[i]] += 1
            k += 1
    queue_people, served_people = np.empty(n_legs), np.empty(n_legs)
    for leg in range(n_legs):
        served_people[leg] = served[leg] * float(scale)
        q = (counts[leg] * float(scale) if smuggled[leg] else 0.0) - served_people[leg]
        queue_people[leg] = q if q >= 0.0 else 0.0
    return go, go_leg, go_owed, queue_people, served_people


# ---------------------------------------------------------------------------- people on legs
@njit(cache=True)
def count_down(people, days_left):
    """One day less for each of `people` (on a leg or held); returns those whose time is up."""
    n_done = 0
    for i in people:
        days_left[i] -= 1
        if days_left[i] <= 0:
            n_done += 1
    done = np.empty(n_done, np.int64)
    k = 0
    for i in people:
        if days_left[i] <= 0:
            done[k] = i
            k += 1
    return done


@njit(cache=True)
def leg_ends(done, u, leg, state, p_death, p_intercept, deaths):
    """At the end of their leg, by the draw `u` per person: dead (recorded in the day's `deaths` row),
    intercepted, or across. Returns (the intercepted, the ones across)."""
    n_held = n_over = 0
    fate = np.empty(len(done), np.int8)
    for j in range(len(done)):
        i = done[j]
        lg = leg[i]
        p_dead = p_death[lg]
        if u[j] < p_dead:
            fate[j] = 0
            state[i] = DEAD
            deaths[lg] += 1.0
        elif u[j] < p_dead + (1 - p_dead) * p_intercept[lg]:
            fate[j] = 1
            n_held += 1
        else:
            fate[j] = 2
            n_over += 1
    held, over = np.empty(n_held, np.int64), np.empty(n_over, np.int64)
    a = b = 0
    for j in range(len(done)):
        if fate[j] == 1:
            held[a] = done[j]
            a += 1
        elif fate[j] == 2:
            over[b] = done[j]
            b += 1
    return held, over


@njit(cache=True)
def intercepted(held, v, leg, state, days_left, credit, broke_days, origin, detention_days, retry, pushback,
                pushback_counted, detects_interception, corridor, place_country, pushbacks, interceptions, detections,
                by_origin):
    """The intercepted are held; by the draws `v` (2 per person: first all the retries, then all the
    pushbacks) some are owed another attempt, some pushed straight back to wait where they started.
    Interceptions, pushbacks and (on detection legs) detections go to the day's rows: a person pushed
    back counts as `pushback_counted` of a detection (authorities that report pushbacks apart, as
    prevented entries, count 0), a person held as one."""
    n = len(held)
    for j in range(n):
        i = held[j]
        lg = leg[i]
        state[i] = DETAINED
        days_left[i] = detention_days[lg]
        # some bought a package with several attempts: the smuggler owes them the next one
        if v[j] < retry[lg]:
            credit[i] = lg
        interceptions[lg] += 1.0
        counted = 1.0
        if v[n + j] < pushback[lg]:
            # pushed back across the border: they wait where they started and try again from tomorrow
            state[i] = WAITING
            days_left[i] = 0
            leg[i] = -1
            broke_days[i] = 0
            pushbacks[lg] += 1.0
            counted = pushback_counted[lg]
        if detects_interception[lg] and counted > 0.0:
            detections[lg] += counted
            by_origin[corridor[lg], place_country[origin[i]]] += counted


@njit(cache=True)
def crossed(over, v, leg, state, place, broke_days, origin, detects, p_detect, dst, is_destination, corridor,
            place_country, crossings, detections, by_origin, arrivals):
    """Those across a leg reach its end: detected there (on detection legs, by the draw `v`), arrived
    at a destination, or waiting for their next leg. Returns the waiting."""
    for j in range(len(over)):
        i = over[j]
        lg = leg[i]
        crossings[lg] += 1.0
        # sea arrivals are all registered; on land only a share of crossings is detected
        if detects[lg] and v[j] < p_detect[lg]:
            detections[lg] += 1.0
            by_origin[corridor[lg], place_country[origin[i]]] += 1.0
        end = dst[lg]
        place[i] = end
        leg[i] = -1
        broke_days[i] = 0
        if is_destination[end]:
            state[i] = ARRIVED
            arrivals[end] += 1.0
        else:
            state[i] = WAITING
    return in_state(over, state, WAITING)


@njit(cache=True)
def leg_ends_met(held, over, v, leg, state, days_left, credit, broke_days, origin, place, detention_days, retry,
                 pushback, pushback_counted, detects_interception, detects, p_detect, dst, is_destination, corridor,
                 place_country, pushbacks, interceptions, crossings, detections, by_origin, arrivals):
    """intercepted, then crossed, in one call (Journeys.move): `v` holds the draws of both, the
    intercepted's first. Returns (those across now waiting, those intercepted and pushed back)."""
    intercepted(held, v, leg, state, days_left, credit, broke_days, origin, detention_days, retry, pushback,
                pushback_counted, detects_interception, corridor, place_country, pushbacks, interceptions, detections,
                by_origin)
    on = crossed(over, v[2 * len(held):], leg, state, place, broke_days, origin, detects, p_detect, dst,
                 is_destination, corridor, place_country, crossings, detections, by_origin, arrivals)
    return on, in_state(held, state, WAITING)


@njit(cache=True)
def move_on(src, moving, leg, state, days_left, credit, broke_days, origin, place, p_death, p_intercept, detention_days,
            retry, pushback, pushback_counted, detects_interception, detects, p_detect, dst, is_destination, corridor,
            place_country, gives_up, deaths, pushbacks, interceptions, crossings, detections, by_origin, arrivals,
            returned):
    """People on legs move a day on (Journeys.move): count_down, then leg_ends and leg_ends_met, then
    give_up for those pushed back when `gives_up` > 0, each with its draws from `src` in that order (as
    the calls one after the other drew them). Returns those across now waiting."""
    done = count_down(moving, days_left)
    held, over = leg_ends(done, uniforms(src, len(done)), leg, state, p_death, p_intercept, deaths)
    v = uniforms(src, 2 * len(held) + len(over))
    on, back = leg_ends_met(held, over, v, leg, state, days_left, credit, broke_days, origin, place, detention_days,
                            retry, pushback, pushback_counted, detects_interception, detects, p_detect, dst,
                            is_destination, corridor, place_country, pushbacks, interceptions, crossings, detections,
                            by_origin, arrivals)
    if gives_up > 0:
        give_up(back, uniforms(src, len(back)), gives_up, state, place, returned)
    return on


@njit(cache=True)
def road_day(rng_bits, active, leg, state, days_left, credit, broke_days, origin, place, money, p_death, p_intercept,
             detention_days, retry, pushback, pushback_counted, detects_interception, detects, p_detect, dst,
             is_destination, corridor, place_country, gives_up, p_home, income, give_up_stranded, cheapest, deaths,
             pushbacks, interceptions, crossings, detections, by_origin, arrivals, returned):
    """Everybody on the road, in one call (Journeys.road): split by state (by_state), then the moving
    (move_on), the detained (detention_day) and the stranded (stranded_day), each with its draws in
    that order, as the calls one after the other drew them. Returns (those ready to leave a place:
    the waiting, those across now waiting, the released and the recovered, in that order; the still
    stranded)."""
    at_place, on_leg, held, broke = by_state(active, state)
    on = move_on(rng_bits, on_leg, leg, state, days_left, credit, broke_days, origin, place, p_death, p_intercept,
                 detention_days, retry, pushback, pushback_counted, detects_interception, detects, p_detect, dst,
                 is_destination, corridor, place_country, gives_up, deaths, pushbacks, interceptions, crossings,
                 detections, by_origin, arrivals, returned)
    released = detention_day(rng_bits, held, days_left, p_home, state, place, leg, broke_days, returned)
    recovered, still = stranded_day(rng_bits, broke, income, give_up_stranded, money, state, place, leg, broke_days,
                                    cheapest, returned)
    ready = np.empty(len(at_place) + len(on) + len(released) + len(recovered), np.int64)
    k = 0
    for part in (at_place, on, released, recovered):
        ready[k:k + len(part)] = part
        k += len(part)
    return ready, still


# ---------------------------------------------------------------------------- departures
@njit(cache=True)
def broke_day(i, p, broke_days, state, strand_after, stranded_new):
    """Person i at place p waits a day for money; stranded after strand_after such days."""
    broke_days[i] += 1
    if broke_days[i] >= strand_after:
        state[i] = STRANDED
        stranded_new[p] += 1.0


@njit(cache=True)
def too_poor(waiting, place, group, money, credit, broke_days, leg, state, cheapest, cheapest_leg, src, open_,
             strand_after, stranded_new):
    """Waiting people too poor for any open leg from where they are (and owed no retry there) count
    the days and are stranded after a while (Journeys.depart). Returns those who can choose a leg,
    whether each is owed a retry from here, the leg owed, and their perception group and place."""
    n = len(waiting)
    can = np.zeros(n, np.bool_)
    owed_all = np.zeros(n, np.bool_)
    n_can = 0
    for j in range(n):
        i = waiting[j]
        p = place[i]
        c = credit[i]
        owed = c >= 0 and src[c] == p and open_[c]
        owed_all[j] = owed
        if not np.isfinite(cheapest[p]):
            continue
        if money[i] < cheapest[p] and not owed:
            leg[i] = cheapest_leg[p]  # the leg they cannot pay for
            broke_day(i, p, broke_days, state, strand_after, stranded_new)
        else:
            can[j] = True
            n_can += 1
    out, owed_out, credit_out = np.empty(n_can, np.int64), np.empty(n_can, np.bool_), np.empty(n_can, np.int64)
    group_out, place_out = np.empty(n_can, np.int64), np.empty(n_can, np.int64)
    k = 0
    for j in range(n):
        if can[j]:
            i = waiting[j]
            out[k], owed_out[k], credit_out[k] = i, owed_all[j], credit[i]
            group_out[k], place_out[k] = group[i], place[i]
            k += 1
    return out, owed_out, credit_out, group_out, place_out


@njit(cache=True)
def chosen_legs(waiting, chosen, owed, credit, place, money, leg, price, cheapest_leg, src, group, leg_costs,
                settle_eur, broke_days, state, strand_after, stranded_new):
    """The leg each person takes: the chosen one; if the chosen one is too dear, the cheapest open leg
    from here, unless its perceived cost (with the cost-to-go from its end, `leg_costs`) is more than
    `settle_eur` above the chosen one's: then they wait for the money as those too poor for any leg do
    (counting the days, stranded after `strand_after`, where they earn); the retry owed, if any. People
    whose place's legs are all closed to their eyes wait. Returns the buyers, their legs, and whether
    their place is owed."""
    n = len(waiting)
    moving = np.zeros(n, np.bool_)
    n_moving = 0
    for j in range(n):
        i = waiting[j]
        p = place[i]
        lg = chosen[j]
        moves = src[lg] == p
        if money[i] < price[lg]:
            alt = cheapest_leg[p]
            if moves and not owed[j] and leg_costs[group[i], alt] - leg_costs[group[i], lg] > settle_eur:
                leg[i] = lg  # the leg they cannot pay for, as too_poor keeps it
                broke_day(i, p, broke_days, state, strand_after, stranded_new)
                continue
            lg = alt
        if owed[j]:
            lg = credit[j]
            moves = True
        leg[i] = lg if moves else -1
        moving[j] = moves
        n_moving += moves
    buyers, legs, owed_out = np.empty(n_moving, np.int64), np.empty(n_moving, np.int64), np.empty(n_moving, np.bool_)
    k = 0
    for j in range(n):
        if moving[j]:
            buyers[k], legs[k], owed_out[k] = waiting[j], leg[waiting[j]], owed[j]
            k += 1
    return buyers, legs, owed_out


@njit(cache=True)
def board(go, go_leg, go_owed, refused, w, price, smuggled, leg_days, return_after_refusal, money, credit, state,
          broke_days, days_left, place, revenue, paid, refused_boarding, returned, departures):
    """Those sold a place pay (unless owed it) and board; the refused get their money back and some go
    home, by the draws `w` (first one per refused person, then one per person boarding, whose leg's
    fractional days round up or down)."""
    n_legs = len(price)
    takings = np.zeros(n_legs)
    n_turned = 0
    for j in range(len(go)):
        i, lg = go[j], go_leg[j]
        fee = 0.0 if go_owed[j] else price[lg]
        money[i] -= np.float32(fee)
        credit[i] = -1
        if smuggled[lg] and not go_owed[j] and not refused[j]:  # a refused fee goes back, not to the smuggler
            takings[lg] += fee  # summed per leg first, then added to the day's row, as bincount does
            paid[lg] += 1.0
        if refused[j]:
            refused_boarding[lg] += 1.0
            money[i] += np.float32(fee)
            n_turned += 1
    for lg in range(n_legs):
        revenue[lg] += takings[lg]
    k = 0
    for j in range(len(go)):
        if refused[j]:
            i = go[j]
            if w[k] < return_after_refusal:
                state[i] = RETURNED
                returned[place[i]] += 1.0
            k += 1
    for j in range(len(go)):
        if not refused[j]:
            i, lg = go[j], go_leg[j]
            state[i] = MOVING
            broke_days[i] = 0
            d = leg_days[lg]
            whole = np.floor(d)
            days_left[i] = max(1.0, whole + (1.0 if w[k] < d - whole else 0.0))
            departures[lg] += 1.0
            k += 1


@njit(cache=True)
def departing(waiting, place, group, money, credit, broke_days, leg, state, cheapest, price, closed, src, n_places,
              open_, strand_after, stranded_new, leg_costs, out_order, out_start, out_count, spread):
    """The first half of departures (Journeys.depart), up to the route choice's exponents: too_poor at
    today's cheapest open legs (cheapest_open at `price`), then choice_exponents for those who can
    choose. Returns (those who can choose, whether each is owed a retry from here, and the exponents,
    rows, row of each group and limits of choice_exponents)."""
    cheapest_leg = cheapest_open(price, closed, src, n_places)[1]
    out, owed, _, group_out, place_out = too_poor(waiting, place, group, money, credit, broke_days, leg, state,
                                                  cheapest, cheapest_leg, src, open_, strand_after, stranded_new)
    z, rows, row_of, limits = choice_exponents(leg_costs, group_out, place_out, out_order, out_start, out_count,
                                               spread)
    return out, owed, z, rows, row_of, limits


@njit(cache=True)
def choose_and_buy(rng_bits, weight, rows, limits, row_of, n_groups, out_order, out_start, out_count, waiting, owed,
                   place, group, money, credit, leg, price, closed, src, capacity, scale, smuggled, leg_costs,
                   settle_eur, broke_days, state, strand_after, stranded_new):
    """The second half of departures up to the sale (Journeys.depart), given weight = exp of the
    exponents of `departing`: choose_legs with a draw from `rng_bits` per person, chosen_legs (at
    today's cheapest open legs), then sell with its draws. Returns what sell returns."""
    n = len(waiting)
    n_places = len(out_start)
    group_w, place_w, credit_w = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    for j in range(n):
        i = waiting[j]
        group_w[j], place_w[j], credit_w[j] = group[i], place[i], credit[i]
    chosen = choose_legs(weight, rows, limits, row_of, n_groups, out_order, out_start, out_count, n_places, group_w,
                         place_w, uniforms(rng_bits, n))
    cheapest_leg = cheapest_open(price, closed, src, n_places)[1]
    buyers, legs, owed_out = chosen_legs(waiting, chosen, owed, credit_w, place, money, leg, price, cheapest_leg, src,
                                         group, leg_costs, settle_eur, broke_days, state, strand_after, stranded_new)
    return sell(rng_bits, buyers, legs, owed_out, capacity, scale, smuggled)


@njit(cache=True)
def refuse_and_board(src, go, go_leg, go_owed, p_refused, price, smuggled, leg_days, return_after_refusal, money,
                     credit, state, broke_days, days_left, place, revenue, paid, refused_boarding, returned, departures):
    """refused_at and board with their draws from `src` (2 per person, the refusals' first), when no
    visa rule applies."""
    n = len(go)
    u = uniforms(src, 2 * n)
    board(go, go_leg, go_owed, refused_at(go_leg, u, p_refused), u[n:], price, smuggled, leg_days,
          return_after_refusal, money, credit, state, broke_days, days_left, place, revenue, paid, refused_boarding,
          returned, departures)


# ---------------------------------------------------------------------------- new people
@njit(cache=True)
def new_people(origins, group, count, taken, leaving, day, n, state, place, leg, origin, grp, born, broke_days,
               days_left, credit, alternatives_row, stayed_row, left_row):
    """New people at origins (`count` at each), from entry `n` on (the population has room): first those
    who took an alternative, then those who stayed (the rest), then those who leave (Journeys.create);
    the counts go to the day's rows. Returns the entries of those who leave."""
    stayed = count - taken - leaving
    k = n
    for block in range(3):
        counts = taken if block == 0 else stayed if block == 1 else leaving
        for o in range(len(origins)):
            p = origins[o]
            c = counts[o]
            if block == 0:
                alternatives_row[p] += c
            elif block == 1:
                stayed_row[p] += c
            else:
                left_row[p] += c
            for _ in range(c):
                state[k] = ALTERNATIVE if block == 0 else STAYED if block == 1 else WAITING
                place[k] = p
                leg[k] = -1
                origin[k] = p
                grp[k] = group[o]
                born[k] = day
                if block == 2:
                    broke_days[k] = 0
                    days_left[k] = 0
                    credit[k] = -1
                k += 1
    return np.arange(k - leaving.sum(), k)


@njit(cache=True)
def draw_new_people(src, trials, leave_p, origins, group, count, taken, day, n, state, place, leg, origin, grp, born,
                    broke_days, days_left, credit, alternatives_row, stayed_row, left_row):
    """new_people with those who leave drawn here, rng.binomial(trials, leave_p), when binomial_fits.
    Returns (whether drawn, the entries of those who leave); nothing is drawn or written otherwise."""
    if not binomial_fits(trials, leave_p):
        return False, np.zeros(0, np.int64)
    leaving = binomial(src, trials, leave_p)
    return True, new_people(origins, group, count, taken, leaving, day, n, state, place, leg, origin, grp, born,
                            broke_days, days_left, credit, alternatives_row, stayed_row, left_row)


@njit(cache=True)
def lognormal_into(out, people, origin, mean, z, sigma):
    """out[people] = rng.lognormal(mean[origin[people]], sigma) to the last bit, given z =
    rng.standard_normal(len(people)): NumPy draws each value as exp(mean + sigma x standard normal), one
    normal per value in order, with the C library's exp (Numba's math.exp; np.exp is not it to the
    last bit). `out` may be float32 (rounded as NumPy's assignment rounds)."""
    for j in range(len(people)):
        i = people[j]
        out[i] = math.exp(mean[origin[i]] + sigma * z[j])


# ---------------------------------------------------------------------------- the day's record
@njit(cache=True)
def record_people(active, state, place, waiting_row, stranded_row, detained_row, states_today, states_before,
                  arrivals_row, deaths_row, returned_row, alternatives_row, stayed_row):
    """People waiting, stranded and detained per place, and per state (Recorder.end_day): the active
    states counted, the final ones yesterday's plus the day's flows (summed as NumPy sums a row)."""
    n_places = len(waiting_row)
    counts = np.zeros((4, n_places), np.int64)
    for i in active:
        counts[state[i], place[i]] += 1
    for p in range(n_places):
        waiting_row[p] = counts[WAITING, p]
        stranded_row[p] = counts[STRANDED, p]
        detained_row[p] = counts[DETAINED, p]
    for s in range(4):
        total = 0
        for p in range(n_places):
            total += counts[s, p]
        states_today[s] = total
    # final states only ever grow: their stocks are the sums of the day's flows so far
    for s, row in ((ARRIVED, arrivals_row), (DEAD, deaths_row), (RETURNED, returned_row),
                   (ALTERNATIVE, alternatives_row), (STAYED, stayed_row)):
        states_today[s] = np.int64(states_before[s] + pairwise_sum(row, 0, len(row)))


@njit(cache=True)
def record_legs(price_row, capacity_row, queue_row, p_intercept_row, p_death_row, price, capacity, queue, p_intercept,
                p_death):
    """Each leg's market and risks of the day copied into the day's rows (Recorder.end_day)."""
    for leg in range(len(price_row)):
        price_row[leg] = price[leg]
        capacity_row[leg] = capacity[leg]
        queue_row[leg] = queue[leg]
        p_intercept_row[leg] = p_intercept[leg]
        p_death_row[leg] = p_death[leg]


@njit(cache=True)
def record_networks(where, control, seg, arrested, arrest_share, seized, seize_share, leg_bribes, arrests_row,
                    seized_row, bribes_row):
    """Arrests, seizures and bribes of the day credited to the countries where they happened, summed per
    country in slot order (as np.bincount with weights) and then added to the day's rows."""
    n_c = len(arrests_row)
    a, s, b = np.zeros(n_c), np.zeros(n_c), np.zeros(n_c)
    for j in range(len(where)):
        a[where[j]] += arrested[seg[j]] * arrest_share[j]
        s[where[j]] += seized[seg[j]] * seize_share[j]
        b[control[j]] += leg_bribes[j]
    for c in range(n_c):
        arrests_row[c] += a[c]
        seized_row[c] += s[c]
        bribes_row[c] += b[c]


# ---------------------------------------------------------------------------- the population by state
@njit(cache=True)
def by_state(active, state):
    """The active people split by state: (waiting, moving, detained, stranded), each in `active`'s order."""
    counts = np.zeros(4, np.int64)
    for i in active:
        counts[state[i]] += 1
    out = [np.empty(counts[s], np.int64) for s in range(4)]
    fill = np.zeros(4, np.int64)
    for i in active:
        s = state[i]
        out[s][fill[s]] = i
        fill[s] += 1
    return out[0], out[1], out[2], out[3]


@njit(cache=True)
def still_active(active, new, state):
    """Those of `active` then `new` not yet in a final state, in that order."""
    n = 0
    for group in (active, new):
        for i in group:
            if state[i] <= STRANDED:
                n += 1
    out = np.empty(n, np.int64)
    k = 0
    for group in (active, new):
        for i in group:
            if state[i] <= STRANDED:
                out[k] = i
                k += 1
    return out


# ---------------------------------------------------------------------------- detained and stranded
@njit(cache=True)
def released(out, u, p_home, state, place, leg, broke_days, returned_row):
    """Detained people whose time is up: returned home by the draw `u`, else released to wait where they
    were caught. Returns the released."""
    n_back = 0
    for j in range(len(out)):
        if u[j] < p_home:
            state[out[j]] = RETURNED
            returned_row[place[out[j]]] += 1.0
        else:
            n_back += 1
    back = np.empty(n_back, np.int64)
    k = 0
    for j in range(len(out)):
        if not u[j] < p_home:
            i = out[j]
            state[i] = WAITING
            leg[i] = -1
            broke_days[i] = 0
            back[k] = i
            k += 1
    return back


@njit(cache=True)
def detention_day(src, held, days_left, p_home, state, place, leg, broke_days, returned_row):
    """Detained people count a day (count_down); those whose time is up are released (released), with
    their draws from `src`. Returns the released."""
    out = count_down(held, days_left)
    return released(out, uniforms(src, len(out)), p_home, state, place, leg, broke_days, returned_row)


@njit(cache=True)
def stranded_day(src, stranded, income, give_up, money, state, place, leg, broke_days, cheapest, returned_row):
    """Stranded people earn `income`; by a draw from `src` each some give up and go home; those who can pay the
    cheapest leg from where they are get going again. Returns (recovered, still stranded)."""
    n = len(stranded)
    u = uniforms(src, n)
    fate = np.zeros(n, np.int8)  # 0 gave up, 1 back on the road, 2 still stranded
    n_back = n_still = 0
    for j in range(n):
        i = stranded[j]
        money[i] += np.float32(income)
        if u[j] < give_up:
            state[i] = RETURNED
            returned_row[place[i]] += 1.0
        elif money[i] >= cheapest[place[i]]:
            fate[j] = 1
            n_back += 1
            state[i] = WAITING
            broke_days[i] = 0
            leg[i] = -1
        else:
            fate[j] = 2
            n_still += 1
    back, still = np.empty(n_back, np.int64), np.empty(n_still, np.int64)
    a = b = 0
    for j in range(n):
        if fate[j] == 1:
            back[a] = stranded[j]
            a += 1
        elif fate[j] == 2:
            still[b] = stranded[j]
            b += 1
    return back, still


# ---------------------------------------------------------------------------- the market's day
@njit(cache=True)
def market_open(legs, seg, members, alloc, markup, capacity_per_member, fee, queue, served):
    """Today's capacity per leg (the networks' places, summed in slot order as np.bincount does) and
    price (the base fee times the capacity-weighted markup; the base fee where nobody sells); the
    queues and places served start at 0 (written into `queue` and `served`)."""
    n_legs = len(fee)
    queue[:] = 0.0
    served[:] = 0.0
    cap, num = np.zeros(n_legs), np.zeros(n_legs)
    for j in range(len(legs)):
        c = members[seg[j]] * capacity_per_member * alloc[j]
        cap[legs[j]] += c
        num[legs[j]] += c * markup[seg[j]]
    price = np.empty(n_legs)
    for leg in range(n_legs):
        price[leg] = fee[leg] * (num[leg] / cap[leg] if cap[leg] > 0 else 1.0)
    return cap, price


@njit(cache=True)
def leg_signals(queue, served, price, capacity, bribes_per_euro, drawn, open_, p_intercept):
    """The per-leg figures every network reads today (Market.signals): revenue per unit of capacity,
    bribes per euro, where capacity is drawn (`drawn` is exp(-k x interception risk), computed when
    the risks change), interception risk, and demand."""
    n_legs = len(queue)
    out = np.empty((5, n_legs))
    for leg in range(n_legs):
        demand = queue[leg] + served[leg]
        out[0, leg] = served[leg] * price[leg] / max(capacity[leg], 1e-9)
        out[1, leg] = bribes_per_euro[leg]
        out[2, leg] = (demand + 1.0) * drawn[leg] * open_[leg]
        out[3, leg] = p_intercept[leg]
        out[4, leg] = demand
    return out


@njit(cache=True)
def arrivals(counts, place_country, group_of_country, values, benefit, spread, created_row):
    """The origins where people appear today, how many, their perception group, and for the decision
    to leave: -clip((benefit - cost-to-go) / spread, -50, 50), the exponent of the logistic function
    (Journeys.create), where the cost-to-go is finite; and how many in all. The counts go to the day's
    row."""
    n_origins = total = 0
    for p in range(len(counts)):
        if counts[p] != 0:
            n_origins += 1
            total += counts[p]
    origins, n, group = np.empty(n_origins, np.int64), np.empty(n_origins, np.int64), np.empty(n_origins, np.int64)
    neg, finite = np.zeros(n_origins), np.zeros(n_origins, np.bool_)
    k = 0
    for p in range(len(counts)):
        if counts[p] == 0:
            continue
        origins[k], n[k] = p, counts[p]
        created_row[p] += counts[p]
        g = group_of_country[place_country[p]]
        group[k] = g
        cost = values[g, p]
        if np.isfinite(cost):
            finite[k] = True
            x = (benefit - cost) / spread
            neg[k] = -(-50.0 if x < -50.0 else 50.0 if x > 50.0 else x)
        k += 1
    return origins, n, group, neg, finite, total


@njit(cache=True)
def draw_arrivals(src, demand, mult, scale, place_country, group_of_country, values, benefit, spread, created_row):
    """arrivals with the counts drawn here, rng.poisson(lam) with lam = demand x mult / scale, when
    poisson_fits. Returns whether drawn, then what arrivals returns (empty, with nothing drawn or
    written, when not drawn)."""
    lam = np.empty(len(demand))
    for p in range(len(demand)):
        lam[p] = demand[p] * mult[p] / scale
    if not poisson_fits(lam):
        e = np.zeros(0, np.int64)
        return False, e, e, e, np.zeros(0), np.zeros(0, np.bool_), 0
    origins, n, group, neg, finite, total = arrivals(poisson(src, lam), place_country, group_of_country, values,
                                                     benefit, spread, created_row)
    return True, origins, n, group, neg, finite, total


@njit(cache=True)
def leave_probs(e, finite, online):
    """The chance of leaving at each origin (Journeys.create): the logistic weight 1 / (1 + e), with
    e = exp(neg) of `arrivals`, times the online factor, where the cost-to-go is finite (else 0)."""
    out = np.zeros(len(e))
    for k in range(len(e)):
        if finite[k]:
            out[k] = 1.0 / (1.0 + e[k]) * online
    return out


@njit(cache=True)
def refused_at(go_leg, u, p_refused):
    """Refused before boarding by the draws `u` (the first len(go_leg) are read)."""
    out = np.empty(len(go_leg), np.bool_)
    for j in range(len(go_leg)):
        out[j] = u[j] < p_refused[go_leg[j]]
    return out


# ---------------------------------------------------------------------------- giving up on the road
@njit(cache=True)
def in_state(people, state, s):
    """Those of `people` in state `s`, in their order."""
    n = 0
    for i in people:
        if state[i] == s:
            n += 1
    out = np.empty(n, np.int64)
    k = 0
    for i in people:
        if state[i] == s:
            out[k] = i
            k += 1
    return out


@njit(cache=True)
def give_up(people, u, p, state, place, returned_row):
    """Those of `people` whose draw `u` is below `p` go home (returned where they are)."""
    for j in range(len(people)):
        if u[j] < p:
            i = people[j]
            state[i] = RETURNED
            returned_row[place[i]] += 1.0


# largest exponent whose logistic weight 1 / (1 + exp(z)) still matters: above it, 1 - the weight is 1.0
# to the last bit (exp(709) is 8e307), and exp overflows soon after
_EXP_MAX = 709.0


@njit(cache=True)
def reconsider_exponents(waiting, group, place, values, benefit, spread):
    """For Journeys.reconsider: per waiting person the exponent (cost-to-go - benefit) / spread of
    the chance of going on, 1 / (1 + exp(z)); 0.0 (and `none` set) where that chance is 0 for the
    decision: an infinite cost-to-go, or z above _EXP_MAX."""
    n = len(waiting)
    z, none = np.zeros(n), np.zeros(n, np.bool_)
    for j in range(n):
        i = waiting[j]
        cost = values[group[i], place[i]]
        x = (cost - benefit) / spread
        if np.isfinite(cost) and x <= _EXP_MAX:
            z[j] = x
        else:
            none[j] = True
    return z, none


@njit(cache=True)
def reconsider_quit(src, waiting, e, none, rate, born, day, state, place, returned_row, change, seen_place, seen_go):
    """For Journeys.reconsider, given e = exp(z) of reconsider_exponents and a draw from `src` per
    person: a share `rate` of the people who did not set off today look again, and give up (go home)
    with probability (1 - change) x (1 - chance of going on) + change x (the share of that chance lost
    since they last looked at this place); those who go on remember the chance they saw. One draw per
    person: u < rate looks, and u / rate, uniform again, decides. Returns those who go on."""
    n = len(waiting)
    u = uniforms(src, n)
    quit_ = np.zeros(n, np.bool_)
    n_on = 0
    for j in range(n):
        go_on = 0.0 if none[j] else 1.0 / (1.0 + e[j])
        i = waiting[j]
        p = 1.0 - go_on
        if seen_place[i] != place[i] + 1:  # first look here: nothing has changed yet
            seen_place[i] = place[i] + 1
            seen_go[i] = go_on
        if change > 0.0:
            lost = 0.0
            if go_on == 0.0:  # no way on from here: nothing to wait for
                lost = 1.0
            elif go_on < seen_go[i]:
                lost = 1.0 - go_on / seen_go[i]
            p = (1.0 - change) * p + change * lost
        if born[i] != day and u[j] < rate * p:
            quit_[j] = True
            state[i] = RETURNED
            returned_row[place[i]] += 1.0
        else:
            n_on += 1
            if born[i] == day or u[j] < rate:
                seen_go[i] = go_on
    on = np.empty(n_on, np.int64)
    k = 0
    for j in range(n):
        if not quit_[j]:
            on[k] = waiting[j]
            k += 1
    return on
