"""What each intervention and event can act on, checked against the network before a run.

`sim.model.levers._resolve` turns a lever's targets into the legs, countries and places it acts on. Some
combinations resolve to nothing (a route closure given only places) or, worse, to everything (an
awareness campaign given only corridors acts on every origin). This module states, per kind, which
target lists are used and what they must reach, and reports each mismatch as an error or, where the
case can be legitimate (a measure starting after the horizon), as a warning that `check --strict`
refuses. The rules mirror `_resolve`; tests/test_inputs_hardening.py checks both agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .files import quote

# what each kind acts on, and the target lists that lead there
ORIGIN_KINDS = {"awareness_campaign", "surge", "legal_pathways"}  # origins
PLACE_KINDS = {"vocational_training", "readmission", "confinement", "holding"}  # places of any kind (origins, and transit places)
LEG_KINDS = {"transport_operator_cooperation", "operational_cooperation", "route_closure", "sea_weather",
             "network_shift", "pushbacks"}
VISA_KINDS = {"visa_requirement"}  # commercial legs into the target countries (or the target legs)
COUNTRY_KINDS = {"digital_platform_cooperation", "financial_investigations", "anti_corruption", "capacity_building",
                 "corruption_scandal", "budget_cut"}
USABLE = {
    **{k: ("countries", "places") for k in ORIGIN_KINDS | PLACE_KINDS},
    **{k: ("countries", "corridors", "legs") for k in LEG_KINDS | COUNTRY_KINDS},
    **{k: ("countries", "legs") for k in VISA_KINDS},
}
ACTS_ON = {
    **{k: "origins" for k in ORIGIN_KINDS}, **{k: "places" for k in PLACE_KINDS},
    **{k: "legs" for k in LEG_KINDS}, **{k: "countries" for k in COUNTRY_KINDS},
    **{k: "commercial legs into the target countries" for k in VISA_KINDS},
}
# Documented range of `intensity` per kind (docs/scenarios.md). Interventions: 1 is a strong programme, up to
# 10 so budget experiments can scale a measure's money tenfold (effects are capped where a share would pass
# 100 %). Events are multipliers (surge, sea_weather) or shares (the others); a closure is all or nothing.
# The schema only bounds every kind by the widest range, so the model itself stays testable beyond these.
INTENSITY_RANGE = {
    "surge": (0.0, 10.0), "sea_weather": (0.0, 10.0), "corruption_scandal": (0.0, 1.0),
    "network_shift": (0.0, 1.0), "budget_cut": (0.0, 1.0), "route_closure": (1.0, 1.0),
    "readmission": (0.0, 10.0), "visa_requirement": (0.0, 10.0), "confinement": (1.0, 1.0),
    "holding": (0.0, 10.0), "pushbacks": (0.0, 1.0),
}
INTERVENTION_INTENSITY = (0.0, 10.0)
LEG_FILTER = {"transport_operator_cooperation": ("commercial", "commercial legs"), "sea_weather": ("sea", "sea legs"),
              "pushbacks": ("controlled", "controlled legs (borders a country guards)")}


@dataclass(frozen=True)
class Problem:
    where: str  # field path, e.g. interventions[0].targets.places
    message: str
    warning: bool = False


def _legs_of(network, targets, kind) -> np.ndarray:
    """Boolean mask of the legs a leg kind acts on (as sim.model.levers._resolve), before its kind's filter."""
    legs = network.legs
    by_country = legs["control_iso3"].isin(targets.countries).to_numpy(bool, copy=True)
    if kind != "pushbacks":  # a country pushes back only at the borders it guards
        by_country |= legs["from"].map(network.places.set_index("id")["iso3"]).isin(targets.countries).to_numpy()
    mask = np.array(legs["id"].isin(targets.legs), dtype=bool)
    if targets.corridors:
        in_corr = np.array(legs["corridor"].isin(targets.corridors), dtype=bool)
        if targets.countries:
            in_corr &= by_country
        mask |= in_corr
    elif targets.countries and not targets.legs:
        mask |= by_country
    if targets.is_empty():
        mask[:] = True
    return mask


def _filter(network, kind) -> np.ndarray:
    legs = network.legs
    if kind == "transport_operator_cooperation":
        return legs["commercial"].to_numpy(bool)
    if kind == "sea_weather":
        return (legs["mode"] == "sea").to_numpy()
    if kind == "pushbacks":
        return legs["controlled"].to_numpy(bool)
    return np.ones(len(legs), bool)


