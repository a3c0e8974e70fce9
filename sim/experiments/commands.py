"""CLI commands of the experiments subsystem, registered on the main typer app."""

import typer


def register(app: typer.Typer) -> None:
    """Add the experiments' commands (sweep, analyze) to the main CLI."""
