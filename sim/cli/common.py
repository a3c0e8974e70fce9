"""What every command shares: the one-line error exit and the progress bar."""

from __future__ import annotations

import sys

import typer
from tqdm import tqdm

EXIT_INPUT = 2


def fail(message: str, code: int = EXIT_INPUT):
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def progress_bar(total: int, unit: str):
    """A progress bar on a terminal, nothing in pipes and CI logs; returns (bar, update(done, total))."""
    bar = tqdm(total=total, unit=unit, disable=not sys.stderr.isatty(), leave=False)

    def update(done, _total):
        bar.update(done - bar.n)

    return bar, update
