"""Runs kept on disk between server starts, named by everything their results depend on.

Why: the app's first map and its intervals need five runs of the shipped baseline (a year at scale 1, a few
seconds each); computed once (`python -m sim cache-runs`, or by the app the first time) they are read back
in a fraction of a second. A run is fully determined by the resolved scenario, the seed, the horizon, the
scale, the route network's files and the model's code, so an entry is named by a hash of all of them
(`fingerprint`): change any and the old entry is simply never asked for again (and evicted in time).

Layout: FOLDER/<64 hex digits>/ holds one Parquet file per table, results.json (meta and summary) and
manifest.json (what was run, and the size and SHA-256 of every file). An entry is written in a temporary
folder beside it and renamed into place, so a reader sees a whole entry or none; two sessions writing the
same entry keep the first. An entry that does not match its manifest (cut short, changed by hand) is
removed and reported as missing, so the run is computed again. After each write the least recently used
entries are removed until the folder is under its size limit; temporary folders left by a writer that
died are removed after an hour; `python -m sim cache-runs` removes the entries of an earlier model's code.

Nothing here draws; the app decides where FOLDER is (ui.paths.run_cache_dir)."""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import shutil
import sys
import time
import uuid
from functools import lru_cache
from pathlib import Path

from .files import ROOT, json_default

DEFAULT_FOLDER = ROOT / "out" / "run_cache"
DEFAULT_MAX_MB = 2048.0  # the shipped scenarios at their defaults, 5 seeds each, take about a tenth of it
STALE_SECONDS = 3600  # a temporary folder older than this belongs to a writer that died
FORMAT = 1  # bump when the layout of an entry changes
# an entry's folder; besides entries, only the cache's own .tmp-* and .old-* folders are ever removed
_NAME = re.compile(r"^[0-9a-f]{64}$")
MANIFEST, RESULTS = "manifest.json", "results.json"
ABOUT = ("scenario", "seed", "days", "scale", "version")  # what the manifest says was run, for people


def default_folder() -> Path:
    """SIM_APP_RUN_CACHE, else out/run_cache in the project (the app and `python -m sim cache-runs` agree)."""
    env = os.environ.get("SIM_APP_RUN_CACHE", "").strip()
    return Path(env).resolve() if env else DEFAULT_FOLDER


# --------------------------------------------------------------------------- runs named by what they depend on
def run_key(scenario, **overrides) -> str:
    """What a run's results depend on besides the seed, as stable JSON: the scenario without name,
    description and seed, its network as an absolute path. The app stores runs under it and runs
    `scenario_from_key(key, seed)`; `python -m sim cache-runs` runs the same, so both name a run alike."""
    data = scenario.model_dump(mode="json")
    data.update(overrides)
    for k in ("name", "description", "seed"):
        data.pop(k, None)
    data["network"] = str(scenario.network_path())
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def scenario_from_key(key: str, seed: int = 0):
    from .scenario import parse_scenario

    data = json.loads(key)
    data["seed"] = seed
    return parse_scenario(data)


def key_fingerprint(key: str, seed: int) -> str:
    """The fingerprint of the run the app makes of a run key and a seed."""
    return fingerprint(scenario_from_key(key, seed), seed)


# --------------------------------------------------------------------------- fingerprints
@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The model's code: every source file of the sim package, its version, and the versions of Python and
    of the libraries whose numbers it uses. Computed once per process (the code a process runs is the code
    it imported)."""
    from importlib.metadata import PackageNotFoundError, version

    from . import __version__

    h = hashlib.sha256(f"sim {__version__} python {sys.version_info[:2]}".encode())
    for lib in ("numpy", "pandas", "mesa", "pyarrow"):
        try:
            h.update(f" {lib} {version(lib)}".encode())
        except PackageNotFoundError:
            h.update(f" {lib} -".encode())
    h.update(source_digest(Path(__file__).resolve().parent).encode())
    return h.hexdigest()


def source_digest(package: Path) -> str:
    """The names and contents of every .py file under `package`."""
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        h.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _network_digest(folder: Path) -> str:
    """The route network's files (their names and contents), hashed once per version of the files."""
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    return _hash_files(str(folder), stamp)


@lru_cache(maxsize=32)
def _hash_files(folder: str, stamp: tuple) -> str:
    h = hashlib.sha256()
    for name, _, _ in stamp:
        h.update(os.path.relpath(name, folder).encode() + b"\0" + Path(name).read_bytes() + b"\0")
    return h.hexdigest()


