"""Per-group sums of a float block with pandas' algorithms, without pandas' set-up around them.

A run's summary (sim/summary.py) must equal the totals of its tables to the last bit, and the tables
sum with `DataFrame.groupby(...).sum()`. Pandas (3.1, pandas/core/groupby/ops.py and
pandas/_libs/groupby.pyx) picks one of two algorithms for a float block:

- labels in non-decreasing order and no NaN anywhere in the block: `np.add.reduceat` of the block's
  (columns, rows) array along its rows (axis 1), one segment per group (`_reduceat_aggregate`);
- otherwise its Cython `group_sum`: rows visited in order, each (group, column) a Kahan-compensated sum
  that skips NaN and resets the compensation to 0 when it is not finite (an infinity met).

Here the same two, chosen by the same rule, on the same array layout, give the same bits; building the
DataFrame and its grouper cost about 2 ms a call against microseconds for the sums themselves
(tests/test_group_sum.py compares them with pandas on random blocks and on runs' summaries).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


def group_sums(values: np.ndarray, labels: np.ndarray, n_groups: int) -> np.ndarray:
    """Per label 0..n_groups-1 (groups without rows sum to 0.0), each row of `values` (a table's column,
    laid out as a DataFrame's float block: C-contiguous, (columns, rows)) summed over the entries of that
    label, in order, as `DataFrame(values.T).groupby(labels, sort=True).sum()` sums them; (columns, groups)."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    labels = np.ascontiguousarray(labels.ravel(), dtype=np.intp)
    out = np.zeros((values.shape[0], n_groups))
    if labels.size == 0:
        return out
    if (labels[1:] >= labels[:-1]).all():
        starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
        sums = np.add.reduceat(values, starts, axis=1)
        if not _has_nan(sums, values):
            out[:, labels[starts]] = sums
            return out
    _kahan_group_sum(values, labels, out.T)
    return out


def day_sums(values: np.ndarray, days: int) -> np.ndarray:
    """`group_sums(values, labels, days)` for labels 0, 0, ..., 1, 1, ...: `days` runs of equal length (a
    block of per-day rows in table order), without building and checking the labels; (columns, days)."""
    n = values.shape[1] // days if days else 0
    if n == 0:
        return np.zeros((values.shape[0], days))
    values = np.ascontiguousarray(values, dtype=np.float64)
    sums = np.add.reduceat(values, np.arange(0, days * n, n), axis=1)
    if _has_nan(sums, values):
        return group_sums(values, np.repeat(np.arange(days), n), days)
    return sums


def _has_nan(sums: np.ndarray, values: np.ndarray) -> bool:
    """Whether `values` holds a NaN (pandas then takes its Kahan sum), looked for in the segment sums of
    every entry first: a NaN makes its segment's sum NaN, so sums without NaN mean values without; a NaN
    sum can also come from inf - inf, so then the values themselves are searched. Saves a pass over the
    block (a bool copy of it) on every call without NaN."""
    return bool(np.isnan(sums).any()) and bool(np.isnan(values).any())


@njit(cache=True)
def _kahan_group_sum(values, labels, out_t):  # pragma: no cover - compiled
    """pandas' `group_sum` for float64 without a mask (skipna, min_count 0): per (group, column), over
    the rows in order, y = val - c; t = s + y; c = (t - s) - y; c = 0 if not finite; s = t.
    `out_t` is the (groups, columns) view of the result. Each (group, column) sum sees its values in the
    same order as pandas' loop; the columns' sums are independent, so doing them together for one row
    (its label read once, the running sums and compensations of a group side by side) changes no bit
    and lets the processor overlap the columns' dependent additions."""
    n_cols, n_rows = values.shape
    comp = np.zeros((out_t.shape[0], n_cols))
    acc = np.zeros((out_t.shape[0], n_cols))
    for i in range(n_rows):
        lab = labels[i]
        s = acc[lab]
        cc = comp[lab]
        for j in range(n_cols):
            val = values[j, i]
            if val == val:
                y = val - cc[j]
                t = s[j] + y
                c = t - s[j] - y
                if not math.isfinite(c):
                    c = 0.0
                cc[j] = c
                s[j] = t
    out_t[:, :] = acc
