"""What the server loads before its first visitor (ui/serve.py calls `warm` before Streamlit starts).

Why: Streamlit runs app.py in the server's own process, so the modules imported, and the shared read-only
data put in the app's caches, before the server accepts visitors are already there when the first visitor
opens the app; without it, that visitor waits for Python imports (pandas, Mesa, folium, altair...), the
route network and the stored run being read (docs/performance.md, "App"). The time moves to the server's
start: it is not saved.

Loaded: every module the app's script and its first page (the Run page) import, at their top or inside a
function; the default scenario's network (into the cache shared by every session); the model's compiled
kernels, by a run of a few days (Numba loads them from its cache at a kernel's first call); and the default
scenario's runs if they are kept on disk (`python -m sim cache-runs`), as the Run page would read them.
Nothing is per session, and no map is kept: maps are drawn for each visitor."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_PAGE = (ROOT / "app.py", ROOT / "ui" / "pages" / "run.py")  # the script and its default page
KERNEL_DAYS = 3  # days of the run that loads the kernels: every phase of a day runs
DEFAULT_REPLICATES = 5  # the Run page's default number of runs for the intervals (ui.state.sidebar)
# Modules left to the first script run: streamlit_folium declares its Streamlit component when imported, and
# Streamlit registers a component (and serves its files) only if that happens inside a script run. What it
# imports (folium, folium.plugins, streamlit.components.v1...) is imported here all the same: left to the
# first visitor's script run, folium.plugins alone took 0.08 s of it, before the map is sent.
LEAVE = {"streamlit_folium"}


def page_modules(path: Path) -> list[str]:
    """The modules a page imports (absolute imports only, in order, each once), including the imports it
    makes inside functions to keep its first run light. `from ui import maps` gives ui and ui.maps."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]
    return list(dict.fromkeys(n for n in names if n.partition(".")[0] != "__future__"))


def left_modules_imports() -> list[str]:
    """What the modules of LEAVE import, read from their source (they are not imported)."""
    names: list[str] = []
    for name in sorted(LEAVE):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            names += page_modules(Path(spec.origin))
    return names


def import_pages(paths=FIRST_PAGE) -> int:
    """Import the modules of `paths`, and those the modules left to the first script run import; a
    `from x import y` where y is not a module imports x only."""
    done = 0
    for name_list in [page_modules(path) for path in paths] + [left_modules_imports()]:
        for name in name_list:
            parent, _, attr = name.rpartition(".")
            if name.partition(".")[0] in LEAVE:
                continue
            if parent and attr and hasattr(importlib.import_module(parent), attr):
                continue  # a function or class of an imported module, or a submodule already imported
            try:
                importlib.import_module(name)
                done += 1
            except ModuleNotFoundError:
                if not parent:  # a top-level module missing: the app would fail on it as well
                    raise
    return done


def default_scenario():
    """The scenario the sidebar selects when a visitor arrives (the first one listed) as the Run page sees
    it, and its network; (None, None) when there is none or it does not load (the page then says why)."""
    from sim.errors import InputError
    from ui import state
    from ui.scenario_files import check, list_scenarios, load_file

    shipped = list_scenarios()
    if not shipped:
        return None, None
    try:
        _, scenario, _ = load_file(next(iter(shipped.values())), network_loader=state.network_loader)
        # the page checks the scenario again from the session's copy, which names its network by full path
        return check(state.normalised(scenario), scenario.source, state.network_loader)
    except InputError:
        return None, None


def load_kernels(scenario, network) -> None:
    """A few days of the scenario without its spin-up, at its scale: the model's Numba kernels are loaded
    (or compiled, the first time on a machine) by their first call. Only the kernels are kept."""
    from sim.run import run_summary

    run_summary(scenario.model_copy(update={"spin_up_days": 0}), days=KERNEL_DAYS, routes=network)


def draw_first_map(scenario, network) -> None:
    """The default run's map once, as the Run page first draws it (its controls' defaults, the last day),
    rendered to HTML and dropped: what a first map builds for good (the basemap's countries, cached; folium's
    templates, compiled) is then ready for the first visitor, about 0.06 s of the map's path. No map is kept."""
    from ui import maps, state
    from ui.run_keys import run_key

    frames = state.cached_frames(run_key(scenario), scenario.seed, str(scenario.network_path()))
    controls = dict(window=30, leg_colour=next(iter(maps.LEG_COLOURS)),  # the Run page's defaults
                    place_size=next(iter(maps.PLACE_SIZES)), country_shade=next(iter(maps.COUNTRY_SHADES)))
    scales = maps.run_scales(frames, **controls)
    base = maps.run_base_map(network, scales=scales, title=scenario.name, **controls)
    base.add_child(maps.run_data_layer(network, frames, scenario.days - 1, scales=scales, **controls))
    base.get_root().render()


def warm(report=print) -> dict[str, float]:
    """Load everything above; returns the seconds each step took (and reports them)."""
    took: dict[str, float] = {}

    def step(name: str, fn, *args):
        t0 = time.perf_counter()
        out = fn(*args)
        took[name] = time.perf_counter() - t0
        return out

    step("imports", import_pages)
    scenario, network = step("default scenario and network", default_scenario)
    if scenario is not None:
        from ui import state
        from ui.run_keys import run_key

        step("kernels", load_kernels, scenario, network)
        seeds = list(range(scenario.seed, scenario.seed + DEFAULT_REPLICATES))
        found = step("stored runs", state.load_stored, run_key(scenario), seeds)
        took["stored runs found"] = found
        if found:
            step("first map", draw_first_map, scenario, network)
    report("Warm-up before the first visitor: " + ", ".join(
        f"{k} {v:.0f}" if k.endswith("found") else f"{k} {v:.2f} s" for k, v in took.items()), flush=True)
    return took
