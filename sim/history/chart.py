"""The monthly chart of the replay: observed vs simulated detections per main route, with the band
between the lowest and highest replicate. matplotlib is imported here only (sim imports no drawing
library at module level: tests/test_layout.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .data import MAIN_ROUTES


def monthly_chart(table: pd.DataFrame, path: Path) -> Path:
    """Write a PNG: one panel per main route; `table` is monthly.compare's (with low/high if known)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 10), dpi=90)
    axes = fig.subplots(3, 2, sharex=True).ravel()
    for ax, route in zip(axes, MAIN_ROUTES):
        t = table[table["route"] == route].sort_values("month")
        if "low" in t and t["low"].notna().any():
            ax.fill_between(t["month"], t["low"] / 1000, t["high"] / 1000, color="tab:orange", alpha=0.25,
                            linewidth=0, label="simulated, range of seeds")
        ax.plot(t["month"], t["detections_observed"] / 1000, color="black", linewidth=1.2, label="Frontex")
        ax.plot(t["month"], t["detections_simulated"] / 1000, color="tab:orange", linewidth=1.2,
                label="simulated, mean")
        ax.set_title(route, fontsize=10)
        ax.set_ylabel("detections per month (thousands)", fontsize=8)
        ax.tick_params(labelsize=8)
    axes[0].legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path)
    return Path(path)
