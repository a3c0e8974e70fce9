"""Calibration of a baseline to real route figures, and its validation (docs/validation.md).

Method: iterative proportional fitting by damped fixed-point updates on ensemble means (a simple form
of stochastic approximation). Each iteration runs an ensemble of the current scenario with fixed
seeds (common random numbers between iterations), compares it with the observed figures, and moves each free
parameter by the log-ratio of target to simulation, damped:

- demand per origin          <- detections by nationality, summed over routes (row margins)
- preference of each nationality for each route (EUR) <- detections by nationality and route (cells)
- corridor death-risk factor <- dead and missing per detection, per route (or group of routes)
- corridor fee factor        <- mean fee on the route's border crossings, only when outside the range;
                                inside it, for the routes named, the route's detections
- enforcement of the named countries (then their corruption, once enforcement is at 1)
                             <- share of departures intercepted on the named corridor
- enforcement of the countries named for a route, and the share of the people they intercept who
  are pushed straight back <- the route's detections (repeat attempts)
- appeal of a named destination (EUR) <- arrivals there (e.g. Cyprus, an island with no onward travel)
- share of land crossings detected by the named countries (e.g. Bulgaria and Greece on the
  Eastern Mediterranean) <- for the nationalities listed on a route and on the one that follows it
                                (Western Balkans after Eastern Mediterranean), the ratio of their
                                detections on the two: many cross the first border unseen

Detections are the model's equivalent of Frontex's: crossings into a country that counts detections
from one that does not, plus interceptions on such legs by a counting country, repeat attempts
included (a person released after an interception and caught again counts twice).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .compare import interval, run_ensemble
from .errors import InputError
from .network import RouteNetwork, load_network
from .files import atomic_write, read_yaml
from .scenario import check_against_network, parse_scenario, scenario_data, validation_problem

# ------------------------------------------------------------------ the observed figures file


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RouteSpec(_Strict):
    corridors: list[str] = Field(min_length=1)
    deaths: dict[str, str] = {}
    fee_eur: tuple[float, float] | None = None


class InterceptionSpec(_Strict):
    corridor: str
    countries: list[str]
    intercepted: float = Field(gt=0)
    departures: float = Field(gt=0)
    tolerance: float = 0.15


class ArrivalSpec(_Strict):
    arrivals: float = Field(gt=0)
    tolerance: float = 0.3
    source: str


class OnwardSpec(_Strict):
    after: str
    detection: list[str] = Field(min_length=1)


class ObservedSpec(_Strict):
    name: str
    scenario: str
    write_to: str
    enforcement_for_detections: dict[str, list[str]] = {}
    fee_for_detections: list[str] = []
    detections_tolerance: float = 0.15
    deaths_tolerance: float = 0.3
    routes: dict[str, RouteSpec]
    interception: InterceptionSpec | None = None
    destinations: dict[str, ArrivalSpec] = {}
    onward: dict[str, OnwardSpec] = {}


@dataclass
class Observed:
    """Numbers to fit, resolved from the data files."""

    routes: dict[str, list[str]]  # route -> corridors
    detections: dict[str, float]
    by_origin: dict[str, dict[str, float]]  # route -> nationality -> detections (scaled to the route's total)
    deaths: dict[tuple, tuple[float, float, float]]  # routes -> (low, target, high)
    fees: dict[str, tuple[float, float]] = field(default_factory=dict)
    interception: tuple[str, tuple[str, ...], float, float] | None = None  # corridor, countries, share, tolerance
    enforcement_for: dict[str, list[str]] = field(default_factory=dict)  # route -> countries fitted to its detections
    detections_tolerance: float = 0.15
    deaths_tolerance: float = 0.3
    arrivals: dict[str, tuple[float, float]] = field(default_factory=dict)  # destination -> (arrivals, tolerance)
    onward: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # route -> (route before it, countries)
    listed: dict[str, list[str]] = field(default_factory=dict)  # route -> nationalities in the data's top ten
    fee_for: list[str] = field(default_factory=list)  # routes whose fee factor also follows their detections


def load_observed(path: str | Path) -> tuple[ObservedSpec, Observed]:
    path = Path(path)
    if not path.exists():
        raise InputError(path, None, "file not found")
    try:
        raw = read_yaml(path)
        spec = ObservedSpec.model_validate(raw)
    except ValidationError as exc:
        where, msg = validation_problem(exc)
        raise InputError(path, f"field '{where}'", msg) from None
    folder = path.parent
    try:
        det = pd.read_csv(folder / "frontex_detections_2023.csv")
        org = pd.read_csv(folder / "frontex_origins_2023.csv")
        dead = pd.read_csv(folder / "dead_missing_2023.csv")
    except FileNotFoundError as exc:
        raise InputError(exc.filename, None, "data file not found") from None
    detections, by_origin, deaths, listed_on = {}, {}, {}, {}
    for code, route in spec.routes.items():
        rows = det[det["route_code"] == code]
        if rows.empty:
            raise InputError(path, f"field 'routes.{code}'", f"route code {code} not in frontex_detections_2023.csv")
        detections[code] = float(rows["detections"].sum())
        top = org[(org["route_code"] == code) & (org["nationality_iso3"] != "OOO")]
        # the listed nationalities stand for the whole route, in proportion
        shares = top.groupby("nationality_iso3")["detections"].sum()
        by_origin[code] = (shares / shares.sum() * detections[code]).to_dict()
        listed_on[code] = sorted(shares.index)
    # a nationality listed on some route but not among another route's top ten had fewer detections
    # there than that route's tenth: aim at half of it
    listed = {n for d in by_origin.values() for n in d}
    for code, cells in by_origin.items():
        floor = 0.5 * min(cells.values())
        for nat in listed - set(cells):
            cells[nat] = floor
    groups: dict[str, list[str]] = {}
    for code, route in spec.routes.items():
        if "iom_group" in route.deaths:
            groups.setdefault(route.deaths["iom_group"], []).append(code)
            continue
        if "iom" not in route.deaths:
            continue
        iom = _count(dead, route.deaths["iom"], path, code)
        if "ngo" in route.deaths:
            ngo = _count(dead, route.deaths["ngo"], path, code)
            deaths[(code,)] = (iom, math.sqrt(iom * ngo), ngo)  # inside the band, at its geometric middle
        else:
            t = spec.deaths_tolerance
            deaths[(code,)] = (iom * (1 - t), iom, iom * (1 + t))
    for group, codes in groups.items():
        n = _count(dead, group, path, codes[0])
        t = spec.deaths_tolerance
        deaths[tuple(codes)] = (n * (1 - t), n, n * (1 + t))
    fees = {code: tuple(r.fee_eur) for code, r in spec.routes.items() if r.fee_eur}
    icp = spec.interception
    interception = (icp.corridor, tuple(icp.countries), icp.intercepted / icp.departures, icp.tolerance) if icp else None
    observed = Observed({c: r.corridors for c, r in spec.routes.items()}, detections, by_origin, deaths, fees,
                      interception, dict(spec.enforcement_for_detections), spec.detections_tolerance,
                      spec.deaths_tolerance,
                      {k: (a.arrivals, a.tolerance) for k, a in spec.destinations.items()},
                      {k: (o.after, list(o.detection)) for k, o in spec.onward.items()}, listed_on,
                      list(spec.fee_for_detections))
    for code in spec.fee_for_detections:
        if code not in spec.routes or not spec.routes[code].fee_eur:
            raise InputError(path, "field 'fee_for_detections'", f"route {code} needs a published fee range in 'routes'")
    for later, o in spec.onward.items():
        for code in (later, o.after):
            if code not in spec.routes:
                raise InputError(path, f"field 'onward.{later}'", f"route {code} is not in 'routes'")
    return spec, observed


def _count(dead: pd.DataFrame, route: str, path, code) -> float:
    rows = dead[dead["route"] == route]
    if rows.empty:
        raise InputError(path, f"field 'routes.{code}.deaths'", f"route {route!r} not in dead_missing_2023.csv")
    return float(rows["dead_and_missing"].sum())


# ------------------------------------------------------------------ measuring a run


def measure(res, routes: dict[str, list[str]], interception_legs: tuple[str, ...], places: tuple[str, ...] = ()) -> dict:
    """What calibration needs of one run (module level: worker processes receive it)."""
    corr = res.summary["corridors"]
    legs = res.tables["legs"]
    totals = legs.groupby("leg")[["attempts", "interceptions", "detections", "paid", "revenue_eur"]].sum()
    origins = res.tables["origins"]
    out = {"detections": {}, "deaths": {}, "fee": {}, "by_origin": {}}
    leg_corridor = legs.drop_duplicates("leg").set_index("leg")["corridor"]
    for code, corridors in routes.items():
        out["detections"][code] = sum(corr[c]["detections"] for c in corridors if c in corr)
        out["deaths"][code] = sum(corr[c]["deaths"] for c in corridors if c in corr)
        crossing = totals[(totals["detections"] > 0) & leg_corridor.reindex(totals.index).isin(corridors).to_numpy()]
        out["fee"][code] = float(crossing["revenue_eur"].sum() / crossing["paid"].sum()) if crossing["paid"].sum() else None
        rows = origins[origins["corridor"].isin(corridors)]
        out["by_origin"][code] = rows.groupby("nationality")["detections"].sum().to_dict()
    if places:
        arrived = res.tables["places"].groupby("place")["arrivals"].sum()
        out["arrivals"] = {p: float(arrived.get(p, 0.0)) for p in places}
    if interception_legs:
        t = totals.reindex(list(interception_legs)).fillna(0)
        out["interception"] = float(t["interceptions"].sum() / t["attempts"].sum()) if t["attempts"].sum() else 0.0
    return out


def interception_legs(network: RouteNetwork, observed: Observed) -> tuple[str, ...]:
    if not observed.interception:
        return ()
    corridor, countries, _, _ = observed.interception
    legs = network.legs
    sel = (legs["corridor"] == corridor) & legs["control_iso3"].isin(countries) & (legs["mode"] == "sea")
    return tuple(legs.loc[sel, "id"])


def ensemble_means(runs: list[dict], observed: Observed) -> dict:
    def mean(get):
        vals = [get(r) for r in runs]
        vals = [v for v in vals if v is not None]
        return float(np.mean(vals)) if vals else None

    codes = list(observed.routes)
    means = {
        "detections": {c: mean(lambda r, c=c: r["detections"][c]) for c in codes},
        "deaths": {c: mean(lambda r, c=c: r["deaths"][c]) for c in codes},
        "fee": {c: mean(lambda r, c=c: r["fee"][c]) for c in codes},
        "by_origin": {},
    }
    for c in codes:
        nats = set().union(*(r["by_origin"][c].keys() for r in runs))
        means["by_origin"][c] = {n: float(np.mean([r["by_origin"][c].get(n, 0.0) for r in runs])) for n in nats}
    if observed.interception:
        means["interception"] = mean(lambda r: r["interception"])
    if observed.arrivals:
        means["arrivals"] = {k: mean(lambda r, k=k: r["arrivals"][k]) for k in observed.arrivals}
    return means


# ------------------------------------------------------------------ parameters

# a nationality's preference for a route stays within this many route spreads of its mean: wide
# enough to keep a nationality off a route where the data do not list it
PREFERENCE_BOUND = 8.0
# a fitted budget stays within what a whole journey is reported to cost: UNODC (2018) gives about
# 10,000 USD from Afghanistan to Western Europe overland and 3,000-8,000 USD from Pakistan
BUDGET_BOUNDS_EUR = (1500.0, 12000.0)


@dataclass
class Parameters:
    demand: dict[str, float]  # origin place -> per year
    preference: dict[str, float]  # corridor -> EUR
    risk: dict[str, float]  # corridor -> factor
    fee: dict[str, float]  # corridor -> factor
    enforcement: dict[str, float]  # iso3 -> 0..1
    corruption: dict[str, float]  # iso3 -> 0..1
    nationality: dict[str, dict[str, float]] = field(default_factory=dict)  # iso3 -> route -> EUR
    routes_of: dict[str, list[str]] = field(default_factory=dict)  # route -> its corridors
    step: dict[str, float] = field(default_factory=dict)  # "iso3|route" -> preference step (EUR), adapted
    last: dict[str, float] = field(default_factory=dict)  # "iso3|route" -> last log-ratio, for the adaptation
    appeal: dict[str, float] = field(default_factory=dict)  # destination place -> EUR
    detection: dict[str, float] = field(default_factory=dict)  # iso3 -> share of land crossings detected
    budget: dict[str, float] = field(default_factory=dict)  # origin place -> mean money (EUR)
    pushback: dict[str, float] = field(default_factory=dict)  # iso3 -> share of interceptions pushed back

    def to_json(self) -> dict:
        return self.__dict__.copy()


def initial_parameters(data: dict, network: RouteNetwork, observed: Observed) -> Parameters:
    corridors = [c for cs in observed.routes.values() for c in cs]
    over = data.get("corridors") or {}
    countries = data.get("countries") or {}
    icp = (observed.interception[1] if observed.interception else ()) + tuple(
        k for ks in observed.enforcement_for.values() for k in ks)
    defaults = network.countries
    return Parameters(
        demand={d["origin"]: float(d["per_year"]) for d in data["demand"]},
        preference={c: float((over.get(c) or {}).get("preference_eur", 0.0)) for c in corridors},
        risk={c: float((over.get(c) or {}).get("risk_factor", 1.0)) for c in corridors},
        fee={c: float((over.get(c) or {}).get("fee_factor", 1.0)) for c in corridors},
        enforcement={k: float((countries.get(k) or {}).get("enforcement", defaults.loc[k, "enforcement"])) for k in icp},
        corruption={k: float((countries.get(k) or {}).get("corruption", defaults.loc[k, "corruption"])) for k in icp},
        nationality={nat: {code: float((data.get("nationality_preferences") or {}).get(nat, {}).get(cs[0], 0.0))
                           for code, cs in observed.routes.items() if nat in observed.by_origin[code]}
                     for nat in sorted({n for d in observed.by_origin.values() for n in d})},
        routes_of=dict(observed.routes),
        appeal={k: float(((data.get("destinations") or {}).get(k) or {}).get("appeal_eur", 0.0))
                for k in observed.arrivals},
        detection={k: _detection_start(data, network, k) for _, ks in observed.onward.values() for k in ks},
        budget={d["origin"]: float(d.get("budget_eur", 3000.0)) for d in data["demand"]},
        pushback={k: float((countries.get(k) or {}).get("pushback", defaults.loc[k, "pushback"]))
                  for ks in observed.enforcement_for.values() for k in ks},
    )


def _detection_start(data: dict, network: RouteNetwork, iso3: str) -> float:
    """A country's land detection share as the scenario gives it, else as the model derives it from the
    country's effectiveness (see sim.model.borders.leg_risks)."""
    given = ((data.get("countries") or {}).get(iso3) or {})
    if given.get("detection_share") is not None:
        return float(given["detection_share"])
    base = network.countries.loc[iso3]
    enforcement = float(given.get("enforcement", base["enforcement"]))
    training = float(given.get("training", base["training"]))
    scale = parse_scenario(data).behaviour.detection_scale
    return float(1.0 - math.exp(-scale * enforcement * (0.75 + 0.5 * training)))