def lever_problems(lever, at: str, network, days: int) -> list[Problem]:
    kind = lever.kind
    out = []
    lo, hi = INTENSITY_RANGE.get(kind, INTERVENTION_INTENSITY)
    if not lo <= lever.intensity <= hi:
        allowed = f"must be {lo:g}" if lo == hi else f"must be between {lo:g} and {hi:g}"
        return [Problem(f"{at}.intensity", f"{lever.intensity:g} is out of range: for {kind} it {allowed}")]
    if lever.start >= days:
        out.append(Problem(f"{at}.start", f"starts on day {lever.start}, after the {days}-day horizon: it never acts",
                           warning=True))
    return out + target_problems(lever, at, network)


# (id(network), kind, targets, nationalities, at) -> (network, problems): what a lever's targets reach on a
# network does not change with its intensity, start or cost, which are all a sweep's design points vary;
# resolving targets costs about 1 ms a lever with pandas (11 ms a run for the declaration's levers)
_TARGETS: dict = {}
MAX_TARGETS = 256


def target_problems(lever, at: str, network) -> list[Problem]:
    """The problems of a lever's targets on a network (see lever_problems), kept per network and targets."""
    key = (id(network), lever.kind, lever.targets.model_dump_json(), tuple(getattr(lever, "nationalities", ())), at)
    hit = _TARGETS.get(key)
    if hit is not None and hit[0] is network:  # the entry holds its network, so its id is not reused meanwhile
        return list(hit[1])
    problems = _target_problems(lever, at, network)
    if len(_TARGETS) >= MAX_TARGETS:
        _TARGETS.pop(next(iter(_TARGETS)))
    _TARGETS[key] = (network, tuple(problems))
    return problems


def _target_problems(lever, at: str, network) -> list[Problem]:
    kind, t = lever.kind, lever.targets
    out = []
    unusable = [dim for dim in ("countries", "corridors", "legs", "places") if getattr(t, dim)
                and dim not in USABLE[kind]]
    if unusable:
        dim = unusable[0]
        return out + [Problem(f"{at}.targets.{dim}", f"{kind} acts on {ACTS_ON[kind]} and cannot use {dim}: target "
                              f"{' or '.join(USABLE[kind])} instead")]
    if kind == "route_closure" and t.is_empty():
        return out + [Problem(f"{at}.targets", "route_closure needs targets (legs, corridors or countries): "
                              "without them it would close every leg")]
    if kind in VISA_KINDS | {"readmission", "confinement", "holding"} and t.is_empty():
        return out + [Problem(f"{at}.targets", f"{kind} needs targets: without them it would act everywhere")]
    if t.is_empty():
        return out  # documented: no targets = everywhere
    if kind in VISA_KINDS:
        return out + _visa_problems(lever, at, network)
    places = network.places
    if kind in ORIGIN_KINDS | PLACE_KINDS:
        wanted = places["kind"] == "origin" if kind in ORIGIN_KINDS else places["kind"].notna()
        what = "origin" if kind in ORIGIN_KINDS else "place"
        for p in t.places:
            k = places.loc[places["id"] == p, "kind"]
            if len(k) and not wanted[k.index[0]]:
                out.append(Problem(f"{at}.targets.places", f"place {quote(p)} is a {k.iloc[0]}: {kind} acts on "
                                   "origins only"))
        reached = places["id"].isin(t.places) | places["iso3"].isin(t.countries)
        if not (reached & wanted).any():
            return out + [Problem(f"{at}.targets", f"{kind} acts on {what}s and none of its targets has one on "
                                  "the network: it would do nothing")]
        for c in t.countries:
            if not (wanted & (places["iso3"] == c)).any():
                out.append(Problem(f"{at}.targets.countries", f"country {c} has no {what} on the network: "
                                   f"{kind} does nothing there", warning=True))
        return out
    mask = _legs_of(network, t, kind)
    keep, label = LEG_FILTER.get(kind, (None, "legs"))
    acting = mask & _filter(network, kind)
    if kind in LEG_KINDS and not acting.any():
        return out + [Problem(f"{at}.targets", f"{kind} reaches no {label} on the network: its targets have none")]
    if kind in COUNTRY_KINDS and not mask.any() and not t.countries:
        return out + [Problem(f"{at}.targets", f"{kind} reaches no country: its target legs and corridors are empty")]
    if kind in LEG_KINDS:
        legs = network.legs
        for c in t.corridors:
            if not (acting & (legs["corridor"] == c).to_numpy()).any():
                out.append(Problem(f"{at}.targets.corridors", f"corridor {quote(c)} has no {label} for this "
                                   f"{kind}" + (" among the target countries' legs" if t.countries else ""),
                                   warning=True))
        for leg in t.legs:
            if keep and not acting[network.leg_index[leg]]:
                out.append(Problem(f"{at}.targets.legs", f"leg {quote(leg)} is not one of the {label} {kind} acts on",
                                   warning=True))
    return out


