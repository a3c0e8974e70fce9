"""The episodes of data/history/EPISODES.md (its summary table): observed vs simulated change on the
target route, and the share of the simulated change the episode's measures explain (ablation).

Change = (mean detections per month in the post window) / (per month in the pre window) - 1. Ablation
share = (change with the measures - change without them) / change with them, on the same seeds: 1 when
the measures carry the whole change, 0 when demand and the rest of the model do. The issue's target is
a share of at least 2/3 and a change within 15 percentage points of the observed one.

Where an episode's windows lie in different calendar years, the rest of the change (without the measures)
is split once more: rerun also with the new years holding the pre window's year's demand, route and leg
preferences and appeals (ensemble.held), what is left is the season and the road's own dynamics; the
difference is the new year's share (what the yearly figures, fitted to the detections of those years, carry)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .data import MONTHLY_CSV, monthly_observed, route_corridors

SHARE_TARGET = 2 / 3
POINTS_TARGET = 0.15


@dataclass(frozen=True)
class Episode:
    key: str
    label: str
    prefix: str  # the replay's measures of this episode are named "<prefix> ..."
    route: str
    pre: tuple[str, str]  # first and last month, inclusive (YYYY-MM)
    post: tuple[str, str]
    note: str = ""
    displacement: bool = False  # a rise the episode's measures should cause elsewhere: direction only

    @property
    def hold(self) -> tuple[int, int] | None:
        """(the pre window's last year, the post window's last year) when they differ: the years a rerun holds."""
        first, last = int(self.pre[1][:4]), int(self.post[1][:4])
        return (first, last) if last > first else None

    def window_text(self, which) -> str:
        a, b = getattr(self, which)
        return a if a == b else f"{a} to {b}"


# The summary table of EPISODES.md, row by row. One change: the EU-Turkey pre window there is Apr-Dec
# 2015, before the replay starts; the replay compares Jan-Mar 2016 with Apr-Dec 2016 per month instead
# (the issue's own figure, -94 %).
EPISODES = (
    Episode("eu_turkey", "EU-Turkey statement (20 Mar 2016)", "EU-Turkey", "EMR", ("2016-01", "2016-03"),
            ("2016-04", "2016-12"), "pre window Jan-Mar 2016 (EPISODES.md: Apr-Dec 2015, before the replay)"),
    Episode("italy_libya", "Italy-Libya MoU + July 2017", "Italy-Libya", "CMR", ("2016-07", "2016-12"),
            ("2017-07", "2017-12")),
    Episode("wmr_displacement", "(displacement of Italy-Libya)", "Italy-Libya", "WMR", ("2016-01", "2016-12"),
            ("2018-01", "2018-12"), displacement=True),
    Episode("serbia_visas", "Serbia visas (Nov 2022)", "Serbia visas", "WBR", ("2022-10", "2022-10"),
            ("2023-02", "2023-02"), "month against month: seasonal"),
    Episode("serbia_crackdown", "Serbia crackdown (28 Oct 2023)", "Serbia crackdown", "WBR",
            ("2023-10", "2023-10"), ("2023-11", "2023-11")),
)


def _per_month(frame: pd.DataFrame, window: tuple[str, str]) -> float | None:
    a, b = pd.Timestamp(window[0] + "-01"), pd.Timestamp(window[1] + "-01")
    inside = frame[(frame["month"] >= a) & (frame["month"] <= b)]
    months = inside["month"].nunique()
    expected = (b.year - a.year) * 12 + b.month - a.month + 1
    if months < expected:
        return None
    return float(inside["detections"].sum()) / months


def change(frame: pd.DataFrame, episode: Episode) -> float | None:
    """Relative change post vs pre, per month, in `frame` (columns route, month, detections)."""
    rows = frame[frame["route"] == episode.route]
    pre, post = _per_month(rows, episode.pre), _per_month(rows, episode.post)
    if pre is None or post is None or pre <= 0:
        return None
    return post / pre - 1.0


def by_route(sim: pd.DataFrame) -> pd.DataFrame:
    """Simulated detections per corridor -> per Frontex route (columns route, month, detections)."""
    corridor_route = {c: r for r, cs in route_corridors().items() for c in cs}
    out = sim.assign(route=sim["corridor"].map(corridor_route)).dropna(subset=["route"])
    # low/high (the seeds' range) add up only where a route is one corridor, as on the shipped network
    columns = [c for c in ("detections", "low", "high") if c in out.columns]
    return out.groupby(["route", "month"], as_index=False)[columns].sum()


def held_key(prefix: str) -> str:
    """The key of the rerun without a prefix's measures and with the new years held."""
    return f"{prefix}, new years held"


def holds(prefix: str) -> tuple[int, int] | None:
    """The years the held rerun of a prefix's measures holds: from the earliest pre window's year to the
    latest post window's, over its episodes whose windows lie in different years (None: none does)."""
    spans = [ep.hold for ep in EPISODES if ep.prefix == prefix and ep.hold]
    return (min(a for a, _ in spans), max(b for _, b in spans)) if spans else None


def _range(values) -> tuple[float, float] | None:
    values = [v for v in values if v is not None]
    return (min(values), max(values)) if values else None


