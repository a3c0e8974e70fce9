"""Scenario files: YAML validated by a typed schema (pydantic), then checked against the network."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from .calendar import resolve_dates
from .effects import Effects
from .errors import InputError
from .files import clip, quote, read_yaml_mapping
from .network import COUNTRY_FIELDS, RouteNetwork, load_network
from .vocabulary import EVENT_KINDS, INTERVENTION_KINDS, PILLAR_OF_KIND, QUOTA_KINDS

PILLARS = PILLAR_OF_KIND  # the app's old name (kind -> pillar); new code reads sim.vocabulary
InterventionKind = Literal[INTERVENTION_KINDS]
EventKind = Literal[EVENT_KINDS]

MAX_DAYS = 3650  # the documented horizon; also bounds every day count, so 16-bit day counters never wrap
MAX_EUR = 1e12  # any amount of money; larger is a typo (and a float32 money array would lose the euros)
MAX_PEOPLE_PER_YEAR = 1e8
YEAR_DAYS = 365  # a cost per year is charged at 1/365 of it per day the measure is active


def _not_bool(value):
    # YAML reads `yes`/`true` as a boolean, which pydantic would otherwise take as the number 1
    if isinstance(value, bool):
        raise ValueError("got true/false: give a number (or quoted text)")
    return value


Fraction = Annotated[float, Field(ge=0, le=1)]
NonNeg = Annotated[float, Field(ge=0)]
Euros = Annotated[float, Field(ge=0, le=MAX_EUR)]
SignedEuros = Annotated[float, Field(ge=-MAX_EUR, le=MAX_EUR)]
Day = Annotated[int, Field(ge=0, le=MAX_DAYS)]
# a lever's start or end: before day 0 (negative) it acts during the spin-up too, as a measure in force
# before the run starts (a date before start_date gives that; day numbers of 0 or more never do, so a
# scenario and its baseline still spin up alike)
LeverDay = Annotated[int, Field(ge=-3650, le=MAX_DAYS)]
Days = Annotated[int, Field(ge=1, le=MAX_DAYS)]
Factor = Annotated[float, Field(gt=0, le=100)]

MAX_INTENSITY = 10.0  # the widest range of any kind; each kind's own range is checked in sim/checks.py


class Strict(BaseModel):
    # floats must be finite everywhere: NaN or infinity in a scenario is always a mistake
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans(cls, value):
        return _not_bool(value)


class Targets(Strict):
    """What a lever acts on. Empty lists mean 'everywhere' for that dimension."""

    countries: list[str] = []
    corridors: list[str] = []
    legs: list[str] = []
    places: list[str] = []

    def is_empty(self) -> bool:
        return not (self.countries or self.corridors or self.legs or self.places)


class _Lever(Strict):
    name: str | None = None
    targets: Targets = Targets()
    start: LeverDay = Field(0, description="first day it applies; negative (a date before start_date): already in "
                            "force during the spin-up")
    end: LeverDay | None = Field(None, description="first day it no longer applies; empty = until the end of the run")
    intensity: Annotated[float, Field(ge=0, le=MAX_INTENSITY)] = Field(
        1.0, description="strength: interventions 0 to 10 (1 is a strong programme); events: "
                              "surge and sea_weather 0 to 10, corruption_scandal, network_shift, budget_cut and "
                              "pushbacks 0 to 1, readmission, visa_requirement and holding 0 to 10, route_closure and "
                              "confinement 1 (complete)")

    @model_validator(mode="after")
    def _end_after_start(self):
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end (day {self.end}) must be after start (day {self.start})")
        return self

    def active(self, day: int) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


class Intervention(_Lever):
    """A funded measure of the declaration."""

    kind: InterventionKind
    cost_eur: Euros = Field(0.0, description="euros for the whole period start..end (needs end); a run charges the "
                            "part of the period inside its horizon. Without end it is read as cost_eur_per_year "
                            "(check warns)")
    cost_eur_per_year: Euros = Field(0.0, description="euros per year (365 days) while the measure is active; "
                                     "a run charges the days it is active inside its horizon")
    places_per_year: Annotated[float, Field(ge=0, le=MAX_PEOPLE_PER_YEAR)] = Field(0.0, description="legal_pathways / vocational_training: places offered per year")
    destinations: list[str] = Field([], description="legal_pathways: destination countries (ISO3)")

    @property
    def pillar(self) -> str:
        return PILLAR_OF_KIND[self.kind]

    @model_validator(mode="after")
    def _one_cost(self):
        if self.cost_eur and self.cost_eur_per_year:
            raise ValueError("give cost_eur (for the period start..end) or cost_eur_per_year, not both")
        return self

    @property
    def cost_read_per_year(self) -> bool:
        """An open-ended measure with a cost_eur (files from before cost_eur_per_year): read per year, since a
        total for an unstated period would make cost per avoided death depend on the horizon."""
        return self.end is None and self.cost_eur > 0

    def cost_per_year_eur(self) -> float:
        if self.cost_eur_per_year or self.cost_read_per_year:
            return self.cost_eur_per_year or self.cost_eur
        return self.cost_eur * YEAR_DAYS / (self.end - self.start) if self.end is not None else 0.0

    def charged_eur(self, days: int) -> float:
        """Euros charged to a run of `days` days: the days the measure is active inside the run, from
        max(start, 0) to min(end, days), at its daily rate."""
        end = self.end if self.end is not None else days
        inside = max(0, min(end, days) - max(self.start, 0))
        return self.cost_per_year_eur() * inside / YEAR_DAYS

    @model_validator(mode="after")
    def _quota(self):
        if self.kind in QUOTA_KINDS and self.places_per_year <= 0:
            raise ValueError(f"{self.kind} needs places_per_year > 0")
        return self


def yearly_cost_of(iv: dict) -> float:
    """An intervention mapping's cost per year, from whichever cost field it states (see Intervention)."""
    per_year, total, end = float(iv.get("cost_eur_per_year") or 0), float(iv.get("cost_eur") or 0), iv.get("end")
    if per_year or not total or end is None:
        return per_year or total
    return total * YEAR_DAYS / max(int(end) - int(iv.get("start") or 0), 1)


