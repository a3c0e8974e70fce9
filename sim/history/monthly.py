"""Observed vs simulated detections per main route and calendar month over the replay, with the
averaged relative difference per route (mean over months of |simulated - observed| / observed, months
with no observed detection left out) and the yearly relative differences. Targets (issue 11, item 7):
ARD <= 0.30 per main route; every year within +-15 %."""

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


def route_rows(table: pd.DataFrame) -> list[dict]:
    rows = []
    for route in MAIN_ROUTES:
        t = table[table["route"] == route]
        seen = t[t["detections_observed"] > 0]
        ard = float(((seen["detections_simulated"] - seen["detections_observed"]).abs()
                     / seen["detections_observed"]).mean()) if len(seen) else None
        years = t.groupby(t["month"].dt.year)[["detections_observed", "detections_simulated"]].sum()
        rel = ((years["detections_simulated"] - years["detections_observed"])
               / years["detections_observed"].where(years["detections_observed"] > 0))
        rows.append({"route": route, "months": len(t), "ard": ard, "ard_ok": ard is not None and ard <= ARD_TARGET,
                     "years": {int(y): (None if pd.isna(v) else float(v)) for y, v in rel.items()},
                     "years_ok": int((rel.abs() <= YEAR_TARGET).sum()), "years_n": int(rel.notna().sum())})
    return rows


def monthly_markdown(rows: list[dict], settings: dict) -> str:
    years = sorted({y for r in rows for y in r["years"]})
    head = ("| route | months | ARD | ARD <= 0.30 | " + " | ".join(str(y) for y in years)
            + " | years within ±15 % |")
    lines = [f"Replay `{settings['scenario']}`, {settings['replicates']} seeds ({settings['seeds']}), scale "
             f"{settings['scale']}, {settings['days']} days; inputs {settings['fingerprint']}. ARD = mean over "
             "months of |simulated - observed| / observed (Frontex monthly detections); the year columns are "
             "(simulated - observed) / observed for the year.", "", head,
             "|" + "---|" * (4 + len(years) + 1)]
    for r in rows:
        ard = "—" if r["ard"] is None else f"{r['ard']:.2f}"
        cells = ["—" if r["years"].get(y) is None else f"{r['years'][y]:+.0%}" for y in years]
        lines.append(f"| {r['route']} | {r['months']} | {ard} | {'yes' if r['ard_ok'] else '**no**'} | "
                     + " | ".join(cells) + f" | {r['years_ok']} of {r['years_n']} |")
    return "\n".join(lines)
