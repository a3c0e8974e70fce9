"""A sweep's results folder as one table (one row per run, one column per factor and output), and the
per-point means and summaries every analysis starts from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..stats import describe
from . import store


@dataclass
class Sweep:
    folder: Path
    manifest: dict
    runs: pd.DataFrame  # one row per run: run, point, replicate, seed, status, factors..., outputs...
    factors: list[str]
    outputs: list[str]

    @property
    def design(self) -> str:
        return self.manifest["design"]

    @property
    def name(self) -> str:
        return self.manifest["experiment"]["name"]

    @property
    def counts(self) -> dict:
        return self.manifest["counts"]


def load_sweep(folder: str | Path) -> Sweep:
    """The manifest and the results as one wide table (one row per run, one column per output)."""
    folder = Path(folder)
    man = store.read_manifest(folder)
    factors = [f["name"] for f in man["factors"]]
    outputs = list(man["outputs"])
    rows = pd.DataFrame([{k: r[k] for k in ("run", "point", "replicate", "seed", "status", "error")}
                         for r in man["runs"]])
    params = pd.DataFrame([r["params"] for r in man["runs"]], columns=factors)
    rows = pd.concat([rows, params], axis=1)
    # statuses from the files themselves: the manifest may be older than the last runs
    def ids(sub, pattern):
        d = folder / sub
        return {store.run_id(p.name) for p in d.glob(pattern)} if d.is_dir() else set()

    done_ids, failed_ids = ids(store.RUNS, "run-*.parquet"), ids(store.FAILED, "run-*.json")
    rows["status"] = np.where(rows["run"].isin(done_ids), "done",
                              np.where(rows["run"].isin(failed_ids), "failed", "pending"))
    man["counts"] = {"total": len(rows), "done": int((rows["status"] == "done").sum()),
                     "failed": int((rows["status"] == "failed").sum()),
                     "pending": int((rows["status"] == "pending").sum())}
    if done_ids:
        long = store.read_results(folder)
        wide = long.pivot_table(index="run", columns="output", values="value", aggfunc="first", dropna=False)
        wide = wide.reindex(columns=outputs)
        rows = rows.merge(wide, left_on="run", right_index=True, how="left")
    else:
        for o in outputs:
            rows[o] = np.nan
    return Sweep(folder, man, rows, factors, outputs)


def point_summary(sw: Sweep) -> pd.DataFrame:
    """Per design point and output: factors, finished runs n, mean, sd and 95 % interval of the mean."""
    done = sw.runs[sw.runs["status"] == "done"]
    first = sw.runs.groupby("point", sort=True)[sw.factors].first() if sw.factors else \
        pd.DataFrame(index=sorted(sw.runs["point"].unique()))
    rows = []
    for point, params in first.iterrows():
        sub = done[done["point"] == point]
        for o in sw.outputs:
            m, sd, lo, hi = describe(sub[o].to_numpy(float))
            rows.append({"point": point, **params.to_dict(), "output": o, "n": int(sub[o].notna().sum()),
                         "mean": m, "sd": sd, "low": lo, "high": hi})
    return pd.DataFrame(rows)


def point_means(sw: Sweep) -> pd.DataFrame:
    """Mean over replicates per point (rows: points in design order; columns: outputs)."""
    done = sw.runs[sw.runs["status"] == "done"]
    n_points = int(sw.runs["point"].max()) + 1
    return done.groupby("point")[sw.outputs].mean().reindex(range(n_points))


def missing_points(sw: Sweep, means: pd.DataFrame) -> list[int]:
    return [int(p) for p in means.index[means.isna().all(axis=1)]]


def require_complete(sw: Sweep, means: pd.DataFrame, what: str):
    missing = missing_points(sw, means)
    if missing:
        c = sw.counts
        raise InputError(sw.folder, None, f"{what} need every design point: {len(missing)} of {len(means)} points "
                                          f"have no finished run (e.g. point {missing[0]}; runs pending "
                                          f"{c.get('pending', '?')}, failed {c.get('failed', '?')}): "
                                          "finish the sweep (rerun it) or fix the failing points")
