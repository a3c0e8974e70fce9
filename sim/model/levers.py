"""Interventions and events as daily modifiers on legs, countries and origins.

Each lever is resolved once into the legs, countries and places it acts on; every day `Levers.today`
turns the active ones into arrays the model and its agents read. Effects, at intensity 1, with the
shipped sizes (each is a field of behaviour.effects, sim/effects.py, named in brackets):

- awareness_campaign: trust in smugglers' narratives down 60 % (awareness_trust), knowledge of
  alternatives up 50 points (awareness_knowledge)
- transport_operator_cooperation: 40 % of irregular travellers refused boarding on commercial legs,
  less where documents can be bought (corruption)
- operational_cooperation: enforcement on the corridor's legs up to +60 % and arrests up to x3, the
  full amount only when every country controlling a leg of the corridor takes part
- digital_platform_cooperation: takedowns of adverts x5 (smaller online reach, fewer customers)
- financial_investigations: seizures of proceeds x5, new networks and hiring slowed
- anti_corruption: corruption (bribes, fraudulent documents) down 60 %
- capacity_building: enforcement, training, digital and financial capacity each close 30 % of the gap
  to 1, after a lag and a ramp (behaviour.capacity_lag_days, capacity_ramp_days); it stays after the end
- legal_pathways / vocational_training: places_per_year offered to people at the target origins
  (vocational training also to people waiting or stranded in the target countries)
- events: surge (departures x intensity), route_closure (legs closed: nobody departs on them, and people
  plan around them), confinement (nobody leaves the target places, but people on the way still head
  there: they are held on arrival and set off when it ends), holding (people who reach the target places
  are kept there a mean holding_days x intensity days, a share of them going on each day; people expect
  the wait), sea_weather (death risk on sea
  legs x (1 + intensity)), corruption_scandal (corruption up by intensity, capped at 1),
  network_shift (share = intensity of the networks' capacity moves to another corridor),
  budget_cut (enforcement x (1 - intensity): of the target countries, or, aimed at legs or corridors, on
  those legs only, with the countries' arrests of networks untouched), readmission (a share readmission_share x intensity, at most
  0.95, of the people reaching the target places is returned to to_place), visa_requirement (the listed
  nationalities refused boarding on commercial legs into the target countries with probability
  visa_refusal x intensity, at most 1), pushbacks (on the target controlled legs, a share intensity of the
  people intercepted is sent straight back instead of the controlling country's own share,
  countries.<ISO3>.pushback; counted as that country counts its pushbacks: 0 means everyone intercepted is
  held and counted)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ..network import RouteNetwork
from ..scenario import Event, Intervention, Scenario
from .world import World

LEG_KINDS = {"operational_cooperation", "transport_operator_cooperation", "route_closure", "sea_weather", "pushbacks"}
ORIGIN_KINDS = {"awareness_campaign", "surge", "legal_pathways", "vocational_training"}


@dataclass
class Resolved:
    lever: Intervention | Event
    legs: np.ndarray  # leg numbers
    countries: np.ndarray  # country numbers
    places: np.ndarray  # place numbers (origins for origin kinds)
    share: float = 1.0  # operational cooperation: share of the corridors' controlling countries taking part
    to_corridor: int = -1
    to_place: int = -1  # readmission: where people are returned to
    nationalities: np.ndarray | None = None  # visa_requirement: country numbers of the nationalities
    per_leg: bool = False  # budget_cut aimed at legs or corridors: the enforcement on those legs only


def _resolve(lever, routes: RouteNetwork, world: World) -> Resolved:
    targets = lever.targets
    cidx = {c: i for i, c in enumerate(world.iso3)}
    countries = np.array([cidx[c] for c in targets.countries], dtype=np.int32)
    corridor_ids = [world.corridors.index(c) for c in targets.corridors]
    leg_mask = np.zeros(world.n_legs, bool)
    if targets.legs:
        leg_mask[[routes.leg_index[leg] for leg in targets.legs]] = True
    if corridor_ids:
        in_corr = np.isin(world.corridor, corridor_ids)
        if targets.countries and (lever.kind in LEG_KINDS or lever.kind == "budget_cut"):
            in_corr &= _of_countries(lever.kind, world, countries)
        leg_mask |= in_corr
    elif targets.countries and not targets.legs:
        leg_mask |= _of_countries(lever.kind, world, countries)
    if targets.is_empty():
        leg_mask[:] = True
    if lever.kind == "pushbacks":  # only a border someone guards has pushbacks
        leg_mask &= world.controlled
    legs = np.flatnonzero(leg_mask).astype(np.int32)

    if len(countries) == 0:
        if targets.is_empty():
            countries = np.arange(world.n_countries, dtype=np.int32)
        else:
            touched = world.control[legs]
            countries = np.unique(np.concatenate([touched[touched >= 0], world.leg_country[legs]])).astype(np.int32)

    origin = world.place_kind == 0
    place_mask = np.zeros(world.n_places, bool)
    if targets.places:
        place_mask[[routes.place_index[p] for p in targets.places]] = True
    if targets.countries:
        place_mask |= np.isin(world.place_country, countries)
    if targets.is_empty() or not (targets.places or targets.countries):
        place_mask[:] = True
    if lever.kind in ORIGIN_KINDS and lever.kind != "vocational_training":
        place_mask &= origin
    places = np.flatnonzero(place_mask).astype(np.int32)

    share = 1.0
    if lever.kind == "operational_cooperation" and (corridor_ids or targets.countries):
        # countries without corridors: the corridors of their legs, so listing only the willing countries
        # does not escape the reduction for the others that control those corridors' legs
        on = corridor_ids or np.unique(world.corridor[legs]).tolist()
        on_corridor = np.isin(world.corridor, on) & world.controlled
        needed = set(world.control[on_corridor].tolist())
        taking_part = set(countries.tolist()) if targets.countries else needed
        share = len(needed & taking_part) / len(needed) if needed else 1.0
    to = world.corridors.index(lever.to_corridor) if getattr(lever, "to_corridor", None) else -1
    if lever.kind == "visa_requirement":
        # a visa is checked before boarding a flight (or bus, ferry) into the country that requires it
        into = np.isin(world.place_country[world.dst], countries) if targets.countries else np.zeros(world.n_legs, bool)
        if targets.legs:
            into[[routes.leg_index[leg] for leg in targets.legs]] = True
        legs = np.flatnonzero(into & world.commercial).astype(np.int32)
        nationalities = np.array([cidx[c] for c in lever.nationalities], dtype=np.int32)
        return Resolved(lever, legs, countries, places, share, to, nationalities=nationalities)
    if lever.kind == "confinement":
        # the people at the target places stay there: every leg out of them is shut to them
        return Resolved(lever, np.flatnonzero(np.isin(world.src, places)).astype(np.int32), countries, places)
    to_place = routes.place_index[lever.to_place] if getattr(lever, "to_place", None) else -1
    per_leg = lever.kind == "budget_cut" and bool(targets.legs or targets.corridors)
    return Resolved(lever, legs, countries, places, share, to, to_place, per_leg=per_leg)


def _of_countries(kind: str, world: World, countries: np.ndarray) -> np.ndarray:
    """Per leg: the legs a lever aimed at countries acts on: those they control or start in (for pushbacks
    only those they control: a country pushes back at the borders it guards)."""
    guarded = np.isin(world.control, countries)
    return guarded if kind == "pushbacks" else guarded | np.isin(world.leg_country, countries)


@dataclass
class Today:
    """The levers' combined effect on one day."""

    closed: np.ndarray  # per leg
    risk_mult: np.ndarray  # per leg
    enforce_mult: np.ndarray  # per leg: operational cooperation
    check: np.ndarray  # per leg: share refused boarding (before fraud)
    demand_mult: np.ndarray  # per place
    trust_mult: np.ndarray  # per place (origins)
    knowledge_add: np.ndarray  # per place (origins)
    legal_quota: np.ndarray  # per place: legal pathway places today
    vocational_quota: np.ndarray  # per place: vocational places today
    budget_mult: np.ndarray  # per country
    corruption_add: np.ndarray  # per country
    corruption_mult: np.ndarray  # per country: anti-corruption
    capacity_gain: np.ndarray  # per country, 0..1 of the gap closed
    takedown_mult: np.ndarray  # per country
    seizure_mult: np.ndarray  # per country
    arrest_mult: np.ndarray  # per country
    deter_mult: np.ndarray  # per leg: the arrests operational cooperation adds there (arrests_deter_entry)
    shifts: list  # network shifts starting today: (from corridors, to corridor, share)
    readmit: list  # readmissions active today: (places reached, place returned to, probability)
    visa: list  # visa requirements active today: (nationalities' country numbers, legs, refusal probability)
    held: np.ndarray  # per leg: nobody may set off on it today (a confinement at its start), though plans keep it
    hold_days: np.ndarray | None  # per place: mean days people are kept there (holding); None: no holding today
    pushback: np.ndarray  # per leg: share of those intercepted pushed back (pushbacks), NaN: the country's own

    def __copy__(self) -> Today:
        # copy.copy's generic path (__reduce_ex__) costs several microseconds a day: the same shallow copy
        new = object.__new__(Today)
        new.__dict__.update(self.__dict__)
        return new


