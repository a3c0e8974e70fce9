"""Adjudication by replay: the model is the umpire.

The state at the end of round r of a line is *defined* as the run, from day 0 to round r's last day,
of the base scenario with the line's seed and the ordered list of its decisions (each an intervention
from its round's first day to its round's last) and delivered injects (each an event from the day it was
delivered). Nothing else is kept: replaying the same list gives the same results, on any server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import pandas as pd
from pydantic import Field, ValidationError, model_validator

from ..errors import InputError
from ..network import RouteNetwork
from ..run import run
from ..scenario import (
    QUOTA_KINDS,
    InterventionKind,
    Scenario,
    check_against_network,
    parse_scenario,
    validation_problem,
)
from .script import ISO3, METRICS, ExerciseScript, Strict

ROUND_FIGURES = ("attempts", "arrivals", "deaths", "interceptions", "detections", "smuggler_revenue_eur")
TEAM_FIGURES = ("attempts_from", "deaths_from", "interceptions_by", "detections_by", "arrests", "seized_eur",
                "bribes_eur")


class Decision(Strict):
    """A team's measure for one round: one of the nine intervention kinds, on its own countries."""

    kind: InterventionKind
    intensity: Annotated[float, Field(gt=0, le=3)] = 1.0
    cost_eur: Annotated[float, Field(gt=0, le=1e12)]
    countries: Annotated[list[ISO3], Field(max_length=40)] = Field(
        [], description="the team's countries it acts in (empty = all of them); legal_pathways: origin countries "
                        "offered places (empty = everywhere)")
    corridors: Annotated[list[str], Field(max_length=12)] = Field([], description="limit to these corridors")
    places_per_year: Annotated[float, Field(ge=0, le=1e7)] = 0.0
    destinations: Annotated[list[ISO3], Field(max_length=20)] = Field(
        [], description="legal_pathways: the team's countries that take people in (empty = all of them)")

    @model_validator(mode="after")
    def _quota(self):
        if self.kind in QUOTA_KINDS and self.places_per_year <= 0:
            raise ValueError(f"{self.kind} needs places_per_year > 0")
        return self


def parse_decision(data: dict, team: str, script: ExerciseScript, network: RouteNetwork) -> Decision:
    """Validate a team's decision: schema, ownership of the countries, targets on the network."""
    try:
        d = Decision.model_validate(data)
    except ValidationError as exc:
        where, msg = validation_problem(exc)
        raise InputError(f"decision of {team}", f"field '{where}'", msg) from None
    own = set(script.team(team).countries)
    foreign_ok = d.kind == "legal_pathways"
    for c in d.countries:
        if c not in own and not foreign_ok:
            raise InputError(f"decision of {team}", "field 'countries'", f"{c} is not one of the team's countries")
        if c not in network.countries.index:
            raise InputError(f"decision of {team}", "field 'countries'", f"country {c} is not on the network")
    for c in d.destinations:
        if c not in own:
            raise InputError(f"decision of {team}", "field 'destinations'", f"{c} is not one of the team's countries")
    for c in d.corridors:
        if c not in network.corridors:
            raise InputError(f"decision of {team}", "field 'corridors'", f"unknown corridor {c!r}")
    return d


@dataclass
class Played:
    """One entry of a line's ordered history, as the store hands it to adjudication."""

    round: int
    team: str | None = None  # decision: the team (a joint operation: the team that offered it)
    decision: dict | None = None
    partner: str | None = None  # joint operation: the other team, whose countries take part
    inject: str | None = None  # inject: its id (or "unscripted-N")
    event: dict | None = None  # inject: InjectEvent fields
    start_day: int | None = None  # inject: the day its event starts


