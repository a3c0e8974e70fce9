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

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..stats import describe
from . import store


@dataclass
class Sweep:
    folder: Path
    manifest: dict
    runs: pd.DataFrame  # one row per run: run, point, replicate, seed, status, factors..., outputs...
    factors: list[str]
    outputs: list[str]

    @property
    def design(self) -> str:
        return self.manifest["design"]

    @property
    def name(self) -> str:
        return self.manifest["experiment"]["name"]

    @property
    def counts(self) -> dict:
        return self.manifest["counts"]


@dataclass
class Analysis:
    sweep: Sweep
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, object] = field(default_factory=dict)  # file stem -> matplotlib Figure
    notes: list[str] = field(default_factory=list)


def load_sweep(folder: str | Path) -> Sweep:
    """The manifest and the results as one wide table (one row per run, one column per output)."""
    folder = Path(folder)
    man = store.read_manifest(folder)
    factors = [f["name"] for f in man["factors"]]
    outputs = list(man["outputs"])
    rows = pd.DataFrame([{k: r[k] for k in ("run", "point", "replicate", "seed", "status", "error")}
                         for r in man["runs"]])
    params = pd.DataFrame([r["params"] for r in man["runs"]], columns=factors)
    rows = pd.concat([rows, params], axis=1)
    # statuses from the files themselves: the manifest may be older than the last runs
    def ids(sub, pattern):
        d = folder / sub
        return {store.run_id(p.name) for p in d.glob(pattern)} if d.is_dir() else set()

    done_ids, failed_ids = ids(store.RUNS, "run-*.parquet"), ids(store.FAILED, "run-*.json")
    rows["status"] = np.where(rows["run"].isin(done_ids), "done",
                              np.where(rows["run"].isin(failed_ids), "failed", "pending"))
    man["counts"] = {"total": len(rows), "done": int((rows["status"] == "done").sum()),
                     "failed": int((rows["status"] == "failed").sum()),
                     "pending": int((rows["status"] == "pending").sum())}
    if done_ids:
        long = store.read_results(folder)
        wide = long.pivot_table(index="run", columns="output", values="value", aggfunc="first", dropna=False)
        wide = wide.reindex(columns=outputs)
        rows = rows.merge(wide, left_on="run", right_index=True, how="left")
    else:
        for o in outputs:
            rows[o] = np.nan
    return Sweep(folder, man, rows, factors, outputs)


def point_summary(sw: Sweep) -> pd.DataFrame:
    """Per design point and output: factors, finished runs n, mean, sd and 95 % interval of the mean."""
    done = sw.runs[sw.runs["status"] == "done"]
    first = sw.runs.groupby("point", sort=True)[sw.factors].first() if sw.factors else \
        pd.DataFrame(index=sorted(sw.runs["point"].unique()))
    rows = []
    for point, params in first.iterrows():
        sub = done[done["point"] == point]
        for o in sw.outputs:
            m, sd, lo, hi = describe(sub[o].to_numpy(float))
            rows.append({"point": point, **params.to_dict(), "output": o, "n": int(sub[o].notna().sum()),
                         "mean": m, "sd": sd, "low": lo, "high": hi})
    return pd.DataFrame(rows)


def _point_means(sw: Sweep) -> pd.DataFrame:
    """Mean over replicates per point (rows: points in design order; columns: outputs)."""
    done = sw.runs[sw.runs["status"] == "done"]
    n_points = int(sw.runs["point"].max()) + 1
    return done.groupby("point")[sw.outputs].mean().reindex(range(n_points))


def _missing_points(sw: Sweep, means: pd.DataFrame) -> list[int]:
    return [int(p) for p in means.index[means.isna().all(axis=1)]]


def _require_complete(sw: Sweep, means: pd.DataFrame, what: str):
    missing = _missing_points(sw, means)
    if missing:
        c = sw.counts
        raise InputError(sw.folder, None, f"{what} need every design point: {len(missing)} of {len(means)} points "
                                          f"have no finished run (e.g. point {missing[0]}; runs pending "
                                          f"{c.get('pending', '?')}, failed {c.get('failed', '?')}): "
                                          "finish the sweep (rerun it) or fix the failing points")


