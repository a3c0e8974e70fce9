"""What the exercise modules share: the error an operation raises when the rules refuse it, and text limits."""

from __future__ import annotations

import re

MAX_MESSAGE = 1000


class ExerciseError(Exception):
    """An operation the exercise's rules refuse (budget, round closed, paused...): a one-line message."""


def clean_text(value: str, what: str, limit: int = MAX_MESSAGE) -> str:
    """Text a person typed: trimmed, not empty, within the limit, no control characters (it is only ever
    shown as text, never run or rendered as HTML)."""
    value = str(value or "").strip()
    if not value:
        raise ExerciseError(f"{what} is empty")
    if len(value) > limit:
        raise ExerciseError(f"{what} is longer than {limit} characters")
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value):
        raise ExerciseError(f"{what} holds control characters")
    return value
