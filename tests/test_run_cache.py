"""The run cache on disk (sim/run_cache.py): a stored run reads back as the run itself, a changed scenario,
network or model is never served an old run, a damaged entry is computed again, the size limit holds, and the
app's cache stays inside the app's folders."""

from __future__ import annotations

import math
import shutil
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.run_cache import (
    RunCache,
    fingerprint,
    key_fingerprint,
    run_key,
    run_or_read,
    scenario_from_key,
    slim_or_run,
    source_digest,
)

ROOT = Path(__file__).resolve().parent.parent
TINY_NET = ROOT / "tests" / "fixtures" / "tiny"
DAYS = 30


@pytest.fixture()
def key(tiny):
    spec, _ = tiny
    return run_key(spec, days=DAYS)


def _same(a, b) -> bool:
    """Equal, NaN equal to NaN, dicts and lists alike."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


def _assert_same_run(a, b) -> None:
    assert list(a.tables) == list(b.tables)
    for name, table in a.tables.items():
        pd.testing.assert_frame_equal(table, b.tables[name], check_exact=True, obj=name)
    assert _same(a.summary, b.summary)
    assert _same(a.meta, b.meta)


def _entry_files(cache: RunCache) -> list[Path]:
    return [p for p in cache.folder.rglob("*") if p.is_file()]


# --------------------------------------------------------------------------- a hit is the run
def test_a_stored_run_reads_back_identical_to_a_fresh_run(tmp_path, key):
    cache = RunCache(tmp_path / "cache")
    first, fp, read = run_or_read(cache, key, 4)
    assert not read and fp in cache
    again, fp2, read2 = run_or_read(cache, key, 4)
    assert read2 and fp2 == fp
    fresh, _, _ = run_or_read(None, key, 4)  # no cache at all
    _assert_same_run(fresh, again)
    _assert_same_run(first, again)
    # what the replicates keep, read from the stored tables, is what a fresh run gives
    from sim.compare import slim

    kept, direct = slim_or_run(cache, key, 4), slim(fresh, 4)
    assert kept.keys() == direct.keys()
    pd.testing.assert_frame_equal(kept["legs"], direct["legs"], check_exact=True)
    pd.testing.assert_frame_equal(kept["daily"], direct["daily"], check_exact=True)
    assert _same({k: v for k, v in kept.items() if k not in ("legs", "daily")},
                 {k: v for k, v in direct.items() if k not in ("legs", "daily")})


def test_a_hit_runs_no_model(tmp_path, key, monkeypatch):
    cache = RunCache(tmp_path / "cache")
    run_or_read(cache, key, 4)

    def boom(*_a, **_k):
        raise AssertionError("the model ran although the run was stored")

    monkeypatch.setattr(sys.modules["sim.run"], "run", boom)
    assert run_or_read(cache, key, 4)[2]
    assert slim_or_run(cache, key, 4)["seed"] == 4
    with pytest.raises(AssertionError, match="model ran"):
        run_or_read(cache, key, 5)  # another seed is another run


# --------------------------------------------------------------------------- invalidation
def test_the_fingerprint_changes_with_every_input_of_a_run(tiny, tmp_path, monkeypatch):
    spec, _ = tiny
    base = fingerprint(spec, 1)
    assert fingerprint(spec, 1) == base
    assert fingerprint(spec, 2) != base
    assert fingerprint(spec, 1, days=spec.days + 1) != base
    assert fingerprint(spec, 1, scale=spec.scale + 1) != base
    data = spec.model_dump(mode="json")
    data["network"] = str(spec.network_path())
    assert fingerprint(scenario_from_key(run_key(spec), 1), 1) != base  # other name and source: other meta
    from sim.scenario import parse_scenario

    changed = dict(data, interventions=[{"kind": "operational_cooperation", "intensity": 2.0}])
    assert fingerprint(parse_scenario(changed, spec.source), 1) != base
    behaviour = dict(data["behaviour"])
    first = next(k for k, v in behaviour.items() if isinstance(v, float))
    behaviour[first] = behaviour[first] * 1.5 + 0.01
    assert fingerprint(parse_scenario(dict(data, behaviour=behaviour), spec.source), 1) != base

    # the network's files: the same scenario on an edited copy of the network
    net = tmp_path / "net"
    shutil.copytree(TINY_NET, net)
    on_copy = parse_scenario(dict(data, network=str(net)), spec.source)
    before = fingerprint(on_copy, 1)
    legs = net / "legs.geojson"
    legs.write_text(legs.read_text() + "\n")  # same legs, another file
    assert fingerprint(on_copy, 1) != before

    # the model's code
    import sim.run_cache as rc

    monkeypatch.setattr(rc, "code_fingerprint", lambda: "another model")
    assert fingerprint(spec, 1) != base


def test_runs_of_an_earlier_model_are_dropped(tmp_path, key, monkeypatch):
    import sim.run_cache as rc

    cache = RunCache(tmp_path / "cache")
    old = run_or_read(cache, key, 4)[1]
    assert cache.drop_other_code() == 0
    monkeypatch.setattr(rc, "code_fingerprint", lambda: "a newer model")
    _, new, read = run_or_read(cache, key, 4)
    assert new != old and not read, "a run of the earlier model must not be served"
    assert cache.drop_other_code() == 1
    assert old not in cache and new in cache


def test_the_code_fingerprint_follows_every_source_file(tmp_path):
    pkg = tmp_path / "sim"
    shutil.copytree(ROOT / "sim", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    before = source_digest(pkg)
    assert source_digest(pkg) == before
    target = pkg / "model" / "people.py"
    target.write_text(target.read_text() + "\n# a change\n")
    assert source_digest(pkg) != before


def test_a_changed_scenario_is_run_not_read(tmp_path, key, monkeypatch):
    cache = RunCache(tmp_path / "cache")
    run_or_read(cache, key, 4)
    longer = run_key(scenario_from_key(key), days=DAYS + 5)
    res, _, read = run_or_read(cache, longer, 4)
    assert not read and len(res.tables["daily"]) == DAYS + 5


# --------------------------------------------------------------------------- damage
@pytest.mark.parametrize("damage", ["cut_parquet", "flip_byte", "no_manifest", "bad_manifest", "missing_table"])
def test_a_damaged_entry_is_ignored_and_computed_again(tmp_path, key, damage):
    cache = RunCache(tmp_path / "cache")
    good, fp, _ = run_or_read(cache, key, 4)
    entry = cache.entry(fp)
    if damage == "cut_parquet":
        legs = entry / "legs.parquet"
        legs.write_bytes(legs.read_bytes()[: legs.stat().st_size // 2])
    elif damage == "flip_byte":
        daily = entry / "daily.parquet"
        blob = bytearray(daily.read_bytes())
        blob[len(blob) // 2] ^= 0xFF
        daily.write_bytes(bytes(blob))
    elif damage == "no_manifest":  # a writer that died before its last file (never renamed into place,
        (entry / "manifest.json").unlink()  # but a folder of this name may be left by hand or a copy)
    elif damage == "bad_manifest":
        (entry / "manifest.json").write_text("{not json")
    else:
        (entry / "networks.parquet").unlink()
    assert cache.get(fp) is None
    again, fp2, read = run_or_read(cache, key, 4)
    assert fp2 == fp and not read, "a damaged entry must not be served"
    _assert_same_run(good, again)
    assert cache.get(fp) is not None, "the run is stored again"
    assert not [p for p in cache.folder.iterdir() if p.name.startswith((".tmp-", ".old-"))]


def test_a_partial_write_is_never_seen_and_is_cleaned_up(tmp_path, key, monkeypatch):
    cache = RunCache(tmp_path / "cache")
    res, fp, _ = run_or_read(cache, key, 4, store=False)

    def fail(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("sim.run_cache._parquet", fail)
    with pytest.raises(OSError):
        cache.put(fp, res)
    assert fp not in cache and cache.get(fp) is None
    assert list(cache.folder.iterdir()) == [], "the half-written folder is removed"
    monkeypatch.undo()
    # a writer killed mid-way leaves a temporary folder: ignored, and removed once stale
    stale = cache.folder / f".tmp-{fp[:12]}-dead"
    stale.mkdir()
    (stale / "legs.parquet").write_bytes(b"PAR1")
    import os

    os.utime(stale, (1, 1))
    assert cache.get(fp) is None
    assert cache.put(fp, res)
    assert not stale.exists()


# --------------------------------------------------------------------------- sharing and size
def test_concurrent_writers_of_one_run_leave_one_whole_entry(tmp_path, key):
    cache = RunCache(tmp_path / "cache")
    res, fp, _ = run_or_read(None, key, 4)
    fp = key_fingerprint(key, 4)
    outcomes = []
    threads = [threading.Thread(target=lambda: outcomes.append(RunCache(cache.folder).put(fp, res)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [False, False, False, True]
    assert [p.name for p in cache.folder.iterdir()] == [fp]
    _assert_same_run(res, cache.get(fp))


def test_least_recently_used_runs_go_first_past_the_size_limit(tmp_path, key):
    big = RunCache(tmp_path / "cache")
    fps = [run_or_read(big, key, s)[1] for s in (1, 2, 3)]
    one = max(size for _, _, size in big.entries())
    import os
    import time

    for i, fp in enumerate(fps):  # used in this order, a second apart
        os.utime(big.entry(fp) / "manifest.json", (time.time() - 10 + i, time.time() - 10 + i))
    assert big.get(fps[0]) is not None  # now the most recently used
    small = RunCache(big.folder, max_bytes=2.5 * one)
    assert small.trim() == 1
    assert fps[1] not in small and fps[0] in small and fps[2] in small
    assert small.size() <= small.max_bytes


# --------------------------------------------------------------------------- the app's folders
def test_no_path_outside_the_cache_folder(tmp_path, key):
    cache = RunCache(tmp_path / "app" / "cache")
    (tmp_path / "outside").mkdir()
    for bad in ("../outside", "/etc/passwd", "a" * 63, "A" * 64, "0" * 64 + "/..", ""):
        with pytest.raises(ValueError):
            cache.entry(bad)
    run_or_read(cache, key, 4)
    cache.trim()
    cache.clear()
    run_or_read(cache, key, 5)
    made = [p for p in tmp_path.rglob("*") if p != tmp_path / "outside"]
    assert all(cache.folder in p.parents or p == cache.folder or p == cache.folder.parent for p in made), made
    assert list((tmp_path / "outside").iterdir()) == []


def test_the_app_keeps_its_cache_inside_its_folders(tmp_path, monkeypatch):
    from ui.paths import run_cache_dir

    monkeypatch.delenv("SIM_APP_RUN_CACHE", raising=False)
    monkeypatch.delenv("SIM_APP_RESULTS", raising=False)
    monkeypatch.delenv("SIM_APP_DATA", raising=False)
    assert run_cache_dir() == (ROOT / "out" / "run_cache").resolve()
    for outside in (tmp_path / "elsewhere", ROOT / "out" / ".." / "sim", Path("/tmp")):
        monkeypatch.setenv("SIM_APP_RUN_CACHE", str(outside))
        assert run_cache_dir() is None, outside
    monkeypatch.setenv("SIM_APP_DATA", str(tmp_path))
    monkeypatch.setenv("SIM_APP_RUN_CACHE", str(tmp_path / "runs"))
    assert run_cache_dir() == (tmp_path / "runs").resolve()


# --------------------------------------------------------------------------- the command and the app agree
def test_cache_runs_fills_what_the_app_looks_up(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from sim.cli import app
    from ui import state
    from ui.scenario_files import check, load_file

    scn = tmp_path / "small.yaml"
    scn.write_text(yaml.safe_dump({"name": "Small", "network": str(TINY_NET), "days": 20, "seed": 7, "scale": 5,
                                   "demand": [{"origin": "niamey", "per_year": 20000, "budget_eur": 3500}]}))
    folder = tmp_path / "cache"
    monkeypatch.setenv("SIM_APP_RUN_CACHE_MB", "100")
    out = CliRunner().invoke(app, ["cache-runs", str(scn), "--replicates", "2", "--workers", "1",
                                   "--folder", str(folder)])
    assert out.exit_code == 0, out.output
    assert "2 runs computed, 0 already kept; 2 of 2" in out.output
    again = CliRunner().invoke(app, ["cache-runs", str(scn), "--replicates", "2", "--folder", str(folder)])
    assert "0 runs computed, 2 already kept" in again.output
    # the key the app's sidebar builds for this file names the same runs
    _, spec, _ = load_file(scn)
    app_spec, _ = check(state.normalised(spec), str(scn))
    app_key = run_key(app_spec)
    cache = RunCache(folder)
    assert all(key_fingerprint(app_key, s) in cache for s in (7, 8))
    assert key_fingerprint(app_key, 9) not in cache


# --------------------------------------------------------------------------- the app reads it
def _map_place(at):
    """Where the map is in the page (the indices of the blocks that hold it), or None."""
    todo = [((), at._tree)]
    while todo:
        path, node = todo.pop()
        if getattr(node, "type", None) == "component_instance" and "folium" in node.proto.component_name:
            return path  # the only map on the page once a run is shown
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            todo.extend((path + (i,), child) for i, child in children.items())
    return None


def test_the_app_shows_a_stored_run_and_its_intervals_without_running_the_model(tmp_path, monkeypatch):
    """Runs stored beforehand: Run shows the map and the headline figures with their intervals over the
    default 5 runs at once, with no model run in the server and nothing queued for the worker."""
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    from ui import state

    scenarios, cache_dir = tmp_path / "scenarios", tmp_path / "data" / "runs"
    scenarios.mkdir()
    scn = scenarios / "stored.yaml"
    scn.write_text(yaml.safe_dump({"name": "Stored", "network": str(TINY_NET), "days": 23, "seed": 11, "scale": 5,
                                   "demand": [{"origin": "niamey", "per_year": 20000, "budget_eur": 3500}]}))
    monkeypatch.setenv("SIM_APP_SCENARIOS", str(scenarios))
    monkeypatch.setenv("SIM_APP_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("SIM_APP_RUN_CACHE", str(cache_dir))
    monkeypatch.setenv("SIM_APP_RUN_CACHE_MB", "100")
    from sim.cli import main

    with pytest.raises(SystemExit) as done:
        main(["cache-runs", str(scn), "--workers", "1"])
    assert done.value.code == 0
    assert len(RunCache(cache_dir).entries()) == 5

    def boom(*_a, **_k):
        raise AssertionError("the model ran although its runs were stored")

    monkeypatch.setattr(sys.modules["sim.run"], "run", boom)
    state.disk_cache.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.run()
        assert not at.exception, at.exception
        # stored: shown at once, as a run already in memory is
        assert "Mean of 5 runs (seeds 11–15)" in " ".join(c.value for c in at.caption)
        shown_at = _map_place(at)
        at.button(key="run_button").click().run()
        assert not at.exception, at.exception
        # the click changes no element's place: the browser keeps the map on screen instead of drawing it again
        assert _map_place(at) == shown_at is not None
        captions = " ".join(c.value for c in at.caption)
        assert "Mean of 5 runs (seeds 11–15)" in captions, captions
        assert state.job_queue().status(at.session_state["_sid"])["pending"] == 0
        # another seed is not stored: the page waits for Run, and Run would run the model
        at.sidebar.number_input(key=f"seed_{at.session_state['scn_rev']}").set_value(30).run()
        assert not at.exception, at.exception
        assert any("Press **Run the model** to update" in w.value for w in at.warning), [w.value for w in at.warning]
    finally:
        state.disk_cache.clear()
