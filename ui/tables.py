"""Display tables of runs and comparisons (figures labelled, with units and 95 % intervals as text), and the
run's tables as downloads. Presentation only: every number comes from sim.run and sim.compare."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd

from sim.compare import KPIS, Comparison

from .labels import KPI_LABELS
from .style import compact


def summary_table(summary: dict) -> pd.DataFrame:
    """The run's totals, one row per figure, labelled with units."""
    o = summary["overall"]
    rows = [(KPI_LABELS.get(k, k), o.get(k)) for k in KPIS if k in o]
    return pd.DataFrame(rows, columns=["figure", "value"])


CORRIDOR_COLUMNS = {"attempts": "attempts",
                    "arrivals": "arrivals (at destinations only: 0 on transit corridors)", "crossings": "crossings", "interceptions": "interceptions",
                    "deaths": "deaths", "deaths_per_1000_attempts": "deaths per 1,000 attempts",
                    "stranded": "stranded", "smuggler_revenue_eur": "smuggler revenue (€)",
                    "mean_fee_eur": "mean fee (€)", "cost_eur": "cost (€)"}


def band_text(band: dict | None, digits: int = 0) -> str:
    """An ensemble figure as 'mean (low – high)', its 95 % interval; '–' when no run has a value."""
    if not band or band["mean"] != band["mean"]:
        return "–"

    def f(x):
        return f"{x:,.{digits}f}"

    if band["low"] == band["high"]:
        return f(band["mean"])
    return f"{f(band['mean'])} ({f(band['low'])} – {f(band['high'])})"


def ensemble_corridor_table(ensemble: dict) -> pd.DataFrame:
    """Per corridor: the ensemble mean of each figure with its 95 % interval, as text."""
    rows = []
    for name, c in ensemble.get("corridors", {}).items():
        row = {"corridor": name}
        for k, label in CORRIDOR_COLUMNS.items():
            row[label] = band_text(c.get(k), 2 if k == "deaths_per_1000_attempts" else 0)
        rows.append(row)
    return pd.DataFrame(rows)


def tables_zip(results) -> bytes:
    """All tables as Parquet plus summary.json, in one zip."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, frame in results.tables.items():
            b = io.BytesIO()
            frame.to_parquet(b, index=False)
            z.writestr(f"{name}.parquet", b.getvalue())
        z.writestr("summary.json", json.dumps(results.summary, indent=2, default=_json_default))
    return buf.getvalue()


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    b = io.BytesIO()
    frame.to_parquet(b, index=False)
    return b.getvalue()


def _json_default(x):
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    raise TypeError(type(x))


def _digits(kpi: str) -> int:
    return 2 if kpi in ("deaths_per_1000_attempts",) else 0


def kpi_long(labels: list[str], comparisons: list[Comparison]) -> pd.DataFrame:
    """The same as kpi_table, as numbers (for CSV)."""
    frames = []
    for label, comp in zip(labels[1:], comparisons):
        f = comp.kpis.copy()
        f.insert(0, "scenario", label)
        f.insert(1, "reference", labels[0])
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- compact tables for the Compare page
def _unit(kpi: str) -> str:
    return "€" if kpi.endswith("_eur") else ""


def compact_ci(mean, low=None, high=None, digits: int = 0, unit: str = "") -> str:
    """'-91.1 k [-106 k, -76.2 k]': a figure and its 95 % interval in compact units."""
    text = compact(mean, digits, unit)
    if low is None or high is None or not np.isfinite(low) or not np.isfinite(high) or low == high:
        return text
    return f"{text} [{compact(low, digits)}, {compact(high, digits)}]"


def change_table(labels: list[str], comparisons: list[Comparison]) -> pd.DataFrame:
    """Rows: figures. Columns: the reference's mean, then each alternative's change against it with its 95 %
    interval (paired by seed), in compact units so that four scenarios fit a 1366 px screen."""
    ref = labels[0]
    base = comparisons[0].kpis.set_index("kpi")
    out = pd.DataFrame(index=[KPI_LABELS.get(k, k) for k in base.index])
    out[f"{ref} (mean)"] = [compact(v, _digits(k), _unit(k)) for k, v in base["a"].items()]
    for label, comp in zip(labels[1:], comparisons):
        k = comp.kpis.set_index("kpi")
        out[f"{label}: change [95%]"] = [compact_ci(r["difference"], r["low"], r["high"], _digits(i), _unit(i))
                                         for i, r in k.iterrows()]
    out.index.name = "figure"
    return out


def means_table(labels: list[str], comparisons: list[Comparison]) -> pd.DataFrame:
    """Rows: figures. Columns: every scenario's mean, compact."""
    base = comparisons[0].kpis.set_index("kpi")
    out = pd.DataFrame(index=[KPI_LABELS.get(k, k) for k in base.index])
    out[labels[0]] = [compact(v, _digits(k), _unit(k)) for k, v in base["a"].items()]
    for label, comp in zip(labels[1:], comparisons):
        out[label] = [compact(v, _digits(i), _unit(i)) for i, v in comp.kpis.set_index("kpi")["b"].items()]
    out.index.name = "figure"
    return out


