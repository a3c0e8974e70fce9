"""Sensitivity indices over a sweep's design points: Sobol (first-order, total, second-order), Morris
elementary effects (SALib, with bootstrap 95 % intervals) and Spearman rank correlations.

Indices use the mean over replicates of each design point, so replicates lower the model's own noise.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .sweep_table import Sweep, point_means, require_complete


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
    means = point_means(sw)
    require_complete(sw, means, "Sobol indices")
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
    means = point_means(sw)
    require_complete(sw, means, "Morris indices")
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

    means = point_means(sw)
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
