"""The experiments page, headless (streamlit.testing.v1.AppTest), run alone as its own app on sweeps of the
tiny fixture: it opens a results folder, shows the indices or grid plots, and reports bad folders as messages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from sim.experiments.plan import load_experiment  # noqa: E402
from sim.experiments.sweep import sweep  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "ui" / "pages" / "experiments.py")
TINY = ROOT / "tests" / "fixtures" / "tiny.yaml"
COOP = {"kind": "operational_cooperation", "targets": {"corridors": ["Central Mediterranean"]}, "intensity": 1.0,
        "cost_eur": 1e6}


def _sweep(tmp: Path, name: str, **fields) -> Path:
    data = {"name": f"page {name}", "base": str(TINY), "set": {"days": 20, "scale": 20, "interventions": [COOP]},
            "replicates": 1, "outputs": ["attempts", "deaths"], **fields}
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    out = tmp / "out" / name
    sweep(load_experiment(path), out, workers=1, progress=False)
    return out


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("page")
    grid = _sweep(tmp, "grid", design="grid", replicates=2, factors=[
        {"name": "coop", "path": "interventions[0].intensity", "values": [0, 2]},
        {"name": "corruption", "path": "countries.LBY.corruption", "values": [0.2, 0.8, 1.2]}])
    sobol = _sweep(tmp, "sobol", design="sobol", samples=4, factors=[
        {"name": "coop", "path": "interventions[0].intensity", "low": 0, "high": 2},
        {"name": "corruption", "path": "countries.LBY.corruption", "low": 0.1, "high": 0.9}])
    return {"grid": grid, "sobol": sobol}


@pytest.fixture(autouse=True)
def results_root(folders, monkeypatch):
    """The page offers only the subfolders of the configured results folder: the sweeps' out/."""
    monkeypatch.setenv("SIM_APP_RESULTS", str(folders["grid"].parent))


def _open(folder: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox[0].label == "Results folder" and not at.text_input, "a choice, not a free path"
    at.selectbox[0].set_value(folder).run()
    assert not at.exception, at.exception
    return at


def test_page_shows_a_grid_sweep(folders):
    at = _open(str(folders["grid"]))
    assert at.title[0].value == "Experiments"
    assert at.subheader[0].value == "page grid"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["finished"] == "8" and metrics["failed"] == "4"  # corruption 1.2 is invalid: recorded as failed
    assert _n_images(at) == 2, "main effects and heat map"
    at.selectbox(key="exp_output").set_value("deaths").run()
    assert not at.exception
    assert any("read_parquet" in c.value for c in at.caption)


def _n_images(at) -> int:
    def walk(node):
        children = getattr(node, "children", None) or {}
        for child in (children.values() if isinstance(children, dict) else children):
            yield child
            yield from walk(child)

    return sum(1 for e in walk(at._tree) if getattr(e, "type", "") == "image")


def test_page_shows_sobol_indices(folders):
    at = _open(str(folders["sobol"]))
    assert at.subheader[0].value == "page sobol"
    frames = at.dataframe
    assert frames, "the indices table is shown"
    cols = list(frames[0].value.columns)
    assert cols[:5] == ["factor", "S1", "S1_conf", "ST", "ST_conf"]
    assert set(frames[0].value["factor"]) == {"coop", "corruption"}
    assert _n_images(at) >= 1


def test_page_reports_a_bad_folder_without_server_paths(folders):
    empty = folders["grid"].parent / "empty"
    empty.mkdir(exist_ok=True)
    try:
        at = _open(str(empty))
        assert at.error and "manifest.json" in at.error[0].value
        assert str(empty.parent) not in at.error[0].value and "results/empty" in at.error[0].value
        # the choices are the results folder's subfolders, shown relative to it
        options = at.selectbox[0].options
        assert "grid" in options and "empty" in options and not any(o.startswith("/") for o in options)
    finally:
        empty.rmdir()


def test_page_without_results_folder_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_APP_RESULTS", str(tmp_path / "nothing here"))
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception and not at.selectbox and not at.text_input
    assert at.info and "sim sweep" in at.info[0].value


def test_page_lists_folders_under_out(tmp_path, folders):
    import importlib.util

    spec = importlib.util.spec_from_file_location("experiments_page", PAGE)
    page = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(page)  # importing does not render
    found = page.result_folders(folders["grid"].parents[1])  # the sweeps are one level further down
    assert str(folders["grid"]) in found and str(folders["sobol"]) in found
    assert callable(page.render)