def forest_frame(labels: list[str], comparisons: list[Comparison]) -> pd.DataFrame:
    """Each figure's change per alternative as a % of the reference's mean, with its 95 % interval (for the
    forest plot: figures in people and euros share one axis). Figures the reference has none of are left out."""
    rows = []
    for label, comp in zip(labels[1:], comparisons):
        for r in comp.kpis.itertuples():
            if r.kpi == "cost_eur" or not r.a or not np.isfinite(r.a) or not np.isfinite(r.difference):
                continue
            scale = 100 / abs(r.a)
            low = r.low * scale if np.isfinite(r.low) else r.difference * scale
            high = r.high * scale if np.isfinite(r.high) else r.difference * scale
            rows.append({"figure": KPI_LABELS.get(r.kpi, r.kpi), "scenario": label,
                         "change_pct": r.difference * scale, "low_pct": low, "high_pct": high,
                         "change": compact_ci(r.difference, r.low, r.high, _digits(r.kpi), _unit(r.kpi))})
    return pd.DataFrame(rows, columns=["figure", "scenario", "change_pct", "low_pct", "high_pct", "change"])


def ranking_table(labels: list[str], comparisons: list[Comparison]) -> pd.DataFrame:
    """The alternatives ranked by extra cost per death avoided (then per irregular crossing avoided); those
    without a clear saving or without extra cost come last."""
    rows = []
    for label, comp in zip(labels[1:], comparisons):
        ce = comp.cost_effectiveness
        d, x = ce["death"], ce["irregular_crossing"]
        rows.append({"scenario": label, "extra cost": compact(ce["extra_cost_eur"], unit="€"),
                     "deaths avoided [95%]": compact_ci(d["avoided"], d["avoided_low"], d["avoided_high"], 1),
                     "€ per death avoided [95%]": _cost_compact(d),
                     "crossings avoided [95%]": compact_ci(x["avoided"], x["avoided_low"], x["avoided_high"]),
                     "€ per crossing avoided [95%]": _cost_compact(x),
                     "_death": d.get("cost_per_avoided_eur"), "_crossing": x.get("cost_per_avoided_eur")})
    frame = pd.DataFrame(rows)
    for key, col in (("_death", "rank: deaths"), ("_crossing", "rank: crossings")):
        frame[col] = frame[key].rank(method="min", na_option="keep").map(lambda r: "–" if r != r else f"{r:.0f}")
    order = frame.sort_values(["_death", "_crossing"], na_position="last", kind="stable").index
    frame = frame.loc[order].drop(columns=["_death", "_crossing"])
    return frame[["rank: deaths", "rank: crossings"] + [c for c in frame.columns if not c.startswith("rank")]]


def _cost_compact(entry: dict) -> str:
    c = entry.get("cost_per_avoided_eur")
    if c is None:
        return "– (no clear saving)"
    lo, hi = entry.get("cost_per_avoided_low_eur"), entry.get("cost_per_avoided_high_eur")
    return f"{compact(c, unit='€')} [{compact(lo) if lo is not None else '–'}, {compact(hi) if hi is not None else 'unbounded'}]"


def displacement_compact(labels: list[str], comparisons: list[Comparison], measure: str = "attempts") -> pd.DataFrame:
    """Per corridor, one column per alternative: the change in `measure` with its 95 % interval."""
    out = None
    for label, comp in zip(labels[1:], comparisons):
        d = comp.displacement.set_index("corridor")
        col = pd.Series([compact_ci(r[measure], r[f"{measure}_low"], r[f"{measure}_high"], 1 if measure == "deaths" else 0)
                         for _, r in d.iterrows()], index=d.index, name=label)
        out = col.to_frame() if out is None else out.join(col, how="outer")
    return out.fillna("–")
