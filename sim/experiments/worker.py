"""What a worker does for one run: build the point's scenario, call sim.run, keep the outputs.

Everything here is a pure function of (context, run, parameters): no worker identity, no order, and
kept between runs only the last point's scenario (see scenario_of), which that point's next run would
build the same; so any worker on any engine gives the same result for the same run.
"""

from __future__ import annotations

import pickle
import time
import traceback
import weakref

from ..errors import InputError
from ..execute import release
from ..scenario import check_against_network, parse_scenario, yearly_cost_of
from ..vocabulary import PILLAR_OF_KIND, QUOTA_KINDS
from .paths import set_path


def apply_budget(data: dict, budget: dict) -> dict:
    """Spread budget['total_eur'] across the pillars by share; each intervention with a cost gets its
    pillar's money in proportion to its own cost, and its intensity (or, for legal pathways and vocational
    training, its places per year) scales with the money. An intervention whose pillar gets nothing is removed."""
    shares = {p: float(s) for p, s in budget["shares"].items()}
    total_share = sum(shares.values())
    if total_share <= 0:
        raise ValueError("budget shares add up to 0")
    elasticity = float(budget.get("elasticity", 1.0))
    ivs = data.get("interventions") or []
    ref = {}
    for iv in ivs:
        pillar = PILLAR_OF_KIND.get(iv.get("kind"))
        if pillar and yearly_cost_of(iv) > 0:
            ref[pillar] = ref.get(pillar, 0.0) + yearly_cost_of(iv)
    out = []
    for iv in ivs:
        pillar = PILLAR_OF_KIND.get(iv.get("kind"))
        cost = yearly_cost_of(iv)
        if not pillar or cost <= 0:
            out.append(iv)
            continue
        money = budget["total_eur"] * shares.get(pillar, 0.0) / total_share * cost / ref[pillar]
        if money <= 0:
            continue  # this pillar gets nothing: the intervention is not funded
        ratio = money / cost
        key = "cost_eur_per_year" if iv.get("cost_eur_per_year") else "cost_eur"
        iv = dict(iv, **{key: float(iv[key]) * ratio})  # a period's total scales like its yearly rate
        if iv["kind"] in QUOTA_KINDS:
            iv["places_per_year"] = float(iv.get("places_per_year") or 0) * ratio
        else:
            iv["intensity"] = float(iv.get("intensity", 1.0)) * ratio ** elasticity
        out.append(iv)
    data["interventions"] = out
    return data


def _times(default_and_integer):
    default, integer = default_and_integer

    def combine(old, factor):
        out = (default if old is None else old) * factor
        return int(round(out)) if integer else float(out)
    return combine


def _copy(data):
    """A deep copy of plain YAML data (mappings, lists, scalars, dates), shared parts still shared, as
    copy.deepcopy gives, in a third of its time."""
    return pickle.loads(pickle.dumps(data, pickle.HIGHEST_PROTOCOL))


def point_data(ctx, params: dict) -> dict:
    """The scenario mapping of one parameter point (base, then factors, then the budget split)."""
    data = _copy(ctx.base_data)
    budget = _copy(ctx.budget) if ctx.budget is not None else None
    for f in ctx.factors:
        value = params[f.name]
        if f.integer and isinstance(value, float) and value.is_integer():
            value = int(value)
        for k, steps in enumerate(f.steps):
            if f.budget:
                set_path(budget, steps[1:], value)
            elif f.relative:
                set_path(data, steps, value, combine=_times(f.defaults[k]))
            else:
                set_path(data, steps, value)
    if budget is not None:
        apply_budget(data, budget)
    return data


def point_scenario(ctx, params: dict):
    scenario = parse_scenario(point_data(ctx, params), source=ctx.base_source)
    check_against_network(scenario, ctx.network)
    return scenario


# The last point whose scenario this process built: (its context, weakly, the point's number, the
# scenario). A point's replicates follow each other in the plan and run the same scenario, whose building
# (the base copied, the factors set, validated, checked against the network) cost 1-3 ms a run. A run does
# not change its scenario (ensembles already run one Scenario object for many seeds), so one object serves
# them all; a point whose scenario is refused is not kept, and each of its runs fails with the same error.
_LAST_POINT: tuple | None = None


def scenario_of(ctx, point: int, params: dict):
    """point_scenario(ctx, params) for the plan's point number `point`, reused from the run before when
    that one was of the same point of the same context."""
    global _LAST_POINT
    last = _LAST_POINT  # read once: a Dask worker may run tasks in threads, each setting it
    if last is not None and last[0]() is ctx and last[1] == point:
        return last[2]
    scenario = point_scenario(ctx, params)
    _LAST_POINT = (weakref.ref(ctx), point, scenario)
    return scenario


def _outputs(summary: dict, outputs) -> dict:
    """outputs: (name, corridor or None, figure) triples."""
    out = {}
    for name, corridor, key in outputs:
        v = summary["overall"].get(key) if corridor is None else summary["corridors"].get(corridor, {}).get(key)
        out[name] = None if v is None else float(v)
    return out


def _error(exc: BaseException) -> str:
    if isinstance(exc, InputError):
        return str(exc)
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}".replace("\n", " ")


def execute(ctx, job) -> dict:
    """Run one job (RunSpec, params). Never raises for a model or input problem: it is reported as failed.

    A sweep that keeps only summary figures gets them from `run_summary` (the same figures, without the
    results tables, which would cost about 0.1 s a run at 1:1000); one that keeps per-day columns runs in full."""
    from ..run import run, run_summary

    spec, params = job
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        scenario = scenario_of(ctx, spec.point, params)
        t1 = time.perf_counter()
        daily = None
        # None: the default (SIM_SPIN_UP_CACHE); False when no other run of the plan has this run's spin-up
        cache = None if ctx.spin_ups_shared else False
        if ctx.daily is None:
            summary = run_summary(scenario, seed=spec.seed, routes=ctx.network, cache=cache)
        else:
            results = run(scenario, seed=spec.seed, routes=ctx.network, cache=cache)
            summary = results.summary
            daily = results.tables["daily"][["day"] + ctx.daily].copy()
            del results
        sim_seconds = time.perf_counter() - t1
        outputs = _outputs(summary, ctx.outputs)
        del summary, scenario
        payload = {"run": spec.run, "status": "done", "outputs": outputs, "daily": daily,
                   "seconds": time.perf_counter() - t0, "sim_seconds": sim_seconds,
                   "cpu_seconds": time.process_time() - c0, "error": None}
    except Exception as exc:  # noqa: BLE001 - any failure of one run is recorded and the sweep goes on
        payload = {"run": spec.run, "status": "failed", "outputs": None, "daily": None,
                   "seconds": time.perf_counter() - t0, "error": _error(exc)}
    release()
    return payload