class Event(_Lever):
    """Something that happens to the system: for exercises and stress tests."""

    kind: EventKind
    to_corridor: str | None = Field(None, description="network_shift: corridor the networks move to")
    to_place: str | None = Field(None, description="readmission: place (in the country that takes people back) "
                                 "where people who reach the target places are returned to")
    nationalities: list[str] = Field([], description="visa_requirement: nationalities (ISO3 of the origin "
                                     "country) who now need a visa to fly into the target countries")

    @model_validator(mode="after")
    def _shift(self):
        if self.kind == "network_shift" and not self.to_corridor:
            raise ValueError("network_shift needs to_corridor")
        if self.kind == "readmission" and not self.to_place:
            raise ValueError("readmission needs to_place")
        if self.kind == "visa_requirement" and not self.nationalities:
            raise ValueError("visa_requirement needs nationalities")
        return self


class Demand(Strict):
    origin: str = Field(description="place id of kind origin")
    per_year: Annotated[float, Field(ge=0, le=MAX_PEOPLE_PER_YEAR)] = Field(
        description="people per year who consider leaving irregularly from this origin (at most 100 million)")
    budget_eur: Annotated[float, Field(gt=0, le=MAX_EUR)] = Field(3000.0, description="mean money a person starts with")


class CountryOverride(Strict):
    enforcement: Fraction | None = None
    corruption: Fraction | None = None
    digital_capacity: Fraction | None = None
    financial_capacity: Fraction | None = None
    training: Fraction | None = None
    pushback: Fraction | None = Field(None, description="share of people intercepted by this country's border "
                                      "authority who are pushed straight back across the border (no detention, "
                                      "nobody sent home): they try again from where they started")
    pushback_counted: Fraction | None = Field(None, description="share of the people this country pushes back "
                                              "whom its border authority reports as detections (1: every "
                                              "interception counts; 0: pushbacks are reported apart, as "
                                              "prevented entries, or not at all)")
    detection_share: Fraction | None = Field(None, description="share of land crossings into the bloc that this "
                                             "country's border authority detects (default: grows with its "
                                             "effectiveness, see behaviour.detection_scale)")
    detention_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = Field(
        None, description="days the people this country's border authority intercepts are held before they try "
                          "again, go home or give up (default behaviour.detention_days): a long detention keeps "
                          "people off the road, a short one only delays their next attempt")


class DestinationOverride(Strict):
    appeal_eur: SignedEuros = Field(0.0, description="value of reaching this destination compared with the others (EUR); "
                              "negative = less wanted, e.g. an island with no onward travel")


