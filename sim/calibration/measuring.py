"""What calibration measures of a run, the ensemble's means, and the comparison with the observed figures.

Detections are the model's equivalent of Frontex's: crossings into a country that counts detections
from one that does not, plus interceptions on such legs by a counting country, repeat attempts
included (a person released after an interception and caught again counts twice).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..network import RouteNetwork
from .observed import Observed


def measure(res, routes: dict[str, list[str]], interception_legs: tuple[str, ...], places: tuple[str, ...] = (),
            year: int | None = None) -> dict:
    """What calibration needs of one run (module level: worker processes receive it). With `year`, only
    that calendar year of the run (a run with a start date: the replay's 2023 against the 2023 figures)."""
    legs, origins, placed = res.tables["legs"], res.tables["origins"], res.tables["places"]
    if year is None:
        corr = res.summary["corridors"]
    else:
        daily = res.tables["daily"]
        days = set(daily.loc[pd.to_datetime(daily["date"]).dt.year == year, "day"])
        if len(days) < 365:
            raise ValueError(f"the run does not cover the whole of {year}")
        c = res.tables["corridors"]
        c = c[c["day"].isin(days)].groupby("corridor")[["detections", "deaths"]].sum()
        corr = {name: {"detections": float(r["detections"]), "deaths": float(r["deaths"])} for name, r in c.iterrows()}
        legs, placed = legs[legs["day"].isin(days)], placed[placed["day"].isin(days)]
        y = res.tables["origins_yearly"]
        origins = y[y["year"] == year]
    totals = legs.groupby("leg")[["attempts", "interceptions", "detections", "paid", "revenue_eur"]].sum()
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
        arrived = placed.groupby("place")["arrivals"].sum()
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
