"""CLI commands of the 2016-2023 replay: episodes (observed vs simulated change per episode, with the
ablation), and the monthly comparison that `validate-data --monthly` prints."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import InputError
from ..execute import start_workers_early
from .common import fail, progress_bar

DEFAULT_REPLAY = Path("scenarios/history/europe_2016_2023.yaml")


def _settings(path: Path, replicates: int, scale: int, days: int | None, fingerprint: str,
              first_seed: int | None = None) -> dict:
    from ..history.ensemble import seeds
    from ..scenario import parse_scenario, scenario_data

    scenario = parse_scenario(scenario_data(path), path)
    shown = path.relative_to(Path.cwd()) if path.is_absolute() and path.is_relative_to(Path.cwd()) else path
    seed_list = seeds(path, replicates, first_seed)
    return {"scenario": str(shown), "replicates": replicates, "scale": scale, "days": days or scenario.days,
            "seeds": f"{seed_list[0]}-{seed_list[-1]}" if len(seed_list) > 1 else str(seed_list[0]),
            "fingerprint": fingerprint}


def run_episodes(path: Path, replicates: int, scale: int, days: int | None, workers: int, markdown: Path | None,
                 first_seed: int | None = None):
    from ..history import doc
    from ..history.data import MONTHLY_CSV
    from ..history.ensemble import Variant, ensemble_mean, fingerprint, measures_named, run_seeds
    from ..history.episodes import episode_rows, episodes_markdown, held_key, holds, prefixes
    from ..scenario import parse_scenario, scenario_data

    data = scenario_data(path)
    scenario = parse_scenario(data, path)
    covered = prefixes(scenario.start_date, days or scenario.days)
    variants = {"replay": None, **{p: p for p in covered if measures_named(data, p)}}
    # the episodes whose windows lie in different years: also without the measures and the new years' figures
    variants.update({held_key(p): Variant(p, holds(p)) for p in covered if measures_named(data, p) and holds(p)})
    bar, update = progress_bar(replicates * len(variants), "run")
    with bar:
        runs = run_seeds(path, variants, replicates=replicates, scale=scale, days=days, workers=workers,
                         progress=update, first_seed=first_seed)
    rows = episode_rows({k: ensemble_mean(v) for k, v in runs.items()}, seeds=runs)
    table = episodes_markdown(rows, _settings(path, replicates, scale, days, fingerprint(path, MONTHLY_CSV),
                                              first_seed))
    typer.echo(table)
    if markdown:
        doc.write_section(markdown, "episodes", table)
        typer.echo(f"\nupdated {markdown}")
    return rows


def run_monthly(path: Path, replicates: int, scale: int, days: int | None, workers: int, markdown: Path | None,
                chart: Path | None = None, first_seed: int | None = None):
    from ..history import doc
    from ..history.data import MONTHLY_CSV
    from ..history.ensemble import ensemble_mean, fingerprint, run_seeds
    from ..history.monthly import compare, monthly_markdown, route_rows, seed_ranges

    bar, update = progress_bar(replicates, "run")
    with bar:
        runs = run_seeds(path, {"replay": None}, replicates=replicates, scale=scale, days=days,
                         workers=workers, progress=update, first_seed=first_seed)["replay"]
    table = compare(ensemble_mean(runs))
    rows = route_rows(table, seed_ranges(runs))
    if chart:
        from ..history.chart import monthly_chart

        typer.echo(f"wrote {monthly_chart(table, chart)}")
    text = monthly_markdown(rows, _settings(path, replicates, scale, days, fingerprint(path, MONTHLY_CSV),
                                            first_seed))
    typer.echo(text)
    if markdown:
        doc.write_section(markdown, "monthly", text)
        typer.echo(f"\nupdated {markdown}")
    return rows


def _reach(network: Path, nationalities: list[str]) -> dict[str, set[str]]:
    """The main routes each nationality can reach on the replay's network, with the observed cells it cannot
    reach said out loud: the fit spreads them over the others (sim/history/demand_fit.py)."""
    from ..history.demand_fit import CELL_FLOOR, reached_routes, unreached
    from ..network import load_network

    reach = reached_routes(load_network(network))
    cells = unreached(nationalities, reach)
    if len(cells):
        typer.echo(f"{len(cells)} observed cells of at least {CELL_FLOOR:,.0f} detections that the network gives the "
                   "nationality no "
                   "way to (not fitted; spread over the route's other nationalities): "
                   + ", ".join(f"{r.nationality} {r.route} {r.year} ({r.detections:,.0f})"
                               for r in cells.head(12).itertuples())
                   + (", ..." if len(cells) > 12 else ""))
    return reach


def _say_at_bound(demand: dict, first: dict, bounds: tuple[float, float]) -> None:
    """Print the origin-years whose fitted demand ends at a bound: their nationality's detections that year
    are out of the fit's reach (sim/history/demand_fit.py, at_bound)."""
    from ..history.demand_fit import at_bound

    cells = at_bound(demand, first, bounds)
    if not cells:
        typer.echo(f"no origin-year's demand is at its bounds ({bounds[0]:g} to {bounds[1]:g} times its first demand)")
        return
    typer.echo(f"{len(cells)} origin-years' demand at its bounds ({bounds[0]:g} to {bounds[1]:g} times the first "
               "demand; their nationality's detections that year out of the fit's reach): "
               + ", ".join(f"{o} {y} (x{r:g})" for o, y, r in cells[:20]) + (", ..." if len(cells) > 20 else ""))


