"""The compiled kernels load from Numba's on-disk cache in a new process and give the same results as
when they were just compiled (a kernel the cache cannot load safely crashed the second process once:
a recursive one)."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # compiles every kernel once, about 10 s of CPU

RUN = """
import hashlib, sys
sys.path.insert(0, {root!r})
from sim.model import RouteModel
m = RouteModel({scenario!r}, seed=2, days=60, scale=100)
while m.running:
    m.step()
tables = m.results().tables
print(hashlib.sha256(b"".join(tables[k].to_csv().encode() for k in sorted(tables))).hexdigest())
"""


def test_a_second_process_loads_the_kernels_from_the_cache(root, tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    code = RUN.format(root=str(root), scenario=str(root / "scenarios" / "baseline.yaml"))
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
            for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr[-2000:]
    assert runs[0].stdout == runs[1].stdout
    assert any(name.endswith(".nbc") for _, _, files in os.walk(tmp_path / "numba") for name in files)