def seed_ranges(seeds: dict[str, list[pd.DataFrame]], ep: Episode) -> tuple[tuple | None, tuple | None]:
    """The lowest and highest seed's change, and share (each seed's replay against its own ablation: the runs
    pair up by seed), over the seeds of `seeds` (variant name -> a frame per seed, in the same seed order)."""
    changes = [change(by_route(f), ep) for f in seeds.get("replay", [])]
    shares = []
    for c, f in zip(changes, seeds.get(ep.prefix, [])):
        rest = change(by_route(f), ep)
        shares.append(None if c is None or rest is None or c == 0 else (c - rest) / c)
    return _range(changes), _range(shares)


def episode_rows(sims: dict[str, pd.DataFrame], observed: pd.DataFrame | None = None,
                 seeds: dict[str, list[pd.DataFrame]] | None = None) -> list[dict]:
    """One row per episode from the replay ("replay") and its ablations (keyed by the episode's prefix, and
    by held_key(prefix) for the rerun that also holds the new years): ensemble means; with `seeds` (the same
    variants, a frame per seed) also each figure's range over the seeds."""
    observed = observed if observed is not None else monthly_observed(2015, 2023, MONTHLY_CSV)
    full = by_route(sims["replay"])
    rows = []
    for ep in EPISODES:
        obs, sim = change(observed, ep), change(full, ep)
        row = {"episode": ep, "observed": obs, "simulated": sim, "without": None, "share": None,
               "within": None, "share_ok": None, "held": None, "year_share": None,
               "simulated_range": None, "share_range": None}
        if seeds:
            row["simulated_range"], row["share_range"] = seed_ranges(seeds, ep)
        if sim is not None and ep.prefix in sims:
            rest = change(by_route(sims[ep.prefix]), ep)
            row["without"] = rest
            if rest is not None and sim != 0:
                row["share"] = (sim - rest) / sim
                # a share of a change in the wrong direction explains nothing that happened
                right_way = obs is None or (sim > 0) == (obs > 0)
                row["share_ok"] = row["share"] >= SHARE_TARGET and right_way
            if rest is not None and sim != 0 and ep.hold and held_key(ep.prefix) in sims:
                row["held"] = change(by_route(sims[held_key(ep.prefix)]), ep)
                if row["held"] is not None:
                    row["year_share"] = (rest - row["held"]) / sim
        if sim is not None and obs is not None:
            row["within"] = (sim > 0) == (obs > 0) if ep.displacement else abs(sim - obs) <= POINTS_TARGET
        rows.append(row)
    return rows


def _pct(x) -> str:
    return "—" if x is None else f"{x:+.0%}"


def _ok(x) -> str:
    return "—" if x is None else ("yes" if x else "**no**")


def _span(pair, fmt) -> str:
    return "—" if pair is None else f"{fmt(pair[0])} to {fmt(pair[1])}"


def episodes_markdown(rows: list[dict], settings: dict) -> str:
    lines = [f"Replay `{settings['scenario']}`, {settings['replicates']} seeds ({settings['seeds']}), "
             f"scale {settings['scale']}, {settings['days']} days; inputs {settings['fingerprint']}. "
             "Change = detections per month in the post window against the pre window. Without = the same "
             "seeds with the episode's measures removed; share = the part of the simulated change the "
             f"measures explain (target >= {SHARE_TARGET:.0%}); within = the change within "
             f"{POINTS_TARGET * 100:.0f} points of the observed (a displacement: in the observed direction). "
             "Where the windows lie in different years: also held = the same seeds without the measures and with "
             "the post window's years taking the pre window's year's demand, route and leg preferences and appeals; "
             "the new year's share = (without - held) / simulated, the part the yearly figures carry; what held "
             "leaves is the season's and the road's own. Seeds = the lowest and the highest seed's simulated change "
             "and share (each seed against its own ablation): how far one run may stray from the mean.", "",
             "| episode | route | pre | post | observed | simulated | within | without the measures | share | share ok "
             "| held | the new year's share | seeds: simulated | seeds: share |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ep = r["episode"]
        share = "—" if r["share"] is None else f"{r['share']:.0%}"
        lines.append(f"| {ep.label} | {ep.route} | {ep.window_text('pre')} | {ep.window_text('post')} | "
                     f"{_pct(r['observed'])} | {_pct(r['simulated'])} | {_ok(r['within'])} | {_pct(r['without'])} | "
                     f"{share} | {_ok(r['share_ok'])} | {_pct(r['held'])} | "
                     f"{'—' if r['year_share'] is None else format(r['year_share'], '.0%')} | "
                     f"{_span(r['simulated_range'], _pct)} | {_span(r['share_range'], lambda x: format(x, '.0%'))} |")
    notes = [f"- {r['episode'].label}: {r['episode'].note}" for r in rows if r["episode"].note]
    return "\n".join(lines + ([""] + notes if notes else []))


def prefixes(start_date=None, days: int | None = None) -> list[str]:
    """The episodes' measure prefixes; with a run's start and length, only those whose windows it covers."""
    keep = []
    for ep in EPISODES:
        if start_date is not None and days is not None:
            first = pd.Timestamp(start_date)
            end = first + pd.Timedelta(days=days)  # first day not run
            if pd.Timestamp(ep.pre[0] + "-01") < first or pd.Timestamp(ep.post[1] + "-01") + pd.offsets.MonthEnd(0) >= end:
                continue
        keep.append(ep.prefix)
    return list(dict.fromkeys(keep))
