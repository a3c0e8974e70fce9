"""Does the browser keep every map that a live redraw adds? A check of the exercise pages' live refresh
(ui/exercise_live.py) on a page built to provoke it, with Streamlit and headless Chromium on 127.0.0.1.

The page polls a flag file every second from a fragment and, when the flag changed, redraws itself in full
(`st.rerun(scope="app")`), as the facilitator and team pages do. On odd flags it adds a folium map at the
end, on even ones it has none, and a button "Draw the map again" puts the map under a new key (as the
exercise pages' button does). Three browsers follow it; the script changes the flag, counts the maps that
did not show within 20 s, presses the button on those, counts the maps it brought back, and prints the
tally.

    .venv/bin/python scripts/live_redraw_check.py --changes 100               # the map under one key
    .venv/bin/python scripts/live_redraw_check.py --changes 100 --key-per-change

Measured figures are in docs/exercises.md ("The pages and the codes"). Needs Debian's chromium."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
MAP = 'iframe[title="streamlit_folium.st_folium"]'

APP = '''
import sys, time
from pathlib import Path
import folium
import streamlit as st
from streamlit_folium import st_folium
sys.path.insert(0, {root!r})
from ui import leaflet
leaflet.use_local_leaflet()

FLAG = Path({flag!r})
def version():
    return FLAG.read_text()
st.session_state["seen"] = version()

@st.fragment(run_every=1.0)
def watch():
    if version() != st.session_state.get("seen"):
        st.rerun(scope="app")
    st.caption(f"poll {{time.time():.0f}}")
watch()
v = int(version())
for i in range(60):
    st.write(f"line {{i}} of change {{v}}")
if v % 2 == 1:
    m = folium.Map(location=[35, 15], zoom_start=4, tiles=None)
    for i in range(300):
        folium.CircleMarker([30 + (i % 20), 5 + i // 20], radius=3, tooltip=f"p{{i}}").add_to(m)
    again = st.session_state.get("again", 0)
    st_folium(m, key={key} + (f"_again{{again}}" if again else ""), height=400, use_container_width=True,
              returned_objects=[])
st.button("Leave")
def draw_again():
    st.session_state["again"] = st.session_state.get("again", 0) + 1
st.button("Draw the map again", on_click=draw_again)
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--changes", type=int, default=50, help="how many maps each browser is shown (default 50)")
    ap.add_argument("--browsers", type=int, default=3)
    ap.add_argument("--key-per-change", action="store_true", help="a new key for each map (as the exercise "
                    "pages now do for each round) instead of one key for all")
    args = ap.parse_args()
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="live_redraw_"))
    flag = work / "flag"
    flag.write_text("0")
    (work / "static").symlink_to(ROOT / "static")
    key = 'f"map{v}"' if args.key_per_change else '"map"'
    (work / "app.py").write_text(APP.format(root=str(ROOT), flag=str(flag), key=key))
    port = free_port()
    log = open(work / "server.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                               "--server.address", "127.0.0.1", "--server.headless", "true",
                               "--server.enableStaticServing", "true", "--server.fileWatcherType", "none",
                               "--browser.gatherUsageStats", "false"], cwd=work, stdout=log, stderr=log)
    missing = restored = 0
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
            time.sleep(5)
            pages = []
            for _ in range(args.browsers):
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                page.goto(f"http://127.0.0.1:{port}/", timeout=60_000)
                pages.append(page)
            time.sleep(5)
            for n in range(args.changes):
                flag.write_text(str(2 * n + 1))
                for b, page in enumerate(pages):
                    try:
                        page.locator(MAP).wait_for(timeout=20_000)
                    except PlaywrightTimeout:
                        missing += 1
                        page.get_by_role("button", name="Draw the map again").click()
                        try:
                            page.locator(MAP).wait_for(timeout=30_000)
                            restored += 1
                            print(f"change {n}, browser {b}: no map after 20 s; the button brought it back")
                        except PlaywrightTimeout:
                            print(f"change {n}, browser {b}: no map after 20 s, nor with the button: reloaded")
                            page.reload()
                            page.locator(MAP).wait_for(timeout=60_000)
                flag.write_text(str(2 * n + 2))
                for page in pages:
                    page.locator(MAP).wait_for(state="detached", timeout=60_000)
                print(f"change {n + 1} of {args.changes}", flush=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    shown = args.changes * args.browsers
    print(f"key {'per change' if args.key_per_change else 'one for all'}: {missing} of {shown} maps not shown "
          f"within 20 s; the button brought back {restored} of them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
