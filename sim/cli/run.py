"""Commands of single scenarios: python -m sim run | check | compare | schema."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import InputError
from ..stats import INTERVAL_NOTE, format_interval, format_number
from .common import fail as _fail
from .common import progress_bar as _bar


def _result_files() -> frozenset[str]:
    from ..results import TABLES

    return frozenset({"summary.json", "ensemble.json", *(f"{t}.parquet" for t in TABLES)})


def _fmt(x) -> str:
    return format_number(x)


def _pm(band: dict) -> str:
    """An ensemble figure: mean and the half-width of its 95 % interval."""
    return format_interval(band["mean"], band["low"], band["high"])


def run(
    scenario: Path = typer.Argument(..., help="scenario YAML file"),
    seed: int | None = typer.Option(None, min=0, help="random seed of the first run (default: the scenario's)"),
    days: int | None = typer.Option(None, min=1, max=3650, help="days to simulate (default: the scenario's)"),
    scale: int | None = typer.Option(None, min=1, help="people per model entry (default: the scenario's)"),
    replicates: int = typer.Option(5, min=1, help="runs, on seeds SEED, SEED+1, ...: every figure printed is their "
                                                  "mean with its 95 % interval (1: one run, no interval)"),
    workers: int = typer.Option(2, min=1, help="worker processes for the replicates after the first"),
    out: Path | None = typer.Option(None, help="folder for summary.json, ensemble.json and the Parquet tables "
                                                  "(default: out/ and the scenario file's name, e.g. out/baseline)"),
):
    """Run one scenario; write the first run's DIR/summary.json and daily tables as Parquet, and the
    ensemble's DIR/ensemble.json; print every total as the ensemble mean with its 95 % interval."""
    from ..checks import memory_problem
    from ..compare import ensemble_summary, run_ensemble, summary_only
    from ..execute import start_workers_early
    from ..files import write_json
    from ..model import RouteModel
    from ..outputs import check_out_folder, replace_folder
    from ..scenario import load_scenario

    results_only = _result_files()
    # out/ itself also holds the app's sessions and exercises: each scenario gets its own folder in it
    out = out if out is not None else Path("out") / scenario.stem
    if replicates > 1:  # their workers import the model and warm up while this process runs the first run
        start_workers_early(min(workers, replicates - 1))
    try:
        check_out_folder(out, "--out", holds=results_only)
        spec, network = load_scenario(scenario)
        too_big = memory_problem(spec, days, scale)
        if too_big:
            raise InputError(scenario, f"field '{too_big.where}'", too_big.message)
        # the lock is taken before the run: a second run into the same folder is refused at once
        with replace_folder(out, "--out", holds=results_only) as new:
            model = RouteModel(spec, routes=network, seed=seed, days=days, scale=scale)
            seed0 = model.spec.seed
            bar, update = _bar(model.days + replicates - 1, "day")
            with bar:
                results = model.run(progress=update)
                runs = [{"seed": seed0, **summary_only(results)}]
                if replicates > 1:
                    runs += run_ensemble(spec, range(seed0 + 1, seed0 + replicates), days=days, scale=scale,
                                         workers=min(workers, replicates - 1), measure=summary_only,
                                         progress=lambda done, _n: update(model.days + done, None))
            ens = ensemble_summary(runs)
            results.write(new)
            write_json(new / "ensemble.json", ens, indent=1)
    except InputError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"--out {out}: {exc.filename or out}: {exc.strerror}")
    if replicates > 1:
        typer.echo(f"{spec.name}: {model.days} days, scale {model.scale}, {replicates} runs (seeds {seed0}-"
                   f"{seed0 + replicates - 1}): mean ± half-width of its {INTERVAL_NOTE} (counts and euros: "
                   "clipped at 0, then shown as (low to high))")
    else:
        typer.echo(f"{spec.name}: {model.days} days, seed {seed0}, scale {model.scale}: one run, no interval "
                   "(use --replicates 5 or more for intervals)")
    keys = ("attempts", "arrivals", "interceptions", "deaths", "detections", "stranded", "smuggler_revenue_eur",
            "mean_fee_eur")
    width = 20 if replicates > 1 else 14
    head = f"{'corridor':<24}" + "".join(f" {k.replace('smuggler_', '').replace('_eur', ''):>{width}}" for k in keys)
    typer.echo(head)
    for name, row in ens["corridors"].items():
        typer.echo(f"{name[:24]:<24}" + "".join(f" {_pm(row[k]):>{width}}" for k in keys))
    o = ens["overall"]
    typer.echo(f"{'all':<24}" + "".join(f" {_pm(o[k]):>{width}}" for k in keys))
    if ens.get("transit_corridors"):
        typer.echo(f"note: arrivals are counted at destinations only; {', '.join(ens['transit_corridors'])} "
                   "end before one (transit corridors), so their arrivals are 0 by design")
    typer.echo(f"alternatives taken {_pm(o['alternatives_taken'])}, networks dismantled "
               f"{_pm(o['networks_dismantled'])}, proceeds seized {_pm(o['proceeds_seized_eur'])} EUR, "
               f"cost {_pm(o['cost_eur'])} EUR")
    typer.echo(f"wrote {out}/summary.json and {out}/*.parquet (the run with seed {seed0}) and {out}/ensemble.json")


