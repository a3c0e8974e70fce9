"""Print a hash of every results table of three shipped scenarios (same seed, scale, horizon).

Refactors and speed-ups that must not change behaviour compare these before and after (floats at
FLOAT_DIGITS significant digits, below):

    .venv/bin/python scripts/table_hashes.py            # print
    .venv/bin/python scripts/table_hashes.py --check    # compare with tests/data/table_hashes.json
    .venv/bin/python scripts/table_hashes.py --write    # record (only when behaviour changed on purpose)
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RECORD = ROOT / "tests" / "data" / "table_hashes.json"
CASES = {  # scenario: (seed, days, scale)
    "scenarios/baseline.yaml": (3, 120, 100),
    "scenarios/declaration.yaml": (3, 120, 100),
    "scenarios/americas_baseline.yaml": (3, 120, 10),
}


# Floats are hashed at this many significant digits. The same code and seed give the same people, counts and
# choices on every machine, but the last bits of some floats (prices, revenues, capacities) depend on the CPU
# and its maths library: the record written on one machine failed on another with every count equal (the
# tenth session's machine, AVX2 only, against the ninth's). A change of behaviour moves far more than this.
FLOAT_DIGITS = 6


def _significant(values: np.ndarray, digits: int = FLOAT_DIGITS) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    # whole numbers (counts kept as floats) are the same on every machine, and often lie on a rounding boundary
    finite = np.isfinite(x) & (x != np.round(x))
    exponent = np.zeros_like(x)
    exponent[finite] = np.floor(np.log10(np.abs(x[finite])))
    scale = 10.0 ** (digits - 1 - exponent)
    out = x.copy()
    out[finite] = np.round(x[finite] * scale[finite]) / scale[finite]
    return out


def table_hash(df: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    digest.update(",".join(map(str, df.columns)).encode())
    df = df.copy()
    for column in df.columns:
        if pd.api.types.is_float_dtype(df[column]):
            df[column] = _significant(df[column].to_numpy())
    digest.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


# numpy chooses its SIMD code (exp, log, sums, ...) by the CPU at import, and its AVX-512 code gives some floats
# other last bits than its AVX2 code: enough to flip a rare choice and send a run another way. The seventeenth
# session's machine (AVX-512) gave the declaration other tables than the AVX2 machine that recorded them, and
# the same tables with numpy's AVX-512 code turned off. The model now takes exp and log from the C library
# (sim/model/kernels.py), which made both the same (tests/test_same_on_every_cpu.py); the hashes are still
# computed in a child process with numpy's dispatch capped at AVX2 (NPY_DISABLE_CPU_FEATURES), so that a
# record written on one machine holds on the other even if numpy's SIMD code enters the model again.
CHILD = "ROUTE_SIM_TABLE_HASHES_CHILD"


def above_avx2() -> list[str]:
    """numpy's dispatched SIMD targets above AVX2 (x86-64-v3) that this CPU has, by numpy's own names (none on
    an AVX2 machine or off x86: nothing to turn off)."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # numpy 1.x
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    return [t for t in __cpu_dispatch__ if ("AVX512" in t or t == "X86_V4") and __cpu_features__.get(t)]


def hashes() -> dict:
    if os.environ.get(CHILD) != "1":
        env = {**os.environ, CHILD: "1", "NPY_DISABLE_CPU_FEATURES": " ".join(above_avx2())}
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--json"], env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"table_hashes child failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout)
    from sim import run

    out = {}
    for path, (seed, days, scale) in CASES.items():
        res = run(ROOT / path, seed=seed, days=days, scale=scale)
        out[path] = {name: table_hash(df) for name, df in sorted(res.tables.items())}
    return out


def main(argv: list[str]) -> int:
    if "--json" in argv:  # the child process of hashes()
        print(json.dumps(hashes()))
        return 0
    now = hashes()
    if "--write" in argv:
        RECORD.parent.mkdir(parents=True, exist_ok=True)
        RECORD.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
    print(json.dumps(now, indent=1, sort_keys=True))
    if "--check" in argv:
        then = json.loads(RECORD.read_text())
        diff = [f"{p} {t}" for p in then for t in then[p] if now.get(p, {}).get(t) != then[p][t]]
        if diff:
            print("changed:", ", ".join(diff))
            return 1
        print("identical")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