def intervention(p: Played, script: ExerciseScript) -> dict:
    d = Decision.model_validate(p.decision)
    start, end = script.round_days(p.round)
    own = list(script.team(p.team).countries)
    countries = list(d.countries) or (own if d.kind != "legal_pathways" else [])
    if p.partner:
        countries += [c for c in script.team(p.partner).countries if c not in countries]
    label = f"{p.team}{' + ' + p.partner if p.partner else ''}: {d.kind} (round {p.round})"
    out = {"name": label, "kind": d.kind, "start": start, "end": end, "intensity": d.intensity,
           "cost_eur": d.cost_eur, "targets": {"countries": countries, "corridors": list(d.corridors)}}
    if d.kind in QUOTA_KINDS:
        out["places_per_year"] = d.places_per_year
    if d.kind == "legal_pathways":
        out["destinations"] = list(d.destinations) or own
    return out


def line_scenario(script: ExerciseScript, base: Scenario, history: list[Played], through_round: int,
                  network: RouteNetwork | None = None, *, seed: int | None = None) -> Scenario:
    """The base scenario plus the line's decisions and injects up to `through_round`, as one scenario."""
    data = base.model_dump(mode="json")
    data["days"] = script.round_days(through_round)[1]
    data["seed"] = script.seeds[0] if seed is None else seed
    data["scale"] = script.scale
    data["name"] = f"{script.name} (through round {through_round})"
    data["interventions"] = list(data.get("interventions") or [])
    data["events"] = list(data.get("events") or [])
    for p in history:
        if p.round > through_round:
            continue
        if p.decision is not None:
            data["interventions"].append(intervention(p, script))
        elif p.event is not None:
            ev = dict(p.event)
            start = p.start_day if p.start_day is not None else script.round_days(p.round)[0]
            end = start + ev.pop("duration_days") if ev.get("duration_days") else None
            ev.pop("duration_days", None)
            data["events"].append({**ev, "name": p.inject, "start": start, "end": end})
    scenario = parse_scenario(data, base.source)
    if network is not None:
        check_against_network(scenario, network)
    return scenario


def run_line(script: ExerciseScript, base: Scenario, history: list[Played], through_round: int,
             seed: int | None = None):
    """Results of the run from day 0 to the end of `through_round` (common random numbers: same seed,
    same draws, whatever the decisions)."""
    scenario = line_scenario(script, base, history, through_round, seed=seed)
    return run(scenario, seed=scenario.seed, days=scenario.days, scale=script.scale)


def _window(frame: pd.DataFrame, first: int, end: int) -> pd.DataFrame:
    return frame[(frame["day"] >= first) & (frame["day"] < end)]


def corridor_figures(corridors: pd.DataFrame) -> dict:
    sums = corridors.groupby("corridor")[["attempts", "arrivals", "deaths", "interceptions", "detections",
                                          "revenue_eur"]].sum()
    sums = sums.rename(columns={"revenue_eur": "smuggler_revenue_eur"})
    return {c: {k: float(row[k]) for k in ROUND_FIGURES} for c, row in sums.iterrows()}


def _totals(per_corridor: dict) -> dict:
    return {k: float(sum(v[k] for v in per_corridor.values())) for k in ROUND_FIGURES}


def team_figures(results, script: ExerciseScript, network: RouteNetwork, first: int, end: int) -> dict:
    """Per team, over days [first, end): people leaving from and dying on legs that start in its countries,
    interceptions and detections on legs its countries control, and its authorities' arrests and seizures."""
    legs = _window(results.tables["legs"], first, end)
    meta = network.legs.set_index("id")
    place_iso = network.places.set_index("id")["iso3"]
    src_iso = legs["leg"].map(meta["from"]).map(place_iso)
    control = legs["leg"].map(meta["control_iso3"])
    countries = _window(results.tables["countries"], first, end)
    last = countries[countries["day"] == countries["day"].max()] if len(countries) else countries
    out = {}
    for t in script.teams:
        mine_from, mine_ctl = src_iso.isin(t.countries), control.isin(t.countries)
        cs = countries[countries["iso3"].isin(t.countries)]
        out[t.name] = {
            "attempts_from": float(legs.loc[mine_from, "attempts"].sum()),
            "deaths_from": float(legs.loc[mine_from, "deaths"].sum()),
            "interceptions_by": float(legs.loc[mine_ctl, "interceptions"].sum()),
            "detections_by": float(legs.loc[mine_ctl, "detections"].sum()),
            "arrests": float(cs["arrests"].sum()),
            "seized_eur": float(cs["seized_eur"].sum()),
            "bribes_eur": float(cs["bribes_eur"].sum()),
            "countries": {row.iso3: {"effectiveness": float(row.effectiveness), "corruption": float(row.corruption)}
                          for row in last[last["iso3"].isin(t.countries)].itertuples()},
        }
    return out