def apply(data: dict, p: Parameters) -> dict:
    out = json.loads(json.dumps(data))
    for d in out["demand"]:
        d["per_year"] = round(p.demand[d["origin"]], 1)
        if d["origin"] in p.budget:
            d["budget_eur"] = round(p.budget[d["origin"]])
    if p.appeal:
        dest = out.setdefault("destinations", {}) or {}
        for k, v in p.appeal.items():
            dest[k] = {**(dest.get(k) or {}), "appeal_eur": round(v, 1)}
        out["destinations"] = dest
    corr = out.setdefault("corridors", {}) or {}
    for c in p.preference:
        corr[c] = {**(corr.get(c) or {}), "preference_eur": round(p.preference[c], 1),
                   "risk_factor": round(p.risk[c], 4), "fee_factor": round(p.fee[c], 4)}
    out["corridors"] = corr
    countries = out.setdefault("countries", {}) or {}
    for k in p.enforcement:
        countries[k] = {**(countries.get(k) or {}), "enforcement": round(p.enforcement[k], 4),
                        "corruption": round(p.corruption[k], 4)}
    for k in p.detection:
        countries[k] = {**(countries.get(k) or {}), "detection_share": round(p.detection[k], 4)}
    for k in p.pushback:
        countries[k] = {**(countries.get(k) or {}), "pushback": round(p.pushback[k], 4)}
    out["countries"] = countries
    prefs = out.setdefault("nationality_preferences", {}) or {}
    for nat, routes in p.nationality.items():
        for code, value in routes.items():
            for corridor in p.routes_of[code]:
                prefs.setdefault(nat, {})[corridor] = round(value, 1)
    out["nationality_preferences"] = prefs
    return out


