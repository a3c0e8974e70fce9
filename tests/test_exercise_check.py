"""`python -m sim check` validates an exercise file like a scenario: ok with a summary, or one line and exit 2."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def check(path):
    return subprocess.run([sys.executable, "-m", "sim", "check", str(path)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


@pytest.mark.parametrize("name", ["central_mediterranean.yaml", "western_balkans.yaml"])
def test_shipped_exercises_check(name):
    done = check(ROOT / "scenarios" / "exercises" / name)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: exercise ") and "teams" in done.stdout


def test_bad_exercise_is_one_line_naming_file_and_field(tmp_path):
    text = (ROOT / "scenarios" / "exercises" / "central_mediterranean.yaml").read_text()
    bad = tmp_path / "bad_exercise.yaml"
    assert "days_per_round: 30" in text
    bad.write_text(text.replace("days_per_round: 30", "days_per_round: -3", 1))
    done = check(bad)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad_exercise.yaml" in lines[0] and "days_per_round" in lines[0]
    assert "Traceback" not in done.stderr
