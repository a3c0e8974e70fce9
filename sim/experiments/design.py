"""Design points of an experiment: the grid, explicit points, or a Latin hypercube, Sobol or Morris sample
(SALib, imported only when a sampled design is used)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np

from .spec import Experiment, Factor
from .spec import fail as _fail


def _sample(spec: Experiment, names: list[str], bounds: list[list[float]], seed: int) -> tuple[np.ndarray, dict]:
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    if spec.design == "lhs":
        from SALib.sample import latin
        X = latin.sample(problem, spec.samples, seed=seed)
    elif spec.design == "sobol":
        from SALib.sample import sobol
        X = sobol.sample(problem, spec.samples, calc_second_order=spec.second_order, scramble=True, seed=seed)
    else:
        from SALib.sample import morris
        X = morris.sample(problem, spec.samples, num_levels=spec.levels, seed=seed)
    return np.asarray(X, dtype=float), problem


def design_points(spec: Experiment, path: Path, factors: list[Factor], ints: list[bool], seed: int):
    """The parameter points (factor name -> value), and for sampled designs the matrix and SALib problem."""
    names = [f.label for f in factors]
    if spec.design == "grid":
        for i, f in enumerate(factors):
            if f.values is None:
                _fail(path, f"factors[{i}].values", "design grid needs a list of values for every factor "
                                                    "(ranges with low/high are for lhs, sobol and morris)")
        combos = itertools.product(*[f.values for f in factors]) if factors else [()]
        return [dict(zip(names, c)) for c in combos], None, None
    if spec.design == "points":
        for i, f in enumerate(factors):
            if f.values is not None or f.low is not None:
                _fail(path, f"factors[{i}]", "with design points the values are given in points, not per factor")
        out = []
        for j, p in enumerate(spec.points):
            if isinstance(p, dict):
                extra, missing = set(p) - set(names), [n for n in names if n not in p]
                if extra:
                    _fail(path, f"points[{j}]", f"unknown factor {sorted(extra)[0]!r} (factors: {', '.join(names)})")
                if missing:
                    _fail(path, f"points[{j}]", f"no value for factor {missing[0]!r}")
                out.append({n: p[n] for n in names})
            else:
                if len(p) != len(names):
                    _fail(path, f"points[{j}]", f"{len(p)} values for {len(names)} factors ({', '.join(names)})")
                out.append(dict(zip(names, p)))
        return out, None, None
    # sampled designs
    for i, f in enumerate(factors):
        if f.low is None:
            _fail(path, f"factors[{i}]", f"design {spec.design} needs a range (low and high) for every factor")
    if spec.design == "sobol" and spec.samples & (spec.samples - 1):
        _fail(path, "samples", f"Sobol sampling needs a power of 2 (got {spec.samples}; try "
                               f"{2 ** round(math.log2(spec.samples))})")
    if spec.design == "morris" and spec.levels % 2:
        _fail(path, "levels", f"Morris needs an even number of levels (got {spec.levels})")
    if spec.design == "lhs" and spec.samples < 2:
        _fail(path, "samples", "a Latin hypercube needs at least 2 samples")
    X, problem = _sample(spec, names, [[f.low, f.high] for f in factors], seed)
    points = []
    for row in X:
        points.append({n: (int(round(v)) if is_int else float(v)) for n, v, is_int in zip(names, row, ints)})
    return points, X, problem
