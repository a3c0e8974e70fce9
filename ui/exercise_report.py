"""The after-action report as one offline HTML page (inline CSS, no scripts, no external requests).

Every text that came from a script or a person is escaped: nothing typed in an exercise is rendered as
HTML. This module only formats `sim.exercise.debrief.debrief()` data."""

from __future__ import annotations

import html
import math
import time

CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}th,td{border:1px solid #ddd;padding:.25em .5em;
text-align:left;vertical-align:top}td.n{text-align:right;white-space:nowrap}th{background:#f3f3f3}
.swatch{display:inline-block;width:.9em;height:.9em;border-radius:2px;margin-right:.3em;vertical-align:middle}
.muted{color:#666;font-size:.85em}
"""


def _e(x) -> str:
    return html.escape(str(x), quote=True)


def _num(x) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.1f}"


def _band(b: dict) -> str:
    if b["low"] == b["high"]:
        return _num(b["mean"])
    return f"{_num(b['mean'])} <span class=muted>({_num(b['low'])} to {_num(b['high'])})</span>"


def _table(headers: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td class=n>{c}</td>" if i >= numeric_from else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def report_html(d: dict) -> str:
    """The debrief as a self-contained HTML page (a string)."""
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8><title>After-action report: {_e(d['exercise'])}"
             f"</title><style>{CSS}</style></head><body>",
             f"<h1>After-action report: {_e(d['exercise'])}</h1>",
             f"<p class=muted>Exercise {_e(d['exercise_id'])}, line {_e(d['line'])}; written "
             f"{_e(d.get('prepared') or time.strftime('%Y-%m-%d %H:%M'))}.</p>"]
    parts.append("<h2>Teams</h2><ul>" + "".join(
        f"<li><span class=swatch style='background:{_e(t['colour'])}'></span>{_e(t['name'])}: "
        f"{_e(', '.join(t['countries']))}</li>" for t in d["teams"]) + "</ul>")

    out = d["outcomes"]
    if out.get("kpis"):
        parts.append(f"<h2>Outcomes against no team decisions</h2><p>Days 0 to {_e(out['end_day'] - 1)}, mean over "
                     f"{len(out['seeds'])} seeds ({_e(', '.join(map(str, out['seeds'])))}) with the same random "
                     "numbers in both arms; 95 % intervals in brackets. The injects are the same in both.</p>")
        rows = [[_e(k.replace("_", " ")), _band(v["played"]), _band(v["no_decisions"]), _band(v["difference"])]
                for k, v in out["kpis"].items()]
        parts.append(_table(["measure", "as played", "no decisions", "difference"], rows))
        parts.append("<h2>Each team's contribution</h2><p>As played minus the replay without that team's "
                     "measures (a joint operation keeps the other side's countries).</p>")
        keys = ("attempts", "arrivals", "deaths", "interceptions", "smuggler_revenue_eur", "cost_eur")
        rows = [[_e(team)] + [_band(v[k]) for k in keys] for team, v in out["teams"].items()]
        parts.append(_table(["team"] + [k.replace("_", " ") for k in keys], rows))

    if d["rounds"]:
        parts.append("<h2>Round results</h2>")
        rows = []
        for r in d["rounds"]:
            o, res = r["results"]["overall"], r["results"]
            moved = sorted(res["displacement"].items(), key=lambda kv: -abs(kv[1]["attempts"]))[:2]
            rows.append([_e(r["number"]), _num(o["attempts"]), _num(o["arrivals"]), _num(o["deaths"]),
                         _num(o["interceptions"]), _num(o["smuggler_revenue_eur"]),
                         _e("; ".join(f"{c} {v['attempts']:+,.0f}" for c, v in moved))])
        parts.append(_table(["round", "attempts", "arrivals", "deaths", "interceptions", "smuggler revenue (EUR)",
                             "largest changes in attempts vs the round before"], rows))

    parts.append("<h2>Timeline</h2>")
    parts.append(_table(["round", "type", "who", "what"],
                        [[_e(t["round"]), _e(t["type"]), _e(t["who"]), _e(t["what"])] for t in d["timeline"]],
                        numeric_from=99))

    if d["objectives"]:
        parts.append("<h2>Learning objectives</h2>")
        for o in d["objectives"]:
            parts.append(f"<h3>{_e(o['id'])}: {_e(o['text'])}</h3>")
            rows = [[_e(i["id"]), _e(i["delivered_round"] or "not delivered"), _e(i["message"]),
                     _e(i["expected_action"])] for i in o["injects"]]
            parts.append(_table(["inject", "round", "message", "expected action"], rows, numeric_from=99)
                         if rows else "<p class=muted>No inject tied to it.</p>")
    if len(d["lines"]) > 1:
        parts.append("<h2>Lines</h2>" + _table(["line", "name", "branched from", "at round"], [
            [_e(ln["id"]), _e(ln["name"]), _e(ln["parent"] or "-"), _e(ln["fork_round"])] for ln in d["lines"]],
            numeric_from=99))
    parts.append("</body></html>")
    return "\n".join(parts)
