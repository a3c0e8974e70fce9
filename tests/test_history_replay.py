"""The 2016-2023 replay: its scenario checks, its demand file follows from the data, and the episodes and
monthly commands run on a short window (the full replay is a long run: `python -m sim episodes`)."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim.history import doc
from sim.history.data import MONTHLY_CSV, REPLAY, ROOT, monthly_observed
from sim.history.demand import OUT, yearly_demand
from sim.history.ensemble import Variant, fingerprint, measures_named, without
from sim.history.episodes import EPISODES, change, episode_rows, episodes_markdown, held_key, holds, prefixes
from sim.history.monthly import ard_bound, ard_floor, best_season, compare, monthly_markdown, route_rows, seed_ranges
from sim.scenario import load_scenario, parse_scenario, scenario_data


def test_replay_scenario_checks():
    out = subprocess.run([sys.executable, "-m", "sim", "check", "--strict", str(REPLAY)], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    scenario, _ = load_scenario(REPLAY)
    assert str(scenario.start_date) == "2016-01-01" and scenario.days == 2922 and scenario.spin_up_days > 0


def test_every_episode_has_measures_in_the_replay():
    data = scenario_data(REPLAY)
    for prefix in prefixes():
        assert measures_named(data, prefix) > 0, prefix
        assert measures_named(without(data, prefix), prefix) == 0


def test_the_first_demand_follows_the_nationality_series():
    derived = yearly_demand()
    # Syrians: the nationality's detections fell from 2016 to 2017 and rose again by 2023
    assert derived["damascus"][2017] < derived["damascus"][2016] < derived["damascus"][2023]


def test_the_spin_up_year_takes_2015s_demand():
    """The replay's spin-up is the year before 1 January 2016: with 2015's demand (the year of the wave) the
    replay starts with its tail on the road, as January-March 2016 had."""
    data = scenario_data(REPLAY)
    assert data["spin_up_days"] == 365 and str(data["start_date"]) == "2016-01-01"
    derived = yearly_demand()
    assert derived["damascus"][2015] > 2 * derived["damascus"][2016]
    written = scenario_data(OUT)["demand_by_year"]
    assert all(2015 in {int(y) for y in years} for years in written.values())


def test_observed_episode_changes_match_episodes_md():
    observed = monthly_observed(2015, 2023, MONTHLY_CSV)
    got = {ep.key: change(observed, ep) for ep in EPISODES}
    # EPISODES.md's summary table: -68 %, x5.6, -81 %, -93 %; the EU-Turkey figure: -94 %
    assert got["italy_libya"] == pytest.approx(-0.68, abs=0.005)
    assert got["wmr_displacement"] == pytest.approx(56245 / 9990 - 1, abs=0.005)
    assert got["serbia_visas"] == pytest.approx(-0.81, abs=0.005)
    assert got["serbia_crackdown"] == pytest.approx(-0.93, abs=0.005)
    assert got["eu_turkey"] == pytest.approx(-0.94, abs=0.005)


def test_ablation_share_is_the_part_the_measures_carry():
    months = pd.date_range("2016-01-01", "2016-12-01", freq="MS")
    def sim(level_after):
        return pd.DataFrame({"month": months, "corridor": "Eastern Mediterranean",
                             "detections": [100.0] * 3 + [level_after] * 9})
    rows = episode_rows({"replay": sim(20.0), "EU-Turkey": sim(80.0)})
    eu = next(r for r in rows if r["episode"].key == "eu_turkey")
    assert eu["simulated"] == pytest.approx(-0.8) and eu["without"] == pytest.approx(-0.2)
    assert eu["share"] == pytest.approx(0.75) and eu["share_ok"]
    assert eu["within"] is True  # -80 % against the observed -94 %: 14 points
    wrong = next(r for r in episode_rows({"replay": sim(150.0), "EU-Turkey": sim(90.0)})
                 if r["episode"].key == "eu_turkey")
    assert wrong["share"] > 1 and not wrong["share_ok"]  # the measures "explain" a rise that did not happen
    half = next(r for r in episode_rows({"replay": sim(50.0)}) if r["episode"].key == "eu_turkey")
    assert half["within"] is False and half["share"] is None  # no ablation run: no share


def test_the_new_years_share_splits_what_the_measures_leave():
    """Windows in different years: the rest of the change (without the measures) splits into the new year's
    part (the rerun that also holds the pre window's year's figures) and the season's."""
    months = pd.date_range("2022-01-01", "2023-12-01", freq="MS")

    def sim(oct_2022, feb_2023):
        level = pd.Series(100.0, index=months)
        level[pd.Timestamp("2022-10-01")], level[pd.Timestamp("2023-02-01")] = oct_2022, feb_2023
        return pd.DataFrame({"month": months, "corridor": "Western Balkans", "detections": level.to_numpy()})
    sims = {"replay": sim(100.0, 30.0), "Serbia visas": sim(100.0, 50.0), held_key("Serbia visas"): sim(100.0, 80.0)}
    visas = next(r for r in episode_rows(sims) if r["episode"].key == "serbia_visas")
    assert visas["simulated"] == pytest.approx(-0.7) and visas["without"] == pytest.approx(-0.5)
    assert visas["held"] == pytest.approx(-0.2)
    # -70 %: the measures carry 20 points (29 %), the new year's figures 30 (43 %), the season 20 (29 %)
    assert visas["share"] == pytest.approx(0.2 / 0.7) and visas["year_share"] == pytest.approx(0.3 / 0.7)
    table = episodes_markdown(episode_rows(sims), {"scenario": "x", "replicates": 1, "seeds": "1", "scale": 1,
                                                   "days": 730, "fingerprint": "f"})
    assert "| -20% | 43% |" in table  # held, the new year's share
    # an episode inside one year has no held rerun: nothing to split
    assert next(r for r in episode_rows(sims) if r["episode"].key == "serbia_crackdown")["year_share"] is None


def test_the_seeds_range_pairs_each_seed_with_its_own_ablation():
    months = pd.date_range("2022-01-01", "2023-12-01", freq="MS")

    def sim(feb_2023):
        level = pd.Series(100.0, index=months)
        level[pd.Timestamp("2023-02-01")] = feb_2023
        return pd.DataFrame({"month": months, "corridor": "Western Balkans", "detections": level.to_numpy()})
    seeds = {"replay": [sim(30.0), sim(20.0)], "Serbia visas": [sim(50.0), sim(80.0)]}
    means = {k: pd.concat(v).groupby(["month", "corridor"], as_index=False)["detections"].mean()
             for k, v in seeds.items()}
    visas = next(r for r in episode_rows(means, seeds=seeds) if r["episode"].key == "serbia_visas")
    assert visas["simulated"] == pytest.approx(-0.75) and visas["share"] == pytest.approx((0.75 - 0.35) / 0.75)
    assert visas["simulated_range"] == pytest.approx((-0.8, -0.7))
    # seed 1: -70 % against -50 % without (29 %); seed 2: -80 % against -20 % (75 %); not seed 1 against seed 2
    assert visas["share_range"] == pytest.approx((0.2 / 0.7, 0.6 / 0.8))
    table = episodes_markdown(episode_rows(means, seeds=seeds), {"scenario": "x", "replicates": 2, "seeds": "1-2",
                                                                "scale": 1, "days": 730, "fingerprint": "f"})
    assert "| -80% to -70% | 29% to 75% |" in table
    assert next(r for r in episode_rows(means) if r["episode"].key == "serbia_visas")["share_range"] is None