class CorridorOverride(Strict):
    risk_factor: Annotated[float, Field(ge=0, le=100)] = Field(1.0, description="multiplies every leg's death "
                                                               "risk (0 to 100; the risk is capped at 0.95)")
    fee_factor: Factor = Field(1.0, description="multiplies every leg's fee (above 0, at most 100)")
    preference_eur: SignedEuros = Field(0.0, description="added to the perceived cost of the corridor's border crossings (negative = preferred)")
    retry_included: Fraction | None = Field(None, description="share of people intercepted on the corridor whose "
                                            "smuggler owes them another attempt (default: behaviour.retry_included); "
                                            "1 where fees are held by a hawala agent until the person arrives")


class Behaviour(Strict):
    """Model parameters. Defaults are the shipped model; calibration writes some of them."""

    benefit_eur: Euros = Field(12000.0, description="value a person puts on reaching a destination")
    decision_spread_eur: Annotated[float, Field(gt=0, le=MAX_EUR)] = Field(4000.0, description="spread of the leave/stay choice")
    route_spread_eur: Annotated[float, Field(gt=0, le=MAX_EUR)] = Field(800.0, description="spread of the route choice between legs")
    value_of_day_eur: Euros = Field(15.0, description="cost of one day on the road")
    value_of_life_eur: Euros = Field(150000.0, description="cost of a death probability of 1, as perceived")
    interception_cost_eur: Euros = Field(1500.0, description="perceived cost of being intercepted and held")
    risk_underestimate: Fraction = Field(0.4, description="share of the real risk seen by someone who fully trusts smugglers")
    trust_in_smugglers: Fraction = Field(0.7, description="baseline trust in smugglers' narratives")
    knows_alternatives: Fraction = Field(0.3, description="share of people who know an existing alternative")
    prefers_alternative: Fraction = Field(0.8, description="share of those who know it who take it when offered")
    interception_scale: NonNeg = Field(1.0, description="interception probability = 1 - exp(-scale * effective enforcement)")
    detection_scale: NonNeg = Field(2.0, description="share of land crossings into the bloc detected = 1 - exp(-scale * effectiveness of the border's authority); sea arrivals are all detected")
    detention_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 5
    return_after_refusal: Fraction = Field(0.5, description="share of people refused boarding who go home")
    return_after_interception: Fraction = Field(0.2, description="share of intercepted people returned home")
    retry_included: Fraction = Field(0.7, description="share of intercepted people whose smuggler owes them another attempt (package deals)")
    strand_after_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 21
    work_income_eur_per_day: Euros = 8.0
    give_up_per_day: Fraction = Field(0.003, description="daily chance a stranded person goes home")
    budget_spread: NonNeg = Field(0.6, description="sigma of the log-normal money distribution")
    danger_under_pressure: NonNeg = Field(1.0, description="extra death risk when a leg is heavily policed")
    price_under_pressure: NonNeg = Field(0.8, description="price rise when a leg is heavily policed")
    capacity_per_member: NonNeg = Field(3.0, description="places a network member can sell per day")
    members_per_network: Annotated[int, Field(ge=1, le=1_000_000)] = 100
    member_cost_eur_per_day: Euros = 60.0
    bribe_share: Fraction = Field(0.15, description="share of revenue on corrupt borders paid in bribes")
    arrest_rate: NonNeg = Field(0.01, description="daily share of members arrested at full enforcement")
    seizure_rate: NonNeg = Field(0.004, description="daily share of capital seized at full financial capacity")
    takedown_rate: NonNeg = Field(0.01, description="daily share of online reach taken down at full digital capacity")
    recruit_rate: NonNeg = Field(0.02, description="daily growth of members while demand is unmet and capital allows")
    hire_cost_eur: Euros = 2000.0
    adapt_rate: NonNeg = Field(0.1, description="how fast networks move capacity away from policed legs")
    entry_rate: NonNeg = Field(0.05, description="daily chance a new network appears where demand is unmet")
    capacity_lag_days: Annotated[int, Field(ge=0, le=MAX_DAYS)] = 90
    capacity_ramp_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = 180
    demand_lag_days: Annotated[float, Field(ge=0, le=MAX_DAYS)] = Field(
        0.0, description="with demand_by_year: how many days departures take to follow a new year's figure (the "
                         "rate closes 63 % of its gap to the year's figure in this many days, from where the "
                         "year before left it); 0 = the new figure from 1 January")
    effects: Effects = Field(Effects(), description="lever effect sizes and behaviour constants (sim/effects.py, docs/scenarios.md)")
    seasonality: dict[str, Annotated[list[NonNeg], Field(min_length=12, max_length=12)]] = Field(
        {}, description="per corridor: 12 multipliers (January to December) of departures from the origins "
                        "whose people take that corridor (weather, sea state); needs start_date; none = flat")
    seasonality_on_crossings: list[str] = Field(
        [], description="corridors of `seasonality` whose months act on the crossings themselves (people wait "
                        "where the corridor's counted legs leave from) rather than on departures from the origins")
    crossing_months_modes: Annotated[list[Literal["land", "sea", "air"]], Field(min_length=1)] = Field(
        ["land", "sea", "air"], description="the modes of the counted legs on which the months of "
                                            "seasonality_on_crossings act (['sea']: only where the sea is crossed; "
                                            "the others are crossed whatever the month)")
    crossing_wait_days: Annotated[float, Field(gt=0, le=MAX_DAYS)] = Field(
        30.0, description="for the corridors of seasonality_on_crossings, the mean days people wait to cross in a "
                          "month whose multiplier is 1 (each day a share multiplier / wait days goes, at most all)")
    crossing_wait_days_by_corridor: dict[str, Annotated[float, Field(gt=0, le=MAX_DAYS)]] = Field(
        {}, description="crossing_wait_days for some corridors of seasonality_on_crossings (a crossing of hours, "
                        "such as the Aegean's, waits for fewer bad days than one of days)")

    @model_validator(mode="after")
    def _crossings_have_months(self):
        for i, name in enumerate(self.seasonality_on_crossings):
            if name not in self.seasonality:
                raise ValueError(f"seasonality_on_crossings[{i}]: corridor {name!r} has no months in seasonality")
        for name in self.crossing_wait_days_by_corridor:
            if name not in self.seasonality_on_crossings:
                raise ValueError(f"crossing_wait_days_by_corridor.{name}: not a corridor of seasonality_on_crossings")
        return self