class Levers:
    def __init__(self, scenario: Scenario, routes: RouteNetwork, world: World):
        self.world = world
        self.behaviour = scenario.behaviour
        self.resolved = [_resolve(lv, routes, world) for lv in [*scenario.interventions, *scenario.events]]
        self.days = scenario.days
        self._last, self._last_key = None, None  # the last day's effect, and what it depended on

    def today(self, day: int) -> Today:
        """The levers' effect on `day`. Most days it is the same as the day before (which levers are
        active, how far capacity building has ramped up): then a shallow copy of that day's, whose
        arrays nobody writes into (the model replaces its attributes, never their contents)."""
        key = self._key(day)
        if key != self._last_key:
            self._last, self._last_key = self._build(day), key
        return copy.copy(self._last)

    @property
    def built(self) -> Today | None:
        """The effect last built (the days since share its arrays: the same object while unchanged)."""
        return self._last

    def _key(self, day: int) -> tuple:
        behaviour = self.behaviour
        key = []
        for r in self.resolved:
            lv = r.lever
            if lv.kind == "capacity_building":
                key.append(min(max((day - lv.start - behaviour.capacity_lag_days) / behaviour.capacity_ramp_days, 0), 1))
            elif lv.kind == "network_shift":
                key.append(day == lv.start)
            else:
                key.append(lv.active(day))
        return tuple(key)

    def _build(self, day: int) -> Today:
        world = self.world
        legs, places, countries = world.n_legs, world.n_places, world.n_countries
        today = Today(
            closed=np.zeros(legs, bool), risk_mult=np.ones(legs), enforce_mult=np.ones(legs), check=np.zeros(legs),
            demand_mult=np.ones(places), trust_mult=np.ones(places), knowledge_add=np.zeros(places),
            legal_quota=np.zeros(places), vocational_quota=np.zeros(places),
            budget_mult=np.ones(countries), corruption_add=np.zeros(countries), corruption_mult=np.ones(countries),
            capacity_gain=np.zeros(countries), takedown_mult=np.ones(countries), seizure_mult=np.ones(countries),
            arrest_mult=np.ones(countries), deter_mult=np.ones(legs), shifts=[], readmit=[], visa=[],
            held=np.zeros(legs, bool), hold_days=None, pushback=np.full(legs, np.nan),
        )
        behaviour = self.behaviour
        effects = behaviour.effects
        partial = effects.cooperation_partial
        for r in self.resolved:
            lv, kind, x = r.lever, r.lever.kind, r.lever.intensity
            if kind == "capacity_building":
                # capacity stays once built: only the start matters
                ramp = np.clip((day - lv.start - behaviour.capacity_lag_days) / behaviour.capacity_ramp_days, 0, 1)
                gain = today.capacity_gain[r.countries]
                today.capacity_gain[r.countries] = 1 - (1 - gain) * (1 - min(effects.capacity_building_gap * x, effects.capacity_building_cap) * ramp)
                continue
            if kind == "network_shift":
                if day == lv.start:
                    today.shifts.append((np.unique(world.corridor[r.legs]), r.to_corridor, min(x, 1.0)))
                continue
            if not lv.active(day):
                continue
            if kind == "awareness_campaign":
                today.trust_mult[r.places] *= max(0.0, 1 - effects.awareness_trust * x)
                today.knowledge_add[r.places] += effects.awareness_knowledge * x
            elif kind == "transport_operator_cooperation":
                sel = r.legs[world.commercial[r.legs]]
                today.check[sel] = 1 - (1 - today.check[sel]) * (1 - min(effects.transport_refusal * x, effects.transport_refusal_cap))
            elif kind == "operational_cooperation":
                joined = (1 - partial) + partial * r.share  # the share of each effect the taking part brings
                today.enforce_mult[r.legs] *= 1 + effects.cooperation_enforcement * x * joined
                arrests = 1 + effects.cooperation_arrests * x * joined
                today.arrest_mult[r.countries] *= arrests
                today.deter_mult[r.legs] *= arrests  # entry is deterred where the measure acts, not country-wide
                # people stopped before the crossing: boats on the shore, raids before a controlled land border
                for effect, where in ((effects.shore_prevention, world.shore),
                                      (effects.staging_prevention, world.staging)):
                    if effect > 0:
                        sel = r.legs[where[r.legs]]
                        today.check[sel] = 1 - (1 - today.check[sel]) * (1 - min(effect * x * joined, 1.0))
            elif kind == "digital_platform_cooperation":
                today.takedown_mult[r.countries] *= 1 + effects.digital_takedowns * x
            elif kind == "financial_investigations":
                today.seizure_mult[r.countries] *= 1 + effects.financial_seizures * x
            elif kind == "anti_corruption":
                today.corruption_mult[r.countries] *= max(0.0, 1 - effects.anti_corruption * x)
            elif kind in ("legal_pathways", "vocational_training"):
                quota = today.legal_quota if kind == "legal_pathways" else today.vocational_quota
                if len(r.places):
                    quota[r.places] += lv.places_per_year / 365.0 / len(r.places)
            elif kind == "surge":
                today.demand_mult[r.places] *= x
            elif kind == "route_closure":
                today.closed[r.legs] = True
            elif kind == "confinement":
                today.held[r.legs] = True
            elif kind == "holding" and effects.holding_days * x > 0:
                if today.hold_days is None:
                    today.hold_days = np.zeros(places)
                today.hold_days[r.places] += effects.holding_days * x  # two procedures in a row: their waits add
            elif kind == "sea_weather":
                sel = r.legs[world.sea[r.legs]]
                today.risk_mult[sel] *= 1 + x
            elif kind == "corruption_scandal":
                today.corruption_add[r.countries] += x
            elif kind == "budget_cut" and r.per_leg:  # a coast's patrols, not the country's whole police
                today.enforce_mult[r.legs] *= max(0.0, 1 - x)
            elif kind == "budget_cut":
                today.budget_mult[r.countries] *= max(0.0, 1 - x)
            elif kind == "readmission" and effects.readmission_share * x > 0:
                today.readmit.append((r.places, r.to_place, min(effects.readmission_share * x, 0.95)))
            elif kind == "visa_requirement" and effects.visa_refusal * x > 0:
                today.visa.append((r.nationalities, r.legs, min(effects.visa_refusal * x, 1.0)))
            elif kind == "pushbacks":  # the last listed that is active decides
                today.pushback[r.legs] = min(x, 1.0)
        return today

    def cost_eur(self) -> float:
        """Cost of the interventions charged to this run (the days each is active inside the horizon)."""
        return sum(r.lever.charged_eur(self.days) for r in self.resolved if isinstance(r.lever, Intervention))
