"""Analysis of a sweep's results folder: summaries per design point, sensitivity indices, plots.

- every design: per point and output, the mean over replicates with a 95 % t-interval (summary.csv);
- sobol: first-order and total Sobol indices with bootstrap 95 % intervals (SALib), sobol.csv;
- morris: elementary effects mu*, sigma with bootstrap 95 % intervals of mu* (SALib), morris.csv;
- lhs: Spearman rank correlations of each output with each factor, 95 % intervals, correlations.csv;
- grid: main-effect plots per factor, and a heat map over the first two factors;
- points: bar charts per point.

Indices use the mean over replicates of each design point, so replicates lower the model's own noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError
from . import store
from .figures import (
    fig_correlations,
    fig_effects,
    fig_heatmap,
    fig_morris,
    fig_points,
    fig_scatter,
    fig_sobol,
    fig_sobol_overview,
    point_label,
    slug,
)
from .sensitivity import morris_indices, rank_correlations, sobol_indices
from .sweep_table import Sweep, load_sweep, point_summary


@dataclass
class Analysis:
    sweep: Sweep
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, object] = field(default_factory=dict)  # file stem -> matplotlib Figure
    notes: list[str] = field(default_factory=list)


def analyze(folder: str | Path, *, outputs: list[str] | None = None, figures: bool = True) -> Analysis:
    """Tables (and figures) for a results folder; InputError if it cannot be read or analysed."""
    sw = load_sweep(folder)
    if outputs:
        unknown = [o for o in outputs if o not in sw.outputs]
        if unknown:
            raise InputError(folder, "--output", f"unknown output {unknown[0]!r} (known: {', '.join(sw.outputs)})")
        sw.outputs = list(outputs)
    an = Analysis(sw)
    if not (sw.runs["status"] == "done").any():
        raise InputError(folder, None, "no finished runs to analyse")
    an.tables["summary"] = summary = point_summary(sw)
    c = sw.counts
    if c.get("pending") or c.get("failed"):
        an.notes.append(f"{c['done']} of {c['total']} runs finished, {c['failed']} failed, {c['pending']} pending")
    design = sw.design
    if design == "sobol":
        s, s2 = sobol_indices(sw)
        an.tables["sobol"] = s
        if s2 is not None:
            an.tables["sobol_s2"] = s2
        if figures:
            an.figures["sobol-overview"] = fig_sobol_overview(s)
            for o in sw.outputs:
                if s.loc[s["output"] == o, "ST"].notna().any():
                    an.figures[f"sobol-{slug(o)}"] = fig_sobol(s, o)
        const = sorted(set(s.loc[s["ST"].isna(), "output"]))
        if const:
            an.notes.append("no indices for outputs that do not vary: " + ", ".join(const))
    elif design == "morris":
        m = morris_indices(sw)
        an.tables["morris"] = m
        if figures:
            for o in dict.fromkeys(m["output"]):
                an.figures[f"morris-{slug(o)}"] = fig_morris(m, o)
    elif design == "lhs":
        r = rank_correlations(sw)
        an.tables["correlations"] = r
        if figures:
            for o in sw.outputs:
                if r.loc[r["output"] == o, "rho"].notna().any():
                    an.figures[f"correlations-{slug(o)}"] = fig_correlations(r, o)
                an.figures[f"scatter-{slug(o)}"] = fig_scatter(sw, o)
    elif design == "grid":
        if figures:
            for o in sw.outputs:
                an.figures[f"effects-{slug(o)}"] = fig_effects(sw, o)
                if len(sw.factors) >= 2:
                    an.figures[f"heatmap-{slug(o)}"] = fig_heatmap(sw, o)
    else:  # points
        if figures:
            for o in sw.outputs:
                an.figures[f"points-{slug(o)}"] = fig_points(summary, sw.factors, o)
    return an


def write_analysis(an: Analysis, out: Path | None = None) -> Path:
    out = Path(out or an.sweep.folder / "analysis")
    out.mkdir(parents=True, exist_ok=True)
    for name, table in an.tables.items():
        store.atomic_write(out / f"{name}.csv", lambda p, t=table: t.to_csv(p, index=False))
    for name, fig in an.figures.items():
        store.atomic_write(out / f"{name}.png", lambda p, f=fig: f.savefig(p, dpi=110, format="png"))
    return out


# the app's experiments page reads the figures and tables through this module
__all__ = ["Analysis", "Sweep", "analyze", "fig_correlations", "fig_effects", "fig_heatmap", "fig_morris",
           "fig_points", "fig_scatter", "fig_sobol", "fig_sobol_overview", "load_sweep", "morris_indices",
           "point_label", "point_summary", "rank_correlations", "slug", "sobol_indices", "write_analysis"]