class Scenario(Strict):
    """A validated scenario. Paths inside are resolved relative to the scenario file."""

    name: str = "Unnamed scenario"
    description: str = ""
    network: str = Field(description="folder of the route network, relative to this file")
    days: Days = 365
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    scale: Annotated[int, Field(ge=1, le=1_000_000)] = Field(1, description="people one model entry stands for")
    start_date: dt.date | None = Field(None, description="calendar date of day 0; then levers may start and "
                                       "end on dates and results carry the date")
    spin_up_days: Annotated[int, Field(ge=0, le=3650)] = Field(
        0, description="days run before day 0 without measures and not reported, so that the run starts in "
                       "the model's own steady state (docs/scenarios.md)")
    demand: Annotated[list[Demand], Field(min_length=1)]
    demand_by_year: dict[str, dict[Annotated[int, Field(ge=1900, le=2200)],
                                   Annotated[float, Field(ge=0, le=MAX_PEOPLE_PER_YEAR)]]] = Field(
        {}, description="per origin listed in demand: people per year by calendar year ({2016: 50000, 2017: "
                        "42000}); a year not listed takes the latest listed before it (the first before all); "
                        "needs start_date. The figures change only on 1 January (departures follow them "
                        "after behaviour.demand_lag_days)")
    spin_up_demand_months: dict[str, Annotated[list[Annotated[float, Field(ge=0, le=12)]],
                                               Field(min_length=12, max_length=12)]] = Field(
        {}, description="per origin listed in demand: 12 multipliers (January..December) of its departures in "
                        "the spin-up's months only, on top of the seasonality, so that the run starts with the "
                        "road as the months before it left it (a wave that grew through the year before: the "
                        "replay's 2015); needs start_date and spin_up_days. Never acts on a reported day")
    countries: dict[str, CountryOverride] = {}
    corridors: dict[str, CorridorOverride] = {}
    destinations: dict[str, DestinationOverride] = Field(
        {}, description="per destination place: how much people want to reach it, compared with the others")
    destinations_by_year: dict[str, dict[Annotated[int, Field(ge=1900, le=2200)],
                                         Annotated[SignedEuros, BeforeValidator(_not_bool)]]] = Field(
        {}, description="per destination place and calendar year: its appeal_eur in that year ({nicosia: {2019: "
                        "-9000, 2023: -3500}}), replacing destinations.<place>.appeal_eur; a year not listed takes "
                        "the latest listed before it (the first before all); needs start_date. Changes only on 1 "
                        "January; the replay's calibration sets it where a destination's arrivals are known by year")
    nationality_preferences: dict[str, dict[str, Annotated[SignedEuros, BeforeValidator(_not_bool)]]] = Field(
        {}, description="per nationality (ISO3) and corridor: EUR added to the perceived cost of the corridor's "
                        "border crossings for people of that nationality (negative = preferred); calibration sets it")
    nationality_preferences_by_year: dict[Annotated[int, Field(ge=1900, le=2200)],
                                          dict[str, dict[str, Annotated[SignedEuros, BeforeValidator(_not_bool)]]]] = Field(
        {}, description="per calendar year, nationality (ISO3) and corridor: EUR added to nationality_preferences "
                        "in that year ({2016: {SYR: {Eastern Mediterranean: -800}}}); a year not listed takes the "
                        "latest listed before it (the first before all); needs start_date. Changes only on 1 "
                        "January; the replay's calibration sets it")
    leg_preferences_by_year: dict[Annotated[int, Field(ge=1900, le=2200)],
                                  dict[str, Annotated[SignedEuros, BeforeValidator(_not_bool)]]] = Field(
        {}, description="per calendar year and leg (its id): EUR added to the perceived cost of taking the leg "
                        "for everybody in that year (negative = preferred; {2018: {edirne-evros: -1500}}), for "
                        "what sets two ways across one corridor apart, such as the Eastern Mediterranean's land "
                        "border and its sea; a year not listed takes the latest listed before it (the first "
                        "before all); needs start_date. Changes only on 1 January")
    behaviour: Behaviour = Behaviour()
    interventions: list[Intervention] = []
    events: list[Event] = []

    base: str | None = Field(None, description="another scenario file this one builds on (merged when read)")

    @field_validator("demand")
    @classmethod
    def _origins_once(cls, demand):
        seen = set()
        for d in demand:
            if d.origin in seen:
                raise ValueError(f"origin {quote(d.origin)} is listed twice: give its demand once")
            seen.add(d.origin)
        return demand

    @model_validator(mode="after")
    def _yearly_needs_dates(self):
        if self.demand_by_year and self.start_date is None:
            raise ValueError("demand_by_year is by calendar year: give the scenario a start_date")
        for origin, years in self.demand_by_year.items():
            if not years:
                raise ValueError(f"demand_by_year.{origin}: give at least one year")
        if self.nationality_preferences_by_year and self.start_date is None:
            raise ValueError("nationality_preferences_by_year is by calendar year: give the scenario a start_date")
        if self.leg_preferences_by_year and self.start_date is None:
            raise ValueError("leg_preferences_by_year is by calendar year: give the scenario a start_date")
        if self.spin_up_demand_months and (self.start_date is None or not self.spin_up_days):
            raise ValueError("spin_up_demand_months acts on the spin-up's calendar months: give the scenario a "
                             "start_date and spin_up_days")
        if self.destinations_by_year and self.start_date is None:
            raise ValueError("destinations_by_year is by calendar year: give the scenario a start_date")
        for place, years in self.destinations_by_year.items():
            if not years:
                raise ValueError(f"destinations_by_year.{place}: give at least one year")
        return self

    # not part of the file: where it was read from, for messages
    _source: str | None = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _dates_to_days(cls, data):
        return resolve_dates(data)

    @property
    def source(self) -> str | None:
        return self._source

    def network_path(self) -> Path:
        base = Path(self.source).parent if self.source else Path.cwd()
        return (base / self.network).resolve()

    def cost_per_year_eur(self) -> float:
        """The package's cost for a year with every measure active (each measure's yearly rate, summed)."""
        return sum(i.cost_per_year_eur() for i in self.interventions)

    total_cost_eur = cost_per_year_eur  # the name callers used before costs were per year

    def charged_eur(self, days: int | None = None) -> float:
        """What a run of `days` days (default: the scenario's own) is charged for the interventions."""
        return sum(i.charged_eur(self.days if days is None else days) for i in self.interventions)

    def to_yaml(self) -> str:
        data = self.model_dump(mode="json", exclude_defaults=False)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _one_error(err: dict) -> tuple[str, str]:
    loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown field"
    elif err["type"] == "literal_error":
        msg = f"unknown value {quote(err.get('input'))}: {msg.lower()}"
    elif err["type"] == "missing":
        msg = "required field is missing"
    return _loc(loc) or "(top level)", msg