def update(p: Parameters, sim: dict, observed: Observed, network: RouteNetwork, spread: float, damping: float = 0.7):
    """One damped fixed-point step of every free parameter towards its target."""
    a = damping
    origin_country = network.places.set_index("id")["iso3"]
    # demand: a nationality's detections over all routes <- its total where it is listed (the floors
    # put on the other routes are upper bounds, not counts: summed, they would inflate small nationalities)
    want, got = {}, {}
    for code in observed.routes:
        for nat in observed.listed.get(code, observed.by_origin[code]):
            want[nat] = want.get(nat, 0.0) + observed.by_origin[code][nat]
        for nat, v in sim["by_origin"][code].items():
            got[nat] = got.get(nat, 0.0) + v
    for origin in p.demand:
        nat = origin_country[origin]
        if nat in want:
            ratio = want[nat] / got[nat] if got.get(nat, 0) > 0 else 2.0
            p.demand[origin] *= float(np.clip(ratio, 0.25, 4.0)) ** a
    # nationality x route: each listed cell moves its nationality's preference for the route, with an
    # adaptive step (Rprop: it grows while the error keeps its sign, halves when it flips), because
    # routes are coupled; kept centred on zero per nationality (a common shift only trades off
    # against demand) and bounded (a cell the model cannot reach must not drag the others away)
    for nat, routes in p.nationality.items():
        if len(routes) < 2:
            continue
        fitted = []
        for code in routes:
            s = sim["by_origin"][code].get(nat, 0.0)
            target = observed.by_origin[code][nat]
            listed = nat in observed.listed.get(code, [nat])
            # a route where the nationality is not listed only has an upper bound: below it, leave it be
            # (else a route it cannot reach drifts to the bound and drags the others through the centring)
            if not listed and s <= target:
                continue
            err = float(np.log(target / s)) if s > 0 else 2.0
            key = f"{nat}|{code}"
            step = p.step.get(key, 0.25 * spread)
            prev = p.last.get(key)
            if prev is not None:
                step = step * 1.5 if prev * err > 0 else step * 0.5
            p.step[key] = float(np.clip(step, 5.0, 2.0 * spread))
            p.last[key] = err
            routes[code] -= p.step[key] * float(np.clip(err, -1.0, 1.0))
            if listed:
                fitted.append(code)
        mean = float(np.mean([routes[c] for c in fitted])) if fitted else 0.0
        for code in routes:
            routes[code] = float(np.clip(routes[code] - mean, -PREFERENCE_BOUND * spread, PREFERENCE_BOUND * spread))
    # death risk per route or group of routes: fitted as deaths per detection, so that a route whose
    # flow is still too small is not made deadlier (which would shrink its flow further)
    for codes, (low, target, high) in observed.deaths.items():
        s = sum(sim["deaths"][c] for c in codes)
        flow_real = sum(observed.detections[c] for c in codes)
        flow_sim = sum(sim["detections"][c] for c in codes)
        if flow_sim <= 0:
            continue
        ratio = (target / flow_real) / (s / flow_sim) if s > 0 else 2.0
        for code in codes:
            for c in observed.routes[code]:
                p.risk[c] = float(np.clip(p.risk[c] * np.clip(ratio, 0.25, 4.0) ** a, 0.02, 10.0))
    # fees: only when outside the published range, towards its geometric middle; inside it, the
    # routes named in fee_for_detections follow their detections (where fees are known only to a
    # factor of ten, what people can pay decides how far they get and how often they try again)
    for code, (low, high) in observed.fees.items():
        s = sim["fee"][code]
        if s and not (low <= s <= high):
            for c in observed.routes[code]:
                p.fee[c] *= (math.sqrt(low * high) / s) ** a
        elif s and code in observed.fee_for:
            d = sim["detections"][code]
            ratio = float(np.clip(d / observed.detections[code], 0.5, 2.0)) if d > 0 else 0.5
            for c in observed.routes[code]:
                p.fee[c] *= ratio ** (0.5 * a)
    # enforcement at a route's border: more interceptions, more repeat attempts, more detections
    for code, countries in observed.enforcement_for.items():
        s = sim["detections"][code]
        ratio = observed.detections[code] / s if s > 0 else 2.0
        for k in countries:
            _raise_enforcement(p, k, float(np.clip(ratio, 0.5, 2.0)) ** (0.5 * a))
            # ... and the share pushed straight back, who try again at once (not known: fitted)
            if k in p.pushback:
                p.pushback[k] = float(np.clip(p.pushback[k] * float(np.clip(ratio, 0.5, 2.0)) ** (0.5 * a), 0.0, 1.0))
    # interception share: enforcement first, then corruption once enforcement is at its maximum
    if observed.interception and sim.get("interception"):
        ratio = observed.interception[2] / sim["interception"]
        for k in observed.interception[1]:
            _raise_enforcement(p, k, ratio ** a)
    # a destination's appeal: too few arrivals there, make it more wanted (in steps of the route spread)
    for place, (want_n, _) in observed.arrivals.items():
        got_n = sim["arrivals"][place]
        err = float(np.log(want_n / got_n)) if got_n > 0 else 1.0
        p.appeal[place] = float(np.clip(p.appeal[place] + a * spread * np.clip(err, -1.0, 1.0),
                                        -8.0 * spread, 8.0 * spread))
    # detection at the first border: the nationalities listed on both routes are detected too often
    # there (compared with the route that follows), so more of them cross it unseen; only counts change
    for later, (first, countries) in observed.onward.items():
        both = set(observed.listed.get(later, [])) & set(observed.listed.get(first, []))
        want_r = sum(observed.by_origin[later][n] for n in both) / sum(observed.by_origin[first][n] for n in both)
        s_later = sum(sim["by_origin"][later].get(n, 0.0) for n in both)
        s_first = sum(sim["by_origin"][first].get(n, 0.0) for n in both)
        ratio = (s_later / s_first) / want_r if s_later > 0 and s_first > 0 else 0.5
        for k in countries:
            p.detection[k] = float(np.clip(p.detection[k] * np.clip(ratio, 0.5, 2.0) ** a, 0.02, 1.0))
        # ... and those who run out of money on the way never reach the next border: per nationality, the
        # same ratio fits its origins' mean budget, within what a whole journey is reported to cost
        for nat in both:
            s_l, s_f = sim["by_origin"][later].get(nat, 0.0), sim["by_origin"][first].get(nat, 0.0)
            want_n = observed.by_origin[later][nat] / observed.by_origin[first][nat]
            r = want_n / (s_l / s_f) if s_l > 0 and s_f > 0 else 2.0
            for origin in p.budget:
                if origin_country[origin] == nat:
                    p.budget[origin] = float(np.clip(p.budget[origin] * np.clip(r, 0.5, 2.0) ** (0.5 * a),
                                                     *BUDGET_BOUNDS_EUR))
    return p


