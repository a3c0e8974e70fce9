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
from sim.stats import INTERVAL_NOTE
from sim.vocabulary import KIND_LABELS

from . import basemap, style
from .charts import OKABE_ITO
from .labels import DAILY_MEASURES
from .maps import difference_max
from .style import compact
from .tables import change_table, displacement_compact, ranking_table


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight", pad_inches=0.03)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def bands_figure(labels, arms, measures=("deaths", "attempts", "arrivals", "state_stranded"), period=7) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(10, 2.3))
    for ax, measure in zip(axes.ravel(), measures):
        band = daily_bands(labels, arms, measure, period)
        for n, label in enumerate(labels):
            b = band[band["scenario"] == label]
            c = OKABE_ITO[n % len(OKABE_ITO)]
            ax.plot(b["day"], b["mean"], label=label, color=c, lw=1.2)
            ax.fill_between(b["day"], b["low"], b["high"], alpha=0.25, color=c, lw=0)
        ax.set_title(DAILY_MEASURES[measure][0] + (f",\nper {period} days" if DAILY_MEASURES[measure][1] == "flow" else ""),
                     fontsize=7)
        ax.set_xlabel("day of the run", fontsize=7)
        ax.tick_params(labelsize=7)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=min(len(labels), 4), fontsize=7, frameon=False,
               bbox_to_anchor=(0.5, -0.06))
    fig.tight_layout()
    return _png(fig)


