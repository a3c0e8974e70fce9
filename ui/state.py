"""Streamlit glue shared by the app's pages: the scenario in the session, the sidebar, cached runs.

The app holds no model logic: runs come from sim.run, comparisons from sim.compare."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from functools import lru_cache

import streamlit as st

from sim.checks import population_bytes
from sim.compare import slim
from sim.daily import run_frames
from sim.errors import InputError
from sim.execute import Runner
from sim.network import load_network
from sim.run_cache import RunCache, key_fingerprint, max_bytes_from_env, run_or_read
from ui.paths import public, run_cache_dir

from . import session_store
from .job_queue import MAX_REPLICATES, FairQueue, server_stopping
from .run_keys import run_key, scenario_from_key, slim_task
from .scenario_files import MAX_UPLOAD_BYTES, check, list_scenarios, load_file, read_upload

UPLOAD = "Upload a scenario file…"
SCALES = [1, 2, 5, 10, 20, 50, 100]


# --------------------------------------------------------------------------- caches
@st.cache_resource(show_spinner=False, max_entries=8)
def cached_network(path: str):
    """Networks are read-only once loaded: one copy shared by all sessions."""
    return load_network(path)


def network_loader(path) -> object:
    return cached_network(str(path))


class RunStore:
    """A bounded, thread-safe store of finished runs, shared by all sessions (least recently used dropped first).

    Used instead of st.cache_data so that a progress bar can follow a run that is not stored yet (st.cache_data
    records and replays elements touched inside the cached function, which a progress bar breaks), and so that
    a stored run is handed out without copying it. Stored results are never modified."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
            self.misses += 1
            return None

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def __contains__(self, key) -> bool:
        with self._lock:
            return key in self._items


@st.cache_resource(show_spinner=False)
def run_store() -> RunStore:
    return RunStore(max_entries=12)


@st.cache_resource(show_spinner=False)
def slim_store() -> RunStore:
    return RunStore(max_entries=600)


@st.cache_resource(show_spinner=False)
def disk_cache() -> RunCache | None:
    """Runs kept on disk between server starts (sim.run_cache; filled by `python -m sim cache-runs` and by the
    app's own runs), or None when turned off (SIM_APP_RUN_CACHE_MB=0) or configured outside the app's folders."""
    folder, limit = run_cache_dir(), max_bytes_from_env()
    return RunCache(folder, limit) if folder is not None and limit else None


@lru_cache(maxsize=1024)
def run_fingerprint(key: str, seed: int) -> str:
    """The run's name in the disk cache (hashing the scenario and network once per server)."""
    return key_fingerprint(key, seed)


def _store_on_disk(cache: RunCache, fp: str, results) -> None:
    try:
        cache.put(fp, results)
    except OSError as exc:  # a full or read-only disk costs the next start its head start, nothing else
        print(f"run cache: could not store a run in {public(str(cache.folder))}: {exc.strerror}", flush=True)


def _computed(key: str, seed: int, progress=None):
    """The run read from the disk cache, else run here (and stored on disk in the background, so the map
    does not wait for the writing)."""
    cache = disk_cache()
    scenario = scenario_from_key(key, seed)
    res, fp, read = run_or_read(cache, key, seed, routes=network_loader(scenario.network_path()),
                                progress=progress, store=False)
    if cache is not None and not read:
        threading.Thread(target=_store_on_disk, args=(cache, fp, res), name="run-cache-write", daemon=True).start()
    return res


def cached_run(key: str, seed: int, _progress=None):
    """One run of the scenario described by `key` (see ui.run_keys.run_key) with `seed`.

    Kept per (scenario, seed): moving a widget that does not change the scenario does not rerun the model."""
    store = run_store()
    res = store.get((key, seed))
    if res is None:
        res = _computed(key, seed, _progress)
        store.put((key, seed), res)
    return res


def stored(key: str, seed: int) -> bool:
    """Whether this run is in memory or in the disk cache (then showing it costs no model time)."""
    if (key, seed) in run_store():
        return True
    cache = disk_cache()
    return cache is not None and run_fingerprint(key, seed) in cache