def fingerprint(scenario, seed: int | None = None, days: int | None = None, scale: int | None = None) -> str:
    """What a run's results depend on, as 64 hex digits: every field of the resolved scenario (its overrides,
    interventions and events included), where it was read from and its network's path (both are in the
    results' meta), the network's files, the seed, horizon and scale that will run (the scenario's own
    unless given), and the model's code."""
    network = scenario.network_path()
    what = {"format": FORMAT, "scenario": scenario.model_dump(mode="json"), "source": scenario.source,
            "network_path": str(network), "network_files": _network_digest(network),
            "seed": int(scenario.seed if seed is None else seed), "days": int(days or scenario.days),
            "scale": int(scale or scenario.scale), "code": code_fingerprint()}
    text = json.dumps(what, sort_keys=True, separators=(",", ":"), default=json_default)
    return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------- the cache
class RunCache:
    """Finished runs in `folder`, at most `max_bytes` of them (least recently used removed first)."""

    def __init__(self, folder: str | Path, max_bytes: float = DEFAULT_MAX_MB * 2**20):
        self.folder = Path(folder).resolve()
        self.max_bytes = max_bytes

    def entry(self, key: str) -> Path:
        if not isinstance(key, str) or not _NAME.match(key):
            raise ValueError(f"not a run fingerprint: {key!r}")
        return self.folder / key

    def __contains__(self, key: str) -> bool:
        return (self.entry(key) / MANIFEST).is_file()

    # ------------------------------------------------------------------ reading
    def get(self, key: str):
        """The stored Results of this fingerprint, or None (missing, or damaged: then removed)."""
        return self._read(key, tables=None)

    def get_slim(self, key: str, seed: int) -> dict | None:
        """What an ensemble keeps of the stored run (sim.compare.slim), reading only the tables it needs."""
        from .compare import slim

        res = self._read(key, tables=("daily", "legs"))
        return None if res is None else slim(res, seed)

    def _read(self, key: str, tables):
        import pandas as pd

        from .results import Results

        folder = self.entry(key)
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            self._discard(folder)
            return None
        try:
            if manifest.get("format") != FORMAT or manifest.get("fingerprint") != key:
                raise ValueError("another format or another run")
            files = manifest["files"]
            wanted = [RESULTS] + [f"{t}.parquet" for t in (tables or manifest["tables"])]
            blobs = {name: _checked(folder / name, *files[name]) for name in wanted}
            stored = json.loads(blobs[RESULTS])
            frames = {name.removesuffix(".parquet"): pd.read_parquet(io.BytesIO(blob))
                      for name, blob in blobs.items() if name.endswith(".parquet")}
            order = [t for t in manifest["tables"] if t in frames]
            res = Results(meta=stored["meta"], tables={t: frames[t] for t in order}, summary=stored["summary"])
        except FileNotFoundError:
            # removed meanwhile (evicted by another process) or cut short: either way, not here
            if (folder / MANIFEST).exists():
                self._discard(folder)
            return None
        except Exception:  # noqa: BLE001 (a damaged entry, whatever the library raises: compute it again)
            self._discard(folder)
            return None
        _touch(folder / MANIFEST)  # recently used: evicted last
        return res

    # ------------------------------------------------------------------ writing
    def put(self, key: str, results) -> bool:
        """Store a run under its fingerprint (written beside, then renamed into place); False if it was
        already there. Then trim the folder to its size limit."""
        final = self.entry(key)
        if key in self:
            return False
        if final.exists() and key not in self:  # a folder without its manifest (not an entry: see _read);
            self._discard(final)  # asked again, as another writer may have renamed a whole entry there meanwhile
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".tmp-{key[:12]}-{uuid.uuid4().hex}"
        tmp.mkdir()
        try:
            files = {}
            for name, frame in results.tables.items():
                files[f"{name}.parquet"] = _write(tmp / f"{name}.parquet", _parquet(frame))
            text = json.dumps({"meta": results.meta, "summary": results.summary}, default=json_default,
                              allow_nan=True)  # NaN kept as NaN: read back exactly as computed
            files[RESULTS] = _write(tmp / RESULTS, text.encode())
            manifest = {"format": FORMAT, "fingerprint": key, "tables": list(results.tables), "files": files,
                        "about": {k: results.meta.get(k) for k in ABOUT}, "code": code_fingerprint(), "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            _write(tmp / MANIFEST, json.dumps(manifest, indent=1, default=json_default).encode())
            try:
                os.rename(tmp, final)
            except OSError:  # another session stored it first: theirs is the same run
                shutil.rmtree(tmp, ignore_errors=True)
                return False
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.trim()
        return True

    # ------------------------------------------------------------------ size
    def entries(self) -> list[tuple[Path, float, int]]:
        """(folder, last used, bytes) of every whole entry, least recently used first."""
        out = []
        try:
            children = list(self.folder.iterdir())
        except OSError:
            return out
        for child in children:
            if not _NAME.match(child.name):
                continue
            try:
                used = (child / MANIFEST).stat().st_mtime
                size = sum(p.stat().st_size for p in child.iterdir())
            except OSError:  # being written or removed by another process
                continue
            out.append((child, used, size))
        return sorted(out, key=lambda e: e[1])

    def size(self) -> int:
        return sum(size for _, _, size in self.entries())

    def trim(self) -> int:
        """Remove the least recently used entries until the folder is under its limit, and temporary
        folders of writers that died; returns how many entries were removed."""
        now = time.time()
        try:
            for child in self.folder.iterdir():
                if child.name.startswith((".tmp-", ".old-")) and now - child.stat().st_mtime > STALE_SECONDS:
                    shutil.rmtree(child, ignore_errors=True)
        except OSError:
            pass
        entries = self.entries()
        total, removed = sum(size for _, _, size in entries), 0
        for folder, _, size in entries:
            if total <= self.max_bytes:
                break
            self._discard(folder)
            total -= size
            removed += 1
        return removed

    def drop_other_code(self) -> int:
        """Remove the entries another version of the model's code wrote (never asked for again: their
        fingerprints hold that code); returns how many."""
        removed = 0
        for folder, _, _ in self.entries():
            try:
                code = json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("code")
            except (OSError, ValueError):
                continue  # being removed, or damaged: the next read removes it
            if code != code_fingerprint():
                self._discard(folder)
                removed += 1
        return removed

    def clear(self) -> int:
        entries = self.entries()
        for folder, _, _ in entries:
            self._discard(folder)
        return len(entries)

    def _discard(self, folder: Path) -> None:
        """Remove an entry: renamed out of the way first (one step), so no reader sees it half removed."""
        gone = self.folder / f".old-{folder.name[:12]}-{uuid.uuid4().hex}"
        try:
            os.rename(folder, gone)
        except OSError:
            return  # already removed by another process
        shutil.rmtree(gone, ignore_errors=True)


def max_bytes_from_env() -> float:
    """SIM_APP_RUN_CACHE_MB, else DEFAULT_MAX_MB (0 turns the cache off)."""
    text = os.environ.get("SIM_APP_RUN_CACHE_MB", "").strip()
    try:
        mb = float(text) if text else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    return mb * 2**20 if math.isfinite(mb) and mb > 0 else 0.0


# --------------------------------------------------------------------------- helpers
def _parquet(frame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf)  # the index too (a RangeIndex costs nothing): read back as it was
    return buf.getvalue()


def _write(path: Path, blob: bytes) -> list:
    with open(path, "wb") as fh:
        fh.write(blob)
        fh.flush()
        os.fsync(fh.fileno())
    return [len(blob), hashlib.sha256(blob).hexdigest()]


def _checked(path: Path, size: int, digest: str) -> bytes:
    blob = path.read_bytes()
    if len(blob) != size or hashlib.sha256(blob).hexdigest() != digest:
        raise ValueError(f"{path.name} does not match the manifest")
    return blob


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass


# --------------------------------------------------------------------------- runs through the cache
def run_or_read(cache: RunCache | None, key: str, seed: int, *, routes=None, progress=None, store: bool = True):
    """The run of `scenario_from_key(key, seed)`: read from the cache if it is there, else computed (and,
    with `store`, written to the cache). Returns (Results, fingerprint or None, whether it was read)."""
    from .run import run

    scenario = scenario_from_key(key, seed)
    fp = fingerprint(scenario, seed) if cache is not None else None
    if cache is not None:
        hit = cache.get(fp)
        if hit is not None:
            return hit, fp, True
    res = run(scenario, seed=seed, routes=routes, progress=progress)
    if cache is not None and store:
        cache.put(fp, res)
    return res, fp, False


def slim_or_run(cache: RunCache | None, key: str, seed: int) -> dict:
    """One replicate as an ensemble keeps it (sim.compare.slim): from the cache, else run and stored whole."""
    from .compare import slim

    if cache is not None:
        hit = cache.get_slim(key_fingerprint(key, seed), seed)
        if hit is not None:
            return hit
    return slim(run_or_read(cache, key, seed)[0], seed)


def fill_task(cache: RunCache, item: tuple[str, int]) -> bool:
    """A worker's job for `python -m sim cache-runs`: one (run key, seed) into the cache; True if it ran."""
    key, seed = item
    if key_fingerprint(key, seed) in cache:
        return False
    return not run_or_read(cache, key, seed)[2]
