"""Figures of an analysis (matplotlib Figures that pyplot does not keep; matplotlib is imported only when
a figure is made, so sim/ imports no drawing library)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..stats import describe
from .sweep_table import Sweep, point_means


def _figure(**kw):
    """A matplotlib Figure that pyplot does not keep (no global state, no backend needed)."""
    from matplotlib.figure import Figure

    return Figure(**kw)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "output"


def fig_sobol(table: pd.DataFrame, output: str):
    t = table[table["output"] == output]
    fig = _figure(figsize=(7, 0.45 * len(t) + 1.4))
    ax = fig.subplots()
    y = np.arange(len(t))
    ax.barh(y - 0.2, t["S1"], 0.4, xerr=t["S1_conf"], label="first order S1", color="#4C72B0", capsize=3)
    ax.barh(y + 0.2, t["ST"], 0.4, xerr=t["ST_conf"], label="total ST", color="#DD8452", capsize=3)
    ax.set_yticks(y, t["factor"])
    ax.invert_yaxis()
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("Sobol index (95 % interval)")
    ax.set_title(f"Sobol indices: {output}")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def fig_sobol_overview(table: pd.DataFrame):
    pivot = table.pivot(index="output", columns="factor", values="ST")
    pivot = pivot.reindex(index=list(dict.fromkeys(table["output"])), columns=list(dict.fromkeys(table["factor"])))
    fig = _figure(figsize=(1.1 * pivot.shape[1] + 3, 0.4 * pivot.shape[0] + 1.8))
    ax = fig.subplots()
    im = ax.imshow(pivot.to_numpy(float), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(pivot.shape[1]), pivot.columns, rotation=40, ha="right")
    ax.set_yticks(range(pivot.shape[0]), pivot.index)
    for (i, j), v in np.ndenumerate(pivot.to_numpy(float)):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="white" if v < 0.6 else "black")
    fig.colorbar(im, ax=ax, label="total Sobol index ST")
    ax.set_title("Total Sobol indices")
    fig.tight_layout()
    return fig


def fig_morris(table: pd.DataFrame, output: str):
    t = table[table["output"] == output]
    fig = _figure(figsize=(6.5, 4.5))
    ax = fig.subplots()
    ax.errorbar(t["mu_star"], t["sigma"], xerr=t["mu_star_conf"], fmt="o", capsize=3)
    for r in t.itertuples():
        ax.annotate(r.factor, (r.mu_star, r.sigma), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.set_xlabel("mu* (mean |elementary effect|, 95 % interval)")
    ax.set_ylabel("sigma (interactions, non-linearity)")
    ax.set_title(f"Morris screening: {output}")
    fig.tight_layout()
    return fig


def fig_correlations(table: pd.DataFrame, output: str):
    t = table[table["output"] == output]
    fig = _figure(figsize=(6.5, 0.4 * len(t) + 1.4))
    ax = fig.subplots()
    y = np.arange(len(t))
    ax.barh(y, t["rho"], xerr=[t["rho"] - t["low"], t["high"] - t["rho"]], color="#4C72B0", capsize=3)
    ax.set_yticks(y, t["factor"])
    ax.invert_yaxis()
    ax.set_xlim(-1, 1)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("Spearman rank correlation (95 % interval)")
    ax.set_title(f"Rank correlations: {output}")
    fig.tight_layout()
    return fig


def fig_scatter(sw: Sweep, output: str):
    means = point_means(sw)
    first = sw.runs.groupby("point")[sw.factors].first().reindex(means.index)
    n = len(sw.factors)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig = _figure(figsize=(4 * cols, 3.2 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for k, f in enumerate(sw.factors):
        ax = axes[k // cols][k % cols]
        ax.scatter(first[f], means[output], s=10, alpha=0.6)
        ax.set_xlabel(f)
        ax.set_ylabel(output)
    for k in range(n, rows * cols):
        axes[k // cols][k % cols].axis("off")
    fig.suptitle(f"{output} against each factor (mean of replicates per point)")
    fig.tight_layout()
    return fig


def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series)


def fig_effects(sw: Sweep, output: str):
    """Main effects: the output's mean (95 % interval over runs) at each level of each factor."""
    done = sw.runs[sw.runs["status"] == "done"]
    n = max(1, len(sw.factors))
    fig = _figure(figsize=(4.2 * n, 3.4))
    axes = fig.subplots(1, n, squeeze=False, sharey=True)
    if not sw.factors:
        m, _, lo, hi = describe(done[output].to_numpy(float))
        ax = axes[0][0]
        ax.errorbar([0], [m], yerr=[[m - lo], [hi - m]], fmt="o", capsize=4)
        ax.set_xticks([0], ["all runs"])
    for k, f in enumerate(sw.factors):
        ax = axes[0][k]
        levels = list(dict.fromkeys(sw.runs.sort_values("point")[f]))
        stats_ = [describe(done.loc[done[f] == v, output].to_numpy(float)) for v in levels]
        means = np.array([s[0] for s in stats_])
        lo = np.array([s[2] for s in stats_])
        hi = np.array([s[3] for s in stats_])
        x = np.array(levels, float) if _numeric(sw.runs[f]) else np.arange(len(levels))
        ax.plot(x, means, "o-")
        ax.fill_between(x, lo, hi, alpha=0.25)
        if not _numeric(sw.runs[f]):
            ax.set_xticks(x, [str(v) for v in levels], rotation=30, ha="right")
        ax.set_xlabel(f)
        if k == 0:
            ax.set_ylabel(output)
    fig.suptitle(f"{output}: main effects (mean and 95 % interval over runs)")
    fig.tight_layout()
    return fig