def _salib_seed(sw: Sweep) -> int:
    spec = sw.manifest["experiment"]["spec"]
    s = spec.get("sampler_seed")
    if s is None:
        s = spec.get("seed")
    return int(s) if s is not None else int(min(sw.manifest.get("seeds") or [0]))


def sobol_indices(sw: Sweep) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(first-order and total indices per output and factor, second-order indices or None)."""
    from SALib.analyze import sobol

    problem = sw.manifest["problem"]
    second = bool(sw.manifest["experiment"]["spec"].get("second_order"))
    means = _point_means(sw)
    _require_complete(sw, means, "Sobol indices")
    rows, rows2 = [], []
    for o in sw.outputs:
        y = means[o].to_numpy(float)
        if not np.all(np.isfinite(y)) or np.ptp(y) == 0:
            for name in problem["names"]:
                rows.append({"output": o, "factor": name, "S1": np.nan, "S1_conf": np.nan, "ST": np.nan,
                             "ST_conf": np.nan})
            continue
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = sobol.analyze(problem, y, calc_second_order=second, num_resamples=200, conf_level=0.95,
                                seed=_salib_seed(sw))
        for k, name in enumerate(problem["names"]):
            rows.append({"output": o, "factor": name, "S1": res["S1"][k], "S1_conf": res["S1_conf"][k],
                         "ST": res["ST"][k], "ST_conf": res["ST_conf"][k]})
        if second:
            names = problem["names"]
            for a in range(len(names)):
                for b in range(a + 1, len(names)):
                    rows2.append({"output": o, "factor_a": names[a], "factor_b": names[b],
                                  "S2": res["S2"][a, b], "S2_conf": res["S2_conf"][a, b]})
    return pd.DataFrame(rows), (pd.DataFrame(rows2) if second else None)


def morris_indices(sw: Sweep) -> pd.DataFrame:
    from SALib.analyze import morris

    problem = sw.manifest["problem"]
    X = np.asarray(sw.manifest["design_matrix"], dtype=float)
    levels = int(sw.manifest["experiment"]["spec"].get("levels", 4))
    means = _point_means(sw)
    _require_complete(sw, means, "Morris indices")
    rows = []
    for o in sw.outputs:
        y = means[o].to_numpy(float)
        if not np.all(np.isfinite(y)):
            continue
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = morris.analyze(problem, X, y, num_resamples=200, conf_level=0.95, num_levels=levels,
                                 seed=_salib_seed(sw))
        for k, name in enumerate(problem["names"]):
            rows.append({"output": o, "factor": name, "mu": res["mu"][k], "mu_star": res["mu_star"][k],
                         "mu_star_conf": res["mu_star_conf"][k], "sigma": res["sigma"][k]})
    return pd.DataFrame(rows)


def rank_correlations(sw: Sweep) -> pd.DataFrame:
    """Spearman's rho of each output with each factor over the design points, with a Fisher-z 95 % interval."""
    from scipy import stats

    means = _point_means(sw)
    first = sw.runs.groupby("point")[sw.factors].first().reindex(means.index)
    rows = []
    for o in sw.outputs:
        for f in sw.factors:
            ok = means[o].notna() & first[f].notna()
            x, y = first.loc[ok, f].astype(float), means.loc[ok, o]
            n = int(ok.sum())
            if n < 4 or np.ptp(y) == 0 or np.ptp(x) == 0:
                rows.append({"output": o, "factor": f, "rho": np.nan, "low": np.nan, "high": np.nan, "p": np.nan,
                             "n": n})
                continue
            rho, p = stats.spearmanr(x, y)
            z, se = np.arctanh(np.clip(rho, -0.999999, 0.999999)), 1.0 / np.sqrt(n - 3)
            rows.append({"output": o, "factor": f, "rho": rho, "low": np.tanh(z - 1.96 * se),
                         "high": np.tanh(z + 1.96 * se), "p": p, "n": n})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- figures
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
    means = _point_means(sw)
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


# ----------------------------------------------------------------------------- the whole analysis
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