def difference_figure(network, diff: pd.DataFrame, label_a: str, label_b: str) -> str:
    """A static picture of which legs gained and lost flow (for the report)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap, Normalize

    x0, y0, x1, y1 = basemap.view_bounds(network)
    aspect = 1 / np.cos(np.radians((y0 + y1) / 2))
    width = 4.9
    fig, ax = plt.subplots(figsize=(width, min(width * (y1 - y0 + 4) * aspect / (x1 - x0 + 4) + 0.5, 4.2)))
    ax.set_facecolor(style.SEA)
    base = basemap.basemap_geojson(network)
    if base:
        for f in base["features"]:
            g = f["geometry"]
            polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
            for poly in polys:
                ring = np.asarray(poly[0])
                ax.fill(ring[:, 0], ring[:, 1], color=style.LAND, ec=style.BORDER, lw=0.3)
    vmax = difference_max(diff)
    cmap = LinearSegmentedColormap.from_list("d", style.PALETTES["RdBu_r"])
    norm = Normalize(-vmax, vmax)
    d = diff.set_index("leg")
    for leg in network.legs.itertuples():
        if leg.id not in d.index:
            continue
        ch = float(d.loc[leg.id, "change"])
        xy = np.asarray(leg.geometry.coords)
        lw = 0.5 + 3.5 * np.sqrt(min(abs(ch) / vmax, 1)) if vmax else 0.5
        ax.plot(xy[:, 0], xy[:, 1], color=cmap(norm(ch)), lw=lw, solid_capstyle="round")
    p = network.places
    ax.scatter(p["lon"], p["lat"], s=3, c="#333", zorder=3)
    ax.set_xlim(x0 - 2, x1 + 2)
    ax.set_ylim(y0 - 2, y1 + 2)
    ax.set_aspect(aspect)
    ax.set_xticks([])
    ax.set_yticks([])
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    bar = fig.colorbar(sm, ax=ax, orientation="horizontal", fraction=0.04, pad=0.02, aspect=40, shrink=0.6)
    ticks = [-vmax, -vmax / 2, 0, vmax / 2, vmax]
    bar.set_ticks(ticks, labels=[compact(t) for t in ticks])
    bar.ax.tick_params(labelsize=6)
    bar.set_label("change in attempts (people): blue lost, red gained", fontsize=6.5)
    ax.set_title(f"{label_b} − {label_a}", fontsize=8)
    return _png(fig)


def _frame_html(frame: pd.DataFrame, index: bool = True) -> str:
    return frame.to_html(index=index, escape=True, border=0, classes="t", na_rep="–")


def report_html(labels: list[str], scenarios: list[Scenario], comparisons: list[Comparison], arms: list[list[dict]],
                settings: dict, network=None) -> str:
    """The comparison as one self-contained HTML page (tables and pictures inlined, no links to load) that
    prints on one or two A4 pages: compact tables, and one difference map per alternative (two side by side)."""
    esc = _html.escape
    scen = pd.DataFrame([{
        "scenario": label, "name": s.name, "interventions": len(s.interventions),
        "package cost per year": compact(s.cost_per_year_eur(), unit="€"),
        "measures": "; ".join(f"{KIND_LABELS.get(i.kind, i.kind)}" + (f" ({i.name})" if i.name else "")
                              for i in s.interventions) or "none",
    } for label, s in zip(labels, scenarios)])
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Scenario comparison</title><style>",
        "@page{size:A4;margin:11mm}",
        "body{font:11px/1.35 sans-serif;max-width:190mm;margin:12px auto;color:#222;padding:0 8px}",
        "h1{font-size:16px;margin:0 0 4px}h2{font-size:12.5px;margin:10px 0 3px;border-bottom:1px solid #ccc}",
        "table.t{border-collapse:collapse;font-size:9.5px;margin:3px 0;width:100%}",
        "table.t td,table.t th{border:1px solid #ddd;padding:1px 4px}",
        "table.t th{background:#f3f3f3;text-align:left}.note{color:#555;font-size:9.5px;margin:2px 0}",
        "img{max-width:100%}.maps{display:flex;flex-wrap:wrap;gap:6px}.maps img{width:calc(50% - 3px)}",
        "h2,table,img{break-inside:avoid;page-break-inside:avoid}",
        "@media print{body{margin:0;max-width:none}}",
        "</style></head><body>",
        "<h1>Scenario comparison</h1>",
        f"<p class='note'>Made on {_dt.datetime.now():%Y-%m-%d %H:%M} with the migratory-route cooperation simulator. "
        f"{settings.get('replicates')} replicates per scenario with common random numbers (seeds "
        f"{esc(str(settings.get('seeds')))}), {settings.get('days')} days, scale {settings.get('scale')} "
        f"(people per model entry). Reference: <b>{esc(labels[0])}</b>. Differences are paired by seed; "
        f"every interval is a {INTERVAL_NOTE} (t-interval of the mean, or of the mean difference).</p>",
        "<h2>Scenarios</h2>", _frame_html(scen, index=False),
        f"<h2>Changes against {esc(labels[0])}</h2>", _frame_html(change_table(labels, comparisons)),
        "<h2>Cost-effectiveness: ranking</h2>",
        "<p class='note'>Extra cost of each package over the reference, per death and per irregular crossing "
        "(detected crossing) avoided, cheapest first. The interval comes from the interval of the number avoided; "
        "'unbounded' means the data are compatible with no saving.</p>",
        _frame_html(ranking_table(labels, comparisons), index=False),
        "<h2>Displacement between corridors: change in attempts</h2>",
        _frame_html(displacement_compact(labels, comparisons, "attempts")),
        "<h2>Over time</h2>",
        f"<img alt='charts over time' src='data:image/png;base64,{bands_figure(labels, arms)}'>",
        f"<p class='note'>Lines: mean over replicates; bands: {INTERVAL_NOTE}.</p>",
    ]
    if network is not None and len(labels) > 1:
        pics = [f"<img alt='difference map: {esc(labels[j])}' src='data:image/png;base64,"
                f"{difference_figure(network, leg_difference(arms[0], arms[j]), labels[0], labels[j])}'>"
                for j in range(1, len(labels))]
        parts += ["<h2>Where flows moved</h2>", "<div class='maps'>", *pics, "</div>"]
    parts.append("</body></html>")
    return "".join(parts)
