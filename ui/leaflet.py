"""Leaflet offline: the vendored copy in ``static/leaflet/`` (see ``static/SOURCES.md``), never a CDN.

Inside the Streamlit app Leaflet is served by Streamlit's static file serving at ``/app/static/...``;
:func:`use_local_leaflet` points folium's default asset lists there, so no map the app draws links a CDN.
folium's other defaults (jQuery, Bootstrap, Font Awesome, awesome-markers) are dropped: the elements the
maps use need none of them. :func:`standalone_html` inlines Leaflet (JS, CSS and its images) into one HTML
file that opens without a server and without internet.
"""

from __future__ import annotations

import base64
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = ROOT / "static"
LEAFLET_DIR = STATIC_DIR / "leaflet"
APP_STATIC_PREFIX = "/app/static"  # Streamlit serves ROOT/static there when server.enableStaticServing is on


def leaflet_urls(prefix: str = APP_STATIC_PREFIX) -> tuple[str, str]:
    prefix = prefix.rstrip("/")
    return f"{prefix}/leaflet/leaflet.js", f"{prefix}/leaflet/leaflet.css"


_prefix = APP_STATIC_PREFIX  # where the maps drawn from now on link Leaflet from


def use_local_leaflet(prefix: str | None = None) -> None:
    """Make every folium map link Leaflet from ``prefix`` (local) and nothing else.

    folium's defaults also pull jQuery, Bootstrap, Font Awesome and awesome-markers from CDNs; none of
    the elements this module draws needs them (we never use folium.Popup, Icon or branca colormaps, which do).
    Before folium is imported only the prefix is kept: the first map applies it (`use_local_leaflet_if_unset`),
    so that the app's first page does not wait for folium's import."""
    global _prefix
    if prefix is not None:
        _prefix = prefix
    if "folium" not in sys.modules:
        return
    import folium

    js, css = leaflet_urls(_prefix)
    folium.Map.default_js = [("leaflet", js)]
    folium.Map.default_css = [("leaflet_css", css)]


_LINK = re.compile(r"""<(?:script[^>]*\bsrc|link[^>]*\bhref)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def external_links(html: str) -> list[str]:
    """URLs of scripts and stylesheets in ``html`` that point off the machine (http, https or //)."""
    return [u for u in _LINK.findall(html) if re.match(r"^(https?:)?//", u, re.IGNORECASE)]


def _inline_css() -> str:
    css = (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")

    def image(match):
        path = LEAFLET_DIR / match.group(1)
        if not path.exists():
            return match.group(0)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\((images/[^)]+\.png)\)", image, css)


def standalone_html(m) -> str:
    """The folium map as one HTML file with Leaflet inlined: opens offline, from disk, with no server."""
    import folium

    use_local_leaflet_if_unset()
    js_url = dict(folium.Map.default_js)["leaflet"]
    css_url = dict(folium.Map.default_css)["leaflet_css"]
    html = m.get_root().render()
    js = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    html = re.sub(r'<script src="' + re.escape(js_url) + r'"></script>', lambda _: f"<script>{js}</script>", html)
    html = re.sub(r'<link rel="stylesheet" href="' + re.escape(css_url) + r'"\s*/>',
                  lambda _: f"<style>{_inline_css()}</style>", html)
    return html


def use_local_leaflet_if_unset() -> None:
    """Before a map is drawn: Leaflet from the prefix last given (folium's CDN defaults otherwise)."""
    import folium

    js, css = leaflet_urls(_prefix)
    if folium.Map.default_js != [("leaflet", js)] or folium.Map.default_css != [("leaflet_css", css)]:
        use_local_leaflet()