def validation_problem(exc: ValidationError) -> tuple[str, str]:
    """The first problem as (field path, message); up to two more are appended to the message."""
    errors = [_one_error(e) for e in exc.errors()]
    where, msg = errors[0]
    extra = [f"field '{w}': {clip(m, 80)}" for w, m in errors[1:3]]  # the first in full, the others short
    if extra:
        msg += "; also " + "; ".join(extra)
    if len(errors) > 3:
        msg += f" (and {len(errors) - 3} more)"
    return where, msg


def _read_yaml(path: Path) -> dict:
    return read_yaml_mapping(path, "a scenario: name, network, demand, ...")


def _merge(base: dict, child: dict) -> dict:
    """Child keys replace the base's; lists of levers add up; mappings merge per key."""
    out = dict(base)
    for key, value in child.items():
        if key in ("interventions", "events") and isinstance(value, list):
            out[key] = list(base.get(key) or []) + value
        elif key in ("countries", "corridors", "behaviour", "nationality_preferences", "destinations",
                     "demand_by_year", "spin_up_demand_months", "nationality_preferences_by_year", "destinations_by_year",
                     "leg_preferences_by_year") and isinstance(value, dict):
            merged = dict(base.get(key) or {})
            for k, v in value.items():
                merged[k] = {**merged.get(k, {}), **v} if isinstance(v, dict) and isinstance(merged.get(k), dict) else v
            out[key] = merged
        else:
            out[key] = value
    return out


