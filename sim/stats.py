"""The one interval (Student t, of the mean) and the one way figures are written with it.

Compare, calibration, the experiments' analysis and the app all read their 95 % intervals from here, so
that one figure never gets two different intervals."""

from __future__ import annotations

import numpy as np

# what every interval the app, the CLI and the report show is (and is not), until parameter uncertainty exists
INTERVAL_NOTE = "95 % interval of run-to-run variation; parameter uncertainty not included"


def half_width(sd, n: int, level: float = 0.95):
    """Half-width of the t-interval of a mean of n values with standard deviation sd (arrays work too)."""
    # Student's t quantile from scipy.special (what scipy.stats.t.ppf computes, to the bit): importing
    # scipy.stats takes about a second, which the app's first intervals and the command line would wait for
    from scipy.special import stdtrit

    return stdtrit(n - 1, 0.5 + level / 2) * sd / np.sqrt(n)


def describe(values, level: float = 0.95) -> tuple[float, float, float, float]:
    """Mean, standard deviation and t-interval of the mean of the finite values (None and NaN are left
    out); one value: (m, nan, m, m); none: all NaN."""
    x = np.asarray([v for v in values if v is not None], dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return np.nan, np.nan, np.nan, np.nan
    m = float(x.mean())
    if len(x) < 2:
        return m, np.nan, m, m
    sd = float(x.std(ddof=1))
    half = float(half_width(sd, len(x), level))
    return m, sd, m - half, m + half


def interval(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and t-interval of the mean; the interval is (mean, mean) for a single value."""
    m, _, low, high = describe(values, level)
    return m, low, high


def level_interval(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and interval of a count or an amount of money: when no run has a negative value the mean cannot be
    negative, so the lower bound is clipped at zero (the t-interval of a few small counts reaches below it).
    Not for differences, which may be negative."""
    m, low, high = interval(values, level)
    x = np.asarray([v for v in values if v is not None], dtype=float)
    if low < 0 and len(x) and np.all(x[np.isfinite(x)] >= 0):
        low = 0.0
    return m, low, high


def format_number(x, *, digits: int | None = None, small: float = 100, decimals: int = 1,
                  missing: str = "-") -> str:
    """A figure for people: `digits` decimals if given, else `decimals` below `small` and none above;
    thousands separated; `missing` for no value."""
    if x is None or (isinstance(x, float) and x != x):
        return missing
    if isinstance(x, float):
        if digits is None:
            digits = decimals if abs(x) < small else 0
        return f"{x:,.{digits}f}"
    return str(x)


def format_interval(mean, low, high, **number) -> str:
    """An ensemble figure as its mean and the half-width of its interval ('12,345 ±678'); the mean alone
    when the interval is empty (one run). `number`: the options of format_number."""
    missing = number.get("missing", "-")
    if mean is None or mean != mean:  # no value in any run (e.g. no fee paid)
        return missing
    half = (high - low) / 2
    text = format_number(mean, **number)
    if half == 0 or half != half:
        return text
    if abs((mean - low) - (high - mean)) > 1e-9 * max(1.0, abs(high - low)):  # clipped at zero: not mean ± half
        return f"{text} ({format_number(low, **number)} to {format_number(high, **number)})"
    return f"{text} ±{format_number(half, **number)}"
