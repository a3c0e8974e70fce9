"""Charts over time (altair): lines per figure or scenario, the scenario's events as shaded spans, and the
forest plot of changes on the Compare page. Colours: Okabe & Ito's palette, told apart under colour-vision
deficiencies (the former orange/green pair was not)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .network_map import event_label

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def events_frame(events, days: int) -> pd.DataFrame:
    """The days of the run each event is on: one already in force before day 0 (a standing condition, or a
    measure dated before the start) from day 0, so that the chart keeps the run's days; `throughout` marks
    those on from before day 0 to the end, which are the run's world rather than a change in it."""
    rows = []
    for e in events:
        end = min(e.end if e.end is not None else days, days)
        if e.start >= days or end <= 0:
            continue
        rows.append({"event": event_label(e), "start": max(e.start, 0), "end": end, "before": e.start < 0,
                     "throughout": e.start < 0 and end >= days})
    return pd.DataFrame(rows, columns=["event", "start", "end", "before", "throughout"])


def events_note(events, days: int, what: str = "run") -> str:
    """A chart caption's words for its events: whether some are shaded (event_marks), and the names of those on
    for the whole `what` from before day 0, which are not shaded; empty when there is nothing to say."""
    ev = events_frame(events, days)
    throughout = list(ev.loc[ev["throughout"], "event"])
    return " ".join(
        (["Shaded: the days an event is on (hover for its name)."] if len(ev) > len(throughout) else [])
        + ([f"On throughout the {what}, not shaded: " + "; ".join(throughout) + "."] if throughout else []))


def event_marks(events, days: int):
    """Shaded spans (and a rule where one starts inside the run) for the days each event is on, but for the
    events on throughout (named by events_note); None when there is nothing to mark."""
    ev = events_frame(events, days)
    ev = ev[~ev["throughout"]]
    if ev.empty:
        return None
    span = alt.Chart(ev).mark_rect(opacity=0.13, color="#555").encode(
        x="start:Q", x2="end:Q", tooltip=[alt.Tooltip("event:N"), alt.Tooltip("start:Q", title="from day"),
                                          alt.Tooltip("end:Q", title="until day")])
    starts = ev[~ev["before"]]
    if starts.empty:
        return span
    rule = alt.Chart(starts).mark_rule(color="#333", strokeDash=[4, 3]).encode(x="start:Q", tooltip=["event:N"])
    return span + rule


def over_time_chart(frame: pd.DataFrame, series: str, value: str, y_title: str, events=(), days: int = 0,
                    order: list[str] | None = None):
    """Lines of `value` over `day`, one per `series`, with the events shaded."""
    colour = alt.Color(f"{series}:N", sort=order, title=None, scale=alt.Scale(range=OKABE_ITO),
                       legend=alt.Legend(orient="bottom", labelLimit=400, columns=2))
    lines = alt.Chart(frame).mark_line().encode(
        x=alt.X("day:Q", title="day of the run"), y=alt.Y(f"{value}:Q", title=y_title), color=colour,
        tooltip=[series, "day", alt.Tooltip(f"{value}:Q", format=",.0f")])
    marks = event_marks(events, days)
    return lines if marks is None else marks + lines


def forest_plot(frame: pd.DataFrame, reference: str, order: list[str]):
    """Each figure's change (% of the reference's mean) per alternative: a dot and its 95 % interval, against
    a line at no change."""
    colour = alt.Color("scenario:N", sort=order, scale=alt.Scale(range=OKABE_ITO),
                       legend=alt.Legend(orient="bottom", title=None, labelLimit=400))
    y = alt.Y("figure:N", title=None, sort=list(dict.fromkeys(frame["figure"])), axis=alt.Axis(labelLimit=260, labelOverlap=False))
    offset = alt.YOffset("scenario:N", sort=order)
    tip = ["figure", "scenario", alt.Tooltip("change:N", title="change [95% interval]"),
           alt.Tooltip("change_pct:Q", title="change, %", format="+.1f")]
    title = f"change against {reference}, % of its mean (95% interval)"
    x = alt.X("change_pct:Q", title=title)
    bars = alt.Chart(frame).mark_rule(strokeWidth=2).encode(x=alt.X("low_pct:Q", title=title), x2="high_pct:Q",
                                                            y=y, yOffset=offset, color=colour, tooltip=tip)
    dots = alt.Chart(frame).mark_point(filled=True, size=45).encode(x=x, y=y, yOffset=offset, color=colour,
                                                                     tooltip=tip)
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#444", strokeDash=[3, 3]).encode(x="x:Q")
    return (zero + bars + dots).properties(height=forest_height(frame))


def forest_height(frame: pd.DataFrame) -> int:
    """Pixels for the forest plot's panel: a band per figure, a line per alternative in it."""
    return int((16 + 11 * frame["scenario"].nunique()) * frame["figure"].nunique())
