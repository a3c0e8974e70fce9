"""The exercises in a data folder: create one from a script, open, list, and find one by its code."""

from __future__ import annotations

import re
import secrets
import sqlite3
import time
from pathlib import Path

from ..errors import InputError
from .facilitate import FacilitatorOperations
from .script import SCENARIOS_DIR, load_script_text
from .store import DEFAULT_FOLDER, SCHEMA, ExerciseStore, _hash, base_fingerprint, new_code
from .team import TeamOperations


class Exercise(TeamOperations, FacilitatorOperations, ExerciseStore):
    """One exercise: its stored state and everything teams and the facilitator can do with it.

    Cheap to create: pages open it again on every run. Access control is the pages' job: they hold the
    team a join code resolved to (`join`) or a checked facilitator code (`is_facilitator`)."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:30] or "exercise"


def create_exercise(folder: str | Path, script_text: str, *, source="exercise",
                    scenarios_dir: Path = SCENARIOS_DIR) -> tuple[Exercise, dict]:
    """A new exercise file from a script's text. Returns it and its codes, which are shown once and kept
    only as hashes: {'facilitator': code, 'teams': {name: code}}."""
    script, base, network = load_script_text(script_text, source, scenarios_dir)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    exercise_id = f"{time.strftime('%Y%m%d')}-{_slug(script.name)}-{secrets.token_hex(3)}"
    path = folder / f"{exercise_id}.sqlite"
    salt = secrets.token_hex(16)
    codes = {"facilitator": new_code(), "teams": {t.name: new_code() for t in script.teams}}
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(SCHEMA)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO lines (id, name, parent, fork_round, status, created) "
                     "VALUES (1, 'main', NULL, 0, 'running', ?)", (time.time(),))
        conn.execute("INSERT INTO exercise (id, exercise_id, name, script, base_sha, salt, facilitator_hash, status, "
                     "current_line, created) VALUES (1,?,?,?,?,?,?,?,?,?)",
                     (exercise_id, script.name, script_text, base_fingerprint(base, network), salt,
                      _hash(salt, codes["facilitator"]), "running", 1, time.time()))
        for name, code in codes["teams"].items():
            conn.execute("INSERT INTO teams (name, code_hash) VALUES (?, ?)", (name, _hash(salt, code)))
        conn.execute("COMMIT")
    finally:
        conn.close()
    ex = Exercise(path, scenarios_dir)
    ex.__dict__["_loaded"] = (script, base, network)  # already parsed: spare the second parse
    with ex.write() as c:
        ex._open(c, 1, 1, set())
    return ex, codes


def create_from_file(folder: str | Path, script_path: str | Path, **kw) -> tuple[Exercise, dict]:
    from ..files import read_yaml_mapping

    path = Path(script_path)
    read_yaml_mapping(path, "an exercise: name, base_scenario, teams, ...")  # same file errors as scenarios
    return create_exercise(folder, path.read_text(encoding="utf-8"), source=path, **kw)


def list_exercises(folder: str | Path = DEFAULT_FOLDER) -> list[dict]:
    out = []
    for path in sorted(Path(folder).glob("*.sqlite")):
        try:
            info = Exercise(path).info()
        except (sqlite3.Error, InputError):
            continue
        out.append({**info, "path": str(path)})
    return out


def open_exercise(folder: str | Path, exercise_id: str, scenarios_dir: Path = SCENARIOS_DIR) -> Exercise:
    if not re.fullmatch(r"[a-z0-9\-]+", exercise_id):
        raise InputError(folder, "exercise", f"not an exercise id: {exercise_id!r}")
    return Exercise(Path(folder) / f"{exercise_id}.sqlite", scenarios_dir)


def find_code(folder: str | Path, code: str) -> tuple[Exercise, str, str | None] | None:
    """The exercise a code opens, with the role ('facilitator' or 'team') and the team's name."""
    for item in list_exercises(folder):
        ex = Exercise(item["path"])
        if ex.is_facilitator(code):
            return ex, "facilitator", None
        team = ex.join(code)
        if team:
            return ex, "team", team
    return None