def fig_heatmap(sw: Sweep, output: str):
    """Mean of the output over the first two factors (others averaged)."""
    f1, f2 = sw.factors[:2]
    done = sw.runs[sw.runs["status"] == "done"]
    table = done.groupby([f2, f1])[output].mean().unstack(f1)
    fig = _figure(figsize=(1.0 * table.shape[1] + 3, 0.6 * table.shape[0] + 1.8))
    ax = fig.subplots()
    im = ax.imshow(table.to_numpy(float), cmap="magma_r", aspect="auto", origin="lower")
    ax.set_xticks(range(table.shape[1]), [f"{v:g}" if isinstance(v, float) else str(v) for v in table.columns])
    ax.set_yticks(range(table.shape[0]), [f"{v:g}" if isinstance(v, float) else str(v) for v in table.index])
    ax.set_xlabel(f1)
    ax.set_ylabel(f2)
    vals = table.to_numpy(float)
    for (i, j), v in np.ndenumerate(vals):
        if np.isfinite(v):
            ax.text(j, i, f"{v:,.3g}", ha="center", va="center", fontsize=7,
                    color="white" if v > np.nanmean(vals) else "black")
    fig.colorbar(im, ax=ax, label=f"mean {output}")
    ax.set_title(f"{output} by {f1} and {f2}")
    fig.tight_layout()
    return fig


def point_label(row, factors) -> str:
    parts = []
    for f in factors:
        v = row[f]
        parts.append(f"{f}={v:g}" if isinstance(v, (int, float)) and not isinstance(v, bool) else f"{f}={v}")
    return ", ".join(parts) or "all runs"


def fig_points(summary: pd.DataFrame, factors: list[str], output: str):
    t = summary[summary["output"] == output].reset_index(drop=True)
    labels = [point_label(r, factors) for _, r in t.iterrows()]
    fig = _figure(figsize=(7.5, 0.45 * len(t) + 1.5))
    ax = fig.subplots()
    y = np.arange(len(t))
    err = np.vstack([(t["mean"] - t["low"]).fillna(0), (t["high"] - t["mean"]).fillna(0)])
    ax.barh(y, t["mean"], xerr=err, color="#4C72B0", capsize=3)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"{output} (mean, 95 % interval)")
    ax.set_title(output)
    fig.tight_layout()
    return fig
