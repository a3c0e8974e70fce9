"""Exercise scripts: teams, rounds, budgets, the MSEL (injects) and learning objectives, as typed YAML.

A script is validated in two steps, like a scenario: the schema (field types, limits, cross-references
inside the file), then against the base scenario's route network (team countries, inject targets)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError
from ..files import read_yaml_mapping
from ..network import RouteNetwork
from ..scenario import (
    EventKind,
    Scenario,
    Targets,
    check_against_network,
    load_scenario,
    parse_scenario,
    validation_problem,
)

REPO = Path(__file__).resolve().parents[2]
SCENARIOS_DIR = REPO / "scenarios"
SCHEMA_PATH = REPO / "docs" / "exercise.schema.json"

# the corridor/daily table columns a condition may watch (flows: summed over the window)
METRICS = ("attempts", "crossings", "arrivals", "interceptions", "deaths", "detections", "refused_boarding",
           "revenue_eur")
MAX_ROUNDS, MAX_TEAMS, MAX_INJECTS = 24, 8, 200

# printable text without control characters (newlines allowed in long texts only)
_LINE = r"^[^\x00-\x1f\x7f]*$"
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Name = Annotated[str, Field(min_length=1, max_length=40, pattern=_LINE)]
Ident = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")]
Message = Annotated[str, Field(min_length=1, max_length=1000, pattern=_TEXT)]
Note = Annotated[str, Field(max_length=1000, pattern=_TEXT)]
ISO3 = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Money = Annotated[float, Field(gt=0, le=1e12)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Team(Strict):
    name: Name
    countries: Annotated[list[ISO3], Field(min_length=1, max_length=20)] = Field(
        description="countries (ISO3) whose authorities the team plays; each country belongs to one team")
    colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$", description="colour on maps and charts, #rrggbb")
    budget_eur_per_round: Money | None = Field(None, description="this team's budget per round (default: the script's)")
    briefing: Note = Field("", description="private briefing shown to this team only")


class Condition(Strict):
    """Fires when the metric, summed over the last window_days days of the round just played, compares true."""

    metric: Literal["attempts", "crossings", "arrivals", "interceptions", "deaths", "detections",
                    "refused_boarding", "revenue_eur"]
    corridor: str | None = Field(None, description="corridor to watch; empty = all corridors together")
    window_days: Annotated[int, Field(ge=1, le=365)] = 7
    comparison: Literal["above", "at_least", "below", "at_most"] = "above"
    threshold: Annotated[float, Field(ge=0)]

    def met(self, value: float) -> bool:
        return {"above": value > self.threshold, "at_least": value >= self.threshold,
                "below": value < self.threshold, "at_most": value <= self.threshold}[self.comparison]

    def describe(self) -> str:
        where = self.corridor or "all corridors"
        return f"{self.metric} on {where} over the last {self.window_days} days {self.comparison.replace('_', ' ')} {self.threshold:g}"


class InjectEvent(Strict):
    """A scenario event (see docs/scenarios.md); it starts when its inject is delivered."""

    kind: EventKind
    targets: Targets = Targets()
    intensity: Annotated[float, Field(ge=0, le=100)] = 1.0
    duration_days: Annotated[int, Field(ge=1, le=3650)] | None = Field(None, description="empty = until the end")
    to_corridor: str | None = None

    def as_event(self, start: int, name: str) -> dict:
        end = start + self.duration_days if self.duration_days else None
        out = {"name": name, "kind": self.kind, "targets": self.targets.model_dump(), "start": start, "end": end,
               "intensity": self.intensity}
        if self.to_corridor:
            out["to_corridor"] = self.to_corridor
        return out


class Inject(Strict):
    """One line of the master scenario events list: when, what happens, who is told."""

    id: Ident
    round: Annotated[int, Field(ge=1, le=MAX_ROUNDS)] | None = Field(None, description="delivered at the start of this round")
    day: Annotated[int, Field(ge=0, le=3650)] | None = Field(None, description="delivered in the round holding this day; its event starts that day")
    condition: Condition | None = Field(None, description="delivered at the start of the round after the one where it is met (once)")
    event: InjectEvent | None = None
    message: Message
    to_teams: Annotated[list[Name], Field(max_length=MAX_TEAMS)] = Field([], description="empty = all teams")
    facilitator_note: Note = ""
    expected_action: Note = Field("", description="what a team should do, for the debrief")
    objectives: list[Ident] = Field([], description="ids of the learning objectives this inject serves")

    @model_validator(mode="after")
    def _one_trigger(self):
        given = [k for k in ("round", "day", "condition") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of round, day or condition (given: {', '.join(given) or 'none'})")
        return self


class Objective(Strict):
    id: Ident
    text: Message


class ExerciseScript(Strict):
    """A table-top exercise played on a base scenario, with the model as adjudicator."""

    name: Name
    description: Note = ""
    base_scenario: str = Field(pattern=r"^[A-Za-z0-9_\-./]+\.ya?ml$",
                               description="scenario file, relative to the repository's scenarios/ folder")
    teams: Annotated[list[Team], Field(min_length=1, max_length=MAX_TEAMS)]
    budget_eur_per_round: Money = Field(description="each team's budget per round (EUR)")
    days_per_round: Annotated[int, Field(ge=1, le=365)] = 30
    rounds: Annotated[int, Field(ge=1, le=MAX_ROUNDS)] = 4
    scale: Annotated[int, Field(ge=1, le=100000)] = Field(100, description="people one model entry stands for")
    seeds: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1, max_length=20)] = Field(
        [0], description="the first is played; all are replayed for the debrief's intervals")
    injects: Annotated[list[Inject], Field(max_length=MAX_INJECTS)] = []
    objectives: Annotated[list[Objective], Field(max_length=50)] = []

    @model_validator(mode="after")
    def _references(self):
        if ".." in Path(self.base_scenario).parts or self.base_scenario.startswith("/"):
            raise ValueError("base_scenario: must be a path inside scenarios/ (no '..', not absolute)")
        if self.days_per_round * self.rounds > 3650:
            raise ValueError("rounds: days_per_round x rounds must be at most 3650 days")
        _unique([t.name for t in self.teams], "teams", "team name")
        owner: dict[str, str] = {}
        for t in self.teams:
            for c in t.countries:
                if c in owner:
                    raise ValueError(f"teams: country {c} is in teams {owner[c]!r} and {t.name!r}: give it to one team")
                owner[c] = t.name
        _unique([i.id for i in self.injects], "injects", "inject id")
        _unique([o.id for o in self.objectives], "objectives", "objective id")
        teams, objectives = {t.name for t in self.teams}, {o.id for o in self.objectives}
        horizon = self.days_per_round * self.rounds
        for i, inj in enumerate(self.injects):
            for name in inj.to_teams:
                if name not in teams:
                    raise ValueError(f"injects[{i}].to_teams: unknown team {name!r}")
            for oid in inj.objectives:
                if oid not in objectives:
                    raise ValueError(f"injects[{i}].objectives: unknown objective {oid!r}")
            if inj.round is not None and inj.round > self.rounds:
                raise ValueError(f"injects[{i}].round: {inj.round} is after the last round ({self.rounds})")
            if inj.day is not None and inj.day >= horizon:
                raise ValueError(f"injects[{i}].day: {inj.day} is after the last day ({horizon - 1})")
        return self

    def team(self, name: str) -> Team:
        for t in self.teams:
            if t.name == name:
                return t
        raise KeyError(name)

    def budget(self, team: str) -> float:
        return self.team(team).budget_eur_per_round or self.budget_eur_per_round

    def round_days(self, number: int) -> tuple[int, int]:
        """First day and the day after the last of round `number` (1-based)."""
        return (number - 1) * self.days_per_round, number * self.days_per_round

    def round_of_day(self, day: int) -> int:
        return day // self.days_per_round + 1

    def owner(self) -> dict[str, str]:
        return {c: t.name for t in self.teams for c in t.countries}


def _unique(values, field: str, what: str):
    seen = set()
    for v in values:
        if v in seen:
            raise ValueError(f"{field}: {what} {v!r} appears twice")
        seen.add(v)


def parse_script(data: dict, source: str | Path | None = None) -> ExerciseScript:
    try:
        return ExerciseScript.model_validate(data)
    except ValidationError as exc:
        where, msg = validation_problem(exc)
        # cross-reference errors name their own field: move it from the message to the field
        m = re.match(r"^([a-z_]+(\[\d+\])?(\.[a-z_]+)?): (.*)$", msg)
        if where == "(top level)" and m:
            where, msg = m.group(1), m.group(4)
        raise InputError(source or "exercise", f"field '{where}'", msg) from None


def parse_script_text(text: str, source: str | Path = "exercise") -> ExerciseScript:
    """A script kept as text (in the exercise database or an export file)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(source, None, f"broken YAML: {getattr(exc, 'problem', None) or 'not valid YAML'}") from None
    if not isinstance(data, dict):
        raise InputError(source, None, "must be a mapping of fields (an exercise: name, base_scenario, teams, ...)")
    return parse_script(data, source)