def test_held_years_take_the_pre_windows_figures_and_later_years_their_own():
    assert [ep.key for ep in EPISODES if ep.hold] == ["italy_libya", "wmr_displacement", "serbia_visas"]
    assert holds("Italy-Libya") == (2016, 2018) and holds("Serbia visas") == (2022, 2023)
    assert holds("EU-Turkey") is None and holds("Serbia crackdown") is None
    data = {"demand_by_year": {"kabul": {2016: 5.0, 2018: 7.0, 2020: 9.0}, "hanoi": {2015: 1.0}},
            "destinations_by_year": {"nicosia": {2016: -100.0, 2017: -200.0}},
            "nationality_preferences_by_year": {2016: {"AFG": {"Western Balkans": 10.0}},
                                                2017: {"AFG": {"Western Balkans": 20.0}}},
            "leg_preferences_by_year": {2015: {"edirne-evros": 1.0}, 2018: {"edirne-evros": 2.0}},
            "interventions": [{"name": "Italy-Libya MoU"}, {"name": "EU-Turkey statement"}]}
    out = Variant("Italy-Libya", (2016, 2018)).apply(data)
    assert out["interventions"] == [{"name": "EU-Turkey statement"}]
    kabul = out["demand_by_year"]["kabul"]
    assert [kabul[y] for y in (2016, 2017, 2018, 2019, 2020)] == [5.0, 5.0, 5.0, 7.0, 9.0]
    assert out["demand_by_year"]["hanoi"] == {2015: 1.0, 2017: 1.0, 2018: 1.0, 2019: 1.0}
    assert out["destinations_by_year"]["nicosia"] == {2016: -100.0, 2017: -100.0, 2018: -100.0, 2019: -200.0}
    assert out["nationality_preferences_by_year"][2017] == {"AFG": {"Western Balkans": 10.0}}
    assert out["nationality_preferences_by_year"][2019] == {"AFG": {"Western Balkans": 20.0}}
    assert out["leg_preferences_by_year"][2018] == {"edirne-evros": 1.0}
    assert out["leg_preferences_by_year"][2019] == {"edirne-evros": 2.0}
    assert data["demand_by_year"]["kabul"] == {2016: 5.0, 2018: 7.0, 2020: 9.0}  # the mapping given is untouched
    # the replay's own file: a held rerun still validates (a year after the last listed is allowed)
    replay = Variant("Serbia visas", holds("Serbia visas")).apply(scenario_data(REPLAY))
    assert replay["demand_by_year"]["kabul"][2023] == scenario_data(REPLAY)["demand_by_year"]["kabul"][2022]
    assert parse_scenario(replay, REPLAY).demand_by_year["kabul"][2024] == (
        scenario_data(REPLAY)["demand_by_year"]["kabul"][2023])


def test_monthly_comparison_scores_routes():
    observed = monthly_observed(2016, 2016, MONTHLY_CSV)
    corridors = {"CMR": "Central Mediterranean", "EMR": "Eastern Mediterranean"}
    sim = observed[observed["route"].isin(corridors)].assign(corridor=lambda f: f["route"].map(corridors))
    sim = sim.assign(detections=sim["detections"] * [1.0 if r == "CMR" else 1.5 for r in sim["route"]])
    rows = {r["route"]: r for r in route_rows(compare(sim[["month", "corridor", "detections"]], observed))}
    assert rows["CMR"]["ard"] == pytest.approx(0.0) and rows["CMR"]["ard_ok"] and rows["CMR"]["years_ok"] == 1
    assert rows["EMR"]["ard"] == pytest.approx(0.5) and not rows["EMR"]["ard_ok"] and rows["EMR"]["years_ok"] == 0
    assert rows["WMR"]["ard"] == pytest.approx(1.0)  # nothing simulated


def test_seed_ranges_resample_the_seeds():
    """The ranges beside the monthly table: the ensemble mean recomputed on the seeds drawn with replacement.
    Identical seeds leave nothing to move; seeds 20 % apart give a year's range around the mean's difference,
    inside the seeds' own spread; the same call gives the same ranges (the page must not change on a rerun)."""
    observed = monthly_observed(2016, 2017, MONTHLY_CSV)
    cmr = observed[observed["route"] == "CMR"].assign(corridor="Central Mediterranean")[["month", "corridor",
                                                                                          "detections"]]
    same = seed_ranges([cmr, cmr.copy(), cmr.copy()], observed)
    assert same["CMR"]["ard"] == pytest.approx((0.0, 0.0))
    assert same["CMR"]["years"] == {2016: pytest.approx((0.0, 0.0)), 2017: pytest.approx((0.0, 0.0))}
    assert same["EMR"]["ard"] == pytest.approx((1.0, 1.0))  # nothing simulated on a route: every draw misses it all
    frames = [cmr.assign(detections=cmr["detections"] * f) for f in (0.8, 1.2, 0.9, 1.1, 1.0, 1.3)]
    spread = seed_ranges(frames, observed)
    low, high = spread["CMR"]["years"][2016]
    mean = np.mean((0.8, 1.2, 0.9, 1.1, 1.0, 1.3)) - 1
    assert -0.2 <= low < mean < high <= 0.3
    assert 0 <= spread["CMR"]["ard"][0] < spread["CMR"]["ard"][1] <= 0.3
    assert seed_ranges(frames, observed) == spread
    assert seed_ranges(frames[:1], observed) == {}
    # the table quotes them, and lists the route-years out, and those in whose range crosses the target
    table = compare(pd.concat(frames).groupby(["month", "corridor"], as_index=False)["detections"].mean(), observed)
    rows = route_rows(table, spread)
    text = monthly_markdown(rows, {"scenario": "s", "replicates": 6, "seeds": "1-6", "scale": 10, "days": 731,
                                   "fingerprint": "x"})
    cmr_row = next(r for r in rows if r["route"] == "CMR")
    assert f"{cmr_row['ard']:.2f} ({spread['CMR']['ard'][0]:.2f} to {spread['CMR']['ard'][1]:.2f})" in text
    assert "EMR 2016 -100% (-100% to -100%)" in text.split("outside ±15 %:")[1]
    assert "CMR 2016 +5% (" in text.split("crosses ±15 %:")[1]  # +5 % with a range past +15 %


def test_ard_floor_spreads_exact_years_by_the_other_years_season():
    months = pd.date_range("2016-01-01", periods=36, freq="MS")
    shape = np.arange(1, 13, dtype=float)
    same = pd.DataFrame({"month": months, "detections_observed": np.tile(shape, 3) * np.repeat([1, 2, 5], 12)})
    assert ard_floor(same) == pytest.approx(0.0)  # every year the same season: the floor is exact
    # a year flat, two with the season above: the flat year is spread by the others' season and vice versa
    flat = same.assign(detections_observed=np.concatenate([np.full(12, 10.0), shape, shape]))
    season = shape / shape.sum()
    expected = np.mean(np.concatenate([np.abs(120 * season - 10) / 10,  # the flat year, by the shaped years' season
                                       np.tile(np.abs(78 * (season + 1 / 12) / 2 - shape) / shape, 2)]))
    assert ard_floor(flat) == pytest.approx(expected)
    assert ard_floor(flat.iloc[:12]) is None  # one year: nothing to take a season from
    # full years only: the third, cut at June, is left out; the second is spread by the flat year's season
    assert ard_floor(flat.iloc[:30]) == pytest.approx(np.mean(np.concatenate(
        [np.abs(120 * season - 10) / 10, np.abs(78 / 12 - shape) / shape])))