def _raise_enforcement(p: Parameters, k: str, factor: float) -> None:
    """Enforcement times factor; past 1, the rest of the factor lowers corruption instead."""
    e = p.enforcement[k] * factor
    if e > 1.0:
        p.corruption[k] = float(np.clip(p.corruption[k] / e, 0.0, 1.0))
        e = 1.0
    p.enforcement[k] = float(np.clip(e, 0.01, 1.0))


# ------------------------------------------------------------------ checking against the observed figures


def check(sim: dict, observed: Observed) -> list[dict]:
    """One row per observed figure: simulated, real, and whether the simulation is within the tolerance."""
    rows = []
    for code in observed.routes:
        real, s = observed.detections[code], sim["detections"][code]
        rows.append({"figure": "detections", "route": code, "real": real, "sim": s,
                     "ok": abs(s - real) <= observed.detections_tolerance * real})
    for codes, (low, target, high) in observed.deaths.items():
        s = sum(sim["deaths"][c] for c in codes)
        rows.append({"figure": "dead and missing", "route": "+".join(codes), "real": target, "low": low,
                     "high": high, "sim": s, "ok": low <= s <= high})
    for code, (low, high) in observed.fees.items():
        s = sim["fee"][code]
        rows.append({"figure": "fee (EUR)", "route": code, "low": low, "high": high, "sim": s,
                     "ok": s is not None and low <= s <= high})
    for code in observed.routes:
        # the data's top ten (not the floors put on the others) stand for the route in proportion
        listed = observed.listed.get(code) or list(observed.by_origin[code])
        d = mix_distance(sim["by_origin"][code], {n: observed.by_origin[code][n] for n in listed})
        rows.append({"figure": "origin mix", "route": code, "sim": d["distance"], "real": 0.0,
                     "top": d["top"], "ok": d["distance"] <= 0.35 and d["top_present"]})
    if observed.interception:
        _, _, share, tol = observed.interception
        s = sim.get("interception") or 0.0
        rows.append({"figure": "interception share", "route": observed.interception[0], "real": share, "sim": s,
                     "ok": abs(s - share) <= tol * share})
    for place, (real, tol) in observed.arrivals.items():
        s = sim["arrivals"][place]
        rows.append({"figure": "arrivals", "route": place, "real": real, "sim": s, "tolerance": tol,
                     "ok": abs(s - real) <= tol * real})
    return rows