def run_replay_fit(path: Path, iterations: int, rounds: int, replicates: int, scale: int, workers: int, write: bool,
                   damping: float = 0.7, refit_steps: int = 2, preferences: bool = True, only: str = "",
                   season_steps: int = 0, appeals: bool = True, land: bool = False, routes: bool = False,
                   demand_bound: float | None = None) -> None:
    """calibrate --replay: the replay's demand per origin and year (to Frontex's detections by nationality
    and year), then its response parameters (against the monthly series and the episodes); writes both
    to the replay's calibrated file (its base). `demand_bound`: the most an origin's demand in a year may
    reach, as a multiple of its first demand (TOTAL_BOUNDS's, 5, by default); the origin-years that end at a
    bound are printed."""
    from ..history.demand import OUT, origin_countries, yearly_demand
    from ..history.demand_fit import TOTAL_BOUNDS, fit_demand, write_demand
    from ..history.ensemble import seeds
    from ..history.fit import REPLAY_GRID, episode_error, fit_effects, replay_observed, search_grid, write_effects
    from ..scenario import scenario_data

    grid = search_grid(REPLAY_GRID, only)
    data = scenario_data(path)
    # seeds the episodes and validate-data commands do not use: the fit is judged on others
    fit_seeds = [s + 1000 for s in seeds(path, replicates)]
    typer.echo(f"fitting demand by origin and year: {iterations} steps on seeds {fit_seeds} at scale {scale}")
    nationality = origin_countries(Path(data["network"]))
    reach = _reach(Path(data["network"]), sorted(set(nationality.values())))
    first = yearly_demand()
    bounds = (TOTAL_BOUNDS[0], TOTAL_BOUNDS[1] if demand_bound is None else demand_bound)
    fit = fit_demand(data, str(path), nationality, seeds=fit_seeds, scale=scale, iterations=iterations,
                     workers=workers, damping=damping, first=first, log=typer.echo, preferences=preferences,
                     appeals=appeals, land=land, routes=routes, reach=reach, bounds=bounds)
    _say_at_bound(fit.demand, first, bounds)
    data = {**data, "demand_by_year": fit.demand}
    if preferences:
        data["nationality_preferences_by_year"] = fit.preferences
    if appeals:
        data["destinations_by_year"] = fit.appeals
    if land or routes:
        data["leg_preferences_by_year"] = fit.land
    if write:
        errors = ", ".join(f"{h['nationality_error']:.1%}" for h in fit.history)
        split = ", ".join(f"{h['split_error']:.1%}" for h in fit.history if "split_error" in h)
        write_demand(OUT, fit.demand, f"{iterations} steps at scale {scale}, seeds {fit_seeds}"
                                      + ("" if demand_bound is None else f", demand at most {demand_bound:g} times the first")
                                      + "; weighted error by "
                                      f"nationality and year before each step: {errors}"
                                      + (f"; by nationality, route and year: {split}" if split else ""),
                     fit.preferences if preferences else None, fit.appeals if appeals else None,
                     fit.land if land or routes else None)
        typer.echo(f"wrote the fitted demand to {OUT}")
    if season_steps > 0:
        from ..history.season_fit import fit_seasons, write_seasonality

        typer.echo(f"fitting the seasonality: {season_steps} steps on seeds {fit_seeds} at scale {scale}")
        seasons = fit_seasons(data, str(path), seeds=fit_seeds, scale=scale, steps=season_steps, workers=workers,
                              damping=damping, log=typer.echo)
        data = {**data, "behaviour": {**(data.get("behaviour") or {}), "seasonality": seasons.seasonality}}
        if write:
            ards = ", ".join(f"{h['monthly_ard']:.3f}" for h in seasons.history)
            kept = ", ".join(f"{c} {i}" for c, i in seasons.kept_step.items())
            write_seasonality(OUT, seasons.seasonality,
                              f"fitted by `python -m sim calibrate --replay --season-steps {season_steps}` "
                              f"(sim/history/season_fit.py), scale {scale}, seeds {fit_seeds}; mean monthly ARD "
                              f"of each step's multipliers: {ards}; step kept per corridor (0: the start): {kept}")
            typer.echo(f"wrote the fitted seasonality to {OUT}")
    if rounds <= 0:
        return
    typer.echo(f"fitting {', '.join(grid)} on seeds {fit_seeds} at scale {scale}, the demand refitted "
               f"({refit_steps} steps) for each candidate")

    def refit(trial: dict) -> dict:
        again = fit_demand(trial, str(path), nationality, seeds=fit_seeds, scale=scale, iterations=refit_steps,
                           workers=workers, damping=damping, first=first, preferences=preferences, appeals=appeals,
                           reach=reach, bounds=bounds)
        out = {**trial, "demand_by_year": again.demand}
        if preferences:
            out["nationality_preferences_by_year"] = again.preferences
        if appeals:
            out["destinations_by_year"] = again.appeals
        return out

    from ..history.sea import sea_error

    best = fit_effects(data, str(path), replay_observed(), grid, seeds=fit_seeds, scale=scale,
                       rounds=rounds, workers=workers, extra_score=episode_error,
                       refit=refit if refit_steps > 0 else None, log=typer.echo, sea_score=sea_error)
    typer.echo(f"best: {best.values} (score {best.score:.3f}: mean monthly ARD over corridors + mean episode error "
               "+ mean relative error of the sea arrivals in Greece, Italy and Cyprus by year)")
    if write:
        if best.data is not None:
            write_demand(OUT, best.data["demand_by_year"], f"refitted ({refit_steps} steps, scale {scale}) with the "
                                                           "best response parameters",
                         best.data.get("nationality_preferences_by_year") if preferences else None,
                         best.data.get("destinations_by_year") if appeals else None)
        write_effects(OUT, best.values, f"fitted by `python -m sim calibrate --replay` (score {best.score:.3f}, "
                                        f"{len(best.trials)} evaluations, scale {scale})")
        typer.echo(f"wrote the fitted values to {OUT}")


