"""CLI commands: calibrate (fit the baseline to real figures) and validate-data (compare with them)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import InputError
from ..execute import start_workers_early
from ..history.doc import MARKERS, write_section
from .common import fail as _fail
from .common import progress_bar as _bar

DEFAULT_OBSERVED = Path("data/observed_europe_2023.yaml")
DOC_START, DOC_END = MARKERS["validate-data"]


def register(app: typer.Typer) -> None:
    @app.command()
    def calibrate(
        observed: Path = typer.Option(DEFAULT_OBSERVED, "--observed", "--targets", help="observed figures file (which figures, which scenario)"),
        iterations: int = typer.Option(20, min=1, help="fitting iterations"),
        replicates: int = typer.Option(4, min=1, help="runs per iteration (same seeds every iteration)"),
        scale: int = typer.Option(10, min=1, help="people per model entry during fitting"),
        workers: int = typer.Option(1, min=1, help="worker processes"),
        damping: float = typer.Option(0.7, min=0.05, max=1.0, help="share of each step taken (smaller: slower, steadier)"),
        state: Path = typer.Option(Path("out/calibration"), help="folder for the resumable state and the report"),
        write: bool = typer.Option(True, help="write the fitted values where the baseline reads them"),
        replay: bool = typer.Option(False, help="fit the 2016-2023 replay: --iterations steps of its demand per origin "
                                                "and year towards Frontex's detections by nationality and year, then "
                                                "--rounds passes over its response parameters (behaviour.effects of "
                                                "its levers) against the monthly detections and the episodes"),
        rounds: int = typer.Option(1, min=0, help="with --replay: passes over the response parameters (0: none)"),
        refit_steps: int = typer.Option(2, min=0, help="with --replay: demand steps refitted for each candidate of "
                                                       "the response parameters (0: keep the demand)"),
        preferences: bool = typer.Option(True, help="with --replay: fit each nationality's route preferences by year "
                                                    "too (to Frontex's detections by nationality, route and year); "
                                                    "--no-preferences keeps them as they are"),
        appeals: bool = typer.Option(True, help="with --replay: fit Cyprus's appeal by year too "
                                               "(destinations_by_year, to its sea arrivals by year: "
                                               "sim/history/appeal_fit.py); --no-appeals keeps it as it is"),
        land: bool = typer.Option(True, help="with --replay: fit the Evros crossing's preference by year too "
                                             "(leg_preferences_by_year, to Frontex's land/sea split of the Eastern "
                                             "Med: sim/history/border_fit.py); --no-land keeps it as it is"),
        route_totals: bool = typer.Option(False, help="with --replay: fit one preference by year for everybody on the "
                                                      "Eastern Borders' crossings too (leg_preferences_by_year, to the "
                                                      "route's detections by year, which its nationalities, a few dozen "
                                                      "each, are too few to set: sim/history/border_fit.py ROUTES); off "
                                                      "by default: the shipped replay is fitted without it"),
        season_steps: int = typer.Option(0, min=0, help="with --replay: steps fitting the monthly multipliers of "
                                                        "behaviour.seasonality to the monthly detections, after the "
                                                        "demand (0: keep them)"),
        only: str = typer.Option("", help="with --replay: search only these response parameters (names of the "
                                          "search grid, comma-separated; default: all)"),
        demand_bound: float | None = typer.Option(None, min=1.0, max=100.0,
                                                  help="with --replay: the most an origin's demand in a year may "
                                                       "reach, as a multiple of its first demand "
                                                       "(sim/history/demand.py); the origin-years that end at a "
                                                       "bound are printed. Default 5 (TOTAL_BOUNDS in "
                                                       "sim/history/demand_fit.py), as the shipped replay is fitted"),
    ):
        """Fit the baseline's free parameters to the 2023 figures; resumable; writes a report."""
        if replay:
            from .history import DEFAULT_REPLAY, run_replay_fit

            start_workers_early(workers)
            try:
                run_replay_fit(DEFAULT_REPLAY.resolve(), iterations, rounds, replicates, scale, workers, write, damping,
                               refit_steps, preferences, only, season_steps, appeals, land, route_totals,
                               demand_bound)
            except InputError as exc:
                _fail(str(exc))
            return
        from ..calibration import calibrate as fit
        from ..calibration import check, load_observed, write_fitted
        from ..network import load_network
        from ..outputs import check_out_folder
        from ..scenario import parse_scenario, scenario_data

        try:
            check_out_folder(state, "--state", in_place=True)
            spec, obs = load_observed(observed)
            scenario_path = (observed.parent / spec.scenario).resolve()
            data = scenario_data(scenario_path)
            data.pop("base", None)
            network = load_network(parse_scenario(data, scenario_path).network_path())
            bar, update = _bar(iterations * replicates, "run")
            with bar:
                best, history = fit(data, network, obs, source=str(scenario_path), iterations=iterations,
                                    replicates=replicates, scale=scale, workers=workers, damping=damping,
                                    state_dir=state,
                                    progress=update, log=typer.echo)
        except InputError as exc:
            _fail(str(exc))
        from ..calibration import best_key

        chosen = max(history, key=best_key)
        rows = check(chosen["sim"], obs)
        lines = [f"# Calibration report: {spec.name}", "",
                 f"{len(history)} iterations of {replicates} runs at scale {scale}; best iteration "
                 f"{chosen['iteration']}: {chosen['within_targets']}/{chosen['targets']} figures matched.", "",
                 "| figure | route | real | simulated | within |", "|---|---|---:|---:|:---:|"]
        for r in rows:
            lines.append(f"| {r['figure']} | {r['route']} | {r.get('real', '')} | {r['sim']} | {'yes' if r['ok'] else 'NO'} |")
        lines += ["", "| iteration | figures matched | largest detection error |", "|---:|---:|---:|"]
        lines += [f"| {h['iteration']} | {h['within_targets']}/{h['targets']} | {h['max_detection_error']:.1%} |"
                  for h in history]
        from ..files import atomic_write

        atomic_write(state / "report.md", lambda p: Path(p).write_text("\n".join(lines) + "\n"))
        typer.echo(f"best iteration {chosen['iteration']}: {chosen['within_targets']}/{chosen['targets']} figures matched; "
                   f"report in {state / 'report.md'}")
        if write:
            out = (observed.parent / spec.write_to).resolve()
            write_fitted(best, out, observed, history, data)
            typer.echo(f"wrote the fitted values to {out}")

    @app.command("validate-data")
    def validate_data(
        scenario: Path | None = typer.Option(None, help="scenario to compare (default: the observed figures' scenario)"),
        observed: Path = typer.Option(DEFAULT_OBSERVED, "--observed", "--targets", help="observed figures file"),
        replicates: int = typer.Option(8, min=2, help="runs in the ensemble"),
        scale: int | None = typer.Option(None, min=1, help="people per model entry (default: 1, one entry per "
                                                            "person, for the 2023 figures; 10 with --monthly)"),
        workers: int = typer.Option(1, min=1, help="worker processes"),
        markdown: Path | None = typer.Option(None, help="also write the table into this Markdown file, "
                                                           "between its validate-data markers"),
        strict: bool = typer.Option(False, help="exit 1 when an observed figure is not matched"),
        monthly: bool = typer.Option(False, help="the 2016-2023 replay month by month against Frontex's monthly "
                                                 "detections per route (default scenario: the replay)"),
        days: int | None = typer.Option(None, min=1, help="with --monthly: run only this many days"),
        chart: Path | None = typer.Option(None, help="with --monthly: also draw the months per route (PNG)"),
        year: int | None = typer.Option(None, help="compare only this calendar year of the runs (a scenario with "
                                                   "a start date covering it, e.g. --scenario "
                                                   "scenarios/history/europe_2016_2023.yaml --year 2023)"),
        seed: int | None = typer.Option(None, min=0, help="first seed (default: 1; with --monthly the "
                                                          "scenario's, as docs/validation.md)"),
    ):
        """Simulated vs real figures per route, with the ensemble's 95 % interval."""
        if monthly and year is not None:
            _fail("--year: not with --monthly (the monthly comparison covers every year of the replay)")
        if monthly:
            from .history import DEFAULT_REPLAY, run_monthly

            path = scenario or DEFAULT_REPLAY
            if not path.exists():
                _fail(f"{path}: file not found")
            start_workers_early(workers)
            try:
                rows = run_monthly(path.resolve(), replicates, scale or 10, days, workers, markdown, chart, seed)
            except InputError as exc:
                _fail(str(exc))
            if strict and not all(r["ard_ok"] and r["years_ok"] == r["years_n"] for r in rows):
                raise typer.Exit(1)
            return
        from ..calibration import load_observed, validate, validation_markdown
        from ..outputs import check_out_file

        try:
            if markdown:
                check_out_file(markdown, "--markdown")
            spec, obs = load_observed(observed)
            path = scenario or (observed.parent / spec.scenario).resolve()
            bar, update = _bar(replicates, "run")
            with bar:
                v = validate(Path(path), obs, replicates=replicates, scale=scale or 1, workers=workers, progress=update,
                             year=year, first_seed=1 if seed is None else seed)
        except InputError as exc:
            _fail(str(exc))
        v.settings["scenario"] = str(Path(path).relative_to(Path.cwd())) if Path(path).is_relative_to(Path.cwd()) else str(path)
        table = validation_markdown(v)
        typer.echo(table)
        if markdown:
            write_section(markdown, "validate-data", table)
            typer.echo(f"\nupdated {markdown}")
        if strict and not all(r["ok"] for r in v.rows):
            raise typer.Exit(1)