def slim_from_disk(key: str, seed: int) -> dict | None:
    """The replicate as comparisons keep it, read from the disk cache (None if it is not there)."""
    cache = disk_cache()
    return None if cache is None else cache.get_slim(run_fingerprint(key, seed), seed)


def cached_slim_run(key: str, seed: int, _progress=None) -> dict:
    """One replicate of an ensemble, reduced to what comparisons show (keeps memory small)."""
    store = slim_store()
    out = store.get((key, seed))
    if out is None:
        full = run_store().get((key, seed))
        out = slim(full, seed) if full is not None else slim_from_disk(key, seed)
        if out is None:
            out = slim(_computed(key, seed, _progress), seed)
        store.put((key, seed), out)
    return out


def load_stored(key: str, seeds: list[int]) -> int:
    """Bring into memory the runs of `seeds` already kept on disk: the first in full (the one the Run page
    shows, with its map's frames), the others as replicates. Never runs or queues anything; returns how
    many were found. For ui.warmup, before the first visitor."""
    found = 0
    if stored(key, seeds[0]):
        results = cached_run(key, seeds[0])
        cached_frames(key, seeds[0], str(scenario_from_key(key).network_path()))
        slim_store().put((key, seeds[0]), slim(results, seeds[0]))
        found += 1
    for s in seeds[1:]:
        kept = slim_from_disk(key, s)
        if kept is not None:
            slim_store().put((key, s), kept)
            found += 1
    return found


def session_memory_budget() -> float:
    """Bytes a session's queued runs may need together: SIM_APP_SESSION_MEMORY_MB, else a quarter of the
    machine's memory or 4 GiB, whichever is smaller (so one session cannot fill the worker's memory)."""
    if os.environ.get("SIM_APP_SESSION_MEMORY_MB"):
        return float(os.environ["SIM_APP_SESSION_MEMORY_MB"]) * 2**20
    try:
        machine = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        machine = 16 * 2**30
    return min(machine / 4, 4 * 2**30)


@st.cache_resource(show_spinner=False)
def job_queue() -> FairQueue:
    """The background runs behind the Run page's intervals and the Compare page, for every session: one
    worker process at a lower priority than the server (sim.execute.Runner), fed by a queue that takes the
    sessions in turn (ui.job_queue). Finished runs go to the shared store of slim runs."""
    store = slim_store()
    cache = disk_cache()
    return FairQueue(lambda: Runner(1, nice=10, isolate_main=True, task=slim_task, context=cache),
                     on_result=store.put, stop_when=server_stopping,
                     idle_seconds=float(os.environ.get("SIM_APP_IDLE_SECONDS", 60)),
                     memory_budget=session_memory_budget())


@lru_cache(maxsize=256)
def job_bytes(key: str) -> float:
    """A run's estimated memory (sim.checks.population_bytes); the seed does not change it."""
    return population_bytes(scenario_from_key(key))


def queue_runs(pairs: list[tuple[str, int]], stopped: bool = False) -> int:
    """How many of the (key, seed) runs are in the store; the others are queued for this session (unless
    `stopped`), as far as its memory budget allows (the rest are queued when asked again, later).

    Raises a finished job's error, and InputError for a run bigger than the whole budget."""
    store, q = slim_store(), job_queue()
    sid = session_store.session_id()
    done = 0
    for key, s in pairs:
        if (key, s) in store:
            done += 1
            continue
        if (key, s) in run_store():  # a run already shown: reduce it here, at once
            cached_slim_run(key, s)
            done += 1
            continue
        kept = slim_from_disk(key, s)  # run before (cache-runs, another session, an earlier server)
        if kept is not None:
            store.put((key, s), kept)
            done += 1
            continue
        q.take((key, s))  # raises the job's error, if it failed
        if stopped:
            continue
        size = job_bytes(key)
        if q.too_big(size):
            raise InputError(None, "memory", f"a run would need about {size / 2**30:,.1f} GiB, more than a session may use at "
                             f"once ({q.memory_budget / 2**30:,.1f} GiB, SIM_APP_SESSION_MEMORY_MB): lower days "
                             "or raise scale")
        q.submit(sid, (key, s), (key, s), size=size)
    return done