def test_ard_bound_is_below_every_yearly_level_with_one_season():
    months = pd.date_range("2016-01-01", periods=36, freq="MS")
    shape = np.arange(1, 13, dtype=float)
    same = pd.DataFrame({"month": months, "detections_observed": np.tile(shape, 3) * np.repeat([1, 2, 5], 12)})
    assert ard_bound(same) == pytest.approx(0.0, abs=1e-9)  # one season and exact totals: nothing left
    assert ard_bound(same.iloc[:11]) is None  # no full year
    rng = np.random.default_rng(5)
    bursty = same.assign(detections_observed=rng.gamma(0.7, 300.0, 36).round() + (rng.random(36) > 0.2))
    exact, band = ard_bound(bursty, band=0.0), ard_bound(bursty)
    assert 0 < band < exact  # the band lets the levels go below the totals, which the ARD rewards
    # no yearly level within the band times one season, whatever their shapes, scores below it
    obs = bursty["detections_observed"].to_numpy().reshape(3, 12)
    totals = obs.sum(axis=1)
    seen = obs > 0
    def ard(levels, season):
        return (np.abs(np.outer(levels, season) - obs)[seen] / obs[seen]).mean()

    # the bound is reached with exact totals: the season the program found scores it
    near = best_season(bursty, band=0.0)[1]
    assert near.sum() == pytest.approx(1.0) and ard(totals, near) == pytest.approx(exact)
    for i in range(600):
        season = rng.dirichlet(np.ones(12)) if i % 2 else near * np.exp(rng.normal(0, 0.1, 12))
        season /= season.sum()
        for b, bound in ((0.0, exact), (0.15, band)):
            assert ard(totals * rng.uniform(1 - b, 1 + b, 3), season) >= bound - 1e-9


