"""Command line: python -m sim run | check | compare | schema | calibrate | validate-data | sweep | analyze |
episodes.

Each module registers its commands on the one typer app built here; they import only `common`, never
this package, so that importing any of them alone works (tests/test_cli_imports.py)."""

from __future__ import annotations

import sys

import typer

from . import calibrate, experiments, history, run

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Migratory-route cooperation simulator.")
for _module in (run, calibrate, experiments, history):
    _module.register(app)


def main():
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


__all__ = ["app", "main"]
