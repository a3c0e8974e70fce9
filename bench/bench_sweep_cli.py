"""Benchmark of a sweep as a user runs it: `python -m sim sweep` from the command line, end to end, on 1 and
2 workers, and two independent 1-worker sweeps side by side (the machine's own scaling for this job, with
no pool: the ceiling of any 2-worker efficiency here).

    .venv/bin/python bench/bench_sweep_cli.py [SCENARIO] [--runs 300] [--scale 1000] [--rounds 2] [--no-pair]

SCENARIO (default scenarios/baseline.yaml) is swept as one design point with N replicates. Each round runs,
in turn (the order alternates between rounds, so that the machine's drift weighs on both alike), the
1-worker sweep, the 2-worker sweep and, unless --no-pair, two 1-worker sweeps of N/2 runs at once, each
process started afresh as a user's command is. Printed per sweep: wall time from the command's start to its
exit, when its first run file was written (the start: imports, reading the experiment, starting workers),
and the steady rate (runs per second from the 10th run file to the last, from the files' write times).
Then, over the rounds: the 2-worker efficiency t1 / (2 x t2) end to end, and steady rate2 / (2 x rate1);
and the pair's steady rate against twice the 1-worker one.

bench/bench_sweep.py measures the same sweeps inside one warm process (its 1-worker sweep runs in that
process), with the per-run overhead and the Sobol projection.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sweep import write_experiment as _write  # noqa: E402 - the same experiment as bench_sweep.py's


def write_experiment(folder: Path, scenario: Path, runs: int, scale: int) -> Path:
    """bench_sweep.py's one-point experiment, in a folder of its own (it always names its file bench.yaml)."""
    where = folder / f"exp-{runs}"
    where.mkdir()
    return _write(where, scenario, runs, scale, None)


def start(experiment: Path, out: Path, workers: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(experiment), "--out", str(out),
                             "--workers", str(workers)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, what: str) -> None:
    _, err = proc.communicate()
    if proc.returncode:
        sys.exit(f"error: the {what} sweep failed (exit {proc.returncode}):\n{err[-2000:]}")


def files(out: Path, t0: float) -> tuple[float, float, int]:
    """(first file's time after t0, steady runs/s from the 10th file to the last, files)."""
    times = sorted(p.stat().st_mtime for p in (out / "runs").glob("*.parquet"))
    steady = (len(times) - 10) / (times[-1] - times[9]) if len(times) > 20 else float("nan")
    return times[0] - t0, steady, len(times)


def one(experiment: Path, out: Path, workers: int) -> dict:
    t0 = time.time()
    proc = start(experiment, out, workers)
    finish(proc, f"{workers}-worker")
    wall = time.time() - t0
    first, steady, n = files(out, t0)
    return {"wall": wall, "first": first, "steady": steady, "runs": n}


def pair(experiment: Path, outs: list[Path]) -> dict:
    t0 = time.time()
    procs = [start(experiment, out, 1) for out in outs]
    for p in procs:
        finish(p, "paired 1-worker")
    wall = time.time() - t0
    got = [files(out, t0) for out in outs]
    return {"wall": wall, "first": max(g[0] for g in got), "steady": sum(g[1] for g in got),
            "runs": sum(g[2] for g in got)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "baseline.yaml"))
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--scale", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--no-pair", action="store_true", help="skip the two independent 1-worker sweeps")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sweep-cli-") as tmp:
        tmp = Path(tmp)
        full = write_experiment(tmp, Path(args.scenario), args.runs, args.scale)
        half = write_experiment(tmp, Path(args.scenario), args.runs // 2, args.scale)
        one(write_experiment(tmp, Path(args.scenario), 24, args.scale), tmp / "warm", 2)  # compiled kernels on disk
        kinds = ["1", "2"] + ([] if args.no_pair else ["pair"])
        got: dict[str, list[dict]] = {k: [] for k in kinds}
        for r in range(args.rounds):
            for k in (kinds if r % 2 == 0 else kinds[::-1]):
                out = tmp / f"r{r}-{k}"
                res = pair(half, [out / "a", out / "b"]) if k == "pair" else one(full, out, int(k))
                got[k].append(res)
                label = "2 x 1 worker side by side" if k == "pair" else f"{k} worker(s)"
                print(f"round {r + 1}, {label}: {res['runs']} runs in {res['wall']:.2f} s, first run file at "
                      f"{res['first']:.2f} s, steady {res['steady']:.2f} runs/s", flush=True)
    print()
    for r in range(args.rounds):
        w1, w2 = got["1"][r], got["2"][r]
        line = (f"round {r + 1}: 2-worker efficiency end to end {w1['wall'] / (2 * w2['wall']):.2f}, "
                f"steady {w2['steady'] / (2 * w1['steady']):.2f}")
        if "pair" in got:
            line += f"; the pair's steady rate against 2 x 1 worker {got['pair'][r]['steady'] / (2 * w1['steady']):.2f}"
        print(line)
    mean = {k: statistics.mean(g["wall"] for g in v) for k, v in got.items()}
    print(f"mean wall: 1 worker {mean['1']:.2f} s, 2 workers {mean['2']:.2f} s "
          f"(end-to-end efficiency {mean['1'] / (2 * mean['2']):.2f}); first run file at "
          f"{statistics.mean(g['first'] for g in got['1']):.2f} s / {statistics.mean(g['first'] for g in got['2']):.2f} s")


if __name__ == "__main__":
    main()
