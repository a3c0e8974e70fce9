"""Results of one run: tidy tables (pandas), a summary of totals, and safe writing to disk."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .files import atomic_write, write_json
from .model.people import STATES
from .model.recorder import COUNTRY_FLOWS, COUNTRY_LEVELS, LEG_FLOWS, LEG_LEVELS, PLACE_FLOWS, PLACE_LEVELS, SCALED
from .summary import ARRIVALS_NOTE, ATTEMPTS_NOTE, cost_by_corridor, summarise  # noqa: F401 - notes: their old home

TABLES = ("daily", "legs", "corridors", "places", "countries", "networks", "origins")
SUMMARY_KEYS = (
    "attempts", "departures", "crossings", "arrivals", "interceptions", "deaths", "stranded", "alternatives_taken",
    "smuggler_revenue_eur", "proceeds_seized_eur", "networks_dismantled", "mean_fee_eur", "cost_eur",
    "detections", "refused_boarding", "bribes_eur", "arrests", "created", "left", "stayed", "returned",
    "ever_stranded", "deaths_per_1000_attempts",
)


@dataclass
class Results:
    """Everything a run reports. Tables hold people (not model entries) and euros."""

    meta: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, rec, w, routes, meta: dict, *, horizon: int, stranded_legs: np.ndarray, levers) -> Results:
        """Tables and summary from a run's recorder. `meta` holds the days that ran and the scale;
        `horizon` is the run's planned length (interventions' costs are pro-rated to it),
        `stranded_legs` the leg each person stranded at the end could not pay for."""
        days = meta["days"]  # only the days that ran
        scale = meta["scale"]
        day = np.arange(days)

        def tidy(arrays, names, ids, id_name):
            cols = {"day": np.repeat(day, len(ids)), id_name: np.tile(ids, days)}
            for name in names:
                values = arrays[name][:days].ravel()
                cols[name] = values * scale if name in SCALED else values
            return pd.DataFrame(cols)

        legs = tidy(rec.leg, LEG_FLOWS + LEG_LEVELS, routes.legs["id"].to_numpy(), "leg")
        legs.insert(2, "corridor", np.tile(routes.legs["corridor"].to_numpy(), days))
        # irregular crossing attempts: departures on legs with a border control or a smuggler (not the
        # ordinary bus and flight legs people also take on their way)
        irregular = np.tile(w.controlled | w.smuggled, days)
        legs.insert(3, "attempts", np.where(irregular, legs["departures"], 0.0))
        legs["arrivals"] = np.where(np.tile(w.is_destination[w.dst], days), legs["crossings"], 0)
        places = tidy(rec.place, PLACE_FLOWS + PLACE_LEVELS, routes.places["id"].to_numpy(), "place")
        countries = tidy(rec.country, COUNTRY_FLOWS + COUNTRY_LEVELS, np.array(w.iso3), "iso3")
        flows = ["attempts", "departures", "crossings", "arrivals", "interceptions", "deaths", "refused_boarding", "paid",
                 "revenue_eur", "detections"]
        corridors = legs.groupby(["day", "corridor"], sort=True)[flows].sum().reset_index()
        corridors["mean_fee_eur"] = np.where(corridors["paid"] > 0,
                                             corridors["revenue_eur"] / corridors["paid"].where(corridors["paid"] > 0), np.nan)
        gone = pd.DataFrame(rec.dismantled_by_corridor[:days], columns=w.corridors)
        gone = gone.stack().rename("networks_dismantled").reset_index().rename(
            columns={"level_0": "day", "level_1": "corridor"})
        corridors = corridors.merge(gone, on=["day", "corridor"], how="left")
        # arrivals are counted where people reach a destination: a corridor whose legs all end before one
        # (a transit corridor, e.g. up to the bloc's border) has no arrivals by design
        ends = np.bincount(w.corridor, weights=w.is_destination[w.dst], minlength=len(w.corridors)) > 0
        reaches = dict(zip(w.corridors, ends))
        corridors["reaches_destination"] = corridors["corridor"].map(reaches).astype(bool)

        networks = pd.DataFrame(rec.network_rows, columns=[
            "day", "network", "corridor", "members", "capital_eur", "capacity", "markup", "revenue_eur",
            "bribes_eur", "seized_eur", "arrested", "online_reach", "active"])
        # a network pays its members every day, money or not: below zero its capital is wages it owes
        # (it then sheds members), shown as such rather than as negative capital
        owed = networks["capital_eur"].to_numpy()
        networks.insert(5, "unpaid_wages_eur", np.maximum(-owed, 0.0))
        networks["capital_eur"] = np.maximum(owed, 0.0)
        seized = (networks["corridor"].to_numpy(np.int64), networks["seized_eur"].to_numpy(np.float64))
        networks["corridor"] = [w.corridors[c] for c in networks["corridor"]]

        daily = pd.DataFrame({"day": day})
        for name in flows:
            daily[name] = legs.groupby("day")[name].sum().to_numpy()
        for name in PLACE_FLOWS + PLACE_LEVELS:
            daily[name] = places.groupby("day")[name].sum().to_numpy()
        for name in COUNTRY_FLOWS:
            daily[name] = countries.groupby("day")[name].sum().to_numpy()
        for i, name in enumerate(STATES):
            daily[f"state_{name}"] = rec.states[:days, i] * scale
        daily["networks_active"] = rec.networks_active[:days]
        daily["networks_dismantled"] = rec.networks_dismantled[:days]
        daily["mean_fee_eur"] = daily["revenue_eur"] / daily["paid"].where(daily["paid"] > 0)

        tally = rec.detections_by_origin * scale
        k, c = np.nonzero(tally)
        origins = pd.DataFrame({"corridor": [w.corridors[i] for i in k], "nationality": [w.iso3[i] for i in c],
                                "detections": tally[k, c]})
        tables = {"daily": daily, "legs": legs, "corridors": corridors, "places": places,
                  "countries": countries, "networks": networks, "origins": origins}
        if meta.get("start_date"):
            from .calendar import add_dates

            add_dates(tables, meta["start_date"])
            by_year = rec.detections_by_year
            if by_year is not None:
                first = int(str(meta["start_date"])[:4])
                y, k, c = np.nonzero(by_year)
                tables["origins_yearly"] = pd.DataFrame({
                    "year": y + first, "corridor": [w.corridors[i] for i in k],
                    "nationality": [w.iso3[i] for i in c], "detections": by_year[y, k, c] * scale})
        res = cls(meta=meta, tables=tables)
        res.summary = summarise(rec, w, meta, stranded_legs=stranded_legs, cost=levers.cost_eur(),
                                cost_by=cost_by_corridor(w, levers, horizon), networks_seized=seized)
        return res

    # ------------------------------------------------------------------ writing and reading
    def write(self, out: str | Path) -> Path:
        """Write summary.json and one Parquet file per table; each file appears whole or not at all."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in self.tables.items():
            atomic_write(out / f"{name}.parquet", lambda p, f=frame: f.to_parquet(p, index=False))
        write_json(out / "summary.json", self.summary)
        return out

    @classmethod
    def read(cls, folder: str | Path) -> Results:
        folder = Path(folder)
        summary_path = folder / "summary.json"
        try:
            summary = json.loads(summary_path.read_text())
        except FileNotFoundError:
            raise InputError(summary_path, None, "file not found") from None
        except json.JSONDecodeError as exc:
            raise InputError(summary_path, None, f"cut short or not JSON ({exc.msg})") from None
        tables = {}
        for name in TABLES:
            path = folder / f"{name}.parquet"
            try:
                tables[name] = pd.read_parquet(path)
            except FileNotFoundError:
                raise InputError(path, None, "file not found") from None
            except Exception as exc:  # pyarrow raises ArrowInvalid and OSError for truncated files
                raise InputError(path, None, f"cut short or not Parquet ({type(exc).__name__})") from None
        return cls(meta=summary.get("meta", {}), tables=tables, summary=summary)
