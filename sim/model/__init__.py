"""The model: one Mesa model whose day is a sequence of phases, each in its own module (see docs/model.md)."""

from .model import RouteModel

__all__ = ["RouteModel"]