def replicates(key: str, seeds: list[int]) -> tuple[list[dict] | None, int]:
    """The replicate runs of `seeds` if all are done (else None), and how many are done.

    The first seed's run is the one shown (already stored); the others are queued for this session the first
    time they are asked for (unless it pressed Stop for them), and kept with the comparison replicates."""
    done = queue_runs([(key, s) for s in seeds], stopped=st.session_state.get("replicates_stopped") == key)
    if done < len(seeds):
        return None, done
    return [cached_slim_run(key, s) for s in seeds], done


def queue_status() -> dict:
    """This session's place in the shared queue and its expected wait (see FairQueue.status)."""
    return job_queue().status(session_store.session_id())


def stop_replicates(key: str) -> int:
    """Stop: drop this session's waiting runs, and do not queue them again for this run."""
    st.session_state["replicates_stopped"] = key
    return job_queue().cancel(session_store.session_id())


def resume_replicates() -> None:
    st.session_state.pop("replicates_stopped", None)


@st.cache_resource(show_spinner=False, max_entries=8)
def cached_frames(key: str, seed: int, network_path: str):
    """The run's tables pivoted for the map (read-only arrays, shared)."""
    results = cached_run(key, seed)
    return run_frames(results.tables, cached_network(network_path))


def progress_callback(bar, label: str, start: float = 0.0, span: float = 1.0):
    """A sim.run progress callback that moves a Streamlit progress bar (about 50 updates per run)."""
    state = {"last": -1}

    def cb(day: int, total: int):
        step = max(total // 50, 1)
        if day == total or day // step != state["last"]:
            state["last"] = day // step
            frac = start + span * min(day / max(total, 1), 1.0)
            bar.progress(min(frac, 1.0), text=f"{label}: day {day:,} of {total:,}")

    return cb


# --------------------------------------------------------------------------- the scenario in the session
def static_prefix() -> str:
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/app/static" if base else "/app/static"


def normalised(scenario) -> dict:
    """The scenario as the session keeps it: a mapping naming its network by full path."""
    data = scenario.model_dump(mode="json")
    data["network"] = str(scenario.network_path())
    return data


def _set_scenario(source_id, data, scenario, network):
    st.session_state["scn_source_id"] = source_id
    st.session_state["scn_data"] = normalised(scenario)
    st.session_state["scn_origin"] = scenario.source
    st.session_state["scn_rev"] = st.session_state.get("scn_rev", 0) + 1
    st.session_state.pop("scn_load_error", None)


def handle_upload(name: str, content: bytes) -> str | None:
    """Validate an uploaded file and make it the current scenario. Returns the error message, or None."""
    source_id = ("upload", name, hashlib.sha256(content).hexdigest())
    return _load(source_id, lambda: read_upload(name, content, network_loader=network_loader))


def _load_shipped(path) -> str | None:
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = None
    source_id = ("file", str(path), mtime)
    return _load(source_id, lambda: load_file(path, network_loader=network_loader))


def _load(source_id, read) -> str | None:
    """Make what `read()` returns the current scenario, once per source; returns the error message, or None."""
    if st.session_state.get("scn_source_id") == source_id:
        return st.session_state.get("scn_load_error")
    try:
        data, scenario, network = read()
    except InputError as exc:
        st.session_state["scn_source_id"] = source_id
        st.session_state["scn_load_error"] = public(str(exc))
        return public(str(exc))
    _set_scenario(source_id, data, scenario, network)
    return None


def current():
    """(scenario, network, error message) for the scenario being edited; scenario is None when there is none."""
    data = st.session_state.get("scn_data")
    if data is None:
        return None, None, st.session_state.get("scn_load_error")
    try:
        scenario, network = check(data, st.session_state.get("scn_origin") or "scenario", network_loader)
    except InputError as exc:
        return None, None, public(str(exc))
    return scenario, network, st.session_state.get("scn_load_error")


def sidebar() -> None:
    """Scenario choice, upload and run settings: shared by every page."""
    sb = st.sidebar
    sb.header("Scenario")
    shipped = list_scenarios()
    labels = list(shipped) + [UPLOAD]
    if st.session_state.get("scn_choice") not in labels:  # restored from a session whose file has gone
        st.session_state.pop("scn_choice", None)
    choice = sb.selectbox("Scenario", labels, key="scn_choice",
                          help="A ready scenario from the scenarios/ folder, or your own YAML file. "
                               "Choosing another one discards unsaved edits (download them first).")
    if choice == UPLOAD:
        up = sb.file_uploader(f"Scenario file (YAML, up to {MAX_UPLOAD_BYTES // 1_000_000} MB)", type=["yaml", "yml"],
                              key="scn_upload", max_upload_size=MAX_UPLOAD_BYTES // 1_000_000,
                              help="Relative paths in the file (network, base) are read as if the file were in "
                                   "the scenarios/ folder, e.g. network: ../geodata/europe")
        if up is not None:
            err = handle_upload(up.name, up.getvalue())
            if err:
                sb.error(f"This file cannot be used: {err}")
    else:
        err = _load_shipped(shipped[choice])
        if err:
            sb.error(f"This scenario cannot be used: {err}")
    if not shipped and choice != UPLOAD:
        sb.info("No scenario files found in scenarios/. Upload one.")

    data = st.session_state.get("scn_data")
    if data is None:
        return
    rev = st.session_state.get("scn_rev", 0)
    sb.header("Run settings")
    data["days"] = int(sb.number_input("Horizon (days)", min_value=1, max_value=3650, value=int(data["days"]), step=30,
                                       key=f"days_{rev}", help="How many days the model runs."))
    data["seed"] = int(sb.number_input("Seed", min_value=0, value=int(data["seed"]), step=1, key=f"seed_{rev}",
                                       help="Same scenario and seed give the same run. Comparisons use this seed "
                                            "and the following ones."))
    scales = sorted(set(SCALES) | {int(data["scale"])})
    data["scale"] = int(sb.selectbox("Scale (people per model entry)", scales, index=scales.index(int(data["scale"])),
                                     key=f"scale_{rev}",
                                     help="1 = every person is simulated (most detailed). 10 = one model entry "
                                          "stands for 10 people: coarser, and lighter on large populations. "
                                          "Figures are always in people."))
    st.session_state["replicates"] = int(sb.number_input(
        "Replicates (runs per scenario)", min_value=2, max_value=MAX_REPLICATES,
        value=min(int(st.session_state.get("replicates", 5)), MAX_REPLICATES),
        step=1, key="replicates_input",
        help="How many runs (this seed and the following ones) give each figure its 95% interval, on the Run page "
             "and per scenario on the Compare page. More replicates: narrower intervals, longer wait "
             f"(at most {MAX_REPLICATES}: the server's worker is shared by everyone using the app)."))
    sb.caption("The package of interventions and its cost: see the Scenario builder.")


def require_scenario():
    """The current scenario and network, or stop the page with a message saying what to do."""
    scenario, network, err = current()
    if scenario is None:
        if err:
            st.error(f"The scenario cannot be used: {err}")
        else:
            st.info("No scenario loaded yet. Choose one in the sidebar, or upload a YAML file "
                    "(see docs/app.md for the format).")
        session_store.stop()
    if err:
        st.warning(f"The last file you chose could not be used ({err}); still showing {scenario.name!r}.")
    return scenario, network


__all__ = ["cached_frames", "cached_network", "cached_run", "cached_slim_run", "current", "handle_upload",
           "network_loader", "progress_callback", "require_scenario", "run_key", "sidebar", "static_prefix"]
