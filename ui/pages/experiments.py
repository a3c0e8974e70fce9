"""Experiments page: open the results folder of a sweep (`python -m sim sweep ... --out DIR`) and look at
its sensitivity indices (Sobol, Morris), rank correlations (Latin hypercube) or grid and point plots.

Part of the app's navigation, and runnable alone:  streamlit run ui/pages/experiments.py
The page only reads results and calls sim.experiments.analysis; it never runs the model.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run alone with `streamlit run ui/pages/experiments.py`
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from sim.errors import InputError  # noqa: E402
from sim.experiments import analysis as A  # noqa: E402
from sim.experiments import store  # noqa: E402
from ui.paths import public, results_root  # noqa: E402


def result_folders(root=None) -> list[str]:
    """The folders the page offers: the subfolders of the configured results folder (SIM_APP_RESULTS, default
    out/), and their own subfolders that hold a sweep (a manifest.json). Nothing else on the server."""
    root = Path(root).resolve() if root is not None else results_root()
    if not root.is_dir():
        return []
    found = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        found.append(str(sub))
        found += [str(m.parent) for m in sorted(sub.glob(f"*/{store.MANIFEST}"))]
    return found


def _signature(folder: str) -> tuple:
    """Changes when the sweep writes more runs, so cached tables follow a running sweep."""
    p = Path(folder)
    man = p / store.MANIFEST
    runs = p / store.RUNS
    n = sum(1 for _ in runs.glob("run-*.parquet")) if runs.is_dir() else 0
    failed = p / store.FAILED
    n_failed = sum(1 for _ in failed.glob("run-*.json")) if failed.is_dir() else 0
    return (str(p.resolve()), man.stat().st_mtime if man.exists() else 0, n, n_failed)


@st.cache_resource(show_spinner="Reading the results…", max_entries=8)
def _load(signature: tuple):
    """(sweep, analysis tables, notes, problem with the indices or None); figures are drawn on demand."""
    sw = A.load_sweep(signature[0])
    tables, notes, problem = {}, [], None
    try:
        an = A.analyze(signature[0], figures=False)
        tables, notes = an.tables, an.notes
        sw = an.sweep
    except InputError as exc:
        problem = str(exc)
        if (sw.runs["status"] == "done").any():
            tables = {"summary": A.point_summary(sw)}
    return sw, tables, notes, problem


def _pick_folder() -> str | None:
    root = results_root()
    found = result_folders(root)
    if not found:
        return None
    return st.selectbox("Results folder", found, key="exp_folder_choice",
                        format_func=lambda f: Path(f).relative_to(root).as_posix(),
                        help=f"Subfolders of the results folder ({public(str(root))}; set SIM_APP_RESULTS to "
                             "choose another): the --out folders of `python -m sim sweep`")


def _overview(sw):
    m = sw.manifest
    st.subheader(sw.name)
    if m["experiment"].get("description"):
        st.caption(m["experiment"]["description"])
    c = sw.counts
    cols = st.columns(5)
    cols[0].metric("design", sw.design)
    cols[1].metric("runs", c["total"])
    cols[2].metric("finished", c["done"])
    cols[3].metric("failed", c["failed"])
    cols[4].metric("pending", c["pending"])
    st.caption(f"{len(sw.factors)} factors ({', '.join(sw.factors) or 'none'}), {m['replicates']} replicates "
               f"with seeds {m['seeds'][0]}…{m['seeds'][-1]} at every point; experiment hash "
               f"{m['experiment']['hash']}, sim {m['version']}")
    if c["failed"]:
        with st.expander(f"{c['failed']} failed runs"):
            failed = sw.runs[sw.runs["status"] == "failed"][["run", "point", "replicate", "seed", *sw.factors]]
            errors = {r["run"]: r.get("error") for r in m["runs"]}
            for p in (sw.folder / store.FAILED).glob("run-*.json"):
                try:
                    import json

                    rec = json.loads(p.read_text())
                    errors[rec["run"]] = rec.get("error")
                except (ValueError, KeyError, OSError):
                    pass
            failed = failed.assign(error=[public(str(errors[r])) if errors.get(r) else None for r in failed["run"]])
            st.dataframe(failed, hide_index=True)
    if c["pending"]:
        st.info(f"{c['pending']} runs are not finished: run the same `python -m sim sweep` command again to "
                "finish them (finished runs are kept).")


def _show(fig):
    st.pyplot(fig, clear_figure=False, width="content")


def _design_view(sw, tables, output: str):
    design = sw.design
    if design == "sobol" and "sobol" in tables:
        s = tables["sobol"]
        row = s[s["output"] == output]
        if row["ST"].notna().any():
            _show(A.fig_sobol(s, output))
        else:
            st.info(f"{output} does not vary across the runs: no Sobol indices.")
        st.dataframe(row.drop(columns="output"), hide_index=True)
        with st.expander("All outputs: total indices"):
            _show(A.fig_sobol_overview(s))
        if "sobol_s2" in tables:
            with st.expander("Second-order indices"):
                s2 = tables["sobol_s2"]
                st.dataframe(s2[s2["output"] == output], hide_index=True)
    elif design == "morris" and "morris" in tables:
        m = tables["morris"]
        _show(A.fig_morris(m, output))
        st.dataframe(m[m["output"] == output].drop(columns="output"), hide_index=True)
    elif design == "lhs" and "correlations" in tables:
        r = tables["correlations"]
        if r.loc[r["output"] == output, "rho"].notna().any():
            _show(A.fig_correlations(r, output))
        _show(A.fig_scatter(sw, output))
        st.dataframe(r[r["output"] == output].drop(columns="output"), hide_index=True)
    elif design == "grid":
        _show(A.fig_effects(sw, output))
        if len(sw.factors) >= 2:
            _show(A.fig_heatmap(sw, output))
    elif design == "points" and "summary" in tables:
        _show(A.fig_points(tables["summary"], sw.factors, output))


def render() -> None:
    st.title("Experiments")
    st.caption("Sweeps, replicates and sensitivity analyses run from the command line "
               "(`python -m sim sweep EXPERIMENT --out DIR`, see docs/experiments.md). "
               "Open a results folder to see what it found.")
    folder = _pick_folder()
    if not folder:
        st.info("No results folder yet. Run for example:\n\n"
                "`python -m sim sweep scenarios/experiments/cooperation_x_corruption.yaml --out out/coop`")
        return
    path = Path(folder)
    try:
        sw, tables, notes, problem = _load(_signature(str(path)))
    except InputError as exc:
        st.error(public(str(exc)))
        return
    except OSError as exc:
        st.error(f"{public(folder)}: {exc.strerror or exc}")
        return
    _overview(sw)
    for note in notes:
        st.caption(public(note))
    if problem:
        st.warning(public(problem))
    if not (sw.runs["status"] == "done").any():
        return
    output = st.selectbox("Output", sw.outputs, key="exp_output")
    _design_view(sw, tables, output)
    if "summary" in tables:
        summary = tables["summary"]
        with st.expander("Mean over replicates per design point (95 % interval)", expanded=sw.design in ("grid", "points")):
            st.dataframe(summary[summary["output"] == output].drop(columns="output"), hide_index=True)
        st.download_button("Download the summary (CSV)", summary.to_csv(index=False).encode(),
                           file_name=f"{path.name}-summary.csv", mime="text/csv")
    st.caption(f"Read the runs yourself: `pandas.read_parquet('{public(str(path))}/runs')` (one row per run and "
               "output).")


if __name__ == "__main__":  # as a page of the app (Streamlit runs it as __main__) or alone
    render()
