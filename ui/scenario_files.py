"""Scenario files for the app: the shipped ones listed, uploads validated, edits written back as YAML.

Every error is an InputError naming the file and the field; nothing here draws."""

from __future__ import annotations

import datetime as _dt
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

from sim.errors import InputError
from sim.files import load_yaml_text, read_yaml
from sim.network import RouteNetwork, load_network
from sim.scenario import Scenario, check_against_network, parse_scenario, scenario_data
from ui import paths
from ui.paths import public

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "scenarios"
MAX_UPLOAD_BYTES = 1_000_000  # 1 MB: a scenario is a few kB


# the shipped folders the app offers: the scenarios, the 2016-2023 replay, and a planner's mirrors of its
# shocks on the 2023 world (to compare with the baseline on the Compare page)
SHIPPED_DIRS = (SCENARIO_DIR, SCENARIO_DIR / "history", SCENARIO_DIR / "history" / "mirrors")


def scenario_dirs() -> list[Path]:
    """Folders whose *.yaml files the app offers; SIM_APP_SCENARIOS (paths joined by os.pathsep) overrides."""
    env = os.environ.get("SIM_APP_SCENARIOS")
    if env:
        return [Path(p).resolve() for p in env.split(os.pathsep) if p]
    return list(SHIPPED_DIRS)


def list_scenarios() -> dict[str, Path]:
    """Label -> path of every *.yaml in the scenario folders; baseline first, then alphabetical."""
    files = []
    for d in scenario_dirs():
        if d.is_dir():
            files.extend(sorted(d.glob("*.yaml")) + sorted(d.glob("*.yml")))
    files.sort(key=lambda p: (p.stem != "baseline", p.stem))
    out = {}
    for p in files:
        label = _label(p)
        while label in out:
            label += " "
        out[label] = p
    return out


_LABELS: dict = {}  # (path, modification time, size) -> label: the sidebar lists the files on every rerun


def _label(path: Path) -> str:
    """The scenario's name and file name, read once per version of the file."""
    try:
        st = path.stat()
        stamp = (str(path), st.st_mtime_ns, st.st_size)
    except OSError:
        return path.name
    if stamp not in _LABELS:
        label = path.name
        try:
            name = (read_yaml(path) or {}).get("name")
            if isinstance(name, str) and name.strip():
                label = f"{name.strip()} ({path.name})"
        except Exception:  # a broken file still gets listed; loading it shows the error
            pass
        if len(_LABELS) > 1000:
            _LABELS.clear()
        _LABELS[stamp] = label
    return _LABELS[stamp]


def check(data: dict, source: str | None, network_loader: Callable = load_network) -> tuple[Scenario, RouteNetwork]:
    """Validate a scenario mapping (network path absolute) and check it against its network."""
    scenario = parse_scenario(data, source)
    network = network_loader(scenario.network_path())
    check_against_network(scenario, network)
    return scenario, network


def load_file(path: str | Path, network_loader: Callable = load_network) -> tuple[dict, Scenario, RouteNetwork]:
    """A scenario file as (raw mapping with base merged and absolute network, Scenario, RouteNetwork)."""
    path = Path(path)
    data = scenario_data(path)
    scenario, network = check(data, str(path), network_loader)
    return data, scenario, network


def read_upload(name: str, content: bytes, base_dir: str | Path = SCENARIO_DIR,
                network_loader: Callable = load_network) -> tuple[dict, Scenario, RouteNetwork]:
    """Validate an uploaded scenario file. Its `network` and `base` may only name shipped networks and
    scenarios, or files in a configured data folder (ui.paths.data_dirs): relative paths are read as if the
    file were saved in ``base_dir`` (the repository's scenarios/ folder), then in the data folders; absolute
    paths and paths leaving those folders are refused. Raises InputError naming the upload by its own name,
    with no server path in the message."""
    name = Path(name or "uploaded.yaml").name
    try:
        return _read_upload(name, content, Path(base_dir), network_loader)
    except InputError as exc:
        if exc.file is None or exc.file == name:
            raise InputError(name, exc.where, public(exc.message)) from None
        # a problem in a file the upload refers to (its base, its network): named after the upload, then where
        where = f"in {public(exc.file)}" + (f", {exc.where}" if exc.where else "")
        raise InputError(name, where, public(exc.message)) from None


