"""Try a change to the 2016-2023 replay before adopting it: response parameters, a measure's intensity, or a
measure split at a date into two intensities; the demand (and route preferences) refitted for it as
`calibrate --replay --rounds 0` does; then the figures the replay is judged on, on the fit's seeds.

    .venv/bin/python scripts/replay_trial.py [--effect NAME=VALUE ...] [--intensity "MEASURE=VALUE" ...]
        [--country ISO3.FIELD=VALUE ...]
        [--split "MEASURE@YYYY-MM-DD=VALUE" ...] [--end "MEASURE=YYYY-MM-DD" ...]
        [--add '{"name": ..., "kind": ...}' ...] [--drop "MEASURE" ...] [--targets 'MEASURE={"legs": [...]}' ...]
        [--refit 6]
        [--by-nationality ROUTE ...] [--shares "PREFIX,..." | --shares all [--held]] [--save CSV]
        [--seeds 3016,3017] [--scale 10] [--workers 2]

Prints the yearly detections per main route against Frontex's ((sim - obs) / obs), the route-years within
±15 %, the monthly ARD per route (with its range, and the route-years', over the seeds resampled), each episode's change, the sea arrivals in Greece, Italy and Cyprus by
year (thousands), the Eastern Med's detections at sea and on land against Frontex's split, each main route's
month shares against Frontex's (the season's shape), and the score `calibrate --replay` searches on (mean monthly ARD + mean episode error +
mean relative error of the sea arrivals). --country overrides a country's field (as in `countries`, e.g. BGR.pushback_counted=0). A measure is named as in the replay's `interventions`; a split
ends it at the date and adds the same measure from the date at the new intensity (named "..., from
YEAR", so that the episode's ablation still removes it). --end moves a measure's end, --targets replaces its targets,
--drop removes it (for example to replace it with an --add of another kind). --behaviour sets a field of
the replay's behaviour (seasonality=@months.json, seasonality_on_crossings='["Central Mediterranean"]'). --by-nationality ROUTE
also prints that route's detections by nationality and year against Frontex's. --add appends a measure (a JSON mapping, as an entry
of `interventions`, or of `events` for an event's kind). --shares reruns the seeds without each named episode's
measures and prints the share of its change they explain (the ablation of `sim episodes`, on the trial's
replay); --held adds the rerun that also holds the new years, and the new year's share. Writes nothing but --save's CSV (the simulated months, the seeds' mean).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REPLAY = ROOT / "scenarios" / "history" / "europe_2016_2023.yaml"


def _pairs(items: list[str], what: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        name, sep, value = item.rpartition("=")
        if not sep or not name:
            sys.exit(f"replay_trial: {what} {item!r}: expected NAME=VALUE")
        out.append((name, value))
    return out


def _measure(data: dict, name: str) -> tuple[list, dict]:
    """The list (interventions or events) holding the measure named `name`, and the measure."""
    for key in ("interventions", "events"):
        for measure in data.get(key) or []:
            if measure.get("name") == name:
                return data[key], measure
    sys.exit(f"replay_trial: no measure named {name!r} in {REPLAY.name}'s interventions or events")


def _measure_json(text: str, option: str = "--add") -> dict:
    import json

    try:
        measure = json.loads(text)
    except json.JSONDecodeError as exc:
        sys.exit(f"replay_trial: {option}: not JSON ({exc})")
    if not isinstance(measure, dict):
        sys.exit(f"replay_trial: {option}: expected a JSON mapping")
    return measure


def changed(data: dict, effects: list[tuple[str, str]], intensities: list[tuple[str, str]],
            splits: list[tuple[str, str]], added: list[dict] = (), ends: list[tuple[str, str]] = (),
            targets: list[tuple[str, str]] = (), countries: list[tuple[str, str]] = (),
            dropped: list[str] = ()) -> dict:
    """The replay's scenario mapping with the trial's changes."""
    from sim.history.fit import with_effects
    from sim.vocabulary import EVENT_KINDS

    data = with_effects(data, {name: float(value) for name, value in effects})
    data["countries"] = {k: dict(v or {}) for k, v in (data.get("countries") or {}).items()}
    for spec, value in countries:
        iso3, sep, field = spec.partition(".")
        if not sep:
            sys.exit(f"replay_trial: --country {spec!r}: expected ISO3.FIELD=VALUE")
        data["countries"].setdefault(iso3, {})[field] = float(value)
    for key in ("interventions", "events"):
        data[key] = [dict(m) for m in data.get(key) or []]
    for name, value in intensities:
        _measure(data, name)[1]["intensity"] = float(value)
    for spec, value in splits:
        name, sep, date = spec.rpartition("@")
        if not sep:
            sys.exit(f"replay_trial: --split {spec!r}: expected MEASURE@YYYY-MM-DD=VALUE")
        where, first = _measure(data, name)
        second = copy.deepcopy(first)
        first["end"], second["start"] = date, date
        second["intensity"], second["name"] = float(value), f"{name}, from {date[:4]}"
        where.insert(where.index(first) + 1, second)
    for name, date in ends:
        _measure(data, name)[1]["end"] = date
    for name, text in targets:
        _measure(data, name)[1]["targets"] = _measure_json(text, "--targets")
    for name in dropped:
        where, measure = _measure(data, name)
        where.remove(measure)
    for m in added:  # an event kind (route_closure, surge...) goes among the events, as in a scenario file
        data["events" if m.get("kind") in EVENT_KINDS else "interventions"].append(dict(m))
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--effect", action="append", default=[], help="NAME=VALUE: a response parameter")
    ap.add_argument("--intensity", action="append", default=[], help="MEASURE=VALUE")
    ap.add_argument("--country", action="append", default=[], help="ISO3.FIELD=VALUE: a country override")
    ap.add_argument("--split", action="append", default=[], help="MEASURE@YYYY-MM-DD=VALUE")
    ap.add_argument("--end", action="append", default=[], help="MEASURE=YYYY-MM-DD: the measure's new end")
    ap.add_argument("--add", action="append", default=[], help="a measure to append, as JSON")
    ap.add_argument("--targets", action="append", default=[], help="MEASURE=JSON: the measure's new targets")
    ap.add_argument("--drop", action="append", default=[], help="MEASURE: remove the measure")
    ap.add_argument("--behaviour", action="append", default=[],
                    help="NAME=JSON: a field of behaviour (e.g. crossing_wait_days=15); @FILE reads the JSON")
    ap.add_argument("--refit", type=int, default=6, help="demand steps refitted for the trial (0: none)")
    ap.add_argument("--demand-bound", type=float, default=None,
                    help="with --refit: the most an origin's demand in a year may reach, as a multiple of its first "
                         "demand (calibrate --replay --demand-bound; default 5)")
    ap.add_argument("--seeds", default="3016,3017", help="the fit's seeds (calibrate --replay's, by default)")
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--by-nationality", action="append", default=[], metavar="ROUTE",
                    help="also print this main route's detections by nationality and year, simulated against "
                         "Frontex's (e.g. WBR; one more run of the seeds)")
    ap.add_argument("--save", default=None, metavar="CSV", help="write the simulated months (mean of the seeds) there")
    ap.add_argument("--shares", default="", metavar="PREFIXES",
                    help="the episodes' shares: rerun the seeds without the measures named with each prefix "
                         "(comma-separated, e.g. 'Serbia visas'; 'all': every episode's) and print the share of "
                         "each episode's change they explain, as `sim episodes` does")
    ap.add_argument("--held", action="store_true",
                    help="with --shares: also rerun without the measures and with the new years holding the year "
                         "before's figures, and print the new year's share (as `sim episodes`)")
    args = ap.parse_args()


    from sim.history.demand import origin_countries, yearly_demand
    from sim.history.demand_fit import TOTAL_BOUNDS, fit_demand, reached_routes, yearly_route_errors
    from sim.history.episodes import episode_rows
    from sim.history.fit import episode_error, monthly_ard, replay_observed, route_ards, simulate_figures
    from sim.history.sea import sea_error
    from sim.network import load_network
    from sim.scenario import scenario_data

    seeds = [int(s) for s in args.seeds.split(",")]
    data = changed(scenario_data(REPLAY), _pairs(args.effect, "--effect"), _pairs(args.intensity, "--intensity"),
                   _pairs(args.split, "--split"), [_measure_json(text) for text in args.add],
                   _pairs(args.end, "--end"), _pairs(args.targets, "--targets"), _pairs(args.country, "--country"),
                   args.drop)
    for name, text in _pairs(args.behaviour, "--behaviour"):
        if text.startswith("@"):
            text = Path(text[1:]).read_text()
        data["behaviour"] = {**(data.get("behaviour") or {}), name: json.loads(text)}
    if args.refit > 0:
        fit = fit_demand(data, str(REPLAY), origin_countries(Path(data["network"])), seeds=seeds, scale=args.scale,
                         iterations=args.refit, workers=args.workers, damping=0.7, first=yearly_demand(),
                         preferences=True, appeals=True, reach=reached_routes(load_network(Path(data["network"]))),
                         bounds=(TOTAL_BOUNDS[0], args.demand_bound or TOTAL_BOUNDS[1]))
        data = {**data, "demand_by_year": fit.demand, "nationality_preferences_by_year": fit.preferences,
                "destinations_by_year": fit.appeals}
        print("demand refitted: by nationality and year off by "
              + ", ".join(f"{h['nationality_error']:.1%}" for h in fit.history))
    sim, sea, border, frames = simulate_figures(data, str(REPLAY), seeds, scale=args.scale, days=None,
                                                workers=args.workers, border=True, per_seed=True)
    observed = replay_observed()
    if args.save:
        sim.to_csv(args.save, index=False)

    rel = yearly_route_errors(sim, observed)
    print(rel.round(2).to_string())
    print(f"route-years within ±15 %: {int((rel.abs() <= 0.15).sum().sum())} of {rel.size}")
    print("monthly ARD: " + ", ".join(f"{c} {v:.2f}" for c, v in route_ards(sim, observed).items()))
    print_ranges(frames)
    for row in episode_rows({"replay": sim, **ablations(data, seeds, args)}):
        if row["simulated"] is not None:
            share = "" if row["share"] is None else f", without its measures {row['without']:+.0%}, share {row['share']:.0%}"
            if row["year_share"] is not None:
                share += f", held {row['held']:+.0%}, the new year's share {row['year_share']:.0%}"
            print(f"episode {row['episode'].key}: observed {row['observed']:+.0%}, simulated {row['simulated']:+.0%}"
                  + share)
    table = sea.pivot(index="iso3", columns="year", values="arrivals") / 1000
    print("sea arrivals (thousands):")
    print(table.reindex(["GRC", "ITA", "CYP"]).round(1).to_string())
    print("Eastern Med detections by border, simulated / Frontex (thousands):")
    print(border_table(border, "EMR").to_string())
    print("month shares x 12 (January..December) over the route-years no shock distorts, simulated / Frontex,\n"
          "and their mean distance (the Western Balkans' is guarded in tests/test_history_replay.py):")
    print(season_table(sim).to_string())
    if args.by_nationality:
        by_nationality(data, seeds, args)
    score = monthly_ard(sim, observed) + episode_error(sim) + sea_error(sea)
    print(f"score {score:.3f} (mean monthly ARD {monthly_ard(sim, observed):.3f} + episodes {episode_error(sim):.3f} "
          f"+ sea arrivals {sea_error(sea):.3f})")


def print_ranges(frames: list) -> None:
    """The monthly ARDs' and the route-years' central 90 % over the seeds resampled (sim.history.monthly.seed_ranges):
    a trial that moves a figure by less than its range is not told apart from the seeds."""
    from sim.history.monthly import YEAR_TARGET, seed_ranges

    ranges = seed_ranges(frames)
    if not ranges:
        return
    print("over the seeds resampled (central 90 %), monthly ARD: "
          + ", ".join(f"{r} {v['ard'][0]:.2f}-{v['ard'][1]:.2f}" for r, v in ranges.items() if "ard" in v))
    near = [f"{r} {y} {lo:+.0%} to {hi:+.0%}" for r, v in ranges.items() for y, (lo, hi) in v["years"].items()
            if lo < -YEAR_TARGET or hi > YEAR_TARGET]
    print("route-years whose range reaches past ±15 %: " + ("; ".join(near) if near else "none"))


def share_prefixes(text: str) -> list[str]:
    """The measure prefixes --shares names ('all': every episode's, in EPISODES.md's order)."""
    from sim.history.episodes import EPISODES

    if text.strip() == "all":
        return list(dict.fromkeys(ep.prefix for ep in EPISODES))
    known = {ep.prefix for ep in EPISODES}
    wanted = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in wanted if p not in known]
    if unknown:
        sys.exit(f"replay_trial: --shares {', '.join(unknown)!r}: not an episode's prefix (one of: "
                 f"{', '.join(sorted(known))}, or all)")
    return list(dict.fromkeys(wanted))


def ablation_variants(text: str, held: bool = False) -> dict:
    """variant key -> Variant for --shares (and, with --held, each year-spanning prefix's held rerun, keyed as
    `sim episodes` keys it)."""
    from sim.history.ensemble import Variant
    from sim.history.episodes import held_key, holds

    out = {}
    for prefix in share_prefixes(text):
        out[prefix] = Variant(prefix)
        if held and holds(prefix):
            out[held_key(prefix)] = Variant(prefix, holds(prefix))
    return out


def ablations(data: dict, seeds: list[int], args) -> dict[str, pd.DataFrame]:
    """key -> the trial's simulated months without the measures so named (and, with --held, with the new years
    held too), on the same seeds (--shares)."""
    from sim.history.fit import simulate_figures

    if not args.shares:
        return {}
    return {key: simulate_figures(variant.apply(data), str(REPLAY), seeds, scale=args.scale, days=None,
                                  workers=args.workers)[0]
            for key, variant in ablation_variants(args.shares, getattr(args, "held", False)).items()}


def season_table(sim: pd.DataFrame) -> pd.DataFrame:
    """Per main route: the simulated and Frontex's month shares x 12 ("sim/obs" per month, the shocked
    route-years left out as in sim/seasonality.py) and the mean absolute distance between the two."""
    from sim.history.data import route_corridors
    from sim.history.season_fit import observed_shares, simulated_shares

    simulated, observed = simulated_shares(sim, route_corridors()) * 12, observed_shares() * 12
    rows = {}
    for route in [r for r in observed.index if r in simulated.index]:
        s, o = simulated.loc[route].to_numpy(float), observed.loc[route].to_numpy(float)
        rows[route] = {**{m: f"{a:.2f}/{b:.2f}" for m, a, b in zip(range(1, 13), s, o)},
                       "distance": f"{abs(s - o).mean():.3f}"}
    return pd.DataFrame(rows).T


def border_table(border: pd.DataFrame, route: str) -> pd.DataFrame:
    """A route's detections by border (land, sea) and year: "simulated/observed" in thousands."""
    from sim.history.data import route_corridors
    from sim.history.sea import observed_border

    sim = border[border["corridor"].isin(route_corridors()[route])].groupby(["border", "year"])["detections"].sum()
    obs = observed_border().query("route == @route").set_index(["border", "year"])["detections"]
    rows = {}
    for b in ("land", "sea"):
        rows[b] = {y: f"{sim.get((b, y), 0.0) / 1000:.1f}/{obs.get((b, y), 0.0) / 1000:.1f}"
                   for y in sorted({y for _, y in obs.index})}
    return pd.DataFrame(rows).T


