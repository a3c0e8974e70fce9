"""The comparison as one self-contained HTML report, with its pictures drawn by matplotlib (inlined as PNG)."""

from __future__ import annotations

import base64
import datetime as _dt
import html as _html
import io

import numpy as np
import pandas as pd

from sim.compare import Comparison, daily_bands, leg_difference
from sim.scenario import Scenario

from . import basemap, style
from .labels import DAILY_MEASURES, KIND_LABELS
from .maps import difference_max
from .tables import cost_table, displacement_table, kpi_table


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def bands_figure(labels, arms, measures=("deaths", "attempts", "arrivals", "state_stranded"), period=7) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 6.2))
    for ax, measure in zip(axes.ravel(), measures):
        band = daily_bands(labels, arms, measure, period)
        for label in labels:
            b = band[band["scenario"] == label]
            ax.plot(b["day"], b["mean"], label=label)
            ax.fill_between(b["day"], b["low"], b["high"], alpha=0.25)
        ax.set_title(DAILY_MEASURES[measure][0] + (f", per {period} days" if DAILY_MEASURES[measure][1] == "flow" else ""),
                     fontsize=9)
        ax.set_xlabel("day of the run", fontsize=8)
        ax.tick_params(labelsize=8)
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    return _png(fig)


def difference_figure(network, diff: pd.DataFrame, label_a: str, label_b: str) -> str:
    """A static picture of which legs gained and lost flow (for the report)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap, Normalize

    fig, ax = plt.subplots(figsize=(10, 6))
    ax.set_facecolor(style.SEA)
    base = basemap.basemap_geojson(network)
    if base:
        for f in base["features"]:
            g = f["geometry"]
            polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
            for poly in polys:
                ring = np.asarray(poly[0])
                ax.fill(ring[:, 0], ring[:, 1], color=style.LAND, ec=style.BORDER, lw=0.4)
    vmax = difference_max(diff)
    cmap = LinearSegmentedColormap.from_list("d", style.PALETTES["RdBu_r"])
    norm = Normalize(-vmax, vmax)
    d = diff.set_index("leg")
    for leg in network.legs.itertuples():
        if leg.id not in d.index:
            continue
        ch = float(d.loc[leg.id, "change"])
        xy = np.asarray(leg.geometry.coords)
        lw = 0.6 + 5 * np.sqrt(min(abs(ch) / vmax, 1)) if vmax else 0.6
        ax.plot(xy[:, 0], xy[:, 1], color=cmap(norm(ch)), lw=lw, solid_capstyle="round")
    p = network.places
    ax.scatter(p["lon"], p["lat"], s=6, c="#333", zorder=3)
    x0, y0, x1, y1 = basemap.network_bounds(network)
    ax.set_xlim(x0 - 2, x1 + 2)
    ax.set_ylim(y0 - 2, y1 + 2)
    ax.set_aspect(1 / np.cos(np.radians((y0 + y1) / 2)))
    ax.set_xticks([])
    ax.set_yticks([])
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, shrink=0.7, label=f"change in attempts, {label_b} − {label_a} (people)")
    ax.set_title(f"Which legs gained (red) and lost (blue) flow: {label_b} compared with {label_a}", fontsize=10)
    return _png(fig)


def _frame_html(frame: pd.DataFrame, index: bool = True) -> str:
    return frame.to_html(index=index, escape=True, border=0, classes="t", na_rep="–")


def report_html(labels: list[str], scenarios: list[Scenario], comparisons: list[Comparison], arms: list[list[dict]],
                settings: dict, network=None, map_pair: tuple[int, int] = (0, 1)) -> str:
    """The comparison as one self-contained HTML page (tables and pictures inlined, no links to load)."""
    esc = _html.escape
    scen = pd.DataFrame([{
        "scenario": label, "name": s.name, "interventions": len(s.interventions),
        "package cost (€)": f"{s.total_cost_eur():,.0f}",
        "measures": "; ".join(f"{KIND_LABELS.get(i.kind, i.kind)}" + (f" ({i.name})" if i.name else "")
                              for i in s.interventions) or "none",
    } for label, s in zip(labels, scenarios)])
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Scenario comparison</title><style>",
        "body{font:14px/1.45 sans-serif;max-width:1100px;margin:20px auto;color:#222;padding:0 12px}",
        "h1{font-size:22px}h2{font-size:17px;margin-top:26px;border-bottom:1px solid #ccc}",
        "table.t{border-collapse:collapse;font-size:12.5px;margin:6px 0}table.t td,table.t th{border:1px solid #ddd;padding:3px 7px}",
        "table.t th{background:#f3f3f3;text-align:left}.note{color:#555;font-size:12.5px}img{max-width:100%}",
        "</style></head><body>",
        "<h1>Scenario comparison</h1>",
        f"<p class='note'>Made on {_dt.datetime.now():%Y-%m-%d %H:%M} with the migratory-route cooperation simulator. "
        f"{settings.get('replicates')} replicates per scenario with common random numbers (seeds "
        f"{esc(str(settings.get('seeds')))}), {settings.get('days')} days, scale {settings.get('scale')} "
        f"(people per model entry). Reference: <b>{esc(labels[0])}</b>. Differences are paired by seed; "
        f"intervals are 95% t-intervals of the mean difference.</p>",
        "<h2>Scenarios</h2>", _frame_html(scen, index=False),
        "<h2>Key figures</h2>", _frame_html(kpi_table(labels, comparisons)),
        "<h2>Cost-effectiveness</h2>",
        "<p class='note'>Extra cost of each package over the reference, per death and per irregular crossing "
        "(detected crossing) avoided. The interval comes from the interval of the number avoided; "
        "'unbounded' means the data are compatible with no saving.</p>",
        _frame_html(cost_table(labels, comparisons), index=False),
        "<h2>Displacement between corridors</h2>", _frame_html(displacement_table(labels, comparisons)),
        "<h2>Over time</h2>",
        f"<img alt='charts over time' src='data:image/png;base64,{bands_figure(labels, arms)}'>",
        "<p class='note'>Lines: mean over replicates; bands: 95% interval of the mean.</p>",
    ]
    if network is not None and len(labels) > 1:
        i, j = map_pair
        diff = leg_difference(arms[i], arms[j])
        parts += ["<h2>Where flows moved</h2>",
                  f"<img alt='difference map' src='data:image/png;base64,{difference_figure(network, diff, labels[i], labels[j])}'>"]
    parts.append("</body></html>")
    return "".join(parts)
