"""The app's launcher (`python -m ui.serve`, ui/serve.py) and its warm-up (ui/warmup.py).

Checks that the warm-up finds the imports of the first page (the lazy ones too), that after it the first
visitor's page takes the default scenario's run from memory (no model run, no disk read) and still draws its
map (the map component must be declared inside a script run), and that the launcher takes `streamlit run`'s
options and reports a bad one as that command does."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

pytest.importorskip("streamlit")

from ui.warmup import page_modules  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "tiny"


def test_page_modules_lists_every_absolute_import_once(tmp_path):
    page = tmp_path / "page.py"
    page.write_text("from __future__ import annotations\nimport a.b\nfrom c import d, e\nfrom .x import y\n"
                    "import c\n\ndef f():\n    import g\n    from h.i import j\n", encoding="utf-8")
    assert page_modules(page) == ["a.b", "c", "c.d", "c.e", "g", "h.i", "h.i.j"]
    run_page = page_modules(ROOT / "ui" / "pages" / "run.py")
    # the map and chart modules, imported inside the page once the Run button is shown, are found too
    assert {"streamlit_folium", "ui.network_map", "ui.maps", "ui.charts"} <= set(run_page)


@pytest.fixture()
def stored_scenario(tmp_path):
    """A one-scenario folder for the app, with its default 5 runs already on disk."""
    scenarios, data = tmp_path / "scenarios", tmp_path / "data"
    scenarios.mkdir()
    scn = scenarios / "stored.yaml"
    scn.write_text(yaml.safe_dump({"name": "Stored", "network": str(TINY), "days": 23, "seed": 11, "scale": 5,
                                   "demand": [{"origin": "niamey", "per_year": 20000, "budget_eur": 3500}]}))
    env = {**os.environ, "SIM_APP_SCENARIOS": str(scenarios), "SIM_APP_DATA": str(data),
           "SIM_APP_RUN_CACHE": str(data / "runs"), "SIM_APP_RUN_CACHE_MB": "100",
           "SIM_APP_SESSIONS": str(tmp_path / "sessions"), "PYTHONPATH": str(ROOT),
           "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    done = subprocess.run([sys.executable, "-m", "sim", "cache-runs", str(scn), "--workers", "1"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return env


CHECK = """
import json, sys
from ui.warmup import warm
took = warm(report=lambda *a, **k: None)
component_early = "streamlit_folium" in sys.modules
deps_early = all(m in sys.modules for m in ("folium.plugins", "streamlit.components.v1"))
import sim.run
from sim.model import kernels
from ui import state
kernels_loaded = sorted(n for n, f in vars(kernels).items() if getattr(f, "signatures", None))
misses = state.run_store().misses
def boom(*a, **k):
    raise AssertionError("the model ran")
sim.run.run = boom
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=120)
at.run()
maps = [e for e in at.get("component_instance") if "folium" in e.proto.component_name]
print(json.dumps({"took": took, "component_early": component_early, "deps_early": deps_early,
                  "kernels": kernels_loaded,
                  "new_misses": state.run_store().misses - misses, "exceptions": [str(e.value) for e in at.exception],
                  "subheaders": [s.value for s in at.subheader], "maps": len(maps)}))
"""


def test_after_the_warm_up_the_first_page_takes_its_run_from_memory_and_draws_the_map(stored_scenario):
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, env=stored_scenario, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["took"]["stored runs found"] == 5
    assert not out["exceptions"], out["exceptions"]
    assert "Results: Stored" in out["subheaders"]
    assert out["new_misses"] == 0, "the first page read its run again instead of taking it from memory"
    assert not out["component_early"], "streamlit_folium imported before the server: its component is not served"
    assert out["deps_early"], "what streamlit_folium imports is left to the first visitor"
    assert "first map" in out["took"], "the default run's map was not drawn once before the first visitor"
    assert out["maps"] == 1, "the results map is not drawn"
    assert out["kernels"], "no compiled kernel was loaded"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_launcher_takes_streamlit_run_options_and_warms_up_before_answering(stored_scenario, tmp_path):
    port = _free_port()
    log = (tmp_path / "server.log").open("w+")
    proc = subprocess.Popen([sys.executable, "-m", "ui.serve", "--server.headless", "true", "--server.address",
                             "127.0.0.1", "--server.port", str(port), "--server.baseUrlPath", "sim"],
                            cwd=ROOT, env=stored_scenario, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while True:
            assert proc.poll() is None and time.time() < deadline, "the launcher did not start the server"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/sim/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/sim/", timeout=10) as page:
            assert page.status == 200
        log.seek(0)
        text = log.read()
        # the warm-up is done (and reported) before the server answers; Streamlit kept the options
        assert "Warm-up before the first visitor" in text and "stored runs found 5" in text, text
        assert "config option section was detected" not in text, text
        assert "Traceback" not in text, text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_a_failed_warm_up_is_reported_and_the_server_starts_all_the_same(monkeypatch, capsys):
    from ui import serve, warmup

    def broken(*_a, **_k):
        raise OSError("disk gone")

    monkeypatch.setattr(warmup, "warm", broken)
    assert serve.warm_up() is False
    assert "Warm-up skipped (OSError: disk gone)" in capsys.readouterr().out


def test_a_bad_option_is_reported_as_streamlit_run_reports_it():
    done = subprocess.run([sys.executable, "-m", "ui.serve", "--server.no_such_option", "1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "No such option" in done.stderr and "Traceback" not in done.stderr, done.stderr
