"""Observed vs simulated detections per main route and calendar month over the replay, with the
averaged relative difference per route (mean over months of |simulated - observed| / observed, months
with no observed detection left out) and the yearly relative differences. Targets (issue 11, item 7):
ARD <= 0.30 per main route; every year within +-15 %.

The floor beside each route's ARD is a reference for what yearly levels can give: the ARD of every
year's total exactly right, spread over the months by the route's mean season of the other years (month
shares averaged over them). A replay gets below it only by carrying changes within a year (the
episodes' measures) or by fitting the season to the same months."""

from __future__ import annotations

import pandas as pd

from .data import MAIN_ROUTES, monthly_observed
from .episodes import by_route

ARD_TARGET = 0.30
YEAR_TARGET = 0.15


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


def ard_floor(observed: pd.DataFrame) -> float | None:
    """The ARD of the yearly totals spread by the mean season of the other years (columns month,
    detections_observed; full calendar years only). None with fewer than two full years."""
    t = observed.assign(year=observed["month"].dt.year, m=observed["month"].dt.month)
    full = t.groupby("year")["m"].nunique()
    t = t[t["year"].isin(full[full == 12].index)]
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


def route_rows(table: pd.DataFrame) -> list[dict]:
    rows = []
    for route in MAIN_ROUTES:
        t = table[table["route"] == route]
        ard = _ard(t["detections_simulated"], t["detections_observed"])
        years = t.groupby(t["month"].dt.year)[["detections_observed", "detections_simulated"]].sum()
        rel = ((years["detections_simulated"] - years["detections_observed"])
               / years["detections_observed"].where(years["detections_observed"] > 0))
        rows.append({"route": route, "months": len(t), "ard": ard, "ard_ok": ard is not None and ard <= ARD_TARGET,
                     "floor": ard_floor(t),
                     "years": {int(y): (None if pd.isna(v) else float(v)) for y, v in rel.items()},
                     "years_ok": int((rel.abs() <= YEAR_TARGET).sum()), "years_n": int(rel.notna().sum())})
    return rows


def monthly_markdown(rows: list[dict], settings: dict) -> str:
    years = sorted({y for r in rows for y in r["years"]})
    head = ("| route | months | ARD | ARD <= 0.30 | floor | " + " | ".join(str(y) for y in years)
            + " | years within ±15 % |")
    lines = [f"Replay `{settings['scenario']}`, {settings['replicates']} seeds ({settings['seeds']}), scale "
             f"{settings['scale']}, {settings['days']} days; inputs {settings['fingerprint']}. ARD = mean over "
             "months of |simulated - observed| / observed (Frontex monthly detections); the year columns are "
             "(simulated - observed) / observed for the year. Floor = the ARD if every year's total were exact and its "
             "months followed the route's mean season of the other years: what yearly demand and a fixed season give "
             "when the levels are perfect and no measure acts within a year (a reference, not a bound).", "", head,
             "|" + "---|" * (5 + len(years) + 1)]
    for r in rows:
        ard = "—" if r["ard"] is None else f"{r['ard']:.2f}"
        floor = "—" if r.get("floor") is None else f"{r['floor']:.2f}"
        cells = ["—" if r["years"].get(y) is None else f"{r['years'][y]:+.0%}" for y in years]
        lines.append(f"| {r['route']} | {r['months']} | {ard} | {'yes' if r['ard_ok'] else '**no**'} | {floor} | "
                     + " | ".join(cells) + f" | {r['years_ok']} of {r['years_n']} |")
    return "\n".join(lines)
