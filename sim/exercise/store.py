"""Shared exercise state: one SQLite file (WAL mode) per exercise, so every browser session on the server
sees the same exercise and a reload, a dropped connection or a server restart loses nothing.

Every operation opens its own connection (Streamlit serves each browser from its own thread) and every
write runs inside BEGIN IMMEDIATE, so checks (budget, round open) and the write they guard are atomic."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import time
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from ..errors import InputError
from .adjudicate import Played
from .common import ExerciseError
from .script import SCENARIOS_DIR, load_script_text

DEFAULT_FOLDER = Path("out") / "exercises"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud and typed
CODE_LENGTH = 10  # 32**10 = 2**50 possible codes

SCHEMA = """
CREATE TABLE IF NOT EXISTS exercise (
    id INTEGER PRIMARY KEY CHECK (id = 1), exercise_id TEXT NOT NULL, name TEXT NOT NULL, script TEXT NOT NULL,
    base_sha TEXT NOT NULL, salt TEXT NOT NULL, facilitator_hash TEXT NOT NULL, status TEXT NOT NULL,
    current_line INTEGER NOT NULL, created REAL NOT NULL, version INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS teams (
    name TEXT PRIMARY KEY, code_hash TEXT NOT NULL, joined_at REAL);
CREATE TABLE IF NOT EXISTS lines (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, parent INTEGER REFERENCES lines(id), fork_round INTEGER NOT NULL,
    status TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS rounds (
    line INTEGER NOT NULL REFERENCES lines(id), number INTEGER NOT NULL, status TEXT NOT NULL,
    start_day INTEGER NOT NULL, end_day INTEGER NOT NULL, opened_at REAL NOT NULL, deadline REAL,
    closed_at REAL, results TEXT, PRIMARY KEY (line, number));
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY, line INTEGER NOT NULL REFERENCES lines(id), round INTEGER NOT NULL,
    team TEXT NOT NULL REFERENCES teams(name), payload TEXT NOT NULL, cost_eur REAL NOT NULL,
    status TEXT NOT NULL, offer INTEGER REFERENCES offers(id), partner TEXT, emit INTEGER NOT NULL DEFAULT 1,
    created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS offers (
    id INTEGER PRIMARY KEY, line INTEGER NOT NULL, round INTEGER NOT NULL, from_team TEXT NOT NULL,
    to_team TEXT NOT NULL, payload TEXT NOT NULL, cost_each_eur REAL NOT NULL, status TEXT NOT NULL,
    created REAL NOT NULL, answered REAL);
CREATE TABLE IF NOT EXISTS injects (
    id INTEGER PRIMARY KEY, line INTEGER NOT NULL, round INTEGER NOT NULL, inject_id TEXT NOT NULL,
    cause TEXT NOT NULL, message TEXT NOT NULL, recipients TEXT NOT NULL, event TEXT, start_day INTEGER,
    note TEXT NOT NULL DEFAULT '', created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY, line INTEGER NOT NULL, round INTEGER NOT NULL, sender TEXT NOT NULL,
    recipient TEXT, text TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS decisions_by_round ON decisions (line, round, team);
"""


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_code(code: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", str(code).upper())


def _hash(salt: str, code: str) -> str:
    return hashlib.sha256((salt + normalise_code(code)).encode()).hexdigest()


def base_fingerprint(base, network) -> str:
    """What the replay depends on besides the script: the base scenario and its network's files."""
    data = base.model_dump(mode="json")
    data["network"] = Path(data["network"]).name
    h = hashlib.sha256(json.dumps(data, sort_keys=True).encode())
    for f in sorted(Path(network.folder).glob("*")):
        if f.is_file() and f.suffix in (".csv", ".geojson"):
            h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()


class ExerciseStore:
    """One exercise's database file. Cheap to create: open it from every page run."""

    def __init__(self, path: str | Path, scenarios_dir: Path = SCENARIOS_DIR):
        self.path = Path(path)
        self.scenarios_dir = scenarios_dir
        if not self.path.is_file():
            raise InputError(self.path, None, "no such exercise file")

    # ------------------------------------------------------------------ connections
    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
        return conn

    @contextmanager
    def read(self):
        conn = self.connect()
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def write(self):
        """A write transaction that takes the database's write lock at once (no lost updates). Each one
        bumps the exercise's version, which the pages poll to know when to redraw."""
        conn = self.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                self._bump(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    @staticmethod
    def _bump(conn) -> None:
        try:
            conn.execute("UPDATE exercise SET version = version + 1")
        except sqlite3.OperationalError as exc:  # a file written before the counter existed
            if "no such column" not in str(exc):
                raise
            conn.execute("ALTER TABLE exercise ADD COLUMN version INTEGER NOT NULL DEFAULT 0")
            conn.execute("UPDATE exercise SET version = version + 1")

    def version(self) -> int:
        """A number that changes with every change to the exercise: one cheap query, polled every second."""
        with self.read() as c:
            try:
                return int(c.execute("SELECT version FROM exercise").fetchone()["version"])
            except sqlite3.OperationalError:  # no counter yet: the first write adds it
                return 0

    # ------------------------------------------------------------------ the script, parsed once
    @cached_property
    def _loaded(self):
        with self.read() as c:
            text = c.execute("SELECT script FROM exercise").fetchone()["script"]
        return load_script_text(text, self.path, self.scenarios_dir)

    @property
    def script(self):
        return self._loaded[0]

    @property
    def base(self):
        return self._loaded[1]

    @property
    def network(self):
        return self._loaded[2]

    def info(self) -> dict:
        with self.read() as c:
            row = dict(c.execute("SELECT exercise_id, name, status, current_line, created, base_sha FROM exercise")
                       .fetchone())
        return row

    def round_state(self) -> dict:
        """The exercise's status and the played line's latest round with its deadline: what the pages
        redraw every second (two small queries)."""
        with self.read() as c:
            ex = c.execute("SELECT status, current_line FROM exercise").fetchone()
            r = c.execute("SELECT number, status, deadline FROM rounds WHERE line = ? ORDER BY number DESC LIMIT 1",
                          (ex["current_line"],)).fetchone()
        return {"status": ex["status"], "line": ex["current_line"], "round": r["number"], "round_status": r["status"],
                "deadline": r["deadline"], "rounds": self.script.rounds}

    # ------------------------------------------------------------------ codes
    def join(self, code: str) -> str | None:
        """The team a join code belongs to (and marks it joined), or None."""
        with self.write() as c:
            salt = c.execute("SELECT salt FROM exercise").fetchone()["salt"]
            h = _hash(salt, code)
            for row in c.execute("SELECT name, code_hash FROM teams").fetchall():
                if hmac.compare_digest(row["code_hash"], h):
                    c.execute("UPDATE teams SET joined_at = coalesce(joined_at, ?) WHERE name = ?", (time.time(), row["name"]))
                    return row["name"]
        return None

    def is_facilitator(self, code: str) -> bool:
        with self.read() as c:
            row = c.execute("SELECT salt, facilitator_hash FROM exercise").fetchone()
        return hmac.compare_digest(row["facilitator_hash"], _hash(row["salt"], code))

    def new_team_code(self, team: str) -> str:
        """A fresh join code for a team (the old one stops working): for a code that got lost or leaked."""
        code = new_code()
        with self.write() as c:
            salt = c.execute("SELECT salt FROM exercise").fetchone()["salt"]
            if c.execute("UPDATE teams SET code_hash = ? WHERE name = ?", (_hash(salt, code), team)).rowcount != 1:
                raise ExerciseError(f"no team {team!r}")
        return code

    # ------------------------------------------------------------------ lines and rounds
    def chain(self, conn, line: int) -> list[tuple[int, int | None]]:
        """The line and its ancestors, each with the last round it contributes (None = all)."""
        out, bound = [], None
        while line is not None:
            row = conn.execute("SELECT parent, fork_round FROM lines WHERE id = ?", (line,)).fetchone()
            if row is None:
                raise ExerciseError(f"no line {line}")
            out.append((line, bound))
            bound = row["fork_round"] if bound is None else min(bound, row["fork_round"])
            line = row["parent"]
        return out

    def _on_chain(self, conn, table: str, line: int, where: str = "1", args: tuple = (), order: str = "id"):
        rows = []
        for ln, bound in self.chain(conn, line):
            cond = f"line = ? AND {'round' if table != 'rounds' else 'number'} <= ?" if bound is not None else "line = ?"
            params = (ln, bound) if bound is not None else (ln,)
            rows += [dict(r) for r in conn.execute(f"SELECT * FROM {table} WHERE {cond} AND ({where})", params + args)]
        key = (lambda r: (r["number"],)) if table == "rounds" else (lambda r: (r["round"], r[order]))
        return sorted(rows, key=key)

    def current_line(self) -> int:
        with self.read() as c:
            return c.execute("SELECT current_line FROM exercise").fetchone()["current_line"]

    def rounds(self, line: int | None = None) -> list[dict]:
        with self.read() as c:
            line = line or c.execute("SELECT current_line FROM exercise").fetchone()["current_line"]
            rows = self._on_chain(c, "rounds", line)
        for r in rows:
            r["results"] = json.loads(r["results"]) if r["results"] else None
        return rows

    def open_round(self, conn, line: int) -> dict:
        row = conn.execute("SELECT * FROM rounds WHERE line = ? AND status IN ('open', 'closing') "
                           "ORDER BY number DESC LIMIT 1", (line,)).fetchone()
        if row is None:
            raise ExerciseError("no round is open on this line (the exercise has ended)")
        return dict(row)

    def _running(self, conn):
        status = conn.execute("SELECT status FROM exercise").fetchone()["status"]
        if status == "paused":
            raise ExerciseError("the exercise is paused")
        if status == "ended":
            raise ExerciseError("the exercise has ended")

    def history(self, line: int, through_round: int | None = None, conn=None) -> list[Played]:
        """The line's ordered decisions and delivered injects: everything adjudication replays."""
        if conn is None:
            with self.read() as c:
                return self.history(line, through_round, c)
        out = []
        for d in self._on_chain(conn, "decisions", line, "status IN ('pending', 'final') AND emit = 1"):
            payload = json.loads(d["payload"])
            out.append(Played(round=d["round"], team=d["team"], decision=payload, partner=d["partner"]))
        for i in self._on_chain(conn, "injects", line, "event IS NOT NULL"):
            out.append(Played(round=i["round"], inject=i["inject_id"], event=json.loads(i["event"]),
                              start_day=i["start_day"]))
        if through_round is not None:
            out = [p for p in out if p.round <= through_round]
        return out

    def _deliver(self, conn, line: int, number: int, inject, cause: str, start_day: int | None = None):
        start = start_day if start_day is not None else self.script.round_days(number)[0]
        conn.execute("INSERT INTO injects (line, round, inject_id, cause, message, recipients, event, start_day, note,"
                     " created) VALUES (?,?,?,?,?,?,?,?,?,?)",
                     (line, number, inject.id, cause, inject.message.strip(), json.dumps(inject.to_teams),
                      inject.event.model_dump_json() if inject.event else None, start, inject.facilitator_note,
                      time.time()))

    def _open(self, conn, line: int, number: int, already: set[str], fired: list[str] = ()):
        """Open round `number` and deliver its scripted injects and the condition injects that fired."""
        first, end = self.script.round_days(number)
        conn.execute("INSERT INTO rounds (line, number, status, start_day, end_day, opened_at) VALUES (?,?,?,?,?,?)",
                     (line, number, "open", first, end, time.time()))
        for inj in self.script.injects:
            if inj.id in already:
                continue
            if inj.round == number:
                self._deliver(conn, line, number, inj, "scripted")
            elif inj.day is not None and first <= inj.day < end:
                self._deliver(conn, line, number, inj, "scripted", inj.day)
            elif inj.id in fired:
                self._deliver(conn, line, number, inj, "condition")
