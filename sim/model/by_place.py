"""Reductions of per-leg figures over each place's outgoing legs (min, sum), without `reduceat`.

The reductions serve the NumPy route choice of the set-up (Perception.choice_probs, for the expected
flows). `np.ufunc.reduceat` costs about 100 microseconds a call on these small arrays
whatever their size; a place has at most a handful of legs out, so the same reduction is a few
element-wise calls over "the k-th leg out of every place that has k or more legs". Places are ranked
by their number of legs out (most first), so the places with a k-th leg are a prefix of the ranking.

Sums add the legs of a place in the order `reduceat` uses for up to 8 legs out of a place (the
first, plus the others added one after another), so results are the same to the last bit.
"""

from __future__ import annotations

import numpy as np

from .world import World


class LegsByPlace:
    """The places with legs out, ranked by their number of legs out, and their legs as columns."""

    def __init__(self, world: World):
        has_out = np.flatnonzero(world.out_count > 0)
        # most legs out first (stable: among equals, by place number)
        self.places = has_out[np.argsort(-world.out_count[has_out], kind="stable")]
        degree = world.out_count[self.places]
        cols, self.widths = [], []
        for k in range(int(degree.max()) if len(degree) else 0):
            n = int((degree > k).sum())  # places with a k-th leg: a prefix of the ranking
            cols.append(world.out_order[world.out_start[self.places[:n]] + k])
            self.widths.append(n)
        # row r of a gathered (legs x ...) array is leg `self.legs[r]`: column 0 then column 1 ...
        self.legs = np.concatenate(cols).astype(np.int64) if cols else np.zeros(0, np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.widths)]).astype(np.int64)

    def sum(self, gathered: np.ndarray) -> np.ndarray:
        """Per ranked place, the sum over its legs: the first leg plus the others added one after another
        (the order `np.add.reduceat` uses, so that the model's results stay the same to the last bit)."""
        off, widths = self.offsets, self.widths
        out = gathered[: widths[0]].copy()
        if len(widths) > 1:
            rest = gathered[off[1]: off[1] + widths[1]].copy()
            for k in range(2, len(widths)):
                n = widths[k]
                rest[:n] += gathered[off[k]: off[k] + n]
            out[: widths[1]] += rest
        return out

    def min(self, gathered: np.ndarray) -> np.ndarray:
        """Per ranked place, the minimum over its legs of `gathered` (rows in the order of `self.legs`)."""
        off, widths = self.offsets, self.widths
        out = gathered[: widths[0]].copy()
        for k in range(1, len(widths)):
            n = widths[k]
            np.minimum(out[:n], gathered[off[k]: off[k] + n], out=out[:n])
        return out
