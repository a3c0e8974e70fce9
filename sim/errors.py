"""One error type for bad input, so every entry point can print it as one line and exit non-zero."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """A problem in a file the user gave us: names the file, the place in it, and what is wrong."""

    def __init__(self, file: str | Path | None, where: str | None, message: str):
        self.file = str(file) if file is not None else None
        self.where = where
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.where) if p]
        return ": ".join(parts + [self.message])

    def __reduce__(self):
        # rebuilt from its three parts, so that it survives the trip back from a worker process
        return (type(self), (self.file, self.where, self.message))