def round_results(results, script: ExerciseScript, network: RouteNetwork, number: int) -> dict:
    """What everyone sees after round `number`: its own days, the cumulative total, each team's countries,
    and the change on every corridor against the round before (displacement)."""
    first, end = script.round_days(number)
    corridors = results.tables["corridors"]
    this = corridor_figures(_window(corridors, first, end))
    cumulative = corridor_figures(_window(corridors, 0, end))
    if number > 1:
        before = corridor_figures(_window(corridors, *script.round_days(number - 1)))
    else:
        before = {c: {k: 0.0 for k in ROUND_FIGURES} for c in this}
    displacement = {c: {k: this[c][k] - before.get(c, {}).get(k, 0.0) for k in ("attempts", "arrivals", "deaths")}
                    for c in this}
    return {
        "round": number, "start_day": first, "end_day": end,
        "corridors": this, "overall": _totals(this),
        "cumulative": {"corridors": cumulative, "overall": _totals(cumulative)},
        "teams": team_figures(results, script, network, first, end),
        "displacement": displacement,
        "cost_eur": float(results.summary["overall"].get("cost_eur") or 0.0),
    }


def condition_value(results, condition, end_day: int) -> float:
    table = results.tables["corridors"] if condition.corridor else results.tables["daily"]
    frame = _window(table, max(0, end_day - condition.window_days), end_day)
    if condition.corridor:
        frame = frame[frame["corridor"] == condition.corridor]
    assert condition.metric in METRICS
    return float(frame[condition.metric].sum())


def conditions_met(results, script: ExerciseScript, number: int, already: set[str]) -> list[tuple[str, float]]:
    """Condition injects (not yet delivered on this line) whose condition holds at the end of round `number`."""
    end = script.round_days(number)[1]
    out = []
    for inj in script.injects:
        if inj.condition is None or inj.id in already:
            continue
        value = condition_value(results, inj.condition, end)
        if inj.condition.met(value):
            out.append((inj.id, value))
    return out


def replay(script: ExerciseScript, base: Scenario, network: RouteNetwork, history: list[Played],
           closed_rounds: int, seed: int | None = None) -> dict[int, dict]:
    """Round results 1..closed_rounds, each from its own run to its round's end, as close_round makes them."""
    out = {}
    for r in range(1, closed_rounds + 1):
        res = run_line(script, base, history, r, seed)
        out[r] = round_results(res, script, network, r)
    return out


def overall_kpis(results, end_day: int) -> dict:
    daily = _window(results.tables["daily"], 0, end_day)
    return {"attempts": float(daily["attempts"].sum()), "arrivals": float(daily["arrivals"].sum()),
            "deaths": float(daily["deaths"].sum()), "interceptions": float(daily["interceptions"].sum()),
            "detections": float(daily["detections"].sum()),
            "smuggler_revenue_eur": float(daily["revenue_eur"].sum()),
            "arrests": float(daily["arrests"].sum()), "seized_eur": float(daily["seized_eur"].sum()),
            "cost_eur": float(results.summary["overall"].get("cost_eur") or 0.0)}


__all__ = ["Decision", "Played", "ROUND_FIGURES", "conditions_met", "line_scenario", "overall_kpis",
           "parse_decision", "replay", "round_results", "run_line"]
