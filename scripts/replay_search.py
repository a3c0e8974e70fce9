"""Search several of the replay's measure intensities (and response parameters) at once: a coordinate
search on `scripts/replay_trial.py`'s score, each point with the demand refitted for it.

    .venv/bin/python scripts/replay_search.py --log FILE [--effect NAME=VALUE ...]
        [--param "MEASURE=START" ...] [--param "effect:NAME=START" ...]
        [--step 2] [--passes 2] [--min-gain 0.02] [--bounds LOW,HIGH] [--refit 8] [--seeds 3016,3017]
        [--scale 10] [--workers 2] [--trial SCRIPT]

Fixed effects (--effect) are passed to every trial. Each --param is a coordinate: a measure's intensity,
named as in the replay's `interventions` or `events`, or a response parameter (prefix `effect:`), with
its starting value. A pass tries, for each coordinate in turn, its value divided and multiplied by
--step (within --bounds), and moves to the better point when the score falls by more than --min-gain
(the score's noise between demand refits is about 0.02-0.05 on the fit's two seeds); passes stop early
when one moves nothing. Every trial is one line of --log (JSON: the point, the score, the trial's whole
printed output); a rerun with the same log reuses the trials already there, so an interrupted search
resumes. Prints the best point and its command. Writes nothing else.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRIAL = ROOT / "scripts" / "replay_trial.py"


def _pairs(items: list[str], what: str) -> dict[str, float]:
    out = {}
    for item in items:
        name, sep, value = item.rpartition("=")
        try:
            out[name] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name:
            sys.exit(f"replay_search: {what} {item!r}: expected NAME=NUMBER")
    return out


def trial_args(point: dict[str, float], effects: dict[str, float], args) -> list[str]:
    cmd = ["--refit", str(args.refit), "--seeds", args.seeds, "--scale", str(args.scale),
           "--workers", str(args.workers)]
    for name, value in effects.items():
        cmd += ["--effect", f"{name}={value:g}"]
    for name, value in point.items():
        if name.startswith("effect:"):
            cmd += ["--effect", f"{name[len('effect:'):]}={value:g}"]
        else:
            cmd += ["--intensity", f"{name}={value:g}"]
    return cmd


def key(point: dict[str, float]) -> str:
    return json.dumps({k: round(v, 6) for k, v in sorted(point.items())})


def load_log(path: Path) -> dict[str, dict]:
    done = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                done[row["key"]] = row
    return done


def evaluate(point: dict[str, float], effects: dict[str, float], args, done: dict[str, dict]) -> float:
    k = key({**point, **{f"fixed:{n}": v for n, v in effects.items()}})
    if k in done:
        return done[k]["score"]
    cmd = [sys.executable, str(args.trial), *trial_args(point, effects, args)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    found = re.search(r"^score ([0-9.]+)", out.stdout, re.M)
    if out.returncode != 0 or not found:
        sys.exit(f"replay_search: the trial failed ({' '.join(cmd)}):\n{out.stderr[-2000:]}")
    row = {"key": k, "point": point, "effects": effects, "score": float(found.group(1)), "output": out.stdout}
    done[k] = row
    with open(args.log, "a") as fh:
        fh.write(json.dumps(row) + "\n")
    print(f"  {float(found.group(1)):.3f}  {k}", flush=True)
    return row["score"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", type=Path, required=True)
    ap.add_argument("--effect", action="append", default=[], help="NAME=VALUE: fixed in every trial")
    ap.add_argument("--param", action="append", default=[], help="MEASURE=START or effect:NAME=START")
    ap.add_argument("--step", type=float, default=2.0)
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--min-gain", type=float, default=0.02)
    ap.add_argument("--bounds", default="0.1,20")
    ap.add_argument("--refit", type=int, default=8)
    ap.add_argument("--seeds", default="3016,3017")
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--trial", type=Path, default=TRIAL, help="the trial script (default: scripts/replay_trial.py)")
    args = ap.parse_args()
    if not args.param:
        sys.exit("replay_search: give at least one --param")
    low, high = (float(x) for x in args.bounds.split(","))
    effects, point = _pairs(args.effect, "--effect"), _pairs(args.param, "--param")
    done = load_log(args.log)
    best = evaluate(point, effects, args, done)
    print(f"start: {best:.3f}", flush=True)
    for p in range(1, args.passes + 1):
        moved = False
        for name in list(point):
            for value in (point[name] / args.step, point[name] * args.step):
                if not low <= value <= high:
                    continue
                trial = {**point, name: value}
                score = evaluate(trial, effects, args, done)
                if score < best - args.min_gain:
                    point, best, moved = trial, score, True
                    print(f"pass {p}: {name} -> {value:g}: {best:.3f}", flush=True)
                    break
        if not moved:
            break
    print(f"best {best:.3f}: {json.dumps(point)}")
    print("command: .venv/bin/python scripts/replay_trial.py "
          + " ".join(f"'{a}'" if " " in a else a for a in trial_args(point, effects, args)))


if __name__ == "__main__":
    main()
