"""The results folder of a sweep.

    DIR/manifest.json            experiment, hash, package version, every run's parameters, seed, status
    DIR/runs/run-000123.parquet  one file per finished run: one row per output (the results dataset)
    DIR/daily/run-000123.parquet one file per finished run: its per-day table (when the experiment asks)
    DIR/failed/run-000123.json   one file per failed run: its error
    DIR/analysis/                tables and plots written by `python -m sim analyze`

Every file is written to a temporary name (starting with '.', which Parquet readers skip) and renamed
into place, so a file either is whole or is not there. A run is finished when its runs/ file exists.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import __version__
from ..errors import InputError
from ..files import atomic_write, atomic_write_bytes, dumps_strict

MANIFEST = "manifest.json"
RUNS, DAILY, FAILED, CORRUPT = "runs", "daily", "failed", "corrupt"
HASH_KEY, SECONDS_KEY, RUN_CALL_KEY = b"sim.experiment", b"sim.seconds", b"sim.run_seconds"
FORMAT = 1


def run_name(run: int) -> str:
    return f"run-{run:06d}"


def run_id(name: str) -> int | None:
    stem = name.split(".", 1)[0]
    if not stem.startswith("run-"):
        return None
    try:
        return int(stem[4:])
    except ValueError:
        return None




def _factor_array(plan, name: str, value, n: int) -> pa.Array:
    fp = next(f for f in plan.factors if f.name == name)
    if fp.numeric:
        return pa.array(np.full(n, float(value)), pa.float64())
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return pa.array([text] * n, pa.string())


def _key_columns(plan, job, n: int) -> dict:
    spec, params = job
    cols = {
        "run": pa.array(np.full(n, spec.run), pa.int64()),
        "point": pa.array(np.full(n, spec.point), pa.int64()),
        "replicate": pa.array(np.full(n, spec.replicate), pa.int64()),
        "seed": pa.array(np.full(n, spec.seed), pa.int64()),
    }
    for f in plan.factors:
        cols[f.name] = _factor_array(plan, f.name, params[f.name], n)
    return cols


def _metadata(plan, payload: dict) -> dict:
    """The experiment's hash, the run's time in its worker, and the time of its run call alone (sim.run, or
    sim.run.run_summary when the sweep keeps no daily columns)."""
    meta = {HASH_KEY: plan.hash.encode(), SECONDS_KEY: repr(float(payload["seconds"])).encode()}
    if payload.get("sim_seconds") is not None:
        meta[RUN_CALL_KEY] = repr(float(payload["sim_seconds"])).encode()
    return meta


def write_run(out: Path, plan, job, payload: dict) -> None:
    """Write a finished run: the daily table first, then the results row set (which marks it done)."""
    name = run_name(job[0].run)
    meta = _metadata(plan, payload)
    if payload.get("daily") is not None:
        d = payload["daily"]
        cols = _key_columns(plan, job, len(d))
        cols["day"] = pa.array(d["day"].to_numpy(np.int64), pa.int64())
        for c in d.columns:
            if c != "day":
                cols[c] = pa.array(d[c].to_numpy(np.float64, na_value=np.nan), pa.float64())
        table = pa.table(cols).replace_schema_metadata(meta)
        atomic_write(out / DAILY / f"{name}.parquet", lambda p: pq.write_table(table, p))
    outputs = payload["outputs"]
    n = len(outputs)
    cols = _key_columns(plan, job, n)
    cols["output"] = pa.array(list(outputs), pa.string())
    cols["value"] = pa.array([np.nan if v is None else v for v in outputs.values()], pa.float64())
    table = pa.table(cols).replace_schema_metadata(meta)
    # the same bytes as pq.write_table(table, path), a third of its CPU: the driver writes one file per run
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    atomic_write_bytes(out / RUNS / f"{name}.parquet", sink.getvalue())
    (out / FAILED / f"{name}.json").unlink(missing_ok=True)  # a retried run that now worked


def write_failed(out: Path, plan, job, payload: dict) -> None:
    spec, params = job
    record = {"run": spec.run, "point": spec.point, "replicate": spec.replicate, "seed": spec.seed,
              "params": params, "error": payload["error"], "seconds": payload["seconds"], "hash": plan.hash}
    atomic_write(out / FAILED / f"{run_name(spec.run)}.json",
                 lambda p: Path(p).write_text(dumps_strict(record, indent=1)))


def scan(out: Path, plan) -> dict[int, dict]:
    """What is already on disk: run -> {status, seconds, error}. Stray temporary files are removed;
    a file that cannot be read is moved to DIR/corrupt/ and its run counts as not done."""
    state: dict[int, dict] = {}
    n = len(plan.runs)
    for sub in (RUNS, DAILY, FAILED):
        folder = out / sub
        if folder.is_dir():
            for p in folder.iterdir():
                if p.name.startswith(".") and p.name.endswith(".tmp"):
                    p.unlink(missing_ok=True)  # left by a process killed while writing
    need_daily = plan.context.daily is not None
    folder = out / RUNS
    if folder.is_dir():
        for p in sorted(folder.glob("run-*.parquet")):
            rid = run_id(p.name)
            if rid is None or rid >= n:
                raise InputError(p, None, f"not a run of this experiment (it has {n} runs)")
            try:
                meta = pq.read_schema(p).metadata or {}
            except Exception:  # noqa: BLE001 - unreadable: not a result
                _set_aside(out, p)
                continue
            if meta.get(HASH_KEY, b"").decode() != plan.hash:
                raise InputError(p, None, "belongs to another experiment (different hash): use another --out folder")
            if need_daily and not (out / DAILY / p.name).exists():
                _set_aside(out, p)
                continue
            try:
                seconds = float(meta.get(SECONDS_KEY, b"nan"))
            except ValueError:
                seconds = float("nan")
            state[rid] = {"status": "done", "seconds": seconds, "error": None}
    folder = out / FAILED
    if folder.is_dir():
        for p in sorted(folder.glob("run-*.json")):
            rid = run_id(p.name)
            if rid is None or rid >= n:
                continue
            if rid in state:
                p.unlink(missing_ok=True)  # done after a retry: the failure is history
                continue
            try:
                rec = json.loads(p.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError):
                _set_aside(out, p)
                continue
            if rec.get("hash") != plan.hash:
                raise InputError(p, None, "belongs to another experiment (different hash): use another --out folder")
            state[rid] = {"status": "failed", "seconds": rec.get("seconds"), "error": rec.get("error")}
    return state


def _set_aside(out: Path, p: Path) -> None:
    target = out / CORRUPT / f"{p.parent.name}-{p.name}"
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(p, target)


def manifest(plan, state: dict[int, dict], jobs_params: list[dict]) -> dict:
    counts = {"total": len(plan.runs), "done": 0, "failed": 0, "pending": 0}
    runs = []
    for r in plan.runs:
        s = state.get(r.run, {"status": "pending", "seconds": None, "error": None})
        counts[s["status"]] += 1
        runs.append({"run": r.run, "point": r.point, "replicate": r.replicate, "seed": r.seed,
                     "params": jobs_params[r.point], "status": s["status"],
                     "seconds": None if s["seconds"] is None or s["seconds"] != s["seconds"] else round(s["seconds"], 4),
                     "error": s["error"]})
    spec = plan.spec
    return {
        "format": FORMAT,
        "experiment": {"name": spec.name, "description": spec.description, "file": str(plan.path.resolve()),
                       "base_scenario": str(plan.base_path), "hash": plan.hash,
                       "spec": spec.model_dump(mode="json")},
        "version": __version__,
        "updated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "design": spec.design,
        "factors": [{"name": f.name, "paths": [str(p) for p in spec_paths(plan, f.name)], "numeric": f.numeric}
                    for f in plan.factors],
        "outputs": [o[0] for o in plan.context.outputs],
        "daily": plan.context.daily,
        "replicates": spec.replicates,
        "seeds": sorted({r.seed for r in plan.runs}),
        "problem": plan.problem,
        "design_matrix": plan.X.tolist() if plan.X is not None else None,
        "counts": counts,
        "runs": runs,
    }


def spec_paths(plan, name: str) -> list[str]:
    for f in plan.spec.factors:
        if f.label == name:
            return f.all_paths
    return []


def write_manifest(out: Path, data: dict) -> None:
    atomic_write(out / MANIFEST, lambda p: Path(p).write_text(dumps_strict(data, indent=1)))


# ----------------------------------------------------------------------------- reading back
def read_manifest(out: str | Path) -> dict:
    path = Path(out) / MANIFEST
    if not Path(out).is_dir():
        raise InputError(out, None, "results folder not found")
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(path, None, "file not found: is this the --out folder of a sweep?") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, None, f"cut short or not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or "runs" not in data:
        raise InputError(path, None, "not a sweep manifest of this version")
    return data


def read_results(out: str | Path, table: str = RUNS) -> pd.DataFrame:
    """The results dataset: `pd.read_parquet(DIR / 'runs')` (or 'daily'), with a clear error when absent."""
    folder = Path(out) / table
    if not folder.is_dir() or not any(folder.glob("run-*.parquet")):
        raise InputError(folder, None, "no finished runs here")
    try:
        return pd.read_parquet(folder)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for damaged files
        raise InputError(folder, None, f"cannot read the dataset ({type(exc).__name__}: {exc})") from None