def mix_distance(sim: dict, real: dict) -> dict:
    """Total variation distance between nationality shares; are the data's top three among the model's top five?"""
    total_s, total_r = sum(sim.values()) or 1.0, sum(real.values()) or 1.0
    nats = set(sim) | set(real)
    distance = 0.5 * sum(abs(sim.get(n, 0) / total_s - real.get(n, 0) / total_r) for n in nats)
    top_real = sorted(real, key=real.get, reverse=True)[:3]
    top_sim = sorted(sim, key=sim.get, reverse=True)[:5]
    return {"distance": distance, "top": top_real, "top_present": all(n in top_sim for n in top_real)}


# ------------------------------------------------------------------ the loop


def _hash(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def calibrate(data: dict, network: RouteNetwork, observed: Observed, *, source: str, iterations: int = 20,
              replicates: int = 4, scale: int = 10, first_seed: int = 1000, workers: int = 1,
              damping: float = 0.7, state_dir: Path | None = None, progress=None,
              log=None) -> tuple[Parameters, list[dict]]:
    """Fit the free parameters; returns the best parameters found and the history of iterations.

    With `state_dir`, every finished iteration is saved (write, then rename) and a rerun with the
    same inputs continues where it stopped."""
    spread = parse_scenario(data, source).behaviour.route_spread_eur
    legs = interception_legs(network, observed)
    key = _hash(data, {k: (v if k != "deaths" else {"+".join(g): x for g, x in v.items()})
                       for k, v in observed.__dict__.items()}, replicates, scale, first_seed, damping)
    state_file = state_dir / "calibration_state.json" if state_dir else None
    p, history = initial_parameters(data, network, observed), []
    if state_file and state_file.exists():
        state = json.loads(state_file.read_text())
        if state.get("key") == key:
            p, history = Parameters(**state["parameters"]), state["history"]
    seeds = range(first_seed, first_seed + replicates)
    fn = partial(measure, routes=observed.routes, interception_legs=legs, places=tuple(observed.arrivals))
    while len(history) < iterations:
        k = len(history)
        scenario = parse_scenario(apply(data, p), source)
        check_against_network(scenario, network)
        runs = run_ensemble(scenario, seeds, scale=scale, workers=workers, measure=fn,
                            progress=(lambda d, n, k=k: progress(k * replicates + d, iterations * replicates))
                            if progress else None)
        sim = ensemble_means(runs, observed)
        rows = check(sim, observed)
        errors = [abs(r["sim"] - r["real"]) / r["real"] for r in rows if r["figure"] == "detections"]
        error = max(errors)
        history.append({"iteration": k, "parameters": p.to_json(), "max_detection_error": error,
                        "mean_detection_error": float(np.mean(errors)),
                        "within_targets": sum(r["ok"] for r in rows), "targets": len(rows), "sim": sim})
        if log:
            log(f"iteration {k}: {history[-1]['within_targets']}/{len(rows)} figures matched, "
                f"largest detection error {error:.1%}")
        p = update(Parameters(**json.loads(json.dumps(p.to_json()))), sim, observed, network, spread, damping)
        if state_file:
            state_dir.mkdir(parents=True, exist_ok=True)
            payload = {"key": key, "parameters": p.to_json(), "history": history}
            atomic_write(state_file, lambda f: Path(f).write_text(json.dumps(payload)))
    best = max(history, key=best_key)
    return Parameters(**best["parameters"]), history


def best_key(h: dict):
    """Most figures matched, then the smallest averaged relative difference of detections."""
    return (h["within_targets"], -h.get("mean_detection_error", h["max_detection_error"]))


def write_fitted(p: Parameters, path: Path, observed_path: Path, history: list[dict], data: dict) -> None:
    best = max(history, key=best_key)
    budgets = {d["origin"]: d.get("budget_eur") for d in data["demand"]} | {o: round(v) for o, v in p.budget.items()}
    body = {
        "demand": [{"origin": o, "per_year": round(v, 1), **({"budget_eur": budgets[o]} if budgets.get(o) else {})}
                   for o, v in p.demand.items()],
        "corridors": {c: {"preference_eur": round(p.preference[c], 1), "risk_factor": round(p.risk[c], 4),
                          "fee_factor": round(p.fee[c], 4)} for c in p.preference},
    }
    body["nationality_preferences"] = {
        nat: {corridor: round(v, 1) for code, v in routes.items() for corridor in p.routes_of[code]}
        for nat, routes in p.nationality.items() if len(routes) > 1}
    if p.appeal:
        body["destinations"] = {k: {"appeal_eur": round(v, 1)} for k, v in p.appeal.items()}
    if p.enforcement or p.detection:
        body["countries"] = {k: {"enforcement": round(p.enforcement[k], 4), "corruption": round(p.corruption[k], 4)}
                             for k in p.enforcement}
        for k, v in p.detection.items():
            body["countries"].setdefault(k, {})["detection_share"] = round(v, 4)
        for k, v in p.pushback.items():
            body["countries"].setdefault(k, {})["pushback"] = round(v, 4)
    head = (f"# Fitted by `python -m sim calibrate` on {date.today().isoformat()} to {observed_path.name}\n"
            f"# (best of {len(history)} iterations: {best['within_targets']}/{best['targets']} figures matched).\n"
            "# Do not edit by hand: rerun the calibration. baseline.yaml reads this file as its base.\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: Path(f).write_text(head + yaml.safe_dump(body, sort_keys=False)))


# ------------------------------------------------------------------ validation table


@dataclass
class Validation:
    rows: list[dict]
    average_relative_difference: float
    settings: dict


def validate(scenario_path: Path, observed: Observed, *, replicates: int = 8, scale: int = 10,
             first_seed: int = 1, workers: int = 1, progress=None) -> Validation:
    data = scenario_data(scenario_path)
    scenario = parse_scenario(data, scenario_path)
    network = load_network(scenario.network_path())
    check_against_network(scenario, network)
    fn = partial(measure, routes=observed.routes, interception_legs=interception_legs(network, observed),
                 places=tuple(observed.arrivals))
    runs = run_ensemble(scenario, range(first_seed, first_seed + replicates), scale=scale, workers=workers,
                        measure=fn, progress=progress)
    sim = ensemble_means(runs, observed)
    rows = check(sim, observed)
    # add the ensemble's 95 % interval to each simulated figure
    for r in rows:
        if r["figure"] == "detections":
            r["low_sim"], r["high_sim"] = interval([x["detections"][r["route"]] for x in runs])[1:]
        elif r["figure"] == "dead and missing":
            codes = r["route"].split("+")
            r["low_sim"], r["high_sim"] = interval([sum(x["deaths"][c] for c in codes) for x in runs])[1:]
        elif r["figure"] == "fee (EUR)":
            r["low_sim"], r["high_sim"] = interval([x["fee"][r["route"]] for x in runs])[1:]
        elif r["figure"] == "interception share":
            r["low_sim"], r["high_sim"] = interval([x["interception"] for x in runs])[1:]
        elif r["figure"] == "arrivals":
            r["low_sim"], r["high_sim"] = interval([x["arrivals"][r["route"]] for x in runs])[1:]
    det = [r for r in rows if r["figure"] == "detections"]
    ard = float(np.mean([abs(r["sim"] - r["real"]) / r["real"] for r in det]))
    settings = {"scenario": str(scenario_path), "replicates": replicates, "scale": scale,
                "seeds": f"{first_seed}-{first_seed + replicates - 1}"}
    return Validation(rows, ard, settings)


def validation_markdown(v: Validation) -> str:
    def n(x, d=0):
        return "-" if x is None else f"{x:,.{d}f}"

    out = [f"Ensemble of {v.settings['replicates']} runs (seeds {v.settings['seeds']}) of "
           f"`{Path(v.settings['scenario']).name}` at scale {v.settings['scale']}; 95 % interval of the "
           "ensemble mean.", "",
           "| route | Frontex detections 2023 | simulated (mean) | 95 % interval | relative difference | within ±15 % |",
           "|---|---:|---:|---:|---:|:---:|"]
    for r in v.rows:
        if r["figure"] == "detections":
            out.append(f"| {r['route']} | {n(r['real'])} | {n(r['sim'])} | {n(r['low_sim'])} - {n(r['high_sim'])} | "
                       f"{(r['sim'] - r['real']) / r['real']:+.1%} | {'yes' if r['ok'] else 'NO'} |")
    out += ["", f"Averaged relative difference over the routes (the metric Flee reports): "
            f"**{v.average_relative_difference:.1%}**", "",
            "| dead and missing | band (IOM low - target - high) | simulated (mean) | 95 % interval | inside |",
            "|---|---:|---:|---:|:---:|"]
    for r in v.rows:
        if r["figure"] == "dead and missing":
            out.append(f"| {r['route']} | {n(r['low'])} - {n(r['real'])} - {n(r['high'])} | {n(r['sim'])} | "
                       f"{n(r['low_sim'])} - {n(r['high_sim'])} | {'yes' if r['ok'] else 'NO'} |")
    out += ["", "| fee on the border crossing (EUR) | published range | simulated (mean) | inside |", "|---|---:|---:|:---:|"]
    for r in v.rows:
        if r["figure"] == "fee (EUR)":
            out.append(f"| {r['route']} | {n(r['low'])} - {n(r['high'])} | {n(r['sim'])} | {'yes' if r['ok'] else 'NO'} |")
    out += ["", "| origin mix | data's top three | distance (total variation, 0 = same shares) | top three among the model's top five, distance <= 0.35 |",
            "|---|---|---:|:---:|"]
    for r in v.rows:
        if r["figure"] == "origin mix":
            out.append(f"| {r['route']} | {', '.join(r['top'])} | {r['sim']:.2f} | {'yes' if r['ok'] else 'NO'} |")
    for r in v.rows:
        if r["figure"] == "interception share":
            out += ["", f"Share of departures intercepted on the {r['route']} (UNODC 2023: {r['real']:.0%}): "
                    f"simulated {r['sim']:.0%} ({r['low_sim']:.0%} - {r['high_sim']:.0%}), "
                    f"{'within' if r['ok'] else 'OUTSIDE'} the tolerance."]
    for r in v.rows:
        if r["figure"] == "arrivals":
            out += ["", f"Arrivals at {r['route']} (real {n(r['real'])}): simulated {n(r['sim'])} "
                    f"({n(r['low_sim'])} - {n(r['high_sim'])}), {'within' if r['ok'] else 'OUTSIDE'} "
                    f"±{r['tolerance']:.0%}."]
    met = sum(r["ok"] for r in v.rows)
    out += ["", f"{met} of {len(v.rows)} figures matched."]
    return "\n".join(out)
