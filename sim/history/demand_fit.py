"""Fitting the replay's demand per origin and year to Frontex's detections by nationality and year.

Demand may change only by year (issue 11): each origin's people per year in year y is fitted so that
the replay's detections of its nationality in y, summed over the six main routes, match Frontex's.
Summing over routes leaves the split between routes, and every change within a year, to the model's
route choice and to the measures, which is what the episodes test.

The method is a damped fixed-point iteration, as for the 2023 baseline (sim/calibration/fit.py): run
an ensemble of the replay, then multiply each origin's demand in each year by (observed / simulated)
to the power `damping`, bounded per step. Detections in a year also come from people who set off the
year before, so a year's correction moves the next one a little; the iteration absorbs it.

Frontex records some detections without a nationality (codes OOO, OOS), and some nationalities have
no origin in the network (Cameroon, Chad, Liberia...): those are spread over the known nationalities
of the same route and year, in proportion, so that each route-year's total is kept (they are 80 % of
the Western Balkans' detections in 2016, when people were counted on the way through in haste).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..execute import Job, run_jobs
from .data import MAIN_ROUTES, NATIONALITY_CSV, route_corridors

STEP_BOUNDS = (1 / 3, 3.0)  # most a year's demand moves in one iteration
# most it moves from the first demand (sim/history/demand.py), over every fit. 20 was tried (docs/replay_log.md,
# fifth session): demand ran away where the network did not carry a nationality where Frontex counted it
TOTAL_BOUNDS = (1 / 20, 5.0)
MIN_PER_YEAR = 10.0  # an origin's demand never falls below this many people a year (it could not come back)
# the route preferences by year: a cell's ratio adds this many detections on both sides (at the replay's
# scales an entry is 100 to 1,000 people: a cell of a few hundred is noise), a nationality-year below
# MIN_NATIONALITY_YEAR keeps its preferences, and no figure moves more than PREFERENCE_LIMIT route spreads
# from the scenario's own (the 2023 fit's bound, sim/calibration/parameters.py)
CELL_FLOOR = 200.0
MIN_NATIONALITY_YEAR = 1000.0
PREFERENCE_LIMIT = 8.0
# routes taken after another one (Frontex counts the same people again on them)
CONTINUING = ("WBR",)


def observed_by_route(nationalities: list[str], first: int = 2016, last: int = 2023,
                      path: Path = NATIONALITY_CSV, reach: dict[str, set[str]] | None = None) -> pd.DataFrame:
    """Detections per (nationality, main route) (rows, the network's nationalities) and year (columns), with
    the detections of unknown or unmodelled nationalities spread over the known ones of each route and year.
    With `reach` (nationality -> the route codes its people can reach, `reached_routes`), a nationality's
    detections on a route it cannot reach are spread the same way: the fit cannot give them, and counted in
    the nationality's total they would push its people onto the routes it can reach (`unreached` lists them)."""
    frame = pd.read_csv(path)
    frame = frame[frame["route_code"].isin(MAIN_ROUTES) & frame["year"].between(first, last)]
    total = frame.groupby(["route_code", "year"])["detections"].sum()
    known = frame[frame["nationality_iso3"].isin(nationalities)]
    if reach is not None:
        known = known[_within(reach, known["nationality_iso3"], known["route_code"])]
    covered = known.groupby(["route_code", "year"])["detections"].sum()
    factor = (total / covered).rename("factor")
    known = known.join(factor, on=["route_code", "year"])
    known = known.assign(detections=known["detections"] * known["factor"])
    table = known.pivot_table(index=["nationality_iso3", "route_code"], columns="year", values="detections",
                              aggfunc="sum", fill_value=0.0)
    rows = pd.MultiIndex.from_product([nationalities, MAIN_ROUTES], names=["nationality", "route"])
    table.index.names = ["nationality", "route"]
    return table.reindex(index=rows, columns=range(first, last + 1), fill_value=0.0)


def observed_by_nationality(nationalities: list[str], first: int = 2016, last: int = 2023,
                            path: Path = NATIONALITY_CSV, reach: dict[str, set[str]] | None = None) -> pd.DataFrame:
    """Detections per nationality (rows, the network's) and year (columns) over the main routes (see
    observed_by_route)."""
    table = observed_by_route(nationalities, first, last, path, reach).groupby(level="nationality").sum()
    return table.reindex(index=nationalities, columns=range(first, last + 1), fill_value=0.0)


def _within(reach: dict[str, set[str]], nationalities, routes) -> list[bool]:
    """For each (nationality, route code) pair: does the network give the nationality a way to the route."""
    return [route in reach.get(n, ()) for n, route in zip(nationalities, routes)]


def reached_routes(network) -> dict[str, set[str]]:
    """Nationality -> the main routes (codes) whose corridors its people can reach on `network` (a
    RouteNetwork): where the replay can count them (RouteNetwork.entry_corridors)."""
    corridors = network.entry_corridors()
    codes = route_corridors()
    return {n: {code for code in MAIN_ROUTES if set(codes.get(code, ())) & reached} for n, reached in corridors.items()}


def unreached(nationalities: list[str], reach: dict[str, set[str]], first: int = 2016, last: int = 2023,
              path: Path = NATIONALITY_CSV, min_detections: float = CELL_FLOOR) -> pd.DataFrame:
    """The observed (nationality, main route, year) cells of at least `min_detections` that the network
    gives the nationality no way to: columns nationality, route, year, detections (largest first)."""
    frame = pd.read_csv(path)
    frame = frame[frame["route_code"].isin(MAIN_ROUTES) & frame["year"].between(first, last)
                  & frame["nationality_iso3"].isin(nationalities) & (frame["detections"] >= min_detections)]
    out = frame[[not ok for ok in _within(reach, frame["nationality_iso3"], frame["route_code"])]]
    out = out[["nationality_iso3", "route_code", "year", "detections"]].rename(
        columns={"nationality_iso3": "nationality", "route_code": "route"})
    return (out.groupby(["nationality", "route", "year"], as_index=False)["detections"].sum()
            .sort_values("detections", ascending=False, kind="stable").reset_index(drop=True))


def replay_figures(results) -> dict:
    """What a fitting job keeps (module level: workers receive it): detections by year and nationality on
    the main routes' corridors, detections per corridor and month, sea arrivals by country and year, and
    detections by corridor, border and year."""
    route_of = {c: code for code in MAIN_ROUTES for c in route_corridors().get(code, [])}
    y = results.tables["origins_yearly"]
    y = y[y["corridor"].isin(route_of)].assign(route=lambda f: f["corridor"].map(route_of))
    y = y.groupby(["year", "nationality", "route"], as_index=False)["detections"].sum()
    m = results.tables["monthly"]
    from .sea import border_detections, sea_arrivals

    return {"year": y["year"].tolist(), "nationality": y["nationality"].tolist(), "route": y["route"].tolist(),
            "detections": y["detections"].astype(float).tolist(),
            "month": m["month"].dt.strftime("%Y-%m-01").tolist(), "corridor": m["corridor"].tolist(),
            "monthly": m["detections"].astype(float).tolist(), **sea_arrivals(results),
            **border_detections(results)}


@dataclass
class DemandFit:
    demand: dict[str, dict[int, float]]  # origin -> year -> people per year
    history: list[dict] = field(default_factory=list)  # per iteration: the errors before its update
    monthly: pd.DataFrame | None = None  # the last ensemble's mean detections per corridor and month
    preferences: dict[int, dict[str, dict[str, float]]] | None = None  # year -> nationality -> corridor -> EUR
    appeals: dict[str, dict[int, float]] | None = None  # destination -> year -> appeal_eur (destinations_by_year)
    land: dict[int, dict[str, float]] | None = None  # year -> leg -> EUR (leg_preferences_by_year, border_fit.py)


def simulate(data: dict, source: str, seeds: list[int], *, scale: int, workers: int = 1,
             progress=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(mean detections per nationality x year, mean detections per month and corridor) over the seeds."""
    yearly, monthly, _ = simulate_routes(data, source, seeds, scale=scale, workers=workers, progress=progress)
    return yearly, monthly


def simulate_routes(data: dict, source: str, seeds: list[int], *, scale: int, workers: int = 1,
                    progress=None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """As simulate, and the mean detections per (nationality, main route) x year."""
    yearly, monthly, by_route, _ = simulate_with_sea(data, source, seeds, scale=scale, workers=workers,
                                                     progress=progress)
    return yearly, monthly, by_route


def simulate_with_sea(data: dict, source: str, seeds: list[int], *, scale: int, workers: int = 1, progress=None):
    """As simulate_routes, and the mean sea arrivals by (landing ISO3, year)."""
    return simulate_all(data, source, seeds, scale=scale, workers=workers, progress=progress)[:4]


def simulate_all(data: dict, source: str, seeds: list[int], *, scale: int, workers: int = 1, progress=None):
    """As simulate_with_sea, and the mean detections by corridor, border and year (sea.mean_border)."""
    from .sea import mean_border, mean_sea

    jobs = [Job(scenario=data, seed=s, scale=scale, keep=replay_figures, source=source) for s in seeds]
    runs = run_jobs(jobs, workers=workers, progress=progress)
    sea = {(r["iso3"], int(r["year"])): float(r["arrivals"]) for _, r in mean_sea(runs).iterrows()}
    cells = pd.concat([pd.DataFrame({k: r[k] for k in ("year", "nationality", "route", "detections")})
                       for r in runs])
    by_route = cells.pivot_table(index=["nationality", "route"], columns="year", values="detections",
                                 aggfunc="sum", fill_value=0.0) / len(runs)
    yearly = by_route.groupby(level="nationality").sum()
    monthly = pd.concat([pd.DataFrame({"month": r["month"], "corridor": r["corridor"], "detections": r["monthly"]})
                         for r in runs])
    monthly = (monthly.assign(month=lambda f: pd.to_datetime(f["month"]))
               .groupby(["month", "corridor"], as_index=False)["detections"].mean())
    return yearly, monthly, by_route, sea, mean_border(runs)


def update(demand: dict[str, dict[int, float]], nationality_of: dict[str, str], observed: pd.DataFrame,
           simulated: pd.DataFrame, damping: float = 0.7,
           start: dict[str, dict[int, float]] | None = None,
           bounds: tuple[float, float] = TOTAL_BOUNDS) -> dict[str, dict[int, float]]:
    """One damped step: each origin's demand in each year times (observed / simulated) ** damping for its
    nationality, bounded to STEP_BOUNDS and to `bounds` (TOTAL_BOUNDS) around `start`. A nationality-year with no
    simulated detection keeps its demand: its people cannot reach the routes that year (all their ways
    closed), and more of them would change nothing.

    A year before the first observed one (2015, the replay's spin-up: nothing in it is reported) moves with
    the first observed year, keeping its ratio to it in `start` (the first demand's: Frontex's 2015/2016
    ratio for the nationality). Left where the first demand put it, it stayed behind as 2016's demand was
    fitted up (Kabul 1.12 million people a year in 2015 against 1.29 in 2016, where Frontex counts more
    than twice as many Afghans in 2015), so the replay started with too short a tail of the 2015 wave on the
    road (docs/replay_log.md, thirty-first session)."""
    lo, hi = STEP_BOUNDS
    first_year = min(int(y) for y in observed.columns)
    out = {}
    for origin, years in demand.items():
        n = nationality_of[origin]
        out[origin] = {}
        for year, value in years.items():
            obs = float(observed.loc[n, year]) if n in observed.index and year in observed.columns else None
            sim = float(simulated.loc[n, year]) if n in simulated.index and year in simulated.columns else 0.0
            if obs is None or sim <= 0:
                out[origin][year] = value
                continue
            ratio = min(hi, max(lo, (obs + 1.0) / (sim + 1.0)))
            new = value * ratio ** damping
            if start is not None:
                first = start[origin][year]
                new = min(first * bounds[1], max(first * bounds[0], new))
            out[origin][year] = round(max(MIN_PER_YEAR, new), 1)
        if start is not None and first_year in out[origin] and start[origin].get(first_year, 0) > 0:
            for year in [y for y in out[origin] if y < first_year and y in start[origin]]:
                share = start[origin][year] / start[origin][first_year]
                out[origin][year] = round(max(MIN_PER_YEAR, out[origin][first_year] * share), 1)
    return out


def at_bound(demand: dict[str, dict[int, float]], start: dict[str, dict[int, float]],
             bounds: tuple[float, float] = TOTAL_BOUNDS, first_year: int = 2016) -> list[tuple[str, int, float]]:
    """The origin-years from `first_year` on whose demand sits at either of `bounds` around `start` (within
    1 %), as (origin, year, demand / start), the highest ratio first: the nationality-years whose detections
    the fit could not reach because it may not move their demand further. Where the model's people of that
    nationality are seen less often than Frontex's (a land border crossed unseen, a route the network
    does not give them), the demand asked for runs past any bound (docs/replay_log.md, forty-second
    session)."""
    out = []
    for origin, years in demand.items():
        for year, value in years.items():
            first = (start.get(origin) or {}).get(year, 0.0)
            if int(year) < first_year or first <= 0:
                continue
            ratio = value / first
            if ratio >= bounds[1] * 0.99 or ratio <= bounds[0] * 1.01:
                out.append((origin, int(year), round(ratio, 2)))
    return sorted(out, key=lambda item: (-item[2], item[0], item[1]))


def update_preferences(preferences: dict[int, dict[str, dict[str, float]]], observed: pd.DataFrame,
                       simulated: pd.DataFrame, spread: float, damping: float = 0.7,
                       min_detections: float = MIN_NATIONALITY_YEAR,
                       reach: dict[str, set[str]] | None = None) -> dict[int, dict[str, dict[str, float]]]:
    """One damped step of each nationality's route preferences in each year (EUR added to the scenario's
    `nationality_preferences`, per corridor) towards its split between the main routes that year.

    A route the nationality reaches in the model (some simulated detections in some year of the run, or a way
    there on the network, `reach`: nationality -> route codes, where the data count at least CELL_FLOOR of
    them over the years) moves by `spread` (the route choice's spread) times the log ratio of simulated to
    observed detections, damped and bounded, also in a year it got none there; any other route is left alone
    (more preference cannot open a way that is not there, and a route nobody takes in the data or the run
    has nothing to move towards). The ways in are centred per
    nationality and year (a common shift only trades off against demand); a route in CONTINUING is not, as
    it is taken after another (the Western Balkans after the Eastern Mediterranean: its preference decides
    how many go on, not which way in, and centring it against the way in would leave the cost of the whole
    road unchanged). Every figure stays within PREFERENCE_LIMIT spreads. A nationality with fewer than
    `min_detections` in a year is left alone that year: its split is noise at the replay's scales."""
    corridors = route_corridors()
    continuing = {c for route in CONTINUING for c in corridors[route]}
    simulated = simulated.reindex(index=observed.index, columns=observed.columns, fill_value=0.0)
    # the routes a nationality reaches in some year of the run: a way it takes in one year is open in the
    # others (the dated openings aside), so a year with none on it is a preference to move, not a closed way
    reached = simulated.sum(axis=1) > 0
    if reach is not None:  # a way on the network that the data count people on, too dear for the run to take
        counted = observed.sum(axis=1) >= CELL_FLOOR
        nats, routes = zip(*reached.index)
        reached = reached | (counted & pd.Series(_within(reach, nats, routes), index=reached.index))
    out = {int(y): {n: dict(c) for n, c in by_nat.items()} for y, by_nat in preferences.items()}
    for year in observed.columns:
        for nat in observed.index.get_level_values("nationality").unique():
            obs, sim = observed.loc[nat, year], simulated.loc[nat, year]
            if float(obs.sum()) < min_detections:
                continue
            err = {route: math.log((sim[route] + CELL_FLOOR) / (obs[route] + CELL_FLOOR))
                   for route in obs.index if reached[(nat, route)]}
            if len(err) < 2:
                continue
            prefs = out.setdefault(int(year), {}).setdefault(nat, {})
            moved = {}
            for route, e in err.items():
                for corridor in corridors[route]:
                    moved[corridor] = prefs.get(corridor, 0.0) + damping * spread * float(np.clip(e, -1.0, 1.0))
            ways_in = [v for c, v in moved.items() if c not in continuing]
            mean = float(np.mean(ways_in)) if ways_in else 0.0
            limit = PREFERENCE_LIMIT * spread
            for corridor, value in moved.items():
                centred = value if corridor in continuing else value - mean
                prefs[corridor] = round(float(np.clip(centred, -limit, limit)), 1)
    return out


def nationality_error(observed: pd.DataFrame, simulated: pd.DataFrame) -> float:
    """Detections-weighted mean relative error over the observed table's cells: nationality-years (what the
    demand fit drives down), or (nationality, route)-years (what the route preferences drive down)."""
    sim = simulated.reindex(index=observed.index, columns=observed.columns, fill_value=0.0)
    return float((sim - observed).abs().to_numpy().sum() / observed.to_numpy().sum())


def fit_demand(data: dict, source: str, nationality_of: dict[str, str], *, seeds: list[int], scale: int,
               iterations: int, workers: int = 1, damping: float = 0.7, observed: pd.DataFrame | None = None,
               first: dict[str, dict[int, float]] | None = None, log=None, preferences: bool = False,
               observed_routes: pd.DataFrame | None = None, appeals: bool = False, land: bool = False,
               routes: bool = False,
               reach: dict[str, set[str]] | None = None,
               bounds: tuple[float, float] = TOTAL_BOUNDS) -> DemandFit:
    """Iterate the demand of `data["demand_by_year"]` (origins with a nationality) towards Frontex's
    detections by nationality and year (or `observed`: nationality rows x year columns), within
    `bounds` (TOTAL_BOUNDS) of `first` (default: the demand it starts from; the replay's calibration passes the first
    demand, so that fits started from earlier fits cannot drift). With `preferences`, each step also moves
    `data["nationality_preferences_by_year"]` towards each nationality's split between the main routes
    (Frontex's, or `observed_routes`: (nationality, route) rows x year columns). With `appeals`, each step
    also moves `data["destinations_by_year"]` of the destinations whose arrivals are known by year towards
    them (sim/history/appeal_fit.py). With `land`, each step also moves `data["leg_preferences_by_year"]` of
    the land crossings of the corridors of sim/history/border_fit.py towards Frontex's land/sea split by year;
    with `routes`, those of the crossings of its small ROUTES towards their detections by year.
    With `reach` (`reached_routes`), the detections Frontex counts on routes the network gives a nationality no
    way to are not its targets (observed_by_route).
    Returns the last demand (and preferences, appeals, land) and each iteration's errors."""
    nationalities = sorted(set(nationality_of.values()))
    if observed_routes is None and preferences:
        observed_routes = observed_by_route(nationalities, reach=reach)
    if observed is None:
        observed = (observed_routes.groupby(level="nationality").sum() if observed_routes is not None
                    else observed_by_nationality(nationalities, reach=reach))
    spread = float((data.get("behaviour") or {}).get("route_spread_eur", 800.0))
    demand = copy.deepcopy(data["demand_by_year"])
    prefs = copy.deepcopy(data.get("nationality_preferences_by_year") or {})
    fit = DemandFit(demand=demand, preferences=prefs if preferences else None)
    if appeals:
        from .appeal_fit import observed_arrivals, simulated_arrivals, update_appeals

        arrivals = observed_arrivals()
        own = {p: float(((data.get("destinations") or {}).get(p) or {}).get("appeal_eur", 0.0)) for p in arrivals}
        appeal = {p: {int(y): float(v) for y, v in ys.items()}
                  for p, ys in copy.deepcopy(data.get("destinations_by_year") or {}).items()}
        before = None  # the last step's figures and arrivals: each year's slope
    legs = land or routes  # leg_preferences_by_year fitted
    if legs:
        from .border_fit import (
            observed_split,
            observed_totals,
            simulated_split,
            simulated_totals,
            update_land,
            update_routes,
        )

        split, totals = observed_split(), observed_totals()
        land_prefs = {int(y): dict(v) for y, v in copy.deepcopy(data.get("leg_preferences_by_year") or {}).items()}
    for i in range(iterations):
        trial = {**data, "demand_by_year": demand}
        if preferences:
            trial["nationality_preferences_by_year"] = prefs
        if appeals:
            trial["destinations_by_year"] = appeal
        if legs:
            trial["leg_preferences_by_year"] = land_prefs
        simulated, monthly, by_route, sea, border = simulate_all(trial, source, seeds, scale=scale, workers=workers)
        err = nationality_error(observed, simulated)
        record = {"iteration": i, "nationality_error": err}
        if observed_routes is not None:
            record["split_error"] = nationality_error(observed_routes, by_route)
        fit.history.append(record)
        fit.monthly = monthly
        if appeals:
            got = {p: simulated_arrivals(sea, p) for p in arrivals}
            record["arrivals"] = {p: {y: round(got[p].get(y, 0.0)) for y in sorted(ys)} for p, ys in arrivals.items()}
        if land:
            land_got = simulated_split(border)
            record["land_share"] = {c: {y: round(v[0] / max(v[0] + v[1], 1e-9), 2) for y, v in sorted(ys.items())}
                                    for c, ys in land_got.items()}
        if routes:
            routes_got = simulated_totals(by_route)
            record["route_totals"] = {r: {y: round(v) for y, v in sorted(ys.items())} for r, ys in routes_got.items()}
        if log:
            log(f"iteration {i}: detections by nationality and year off by {err:.1%} (weighted)"
                + (f"; by nationality, route and year {record['split_error']:.1%}" if "split_error" in record else "")
                + ("".join(f"; {p} arrivals by year {v}" for p, v in record["arrivals"].items()) if appeals else "")
                + ("".join(f"; {c} land share by year {v}" for c, v in record["land_share"].items()) if land else "")
                + ("".join(f"; {r} detections by year {v}" for r, v in record["route_totals"].items()) if routes else ""))
        demand = update(demand, nationality_of, observed, simulated, damping, start=first or data["demand_by_year"],
                        bounds=bounds)
        if preferences:
            prefs = update_preferences(prefs, observed_routes, by_route, spread, damping, reach=reach)
        if appeals:
            appeal, before = update_appeals(appeal, own, arrivals, got, spread, damping, before), (appeal, got)
        if land:
            land_prefs = update_land(land_prefs, split, land_got, spread, damping)
        if routes:
            land_prefs = update_routes(land_prefs, totals, routes_got, spread, damping)
    fit.demand = demand
    if preferences:
        fit.preferences = prefs
    if appeals:
        fit.appeals = appeal
    if legs:
        fit.land = land_prefs
    return fit


def yearly_route_errors(monthly: pd.DataFrame, observed_monthly: pd.DataFrame) -> pd.DataFrame:
    """(simulated - observed) / observed per corridor (rows) and year (columns)."""
    s = monthly.assign(year=monthly["month"].dt.year).groupby(["corridor", "year"])["detections"].sum()
    o = observed_monthly.assign(year=observed_monthly["month"].dt.year).groupby(["corridor", "year"])["detections"].sum()
    both = pd.concat([s.rename("sim"), o.rename("obs")], axis=1).dropna(subset=["obs"]).fillna(0.0)
    return ((both["sim"] - both["obs"]) / both["obs"]).unstack("year")


__all__ = ["DemandFit", "at_bound", "fit_demand", "nationality_error", "observed_by_nationality", "observed_by_route",
           "reached_routes", "replay_figures", "unreached", "simulate", "simulate_all", "simulate_routes", "simulate_with_sea", "update",
           "update_preferences",
           "yearly_route_errors"]


def write_demand(path: Path, demand: dict[str, dict[int, float]], note: str,
                 preferences: dict[int, dict[str, dict[str, float]]] | None = None,
                 appeals: dict[str, dict[int, float]] | None = None,
                 land: dict[int, dict[str, float]] | None = None) -> Path:
    """Put the fitted demand (and route preferences and destinations' appeal by year, when given) into the
    replay's calibrated file (demand_by_year, nationality_preferences_by_year, destinations_by_year), keeping its seasonality and response parameters;
    written then renamed."""
    import yaml

    from ..files import atomic_write, read_yaml_mapping

    body = read_yaml_mapping(path, "the replay's calibrated file")
    body["demand_by_year"] = {o: {int(y): float(v) for y, v in sorted(ys.items())} for o, ys in demand.items()}
    if preferences is not None:
        body["nationality_preferences_by_year"] = {
            int(y): {n: {c: float(v) for c, v in sorted(cs.items())} for n, cs in sorted(by_nat.items())}
            for y, by_nat in sorted(preferences.items(), key=lambda kv: int(kv[0]))}
    if appeals is not None:
        body["destinations_by_year"] = {p: {int(y): float(v) for y, v in sorted(ys.items())}
                                        for p, ys in sorted(appeals.items())}
    if land is not None:
        body["leg_preferences_by_year"] = {int(y): {leg: float(v) for leg, v in sorted(legs.items())}
                                           for y, legs in sorted(land.items())}
    lines = path.read_text().splitlines()
    keep = ([line for line in lines if line.startswith("# behaviour.effects:")][-1:]
            + [line for line in lines if line.startswith("# behaviour.seasonality:")][-1:]
            + [line for line in lines if line.startswith("# spin_up_demand_months:")][-1:])
    header = ("# Demand per origin by year (and, when fitted, each nationality's route preferences by year) fitted\n"
              "# by `python -m sim calibrate --replay` to Frontex's detections by nationality, route and year\n"
              f"# (sim/history/demand_fit.py): {note}.\n"
              "# Seasonality from data/history/seasonality.yaml unless fitted (below). Do not edit by hand: rerun\n"
              "# the calibration.\n"
              "# scenarios/history/europe_2016_2023.yaml reads it.\n" + "".join(line + "\n" for line in keep))
    text = header + yaml.safe_dump(body, sort_keys=False)
    atomic_write(path, lambda p: Path(p).write_text(text))
    return path
