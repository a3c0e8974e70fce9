"""One scenario and one seed give the same results on every x86-64 CPU: numpy chooses its SIMD code by the
CPU (AVX-512 or AVX2) and some of it (exp, log) gives other last bits, so the model takes its exponentials
and logarithms from the C library instead (sim/model/kernels.py, exp and log). The seventeenth session's
AVX-512 machine gave the declaration other tables than the AVX2 machines before it."""

import json
import math
import os
import subprocess
import sys
from importlib import util
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "table_hashes.py"


def _table_hashes_module():
    spec = util.spec_from_file_location("table_hashes", SCRIPT)
    mod = util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_models_exp_and_log_are_the_c_librarys():
    from sim.model import kernels

    x = np.linspace(-60.0, 8.0, 1001).reshape(7, 143)
    assert kernels.exp(x).shape == x.shape
    assert [float(v) for v in kernels.exp(x).ravel()] == [math.exp(v) for v in x.ravel()]
    assert np.allclose(kernels.exp(x), np.exp(x), rtol=1e-15, atol=0)
    y = np.abs(x) + 1e-3
    assert [float(v) for v in kernels.log(y).ravel()] == [math.log(v) for v in y.ravel()]
    assert kernels.exp(0.5) == math.exp(0.5) and isinstance(kernels.exp(0.5), float)
    assert kernels.log(np.float64(2.0)) == math.log(2.0)
    # a strided view is read as it is, not as its memory
    assert [float(v) for v in kernels.exp(x[:, ::3]).ravel()] == [math.exp(v) for v in x[:, ::3].ravel()]


def test_the_model_and_its_fits_call_no_numpy_exp_or_log():
    """NumPy's exp and log, on an array or a scalar, run its CPU-chosen SIMD code; the model (runs) and the
    calibrations' steps (fits, whose figures are rounded and written) take the C library's instead:
    kernels.exp and kernels.log for arrays, math.exp and math.log for numbers."""
    import re

    found = []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        if path.name == "kernels.py" and path.parent.name == "model":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\bnp\.(exp|log)\(", line.split("#")[0]):
                found.append(f"{path.relative_to(ROOT)}:{n}")
    assert not found, found


@pytest.mark.slow
def test_runs_are_the_same_with_numpys_avx512_code_on_and_off():
    off = _table_hashes_module().above_avx2()
    if not off:
        pytest.skip("this CPU has no AVX-512 code in numpy's dispatch: both runs would be the same code")

    def hashes(disabled: str) -> dict:
        env = {**os.environ, "ROUTE_SIM_TABLE_HASHES_CHILD": "1", "NPY_DISABLE_CPU_FEATURES": disabled}
        done = subprocess.run([sys.executable, str(SCRIPT), "--json"], env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout)

    assert hashes(" ".join(off)) == hashes("")