@pytest.mark.slow
def test_episodes_and_monthly_commands_run_on_a_short_window(tmp_path):
    page = tmp_path / "validation.md"
    page.write_text("# page\n")
    common = ["--replicates", "1", "--scale", "5000", "--days", "400", "--markdown", str(page)]
    out = subprocess.run([sys.executable, "-m", "sim", "episodes", *common], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "EU-Turkey statement" in out.stdout and "| EMR | 2016-01 to 2016-03 |" in out.stdout
    eu = next(line for line in out.stdout.splitlines() if line.startswith("| EU-Turkey"))
    # inside the window: observed, simulated, ablation, share and the seeds' ranges all computed; the held
    # rerun and the new year's share are for windows in different years only
    cells = [c.strip() for c in eu.strip("|").split("|")]
    assert cells[10:12] == ["—", "—"] and "—" not in cells[:10] + cells[12:]
    common[1] = "2"  # an ensemble for validate-data
    chart = tmp_path / "months.png"
    out = subprocess.run([sys.executable, "-m", "sim", "validate-data", "--monthly", *common, "--chart", str(chart),
                          "--seed", "4016"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "2 seeds (4016-4017)" in out.stdout
    for route in ("CMR", "EMR", "WMR", "WAR", "WBR", "ELB"):
        assert f"| {route} | 14 |" in out.stdout  # 400 days from 1 Jan 2016: 14 calendar months
    assert chart.read_bytes()[:4] == b"\x89PNG"
    text = page.read_text()
    assert doc.read_section(page, "episodes") and doc.read_section(page, "monthly") and text.startswith("# page")


def test_other_seeds_are_other_draws():
    """`sim episodes --seed` and `validate-data --seed` (researchers telling a result from its draws): the
    ensemble starts at the seed given; the scenario's own seed by default, so the page's tables keep theirs."""
    from sim.history.ensemble import run_variants, seeds

    assert seeds(REPLAY, 3) == [2016, 2017, 2018] and seeds(REPLAY, 2, 4016) == [4016, 4017]
    quick = {"replicates": 1, "scale": 5000, "days": 45}
    default = run_variants(REPLAY, {"replay": None}, **quick)["replay"]
    same = run_variants(REPLAY, {"replay": None}, **quick, first_seed=2016)["replay"]
    other = run_variants(REPLAY, {"replay": None}, **quick, first_seed=4016)["replay"]
    assert default.equals(same)
    assert not default["detections"].equals(other["detections"])


def test_validate_data_takes_a_first_seed():
    out = subprocess.run([sys.executable, "-m", "sim", "validate-data", "--replicates", "2", "--scale", "1000",
                          "--seed", "41"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "(seeds 41-42)" in out.stdout, out.stdout[:300]


def _table_rows(section: str) -> list[list[str]]:
    """The body rows of the first Markdown table in `section`, as lists of cells."""
    rows = [line.strip().strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in r] for r in rows[1:]]  # the header row is the first; the rule has no "| "


def test_the_pages_summary_agrees_with_its_generated_tables():
    """docs/validation.md's "At a glance" is written by hand from measurements; the episodes and monthly
    tables under it are generated. A regenerated table whose figures moved must not leave the summary
    telling the old ones: the monthly ARDs, the route-years and each episode's change and share agree."""
    path = ROOT / "docs" / "validation.md"
    text = path.read_text()
    glance = text[text.index("**At a glance**"):text.index("### How the replay is built")]
    section = doc.read_section(path, "monthly")
    monthly = {r[0]: r for r in _table_rows(section)}
    for r in monthly.values():  # "0.46 (0.45 to 0.46)": the ARD, then its range over the seeds resampled
        r[2] = r[2].split(" (")[0]
    ards = [float(monthly[route][2]) for route in ("CMR", "EMR", "WMR", "WAR", "WBR", "ELB")]
    assert f"{min(ards):.2f}-{max(ards):.2f}, mean **{sum(ards) / len(ards):.2f}**" in glance
    names = {"CMR": "Central Med", "ELB": "Eastern Borders", "EMR": "Eastern Med", "WAR": "Western African",
             "WBR": "Western Balkans", "WMR": "Western Med"}
    for route, name in names.items():
        assert f"{name} {float(monthly[route][2]):.2f}" in glance, route
    # the bounds on what a yearly level with one season can score, as the monthly table gives them
    exact = [float(monthly[route][5]) for route in names]
    band = {route: float(monthly[route][6]) for route in names}
    above = [v for v in band.values() if v > 0.30]
    assert f"is {min(exact):.2f}-{max(exact):.2f} with every year's total exact" in glance
    assert (f"still {min(above):.2f}-{max(above):.2f} on {['no', 'one', 'two', 'three', 'four', 'five', 'six'][len(above)]} "
            "routes") in glance
    for route, v in band.items():
        if v <= 0.30:
            assert f"(the {names[route]} {v:.2f} only with its years below Frontex's" in glance, route
    within = {route: int(monthly[route][-1].split(" of ")[0]) for route in names}
    assert f"**{sum(within.values())} of 48** route-years" in glance
    assert ", ".join(f"{r} {within[r]}" for r in ("CMR", "EMR", "WMR", "WAR", "WBR", "ELB")) in glance
    # each route-year outside +-15 % with its range over the seeds resampled, as the list under the table gives it
    listed = section.split("Route-years outside ±15 %: ")[1].split(".\n")[0]
    for item in ([] if listed == "none" else listed.split("; ")):
        low, high = item.split(" (")[1].rstrip(")").split(" to ")
        assert f"{low} to {high}".replace("-", "\u2212").replace("%", " %") in glance, item

    def shown(cell: str) -> str:  # "-96%" in the generated table, "−96 %" in the prose
        return cell.replace("-", "\u2212").replace("%", " %")

    episodes = {r[0]: r for r in _table_rows(doc.read_section(path, "episodes"))}
    for key, name in (("EU-Turkey", "EU–Turkey"), ("Italy-Libya", "Italy–Libya"), ("Serbia visas", "Serbia's visas"),
                      ("Serbia crackdown", "Serbian crackdown")):
        row = next(r for k, r in episodes.items() if k.startswith(key))
        assert f"{name} {shown(row[5])} ({shown(row[4])})" in glance, (name, row[5], row[4])
    for key, name in (("EU-Turkey", "EU–Turkey"), ("Italy-Libya", "Italy–Libya"), ("Serbia crackdown", "crackdown"),
                      ("(displacement", "the Western Med's rise"), ("Serbia visas", "Serbia's visas")):
        row = next(r for k, r in episodes.items() if k.startswith(key))
        assert f"{name} {shown(row[8])}" in glance, (name, row[8])
    rise = next(r for k, r in episodes.items() if k.startswith("(displacement"))
    assert f"{rise[5]} ({rise[4]})".replace("%", " %") in glance
    # the visas' rerun without the measures and with the new year held, and the share the new year carries
    visas = next(r for k, r in episodes.items() if k.startswith("Serbia visas"))
    assert f"the window falls {shown(visas[10])}" in glance and f"2023's figures carry {shown(visas[11])}" in glance
    libya = next(r for k, r in episodes.items() if k.startswith("Italy-Libya"))
    assert f"new year's figures carry {shown(libya[11])} and {shown(rise[11])}" in glance
    # each seed against its own ablation: the shares' and the visas' change's ranges over the seeds

    def span(cell: str) -> str:  # "83% to 86%" -> "83-86 %"
        low, high = cell.replace("%", "").split(" to ")
        return f"{low}-{high} %"
    order = ("EU-Turkey", "Italy-Libya", "Serbia crackdown", "(displacement", "Serbia visas")
    ranges = [span(next(r for k, r in episodes.items() if k.startswith(key))[13]) for key in order]
    assert f"the shares run {', '.join(ranges[:-1])} and {ranges[-1]}" in glance
    low, high = visas[12].split(" to ")
    assert f"over the eight seeds one by one between {shown(low)} and {shown(high)}" in glance


def test_episodes_by_default_runs_the_validation_pages_ensemble():
    """A new user's `python -m sim episodes`, with no option, prints the table docs/validation.md shows (the
    same seeds and scale), not a coarser one that misses episodes the page meets."""
    import typer.main

    from sim.cli import app

    command = typer.main.get_command(app).commands["episodes"]
    defaults = {p.name: p.default for p in command.params}
    section = doc.read_section(ROOT / "docs" / "validation.md", "episodes")
    assert f"{defaults['replicates']} seeds" in section and f"scale {defaults['scale']}," in section, defaults


def test_validation_page_replay_tables_are_not_stale():
    """docs/validation.md's replay tables name the inputs they were computed from; regenerate them
    (docs/validation.md says how) when the replay or the observed series change."""
    page = ROOT / "docs" / "validation.md"
    current = fingerprint(REPLAY, MONTHLY_CSV)
    for which in ("episodes", "monthly"):
        section = doc.read_section(page, which)
        assert section, f"docs/validation.md has no replay-{which} section"
        assert doc.fingerprint_in(section) == current, f"docs/validation.md's replay {which} table is stale"


def test_the_shipped_baseline_uses_the_replays_fitted_responses():
    """The response parameters `calibrate --replay` writes into the replay's calibrated file are the ones
    the shipped 2023 baseline (and the scenarios built on it) run with."""
    from sim.history.demand import OUT

    fitted = scenario_data(OUT)["behaviour"]
    baseline, _ = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    for name, value in (fitted.get("effects") or {}).items():
        assert getattr(baseline.behaviour.effects, name) == pytest.approx(value), name
    for name, value in fitted.items():
        if name not in ("effects", "seasonality"):
            assert getattr(baseline.behaviour, name) == pytest.approx(value), name
    for other in ("declaration", "prevention", "response", "alternatives"):
        scenario, _ = load_scenario(ROOT / "scenarios" / f"{other}.yaml")
        assert scenario.behaviour.effects == baseline.behaviour.effects, other
        assert scenario.behaviour.interception_cost_eur == baseline.behaviour.interception_cost_eur, other


@pytest.fixture(scope="module")
def replay_runs():
    """The validation page's ensemble (validate-data's seeds, scale 10): the replay, and the replay without
    each episode's measures (the ablations), as `python -m sim episodes` runs them."""
    from sim.history.ensemble import run_variants
    from sim.scenario import parse_scenario

    data = scenario_data(REPLAY)
    scenario = parse_scenario(data, REPLAY)
    covered = prefixes(scenario.start_date, scenario.days)
    variants = {"replay": None, **{p: p for p in covered if measures_named(data, p)}}
    return run_variants(REPLAY, variants, replicates=8, scale=10, workers=2)


@pytest.mark.slow
def test_the_replay_keeps_what_its_fit_reached(replay_runs):
    """A guard, as for 2023: the issue's targets are not all met (docs/validation.md says which), but a
    change to the model or the replay that loses what the fit reached fails here. The same ensemble as the
    validation page's tables (validate-data's seeds, scale 10), with a margin for changes that move the
    random numbers (docs/replay_log.md, four seeds; at the ninth session's adoption of deterrence and of
    Syrians living in Turkey: monthly ARD 0.42-1.29, mean 0.79; 27 of 48 route-years; the statement -88 %,
    Italy-Libya -54 % (-52 % to -59 % over the session's refits, -51 % on the tenth session's machine: its
    band starts at -53 %); ablation shares
    163 %, 77 % and 95 % for the statement, Italy-Libya and the crackdown. At the eleventh session's
    adoption of pushbacks reported apart and the settle margin: monthly ARD 0.44-0.94, mean 0.73; 30 of
    48 route-years; the statement -91 %, Italy-Libya -53 %; shares 167 %, 86 % and 91 %. At the twelfth
    session's ways into Ukraine and Vietnamese origin, with the demand refitted on eight seeds at scale 5:
    on four seeds 39 of 48 route-years, but 31 on four others (2020-2023), so the page and this guard use
    eight seeds (2016-2023) since: monthly ARD 0.43-1.20, mean 0.72; 34 of 48 route-years (the eleventh
    session's fit 28); the statement -91 %, Italy-Libya -52 %; shares 165 %, 86 % and 91 %; the guard raised
    from 24 route-years and 0.85 to 30 and 0.80. At the thirteenth session's Cyprus by year, the demand
    refitted: monthly ARD 0.44-1.30, mean 0.77 (the small years moved with the refit); 34 of 48 route-years;
    the statement -91 %, Italy-Libya -53 %; shares 166 %, 83 % and 90 %; then the sea routes' seasons refitted:
    monthly ARD 0.46-1.07, mean 0.69; 38 of 48 route-years; the statement -89 %, Italy-Libya -53 %, the visas
    -71 %; shares 186 %, 83 % and 79 %. At the fifteenth session's shore_prevention 0.3, everything refitted:
    monthly ARD 0.48-1.35, mean 0.73; 35 of 48 route-years; the statement -93 %, Italy-Libya -62 %, the visas
    -74 %; shares 186 %, 122 % and 79 %; then with staging_prevention 0.3 too, everything refitted: monthly ARD
    0.44-1.16, mean 0.66; 39 of 48 route-years; the statement -96 %, Italy-Libya -61 %, the visas -71 %;
    shares 176 %, 123 % and 83 %, the Western Med's rise 67 %. At the sixteenth session's flight from Tunis to
    Belgrade, everything refitted: monthly ARD 0.45-1.16, mean 0.66; 39 of 48 route-years; the statement -96 %,
    Italy-Libya -61 %, the visas -72 %; shares 174 %, 124 % and 83 %, the Western Med's rise 67 %. At the
    seventeenth session's flight from Tabriz to Belgrade, everything refitted: monthly ARD 0.46-0.98, mean 0.62;
    36 of 48 route-years; the statement -96 %, Italy-Libya -63 %, the visas -70 %; shares 172 %, 118 % and 84 %,
    the Western Med's rise 71 % (with NumPy's exp, on an AVX-512 machine); refitted with the C library's exp
    (the model since): monthly ARD 0.44-1.03, mean 0.64; 36 of 48 route-years; the statement -96 %, Italy-Libya
    -63 %, the visas -70 %; shares 175 %, 117 % and 83 %, the Western Med's rise 70 %. At the twentieth
    session's easing of the statement's cooperation after Turkey's coup attempt (15 July 2016), everything
    refitted: monthly ARD 0.43-0.96, mean 0.64; 38 of 48 route-years; the statement -91 %, Italy-Libya -63 %,
    the visas -77 %; shares 195 %, 113 % and 82 %, the Western Med's rise 71 %. At the twenty-first session's
    boats from Tobruk to Crete closed to the end of 2023, everything refitted: monthly ARD 0.42-1.10, mean 0.64;
    39 of 48 route-years; the statement -90 %, Italy-Libya -63 %, the visas -78 %; shares 209 %, 114 % and 84 %,
    the Western Med's rise 72 %. At the twenty-third session's origin months read again every 1 January and
    weighted by detections, everything refitted: monthly ARD 0.45-1.08, mean 0.64; 41 of 48 route-years; the
    statement -90 %, Italy-Libya -63 %, the visas -62 %; shares 201 %, 104 % and 86 %, the Western Med's rise
    73 %. At the twenty-fourth session's lockdowns of spring 2020, everything refitted: monthly ARD 0.40-1.30,
    mean 0.62; 42 of 48 route-years; the statement -92 %, Italy-Libya -64 %, the visas -62 %; shares 200 %,
    106 % and 89 %, the Western Med's rise 72 %. At the twenty-fifth session's origin months weighted by
    detections counting the attempts pushed back, everything refitted: monthly ARD 0.40-1.11, mean 0.59; 41 of
    48 route-years; the statement -92 %, Italy-Libya -64 %, the visas -54 %; shares 170 %, 108 % and 92 %, the
    Western Med's rise 72 %. At the twenty-eighth session's sea routes' months on their crossings (the Aegean
    5 days, Italy-Libya's joint operations at 2.5), everything refitted: monthly ARD 0.40-0.78, mean 0.54; 38 of
    48 route-years; the statement -82 %, Italy-Libya -61 %, the visas -61 %; shares 202 %, 85 % and 91 %, the
    Western Med's rise 68 %. At the twenty-ninth session's ride from the Evros to Athens, the Evros fitted to the
    land/sea split and Idomeni policed instead of closed, everything refitted: monthly ARD 0.40-1.08, mean 0.58;
    39 of 48 route-years; the statement -81 %, Italy-Libya -62 %, the visas -66 %; shares 221 %, 85 % and 90 %,
    the Western Med's rise 67 %. At the thirtieth session's flight from Algiers to Istanbul, with the cells out
    of the network's reach spread, everything refitted: monthly ARD 0.40-0.90, mean 0.57; 39 of 48 route-years;
    the statement -80 %, Italy-Libya -62 %, the visas -66 % (out of their band by 0.3 points); shares 237 %,
    84 % and 90 %, the Western Med's rise 66 %. At the thirty-first session's spin-up demand moving with 2016's
    fitted demand and Ukraine's visas at 0.8, everything refitted: monthly ARD 0.40-0.80, mean 0.54; 41 of 48
    route-years; the statement -88 %, Italy-Libya -63 %, the visas -70 %; shares 121 %, 76 % and 82 %, the
    Western Med's rise 71 %. At the thirty-second session's flights from West Africa to Casablanca and from
    Lagos to Istanbul, the 2023 baseline and everything refitted: monthly ARD 0.39-0.93, mean 0.55; 43 of 48
    route-years; the statement -88 %, Italy-Libya -64 %, the visas -67 %; shares 121 %, 71 % and 76 %, the
    Western Med's rise 64 %. At the thirty-third session's airline bans on the flights to Minsk (November 2021)
    and Lithuania's and Poland's holding of those they intercepted from Belarus until August 2021, everything
    refitted: monthly ARD 0.37-0.87, mean 0.53; 43 of 48 route-years; the statement -88 %, Italy-Libya -63 %,
    the visas -69 %; shares 122 %, 72 % and 77 %, the Western Med's rise 63 %; and with Tripoli's coordination
    and Italy's closed ports (June 2018 to September 2019), refitted: monthly ARD 0.39-0.91, mean 0.52; 41 of
    48 route-years; the statement -89 %, Italy-Libya -64 %, the visas -67 %; shares 118 %, 72 % and 75 %, the
    Western Med's rise 71 %. With Ukraine's visas before the war at 0.6 (thirty-fourth session), refitted:
    monthly ARD 0.40-1.06, mean 0.55; 44 of 48 route-years; the statement -88 %, Italy-Libya -63 %, the visas
    -70 %; shares 119 %, 72 % and 72 %, the Western Med's rise 72 %. With the lockdowns of spring 2020 on the
    Aegean's crossings, the Evros and the boats from Algeria and Tunisia too (thirty-fifth session), refitted:
    monthly ARD 0.35-0.99, mean 0.52; 44 of 48 route-years; the statement -88 %, Italy-Libya -64 %, the visas
    -68 %; shares 119 %, 72 % and 75 %, the Western Med's rise 73 %)."""
    sim = replay_runs["replay"]
    rows = route_rows(compare(sim))
    years_ok = sum(r["years_ok"] for r in rows)
    mean_ard = sum(r["ard"] for r in rows) / len(rows)
    assert years_ok >= 30, [(r["route"], r["years"]) for r in rows]
    assert mean_ard <= 0.80, [(r["route"], round(r["ard"], 2)) for r in rows]
    episodes = {r["episode"].key: r for r in episode_rows(replay_runs)}
    crackdown, italy_libya = episodes["serbia_crackdown"], episodes["italy_libya"]
    assert crackdown["within"], (crackdown["simulated"], crackdown["observed"])
    # Italy-Libya sat on its band's edge (-53 %) until the fifteenth session: -54 % on the ninth session's
    # machine, -51 % on the tenth's with the same code and seeds (floats' last bits differ between CPUs and
    # move the draws by a few points). With shore_prevention it is -62 %, nine points inside its band, so the
    # guard holds the band again
    assert italy_libya["within"], (italy_libya["simulated"], italy_libya["observed"])
    assert episodes["wmr_displacement"]["within"]  # the Western Mediterranean rises after Italy-Libya
    assert episodes["eu_turkey"]["within"], episodes["eu_turkey"]["simulated"]  # -91 % against -94 %


@pytest.mark.slow
def test_the_western_balkans_months_are_the_balkans_own(replay_runs):
    """The replay's Western Balkan month multipliers (mean month shares x 12 over the route-years no shock
    distorts) stay near Frontex's. Until the twenty-third session each origin's months were blended once, from
    2016's routes and counting unseen crossings, and the Syrians living in Turkey, counted on the Western
    Balkans from 2020, left home in the Aegean's months: January 0.40 and October 2.12 on the route against
    Frontex's 0.88 and 1.11, a mean distance over the twelve months of 0.386. Read again every 1 January and
    weighted by detections (sim/model/seasons.py): 0.200; counting the attempts pushed back in those weights
    (twenty-fifth session), refitted: 0.24; with the sea routes' months on their crossings (twenty-eighth
    session), refitted: 0.15; with Idomeni policed instead of closed (twenty-ninth session), refitted: 0.21;
    with the Algerians' flight to Istanbul (thirtieth session), refitted: 0.15; with the spin-up's 2015 demand
    moving with the fit (thirty-first session), refitted: 0.21; with the flights from West Africa to Casablanca
    and from Lagos to Istanbul (thirty-second session), refitted: 0.12; with the airline bans on the flights
    to Minsk and Lithuania's and Poland's holding before August 2021 (thirty-third session), refitted: 0.18,
    and with Tripoli's coordination and Italy's closed ports of 2018-2019, refitted: 0.22; with Ukraine's visas
    before the war at 0.6 (thirty-fourth session), refitted: 0.17; with the thirty-fifth's lockdowns on the
    Aegean, the Evros and Algeria's and Tunisia's boats, refitted: 0.11."""
    from sim.history.data import route_corridors
    from sim.history.season_fit import observed_shares, simulated_shares

    sim = replay_runs["replay"][["month", "corridor", "detections"]]
    simulated = simulated_shares(sim, route_corridors()).loc["WBR"].to_numpy(float)
    observed = observed_shares().loc["WBR"].to_numpy(float)
    distance = float(np.abs(simulated - observed).mean() * 12)
    assert distance <= 0.28, (distance, np.round(simulated * 12, 2))


def _simulated_rows(replay_runs, routes: list[str], first: str, last: str) -> pd.DataFrame:
    """The replay ensemble's rows (month, corridor) of the main routes `routes` over the months first..last."""
    from sim.history.data import route_corridors

    corridors = [c for r in routes for c in route_corridors()[r]]
    sim = replay_runs["replay"]
    return sim[sim["corridor"].isin(corridors) & pd.to_datetime(sim["month"]).between(first, last)]


def _simulated_and_observed(replay_runs, routes: list[str], first: str, last: str) -> tuple[float, float]:
    """Detections on the main routes `routes` over the months first..last (within one year): the replay's
    ensemble mean and Frontex's."""

    got = _simulated_rows(replay_runs, routes, first, last)
    year = pd.Timestamp(first).year
    observed = monthly_observed(year, year, MONTHLY_CSV)
    want = observed[observed["route"].isin(routes) & pd.to_datetime(observed["month"]).between(first, last)]
    return float(got["detections"].sum()), float(want["detections"].sum())


def _standard_error(replay_runs, routes: list[str], first: str, last: str) -> float:
    """The standard error of `_simulated_and_observed`'s ensemble mean, from the seeds' standard
    deviation per month and corridor (taken as independent)."""

    got = _simulated_rows(replay_runs, routes, first, last)
    return float(np.sqrt((got["sd"] ** 2).sum() / 8))


@pytest.mark.slow
def test_the_lockdowns_of_spring_2020_empty_the_balkans_and_the_aegean(replay_runs):
    """April and May 2020 on the Western Balkans and the Eastern Med: Frontex counted 1,735 detections
    (90, 1,203, 139 and 303), the lowest since 2009, "mainly due to the effects of coronavirus". Without the
    replay's lockdowns (before the twenty-fourth session) the replay had 6,490 there (four seeds), 3.7 times
    as many; with them 1,163 on the validation page's eight seeds, 2,070 with the sea routes' months on their
    crossings (twenty-eighth session), 2,281 with Idomeni policed instead of closed (twenty-ninth), 2,319 with
    the Algerians' flight to Istanbul (thirtieth), 2,334 with the spin-up's 2015 demand moving with the fit
    (thirty-first), 2,310 with the flights from West Africa to Casablanca and from Lagos to Istanbul
    (thirty-second), 2,255 with the airline bans on the flights to Minsk and Lithuania's and Poland's holding
    before August 2021 and 2,221 with Italy's closed ports of 2018-2019 too (thirty-third), 2,215 with Ukraine's
    visas before the war at 0.6 (thirty-fourth), 955 with the Aegean's crossings, the Evros and the boats from
    Algeria and Tunisia closed too (thirty-fifth: the Eastern Med's April and May 281 and 254 against Frontex's
    139 and 303; the Western Balkans' May, 273 against 1,203, is most of what is missing), 861 with the
    spin-up's departures shaped by 2015's months (thirty-eighth). Within a factor of two, allowing for the seeds:
    the ensemble mean may be two standard errors away. The bare mean sat inside the seeds' noise at the lower
    bound (868): the thirty-fifth session's fit gave 955 on these seeds and 860 on seeds 4016-4023, the
    thirty-eighth's 861 and 931. The standard error takes the months and corridors as independent, which if
    anything understates it (a seed with more people in Serbia has more in April and in May)."""
    got, want = _simulated_and_observed(replay_runs, ["WBR", "EMR"], "2020-04-01", "2020-05-01")
    assert want == pytest.approx(1735)
    se = _standard_error(replay_runs, ["WBR", "EMR"], "2020-04-01", "2020-05-01")
    assert 0 < se < 0.1 * want, se  # the seeds' spread is there, and small beside the bounds
    assert 0.5 <= (got + 2 * se) / want and (got - 2 * se) / want <= 2.0, (got, se, want)


@pytest.mark.slow
def test_the_replay_starts_inside_the_2015_wave(replay_runs):
    """January 2016 on the Eastern Med: Frontex counted 68,581 detections, the tail of the 2015 wave (216,000 in
    October 2015). With a spin-up that ran 2015's demand flat through the year the replay had 56,000 (-18 %,
    the thirty-fifth session's fit) and the yearly fit put the missing winter into the autumn; with the
    spin-up's departures shaped by 2015's months (`spin_up_demand_months`, thirty-eighth session) 70,100
    (+2 %). Within 15 %, allowing the seeds' two standard errors."""
    got, want = _simulated_and_observed(replay_runs, ["EMR"], "2016-01-01", "2016-01-01")
    se = _standard_error(replay_runs, ["EMR"], "2016-01-01", "2016-01-01")
    assert want == pytest.approx(68581)
    assert 0 < se < 0.05 * want, se
    assert abs(got - want) - 2 * se <= 0.15 * want, (got, se, want)


@pytest.mark.slow
@pytest.mark.parametrize("route, frontex, before, at_most",
                         [("EMR", 139, 1136, 2.5), ("WMR", 168, 920, 2.5), ("CMR", 723, 1761, 1.6)])
def test_april_2020_empties_the_mediterranean_crossings_the_lockdowns_closed(replay_runs, route, frontex, before,
                                                                             at_most):
    """April 2020, the lockdowns' deepest month, on the three Mediterranean routes. Until the thirty-fifth
    session the replay closed only the roads to Turkey's coasts and borders and Morocco's: the people already
    at the Turkish coast and in Edirne kept crossing, and so did Algeria's, Tunisia's and Bodrum's boats
    (`before`, the thirty-fourth session's fit: 8.2, 5.5 and 2.4 times Frontex's). With the Aegean's crossings
    and Bodrum's boats closed under Turkey's restriction on leaving its provinces by sea, the Evros after Turkey
    took the people at the border to quarantine, and Algeria's and Tunisia's boats under their curfews and
    confinement (sources in the replay's file), refitted: 281, 281 and 830 (2.0, 1.7 and 1.1 times). At most
    2.5, 2.5 and 1.6 times Frontex's: each bound fails with the roads closed alone."""
    got, want = _simulated_and_observed(replay_runs, [route], "2020-04-01", "2020-04-01")
    assert want == pytest.approx(frontex)
    assert got / want <= at_most, (route, round(got), want, before)


@pytest.mark.slow
def test_the_eastern_borders_fall_after_the_airlines_stop_flying_people_to_minsk(replay_runs):
    """Turkey's airports stopped flying Iraqis, Syrians and Yemenis to Minsk on 12 November 2021, Dubai's
    Afghans, Iraqis, Yemenis and Syrians on the 14th: Frontex counted 156 and 105 detections on the Eastern
    Borders in December 2021 and January 2022, 5 % of July and August 2021's monthly level (3,236 and 1,953).
    With the flights open to the end the replay kept 70 % (1,265 and 509 against 1,247 and 1,280, thirty-second
    session's fit); with the bans, refitted (thirty-third session), 16 % (269 and 308 against 1,779 and 1,845;
    274 and 346 against 2,232 and 1,645 on the session's last fit; 275 and 304 against 2,111 and 1,635, 15 %,
    with Ukraine's visas at 0.6, thirty-fourth session; 251 and 479 against 1,998 and 1,744, 20 %, with the
    lockdowns of spring 2020 on the Aegean, the Evros and Algeria's and Tunisia's boats, thirty-fifth)."""
    from sim.history.data import route_corridors

    sim = replay_runs["replay"]
    sim = sim[sim["corridor"].isin(route_corridors()["ELB"])].assign(month=lambda f: pd.to_datetime(f["month"]))
    by_month = sim.groupby("month")["detections"].sum()
    summer = by_month[pd.Timestamp("2021-07-01"):pd.Timestamp("2021-08-01")].sum()
    winter = by_month[pd.Timestamp("2021-12-01"):pd.Timestamp("2022-01-01")].sum()
    assert summer > 0
    assert winter / summer <= 0.30, (round(winter), round(summer))


def test_no_episodes_ablation_removes_the_lockdowns():
    """The lockdowns of spring 2020 are a condition of those months, not a measure of an episode: rerun
    without any episode's measures, the replay keeps them (they are named "Standing:")."""
    data = scenario_data(REPLAY)
    lockdowns = [e["name"] for e in data["events"] if "COVID-19" in e["name"]]
    assert len(lockdowns) == 9
    for prefix in prefixes():
        kept = [e["name"] for e in without(data, prefix)["events"]]
        assert all(name in kept for name in lockdowns), prefix


@pytest.mark.slow
def test_the_measures_carry_the_shocks(replay_runs):
    """Item 6 of the issue: rerun without an episode's measures (same seeds), the replay loses at least two
    thirds of the simulated drop; met for the statement, Italy-Libya and the crackdown since the ninth
    session (the Serbian visas' change is mostly the season's and the demand's: docs/validation.md), and
    for the Western Med's rise after Italy-Libya since the thirty-third session's Tripoli coordination and
    closed ports of June 2018 to September 2019 (71 %; 63-64 % from the thirty-second session's flights to
    Casablanca until then)."""
    rows = {r["episode"].key: r for r in episode_rows(replay_runs)}
    for key in ("eu_turkey", "italy_libya", "wmr_displacement", "serbia_crackdown"):
        assert rows[key]["share_ok"], (key, rows[key]["share"])


@pytest.mark.slow
@pytest.mark.parametrize("mirror, corridor, at_most", [("balkan_crackdown", "Western Balkans", -0.7),
                                                       ("turkey_statement", "Eastern Mediterranean", -0.75),
                                                       ("libya_coastguard", "Central Mediterranean", -0.5)])
def test_a_planners_mirror_of_a_past_shock_responds_as_history_did(mirror, corridor, at_most):
    """The issue's test as a planner runs it (`sim compare scenarios/baseline.yaml MIRROR --replicates 5
    --scale 10`): the shipped baseline's responses to a measure mirroring a past shock. History: -93 %,
    -94 %, -68 %; the model at the ninth session: -68 %, -71 %, -60 %, at the eleventh: -63 %, -79 %, -59 %,
    at the twelfth: -62 %, -79 %, -60 %, at the fifteenth with shore_prevention 0.3: -62 %, -79 %, -62 %, and
    with staging_prevention 0.3 too: -82 %, -85 %, -62 % (the bounds, -40 %, -50 % and -40 % until then,
    raised to -70 %, -75 % and -50 %)
    (the Balkan mirror was -2 % before deterrence, +42 % to +52 % when the issue was filed)."""
    from sim.compare import compare as compare_scenarios

    a, _ = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    b, _ = load_scenario(ROOT / "scenarios" / "history" / "mirrors" / f"{mirror}.yaml")
    result = compare_scenarios(a, b, replicates=5, scale=10, workers=2)
    d = result.displacement.set_index("corridor")
    change = d.loc[corridor, "detections"] / d.loc[corridor, "detections_a"]
    assert change <= at_most, (mirror, corridor, round(change, 3))


@pytest.mark.slow
def test_the_replays_2023_keeps_the_2023_figures_it_matches():
    """The replay's last year against the 24 figures of 2023 (validate-data --year 2023), on the baseline
    validation's own ensemble: seeds 1-8 at scale 1 (one model entry per person), 24 matched at the
    twenty-second session (the Eastern Borders' detections +13.9 %, the Balkan and Eastern Borders dead and
    missing 43 in 31-57; about 2 minutes on 2 cores). Until then the test ran seeds 1-4 at scale 10 and allowed
    one miss: 22 matched at the end of the sixth and of the seventh session (docs/replay_log.md; the
    Eastern Med's detections and Cyprus's arrivals missed); 23 at the twelfth (Cyprus's arrivals missed); 24
    at the thirteenth, with Cyprus's appeal fitted by year (sim/history/appeal_fit.py); 23 at the fifteenth
    (shore_prevention 0.3, then staging_prevention 0.3: the Eastern Borders' Afghans, about ten people at scale
    10, out of its top five), 23 at the twenty-first (the Balkan and Eastern Borders dead and missing, 25:
    about 44 people a year are four model entries at scale 10). Fails if a change loses one of the 24, or if
    the Central Med's interception share leaves its tolerance again: the Italy-Libya measures
    counted twice on the 2023 world gave 62 % against UNODC's 40 % until Libya's coastguard was taken off
    before the build-up (scenarios/history/europe_2016_2023.yaml)."""
    from sim.calibration import load_observed
    from sim.calibration.validation import validate

    _, observed = load_observed(ROOT / "data" / "observed_europe_2023.yaml")
    v = validate(REPLAY, observed, replicates=8, scale=1, workers=2, year=2023)
    matched = sum(r["ok"] for r in v.rows)
    assert len(v.rows) == 24
    assert matched == 24, [(r["figure"], r["route"], r["sim"]) for r in v.rows if not r["ok"]]
    share = next(r for r in v.rows if r["figure"] == "interception share")
    assert share["ok"], share["sim"]


@pytest.fixture(scope="module")
def four_seeds():
    """The replay on the tables' four seeds (2016-2019) at scale 10: the mean sea arrivals (iso3, year, arrivals)
    and the mean detections per (nationality, main route) x year. One ensemble for the tests below."""
    from sim.history.demand_fit import simulate_with_sea
    from sim.history.ensemble import seeds

    _, _, by_route, sea = simulate_with_sea(scenario_data(REPLAY), str(REPLAY), seeds(REPLAY, 4), scale=10, workers=2)
    sea = pd.DataFrame([(iso3, year, arrivals) for (iso3, year), arrivals in sea.items()],
                       columns=["iso3", "year", "arrivals"])
    return sea, by_route


def _greek_sea_arrivals(four_seeds, years: list[int]) -> tuple[float, float]:
    """Greek sea arrivals over `years`: the replay's (four seeds) and UNHCR's."""
    from sim.history.sea import observed_sea

    sea, _ = four_seeds
    got = float(sea[(sea["iso3"] == "GRC") & sea["year"].isin(years)]["arrivals"].sum())
    unhcr = observed_sea()
    return got, float(unhcr[(unhcr["country"] == "Greece") & unhcr["year"].isin(years)]["arrivals"].sum())


@pytest.mark.slow
def test_the_statement_leaves_the_aegean_its_arrivals_of_2017_2019(four_seeds):
    """A guard for the seventh session's change (the EU-Turkey cooperation at 3 in 2016, then 1): UNHCR's
    sea arrivals in Greece 2017-2019 (29.5, 32.5 and 59.7 thousand), which the replay's fit scores but does
    not target, summed over the three years within 35 % on the tables' four seeds (-7 % at the end of the
    seventh session; -81 % with the cooperation at 3 throughout, when the Aegean was all but empty)."""
    got, want = _greek_sea_arrivals(four_seeds, [2017, 2018, 2019])
    assert abs(got / want - 1) <= 0.35, (got, want)


@pytest.mark.slow
def test_the_aegean_is_not_empty_in_the_year_after_the_statement(four_seeds):
    """A guard for the twentieth session's change: the statement's cooperation at 3 only until Turkey's failed
    coup attempt of 15 July 2016 (the press: fewer Turkish controls, crossings to the islands tripled), then 1.
    With 3 for all of 2016 the arrests left the Aegean with few networks in 2017: 8,000 Greek sea arrivals
    on the validation's eight seeds against UNHCR's 29,500. Measured at the change: 23,500 on the tables' four
    seeds; 20,700 with the twenty-third session's fit, 22,500 with the twenty-fourth's. That session's first
    refit (the lockdowns of 2020, which cannot act in 2017) moved the demand of 2016 by a few per cent
    (Pakistanis +9 %, Iraqis +4 %) and this year's Aegean to 16,400, outside the band: the year after the
    statement hangs on how many networks come back, and moves by a fifth or more between fits of a model that
    is the same up to 2020. Within 40 % of UNHCR's."""
    got, want = _greek_sea_arrivals(four_seeds, [2017])
    assert abs(got / want - 1) <= 0.40, (got, want)


@pytest.mark.slow
def test_greece_lands_no_flood_from_eastern_libya_in_2022_2023(four_seeds):
    """A guard for the twenty-first session's change: the boats from Tobruk to Crete closed to the end of 2023
    (UNHCR: 860 arrivals on Crete and Gavdos in all of 2023). Open from 2022 they landed 16,000 and 20,900
    there, and the replay's Greek sea arrivals of 2022-2023 were 64 % above UNHCR's 54,300 (31,700 and 57,600 on
    the validation's eight seeds). Measured at the change on the tables' four seeds: 24,000 and 53,400, +42 %.
    At most +50 %."""
    got, want = _greek_sea_arrivals(four_seeds, [2022, 2023])
    assert got / want - 1 <= 0.50, (got, want)


@pytest.mark.slow
def test_cyprus_gets_its_arrivals_year_by_year(four_seeds):
    """A guard for the thirteenth session's change: Cyprus's appeal fitted by year (destinations_by_year) to
    its sea arrivals (UNHCR 2019-2022, the 2023 target for 2023). Before it, one figure for every year and
    the Syrians' route preferences by corridor gave 9,200 arrivals in 2019 (UNHCR 1,660) and 900 in 2022
    (3,952). Each year from the opening of the way from Lebanon (October 2019, the replay's assumption)
    within 40 % on the tables' four seeds; measured at the thirteenth session: 2019 -32 % (three months of
    boats), 2020-2023 within 8 %; with the seasons refitted, -12 %, -7 %, -10 %, -10 % and -9 %."""
    from sim.history.appeal_fit import observed_arrivals

    sea, _ = four_seeds
    want = observed_arrivals()["nicosia"]
    got = sea[sea["iso3"] == "CYP"].set_index("year")["arrivals"]
    off = {y: round(float(got.get(y, 0.0)) / want[y] - 1, 2) for y in range(2019, 2024)}
    assert all(abs(v) <= 0.40 for v in off.values()), off


@pytest.mark.slow
def test_tunisians_fly_to_belgrade_until_serbias_visa(four_seeds):
    """Frontex counts 6,782 Tunisians on the Western Balkans in 2022, when Serbia let them in without a visa,
    and 44 in 2023, after its visa requirement from 20 November 2022 (EPISODES.md, section 4). Until the
    sixteenth session the network had no way for them to Serbia (none simulated); its flight from Tunis to
    Belgrade carries them in 2022, and the replay's visa stops them (measured on these seeds: 6.9 thousand in 2022,
    none in 2023)."""
    _, by_route = four_seeds
    tunisians = by_route.loc[("TUN", "WBR")]
    assert tunisians[2022] > 3000, tunisians.round().to_dict()
    assert tunisians.get(2023, 0.0) < 0.1 * tunisians[2022], tunisians.round().to_dict()


def test_iranians_fly_to_belgrade_in_serbias_visa_free_months(four_seeds):
    """Serbia let Iranians in without a visa from 2 September 2017 to 17 October 2018, and Frontex counts 230, 980,
    863 and 265 Iranians on the Western Balkans in 2017-2020 (geodata/europe/SOURCES.md). Until the seventeenth
    session the network had no way for them to Serbia (none simulated in any year); its flight from Tabriz to
    Belgrade carries them in the visa-free months, and the visa, back from October 2018, stops them."""
    _, by_route = four_seeds
    iranians = by_route.loc[("IRN", "WBR")]
    assert iranians[2018] > 400, iranians.round().to_dict()
    later = max(iranians.get(year, 0.0) for year in (2020, 2021, 2022, 2023))
    assert later < 0.25 * iranians[2018], iranians.round().to_dict()
