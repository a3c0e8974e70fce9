"""The fitted parameters: their initial values from the scenario, writing them into a scenario's data,
and into the file the baseline reads (scenarios/calibrated/)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from ..files import atomic_write
from ..network import RouteNetwork
from ..scenario import parse_scenario
from .observed import Observed

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
