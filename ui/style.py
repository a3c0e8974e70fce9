"""Colours and number formats shared by the maps and the report's pictures."""

from __future__ import annotations

import math

import numpy as np

# a neutral grey basemap: the colour scales of legs and countries are the only hues on the map, so they stay
# readable under colour-vision deficiencies (see tests/test_app.py::test_palettes_survive_colour_blindness)
LAND, BORDER, SEA, NO_FLOW = "#e4e4e4", "#bdbdbd", "#f6f7f9", "#8c8c8c"

# Legs: matplotlib's viridis, cividis and magma (CC0), reversed so that high values are dark, light ends trimmed
# so that thin legs show on the grey land. Their lightness rises steadily, which survives every common
# colour-vision deficiency. Countries and differences: ColorBrewer sequences (Cynthia Brewer, Apache-2.0 licence).
PALETTES = {
    "viridis_r": ["#6ece58", "#27ad81", "#23888e", "#33628d", "#453581", "#440154"],
    "cividis_r": ["#948e77", "#727274", "#4f576c", "#243c6e", "#00224e"],
    "magma_r": ["#f97b5d", "#de4968", "#ab337c", "#782281", "#451077", "#140e36"],
    "Purples": ["#fcfbfd", "#efedf5", "#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3"],
    "YlOrRd": ["#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026"],
    "PuBu": ["#a6bddb", "#74a9cf", "#3690c0", "#0570b0", "#045a8d", "#023858"],
    "RdPu": ["#fcc5c0", "#fa9fb5", "#f768a1", "#dd3497", "#ae017e", "#7a0177", "#49006a"],
    "Greens": ["#f7fcf5", "#e5f5e0", "#c7e9c0", "#a1d99b", "#74c476", "#41ab5d", "#238b45"],
    "Reds": ["#fff5f0", "#fee0d2", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d"],
    "Blues": ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5"],
    "Oranges": ["#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801"],
    "RdBu_r": ["#2166ac", "#4393c3", "#92c5de", "#dcdcdc", "#f4a582", "#d6604d", "#b2182b"],
}


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def colour(value: float, vmin: float, vmax: float, palette: str) -> str:
    """Linear interpolation along a palette; values outside [vmin, vmax] are clipped."""
    stops = PALETTES[palette]
    if value is None or not np.isfinite(value):
        return NO_FLOW
    t = 0.0 if vmax <= vmin else min(max((value - vmin) / (vmax - vmin), 0.0), 1.0)
    x = t * (len(stops) - 1)
    i = min(int(x), len(stops) - 2)
    f = x - i
    a, b = _rgb(stops[i]), _rgb(stops[i + 1])
    return "#" + "".join(f"{round(a[k] + (b[k] - a[k]) * f):02x}" for k in range(3))


def nice_max(x: float) -> float:
    """A round number at or above x, for legend ends."""
    if not np.isfinite(x) or x <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(x))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * e >= x * 0.999:
            return m * e
    return 10 * e


def fmt(x, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    if digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"



def compact(x, digits: int = 0, unit: str = "") -> str:
    """A figure in compact units for headlines and tables: 906, 12.3 k, 906 M, 1.25 bn (three significant
    digits from a thousand up); `unit` ("€") goes in front. '–' when there is no value."""
    if x is None or not np.isfinite(x):
        return "–"
    pre = f"{unit} " if unit else ""
    sign = "-" if x < 0 else ""
    a = abs(float(x))
    for div, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if a >= div * 0.9995:
            v = a / div
            d = 0 if v >= 99.95 else 1 if v >= 9.995 else 2
            text = f"{v:.{d}f}"
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            if suffix != " bn" and float(text) >= 1000:  # 999.96 k is 1 M
                continue
            return f"{pre}{sign}{text}{suffix}"
    return f"{pre}{sign}{a:,.{digits}f}"
