"""Fitting the free parameters: the damped update step and the resumable calibrate loop.

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

What the figures are (detections as Frontex counts them) is in measuring.py.
"""

from __future__ import annotations

import hashlib
import json
import math
from functools import partial
from pathlib import Path

import numpy as np

from ..compare import run_ensemble
from ..files import atomic_write
from ..network import RouteNetwork
from ..scenario import check_against_network, parse_scenario
from .measuring import check, ensemble_means, interception_legs, measure
from .observed import Observed
from .parameters import BUDGET_BOUNDS_EUR, PREFERENCE_BOUND, Parameters, apply, best_key, initial_parameters


def update(p: Parameters, sim: dict, observed: Observed, network: RouteNetwork, spread: float, damping: float = 0.7):
    """One damped fixed-point step of every free parameter towards its target."""
    a = damping
    origin_country = network.places.set_index("id")["nationality"]  # the nationality of its people
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
            err = math.log(target / s) if s > 0 else 2.0
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
    for codes, (_low, target, _high) in observed.deaths.items():
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
        err = math.log(want_n / got_n) if got_n > 0 else 1.0
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
            atomic_write(state_file, lambda f, payload=payload: Path(f).write_text(json.dumps(payload)))
    best = max(history, key=best_key)
    return Parameters(**best["parameters"]), history
