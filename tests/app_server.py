"""What the browser tests share: starting the app's Streamlit server on 127.0.0.1 and stopping it, its log,
Debian's chromium, and waiting for a page's script run to end. Not a test module (pytest collects test_*.py);
the test files import it from this folder."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL_SCHEMES = {"data", "about", "blob"}
# how the README starts the app (its warm-up first), and Streamlit's own command for the same script
SERVE = ["-m", "ui.serve"]
PLAIN = ["-m", "streamlit", "run", "app.py"]
START_SECONDS = 90


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(env_extra: dict | None = None, port: int | None = None, command: list[str] = SERVE):
    """Start the app on 127.0.0.1; returns (process, url) once it answers its health check. The caller
    stops it with stop_app."""
    port = port or free_port()
    env = {**os.environ, **(env_extra or {}), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    # the server's output goes to a file, not a pipe: nobody reads a pipe while the app runs, and a full
    # one blocks the server (and its background worker) on their next log line
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, *command, "--server.headless", "true", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc.log = log
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + START_SECONDS
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early ({proc.returncode}):\n{server_log(proc)}")
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    stop_app(proc)
    raise RuntimeError(f"streamlit did not start within {START_SECONDS} s")


def stop_app(proc, sig=signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    log = getattr(proc, "log", None)
    if log:
        log.close()


def server_log(proc, tail: int = 6000) -> str:
    """The last characters the app's server printed (shown when a browser test fails)."""
    log = getattr(proc, "log", None)
    if log is None or log.closed:
        return ""
    log.flush()
    log.seek(0)
    return log.read().decode(errors="replace")[-tail:]


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)


def off_machine(urls: list[str]) -> list[str]:
    """The requests that left the machine."""
    return [u for u in urls
            if urlparse(u).scheme not in LOCAL_SCHEMES and urlparse(u).hostname not in LOCAL_HOSTS]


def wait_for_idle(page, settle: float = 0.5, timeout: float = 60.0) -> None:
    """Until the browser has the whole of the app's last run: Streamlit marks the page `notRunning` only after
    it has processed every element the run sent (for `settle` seconds here). A download button's file id
    changes with each run that draws it and the old id is dropped when the run ends, so a click that still
    holds the old one downloads nothing (Streamlit's own comment in media_file_manager.remove_deferred)."""
    app = page.locator('[data-testid="stApp"]')
    t0, idle_since = time.time(), None
    while time.time() - t0 < timeout:
        if app.get_attribute("data-test-script-state") == "notRunning":
            idle_since = idle_since or time.time()
            if time.time() - idle_since >= settle:
                return
        else:
            idle_since = None
        time.sleep(0.05)
    raise AssertionError(f"the app was still running after {timeout:.0f} s")
