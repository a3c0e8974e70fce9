"""Display tables of runs and comparisons (figures labelled, with units and 95 % intervals as text), and the
run's tables as downloads. Presentation only: every number comes from sim.run and sim.compare."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd

from sim.compare import KPIS, Comparison

from .labels import KPI_LABELS


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


def _ci(mean, low, high, digits=0) -> str:
    def f(x):
        if x is None or not np.isfinite(x):
            return "–"
        return f"{x:,.{digits}f}"
    if low is None or not np.isfinite(low) or (low == high == mean):
        return f(mean)
    return f"{f(mean)} [{f(low)} to {f(high)}]"


def _digits(kpi: str) -> int:
    return 2 if kpi in ("deaths_per_1000_attempts",) else 0


def kpi_table(labels: list[str], comparisons: list[Comparison]) -> pd.DataFrame:
    """Rows: KPIs. Columns: the reference's mean, then per other scenario its mean and the change with its 95% interval."""
    ref = labels[0]
    base = comparisons[0].kpis.set_index("kpi")
    out = pd.DataFrame(index=[KPI_LABELS.get(k, k) for k in base.index])
    out[f"{ref} (mean)"] = [_ci(v, None, None, _digits(k)) for k, v in base["a"].items()]
    for label, comp in zip(labels[1:], comparisons):
        k = comp.kpis.set_index("kpi")
        out[f"{label} (mean)"] = [_ci(v, None, None, _digits(i)) for i, v in k["b"].items()]
        out[f"{label} − {ref} [95% interval]"] = [
            _ci(r["difference"], r["low"], r["high"], _digits(i)) for i, r in k.iterrows()]
    out.index.name = "figure"
    return out


def kpi_long(labels: list[str], comparisons: list[Comparison]) -> pd.DataFrame:
    """The same as kpi_table, as numbers (for CSV)."""
    frames = []
    for label, comp in zip(labels[1:], comparisons):
        f = comp.kpis.copy()
        f.insert(0, "scenario", label)
        f.insert(1, "reference", labels[0])
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def cost_table(labels: list[str], comparisons: list[Comparison]) -> pd.DataFrame:
    rows = []
    for label, comp in zip(labels[1:], comparisons):
        ce = comp.cost_effectiveness
        d, x = ce["death"], ce["irregular_crossing"]
        rows.append({
            "scenario": label,
            "extra cost (€)": _ci(ce["extra_cost_eur"], None, None),
            "deaths avoided [95% interval]": _ci(d["avoided"], d["avoided_low"], d["avoided_high"], 1),
            "€ per death avoided [95% interval]": _cost(d),
            "irregular crossings avoided [95% interval]": _ci(x["avoided"], x["avoided_low"], x["avoided_high"]),
            "€ per irregular crossing avoided [95% interval]": _cost(x),
        })
    return pd.DataFrame(rows)


def _cost(entry: dict) -> str:
    c = entry.get("cost_per_avoided_eur")
    if c is None:
        return "– (no clear saving, or no extra cost)"
    lo, hi = entry.get("cost_per_avoided_low_eur"), entry.get("cost_per_avoided_high_eur")
    hi_s = f"{hi:,.0f}" if hi is not None else "unbounded"
    lo_s = f"{lo:,.0f}" if lo is not None else "–"
    return f"{c:,.0f} [{lo_s} to {hi_s}]"


def displacement_table(labels: list[str], comparisons: list[Comparison]) -> pd.DataFrame:
    frames = []
    for label, comp in zip(labels[1:], comparisons):
        d = comp.displacement
        frames.append(pd.DataFrame({
            "corridor": d["corridor"],
            f"{label}: change in attempts [95% interval]": [
                _ci(r["attempts"], r["attempts_low"], r["attempts_high"]) for _, r in d.iterrows()],
            f"{label}: change in deaths [95% interval]": [
                _ci(r["deaths"], r["deaths_low"], r["deaths_high"], 1) for _, r in d.iterrows()],
        }).set_index("corridor"))
    return pd.concat(frames, axis=1)

