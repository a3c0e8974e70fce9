"""A run's summary (overall and per-corridor totals) straight from the recorder's arrays.

`Results.build` takes its summary from here, and a sweep that keeps only summary figures calls
`summarise` without building the tables at all (they cost far more than the sums: about 0.1 s a run
at 1:1000 against a few ms). The figures are bit-identical to the totals of the tables
(tests/test_summary.py checks them against the tables): every sum is taken in the same order with the
same algorithm as the tables' pandas sums, i.e. per day (and corridor) a pandas group sum over the
legs, places or countries in table order (sim.group_sum: pandas' own algorithms, without the DataFrames),
then a NumPy sum of those per-day figures over the days.
"""

from __future__ import annotations

import numpy as np

from .group_sum import day_sums
from .group_sum import group_sums as summed_by_group
from .model.people import STATES
from .model.recorder import SCALED
from .scenario import Intervention

ATTEMPTS_NOTE = ("attempts: irregular crossing attempts, departures on legs with a border control or a "
                 "smuggler; departures: every leg anyone sets off on, ordinary transport included")
ARRIVALS_NOTE = ("arrivals are counted at destinations only: transit corridors (their legs end before a "
                 "destination, listed in transit_corridors) have no arrivals by design")
# per leg and day: the corridors' flows (and, summed over legs, the day's)
LEG_TOTALS = ("attempts", "departures", "crossings", "arrivals", "interceptions", "deaths", "refused_boarding",
              "paid", "revenue_eur", "detections")
PLACE_TOTALS = ("created", "left", "stayed", "alternatives", "arrivals", "returned", "stranded_new")
COUNTRY_TOTALS = ("arrests", "seized_eur", "bribes_eur")


def block(arrays: dict[str, np.ndarray], names, days: int, scale=None, out: np.ndarray | None = None) -> np.ndarray:
    """The named (days, n) arrays as the rows of one (names, days x n) array, in table order (day, then
    leg, place or country) and in people where the tables scale them: the layout of a DataFrame's float
    block, so that pandas sums it without copying it first (the copy cost more than the sums).
    `out`: the rows to fill (None: a new array); a name given as None leaves its row unset."""
    n = arrays[next(name for name in names if name is not None)].shape[1]
    out = np.empty((len(names), days * n)) if out is None else out
    for i, name in enumerate(names):
        if name is None:
            continue
        row = out[i].reshape(days, n)
        if scale is not None and name in SCALED:
            np.multiply(arrays[name][:days], scale, out=row)
        else:
            row[...] = arrays[name][:days]
    return out


def leg_block(rec, w, days: int, scale) -> np.ndarray:
    """The legs table's flow columns (LEG_TOTALS), see block; filled in place (one copy of the recorder's
    arrays: a block of the recorded ones put into this one cost a second)."""
    derived = ("attempts", "arrivals")
    out = block(rec.leg, [None if name in derived else name for name in LEG_TOTALS], days, scale,
                out=np.empty((len(LEG_TOTALS), days * w.n_legs)))
    flows = out.reshape(len(LEG_TOTALS), days, w.n_legs)
    # irregular crossing attempts: departures on legs with a border control or a smuggler; arrivals: the
    # crossings of legs ending at a destination; 0.0 elsewhere (as np.where gave, whatever the values)
    for name, source, keep in (("attempts", "departures", w.controlled | w.smuggled),
                               ("arrivals", "crossings", w.is_destination[w.dst])):
        row = flows[LEG_TOTALS.index(name)]
        row[...] = 0.0
        np.copyto(row, flows[LEG_TOTALS.index(source)], where=keep.astype(bool))
    return out


