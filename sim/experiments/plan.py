"""The plan of an experiment: `load_experiment(path)` checks a file against its base scenario and network,
and returns every run with its parameter point and seed, the shared context the workers need, and the
experiment's hash (the identity of its results)."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from ..errors import InputError
from ..scenario import (
    Scenario,
    check_against_network,
    parse_scenario,
    scenario_data,
    validation_problem,
    yearly_cost_of,
)
from ..vocabulary import PILLAR_OF_KIND, PILLARS
from .design import design_points
from .paths import (
    PathError,
    Step,
    check_value,
    field_default,
    get_path,
    is_integer,
    is_numeric,
    leaf_type,
    parse_path,
    set_path,
)
from .spec import RESERVED, Budget, Experiment, parse_experiment, read_experiment
from .spec import fail as _fail


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
    # whether a run can start from another's spun-up state (sim/model/spun_up.py): only when seeds come
    # back, i.e. with more than one point; with one, keeping each run's state (about 3 ms a run at 1:1000
    # to pickle it) would buy nothing
    spin_ups_shared: bool = True


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
                      f"gets a share but the base scenario has no {pillar} intervention with a cost "
                     "(cost_eur_per_year or cost_eur) > 0 to scale")


def load_experiment(path: str | Path, network=None) -> Plan:
    """Read and check an experiment file; InputError (file and field named) for anything wrong in it."""
    from ..network import load_network
    from ..run import run

    path = Path(path)
    spec = parse_experiment(read_experiment(path), path)
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
                for tp_steps, _text in zip(fp.steps, spec.factors[i].all_paths):
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
                  daily=daily, spin_ups_shared=len(points) > 1)
    return Plan(path=path, spec=spec, hash=h, context=ctx, points=points, runs=runs, X=X, problem=problem,
                base_path=base_path, corridors=corridors)


__all__ = ["Context", "FactorPlan", "Plan", "RunSpec", "experiment_hash", "load_experiment"]
