"""Commands of the experiments subsystem: python -m sim sweep | analyze."""

from __future__ import annotations

from pathlib import Path

import typer

from ..stats import format_number
from .common import fail as _fail


def _fmt(x) -> str:
    return format_number(x, small=10, decimals=3)


def register(app: typer.Typer) -> None:
    """Add the experiments' commands (sweep, analyze) to the main CLI."""
    @app.command()
    def sweep(
        experiment: Path = typer.Argument(..., help="experiment YAML file (see docs/experiments.md)"),
        out: Path = typer.Option(..., "--out", help="results folder (created; rerun the same command to resume)"),
        workers: int | None = typer.Option(None, min=1, help="worker processes (default: one per core)"),
        scheduler: str | None = typer.Option(
            None, help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: "
                       "$DASK_SCHEDULER_ADDRESS if set, else local processes)"),
        engine: str = typer.Option("auto", help="auto | processes | dask (dask without --scheduler starts a "
                                                "LocalCluster with --workers workers)"),
        retry_failed: bool = typer.Option(False, "--retry-failed", help="run the runs recorded as failed again"),
        check: bool = typer.Option(False, "--check", help="only check the experiment and count its runs"),
    ):
        """Run every missing run of an experiment; write a Parquet dataset and a manifest to --out."""
        from ..errors import InputError
        from ..execute import EngineBroken, start_workers_early
        from ..experiments.plan import load_experiment
        from ..experiments.sweep import scheduler_address
        from ..experiments.sweep import sweep as do_sweep
        from ..outputs import check_out_folder

        if engine not in ("auto", "processes", "dask"):
            _fail(f"--engine: unknown engine {engine!r} (auto, processes or dask)")
        if not check:  # its workers import the model while this process reads the experiment
            start_workers_early(workers, scheduler_address(scheduler), engine)
        try:
            if not check:
                check_out_folder(out, "--out", in_place=True)  # resumable: written into, never replaced
            plan = load_experiment(experiment)
        except InputError as exc:
            _fail(str(exc))
        n_points = len(plan.points)
        typer.echo(f"{plan.spec.name}: design {plan.spec.design}, {len(plan.factors)} factors, {n_points} points "
                   f"x {plan.spec.replicates} replicates = {len(plan.runs)} runs (hash {plan.hash})", err=True)
        if check:
            typer.echo("ok")
            return
        try:
            report = do_sweep(plan, out, workers=workers, scheduler=scheduler, engine=engine,
                              retry_failed=retry_failed, echo=lambda m: typer.echo(m, err=True))
        except InputError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            typer.echo(f"interrupted: finished runs are kept in {out}; run the same command to finish the rest",
                       err=True)
            raise typer.Exit(130) from None
        except EngineBroken as exc:
            _fail(f"{exc}; finished runs are kept in {out}", code=1)
        except OSError as exc:
            _fail(f"{exc.filename or out}: {exc.strerror}")
        rate = f", {report.ran / report.seconds:.2f} runs/s" if report.seconds and report.ran else ""
        typer.echo(f"{report.done} of {report.total} runs done, {report.failed} failed"
                   + (f", {report.pending} missing" if report.pending else "")
                   + (f" ({report.ran} this time on {report.engine}{rate})" if report.ran else " (nothing to do)"))
        if report.failed:
            typer.echo(f"failed runs are listed in {out}/manifest.json; first: {report.first_error}", err=True)
        typer.echo(f"results: pandas.read_parquet('{out}/runs'); analysis: python -m sim analyze {out}")
        if report.pending:
            raise typer.Exit(1)

    @app.command()
    def analyze(
        folder: Path = typer.Argument(..., help="results folder of a sweep"),
        output: list[str] | None = typer.Option(None, "--output", help="only these outputs (repeatable)"),
        plots: bool = typer.Option(True, "--plots/--no-plots", help="also write PNG plots"),
        out: Path | None = typer.Option(None, help="where to write tables and plots (default: FOLDER/analysis)"),
    ):
        """Sensitivity indices (Sobol, Morris), rank correlations (LHS), summaries and plots of a sweep."""
        from ..errors import InputError
        from ..experiments.analysis import analyze as do_analyze
        from ..experiments.analysis import write_analysis
        from ..outputs import check_out_folder

        try:
            if out is not None:
                check_out_folder(out, "--out", in_place=True)
            an = do_analyze(folder, outputs=output or None, figures=plots)
            where = write_analysis(an, out)
        except InputError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"{exc.filename or folder}: {exc.strerror}")
        sw = an.sweep
        typer.echo(f"{sw.name}: design {sw.design}, {sw.counts['done']} of {sw.counts['total']} runs finished")
        for note in an.notes:
            typer.echo(f"note: {note}")
        if "sobol" in an.tables:
            _print(an.tables["sobol"], ["output", "factor", "S1", "S1_conf", "ST", "ST_conf"])
        elif "morris" in an.tables:
            _print(an.tables["morris"], ["output", "factor", "mu_star", "mu_star_conf", "sigma", "mu"])
        elif "correlations" in an.tables:
            _print(an.tables["correlations"], ["output", "factor", "rho", "low", "high", "n"])
        else:
            s = an.tables["summary"]
            shown = sw.outputs[:6]
            sub = s[s["output"].isin(shown)]
            wide = sub.pivot(index="point", columns="output", values="mean").reindex(columns=shown)
            wide = sub.groupby("point")[sw.factors].first().join(wide).reset_index()
            typer.echo("mean over replicates per point" + (" (first 6 outputs; all in summary.csv)"
                                                           if len(sw.outputs) > 6 else "") + ":")
            _print(wide, list(wide.columns), limit=60)
        typer.echo(f"wrote {len(an.tables)} tables and {len(an.figures)} plots to {where}")


def _print(table, columns, limit: int = 200):
    head = table.head(limit)
    cells = {c: [_fmt(v) for v in head[c].tolist()] for c in columns}
    widths = {c: min(40, max([len(c)] + [len(v) for v in cells[c]])) for c in columns}
    typer.echo("  ".join(f"{c:>{widths[c]}}" for c in columns))
    for i in range(len(head)):
        typer.echo("  ".join(f"{cells[c][i][:widths[c]]:>{widths[c]}}" for c in columns))
    if len(table) > limit:
        typer.echo(f"... {len(table) - limit} more rows in the CSV")