def _reference(name: str, key: str, value: str, base_dir: Path) -> str:
    roots = [base_dir.resolve()] + [d for d in paths.allowed_roots() if d != base_dir.resolve()]
    if Path(value).is_absolute() or value.startswith("~"):
        target = None
    else:
        candidates = [(d / value).resolve() for d in [base_dir.resolve()] + paths.data_dirs()]
        allowed = [c for c in candidates if paths.inside(c, roots)]
        target = next((c for c in allowed if c.exists()), allowed[0] if allowed else None)
    if target is None:
        what = "an absolute path" if Path(value).is_absolute() or value.startswith("~") else "a path leaving " \
            "the app's folders"
        raise InputError(name, key, f"{what} is not allowed in an uploaded scenario: name a shipped "
                                    f"{'network' if key == 'network' else 'scenario'} relative to scenarios/ "
                                    f"(e.g. {'../geodata/europe' if key == 'network' else 'baseline.yaml'})")
    return str(target)


def _read_upload(name: str, content: bytes, base_dir: Path, network_loader: Callable):
    if len(content) > MAX_UPLOAD_BYTES:
        raise InputError(name, None, f"file is {len(content) / 1e6:.1f} MB; scenario files are limited to "
                                     f"{MAX_UPLOAD_BYTES / 1e6:.0f} MB")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(name, None, "not a text file (UTF-8 YAML expected)") from None
    data = load_yaml_text(text, name)
    if not isinstance(data, dict):
        raise InputError(name, None, "a scenario must be a mapping of fields (name, network, demand, ...)")
    for key in ("network", "base"):
        if key in data and not isinstance(data[key], str):
            raise InputError(name, key, "must be a path (text) relative to the scenarios/ folder")
        if isinstance(data.get(key), str):
            data[key] = _reference(name, key, data[key], base_dir)
    if "base" in data:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
            try:
                data = scenario_data(path)
            except InputError as exc:
                file = name if exc.file == str(path) else exc.file
                raise InputError(file, exc.where, exc.message) from None
    scenario, network = check(data, name, network_loader)
    return data, scenario, network


def _relative_network(scenario: Scenario, target_dir: Path) -> str:
    net = scenario.network_path()
    try:
        return Path(os.path.relpath(net, target_dir)).as_posix()
    except ValueError:  # another drive on Windows
        return str(net)


def _explicit(full_i: dict, lean_i: dict) -> dict:
    """An intervention with its kind, timing, intensity and cost written out; an open-ended cost_eur (read per
    year since costs are pro-rated) is written as the cost_eur_per_year it means, so check does not warn."""
    out = {k: v for k, v in full_i.items() if k in lean_i or k in ("kind", "start", "end", "intensity")}
    if full_i.get("cost_eur") and full_i.get("end") is None:
        out.pop("cost_eur", None)
        out["cost_eur_per_year"] = full_i["cost_eur"]
    elif full_i.get("cost_eur"):
        out["cost_eur"] = full_i["cost_eur"]
        out.pop("cost_eur_per_year", None)
    else:
        out["cost_eur_per_year"] = full_i.get("cost_eur_per_year") or 0.0
        out.pop("cost_eur", None)
    return out


def scenario_yaml(scenario: Scenario, target_dir: str | Path = SCENARIO_DIR) -> str:
    """The scenario as YAML that passes `python -m sim check` once saved in ``target_dir`` (scenarios/):
    the network path is written relative to that folder."""
    target_dir = Path(target_dir)
    full = scenario.model_dump(mode="json")
    lean = scenario.model_dump(mode="json", exclude_defaults=True)
    out = {"name": full["name"]}
    if full.get("description"):
        out["description"] = full["description"]
    out["network"] = _relative_network(scenario, target_dir)
    for key in ("days", "seed", "scale", "demand"):
        out[key] = full[key]
    for key in full:  # every other field that differs from its default, whatever fields the schema gains
        if key not in out and key not in ("description", "base") and lean.get(key):
            out[key] = lean[key]
    if "interventions" in out:  # keep every lever's kind, timing, intensity and cost explicit
        out["interventions"] = [_explicit(full_i, lean_i) for full_i, lean_i in zip(full["interventions"],
                                                                                     lean["interventions"])]
    head = (f"# Scenario saved from the simulator app on {_dt.date.today().isoformat()}.\n"
            f"# 'network' is relative to the scenarios/ folder: save this file there, then\n"
            f"#   python -m sim check scenarios/<this file>\n")
    return head + yaml.safe_dump(out, sort_keys=False, allow_unicode=True)

