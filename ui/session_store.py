"""Nothing lost on reload: what a browser session has built (the scenario and its edits, the settings, the last
run and comparison, a run in progress) is kept on the server in one small JSON file per session, named by a
random id in the page's address (``?s=<id>``). A reload, or the address opened again, brings it all back.

Folder: SIM_APP_SESSIONS, else out/app_sessions/ in the repository. Files are written atomically (a reader
sees a whole file or none), and only when something changed. Results themselves are not written: the last
run is found again in the server's run store by its key, or run again (same key and seed, same results)."""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import streamlit as st

from sim.files import atomic_write
from sim.scenario import parse_scenario

ROOT = Path(__file__).resolve().parent.parent
PARAM = "s"
_ID = re.compile(r"^[0-9a-f]{32}$")  # the id names a file: nothing else gets through
# session-state keys kept: the scenario being edited, the settings, the last results and work in progress
KEEP = ("scn_choice", "scn_data", "scn_origin", "scn_source_id", "scn_rev", "scn_load_error", "iv_rev",
        "replicates", "last_run", "pending_run", "cmp_choice", "cmp_reference", "comparison",
        "pending_comparison", "map_leg_colour", "map_place_size", "map_country_shade", "map_window", "map_step")


def session_dir() -> Path:
    return Path(os.environ.get("SIM_APP_SESSIONS") or ROOT / "out" / "app_sessions")


def session_id() -> str:
    """This browser session's id: from the address, else a new one, put in the address (page changes drop it)."""
    sid = st.session_state.get("_sid")
    if sid is None:
        given = st.query_params.get(PARAM)
        sid = given if isinstance(given, str) and _ID.match(given) else uuid.uuid4().hex
        st.session_state["_sid"] = sid
    if st.query_params.get(PARAM) != sid:
        st.query_params[PARAM] = sid
    return sid


def session_file(sid: str) -> Path:
    if not _ID.match(sid):
        raise ValueError(f"not a session id: {sid!r}")
    return session_dir() / f"{sid}.json"


def _scenario_dict(s) -> dict:
    data = s.model_dump(mode="json")
    data["network"] = str(s.network_path())
    return data


def _encode(key: str, value):
    if key == "comparison" and value:
        return {**value, "scenarios": [_scenario_dict(s) for s in value["scenarios"]]}
    return value


def _decode(key: str, value):
    if key == "scn_source_id" and isinstance(value, list):
        return tuple(value)  # compared with a fresh tuple by the sidebar
    if key == "comparison" and value:
        return {**value, "scenarios": [parse_scenario(d) for d in value["scenarios"]]}
    return value


def restore() -> bool:
    """Once per browser session: the kept state of this session id back into st.session_state.
    Returns whether anything was restored. A missing, unreadable or outdated file restores nothing."""
    if st.session_state.get("_restored"):
        return False
    st.session_state["_restored"] = True
    path = session_file(session_id())
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        values = {k: _decode(k, saved[k]) for k in KEEP if k in saved}
    except (OSError, ValueError, TypeError, KeyError):
        return False
    for k, v in values.items():
        if k not in st.session_state:
            st.session_state[k] = v
    st.session_state["_saved_text"] = path.read_text(encoding="utf-8")
    return bool(values)


def autosave() -> None:
    """This session's state to its file, if it changed since the last write."""
    if "_sid" not in st.session_state:
        return
    data = {k: _encode(k, st.session_state[k]) for k in KEEP if k in st.session_state}
    text = json.dumps(data, sort_keys=True, default=str)
    if text == st.session_state.get("_saved_text"):
        return
    atomic_write(session_file(st.session_state["_sid"]), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    st.session_state["_saved_text"] = text


def stop():
    """st.stop(), with the session saved first: after st.stop() asks to stop, every Streamlit call (reading
    st.session_state included) raises, so the app's closing save cannot read the state any more."""
    autosave()
    st.stop()
