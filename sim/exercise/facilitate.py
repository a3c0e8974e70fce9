"""What the facilitator can do: close a round (the model adjudicates), inject, pause, undo, branch, end.

Closing a round runs the model outside any transaction (it takes seconds): the round is first marked
'closing' (teams can no longer change it), then results are written in one transaction. A server killed
in between leaves the round 'closing', and closing it again simply reruns the same replay."""

from __future__ import annotations

import json
import time

from pydantic import ValidationError

from ..scenario import validation_problem
from .adjudicate import conditions_met, round_results, run_line
from .common import ExerciseError, clean_text
from .script import Inject, InjectEvent


class FacilitatorOperations:
    def _line(self, conn, line: int | None) -> int:
        return line or conn.execute("SELECT current_line FROM exercise").fetchone()["current_line"]

    def _delivered(self, conn, line: int) -> set[str]:
        return {i["inject_id"] for i in self._on_chain(conn, "injects", line)}

    def close_round(self, line: int | None = None) -> dict:
        """Run the model through the open round, store its results, deliver the next round's injects."""
        with self.write() as c:
            line = self._line(c, line)
            rnd = self.open_round(c, line)
            c.execute("UPDATE rounds SET status = 'closing' WHERE line = ? AND number = ?", (line, rnd["number"]))
            history = self.history(line, rnd["number"], c)
            already = self._delivered(c, line)
        number = rnd["number"]
        results = run_line(self.script, self.base, history, number)
        figures = round_results(results, self.script, self.network, number)
        fired = conditions_met(results, self.script, number, already) if number < self.script.rounds else []
        figures["conditions_fired"] = [{"inject": i, "value": v} for i, v in fired]
        with self.write() as c:
            row = c.execute("SELECT status FROM rounds WHERE line = ? AND number = ?", (line, number)).fetchone()
            if row is None or row["status"] != "closing":
                raise ExerciseError(f"round {number} changed while it was being closed; close it again")
            c.execute("UPDATE rounds SET status = 'closed', closed_at = ?, results = ? WHERE line = ? AND number = ?",
                      (time.time(), json.dumps(figures), line, number))
            c.execute("UPDATE decisions SET status = 'final' WHERE line = ? AND round = ? AND status = 'pending'",
                      (line, number))
            c.execute("UPDATE offers SET status = 'expired' WHERE line = ? AND round = ? AND status = 'offered'",
                      (line, number))
            if number < self.script.rounds:
                self._open(c, line, number + 1, self._delivered(c, line), [i for i, _ in fired])
            else:
                c.execute("UPDATE lines SET status = 'ended' WHERE id = ?", (line,))
        return figures

    def send_inject(self, message: str, *, to_teams: list[str] | None = None, event: dict | None = None,
                    note: str = "", line: int | None = None) -> str:
        """An unscripted inject in the open round; its event (if any) applies from the round's first day,
        so the round's result is as if it had been announced at the round's start."""
        to_teams = list(to_teams or [])
        for t in to_teams:
            self._team(t)
        try:
            ev = InjectEvent.model_validate(event) if event else None
        except ValidationError as exc:
            where, msg = validation_problem(exc)
            raise ExerciseError(f"inject event: field '{where}': {msg}") from None
        with self.write() as c:
            line = self._line(c, line)
            rnd = self.open_round(c, line)
            n = c.execute("SELECT count(*) AS n FROM injects WHERE cause = 'unscripted'").fetchone()["n"]
            inj = Inject(id=f"unscripted-{n + 1}", round=rnd["number"], message=clean_text(message, "message"),
                         to_teams=to_teams, event=ev, facilitator_note=note)
            if ev is not None:
                self._check_event(inj)
            self._deliver(c, line, rnd["number"], inj, "unscripted")
            return inj.id

    def _check_event(self, inj):
        from ..errors import InputError
        from .script import check_script

        probe = self.script.model_copy(update={"injects": [inj]})
        try:
            check_script(probe, self.base, self.network, "inject")
        except InputError as exc:
            raise ExerciseError(str(exc).replace("injects[0].", "")) from None

    def set_status(self, status: str) -> None:
        """'paused' stops teams changing their choices; 'running' resumes; 'ended' ends the exercise."""
        if status not in ("running", "paused", "ended"):
            raise ExerciseError(f"unknown status {status!r}")
        with self.write() as c:
            if c.execute("SELECT status FROM exercise").fetchone()["status"] == "ended" and status != "ended":
                raise ExerciseError("the exercise has ended")
            c.execute("UPDATE exercise SET status = ?", (status,))

    def pause(self):
        self.set_status("paused")

    def resume(self):
        self.set_status("running")

    def end(self):
        self.set_status("ended")

    def set_deadline(self, seconds: float | None, line: int | None = None) -> None:
        """A countdown for the open round (None clears it); the pages show it, closing stays manual."""
        with self.write() as c:
            line = self._line(c, line)
            rnd = self.open_round(c, line)
            when = None if seconds is None else time.time() + float(seconds)
            c.execute("UPDATE rounds SET deadline = ? WHERE line = ? AND number = ?", (when, line, rnd["number"]))

    def undo_last_round(self, line: int | None = None) -> int:
        """Reopen the line's last closed round: its results and the next round (with anything already
        chosen or delivered in it) are dropped; the reopened round's decisions are pending again."""
        with self.write() as c:
            line = self._line(c, line)
            fork = c.execute("SELECT fork_round FROM lines WHERE id = ?", (line,)).fetchone()["fork_round"]
            last = c.execute("SELECT max(number) AS n FROM rounds WHERE line = ? AND status = 'closed'",
                             (line,)).fetchone()["n"]
            if last is None or last <= fork:
                raise ExerciseError("no round of this line to undo (earlier rounds belong to the line it branched from)")
            nxt = last + 1
            for table in ("decisions", "offers", "injects", "messages"):
                c.execute(f"DELETE FROM {table} WHERE line = ? AND round = ?", (line, nxt))
            c.execute("DELETE FROM rounds WHERE line = ? AND number = ?", (line, nxt))
            c.execute("UPDATE rounds SET status = 'open', closed_at = NULL, results = NULL WHERE line = ? AND number = ?",
                      (line, last))
            c.execute("UPDATE decisions SET status = 'pending' WHERE line = ? AND round = ? AND status = 'final'",
                      (line, last))
            c.execute("UPDATE lines SET status = 'running' WHERE id = ?", (line,))
            return last

    def branch(self, from_round: int, name: str | None = None, line: int | None = None) -> int:
        """A new line that shares rounds 1..from_round with `line` and continues from there; it becomes the
        line the room plays (switch back with switch_line)."""
        with self.write() as c:
            line = self._line(c, line)
            closed = [r["number"] for r in self._on_chain(c, "rounds", line) if r["status"] == "closed"]
            if from_round < 0 or from_round > (max(closed) if closed else 0) or from_round >= self.script.rounds:
                raise ExerciseError(f"can branch only from a closed round before the last (0..{max(closed or [0])})")
            name = clean_text(name or f"what if from round {from_round}", "line name", 60)
            cur = c.execute("INSERT INTO lines (name, parent, fork_round, status, created) VALUES (?,?,?,?,?)",
                            (name, line, from_round, "running", time.time()))
            new = cur.lastrowid
            # the branch sees what the parent saw at the start of round from_round + 1 (same results so far)
            parent_next = [i for i in self._on_chain(c, "injects", line)
                           if i["round"] == from_round + 1 and i["cause"] in ("scripted", "condition")]
            already = {i["inject_id"] for i in self._on_chain(c, "injects", line) if i["round"] <= from_round}
            fired = [i["inject_id"] for i in parent_next if i["cause"] == "condition"]
            self._open(c, new, from_round + 1, already, fired)
            c.execute("UPDATE exercise SET current_line = ?", (new,))
            return new

    def switch_line(self, line: int) -> None:
        with self.write() as c:
            if c.execute("SELECT id FROM lines WHERE id = ?", (line,)).fetchone() is None:
                raise ExerciseError(f"no line {line}")
            c.execute("UPDATE exercise SET current_line = ?", (line,))

    def lines(self) -> list[dict]:
        with self.read() as c:
            return [dict(r) for r in c.execute("SELECT * FROM lines ORDER BY id")]

    def status(self, line: int | None = None) -> dict:
        """The facilitator's overview: each team's state in the open round, everything on the line so far."""
        with self.read() as c:
            ex = dict(c.execute("SELECT exercise_id, name, status, current_line FROM exercise").fetchone())
            line = self._line(c, line)
            rounds = self._on_chain(c, "rounds", line)
            current = rounds[-1]
            teams = {}
            for t in self.script.teams:
                row = c.execute("SELECT count(*) AS n, coalesce(sum(cost_eur), 0) AS s FROM decisions WHERE line = ? "
                                "AND round = ? AND team = ? AND status IN ('pending', 'final')",
                                (line, current["number"], t.name)).fetchone()
                joined = c.execute("SELECT joined_at FROM teams WHERE name = ?", (t.name,)).fetchone()["joined_at"]
                teams[t.name] = {"decided": row["n"] > 0, "decisions": row["n"], "spent_eur": row["s"],
                                 "budget_eur": self.script.budget(t.name), "joined": joined is not None}
            decisions = self._on_chain(c, "decisions", line)
            offers = self._on_chain(c, "offers", line)
            injects = self._on_chain(c, "injects", line)
            messages = [dict(r) for r in c.execute("SELECT * FROM messages WHERE line = ? ORDER BY id", (line,))]
        for r in rounds:
            r["results"] = json.loads(r["results"]) if r["results"] else None
        for d in decisions + offers:
            d["payload"] = json.loads(d["payload"])
        for i in injects:
            i["recipients"] = json.loads(i["recipients"])
            i["event"] = json.loads(i["event"]) if i["event"] else None
        return {**ex, "line": line, "round": current["number"], "round_status": current["status"],
                "deadline": current["deadline"], "teams": teams, "rounds": rounds, "decisions": decisions,
                "offers": offers, "injects": injects, "messages": messages}
