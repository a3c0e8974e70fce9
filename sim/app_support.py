"""Helpers for the Streamlit app that need no Streamlit: reading scenarios (shipped or uploaded), writing them
back as YAML, cache keys, and turning results and comparisons into display tables and a report.

Presentation only: every number comes from :func:`sim.run` and :mod:`sim.compare`.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html as _html
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from .compare import KPIS, Comparison, compare_runs, interval, summarise
from .errors import InputError
from .files import load_yaml_text, read_yaml
from .network import RouteNetwork, load_network
from .scenario import PILLARS, Scenario, check_against_network, parse_scenario, scenario_data

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "scenarios"
MAX_UPLOAD_BYTES = 1_000_000  # 1 MB: a scenario is a few kB

PILLAR_ORDER = ("prevention", "response", "alternatives")
PILLAR_HELP = {
    "prevention": "Stop people from being drawn into smuggling: information that reaches them, checks before boarding.",
    "response": "Act against smuggling networks: cooperation along the route, online adverts, money, corruption, capacity.",
    "alternatives": "Offer safe ways instead: legal pathways and vocational training places.",
}
KIND_LABELS = {
    "awareness_campaign": "Awareness campaign",
    "transport_operator_cooperation": "Transport-operator cooperation",
    "operational_cooperation": "Operational cooperation along a route",
    "digital_platform_cooperation": "Digital-platform cooperation",
    "financial_investigations": "Financial investigations",
    "anti_corruption": "Anti-corruption / anti-fraud",
    "capacity_building": "Capacity building / technical assistance",
    "legal_pathways": "Legal pathways",
    "vocational_training": "Vocational education and training",
}
KIND_HELP = {
    "awareness_campaign": "Fewer people trust smugglers' stories; perceived risk moves closer to the real risk.",
    "transport_operator_cooperation": "Checks before boarding on commercial (air, ferry, bus) legs.",
    "operational_cooperation": "More interceptions and arrests on the targeted legs; more when neighbours cooperate.",
    "digital_platform_cooperation": "Smuggler adverts taken down: smaller online reach, fewer new customers.",
    "financial_investigations": "Smugglers' capital seized; dismantled networks regrow more slowly.",
    "anti_corruption": "Bribes succeed less often; fewer fraudulent documents.",
    "capacity_building": "Authorities' capacities grow over time, after a lag.",
    "legal_pathways": "A quota of safe places per year from the targeted origins to the destination countries.",
    "vocational_training": "Training places per year that lower the wish to leave irregularly.",
}
KPI_LABELS = {
    "attempts": "Irregular crossing attempts (people)",
    "arrivals": "Arrivals at destinations (people)",
    "interceptions": "Interceptions (people)",
    "deaths": "Deaths and missing (people)",
    "deaths_per_1000_attempts": "Deaths per 1,000 attempts",
    "detections": "Irregular border crossings detected (people)",
    "stranded": "Stranded at the end (people)",
    "alternatives_taken": "Took a legal pathway or training (people)",
    "smuggler_revenue_eur": "Smuggler revenue (€)",
    "proceeds_seized_eur": "Proceeds seized (€)",
    "bribes_eur": "Bribes paid (€)",
    "arrests": "Smugglers arrested (people)",
    "networks_dismantled": "Smuggling networks dismantled",
    "mean_fee_eur": "Mean smuggler fee (€ per person and leg)",
    "cost_eur": "Cost of the interventions (€)",
}
DAILY_MEASURES = {  # column of the daily table -> (label, "flow" summed over a period or "stock" averaged)
    "deaths": ("Deaths and missing (people)", "flow"),
    "attempts": ("Irregular crossing attempts (people)", "flow"),
    "arrivals": ("Arrivals at destinations (people)", "flow"),
    "interceptions": ("Interceptions (people)", "flow"),
    "detections": ("Irregular crossings detected (people)", "flow"),
    "alternatives": ("Took an alternative (people)", "flow"),
    "revenue_eur": ("Smuggler revenue (€)", "flow"),
    "state_stranded": ("People stranded (on the day)", "stock"),
    "state_waiting": ("People waiting for a smuggler (on the day)", "stock"),
    "networks_active": ("Smuggling networks active", "stock"),
}


# --------------------------------------------------------------------------- scenarios
def scenario_dirs() -> list[Path]:
    """Folders whose *.yaml files the app offers; SIM_APP_SCENARIOS (paths joined by os.pathsep) overrides."""
    env = os.environ.get("SIM_APP_SCENARIOS")
    if env:
        return [Path(p).resolve() for p in env.split(os.pathsep) if p]
    return [SCENARIO_DIR]


def list_scenarios() -> dict[str, Path]:
    """Label -> path of every *.yaml in the scenario folders; baseline first, then alphabetical."""
    files = []
    for d in scenario_dirs():
        if d.is_dir():
            files.extend(sorted(d.glob("*.yaml")) + sorted(d.glob("*.yml")))
    files.sort(key=lambda p: (p.stem != "baseline", p.stem))
    out = {}
    for p in files:
        label = p.name
        try:
            name = (read_yaml(p) or {}).get("name")
            if isinstance(name, str) and name.strip():
                label = f"{name.strip()} ({p.name})"
        except Exception:  # a broken file still gets listed; loading it shows the error
            pass
        while label in out:
            label += " "
        out[label] = p
    return out


def check(data: dict, source: str | None, network_loader: Callable = load_network) -> tuple[Scenario, RouteNetwork]:
    """Validate a scenario mapping (network path absolute) and check it against its network."""
    scenario = parse_scenario(data, source)
    network = network_loader(scenario.network_path())
    check_against_network(scenario, network)
    return scenario, network


def load_file(path: str | Path, network_loader: Callable = load_network) -> tuple[dict, Scenario, RouteNetwork]:
    """A scenario file as (raw mapping with base merged and absolute network, Scenario, RouteNetwork)."""
    path = Path(path)
    data = scenario_data(path)
    scenario, network = check(data, str(path), network_loader)
    return data, scenario, network


def read_upload(name: str, content: bytes, base_dir: str | Path = SCENARIO_DIR,
                network_loader: Callable = load_network) -> tuple[dict, Scenario, RouteNetwork]:
    """Validate an uploaded scenario file. Relative paths in it (network, base) are read as if the file were
    saved in ``base_dir`` (the repository's scenarios/ folder). Raises InputError naming the file and field."""
    name = Path(name or "uploaded.yaml").name
    if len(content) > MAX_UPLOAD_BYTES:
        raise InputError(name, None, f"file is {len(content) / 1e6:.1f} MB; scenario files are limited to "
                                     f"{MAX_UPLOAD_BYTES / 1e6:.0f} MB")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(name, None, "not a text file (UTF-8 YAML expected)") from None
    data = load_yaml_text(text, name)
    if not isinstance(data, dict):
        raise InputError(name, None, "a scenario must be a mapping of fields (name, network, demand, ...)")
    base_dir = Path(base_dir)
    for key in ("network", "base"):
        if isinstance(data.get(key), str) and not Path(data[key]).is_absolute():
            data[key] = str((base_dir / data[key]).resolve())
    if "base" in data:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
            try:
                data = scenario_data(path)
            except InputError as exc:
                file = name if exc.file == str(path) else exc.file
                raise InputError(file, exc.where, exc.message) from None
    scenario, network = check(data, name, network_loader)
    return data, scenario, network


def _relative_network(scenario: Scenario, target_dir: Path) -> str:
    net = scenario.network_path()
    try:
        return Path(os.path.relpath(net, target_dir)).as_posix()
    except ValueError:  # another drive on Windows
        return str(net)


def scenario_yaml(scenario: Scenario, target_dir: str | Path = SCENARIO_DIR) -> str:
    """The scenario as YAML that passes `python -m sim check` once saved in ``target_dir`` (scenarios/):
    the network path is written relative to that folder."""
    target_dir = Path(target_dir)
    full = scenario.model_dump(mode="json")
    lean = scenario.model_dump(mode="json", exclude_defaults=True)
    out = {"name": full["name"]}
    if full.get("description"):
        out["description"] = full["description"]
    out["network"] = _relative_network(scenario, target_dir)
    for key in ("days", "seed", "scale", "demand"):
        out[key] = full[key]
    for key in full:  # every other field that differs from its default, whatever fields the schema gains
        if key not in out and key not in ("description", "base") and lean.get(key):
            out[key] = lean[key]
    if "interventions" in out:  # keep every lever's kind, timing, intensity and cost explicit
        out["interventions"] = [
            {k: v for k, v in full_i.items() if k in lean_i or k in ("kind", "start", "end", "intensity", "cost_eur")}
            for full_i, lean_i in zip(full["interventions"], lean["interventions"])
        ]
    head = (f"# Scenario saved from the simulator app on {_dt.date.today().isoformat()}.\n"
            f"# 'network' is relative to the scenarios/ folder: save this file there, then\n"
            f"#   python -m sim check scenarios/<this file>\n")
    return head + yaml.safe_dump(out, sort_keys=False, allow_unicode=True)


def run_key(scenario: Scenario, **overrides) -> str:
    """What a run's results depend on, as stable JSON: the scenario without name, description and seed."""
    data = scenario.model_dump(mode="json")
    data.update(overrides)
    for k in ("name", "description", "seed"):
        data.pop(k, None)
    data["network"] = str(scenario.network_path())
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def scenario_from_key(key: str, seed: int = 0) -> Scenario:
    data = json.loads(key)
    data["seed"] = seed
    return parse_scenario(data)


def fresh_intervention(kind: str) -> dict:
    d = {"kind": kind, "name": KIND_LABELS[kind], "targets": {}, "start": 0, "end": None, "intensity": 1.0,
         "cost_eur": 1_000_000.0}
    if kind in ("legal_pathways", "vocational_training"):
        d["places_per_year"] = 1000.0
    return d


def package_costs(scenario: Scenario) -> dict[str, float]:
    out = {p: 0.0 for p in PILLAR_ORDER}
    for i in scenario.interventions:
        out[PILLARS[i.kind]] += i.cost_eur
    out["total"] = scenario.total_cost_eur()
    return out


# --------------------------------------------------------------------------- one run
def summary_table(summary: dict) -> pd.DataFrame:
    """The run's totals, one row per figure, labelled with units."""
    o = summary["overall"]
    rows = [(KPI_LABELS.get(k, k), o.get(k)) for k in KPIS if k in o]
    return pd.DataFrame(rows, columns=["figure", "value"])


CORRIDOR_COLUMNS = {"attempts": "attempts", "crossings": "crossings", "interceptions": "interceptions",
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


# --------------------------------------------------------------------------- ensembles and comparisons
def slim(results, seed: int) -> dict:
    """A run reduced to what comparisons need: the dict sim.compare.compare_runs reads, plus leg totals."""
    legs = results.tables["legs"].groupby("leg", sort=False)[["attempts", "crossings", "deaths", "interceptions"]].sum()
    return {"seed": int(seed), **summarise(results), "legs": legs}


def slim_run(key: str, seed: int) -> dict:
    """One replicate run from a run key, reduced by `slim` (module level: a worker process runs it)."""
    from .run import run

    return slim(run(scenario_from_key(key, seed), seed=seed), seed)


def compare_arms(arms: list[list[dict]]) -> list[Comparison]:
    """Each arm against the first, paired by seed (common random numbers)."""
    return [compare_runs(arms[0], arm) for arm in arms[1:]]


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


def leg_difference(arm_a: list[dict], arm_b: list[dict], measure: str = "attempts") -> pd.DataFrame:
    """Per leg: mean of a measure over the run in each arm, and the paired change B - A with its 95% interval."""
    legs = arm_a[0]["legs"].index
    a = np.array([r["legs"][measure].reindex(legs).fillna(0).to_numpy() for r in arm_a])
    b = np.array([r["legs"][measure].reindex(legs).fillna(0).to_numpy() for r in arm_b])
    rows = []
    for j, leg in enumerate(legs):
        m, lo, hi = interval(b[:, j] - a[:, j])
        rows.append({"leg": leg, "a": a[:, j].mean(), "b": b[:, j].mean(), "change": m, "low": lo, "high": hi})
    return pd.DataFrame(rows)


def daily_bands(labels: list[str], arms: list[list[dict]], measure: str, period: int = 7) -> pd.DataFrame:
    """Mean over replicates and the 95% interval of the mean, per period of `period` days, for each scenario.

    Flows are summed over each period; stocks are averaged."""
    kind = DAILY_MEASURES.get(measure, (measure, "flow"))[1]
    frames = []
    for label, arm in zip(labels, arms):
        mat = np.array([r["daily"][measure].to_numpy(float) for r in arm])  # replicates x days
        days = mat.shape[1]
        if days >= period:  # whole periods only: a short last period would look like a drop
            days = days // period * period
            mat = mat[:, :days]
        starts = np.arange(0, days, period)
        if kind == "flow":
            agg = np.add.reduceat(mat, starts, axis=1)
        else:
            agg = np.add.reduceat(mat, starts, axis=1) / np.diff(np.append(starts, days))
        n = agg.shape[0]
        mean = agg.mean(axis=0)
        if n > 1:
            half = stats.t.ppf(0.975, n - 1) * agg.std(axis=0, ddof=1) / np.sqrt(n)
        else:
            half = np.zeros_like(mean)
        low = mean - half
        if np.all(mat >= 0):  # counts and euros cannot go below zero
            low = np.maximum(low, 0.0)
        frames.append(pd.DataFrame({"scenario": label, "day": starts, "mean": mean, "low": low,
                                    "high": mean + half}))
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- report
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

    from . import maps

    fig, ax = plt.subplots(figsize=(10, 6))
    ax.set_facecolor(maps.SEA)
    base = maps.basemap_geojson(network)
    if base:
        for f in base["features"]:
            g = f["geometry"]
            polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
            for poly in polys:
                ring = np.asarray(poly[0])
                ax.fill(ring[:, 0], ring[:, 1], color=maps.LAND, ec=maps.BORDER, lw=0.4)
    vmax = maps.difference_max(diff)
    cmap = LinearSegmentedColormap.from_list("d", maps.PALETTES["RdBu_r"])
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
    x0, y0, x1, y1 = maps.network_bounds(network)
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
