"""Experiment files: a base scenario, factors (scenario fields by path), a design, replicates, outputs.

The file's schema (pydantic) and reading it; plan.py's `load_experiment(path)` checks a file against its
base scenario and builds the Plan of runs. See docs/experiments.md for the file format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError
from ..files import read_yaml_mapping
from ..scenario import validation_problem
from ..vocabulary import KPIS, PILLARS
from .paths import format_path

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


def read_experiment(path: Path) -> dict:
    return read_yaml_mapping(path, "an experiment: base, factors, design, ...")


def parse_experiment(data: dict, source: str | Path) -> Experiment:
    try:
        return Experiment.model_validate(data)
    except ValidationError as exc:
        where, msg = validation_problem(exc)
        raise InputError(source, f"field '{where}'", msg) from None


def fail(path, where, msg):
    """An InputError naming the experiment file and the field."""
    raise InputError(path, f"field '{where}'", msg)


__all__ = ["Budget", "Experiment", "Factor", "parse_experiment", "read_experiment", "fail", "format_path"]
