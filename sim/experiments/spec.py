"""Experiment files: a base scenario, factors (scenario fields by path), a design, replicates, outputs.

`load_experiment(path)` reads and checks a file and returns a Plan: every run of the experiment with
its parameter point and seed, the shared context the workers need, and the experiment's hash.
See docs/experiments.md for the file format.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError
from ..files import read_yaml_mapping
from ..scenario import (Scenario, check_against_network, parse_scenario, scenario_data, validation_problem,
                        yearly_cost_of)
from ..vocabulary import KPIS, PILLAR_OF_KIND, PILLARS
from .paths import (PathError, Step, check_value, field_default, format_path, get_path, is_integer, is_numeric,
                    leaf_type, parse_path, set_path)

DESIGNS = ("grid", "points", "lhs", "sobol", "morris")
SAMPLED = ("lhs", "sobol", "morris")
# columns of the results datasets that factor names must not take
RESERVED = {"run", "point", "replicate", "seed", "output", "value", "day", "status"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Factor(Strict):
    """One thing the experiment varies: one or several scenario fields set to the same value."""

    name: str | None = Field(None, description="column name in the results; default: the path")
    path: str | None = Field(None, description="scenario field, e.g. countries.LBY.corruption")
    paths: list[str] | None = Field(None, description="several fields that take the same value")
    values: list[Any] | None = Field(None, description="grid: the values to try")
    low: float | None = Field(None, description="lhs/sobol/morris: lower end of the range")
    high: float | None = Field(None, description="lhs/sobol/morris: upper end of the range")
    relative: bool = Field(False, description="the value multiplies each field's value in the base scenario")

    @model_validator(mode="after")
    def _shape(self):
        if (self.path is None) == (self.paths is None):
            raise ValueError("give either path or paths")
        if self.paths is not None and not self.paths:
            raise ValueError("paths is empty")
        if self.paths is not None and len(self.paths) > 1 and not self.name:
            raise ValueError("a factor that sets several paths needs a name")
        if self.values is not None and (self.low is not None or self.high is not None):
            raise ValueError("give either values (grid) or low and high (a range), not both")
        if (self.low is None) != (self.high is None):
            raise ValueError("a range needs both low and high")
        if self.low is not None and not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        if self.values is not None and not self.values:
            raise ValueError("values is empty")
        return self

    @property
    def all_paths(self) -> list[str]:
        return [self.path] if self.path is not None else list(self.paths)

    @property
    def label(self) -> str:
        return self.name or self.all_paths[0]


class Budget(Strict):
    """One budget spread across the three pillars (see docs/experiments.md, 'Budget splits')."""

    total_eur: Annotated[float, Field(gt=0)]
    shares: dict[Literal["prevention", "response", "alternatives"], Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: {p: 1 / 3 for p in PILLARS},
        description="share of the budget per pillar; normalised to sum to 1")
    elasticity: Annotated[float, Field(ge=0)] = Field(
        1.0, description="intensity = reference intensity x (cost / reference cost) ** elasticity")


class Experiment(Strict):
    name: str = "Unnamed experiment"
    description: str = ""
    base: str = Field(description="scenario file the runs start from, relative to this file")
    set: dict[str, Any] = Field({}, description="scenario fields set for every run, by path")
    design: Literal["grid", "points", "lhs", "sobol", "morris"] = "grid"
    factors: list[Factor] = []
    points: list[list[Any] | dict[str, Any]] = Field([], description="design points: explicit parameter points")
    samples: Annotated[int, Field(ge=1)] | None = Field(
        None, description="lhs: points; sobol: base sample N (a power of 2); morris: trajectories")
    levels: Annotated[int, Field(ge=2)] = Field(4, description="morris: levels of the grid (even)")
    second_order: bool = Field(False, description="sobol: also second-order indices (2D+2 runs per N, not D+2)")
    replicates: Annotated[int, Field(ge=1)] = 1
    seed: Annotated[int, Field(ge=0)] | None = Field(None, description="seed of replicate 0; default: the base scenario's")
    sampler_seed: Annotated[int, Field(ge=0)] | None = Field(None, description="seed of the sampler; default: seed")
    outputs: list[str] = Field(list(KPIS), description="summary figures to keep per run")
    daily: bool | list[str] = Field(False, description="also keep the per-day table (true, or a list of columns)")
    budget: Budget | None = None

    @model_validator(mode="after")
    def _design(self):
        if self.design in SAMPLED:
            if self.samples is None:
                raise ValueError(f"design {self.design} needs samples")
            if not self.factors:
                raise ValueError(f"design {self.design} needs at least one factor")
        if self.design == "points" and not self.points:
            raise ValueError("design points needs points")
        if self.design != "points" and self.points:
            raise ValueError(f"points are only used by design: points (design is {self.design})")
        if not self.outputs:
            raise ValueError("outputs is empty")
        return self


@dataclass(frozen=True)
class FactorPlan:
    name: str
    steps: tuple[tuple[Step, ...], ...]  # one path per entry
    budget: bool  # the paths point into the experiment's budget, not the scenario
    integer: bool  # round sampled values
    numeric: bool  # the results column is float64 (else text)
    relative: bool = False  # the value multiplies the base value
    defaults: tuple = ()  # relative: per path, (schema default where the base has no value, integer field)


@dataclass(frozen=True)
class RunSpec:
    run: int
    point: int
    replicate: int
    seed: int


@dataclass
class Context:
    """What every worker needs, sent once per worker."""

    hash: str
    base_data: dict
    base_source: str
    network: Any
    factors: list[FactorPlan]
    budget: dict | None
    outputs: list[tuple]  # (name, corridor or None, summary figure)
    daily: list[str] | None


@dataclass
class Plan:
    path: Path
    spec: Experiment
    hash: str
    context: Context
    points: list[dict]  # parameter point: factor name -> value
    runs: list[RunSpec]
    X: np.ndarray | None = None  # the sampler's matrix (lhs, sobol, morris), one row per point
    problem: dict | None = None  # SALib's problem
    base_path: Path | None = None
    corridors: list[str] = field(default_factory=list)

    @property
    def factors(self) -> list[FactorPlan]:
        return self.context.factors


# ----------------------------------------------------------------------------- reading
def _read(path: Path) -> dict:
    return read_yaml_mapping(path, "an experiment: base, factors, design, ...")


def parse_experiment(data: dict, source: str | Path) -> Experiment:
    try:
        return Experiment.model_validate(data)
    except ValidationError as exc:
        where, msg = validation_problem(exc)
        raise InputError(source, f"field '{where}'", msg) from None


def _fail(path, where, msg):
    raise InputError(path, f"field '{where}'", msg)


def _network_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(folder)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _canonical(x) -> str:
    return json.dumps(x, sort_keys=True, separators=(",", ":"), default=str)


def experiment_hash(spec: Experiment, base_data: dict, network_digest: str) -> str:
    """Identity of the results: the design, the base scenario's content and the network's files.

    Name, description and where the base file lives do not count; the package version is checked apart."""
    exp = spec.model_dump(mode="json", exclude={"name", "description", "base"})
    base = dict(base_data)
    base["network"] = network_digest
    return hashlib.sha256(_canonical({"experiment": exp, "base": base}).encode()).hexdigest()[:16]


def _check_path(path: Path, where: str, text: str):
    """(steps, leaf type, is-budget) of a factor or `set` path; InputError if the schema has no such field."""
    try:
        steps = parse_path(text)
    except PathError as exc:
        _fail(path, where, str(exc))
    if steps[0].kind == "key" and steps[0].key == "budget":
        model, steps_in = Budget, steps[1:]
        if not steps_in:
            _fail(path, where, "give a field of the budget, e.g. budget.shares.response or budget.total_eur")
    else:
        model, steps_in = Scenario, steps
        if steps[0].key in ("seed", "network", "source"):
            _fail(path, where, f"{steps[0].key} cannot be a factor: "
                               + ("seeds come from the experiment's seed and replicates" if steps[0].key == "seed"
                                  else "the network is fixed by the base scenario"))
    try:
        tp = leaf_type(model, steps_in)
    except PathError as exc:
        _fail(path, where, f"unknown factor path {text!r}: {exc}")
    return steps, tp, model is Budget


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


def _check_budget(path: Path, spec: Experiment, base: dict, points: list[dict], plans: list[FactorPlan]):
    """Each pillar that gets money must have an intervention with a cost to scale."""
    funded = {p: 0.0 for p in PILLARS}
    for iv in base.get("interventions") or []:
        if isinstance(iv, dict) and PILLAR_OF_KIND.get(iv.get("kind")) and yearly_cost_of(iv) > 0:
            funded[PILLAR_OF_KIND[iv["kind"]]] += yearly_cost_of(iv)
    budget_factors = [p for p in plans if p.budget]
    for j, point in enumerate(points):
        b = spec.budget.model_dump()
        for fp in budget_factors:
            for steps in fp.steps:
                set_path(b, steps[1:], point[fp.name])
        try:
            b = Budget.model_validate(b)
        except ValidationError as exc:
            where, msg = validation_problem(exc)
            _fail(path, f"budget.{where}", f"{msg} (design point {j})")
        total = sum(b.shares.values())
        if total <= 0:
            _fail(path, "budget.shares", f"the shares add up to 0 (design point {j})")
        for pillar, share in b.shares.items():
            if share > 0 and funded[pillar] == 0:
                _fail(path, f"budget.shares.{pillar}",
                      f"gets a share but the base scenario has no {pillar} intervention with a cost (cost_eur_per_year or cost_eur) > 0 to scale")


def load_experiment(path: str | Path, network=None) -> Plan:
    """Read and check an experiment file; InputError (file and field named) for anything wrong in it."""
    from ..network import load_network
    from ..run import run

    path = Path(path)
    spec = parse_experiment(_read(path), path)
    base_path = (path.parent / spec.base).resolve()
    if not base_path.exists():
        _fail(path, "base", f"base scenario {spec.base} not found")
    base = scenario_data(base_path)
    # the base's own mistakes name the base file
    base_scenario = parse_scenario(copy.deepcopy(base), source=base_path)
    network = network or load_network(base_scenario.network_path())
    check_against_network(base_scenario, network)

    # fixed fields
    for key, value in spec.set.items():
        steps, tp, is_budget = _check_path(path, f"set.{key}", key)
        if is_budget:
            _fail(path, f"set.{key}", "set the budget in the budget block")
        problem = check_value(tp, value)
        if problem:
            _fail(path, f"set.{key}", problem)
        try:
            set_path(base, steps, value)
        except PathError as exc:
            _fail(path, f"set.{key}", str(exc))
    try:
        scenario = parse_scenario(copy.deepcopy(base), source=base_path)
    except InputError as exc:  # the base was valid: the mistake is in `set`
        _fail(path, "set", f"makes the base scenario invalid: {exc.where}: {exc.message}")
    try:
        check_against_network(scenario, network)
    except InputError as exc:
        _fail(path, "set", f"the scenario does not fit its network: {exc.where}: {exc.message}")

    # factors
    plans, names = [], set()
    for i, f in enumerate(spec.factors):
        steps_all, types, budget_flags = [], [], []
        for k, text in enumerate(f.all_paths):
            where = f"factors[{i}].path" if f.path is not None else f"factors[{i}].paths[{k}]"
            steps, tp, is_budget = _check_path(path, where, text)
            if is_budget and spec.budget is None:
                _fail(path, where, "a budget factor needs a budget block (budget: {total_eur: ...})")
            if not is_budget:
                try:  # the list items and selectors must exist in the base scenario
                    set_path(copy.deepcopy(base), steps, None)
                except PathError as exc:
                    _fail(path, where, str(exc))
            steps_all.append(steps)
            types.append(tp)
            budget_flags.append(is_budget)
        if f.label in names:
            _fail(path, f"factors[{i}].name", f"two factors are called {f.label!r}: give them different names")
        if f.label in RESERVED:
            _fail(path, f"factors[{i}].name", f"{f.label!r} is a column of the results: choose another name")
        names.add(f.label)
        if len(set(budget_flags)) > 1:
            _fail(path, f"factors[{i}].paths", "a factor cannot set both budget and scenario fields")
        defaults = []
        if f.relative:
            for k, (steps, tp) in enumerate(zip(steps_all, types)):
                where = f"factors[{i}].path" if f.path is not None else f"factors[{i}].paths[{k}]"
                if not is_numeric(tp):
                    _fail(path, where, f"a relative factor needs a numeric field; {f.all_paths[k]} is not a number")
                default = field_default(Budget if budget_flags[k] else Scenario,
                                        steps[1:] if budget_flags[k] else steps)
                current = get_path(base, steps) if not budget_flags[k] else [None]
                if any(v is None for v in current) and not isinstance(default, (int, float)):
                    _fail(path, where, f"relative: {f.all_paths[k]} has no value in the base scenario to multiply")
                if any(v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool)) for v in current):
                    _fail(path, where, f"relative: {f.all_paths[k]} is not a number in the base scenario")
                defaults.append((default, is_integer(tp)))
            if any(budget_flags):
                _fail(path, f"factors[{i}].relative", "budget factors cannot be relative")
            for j, v in enumerate(f.values or []):
                if not isinstance(v, (int, float)) or isinstance(v, bool):
                    _fail(path, f"factors[{i}].values[{j}]", f"a relative factor takes numbers (multipliers), got {v!r}")
        if f.low is not None:
            for k, tp in enumerate(types):
                if not is_numeric(tp):
                    _fail(path, f"factors[{i}].low", f"a range needs a numeric field; {f.all_paths[k]} is not a number")
        for j, v in enumerate([] if f.relative else (f.values or [])):
            for tp in types:
                problem = check_value(tp, v)
                if problem:
                    _fail(path, f"factors[{i}].values[{j}]", problem)
        plans.append(FactorPlan(f.label, tuple(steps_all), budget_flags[0],
                                any(is_integer(t) for t in types) and not f.relative, True, f.relative,
                                tuple(defaults)))

    seed0 = spec.seed if spec.seed is not None else int(base.get("seed", 0) or 0)
    sampler_seed = spec.sampler_seed if spec.sampler_seed is not None else seed0
    points, X, problem = design_points(spec, path, spec.factors, [p.integer for p in plans], sampler_seed)
    if spec.design == "points":
        for j, point in enumerate(points):
            for i, fp in enumerate(plans):
                for tp_steps, text in zip(fp.steps, spec.factors[i].all_paths):
                    tp = leaf_type(Budget if fp.budget else Scenario, tp_steps[1:] if fp.budget else tp_steps)
                    problem_v = check_value(tp, point[fp.name])
                    if problem_v:
                        _fail(path, f"points[{j}].{fp.name}", problem_v)
    # a column per factor: numbers, or text for anything else
    plans = [FactorPlan(p.name, p.steps, p.budget, p.integer,
                        all(isinstance(pt[p.name], (int, float)) and not isinstance(pt[p.name], bool) for pt in points),
                        p.relative, p.defaults)
             for p in plans]
    if spec.budget is not None:
        _check_budget(path, spec, base, points, plans)

    # outputs and daily columns, checked on a one-day run of the base scenario
    probe = run(scenario, days=1, routes=network, seed=seed0)
    corridors = list(probe.summary["corridors"])
    overall = set(probe.summary["overall"])
    per_corridor = set(next(iter(probe.summary["corridors"].values()), {}))
    outputs = []
    for j, out in enumerate(spec.outputs):
        if out in overall:
            outputs.append((out, None, out))
            continue
        try:
            steps = parse_path(out)
        except PathError:
            steps = ()
        if len(steps) == 3 and steps[0].key == "corridors" and all(s.kind == "key" for s in steps):
            if steps[1].key not in corridors:
                _fail(path, f"outputs[{j}]", f"unknown corridor {steps[1].key!r} (known: {', '.join(corridors)})")
            if steps[2].key not in per_corridor:
                _fail(path, f"outputs[{j}]", f"unknown corridor figure {steps[2].key!r} "
                                             f"(known: {', '.join(sorted(per_corridor))})")
            outputs.append((out, steps[1].key, steps[2].key))
            continue
        _fail(path, f"outputs[{j}]", f"unknown output {out!r}: give a summary figure ({', '.join(sorted(overall))}) "
                                     f"or corridors.NAME.FIGURE")
    if len(set(spec.outputs)) != len(spec.outputs):
        _fail(path, "outputs", "an output is listed twice")
    daily = None
    if spec.daily:
        known = list(probe.tables["daily"].columns)
        if spec.daily is True:
            daily = [c for c in known if c != "day"]
        else:
            for j, c in enumerate(spec.daily):
                if c not in known:
                    _fail(path, f"daily[{j}]", f"unknown column {c!r} of the daily table (known: {', '.join(known)})")
            daily = [c for c in spec.daily if c != "day"]
        clash = set(daily) & names
        if clash:
            _fail(path, "daily", f"daily column {sorted(clash)[0]!r} has the name of a factor")
    del probe

    digest = _network_digest(scenario.network_path())
    h = experiment_hash(spec, base, digest)
    runs = [RunSpec(p * spec.replicates + r, p, r, seed0 + r)
            for p in range(len(points)) for r in range(spec.replicates)]
    ctx = Context(hash=h, base_data=base, base_source=str(base_path), network=network, factors=plans,
                  budget=spec.budget.model_dump() if spec.budget else None, outputs=outputs,
                  daily=daily)
    return Plan(path=path, spec=spec, hash=h, context=ctx, points=points, runs=runs, X=X, problem=problem,
                base_path=base_path, corridors=corridors)


__all__ = ["Budget", "Experiment", "Factor", "Plan", "RunSpec", "Context", "load_experiment", "parse_experiment",
           "format_path"]
