"""Issue 9, outputs: option errors are one line; output paths are checked before anything runs; an output
folder is wholly old or wholly new whenever its writer dies; two runs never mix one folder; JSON is
strict; files get the user's permissions; workers die with the run that started them."""

import hashlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.errors import InputError
from sim.files import atomic_write, dumps_strict
from sim.outputs import CRASH_POINTS, folder_lock, replace_folder, settle

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny.yaml"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def cli(capsys, *args):
    """Run the real entry point in this process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def assert_one_line(code, out, err, *words):
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in out + err and "╭" not in err
    for w in words:
        assert w in lines[0], lines[0]


def strict_json(path: Path):
    def refuse(token):
        raise ValueError(f"{path.name}: {token} is not JSON")

    return json.loads(path.read_text(), parse_constant=refuse)


def hashes(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# --------------------------------------------------------------------------- options
OPTION_CASES = [
    (["run", "--seed", "-1", TINY], "--seed"),
    (["run", "--days", "99999", TINY], "--days"),
    (["run", "--replicates", "abc", TINY], "--replicates"),
    (["run", "--bogus", TINY], "--bogus"),
    (["run"], "scenario"),
    (["compare", TINY], "scenario_b"),
    (["nosuch"], "nosuch"),
    (["sweep", "x.yaml"], "--out"),
    (["calibrate", "--damping", "7"], "--damping"),
]


@pytest.mark.parametrize("args, word", OPTION_CASES, ids=[" ".join(map(str, a[:2])) for a, _ in OPTION_CASES])
def test_option_errors_are_one_line_and_exit_2(capsys, args, word):
    assert_one_line(*cli(capsys, *args), word)


def test_help_still_works(capsys):
    code, out, _ = cli(capsys, "run", "--help")
    assert code == 0 and "--out" in out
    code, out, _ = cli(capsys)
    assert code == 0 and "run" in out


def test_the_real_entry_point_prints_one_line():
    done = subprocess.run([sys.executable, "-m", "sim", "run", "--seed", "-1", str(TINY)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "--seed" in done.stderr, done.stderr


def test_python_overrides_are_bounded_like_the_scenario(tiny):
    from sim import run
    from sim.model import RouteModel

    spec, network = tiny
    for kwargs, field in [({"days": 100_000}, "days"), ({"seed": -1}, "seed"), ({"scale": 0}, "scale"),
                          ({"days": 3650, "scale": 1}, "demand")]:
        if field == "demand":  # a run that would not fit in memory, in a scenario that would
            spec = spec.model_copy(update={"demand": [d.model_copy(update={"per_year": 1e12}) for d in spec.demand]})
        with pytest.raises(InputError) as err:
            RouteModel(spec, routes=network, **kwargs)
        assert field in str(err.value)
    with pytest.raises(InputError):
        run(TINY, days=3651)


def test_compare_refuses_two_networks(capsys):
    code, out, err = cli(capsys, "compare", ROOT / "scenarios/baseline.yaml",
                         ROOT / "scenarios/americas_baseline.yaml", "--replicates", "2", "--days", "5")
    assert_one_line(code, out, err, "network", "americas")


# --------------------------------------------------------------------------- output paths, before any run
@pytest.fixture
def nothing_runs(monkeypatch):
    """Every command's work replaced by a failure: a refusal must come before any of it."""
    import sim.calibration
    import sim.compare
    import sim.experiments.sweep
    import sim.model

    def ran(*_a, **_k):
        raise AssertionError("the run started before its output path was checked")

    monkeypatch.setattr(sim.model, "RouteModel", ran)
    monkeypatch.setattr(sim.compare, "compare", ran)
    monkeypatch.setattr(sim.experiments.sweep, "sweep", ran)
    monkeypatch.setattr(sim.calibration, "calibrate", ran)
    monkeypatch.setattr(sim.calibration, "validate", ran)


def out_cases(tmp: Path):
    afile = tmp / "afile"
    afile.write_text("keep me")
    folder = tmp / "folder"
    folder.mkdir()
    sweep = ROOT / "scenarios/experiments/budget_split.yaml"
    return [
        (["run", TINY, "--out", afile], "--out", "is a file"),
        (["run", TINY, "--out", afile / "sub"], "--out", "is a file"),
        (["compare", TINY, TINY, "--out", folder], "--out", "is a folder"),
        (["compare", TINY, TINY, "--out", afile / "x.json"], "--out", "is a file"),
        (["schema", "--out", folder], "--out", "is a folder"),
        (["schema", "--out", afile / "x.json"], "--out", "is a file"),
        (["sweep", sweep, "--out", afile], "--out", "is a file"),
        (["analyze", folder, "--out", afile], "--out", "is a file"),
        (["calibrate", "--state", afile], "--state", "is a file"),
        (["validate-data", "--markdown", folder], "--markdown", "is a folder"),
    ]