def by_nationality(data: dict, seeds: list[int], args) -> None:
    """Per route asked for: the nationalities with the most detections, simulated / observed by year."""
    from sim.history.demand import origin_countries
    from sim.history.demand_fit import observed_by_route, reached_routes, simulate_routes
    from sim.network import load_network

    nationalities = sorted(set(origin_countries(Path(data["network"])).values()))
    _, _, sim = simulate_routes(data, str(REPLAY), seeds, scale=args.scale, workers=args.workers)
    obs = observed_by_route(nationalities, reach=reached_routes(load_network(Path(data["network"]))))  # the fit's targets
    routes = sorted(set(obs.index.get_level_values("route")))
    for route in args.by_nationality:
        if route not in routes:
            sys.exit(f"replay_trial: --by-nationality {route!r}: not a route; one of {', '.join(routes)}")
        s, o = sim.xs(route, level="route"), obs.xs(route, level="route")
        top = (s + o).sum(axis=1).sort_values(ascending=False).index[:20]
        # in people, not thousands: a small route's shortfall is a few dozen of each of many nationalities
        print(f"{route} by nationality, simulated / observed (people; the 20 largest, then all):")
        rows = {n: {y: f"{s.loc[n, y]:.0f}/{o.loc[n, y]:.0f}" if n in s.index else f"-/{o.loc[n, y]:.0f}"
                    for y in o.columns} for n in top}
        rows["all"] = {y: f"{s[y].sum():.0f}/{o[y].sum():.0f}" for y in o.columns}
        print(pd.DataFrame(rows).T.to_string())


if __name__ == "__main__":
    main()
