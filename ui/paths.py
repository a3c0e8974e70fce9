"""The folders the app may read for a user, and messages with the server's paths taken out.

An uploaded scenario names its network and base by paths; the server must not follow them anywhere (an
absolute path or `..` could open any file), and messages shown in the browser must not reveal where the
app is installed. Nothing here draws."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "scenarios"
NETWORK_DIR = ROOT / "geodata"


def _env_dirs(name: str) -> list[Path]:
    return [Path(p).resolve() for p in os.environ.get(name, "").split(os.pathsep) if p]


def data_dirs() -> list[Path]:
    """Folders an upload's relative `base:` and `network:` are looked up in, in order: the shipped scenarios,
    the folders SIM_APP_SCENARIOS lists (the app's scenario choice), then SIM_APP_DATA (paths joined by
    os.pathsep) for networks and scenarios an administrator adds."""
    return list(dict.fromkeys([SCENARIO_DIR] + _env_dirs("SIM_APP_SCENARIOS") + _env_dirs("SIM_APP_DATA")))


def allowed_roots() -> list[Path]:
    return list(dict.fromkeys(data_dirs() + [NETWORK_DIR]))


def inside(path: Path, roots: list[Path]) -> bool:
    path = path.resolve()
    return any(path == r or r in path.parents for r in roots)


def results_root() -> Path:
    """The folder whose subfolders the Experiments page offers: SIM_APP_RESULTS, default out/."""
    env = os.environ.get("SIM_APP_RESULTS")
    return Path(env).resolve() if env else ROOT / "out"


def run_cache_dir() -> Path | None:
    """Where the app keeps finished runs on disk (sim.run_cache): SIM_APP_RUN_CACHE, default out/run_cache;
    None (runs kept in memory only) if that is not inside out/, the results folder or a SIM_APP_DATA folder:
    the server writes and deletes there, so never anywhere else."""
    from sim.run_cache import default_folder

    folder = default_folder().resolve()
    roots = [(ROOT / "out").resolve(), results_root()] + _env_dirs("SIM_APP_DATA")
    return folder if inside(folder, roots) else None


def resolve_reference(value: str) -> Path | None:
    """Where a relative `base:`/`network:` of an upload points: the first data folder where it exists (or the
    shipped scenarios folder if none has it); None if it is absolute or leaves the app's folders."""
    if Path(value).is_absolute() or value.startswith("~"):
        return None
    roots = allowed_roots()
    candidates = [(d / value).resolve() for d in data_dirs()]
    allowed = [c for c in candidates if inside(c, roots)]
    if not allowed:
        return None
    return next((c for c in allowed if c.exists()), allowed[0])


def _known_dirs() -> list[tuple[str, str]]:
    """(server prefix, what to show instead), longest first so the most specific one wins."""
    pairs = [(str(results_root()), "results"), (str(ROOT), "")]
    pairs += [(str(d), d.name) for d in _env_dirs("SIM_APP_SCENARIOS") + _env_dirs("SIM_APP_DATA")]
    return sorted(set(pairs), key=lambda p: -len(p[0]))


_ABSOLUTE = re.compile(r"(?<![\w.~-])/(?:[^\s'\"`:,;()\[\]<>]+)")


def _join(shown: str, slash: str) -> str:
    if shown:
        return shown + slash
    return "" if slash else "."


def public(text: str) -> str:
    """The text with every server path shown relative to the app (scenarios/baseline.yaml), or, for a path
    outside the app's folders, by its last part only."""
    for prefix, shown in _known_dirs():
        if not prefix or prefix == "/":
            continue
        text = re.sub(re.escape(prefix) + r"(/|(?![\w.-]))", lambda m, s=shown: _join(s, m.group(1)), text)
    return _ABSOLUTE.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1], text)
