"""scripts/replay_search.py: the coordinate search moves towards a lower score, logs every trial and, rerun
with its log, runs no trial twice. The replay's trials take a minute each, so the trial here is a stand-in
script whose score is a known function of the point."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FAKE_TRIAL = '''
import sys, math
args = sys.argv[1:]
values = {}
for flag, item in zip(args, args[1:]):
    if flag in ("--intensity", "--effect"):
        name, _, value = item.rpartition("=")
        values[name] = float(value)
with open(sys.argv[0] + ".calls", "a") as fh:
    fh.write(repr(sorted(values.items())) + "\\n")
assert values["k"] == 5  # the fixed effect reaches every trial
# lowest at A = 4, B = 0.5 (log2 distance)
score = (math.log2(values["A"]) - 2) ** 2 + (math.log2(values["B"]) + 1) ** 2
print("route-years within 15 %: 0 of 48")
print(f"score {score:.3f} (mean monthly ARD ...)")
'''


def _search(tmp_path: Path, log: Path) -> subprocess.CompletedProcess:
    fake = tmp_path / "fake_trial.py"
    fake.write_text(FAKE_TRIAL)
    cmd = [sys.executable, str(ROOT / "scripts" / "replay_search.py"), "--log", str(log), "--trial", str(fake),
           "--effect", "k=5", "--param", "A=1", "--param", "effect:B=1", "--passes", "4", "--min-gain", "0.01"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_the_search_goes_downhill_logs_and_resumes(tmp_path):
    log = tmp_path / "search.jsonl"
    out = _search(tmp_path, log)
    assert out.returncode == 0, out.stderr
    best = json.loads(out.stdout.split("best ")[1].split(": ", 1)[1].splitlines()[0])
    assert best == {"A": 4.0, "effect:B": 0.5}
    assert "--effect k=5" in out.stdout and "--effect B=0.5" in out.stdout and "--intensity A=4" in out.stdout
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    calls = (tmp_path / "fake_trial.py.calls").read_text().splitlines()
    assert len(rows) == len(calls) == len({r["key"] for r in rows})  # no point tried twice
    assert min(r["score"] for r in rows) == 0.0
    again = _search(tmp_path, log)  # the same search with its log: every trial is reused
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "fake_trial.py.calls").read_text().splitlines() == calls
    assert again.stdout.split("best ")[1] == out.stdout.split("best ")[1]
