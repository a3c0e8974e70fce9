"""The whole exercise as one file (script, seeds, lines, decisions, offers, injects, messages, round
results), and its import into another data folder, validated like a scenario, replayed there.

Round results are never trusted from the file: the import replays every closed round and refuses the file
if a result differs (another base scenario or model version would not give the same exercise)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError

from .. import __version__
from ..errors import InputError
from ..files import read_yaml_mapping
from ..scenario import validation_problem
from .adjudicate import Decision, round_results, run_line
from .exercises import create_exercise
from .script import SCENARIOS_DIR, InjectEvent, Name, Strict
from .store import base_fingerprint

FORMAT = "migration-sim exercise export"
Text = Annotated[str, Field(max_length=2000)]


class LineRow(Strict):
    id: Annotated[int, Field(ge=1)]
    name: Annotated[str, Field(max_length=60)]
    parent: int | None
    fork_round: Annotated[int, Field(ge=0)]
    status: Literal["running", "ended"]


class RoundRow(Strict):
    line: int
    number: Annotated[int, Field(ge=1)]
    status: Literal["open", "closing", "closed"]
    deadline: float | None = None
    results: dict | None = None


class DecisionRow(Strict):
    line: int
    round: Annotated[int, Field(ge=1)]
    team: Name
    payload: Decision
    cost_eur: Annotated[float, Field(gt=0)]
    status: Literal["pending", "final", "withdrawn"]
    offer: int | None = None
    partner: Name | None = None
    emit: Literal[0, 1] = 1


class OfferRow(Strict):
    id: int
    line: int
    round: Annotated[int, Field(ge=1)]
    from_team: Name
    to_team: Name
    payload: Decision
    cost_each_eur: Annotated[float, Field(gt=0)]
    status: Literal["offered", "accepted", "declined", "withdrawn", "expired"]


class InjectRow(Strict):
    line: int
    round: Annotated[int, Field(ge=1)]
    inject_id: Annotated[str, Field(max_length=40)]
    cause: Literal["scripted", "condition", "unscripted"]
    message: Annotated[str, Field(min_length=1, max_length=1000)]
    recipients: list[Name]
    event: InjectEvent | None = None
    start_day: Annotated[int, Field(ge=0)] | None = None
    note: Text = ""


class MessageRow(Strict):
    line: int
    round: Annotated[int, Field(ge=0)]
    sender: Name
    recipient: Name | None = None
    text: Annotated[str, Field(min_length=1, max_length=1000)]


class ExportFile(Strict):
    format: Literal["migration-sim exercise export"]
    version: str
    exercise_id: str
    script: Annotated[str, Field(max_length=200_000)]
    base_sha: str
    status: Literal["running", "paused", "ended"]
    current_line: int
    lines: Annotated[list[LineRow], Field(min_length=1)]
    rounds: list[RoundRow]
    decisions: list[DecisionRow]
    offers: list[OfferRow]
    injects: list[InjectRow]
    messages: list[MessageRow]


def export_exercise(ex) -> dict:
    """Everything needed to continue or replay the exercise elsewhere (no codes: the importer gets new ones)."""
    with ex.read() as c:
        head = dict(c.execute("SELECT exercise_id, script, base_sha, status, current_line FROM exercise").fetchone())

        def rows(sql):
            return [dict(r) for r in c.execute(sql)]

        data = {
            "format": FORMAT, "version": __version__, **head,
            "lines": rows("SELECT id, name, parent, fork_round, status FROM lines ORDER BY id"),
            "rounds": rows("SELECT line, number, status, deadline, results FROM rounds ORDER BY line, number"),
            "decisions": rows("SELECT line, round, team, payload, cost_eur, status, offer, partner, emit FROM decisions "
                              "ORDER BY id"),
            "offers": rows("SELECT id, line, round, from_team, to_team, payload, cost_each_eur, status FROM offers "
                           "ORDER BY id"),
            "injects": rows("SELECT line, round, inject_id, cause, message, recipients, event, start_day, note "
                            "FROM injects ORDER BY id"),
            "messages": rows("SELECT line, round, sender, recipient, text FROM messages ORDER BY id"),
        }
    for r in data["rounds"]:
        r["results"] = json.loads(r["results"]) if r["results"] else None
    for d in data["decisions"] + data["offers"]:
        d["payload"] = json.loads(d["payload"])
    for i in data["injects"]:
        i["recipients"] = json.loads(i["recipients"])
        i["event"] = json.loads(i["event"]) if i["event"] else None
    return data


def write_export(ex, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(export_exercise(ex), indent=1), encoding="utf-8")
    return path


def import_exercise(folder: str | Path, path: str | Path, *, scenarios_dir: Path = SCENARIOS_DIR):
    """A new exercise in `folder` from an export file: validated, replayed, checked. Returns (exercise, codes)."""
    path = Path(path)
    raw = read_yaml_mapping(path, "an exercise export (format, script, lines, decisions, ...)")
    try:
        data = ExportFile.model_validate(raw)
    except ValidationError as exc:
        where, msg = validation_problem(exc)
        raise InputError(path, f"field '{where}'", msg) from None
    ex, codes = create_exercise(folder, data.script, source=f"{path}: script", scenarios_dir=scenarios_dir)
    if base_fingerprint(ex.base, ex.network) != data.base_sha:
        _discard(ex)
        raise InputError(path, "field 'base_sha'", "the base scenario or its network differs from the exporting "
                         "server's: the exercise would not replay identically")
    teams = {t.name for t in ex.script.teams}
    lines = {ln.id for ln in data.lines}
    for group in ("decisions", "offers", "injects", "messages", "rounds"):
        for i, row in enumerate(getattr(data, group)):
            names = [getattr(row, k, None) for k in ("team", "partner", "from_team", "to_team")]
            names += [n for n in (getattr(row, "sender", None), getattr(row, "recipient", None)) if n != "facilitator"]
            names += list(getattr(row, "recipients", []))
            bad = [n for n in names if n is not None and n not in teams]
            if bad or row.line not in lines:
                _discard(ex)
                what = f"unknown team {bad[0]!r}" if bad else f"unknown line {row.line}"
                raise InputError(path, f"field '{group}[{i}]'", what)
    now = time.time()
    with ex.write() as c:
        for table in ("rounds", "injects", "decisions", "offers", "messages", "lines"):
            c.execute(f"DELETE FROM {table}")
        for ln in data.lines:
            c.execute("INSERT INTO lines (id, name, parent, fork_round, status, created) VALUES (?,?,?,?,?,?)",
                      (ln.id, ln.name, ln.parent, ln.fork_round, ln.status, now))
        for r in data.rounds:
            first, end = ex.script.round_days(r.number)
            c.execute("INSERT INTO rounds (line, number, status, start_day, end_day, opened_at, deadline) "
                      "VALUES (?,?,?,?,?,?,?)", (r.line, r.number, "open" if r.status != "closed" else "closed",
                                                 first, end, now, r.deadline))
        for o in data.offers:
            c.execute("INSERT INTO offers (id, line, round, from_team, to_team, payload, cost_each_eur, status, created)"
                      " VALUES (?,?,?,?,?,?,?,?,?)", (o.id, o.line, o.round, o.from_team, o.to_team,
                                                       o.payload.model_dump_json(), o.cost_each_eur, o.status, now))
        for d in data.decisions:
            c.execute("INSERT INTO decisions (line, round, team, payload, cost_eur, status, offer, partner, emit, "
                      "created) VALUES (?,?,?,?,?,?,?,?,?,?)", (d.line, d.round, d.team, d.payload.model_dump_json(),
                                                                d.cost_eur, d.status, d.offer, d.partner, d.emit, now))
        for i in data.injects:
            c.execute("INSERT INTO injects (line, round, inject_id, cause, message, recipients, event, start_day, note,"
                      " created) VALUES (?,?,?,?,?,?,?,?,?,?)",
                      (i.line, i.round, i.inject_id, i.cause, i.message, json.dumps(i.recipients),
                       i.event.model_dump_json() if i.event else None, i.start_day, i.note, now))
        for m in data.messages:
            c.execute("INSERT INTO messages (line, round, sender, recipient, text, created) VALUES (?,?,?,?,?,?)",
                      (m.line, m.round, m.sender, m.recipient, m.text, now))
        c.execute("UPDATE exercise SET status = ?, current_line = ?", (data.status, data.current_line))
    _replay_into(ex, data, path)
    return ex, codes


def _discard(ex) -> None:
    """Remove a half-imported exercise, so a refused file leaves nothing behind."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(ex.path) + suffix).unlink(missing_ok=True)


def _replay_into(ex, data: ExportFile, path: Path) -> None:
    """Recompute every closed round of every line; refuse the file if one differs from what it says."""
    for ln in data.lines:
        closed = sorted(r.number for r in data.rounds if r.line == ln.id and r.status == "closed")
        for number in closed:
            res = run_line(ex.script, ex.base, ex.history(ln.id, number), number)
            ours = round_results(res, ex.script, ex.network, number)
            # condition injects are already in the file's inject list: keep what it says fired
            theirs = next(r.results for r in data.rounds if r.line == ln.id and r.number == number) or {}
            ours["conditions_fired"] = theirs.get("conditions_fired", [])
            if json.loads(json.dumps(ours)) != theirs:
                _discard(ex)
                raise InputError(path, f"field 'rounds' (line {ln.id}, round {number})",
                                 "replaying the decisions does not give the round's stored results")
            with ex.write() as c:
                c.execute("UPDATE rounds SET results = ?, closed_at = ? WHERE line = ? AND number = ?",
                          (json.dumps(ours), time.time(), ln.id, number))

