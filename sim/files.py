"""Reading and writing the project's files safely: YAML mappings with clear errors, atomic writes.

Every YAML file the package reads (scenarios, experiments, calibration targets, uploads) goes through
`load_yaml_text`, which refuses what a plain `yaml.safe_load` would hang on or silently accept: a file
over `MAX_YAML_BYTES`, aliases that expand to more than `MAX_YAML_NODES` values ("billion laughs"),
nesting deeper than `MAX_YAML_DEPTH`, and a key given twice in one mapping (YAML keeps the last one).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, ScalarNode

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


def finite_or_none(x):
    """A copy of x (dicts, lists, numbers, numpy values) with NaN and infinities as None, for strict JSON."""
    if isinstance(x, dict):
        return {k: finite_or_none(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [finite_or_none(v) for v in x]
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if type(x).__module__ == "numpy":
        return finite_or_none(json_default(x))
    return x


def dumps_strict(obj, **kwargs) -> str:
    """JSON that any strict parser reads: null where a number is not finite (never NaN or Infinity)."""
    try:  # most objects hold only finite numbers: then the copy is not needed (a sweep's manifest: 0.25 s)
        return json.dumps(obj, allow_nan=False, default=json_default, **kwargs)
    except ValueError:  # a NaN or an infinity somewhere
        return json.dumps(finite_or_none(obj), allow_nan=False, default=json_default, **kwargs)


def write_json(path: Path, obj, indent: int = 2) -> None:
    """Strict JSON written atomically (see atomic_write)."""
    atomic_write(path, lambda p: Path(p).write_text(dumps_strict(obj, indent=indent) + "\n"))


MAX_YAML_BYTES = 5_000_000
MAX_YAML_DEPTH = 50
MAX_YAML_NODES = 1_000_000  # values after expanding aliases; a large calibrated scenario has about 10,000
QUOTE_CHARS = 60


def quote(value, limit: int = QUOTE_CHARS) -> str:
    """repr(value) cut to `limit` characters, so a message stays one short line whatever was given."""
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return " ".join(text.split())


def clip(text, limit: int = QUOTE_CHARS) -> str:
    """str(text) cut to `limit` characters, on one line."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def atomic_write(path: Path, write) -> None:
    """write(tmp_path), then rename onto path: readers see the whole file or none of it. The file gets
    the user's normal permissions (0o666 minus the umask), not the 0o600 of a temporary file."""
    from .outputs import umask

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, 0o666 & ~umask())
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data) -> None:
    """`data` (bytes or a buffer) written by atomic_write. For a sweep's driver, which writes a small file
    per run: serialised in memory first, because pyarrow writing to a path resolves a filesystem for it,
    which cost more than the write."""
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


class _Refused(yaml.YAMLError):
    def __init__(self, problem: str, mark=None):
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader that bounds nesting while composing and refuses duplicate keys while constructing."""

    def compose_node(self, parent, index):
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _Refused(f"nested more than {MAX_YAML_DEPTH} levels deep", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            seen = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    if key in seen:
                        raise _Refused(f"key {quote(key)} given twice (first on line {seen[key] + 1})",
                                       key_node.start_mark)
                except TypeError:  # an unhashable key: SafeLoader reports it itself
                    continue
                seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def _expanded_size(root) -> int:
    """Number of values the document holds once aliases are expanded, counted without expanding them."""
    sizes: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, ScalarNode):
            sizes[id(node)] = 1
            continue
        children = [v for pair in node.value for v in pair] if isinstance(node, MappingNode) else list(node.value)
        if done:
            sizes[id(node)] = min(1 + sum(sizes[id(c)] for c in children), MAX_YAML_NODES + 1)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def load_yaml_text(text: str, source: str | Path) -> object:
    """Parse YAML text with the limits above; any problem is an InputError naming `source`."""
    if len(text) > MAX_YAML_BYTES:
        raise InputError(source, None, f"file is {len(text) / 1e6:.1f} MB; YAML files are limited to "
                                       f"{MAX_YAML_BYTES / 1e6:.0f} MB")
    loader = _GuardedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_YAML_NODES:
            raise _Refused(f"aliases expand to more than {MAX_YAML_NODES:,} values")
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InputError(source, where, f"broken YAML: {problem}") from None
    except RecursionError:
        raise InputError(source, None, f"broken YAML: nested more than {MAX_YAML_DEPTH} levels deep") from None
    finally:
        loader.dispose()


def read_text_capped(path: Path, limit: int = MAX_YAML_BYTES) -> str:
    """A UTF-8 text file of at most `limit` bytes; refuses folders, devices and binary files in one line."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, None, "file not found")
    if path.is_dir():
        raise InputError(path, None, "is a folder, not a file")
    if not path.is_file():
        raise InputError(path, None, "not a regular file")
    with path.open("rb") as fh:
        raw = fh.read(limit + 1)
    if len(raw) > limit:
        raise InputError(path, None, f"file is larger than {limit / 1e6:.0f} MB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, None, f"not a UTF-8 text file (byte {exc.start})") from None


def read_yaml(path: Path) -> object:
    """Any YAML document from a file, with the limits of `load_yaml_text`."""
    return load_yaml_text(read_text_capped(path), path)


def read_yaml_mapping(path: Path, what: str) -> dict:
    """A YAML file that must hold a mapping; `what` says what it should contain, for the message."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(path, None, f"must be a mapping of fields ({what})")
    return data