def group_sums(values: np.ndarray, names, labels: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    """Per label 0..n_groups-1, each row's (each column's, in the table) sum over its entries in order, with
    pandas' group sum: the algorithm behind the tables' groupby sums (pandas picks it by whether the
    labels are sorted; sim.group_sum runs the same one without pandas), so that the figures are the same
    to the last bit."""
    sums = summed_by_group(values, labels, n_groups)
    return {k: sums[i] for i, k in enumerate(names)}


def per_day(values: np.ndarray, names, days: int) -> dict[str, np.ndarray]:
    """The day's sum of each row of a block (see block) over the table's rows of that day: the group sum
    of labels 0, 0, ..., 1, 1, ... (sim.group_sum.day_sums, without building the labels)."""
    sums = day_sums(values, days)
    return {k: sums[i] for i, k in enumerate(names)}


def summarise(rec, w, meta: dict, *, stranded_legs: np.ndarray, cost: float, cost_by: dict,
              networks_seized: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """The summary of a run: `meta`, overall totals, per-corridor totals, transit corridors, notes.

    networks_seized: (corridor index, seized euros) of every network row of the networks table, in its
    order; taken from the recorder when not given."""
    days, scale = meta["days"], meta["scale"]
    n_k = len(w.corridors)
    legs = leg_block(rec, w, days, scale)
    daily = per_day(legs, LEG_TOTALS, days)
    # arrivals at destinations, as the daily table (over the legs' arrivals)
    daily.update(per_day(block(rec.place, PLACE_TOTALS, days, scale), PLACE_TOTALS, days))
    daily.update(per_day(block(rec.country, COUNTRY_TOTALS, days), COUNTRY_TOTALS, days))
    # per day and corridor, as the corridors table: its groups are (day, corridor name) in sorted order,
    # so the labels rank the corridors by name (which group sum pandas uses depends on that order)
    rank = np.argsort(np.argsort(np.array(w.corridors, dtype=object)))
    labels = np.arange(days)[:, None] * n_k + rank[w.corridor][None, :]
    by_rank = group_sums(legs, LEG_TOTALS, labels, days * n_k)
    # each corridor's total over the days: a NumPy sum of its per-day figures, as the tables' column
    # sums; one sum along the last axis of the (corridors, days) array gives each row's own sum to the bit
    # (the same pairwise sum over the same contiguous values), instead of a hundred small calls
    corridor_totals = {k: np.ascontiguousarray(v.reshape(days, n_k)[:, rank].T).sum(axis=1)
                       for k, v in by_rank.items()}
    has_legs = np.bincount(w.corridor, minlength=n_k) > 0

    overall = _totals({c: float(daily[c].sum()) for c in LEG_TOTALS})
    stranded = int(rec.states[days - 1, STATES.index("stranded")]) * scale if days else 0
    overall.update({
        "stranded": float(stranded),
        "ever_stranded": float(daily["stranded_new"].sum()),
        "alternatives_taken": float(daily["alternatives"].sum()),
        "proceeds_seized_eur": float(daily["seized_eur"].sum()),
        "bribes_eur": float(daily["bribes_eur"].sum()),
        "arrests": float(daily["arrests"].sum()),
        "networks_dismantled": int(rec.networks_dismantled[:days].sum()),
        "networks_active_end": int(rec.networks_active[days - 1]) if days else 0,
        "cost_eur": cost,
        "created": float(daily["created"].sum()),
        "left": float(daily["left"].sum()),
        "stayed": float(daily["stayed"].sum()),
        "returned": float(daily["returned"].sum()),
    })
    # stranded people belong to the corridor of the leg they could not pay for
    stranded_by = np.bincount(w.corridor[stranded_legs[stranded_legs >= 0]], minlength=n_k) * scale
    corridor, seized = networks_seized if networks_seized is not None else _networks_seized(rec)
    # the networks table's groupby corridor name: labels by name again
    seized_by = (group_sums(seized[None, :], ["seized"], rank[corridor], n_k)["seized"][rank] if len(seized)
                 else np.zeros(n_k))
    seized_in = np.bincount(corridor, minlength=n_k) > 0
    dismantled = rec.dismantled_by_corridor[:days].sum(axis=0)  # integers: any order gives the same
    ends = np.bincount(w.corridor, weights=w.is_destination[w.dst], minlength=n_k) > 0
    per, transit = {}, []
    for k, name in enumerate(w.corridors):
        # a corridor without legs has no rows in the corridors table: its sums are those of nothing (0.0,
        # as the sums of its all-zero figures)
        rows = days if has_legs[k] else 0
        row = _totals({c: float(corridor_totals[c][k]) if rows else 0.0 for c in LEG_TOTALS})
        row.update({
            "stranded": float(stranded_by[k]),
            "alternatives_taken": None,  # alternatives are taken before any corridor is chosen
            "proceeds_seized_eur": float(seized_by[k]) if seized_in[k] else 0.0,
            "networks_dismantled": int(dismantled[k]) if rows else 0,
            "cost_eur": cost_by.get(name, 0.0),
        })
        per[name] = row
        if not (rows and ends[k]):
            transit.append(name)
    return {"meta": meta, "overall": overall, "corridors": per, "transit_corridors": transit,
            "notes": {"arrivals": ARRIVALS_NOTE, "attempts": ATTEMPTS_NOTE}}


def _totals(total: dict[str, float]) -> dict:
    """The summary's flow figures from each LEG_TOTALS column's total over the days."""
    paid, attempts = total["paid"], total["attempts"]
    return {
        "attempts": attempts,
        "departures": total["departures"],
        "crossings": total["crossings"],
        "arrivals": total["arrivals"],
        "interceptions": total["interceptions"],
        "deaths": total["deaths"],
        "detections": total["detections"],
        "refused_boarding": total["refused_boarding"],
        "smuggler_revenue_eur": total["revenue_eur"],
        "mean_fee_eur": total["revenue_eur"] / paid if paid else None,
        "deaths_per_1000_attempts": 1000 * total["deaths"] / attempts if attempts else None,
    }


def _networks_seized(rec) -> tuple[np.ndarray, np.ndarray]:
    """The corridor and seized euros of every row of the networks table, from the recorder's per-day
    arrays (the same values, in the same order, as `rec.network_rows`, without its Python tuples,
    which cost a sweep's run about 20 ms at 1:1000)."""
    days = rec._network_days  # (day, uid, corridor, members, capital, markup, revenue, bribes, seized, ...)
    if not days:
        return np.zeros(0, np.int64), np.zeros(0)
    return (np.concatenate([d[2] for d in days]).astype(np.int64),
            np.concatenate([d[8] for d in days]).astype(np.float64))


def cost_by_corridor(w, levers, horizon: int) -> dict[str, float]:
    """Each intervention's cost split over the corridors of the legs it acts on."""
    out: dict[str, float] = {}
    full = levers.cost_eur()
    if full == 0:
        return out
    for r in levers.resolved:
        if not isinstance(r.lever, Intervention) or len(r.legs) == 0:
            continue
        charged = r.lever.charged_eur(horizon)
        if charged == 0:
            continue
        shares = np.bincount(w.corridor[r.legs], minlength=len(w.corridors)) / len(r.legs)
        for k, s in enumerate(shares):
            if s:
                out[w.corridors[k]] = out.get(w.corridors[k], 0.0) + charged * float(s)
    return out


def summary_of(model) -> dict:
    """The summary of a model run to its end: `model.results().summary`, without the tables."""
    return summarise(model.recorder, model.world, model.run_meta(), stranded_legs=model.stranded_legs(),
                     cost=model.levers.cost_eur(), cost_by=cost_by_corridor(model.world, model.levers, model.days))