def load_base(script: ExerciseScript, source, scenarios_dir: Path = SCENARIOS_DIR) -> tuple[Scenario, RouteNetwork]:
    path = Path(scenarios_dir) / script.base_scenario
    if not path.is_file():
        raise InputError(source, "field 'base_scenario'", f"no scenario file {script.base_scenario} in {scenarios_dir}")
    return load_scenario(path)


def check_script(script: ExerciseScript, base: Scenario, network: RouteNetwork, source) -> None:
    """Team countries, condition corridors and inject events against the base scenario's network."""
    countries, corridors = set(network.countries.index), set(network.corridors)
    for i, t in enumerate(script.teams):
        for c in t.countries:
            if c not in countries:
                raise InputError(source, f"field 'teams[{i}].countries'", f"country {c} is not on the network")
    for i, inj in enumerate(script.injects):
        if inj.condition and inj.condition.corridor and inj.condition.corridor not in corridors:
            raise InputError(source, f"field 'injects[{i}].condition.corridor'",
                             f"unknown corridor {inj.condition.corridor!r} (known: {', '.join(sorted(corridors))})")
        if inj.event is None:
            continue
        # the scenario module's own check, on the base scenario with only this event added
        data = base.model_dump(mode="json")
        data["events"] = [inj.event.as_event(0, inj.id)]
        try:
            check_against_network(parse_scenario(data, "inject"), network)
        except InputError as exc:
            where = (exc.where or "").replace("events[0]", f"injects[{i}].event")
            raise InputError(source, where or f"field 'injects[{i}].event'", exc.message) from None


def load_script(path: str | Path, scenarios_dir: Path = SCENARIOS_DIR) -> tuple[ExerciseScript, Scenario, RouteNetwork]:
    """Read, validate and check an exercise file. Raises InputError naming the file and field."""
    path = Path(path)
    data = read_yaml_mapping(path, "an exercise: name, base_scenario, teams, ...")
    script = parse_script(data, path)
    base, network = load_base(script, path, scenarios_dir)
    check_script(script, base, network, path)
    return script, base, network


def load_script_text(text: str, source, scenarios_dir: Path = SCENARIOS_DIR):
    script = parse_script_text(text, source)
    base, network = load_base(script, source, scenarios_dir)
    check_script(script, base, network, source)
    return script, base, network


def json_schema() -> str:
    return json.dumps(ExerciseScript.model_json_schema(), indent=2)


def write_schema(path: str | Path = SCHEMA_PATH) -> Path:
    path = Path(path)
    path.write_text(json_schema() + "\n", encoding="utf-8")
    return path