@pytest.mark.parametrize("case", range(10))
def test_bad_output_paths_are_refused_before_any_run(tmp_path, capsys, nothing_runs, case):
    args, option, words = out_cases(tmp_path)[case]
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    started = time.monotonic()
    assert_one_line(*cli(capsys, *args), option, words)
    assert time.monotonic() - started < 10
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before  # nothing written or touched


def test_a_folder_of_other_files_is_not_replaced(tmp_path, capsys, nothing_runs, monkeypatch):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    (mine / "summary.json").write_text("{}")
    assert_one_line(*cli(capsys, "run", TINY, "--out", mine), "--out", "thesis.tex")
    assert sorted(p.name for p in mine.iterdir()) == ["summary.json", "thesis.tex"]
    monkeypatch.chdir(mine)
    assert_one_line(*cli(capsys, "run", TINY, "--out", "."), "--out", "would be replaced whole")


@pytest.mark.skipif(IS_ROOT, reason="root may write into read-only folders")
def test_a_read_only_parent_is_refused_before_the_run(tmp_path, capsys, nothing_runs):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        assert_one_line(*cli(capsys, "run", TINY, "--out", ro / "out"), "--out", "not writable")
    finally:
        ro.chmod(0o755)


# --------------------------------------------------------------------------- all-or-nothing folders
WRITE_B = """
import sys
from pathlib import Path
from sim.outputs import replace_folder
with replace_folder(Path(sys.argv[1])) as new:
    for i in range(5):
        (new / f"part{i}.txt").write_text("B" * (1000 * i + 1))
"""


def write_version(folder: Path, letter: str) -> dict:
    folder.mkdir()
    for i in range(4):  # a different set of files from B's: a mix would show
        (folder / f"part{i}.txt").write_text(letter * (999 * i + 3))
    return hashes(folder)


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_a_writer_killed_at_any_point_leaves_the_old_or_the_new_folder(tmp_path, exchange):
    dest = tmp_path / "out"
    old = write_version(dest, "A")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if not exchange:
        env["SIM_NO_EXCHANGE"] = "1"
    done = subprocess.run([sys.executable, "-c", WRITE_B, str(dest)], env=env, timeout=60)
    assert done.returncode == 0
    new = hashes(dest)
    assert new != old
    for point in CRASH_POINTS if not exchange else [c for c in CRASH_POINTS if c != "moved-old"]:
        shutil.rmtree(dest)
        write_version(dest, "A")
        crashed = subprocess.run([sys.executable, "-c", WRITE_B, str(dest)], env={**env, "SIM_CRASH_AT": point},
                                 timeout=60)
        assert crashed.returncode == 86, point  # it did die there
        if dest.exists():  # what a reader sees straight after the crash
            assert hashes(dest) in (old, new), point
        with folder_lock(dest):  # what the next writer does first
            settle(dest)
        assert hashes(dest) == (old if point in ("written", "moved-old") else new), point
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "out.lock"], point  # nothing stale left


def test_a_second_writer_is_refused_while_the_first_writes(tmp_path):
    dest = tmp_path / "out"
    with replace_folder(dest) as new:
        (new / "x").write_text("first")
        with pytest.raises(InputError) as err, replace_folder(dest):
            pass
        assert "another run is writing" in str(err.value)
    assert (dest / "x").read_text() == "first"


def test_a_failed_run_leaves_the_old_folder(tmp_path):
    dest = tmp_path / "out"
    old = write_version(dest, "A")
    with pytest.raises(RuntimeError), replace_folder(dest) as new:
        (new / "half").write_text("x")
        raise RuntimeError("disk full")
    assert hashes(dest) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "out.lock"]


def run_cli(out: Path, seed: int, *extra, **popen):
    return subprocess.Popen([sys.executable, "-m", "sim", "run", str(TINY), "--days", "20", "--replicates", "2",
                             "--workers", "1", "--seed", str(seed), "--out", str(out), *extra], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: os.umask(0o022), **popen)


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory):
    """A complete `run --out` folder from seed 1, and one from seed 2 written over it."""
    base = tmp_path_factory.mktemp("versions")
    out = base / "out"
    for seed, name in ((1, "a"), (2, "b")):
        p = run_cli(out, seed)
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        shutil.copytree(out, base / name)
    return base


def test_run_writes_strict_json_with_the_users_permissions(two_versions):
    out = two_versions / "out"
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["ensemble.json", "summary.json"] + [f"{t}.parquet" for t in
                           ("daily", "legs", "corridors", "places", "countries", "networks", "origins")])
    for p in out.iterdir():
        assert p.stat().st_mode & 0o777 == 0o644, p
    assert out.stat().st_mode & 0o777 == 0o755
    ens = strict_json(out / "ensemble.json")
    summary = strict_json(out / "summary.json")
    assert ens["seeds"] == [2, 3] and summary["meta"]["seed"] == 2
    # a figure that has no value (fees where nobody paid) is null, not NaN
    assert any(v is None for row in summary["corridors"].values() for v in row.values())
    assert sorted(p.name for p in out.parent.iterdir()) == ["a", "b", "out", "out.lock"]


