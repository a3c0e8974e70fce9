"""Speed of the app in a real browser (Debian's chromium driven by Playwright), offline.

Measures, for the first scenario the app lists (the shipped baseline, at its own horizon and scale):
  server start: from launching the server (`python -m ui.serve`, which loads the first page's modules and
        data before it accepts visitors; with --plain, `streamlit run app.py`) until it answers its health
        check: the time the warm-up moves before the first visitor is counted here;
  cold  first map: open the app on that freshly started server (the clock starts once it answers its health
        check), press "Run the model", until the results map shows legs (includes the model run, unless the
        run is kept on disk: `python -m sim cache-runs`);
  intervals: from the same cold start until the headline figures show the mean and 95% interval over the
        app's default 5 runs (the other 4 run in a background process after the map is shown; the script
        presses "Show the intervals" every 2 s, so this is up to 2 s late);
  warm  first map: open the app in a new browser session once that run and its replicates are stored, until
        the map shows legs (the run is reused: no click needed);
  slider: press a key on the day slider until the map's legs change (median and worst of several moves).

Usage:  .venv/bin/python bench/bench_app.py [--moves 8] [--scenarios DIR] [--plain]
Prints one line per figure. Targets: cold first map <= 3 s and the intervals <= 10 s after it (issue 10),
slider < 1 s (see docs/performance.md, "App")."""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MAP = 'iframe[title="streamlit_folium.st_folium"]'
# the results map (in the container keyed "run_map_box"): before a run the page shows the route network in a
# map of the same kind, which must not be taken for the first map of the run
RUN_MAP = f".st-key-run_map_box {MAP}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(env_extra: dict, plain: bool) -> tuple[subprocess.Popen, str, float]:
    """Start the server; returns it, its address and the seconds from launch to its health check's answer."""
    port = free_port()
    command = ["streamlit", "run", "app.py"] if plain else ["ui.serve"]
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", *command, "--server.headless", "true",
                             "--server.address", "127.0.0.1", "--server.port", str(port)],
                            cwd=ROOT, env={**os.environ, **env_extra}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    while time.perf_counter() - t0 < 120:
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=2):
                return proc, url, time.perf_counter() - t0
        except OSError:
            time.sleep(0.05)  # finely: the server's start is one of the figures
    proc.terminate()
    raise SystemExit("streamlit did not start")


def signature(frame) -> str:
    return frame.locator("path.leaflet-interactive").evaluate_all(
        "els => els.map(e => (e.getAttribute('stroke-width') || '') + (e.getAttribute('d') || '').length).join(',')")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--moves", type=int, default=8, help="slider moves to time")
    ap.add_argument("--scenarios", help="folder of scenarios to list instead of scenarios/")
    ap.add_argument("--plain", action="store_true",
                    help="start the server with `streamlit run app.py` (no warm-up) instead of `python -m ui.serve`")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"chromium not installed ({CHROMIUM}): apt-get install chromium")
    from playwright.sync_api import sync_playwright

    env = {"SIM_APP_SCENARIOS": str(Path(args.scenarios).resolve())} if args.scenarios else {}
    proc, url, t_server = start(env, args.plain)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            t0 = time.perf_counter()
            page.goto(url)
            button = page.get_by_role("button", name="Run the model")
            button.wait_for(timeout=120_000)
            t_ready = time.perf_counter() - t0
            button.click()
            frame = page.frame_locator(RUN_MAP)
            try:
                frame.locator("path.leaflet-interactive").first.wait_for(timeout=300_000)
            except Exception:
                (ROOT / "test-artifacts").mkdir(exist_ok=True)
                page.screenshot(path=str(ROOT / "test-artifacts" / "bench_failure.png"))
                raise
            t_cold = time.perf_counter() - t0
            name = page.locator("h3").filter(has_text="Results:").first.inner_text()
            n_legs = frame.locator("path.leaflet-interactive").count()
            # the other replicates run in the background; the headline figures get their intervals when the
            # page is next drawn: press "Show the intervals" every 2 s, as a user would
            done = page.get_by_text("Mean of 5 runs (seeds").first  # the caption under the ensemble's figures
            while not done.is_visible():
                if time.perf_counter() - t0 > 600:
                    raise SystemExit("the intervals did not come")
                show = page.get_by_role("button", name="Show the intervals")
                if show.count():
                    show.first.click()
                page.wait_for_timeout(2000)
            t_intervals = time.perf_counter() - t0

            page2 = browser.new_page(viewport={"width": 1400, "height": 1000})
            t0 = time.perf_counter()
            page2.goto(url)
            frame2 = page2.frame_locator(RUN_MAP)
            frame2.locator("path.leaflet-interactive").first.wait_for(timeout=120_000)
            t_warm = time.perf_counter() - t0

            slider = page2.get_by_role("slider").first
            times = []
            for k in range(args.moves):
                before = signature(frame2)
                slider.focus()
                t0 = time.perf_counter()
                page2.keyboard.press("PageDown" if k % 2 == 0 else "ArrowLeft")
                while signature(frame2) == before:
                    if time.perf_counter() - t0 > 30:
                        raise SystemExit("the map did not change after a slider move")
                    time.sleep(0.01)
                times.append(time.perf_counter() - t0)
                page2.wait_for_timeout(300)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(f"scenario: {name.removeprefix('Results: ')} ({n_legs} legs and places drawn)")
    print(f"server start ({'streamlit run app.py' if args.plain else 'python -m ui.serve'}, launch to health "
          f"check): {t_server:.2f} s")
    print(f"app ready (page loaded, Run button shown): {t_ready:.2f} s")
    print(f"first map, cold (open + Run the model + map): {t_cold:.2f} s")
    print(f"intervals shown (cold start to the figures over 5 runs, the app's default): {t_intervals:.2f} s")
    print(f"first map, warm (open, run and replicates already stored): {t_warm:.2f} s")
    print(f"slider to updated map: median {statistics.median(times):.2f} s, worst {max(times):.2f} s "
          f"over {len(times)} moves")


if __name__ == "__main__":
    main()
