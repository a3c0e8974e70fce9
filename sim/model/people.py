"""People on the move as a vectorised population: one entry per person (or per `scale` people)."""

from __future__ import annotations

import numpy as np

# Every entry is in exactly one of these states at the end of every day.
WAITING = 0  # at a place, choosing or waiting for the next leg (queueing for a smuggler)
MOVING = 1  # on a leg
DETAINED = 2  # intercepted and held; then returned home or released to try again
STRANDED = 3  # out of money at a place: the people most at risk of exploitation
ARRIVED = 4  # reached a destination
DEAD = 5  # dead or missing
RETURNED = 6  # returned home or gave up
ALTERNATIVE = 7  # took a legal pathway or a vocational-training place
STAYED = 8  # decided not to leave irregularly

STATES = ("waiting", "moving", "detained", "stranded", "arrived", "dead", "returned", "alternative", "stayed")
ACTIVE_STATES = (WAITING, MOVING, DETAINED, STRANDED)


class Population:
    """Arrays indexed by person; grows by doubling. Only the first `n` entries exist."""

    FIELDS = {
        "state": np.int8,
        "place": np.int16,  # where the person is (for MOVING: the leg's start)
        "leg": np.int16,  # leg chosen or travelled, -1 if none yet
        "days_left": np.int16,  # on a leg or in detention
        "broke_days": np.int16,  # days waiting without money for the chosen leg
        "money": np.float32,
        "origin": np.int16,  # origin place
        "group": np.int16,  # perception group (origin country)
        "born": np.int16,  # day created
        "credit": np.int16,  # leg a smuggler owes them a free retry on (a 'package' with attempts), -1 if none
        "held": np.int8,  # 1 while waiting out the weather at a crossing, or kept at a place by a holding
        # where and how they last weighed going on (effects.transit_weighs_change): place + 1 (0: not yet, so
        # new entries need no setting) and the chance of going on they saw there
        "seen_place": np.int16,
        "seen_go": np.float64,
    }

    def __init__(self, capacity: int = 1024):
        self.n = 0
        for name, dtype in self.FIELDS.items():
            setattr(self, name, np.zeros(max(capacity, 16), dtype=dtype))
        # indices of people not yet in a final state, kept up to date by the model
        self.active = np.zeros(0, dtype=np.int64)

    def reserve(self, count: int) -> None:
        """Room for `count` more people (the arrays double when full)."""
        need = self.n + count
        size = len(self.state)
        if need > size:
            new = max(need, size * 2)
            for name in self.FIELDS:
                arr = getattr(self, name)
                grown = np.zeros(new, dtype=arr.dtype)
                grown[: self.n] = arr[: self.n]
                setattr(self, name, grown)

    def counts(self) -> np.ndarray:
        """People per state, from the state array itself (the conservation check reads this)."""
        return np.bincount(self.state[: self.n], minlength=len(STATES))

    def compact(self) -> None:
        """Keep only the people not yet in a final state, renumbered from 0 (after a spin-up, whose
        finished journeys are not part of the run)."""
        keep = np.sort(self.active)
        for name in self.FIELDS:
            arr = getattr(self, name)
            out = np.zeros(max(len(arr), 16), dtype=arr.dtype)
            out[: len(keep)] = arr[keep]
            setattr(self, name, out)
        self.n = len(keep)
        self.active = np.arange(len(keep), dtype=np.int64)
