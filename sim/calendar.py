"""Calendar time: a scenario may start on a date; levers may start and end on dates; results carry
the date and aggregate to calendar months.

Inside the model everything stays in day numbers (day 0 = `start_date`). Dates are turned into day
numbers when a scenario is read, so the rest of the code never sees one.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

LEVER_LISTS = ("interventions", "events")


def _as_date(value) -> dt.date | None:
    """A date from a YAML date or an ISO text (2016-01-01); None for anything else (a day number)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def resolve_dates(data):
    """Turn the dates of a scenario mapping (lever `start` / `end`) into day numbers against its
    `start_date`. A lever that started before `start_date` was in force before the run: it acts from the
first day of the spin-up (a negative day; from day 0 without one). Raises ValueError (one line,
    naming the field) for a date without a `start_date`. Leaves anything else for the schema to judge."""
    if not isinstance(data, dict):
        return data
    start = _as_date(data.get("start_date")) if data.get("start_date") is not None else None
    if data.get("start_date") is not None and start is None:
        return data  # the schema says what is wrong with it
    out = dict(data)
    spin_up = data.get("spin_up_days") if isinstance(data.get("spin_up_days"), int) else 0
    spin_up = max(0, min(spin_up, 3650))
    for group in LEVER_LISTS:
        levers = data.get(group)
        if not isinstance(levers, list):
            continue
        converted = []
        for i, lever in enumerate(levers):
            if isinstance(lever, dict):
                lever = dict(lever)
                for key in ("start", "end"):
                    when = _as_date(lever.get(key))
                    if when is None:
                        continue
                    if start is None:
                        raise ValueError(f"{group}[{i}].{key} is a date ({when.isoformat()}): "
                                         "give the scenario a start_date to count days from")
                    days = (when - start).days
                    lever[key] = max(days, -spin_up) if key == "start" else max(days, -spin_up + 1)
            converted.append(lever)
        out[group] = converted
    seasons = (data.get("behaviour") or {}).get("seasonality") if isinstance(data.get("behaviour"), dict) else None
    if seasons and start is None:
        raise ValueError("behaviour.seasonality is by calendar month: give the scenario a start_date")
    return out


def dates(start_date: dt.date | str, days) -> np.ndarray:
    """The calendar date of each day number (numpy datetime64[D])."""
    return np.datetime64(str(start_date), "D") + np.asarray(days, dtype="timedelta64[D]")


def month_of_day(start_date: dt.date | str, days) -> np.ndarray:
    """Calendar month (0 = January) of each day number, negative days (spin-up) included."""
    d = dates(start_date, days)
    return (d.astype("datetime64[M]").astype(np.int64) % 12).astype(np.int64)


def add_dates(tables: dict[str, pd.DataFrame], start_date: str) -> None:
    """A `date` column beside `day` in the daily and corridors tables, and a `monthly` table."""
    for name in ("daily", "corridors"):
        frame = tables[name]
        frame.insert(1, "date", pd.to_datetime(dates(start_date, frame["day"].to_numpy())))
    tables["monthly"] = monthly(tables["corridors"])


MONTHLY_FLOWS = ("attempts", "crossings", "arrivals", "interceptions", "deaths", "refused_boarding", "paid",
                 "revenue_eur", "detections")


def monthly(corridors: pd.DataFrame) -> pd.DataFrame:
    """Flows per corridor and calendar month (`month` is the month's first day), with the number of
    days of the month the run covered (a run that starts or ends mid-month has partial months)."""
    frame = corridors.assign(month=corridors["date"].dt.to_period("M").dt.to_timestamp())
    flows = [c for c in MONTHLY_FLOWS if c in frame.columns]
    out = frame.groupby(["month", "corridor"], sort=True).agg(
        **{c: (c, "sum") for c in flows}, days=("day", "nunique")).reset_index()
    return out


__all__ = ["add_dates", "dates", "month_of_day", "monthly", "resolve_dates"]
