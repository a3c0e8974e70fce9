"""What the facilitator and team pages share: where exercises live, the exercise a session holds, and the
live refresh (a fragment that polls the exercise's version and redraws the page only when it changed).

Access is held in the session only: a reload asks for the code again, and the code itself is never kept."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import streamlit as st

from sim.errors import InputError
from sim.exercise import Exercise, list_exercises

ROOT = Path(__file__).resolve().parent.parent
DATA_ENV = "ROUTE_SIM_DATA"  # the server's data folder: one SQLite file per exercise
SCRIPTS_ENV = "ROUTE_SIM_EXERCISES"  # the folder of exercise scripts the facilitator can choose from
POLL_SECONDS = 1.0  # a round closed or an inject sent shows in every browser within about this (+ a redraw)


def data_folder() -> Path:
    folder = Path(os.environ.get(DATA_ENV) or "out/exercises")
    return folder if folder.is_absolute() else ROOT / folder


def shown(path: Path) -> str:
    """A path as a page may show it: relative to the project when inside it, else only its last part (a page
    never shows where on the server a configured folder lies)."""
    path = Path(path)
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return f"…/{path.name}"


def scripts_folder() -> Path:
    folder = Path(os.environ.get(SCRIPTS_ENV) or "scenarios/exercises")
    return folder if folder.is_absolute() else ROOT / folder


def list_scripts() -> dict[str, Path]:
    return {p.name: p for p in sorted(scripts_folder().glob("*.y*ml"))}


def exercises() -> list[dict]:
    return list_exercises(data_folder())


def held(role: str) -> Exercise | None:
    """The exercise this session entered with a code as `role` ('fac' or 'team'), or None."""
    path = st.session_state.get(f"{role}_exercise")
    if not path:
        return None
    try:
        return Exercise(path)
    except InputError:  # the file was removed under us
        st.session_state.pop(f"{role}_exercise", None)
        return None


def hold(role: str, ex: Exercise | None) -> None:
    if ex is None:
        st.session_state.pop(f"{role}_exercise", None)
    else:
        st.session_state[f"{role}_exercise"] = str(ex.path)


def facilitator_exercise(code: str) -> Exercise | None:
    """The exercise whose facilitator code this is (team codes open nothing here)."""
    if not re.sub(r"[^A-Za-z0-9]", "", code or ""):
        return None
    for item in exercises():
        ex = Exercise(item["path"])
        if ex.is_facilitator(code):
            return ex
    return None


def countdown(deadline: float | None) -> str | None:
    if deadline is None:
        return None
    left = int(deadline - time.time())
    if left <= 0:
        return "Time is up"
    return f"{left // 60}:{left % 60:02d} left"


def note_version(ex: Exercise, role: str) -> None:
    """Note the exercise's version for `live`. Call it before the page reads anything it shows: a write that
    lands while the page reads then leaves the noted version behind, and the watcher redraws the page.
    Noted after the reads, such a write would be counted as seen, and the page would keep the older data
    while its status line (redrawn on every poll) showed the new round."""
    st.session_state[f"{role}_seen_version"] = ex.version()


def live(ex: Exercise, role: str, render_status) -> None:
    """Redraw the whole page when the exercise changes from the version `note_version` noted (polled every
    POLL_SECONDS), and redraw `render_status(ex)` (round, countdown) on every poll. Widgets keep their values
    through a redraw: they all have keys, so nobody's half-made choice is lost."""
    key = f"{role}_seen_version"

    @st.fragment(run_every=POLL_SECONDS)
    def watch():
        if ex.version() != st.session_state.get(key):
            st.rerun(scope="app")
        render_status(ex)

    watch()


def plain(text: str) -> str:
    """Text someone typed, for st.markdown: every markdown character escaped (no links, images or HTML)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])", r"\\\1", str(text))


def status_text(s: dict) -> str:
    """One line for the top of both pages: round, whether it is open, paused or ended, the countdown."""
    if s["status"] == "ended":
        return "The exercise has ended."
    what = {"open": "open for decisions", "closing": "the model is playing it…",
            "closed": "played (the last round)"}.get(s["round_status"], s["round_status"])
    parts = [f"Round {s['round']} of {s['rounds']}: {what}"]
    if s["status"] == "paused":
        parts.append("paused by the facilitator")
    left = countdown(s["deadline"]) if s["round_status"] == "open" else None
    if left:
        parts.append(left)
    return " · ".join(parts)


def show_status(ex: Exercise) -> None:
    s = ex.round_state()
    text = status_text(s)
    if s["status"] == "paused" or text.endswith("Time is up"):
        st.warning(text)
    else:
        st.info(text)


def flash(text: str, kind: str = "success") -> None:
    """A message for the next page run (actions run in callbacks, before the page is drawn)."""
    st.session_state["exercise_flash"] = (text, kind, time.time())


def show_flash() -> None:
    """The flash message, in a slot that is always there: the page keeps the same shape whether or not
    there is a message, so a redraw never shifts the elements after it (the browser could drop them)."""
    slot = st.container()
    item = st.session_state.get("exercise_flash")
    if item and time.time() - item[2] < 20:
        getattr(slot, item[1])(plain(item[0]))
    elif item:
        st.session_state.pop("exercise_flash", None)


def repeated(kind: str, what, within: float = 15.0) -> str | None:
    """What this browser's last `kind` action gave, if it was the very same `what` less than `within`
    seconds ago; else None, and `what` is remembered as the last one (`done` records its outcome).

    Under load a page run can be cut short by the next rerun before Streamlit clears a button's trigger;
    the next run then fires the button's callback a second time (seen: one click on "Send the inject"
    sent the same inject twice). Actions that must not run twice ask this first."""
    last = st.session_state.get(f"exercise_last_{kind}")
    now = time.time()
    if last and last[0] == what and now - last[1] < within:
        return last[2]
    st.session_state[f"exercise_last_{kind}"] = (what, now, None)
    return None


def done(kind: str, outcome: str) -> None:
    """Record the outcome of the action `repeated` let through."""
    last = st.session_state.get(f"exercise_last_{kind}")
    if last:
        st.session_state[f"exercise_last_{kind}"] = (last[0], last[1], outcome)