def _visa_problems(lever, at: str, network) -> list[Problem]:
    """A visa requirement must reach a commercial leg into its countries that its nationalities could take."""
    legs, places = network.legs, network.places.set_index("id")
    into = legs["to"].map(places["iso3"]).isin(lever.targets.countries) | legs["id"].isin(lever.targets.legs)
    acting = (into & legs["commercial"].astype(bool)).to_numpy()
    if not acting.any():
        return [Problem(f"{at}.targets", "visa_requirement reaches no commercial leg into its target countries")]
    origins = set(network.places.loc[network.places["kind"] == "origin", "nationality"])
    out = []
    for c in lever.nationalities:
        if c not in origins:
            out.append(Problem(f"{at}.nationalities", f"nobody of nationality {c} starts on the network (no origin "
                               "there): the visa does nothing for them", warning=True))
    return out


def scenario_problems(scenario, network) -> list[Problem]:
    out = []
    for group, levers in (("interventions", scenario.interventions), ("events", scenario.events)):
        for i, lever in enumerate(levers):
            out += lever_problems(lever, f"{group}[{i}]", network, scenario.days)
    for i, iv in enumerate(scenario.interventions):
        if iv.cost_read_per_year:
            out.append(Problem(f"interventions[{i}].cost_eur", f"has no end, so its cost_eur ({iv.cost_eur:,.0f}) is "
                               "read as euros per year; write cost_eur_per_year (or give an end day) to say so",
                               warning=True))
    return out


def memory_limit_bytes() -> int:
    """Half the machine's memory: a run's population must fit beside the rest (and a second process)."""
    import os

    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):  # not on POSIX: assume a small laptop
        return 4 * 2**30


def population_bytes(scenario, days: int | None = None, scale: int | None = None) -> float:
    """Upper estimate of the population arrays of a run: every person who considers leaving gets an entry
    that lives to the end, and growth by doubling briefly holds the old and new arrays together."""
    from .model.people import Population

    days = days or scenario.days
    scale = scale or scenario.scale
    per_day = sum(d.per_year for d in scenario.demand) / 365.0
    for origin, years in scenario.demand_by_year.items():  # the busiest year, for every year
        listed = next((d.per_year for d in scenario.demand if d.origin == origin), 0.0)
        per_day += max(0.0, max(years.values()) - listed) / 365.0
    person_days = per_day * days
    for ev in scenario.events:  # a surge multiplies departures while it lasts; count it on all demand
        if ev.kind == "surge" and ev.intensity > 1:
            inside = max(0, min(ev.end or days, days) - max(ev.start, 0))
            person_days += per_day * inside * (ev.intensity - 1)
    row = sum(np.dtype(t).itemsize for t in Population.FIELDS.values())
    return person_days / scale * (2 * row + 8)  # + the int64 index of active people


def memory_problem(scenario, days: int | None = None, scale: int | None = None) -> Problem | None:
    need, limit = population_bytes(scenario, days, scale), memory_limit_bytes()
    if need <= limit:
        return None
    return Problem("demand", f"a run would need about {need / 2**30:,.1f} GiB for its people, more than half this "
                             f"machine's memory ({limit / 2**30:,.1f} GiB): lower per_year or days, or raise scale")


def override_problem(scenario, seed=None, days=None, scale=None, *, max_days: int) -> Problem | None:
    """The seed, days and scale a run is asked for over the scenario's own (python API, CLI, workers):
    the same bounds as the scenario's fields (`max_days`: sim.scenario.MAX_DAYS, passed in because the
    scenario module imports this one), and the memory estimate with the new days and scale."""
    def whole(x):
        return isinstance(x, (int, np.integer)) and not isinstance(x, bool)

    if seed is not None and not (whole(seed) and 0 <= seed < 2**63):
        return Problem("seed", f"must be a whole number from 0 to 2**63 - 1, not {seed!r:.40}")
    if days is not None and not (whole(days) and 1 <= days <= max_days):
        return Problem("days", f"must be a whole number of days from 1 to {max_days}, not {days!r:.40}")
    if scale is not None and not (whole(scale) and scale >= 1):
        return Problem("scale", f"must be a whole number of people per model entry, 1 or more, not {scale!r:.40}")
    return memory_problem(scenario, days, scale)