def test_run_killed_while_overwriting_leaves_a_whole_folder(two_versions, tmp_path):
    old, new = hashes(two_versions / "a"), hashes(two_versions / "b")
    rng = np.random.default_rng(9)
    for delay in sorted(rng.uniform(0.5, 6.0, 3)):
        out = tmp_path / "out"
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(two_versions / "a", out)
        p = run_cli(out, 2)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=60)
        found = hashes(out) if out.exists() else None
        if found is None:  # only possible between the fallback's two renames: the next run restores it
            with folder_lock(out):
                settle(out)
            found = hashes(out)
        assert found in (old, new), delay
    # the next run cleans what the killed ones left and writes the new folder
    p = run_cli(tmp_path / "out", 2)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert hashes(tmp_path / "out") == new
    assert sorted(q.name for q in tmp_path.iterdir()) == ["out", "out.lock"]


def lock_is_held(out: Path) -> bool:
    import fcntl

    lock = out.parent / f"{out.name}.lock"
    if not lock.exists():
        return False
    with lock.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def test_a_run_into_a_folder_being_written_is_refused_in_one_line(tmp_path, capsys, nothing_runs):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("{}")  # what an earlier run wrote: replaceable
    old = hashes(out)
    with folder_lock(out):
        assert_one_line(*cli(capsys, "run", TINY, "--out", out), "--out", "another run is writing")
    assert hashes(out) == old


def test_two_runs_into_one_folder_do_not_mix(tmp_path):
    out = tmp_path / "out"
    # long enough that the second run starts (imports, compiled kernels from the cache) and is refused
    # while the first still runs: 600 days were enough before the model's days were compiled
    first = run_cli(out, 5, "--days", "3000", "--replicates", "3")
    started = time.monotonic()
    while not lock_is_held(out):  # the first run holds the folder from before its run starts
        assert first.poll() is None and time.monotonic() - started < 120, first.communicate()
        time.sleep(0.05)
    second = run_cli(out, 6)
    _, err2 = second.communicate(timeout=300)
    still_running = first.poll() is None
    _, err1 = first.communicate(timeout=600)
    assert still_running, "the first run ended before the second was refused: lengthen it"
    assert first.returncode == 0, err1
    assert second.returncode == 2 and err2.strip().count("\n") == 0 and "another run is writing" in err2, err2
    summary = strict_json(out / "summary.json")
    ens = strict_json(out / "ensemble.json")
    assert summary["meta"]["seed"] == 5 and ens["seeds"] == [5, 6, 7]  # both files from the first run
    import pandas as pd

    daily = pd.read_parquet(out / "daily.parquet")
    assert len(daily) == 3000 and math.isclose(daily["deaths"].sum(), summary["overall"]["deaths"])
    assert sorted(q.name for q in tmp_path.iterdir()) == ["out", "out.lock"]


# --------------------------------------------------------------------------- JSON and permissions
def test_strict_json_has_null_for_nan_and_infinity():
    text = dumps_strict({"a": float("nan"), "b": [np.float64("inf"), -math.inf, 1.5], "c": np.int64(3),
                         "d": np.float32(2.5), "e": None})
    assert json.loads(text, parse_constant=lambda t: pytest.fail(t)) == \
        {"a": None, "b": [None, None, 1.5], "c": 3, "d": 2.5, "e": None}


def test_files_get_the_users_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "x.txt", lambda p: Path(p).write_text("x"))
        with replace_folder(tmp_path / "dir") as new:
            atomic_write(new / "y.txt", lambda p: Path(p).write_text("y"))
        os.umask(0o027)
        atomic_write(tmp_path / "z.txt", lambda p: Path(p).write_text("z"))
    finally:
        os.umask(old)
    assert (tmp_path / "x.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "dir").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "dir" / "y.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "z.txt").stat().st_mode & 0o777 == 0o640


# --------------------------------------------------------------------------- workers
def test_workers_die_when_the_run_is_killed(tmp_path):
    psutil = pytest.importorskip("psutil")
    p = subprocess.Popen([sys.executable, "-m", "sim", "run", str(TINY), "--days", "3650", "--scale", "1",
                          "--replicates", "5", "--workers", "2", "--out", str(tmp_path / "out")], cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    me = psutil.Process(p.pid)

    def alive(proc):
        try:
            return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    try:
        started = time.monotonic()
        workers = []
        while time.monotonic() - started < 180 and len(workers) < 2:  # the forkserver's children
            time.sleep(0.5)
            try:
                workers = [k for k in me.children(recursive=True) if alive(k) and k.ppid() != p.pid]
            except psutil.Error:
                workers = []
            assert p.poll() is None, "the run ended before its workers were seen"
        assert len(workers) >= 2
        family = [k for k in me.children(recursive=True) if alive(k)]
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(alive(k) for k in family):
            time.sleep(0.2)
        survivors = [k.pid for k in family if alive(k)]
        assert not survivors, f"processes left running after the run was killed: {survivors}"
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
