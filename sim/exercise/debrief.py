"""Debrief: the line's timeline, its outcomes against the same script with no team decisions (common
random numbers, over the script's seeds, with 95 % intervals), each team's contribution (the replay
without that team's measures), and the learning objectives with the injects tied to them.

The counterfactual keeps the injects as they were delivered on the line (the same events on the same
days), so the differences are the teams' measures alone."""

from __future__ import annotations

import json
import time

from ..compare import interval
from .adjudicate import Played, overall_kpis, run_line

KPIS = ("attempts", "arrivals", "deaths", "interceptions", "detections", "smuggler_revenue_eur", "arrests",
        "seized_eur", "cost_eur")


def timeline(ex, line: int | None = None) -> list[dict]:
    """Every decision, offer, inject, message and round result of the line, in the order they happened."""
    st = ex.status(line)
    events = []
    for d in st["decisions"]:
        if d["status"] == "withdrawn" or not d["emit"]:
            continue
        who = d["team"] + (f" + {d['partner']}" if d["partner"] else "")
        events.append({"round": d["round"], "time": d["created"], "type": "decision", "who": who,
                       "what": f"{d['payload']['kind']} x{d['payload']['intensity']:g}, "
                               f"{d['payload']['cost_eur']:,.0f} EUR"})
    for o in st["offers"]:
        events.append({"round": o["round"], "time": o["created"], "type": "offer",
                       "who": f"{o['from_team']} to {o['to_team']}", "what": f"joint operation ({o['status']})"})
    for i in st["injects"]:
        events.append({"round": i["round"], "time": i["created"], "type": f"inject ({i['cause']})",
                       "who": ", ".join(i["recipients"]) or "all teams", "what": i["message"], "id": i["inject_id"]})
    for m in st["messages"]:
        events.append({"round": m["round"], "time": m["created"], "type": "message",
                       "who": f"{m['sender']} to {m['recipient'] or 'all'}", "what": m["text"]})
    for r in st["rounds"]:
        if r["results"]:
            o = r["results"]["overall"]
            events.append({"round": r["number"], "time": r["closed_at"], "type": "round result", "who": "model",
                           "what": f"days {r['start_day']}-{r['end_day'] - 1}: {o['attempts']:,.0f} attempts, "
                                   f"{o['arrivals']:,.0f} arrivals, {o['deaths']:,.0f} deaths, "
                                   f"{o['interceptions']:,.0f} interceptions"})
    return sorted(events, key=lambda e: (e["round"], e["time"] or 0))


def _without(history: list[Played], team: str | None, script) -> list[Played]:
    """The history without a team's measures (None: without any); a joint operation loses only the
    absent team's countries."""
    out = []
    for p in history:
        if p.decision is None:
            out.append(p)
        elif team is None:
            continue
        elif p.team == team and p.partner:
            d = dict(p.decision)
            d["countries"] = []  # the offering side's countries out; the partner's stay
            out.append(Played(round=p.round, team=p.partner, decision=d, partner=None))
        elif p.partner == team:
            out.append(Played(round=p.round, team=p.team, decision=p.decision, partner=None))
        elif p.team != team:
            out.append(p)
    return out


def _band(values) -> dict:
    mean, low, high = interval(values)
    return {"mean": mean, "low": low, "high": high}


def outcomes(ex, line: int | None = None, seeds: list[int] | None = None) -> dict:
    """Played vs no decisions and each team's contribution, per KPI, over the seeds (paired differences)."""
    script = ex.script
    line = line or ex.current_line()
    closed = [r["number"] for r in ex.rounds(line) if r["status"] == "closed"]
    if not closed:
        return {"rounds": 0, "seeds": [], "kpis": {}, "teams": {}}
    last = max(closed)
    end = script.round_days(last)[1]
    history = ex.history(line, last)
    seeds = list(seeds or script.seeds)
    arms = {"played": history, "none": _without(history, None, script)}
    arms.update({f"team:{t.name}": _without(history, t.name, script) for t in script.teams})
    runs = {name: [overall_kpis(run_line(script, ex.base, h, last, seed=s), end) for s in seeds]
            for name, h in arms.items()}
    kpis = {}
    for k in KPIS:
        played, none = [r[k] for r in runs["played"]], [r[k] for r in runs["none"]]
        kpis[k] = {"played": _band(played), "no_decisions": _band(none),
                   "difference": _band([a - b for a, b in zip(played, none)])}
    teams = {}
    for t in script.teams:
        without = runs[f"team:{t.name}"]
        teams[t.name] = {k: _band([a[k] - b[k] for a, b in zip(runs["played"], without)]) for k in KPIS}
    return {"rounds": last, "end_day": end, "seeds": seeds, "kpis": kpis, "teams": teams}


def objectives(ex, line: int | None = None) -> list[dict]:
    """Each learning objective with its injects: scripted text, expected action, and whether it was delivered."""
    delivered = {i["inject_id"]: i["round"] for i in ex.status(line)["injects"]}
    out = []
    for o in ex.script.objectives:
        tied = [{"id": i.id, "message": i.message.strip(), "expected_action": i.expected_action.strip(),
                 "delivered_round": delivered.get(i.id)} for i in ex.script.injects if o.id in i.objectives]
        out.append({"id": o.id, "text": o.text, "injects": tied})
    return out


def debrief(ex, line: int | None = None, seeds: list[int] | None = None) -> dict:
    """Everything the after-action report shows, as plain data (JSON-ready)."""
    st = ex.status(line)
    return {
        "exercise": st["name"], "exercise_id": st["exercise_id"], "line": st["line"],
        # when the debrief was prepared: the report says so, and its text stays the same while the
        # page redraws (a download button whose file changed under it cancels the download)
        "prepared": time.strftime("%Y-%m-%d %H:%M"),
        "lines": ex.lines(),
        "teams": [{"name": t.name, "countries": list(t.countries), "colour": t.colour} for t in ex.script.teams],
        "timeline": timeline(ex, st["line"]),
        "rounds": [{"number": r["number"], "results": r["results"]} for r in st["rounds"] if r["results"]],
        "outcomes": outcomes(ex, st["line"], seeds),
        "objectives": objectives(ex, st["line"]),
    }


def debrief_json(data: dict) -> str:
    return json.dumps(data, indent=2, default=float)
