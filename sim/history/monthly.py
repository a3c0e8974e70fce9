"""Observed vs simulated detections per main route and calendar month over the replay, with the
averaged relative difference per route (mean over months of |simulated - observed| / observed, months
with no observed detection left out) and the yearly relative differences. Targets (issue 11, item 7):
ARD <= 0.30 per main route; every year within +-15 %.

The floor beside each route's ARD is a reference for what yearly levels can give: the ARD of every
year's total exactly right, spread over the months by the route's mean season of the other years (month
shares averaged over them). A replay gets below it only by carrying changes within a year (the
episodes' measures) or by fitting the season to the same months.

The bounds beside it are true lower bounds (`ard_bound`): no months of the form (a year's total, exact or
within +-15 % of Frontex's, the yearly target) x (one season for the route, of any shape, chosen on these same
months) score an ARD below them. They are linear programs; what gets a replay below them is only what changes
within a year.

Each figure also gets its range over the seeds resampled (`seed_ranges`): the ensemble mean is recomputed on
the seeds drawn with replacement, and the 5th and 95th percentiles of the ARD and of each year's difference
tell how far the same number of other seeds might move them (the model's sampling, not the data's)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import MAIN_ROUTES, monthly_observed
from .episodes import by_route

ARD_TARGET = 0.30
YEAR_TARGET = 0.15
RESAMPLES = 1000  # ensembles drawn for seed_ranges
RANGE_LEVEL = 0.90  # the share of them a range holds


def compare(sim: pd.DataFrame, observed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per route and month: observed and simulated detections (the months the run covers)."""
    sim = by_route(sim)
    first, last = sim["month"].min(), sim["month"].max()
    observed = observed if observed is not None else monthly_observed(first.year, last.year)
    observed = observed[(observed["month"] >= first) & (observed["month"] <= last)]
    out = observed.merge(sim, on=["route", "month"], how="left", suffixes=("_observed", "_simulated"))
    return out.fillna({"detections_simulated": 0.0})


def _ard(simulated: pd.Series, observed: pd.Series) -> float | None:
    seen = observed > 0
    return float(((simulated[seen] - observed[seen]).abs() / observed[seen]).mean()) if seen.any() else None


def _full_years(observed: pd.DataFrame) -> pd.DataFrame:
    """The rows of calendar years with all twelve months, with columns year and m (the month, 1-12)."""
    t = observed.assign(year=observed["month"].dt.year, m=observed["month"].dt.month)
    full = t.groupby("year")["m"].nunique()
    return t[t["year"].isin(full[full == 12].index)]


def ard_floor(observed: pd.DataFrame) -> float | None:
    """The ARD of the yearly totals spread by the mean season of the other years (columns month,
    detections_observed; full calendar years only). None with fewer than two full years."""
    t = _full_years(observed)
    totals = t.groupby("year")["detections_observed"].transform("sum")
    t = t.assign(share=(t["detections_observed"] / totals.where(totals > 0)).fillna(0.0), total=totals)
    if t["year"].nunique() < 2:
        return None
    spread = []
    for year, rows in t.groupby("year"):
        season = t[t["year"] != year].groupby("m")["share"].mean()
        season = season / season.sum() if season.sum() > 0 else season
        spread.append(pd.Series(rows["total"].to_numpy() * season.loc[rows["m"]].to_numpy(), index=rows.index))
    return _ard(pd.concat(spread), t["detections_observed"])


def ard_bound(observed: pd.DataFrame, band: float = YEAR_TARGET) -> float | None:
    """See best_season: its ARD alone."""
    found = best_season(observed, band)
    return None if found is None else found[0]


