"""Command line: python -m sim run | check | compare | schema | calibrate | validate-data | sweep | analyze |
episodes.

Each module registers its commands on the one typer app built here; they import only `common`, never
this package, so that importing any of them alone works (tests/test_cli_imports.py)."""

from __future__ import annotations

import sys

import typer

from . import calibrate, experiments, history, run

try:  # typer 0.29 carries its own copy of click
    from typer._click import exceptions as _clicks
except ImportError:  # older typer runs on click itself
    from click import exceptions as _clicks
_ABORT = tuple({getattr(_clicks, "Abort", KeyboardInterrupt), getattr(typer, "Abort", KeyboardInterrupt)})


app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Migratory-route cooperation simulator.")
for _module in (run, calibrate, experiments, history):
    _module.register(app)


def usage_line(exc) -> str:
    """A usage error (unknown option, bad value, missing argument) as one line naming the command."""
    message = " ".join(exc.format_message().split())
    where = exc.ctx.command_path if exc.ctx is not None else "python -m sim"
    return f"error: {where}: {message} (see {where} --help)"


def main(args: list[str] | None = None) -> int:
    """Run the command line; every failure is one line on stderr and exit code 2 (130 on Ctrl-C).

    Click is run with standalone_mode=False so that its usage errors reach us instead of its multi-line
    box; --help and a bare `python -m sim` still print the help."""
    try:
        code = app(args=args, prog_name="python -m sim", standalone_mode=False)
    except getattr(_clicks, "NoArgsIsHelpError", ()) as exc:  # a bare command: its help, as before
        typer.echo(exc.ctx.get_help() if exc.ctx is not None else str(exc))
        code = 0
    except _clicks.UsageError as exc:  # BadParameter, NoSuchOption, MissingParameter, no such command
        typer.echo(usage_line(exc), err=True)
        code = 2
    except _clicks.ClickException as exc:  # e.g. FileError
        typer.echo(f"error: {' '.join(exc.format_message().split())}", err=True)
        code = 2
    except (KeyboardInterrupt, *_ABORT):
        typer.echo("interrupted", err=True)
        code = 130
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["app", "main"]
