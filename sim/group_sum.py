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
    if (labels[1:] >= labels[:-1]).all() and not np.isnan(values).any():
        starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
        out[:, labels[starts]] = np.add.reduceat(values, starts, axis=1)
    else:
        _kahan_group_sum(values, labels, out)
    return out


@njit(cache=True)
def _kahan_group_sum(values, labels, out):  # pragma: no cover - compiled
    """pandas' `group_sum` for float64 without a mask (skipna, min_count 0): per (group, column), over
    the rows in order, y = val - c; t = s + y; c = (t - s) - y; c = 0 if not finite; s = t. Columns are
    independent, so looping over them outermost keeps each sum's order."""
    n_cols, n_rows = values.shape
    comp = np.zeros(out.shape[1])
    for j in range(n_cols):
        comp[:] = 0.0
        s = out[j]
        for i in range(n_rows):
            val = values[j, i]
            if val == val:
                lab = labels[i]
                y = val - comp[lab]
                t = s[lab] + y
                c = t - s[lab] - y
                if not math.isfinite(c):
                    c = 0.0
                comp[lab] = c
                s[lab] = t