def best_season(observed: pd.DataFrame, band: float = YEAR_TARGET) -> tuple[float, np.ndarray] | None:
    """The least ARD that months of the form L_y * s_m can score on `observed` (columns month,
    detections_observed; full calendar years only): s one season (12 shares, summing to 1, any shape) and
    L_y the year's total, within `band` of the observed total. None without a full year.

    Solved as a linear program (scipy's HiGHS) over a relaxation: each month may take its own level within
    the band, where the model has one per year, so the optimum is at or below the best such model's ARD: a
    bound no yearly level and fixed season can beat, however both are chosen. With band 0 nothing is relaxed
    and it is that best model's ARD exactly, scored by the season returned with it (12 shares)."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    t = _full_years(observed)
    if t.empty:
        return None
    totals = t.groupby("year")["detections_observed"].transform("sum").to_numpy(float)
    seen = (t["detections_observed"] > 0).to_numpy()
    obs, total, month = t["detections_observed"].to_numpy(float)[seen], totals[seen], t["m"].to_numpy()[seen] - 1
    n = len(obs)
    if n == 0:
        return None
    # variables: the season s (12), each seen month's simulated P (n) and its error e (n), e >= |P - o| / o
    i = np.arange(n)
    p, e = 12 + i, 12 + n + i
    rows = np.concatenate([4 * i, 4 * i, 4 * i + 1, 4 * i + 1, 4 * i + 2, 4 * i + 2, 4 * i + 3, 4 * i + 3])
    cols = np.concatenate([p, e, p, e, p, month, p, month])
    vals = np.concatenate([np.ones(n), -obs, -np.ones(n), -obs,  # P - o e <= o ; -P - o e <= -o
                           np.ones(n), -(1 + band) * total,  # P <= (1 + band) T s_m
                           -np.ones(n), (1 - band) * total])  # P >= (1 - band) T s_m
    a_ub = coo_matrix((vals, (rows, cols)), shape=(4 * n, 12 + 2 * n)).tocsr()
    b_ub = np.zeros(4 * n)
    b_ub[0::4], b_ub[1::4] = obs, -obs
    cost = np.concatenate([np.zeros(12 + n), np.full(n, 1.0 / n)])
    a_eq = np.concatenate([np.ones(12), np.zeros(2 * n)])[None, :]
    res = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0], bounds=(0, None), method="highs")
    return (float(res.fun), res.x[:12]) if res.status == 0 else None


def seed_ranges(frames: list[pd.DataFrame], observed: pd.DataFrame | None = None, *, draws: int = RESAMPLES,
                level: float = RANGE_LEVEL, rng_seed: int = 0) -> dict[str, dict]:
    """Per route: {"ard": (low, high), "years": {year: (low, high)}}, the central `level` range of the ARD and
    of each year's (simulated - observed) / observed over `draws` ensemble means of the seeds' runs (`frames`,
    one per seed: month, corridor, detections) drawn with replacement (a bootstrap; a fixed generator, so the
    page is the same on every run). With one seed there is nothing to resample: {}."""
    if len(frames) < 2:
        return {}
    if observed is None:  # read once, not once per seed (compare would read it for each)
        months = frames[0]["month"]
        observed = monthly_observed(months.min().year, months.max().year)
    tables = [compare(f[["month", "corridor", "detections"]], observed).sort_values(["route", "month"],
                                                                                    ignore_index=True)
              for f in frames]
    cells = tables[0][["route", "month", "detections_observed"]]
    runs = np.stack([t["detections_simulated"].to_numpy(float) for t in tables])  # seeds x cells
    rng = np.random.default_rng(rng_seed)
    weights = rng.multinomial(len(frames), np.full(len(frames), 1 / len(frames)), size=draws) / len(frames)
    means = weights @ runs  # draws x cells
    obs = cells["detections_observed"].to_numpy(float)
    tail = (1 - level) / 2
    out = {}
    for route in MAIN_ROUTES:
        here = (cells["route"] == route).to_numpy()
        if not here.any():
            continue
        seen = here & (obs > 0)
        entry = {"years": {}}
        if seen.any():
            ards = (np.abs(means[:, seen] - obs[seen]) / obs[seen]).mean(axis=1)
            entry["ard"] = tuple(float(x) for x in np.quantile(ards, [tail, 1 - tail]))
        for year in sorted(cells.loc[here, "month"].dt.year.unique()):
            cols = here & (cells["month"].dt.year == year).to_numpy()
            total = obs[cols].sum()
            if total > 0:
                rel = means[:, cols].sum(axis=1) / total - 1
                entry["years"][int(year)] = tuple(float(x) for x in np.quantile(rel, [tail, 1 - tail]))
        out[route] = entry
    return out


def route_rows(table: pd.DataFrame, ranges: dict[str, dict] | None = None) -> list[dict]:
    """Per main route: the ARD, whether it meets its target, the floor and the bound, each year's relative difference and
    how many years are within +-15 %; with `ranges` (seed_ranges), also the ARD's and the years' ranges."""
    ranges = ranges or {}
    rows = []
    for route in MAIN_ROUTES:
        t = table[table["route"] == route]
        ard = _ard(t["detections_simulated"], t["detections_observed"])
        years = t.groupby(t["month"].dt.year)[["detections_observed", "detections_simulated"]].sum()
        rel = ((years["detections_simulated"] - years["detections_observed"])
               / years["detections_observed"].where(years["detections_observed"] > 0))
        rows.append({"route": route, "months": len(t), "ard": ard, "ard_ok": ard is not None and ard <= ARD_TARGET,
                     "floor": ard_floor(t), "bound_exact": ard_bound(t, band=0.0), "bound": ard_bound(t),
                     "years": {int(y): (None if pd.isna(v) else float(v)) for y, v in rel.items()},
                     "years_ok": int((rel.abs() <= YEAR_TARGET).sum()), "years_n": int(rel.notna().sum()),
                     "ard_range": ranges.get(route, {}).get("ard"),
                     "year_ranges": ranges.get(route, {}).get("years", {})})
    return rows


def _span(pair: tuple[float, float] | None, fmt: str) -> str:
    return "" if pair is None else f" ({format(pair[0], fmt)} to {format(pair[1], fmt)})"


def monthly_markdown(rows: list[dict], settings: dict) -> str:
    years = sorted({y for r in rows for y in r["years"]})
    ranged = any(r.get("ard_range") for r in rows)
    head = ("| route | months | ARD" + (" (seeds resampled)" if ranged else "") + " | ARD <= 0.30 | floor | bound, years exact | bound, years ±15 % | "
            + " | ".join(str(y) for y in years) + " | years within ±15 % |")
    lines = [f"Replay `{settings['scenario']}`, {settings['replicates']} seeds ({settings['seeds']}), scale "
             f"{settings['scale']}, {settings['days']} days; inputs {settings['fingerprint']}. ARD = mean over "
             "months of |simulated - observed| / observed (Frontex monthly detections); the year columns are "
             "(simulated - observed) / observed for the year. Floor = the ARD if every year's total were exact and its "
             "months followed the route's mean season of the other years: what yearly demand and a fixed season give "
             "when the levels are perfect and no measure acts within a year (a reference, not a bound). "
             f"Bound = the least ARD any months of the form (the year's total) x (one season for the route, of any shape, "
             "chosen on these same months) can score, with every year's total exact, then with each within "
             f"±{YEAR_TARGET * 100:.0f} % of Frontex's (linear programs; the second relaxed to a level per month "
             "within the band, so below the best such model): a yearly demand and a fixed season, however both are "
             "fitted, do not get below it; only changes within a year do."
             + (f" In brackets, and in the list below the table: the central {RANGE_LEVEL:.0%} of the figure over "
                f"{RESAMPLES:,} ensembles of the same seeds drawn with replacement, how far as many other seeds "
                "might move it." if ranged else ""), "", head,
             "|" + "---|" * (7 + len(years) + 1)]
    for r in rows:
        ard = "—" if r["ard"] is None else f"{r['ard']:.2f}" + _span(r.get("ard_range"), ".2f")
        floor = "—" if r.get("floor") is None else f"{r['floor']:.2f}"
        bounds = " | ".join("—" if r.get(k) is None else f"{r[k]:.2f}" for k in ("bound_exact", "bound"))
        cells = ["—" if r["years"].get(y) is None else f"{r['years'][y]:+.0%}" for y in years]
        lines.append(f"| {r['route']} | {r['months']} | {ard} | {'yes' if r['ard_ok'] else '**no**'} | {floor} | {bounds} | "
                     + " | ".join(cells) + f" | {r['years_ok']} of {r['years_n']} |")
    if ranged:
        out, edge = [], []
        for r in rows:
            for y in years:
                v, span = r["years"].get(y), (r.get("year_ranges") or {}).get(y)
                if v is None or span is None:
                    continue
                text = f"{r['route']} {y} {v:+.0%}" + _span(span, "+.0%")
                if abs(v) > YEAR_TARGET:
                    out.append(text)
                elif min(span) < -YEAR_TARGET or max(span) > YEAR_TARGET:
                    edge.append(text)
        lines += ["", "- Route-years outside ±15 %: " + ("; ".join(out) if out else "none") + ".",
                  "- Inside, with a range that crosses ±15 %: " + ("; ".join(edge) if edge else "none") + "."]
    return "\n".join(lines)
