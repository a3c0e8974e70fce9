"""Reading and writing the project's files safely: YAML mappings with clear errors, atomic writes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from .errors import InputError

ROOT = Path(__file__).resolve().parent.parent  # the project's folder: scenarios/, data/, geodata/, docs/


def json_default(x):
    """For json.dumps(default=...): numpy numbers as plain numbers, anything else (paths) as its text."""
    import numpy as np

    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return str(x)


def atomic_write(path: Path, write) -> None:
    """write(tmp_path), then rename onto path: readers see the whole file or none of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_yaml_mapping(path: Path, what: str) -> dict:
    """A YAML file that must hold a mapping; `what` says what it should contain, for the message."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, None, "file not found")
    if path.is_dir():
        raise InputError(path, None, "is a folder, not a file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise InputError(path, where, f"broken YAML: {getattr(exc, 'problem', None) or 'not valid YAML'}") from None
    except UnicodeDecodeError:
        raise InputError(path, None, "not a text file") from None
    if not isinstance(data, dict):
        raise InputError(path, None, f"must be a mapping of fields ({what})")
    return data