def _resolve(path: Path, seen: tuple = ()) -> dict:
    data = _read_yaml(path)
    base = data.pop("base", None)
    if "network" in data and isinstance(data["network"], str):
        data["network"] = str((path.parent / data["network"]).resolve())
    if base is None:
        return data
    if not isinstance(base, str):
        raise InputError(path, "base", "must be the path of another scenario file")
    base_path = (path.parent / base).resolve()
    if base_path in seen:
        raise InputError(path, "base", "scenarios include each other in a loop")
    if not base_path.exists():
        raise InputError(path, "base", f"base scenario {base} not found")
    return _merge(_resolve(base_path, seen + (path.resolve(),)), data)


def scenario_data(path: str | Path) -> dict:
    """The scenario file as a plain mapping, with its `base` merged in and the network path made absolute.

    Experiments change fields of this mapping and validate it again with `parse_scenario`."""
    return _resolve(Path(path))


def parse_scenario(data: dict, source: str | Path | None = None) -> Scenario:
    """Validate a mapping (already read from YAML) as a Scenario."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        where, msg = validation_problem(exc)
        raise InputError(source or "scenario", f"field '{where}'", msg) from None
    scenario._source = str(source) if source else None
    return scenario


def load_scenario(path: str | Path, network: RouteNetwork | None = None) -> tuple[Scenario, RouteNetwork]:
    """Read, validate and check a scenario file against its network. Raises InputError."""
    path = Path(path)
    scenario = parse_scenario(scenario_data(path), path)
    network = network or load_network(scenario.network_path())
    check_against_network(scenario, network)
    return scenario, network


def check_against_network(scenario: Scenario, network: RouteNetwork) -> list[str]:
    """Raise InputError on the first problem; return the warnings (one line each) that `check` prints."""
    from .checks import memory_problem, scenario_problems

    src = scenario.source or "scenario"

    def fail(where, msg):
        raise InputError(src, f"field '{where}'", msg)

    countries, corridors = set(network.countries.index), set(network.corridors)
    places, legs = network.place_index, network.leg_index
    origins = set(network.origins)
    for i, d in enumerate(scenario.demand):
        if d.origin not in places:
            fail(f"demand[{i}].origin", f"unknown place {quote(d.origin)}")
        if d.origin not in origins:
            fail(f"demand[{i}].origin", f"place {quote(d.origin)} is not of kind 'origin'")
    listed = {d.origin for d in scenario.demand}
    for origin in scenario.demand_by_year:
        if origin not in listed:
            fail(f"demand_by_year.{origin}", f"origin {quote(origin)} is not in demand: list it there (with its "
                 "budget_eur) first")
    for origin in scenario.spin_up_demand_months:
        if origin not in listed:
            fail(f"spin_up_demand_months.{origin}", f"origin {quote(origin)} is not in demand: list it there "
                 "(with its budget_eur) first")
    for iso3 in scenario.countries:
        if iso3 not in countries:
            fail(f"countries.{iso3}", f"country {clip(iso3)} is not on the network")
    for name in scenario.corridors:
        if name not in corridors:
            fail(f"corridors.{name}", f"unknown corridor {quote(name)} (known: {', '.join(sorted(corridors))})")
    kinds = network.place_kind
    for place in scenario.destinations:
        if place not in places:
            fail(f"destinations.{place}", f"unknown place {quote(place)}")
        if kinds[place] != "destination":
            fail(f"destinations.{place}", f"place {quote(place)} is not of kind 'destination'")
    for place in scenario.destinations_by_year:
        if place not in places:
            fail(f"destinations_by_year.{place}", f"unknown place {quote(place)}")
        if kinds[place] != "destination":
            fail(f"destinations_by_year.{place}", f"place {quote(place)} is not of kind 'destination'")
    for iso3, prefs in scenario.nationality_preferences.items():
        if iso3 not in countries:
            fail(f"nationality_preferences.{iso3}", f"country {clip(iso3)} is not on the network")
        for name in prefs:
            if name not in corridors:
                fail(f"nationality_preferences.{iso3}.{name}", f"unknown corridor {quote(name)}")
    for year, by_nationality in scenario.nationality_preferences_by_year.items():
        for iso3, prefs in by_nationality.items():
            if iso3 not in countries:
                fail(f"nationality_preferences_by_year.{year}.{iso3}", f"country {clip(iso3)} is not on the network")
            for name in prefs:
                if name not in corridors:
                    fail(f"nationality_preferences_by_year.{year}.{iso3}.{name}", f"unknown corridor {quote(name)}")
    for year, by_leg in scenario.leg_preferences_by_year.items():
        for leg in by_leg:
            if leg not in legs:
                fail(f"leg_preferences_by_year.{year}.{leg}", f"unknown leg {quote(leg)}")
    for name in scenario.behaviour.seasonality:
        if name not in corridors:
            fail(f"behaviour.seasonality.{name}", f"unknown corridor {quote(name)}")
    for group, levers in (("interventions", scenario.interventions), ("events", scenario.events)):
        for i, lever in enumerate(levers):
            at = f"{group}[{i}]"
            for c in lever.targets.countries:
                if c not in countries:
                    fail(f"{at}.targets.countries", f"country {clip(c)} is not on the network")
            for c in lever.targets.corridors:
                if c not in corridors:
                    fail(f"{at}.targets.corridors", f"unknown corridor {quote(c)} (known: {', '.join(sorted(corridors))})")
            for p in lever.targets.places:
                if p not in places:
                    fail(f"{at}.targets.places", f"unknown place {quote(p)}")
            for leg in lever.targets.legs:
                if leg not in legs:
                    fail(f"{at}.targets.legs", f"unknown leg {quote(leg)}")
            for c in getattr(lever, "destinations", []):
                if c not in countries:
                    fail(f"{at}.destinations", f"country {clip(c)} is not on the network")
            to = getattr(lever, "to_corridor", None)
            if to and to not in corridors:
                fail(f"{at}.to_corridor", f"unknown corridor {quote(to)}")
            to_place = getattr(lever, "to_place", None)
            if to_place and to_place not in places:
                fail(f"{at}.to_place", f"unknown place {quote(to_place)}")
            for c in getattr(lever, "nationalities", []):
                if c not in countries:
                    fail(f"{at}.nationalities", f"country {clip(c)} is not on the network")
    warnings = []
    for problem in [*scenario_problems(scenario, network), memory_problem(scenario)]:
        if problem is None:
            continue
        if not problem.warning:
            fail(problem.where, problem.message)
        warnings.append(str(InputError(src, f"field '{problem.where}'", problem.message)))
    return warnings


def json_schema() -> str:
    return json.dumps(Scenario.model_json_schema(), indent=2)


__all__ = [
    "Behaviour", "CorridorOverride", "CountryOverride", "Demand", "Event", "Intervention", "PILLARS",
    "Scenario", "Targets", "check_against_network", "json_schema", "load_scenario", "parse_scenario", "scenario_data",
    "COUNTRY_FIELDS",
]