def register(app: typer.Typer) -> None:
    @app.command("episodes")
    def episodes(
        scenario: Path = typer.Option(DEFAULT_REPLAY, help="the replay scenario"),
        # the validation page's ensemble by default: at scale 1000 a route's month is a few dozen entries, and
        # the month-against-month episodes (Serbia's visas, the crackdown) came out 40-55 points off
        replicates: int = typer.Option(8, min=1, help="seeds in the ensemble (the same for every ablation); "
                                                      "8, as docs/validation.md"),
        scale: int = typer.Option(10, min=1, help="people per model entry (10, as docs/validation.md; 1000 "
                                                  "is a quick look, too coarse for the one-month windows)"),
        days: int | None = typer.Option(None, min=1, help="run only this many days (episodes outside are skipped)"),
        workers: int = typer.Option(1, min=1, help="worker processes"),
        markdown: Path | None = typer.Option(None, help="also write the table into this Markdown file, between "
                                                           "its replay-episodes markers"),
        strict: bool = typer.Option(False, help="exit 1 when an episode misses its target or its ablation share"),
        seed: int | None = typer.Option(None, min=0, help="first seed (default: the scenario's, as "
                                                          "docs/validation.md); other seeds tell a result from "
                                                          "its draws"),
    ):
        """Per episode of EPISODES.md: observed vs simulated change, and the share the measures explain; where the
        windows lie in different years, the share the new year's figures carry; each figure's range over the seeds."""
        if not scenario.exists():
            fail(f"{scenario}: file not found")
        start_workers_early(workers)
        try:
            rows = run_episodes(scenario.resolve(), replicates, scale, days, workers, markdown, seed)
        except InputError as exc:
            fail(str(exc))
        if strict and not all(r["within"] is not False and r["share_ok"] is not False for r in rows):
            raise typer.Exit(1)