def check(scenario: Path = typer.Argument(..., help="scenario or exercise YAML file"),
          strict: bool = typer.Option(False, "--strict", help="treat warnings as errors (exit 2 on the first)")):
    """Validate a scenario and its network (or a trainers' exercise file and its base scenario) without running it."""
    from ..geocheck import place_warnings
    from ..network import INLAND_CAP_KM, SEA_END_BUFFER_KM, leg_cycles, load_network, sea_legs_over_land
    from ..scenario import check_against_network, parse_scenario, scenario_data

    if _is_exercise(scenario):
        return _check_exercise(scenario)
    try:
        spec = parse_scenario(scenario_data(scenario), scenario)
        network = load_network(spec.network_path())
        warnings = check_against_network(spec, network) + place_warnings(network)
    except InputError as exc:
        _fail(str(exc))
    for leg, km in sea_legs_over_land(network).items():
        warnings.append(f"{network.folder / 'legs.geojson'}: sea leg {leg!r} crosses {km} km of land on the "
                        f"1:110m basemap ({SEA_END_BUFFER_KM:g} km around its ends ignored, up to {INLAND_CAP_KM:g} km "
                        "more for a port the basemap puts inland): add points out at sea if it is not the basemap's "
                        "coarseness")
    for cycle in leg_cycles(network):
        warnings.append(f"{network.folder / 'legs.geojson'}: the legs {' -> '.join(cycle + cycle[:1])} go round in a "
                        "cycle: people choose their next leg place by place, so some go round it again and again "
                        "(the shipped networks have none)")
    for warning in warnings:
        if strict:
            _fail(f"{warning} (--strict)")
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"ok: {spec.name}: network {network.name} ({len(network.places)} places, {len(network.legs)} legs), "
               f"{len(spec.interventions)} interventions, {len(spec.events)} events, {spec.days} days")


def _is_exercise(path: Path) -> bool:
    """An exercise file names its teams; anything else is read as a scenario (and its errors told as such)."""
    from ..files import read_yaml

    try:
        data = read_yaml(path)
    except InputError:
        return False  # the scenario path reports the file's problem
    return isinstance(data, dict) and "teams" in data


def _check_exercise(path: Path) -> None:
    from ..exercise import load_script

    try:
        script, base, network = load_script(path)
    except InputError as exc:
        _fail(str(exc))
    typer.echo(f"ok: exercise {script.name}: base {base.name} on network {network.name}, {len(script.teams)} teams, "
               f"{script.rounds} rounds x {script.days_per_round} days, {len(script.injects)} injects")


def compare(
    scenario_a: Path = typer.Argument(..., help="reference scenario (A)"),
    scenario_b: Path = typer.Argument(..., help="alternative scenario (B)"),
    replicates: int = typer.Option(10, min=2, help="runs per scenario, with the same seeds in both"),
    seed: int | None = typer.Option(None, min=0, help="first seed (default: A's seed)"),
    days: int | None = typer.Option(None, min=1, max=3650),
    scale: int | None = typer.Option(None, min=1, help="people per model entry for both arms"),
    workers: int = typer.Option(1, min=1, help="worker processes"),
    out: Path | None = typer.Option(None, help="also write the comparison as JSON here"),
):
    """Compare B with A over an ensemble using common random numbers: differences with 95 % intervals."""
    from ..compare import check_same_network
    from ..compare import compare as do_compare
    from ..outputs import check_out_file
    from ..scenario import load_scenario

    try:
        if out:
            check_out_file(out, "--out")
        a, _ = load_scenario(scenario_a)
        b, _ = load_scenario(scenario_b)
        check_same_network(a, b, scenario_b)
        bar, update = _bar(2 * replicates, "run")
        with bar:
            result = do_compare(a, b, replicates, first_seed=seed, days=days, scale=scale, workers=workers,
                                progress=update)
    except InputError as exc:
        _fail(str(exc))
    typer.echo(f"B = {b.name}  vs  A = {a.name}: {replicates} paired runs (common random numbers); intervals: "
               f"{INTERVAL_NOTE}")
    typer.echo(f"{'indicator':<26}{'A':>14}{'B':>14}{'B - A':>14}{'95% interval':>30}")
    for r in result.kpis.itertuples():
        typer.echo(f"{r.kpi:<26}{_fmt(r.a):>14}{_fmt(r.b):>14}{_fmt(r.difference):>14}"
                   f"{'[' + _fmt(r.low) + ', ' + _fmt(r.high) + ']':>30}")
    typer.echo("\ndisplacement: change in attempts by corridor (B - A)")
    for r in result.displacement.itertuples():
        typer.echo(f"  {r.corridor:<26}{_fmt(r.attempts):>12}  [{_fmt(r.attempts_low)}, {_fmt(r.attempts_high)}]")
    typer.echo("\ndetections at the bloc's border by corridor (what Frontex counts): B - A, and relative to A")
    for r in result.displacement.itertuples():
        if r.detections_a > 0 or r.detections != 0:
            rel = f"{r.detections / r.detections_a:+.0%}" if r.detections_a > 0 else "new"
            typer.echo(f"  {r.corridor:<26}{_fmt(r.detections):>12}  [{_fmt(r.detections_low)}, "
                       f"{_fmt(r.detections_high)}]  {rel:>6}")
    ce = result.cost_effectiveness
    typer.echo(f"\nextra cost of B: {_fmt(ce['extra_cost_eur'])} EUR")
    for name in ("death", "irregular_crossing", "irregular_crossing_attempt"):
        e = ce[name]
        if e["cost_per_avoided_eur"] is None:
            typer.echo(f"cost per avoided {name.replace('_', ' ')}: n/a (avoided {_fmt(e['avoided'])})")
        else:
            typer.echo(f"cost per avoided {name.replace('_', ' ')}: {_fmt(e['cost_per_avoided_eur'])} EUR "
                       f"[{_fmt(e['cost_per_avoided_low_eur'])}, {_fmt(e['cost_per_avoided_high_eur'])}] "
                       f"(avoided {_fmt(e['avoided'])} [{_fmt(e['avoided_low'])}, {_fmt(e['avoided_high'])}])")
    if out:
        from ..files import write_json

        payload = {"a": str(scenario_a), "b": str(scenario_b), "replicates": replicates,
                   "kpis": result.kpis.to_dict("records"), "displacement": result.displacement.to_dict("records"),
                   "cost_effectiveness": ce}
        try:
            write_json(out, payload)
        except OSError as exc:
            _fail(f"--out {out}: {exc.strerror}")


