"""What a team can do: decide within its budget, offer and answer joint operations, read its own view.

A team's pending choices are private: `team_view` returns the team's own decisions, offers that involve
it, and injects and messages addressed to all or to it, never another team's pending choices."""

from __future__ import annotations

import json
import time

from ..errors import InputError
from .adjudicate import parse_decision
from .common import ExerciseError, clean_text


class TeamOperations:
    def _team(self, name: str) -> str:
        try:
            self.script.team(name)
        except KeyError:
            raise ExerciseError(f"no team {name!r}") from None
        return name

    def _spent(self, conn, line: int, number: int, team: str) -> float:
        row = conn.execute("SELECT coalesce(sum(cost_eur), 0) AS s FROM decisions WHERE line = ? AND round = ? AND "
                           "team = ? AND status IN ('pending', 'final')", (line, number, team)).fetchone()
        return float(row["s"])

    def _charge(self, conn, line: int, number: int, team: str, cost: float):
        budget = self.script.budget(team)
        spent = self._spent(conn, line, number, team)
        if spent + cost > budget + 1e-6:
            raise ExerciseError(f"{team}: {cost:,.0f} EUR is more than the {budget - spent:,.0f} EUR left of this "
                                f"round's budget ({budget:,.0f} EUR)")

    def _validate(self, team: str, data: dict):
        try:
            return parse_decision(data, team, self.script, self.network)
        except InputError as exc:
            raise ExerciseError(str(exc)) from None

    def submit_decision(self, team: str, data: dict) -> int:
        """Record a team's measure for the open round; refused if it does not fit the remaining budget."""
        team = self._team(team)
        d = self._validate(team, data)
        with self.write() as c:
            self._running(c)
            line = c.execute("SELECT current_line FROM exercise").fetchone()["current_line"]
            rnd = self.open_round(c, line)
            if rnd["status"] != "open":
                raise ExerciseError("the round is being closed")
            self._charge(c, line, rnd["number"], team, d.cost_eur)
            cur = c.execute("INSERT INTO decisions (line, round, team, payload, cost_eur, status, created) "
                            "VALUES (?,?,?,?,?,?,?)", (line, rnd["number"], team, d.model_dump_json(), d.cost_eur,
                                                       "pending", time.time()))
            return cur.lastrowid

    def withdraw_decision(self, team: str, decision_id: int) -> None:
        with self.write() as c:
            self._running(c)
            row = c.execute("SELECT d.*, r.status AS round_status FROM decisions d JOIN rounds r ON "
                            "r.line = d.line AND r.number = d.round WHERE d.id = ?", (decision_id,)).fetchone()
            if row is None or row["team"] != team:
                raise ExerciseError(f"{team} has no decision {decision_id}")
            if row["status"] != "pending" or row["round_status"] != "open":
                raise ExerciseError("only a pending decision of the open round can be withdrawn")
            if row["offer"] is not None:
                raise ExerciseError("an agreed joint operation cannot be withdrawn by one side")
            c.execute("UPDATE decisions SET status = 'withdrawn' WHERE id = ?", (decision_id,))

    # ------------------------------------------------------------------ cooperation
    def offer_cooperation(self, team: str, to_team: str, data: dict, cost_each_eur: float) -> int:
        """Offer a joint operation (operational_cooperation) to another team; each side pays cost_each_eur
        when it is accepted, and the operation then covers both teams' countries."""
        team, to_team = self._team(team), self._team(to_team)
        if team == to_team:
            raise ExerciseError("a team cannot offer cooperation to itself")
        if not (isinstance(cost_each_eur, (int, float)) and 0 < cost_each_eur <= 1e12):
            raise ExerciseError("cost_each_eur must be a positive number")
        d = self._validate(team, {**data, "kind": "operational_cooperation", "cost_eur": 2 * cost_each_eur})
        with self.write() as c:
            self._running(c)
            line = c.execute("SELECT current_line FROM exercise").fetchone()["current_line"]
            rnd = self.open_round(c, line)
            cur = c.execute("INSERT INTO offers (line, round, from_team, to_team, payload, cost_each_eur, status, "
                            "created) VALUES (?,?,?,?,?,?,?,?)", (line, rnd["number"], team, to_team,
                                                                  d.model_dump_json(), cost_each_eur, "offered",
                                                                  time.time()))
            return cur.lastrowid

    def answer_offer(self, team: str, offer_id: int, accept: bool) -> None:
        """Accept (both budgets are charged, atomically) or decline an offer made to this team."""
        with self.write() as c:
            self._running(c)
            o = c.execute("SELECT * FROM offers WHERE id = ?", (offer_id,)).fetchone()
            if o is None or o["to_team"] != team:
                raise ExerciseError(f"{team} has no offer {offer_id}")
            rnd = self.open_round(c, o["line"])
            if o["status"] != "offered" or rnd["number"] != o["round"] or rnd["status"] != "open":
                raise ExerciseError("the offer is no longer open")
            if not accept:
                c.execute("UPDATE offers SET status = 'declined', answered = ? WHERE id = ?", (time.time(), offer_id))
                return
            each = o["cost_each_eur"]
            for side in (o["from_team"], o["to_team"]):
                self._charge(c, o["line"], o["round"], side, each)
            now = time.time()
            # one intervention (emit = 1, on the offering side's row) with both teams' countries; the other
            # row only books the accepting team's share of the cost
            for side, partner, emit in ((o["from_team"], o["to_team"], 1), (o["to_team"], o["from_team"], 0)):
                c.execute("INSERT INTO decisions (line, round, team, payload, cost_eur, status, offer, partner, emit, "
                          "created) VALUES (?,?,?,?,?,?,?,?,?,?)",
                          (o["line"], o["round"], side, o["payload"], each, "pending", offer_id,
                           partner if emit else o["from_team"], emit, now))
            c.execute("UPDATE offers SET status = 'accepted', answered = ? WHERE id = ?", (now, offer_id))

    def withdraw_offer(self, team: str, offer_id: int) -> None:
        with self.write() as c:
            o = c.execute("SELECT * FROM offers WHERE id = ?", (offer_id,)).fetchone()
            if o is None or o["from_team"] != team or o["status"] != "offered":
                raise ExerciseError(f"{team} has no open offer {offer_id}")
            c.execute("UPDATE offers SET status = 'withdrawn', answered = ? WHERE id = ?", (time.time(), offer_id))

    def send_message(self, sender: str, text: str, recipient: str | None = None) -> int:
        """A message from the facilitator ('facilitator') or a team to one team or (recipient None) to all."""
        text = clean_text(text, "message")
        if sender != "facilitator":
            self._team(sender)
        if recipient is not None and recipient != "facilitator":
            self._team(recipient)
        with self.write() as c:
            line = c.execute("SELECT current_line FROM exercise").fetchone()["current_line"]
            number = c.execute("SELECT max(number) AS n FROM rounds WHERE line = ?", (line,)).fetchone()["n"] or 0
            cur = c.execute("INSERT INTO messages (line, round, sender, recipient, text, created) VALUES (?,?,?,?,?,?)",
                            (line, number, sender, recipient, text, time.time()))
            return cur.lastrowid

    # ------------------------------------------------------------------ what a team sees
    def team_view(self, team: str) -> dict:
        team = self._team(team)
        with self.read() as c:
            ex = c.execute("SELECT name, status, current_line FROM exercise").fetchone()
            line = ex["current_line"]
            rounds = self._on_chain(c, "rounds", line)
            current = rounds[-1]
            mine = [dict(r) for r in c.execute(
                "SELECT id, round, payload, cost_eur, status, partner, offer FROM decisions WHERE line = ? AND "
                "round = ? AND team = ? AND status != 'withdrawn' ORDER BY id", (line, current["number"], team))]
            offers = [dict(r) for r in c.execute(
                "SELECT id, round, from_team, to_team, payload, cost_each_eur, status FROM offers WHERE line = ? AND "
                "round = ? AND (from_team = ? OR to_team = ?) ORDER BY id", (line, current["number"], team, team))]
            injects = [i for i in self._on_chain(c, "injects", line)
                       if not json.loads(i["recipients"]) or team in json.loads(i["recipients"])]
            messages = [dict(r) for r in c.execute(
                "SELECT id, round, sender, recipient, text, created FROM messages WHERE line = ? AND "
                "(recipient IS NULL OR recipient = ? OR sender = ?) ORDER BY id", (line, team, team))]
            spent = self._spent(c, line, current["number"], team)
        for d in mine + offers:
            d["payload"] = json.loads(d["payload"])
        closed = [r for r in rounds if r["status"] == "closed"]
        last = json.loads(closed[-1]["results"]) if closed else None
        t = self.script.team(team)
        return {
            "exercise": ex["name"], "status": ex["status"], "team": team, "countries": list(t.countries),
            "colour": t.colour, "briefing": t.briefing,
            "round": current["number"], "rounds": self.script.rounds, "round_status": current["status"],
            "deadline": current["deadline"], "start_day": current["start_day"], "end_day": current["end_day"],
            "budget_eur": self.script.budget(team), "spent_eur": spent,
            "remaining_eur": self.script.budget(team) - spent,
            "decisions": mine, "offers": offers,
            "injects": [{"round": i["round"], "inject_id": i["inject_id"], "message": i["message"],
                         "private": bool(json.loads(i["recipients"])), "created": i["created"]} for i in injects],
            "messages": messages,
            "last_round": None if last is None else {
                "round": last["round"], "corridors": last["corridors"], "overall": last["overall"],
                "cumulative": last["cumulative"], "displacement": last["displacement"],
                "team": last["teams"].get(team)},
        }

