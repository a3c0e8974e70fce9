"""Migratory-route cooperation simulator: people, smuggling networks and authorities on route networks,
and the measures of the Global Alliance to Counter Migrant Smuggling as levers."""

__version__ = "0.1.0"

from .errors import InputError  # noqa: E402
from .run import run  # noqa: E402

__all__ = ["InputError", "run", "__version__"]