def schema(out: Path | None = typer.Option(None, help="write here instead of printing")):
    """Print the JSON Schema of scenario files (for editors)."""
    from ..files import atomic_write
    from ..outputs import check_out_file
    from ..scenario import json_schema

    text = json_schema()
    if out:
        try:
            check_out_file(out, "--out")
            atomic_write(out, lambda p: Path(p).write_text(text + "\n"))
        except InputError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"--out {out}: {exc.strerror}")
    else:
        typer.echo(text)


def cache_runs(
    scenarios: list[Path] | None = typer.Argument(None, help="scenario files (default: every scenarios/*.yaml)"),
    replicates: int = typer.Option(5, min=1, max=100, help="runs per scenario, on its seed and the following "
                                                           "ones (the app's default: 5)"),
    workers: int = typer.Option(2, min=1, help="worker processes"),
    folder: Path | None = typer.Option(None, help="the cache folder (default: SIM_APP_RUN_CACHE, else "
                                                  "out/run_cache, where the app looks)"),
    clear: bool = typer.Option(False, "--clear", help="empty the cache folder first"),
):
    """Run the scenarios the app offers (each at its own horizon, scale and seeds) once and keep the runs on
    disk, so that the app shows their first map and intervals without running the model. Runs already kept
    are skipped, runs of an earlier version of the model removed; a changed scenario or network gets new
    entries (the least recently used go past SIM_APP_RUN_CACHE_MB, default 2048)."""
    from ..execute import Runner
    from ..files import ROOT
    from ..run_cache import RunCache, default_folder, fill_task, key_fingerprint, max_bytes_from_env, run_key
    from ..scenario import load_scenario

    files = list(scenarios or sorted((ROOT / "scenarios").glob("*.yaml")))
    limit = max_bytes_from_env()
    if not limit:
        _fail("the run cache is turned off (SIM_APP_RUN_CACHE_MB is 0)")
    cache = RunCache(folder if folder is not None else default_folder(), limit)
    try:
        items = []
        for path in files:
            spec, _ = load_scenario(path)
            items += [(run_key(spec), s) for s in range(spec.seed, spec.seed + replicates)]
        if clear:
            cache.clear()
        dropped = cache.drop_other_code()  # runs of an earlier model: they would only wait for eviction
        todo = [item for item in items if key_fingerprint(*item) not in cache]
        bar, update = _bar(len(todo), "run")
        with bar, Runner(min(workers, max(len(todo), 1)), task=fill_task, context=cache) as runner:
            runner.map(todo, update)
    except InputError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"--folder {cache.folder}: {exc.filename or cache.folder}: {exc.strerror}")
    kept = sum(key_fingerprint(*item) in cache for item in items)
    typer.echo(f"{len(files)} scenarios x {replicates} seeds: {len(todo)} runs computed, "
               f"{len(items) - len(todo)} already kept; {kept} of {len(items)} in {cache.folder} "
               f"({cache.size() / 2**20:,.0f} MB of {limit / 2**20:,.0f} MB)"
               + (f"; removed {dropped} runs of an earlier version of the model" if dropped else ""))


def register(app: typer.Typer) -> None:
    for command in (run, check, compare, schema):
        app.command()(command)
    app.command("cache-runs")(cache_runs)
