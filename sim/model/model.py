"""RouteModel: the Mesa model of people, smuggling networks and authorities on a route graph.

`step` is one day, read top to bottom as its phases; each phase lives in its own module (the map is
in docs/model.md). The model owns the state; phases and agents get what they need as arguments and
hand their results back.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np

from .. import __version__
from ..calendar import dates, month_of_day
from ..checks import override_problem
from ..errors import InputError
from ..network import RouteNetwork, load_network
from ..scenario import MAX_DAYS, Scenario, check_against_network, load_scenario
from . import kernels, setup_cache
from .agents import COUNTRY_FIGURES, Authority, SmugglingNetwork
from .borders import leg_risks
from .journeys import Journeys
from .levers import Levers
from .market import Market
from .people import STATES, STRANDED, Population
from .perception import Perception
from .recorder import Recorder
from .seasons import crossing_go, origin_multipliers, split_months
from .yearly import LaggedDemand, YearlyAppeal, YearlyDemand, YearlyPreferences


class RouteModel(mesa.Model):
    """Build from a Scenario (or a scenario file path); step with `model.step()` once per day.

    Mesa counts the days: during a step `self.steps` is already the number of days run including
    this one, so today's day number (from 0) is `self.steps - 1`."""

    def __init__(self, scenario: Scenario | str | Path, *, routes: RouteNetwork | None = None,
                 seed: int | None = None, days: int | None = None, scale: int | None = None):
        scenario, routes = resolve(scenario, routes, seed, days, scale)
        super().__init__(rng=scenario.seed)
        # Mesa reserves `scenario` for its own Scenario class: ours is `spec`
        self.spec, self.routes = scenario, routes
        self.behaviour = behaviour = scenario.behaviour
        self.days, self.scale = scenario.days, scenario.scale
        self.world = world = setup_cache.world_for(routes, scenario)
        self.levers = Levers(scenario, routes, world)
        # the set-up sees the levers of the first day run: the spin-up's first day when there is one (only
        # measures in force before the run act then), so a scenario and its baseline start alike
        self.today = self.levers.today(-scenario.spin_up_days)

        # people: arrivals per day and money at each origin; the population, sized for the run
        self.demand = np.zeros(world.n_places)
        self.budget = np.ones(world.n_places)
        for d in scenario.demand:
            i = routes.place_index[d.origin]
            self.demand[i] += d.per_year / 365.0
            self.budget[i] = d.budget_eur
        spin_up = scenario.spin_up_days
        self.yearly = None
        if scenario.demand_by_year:
            lag = behaviour.demand_lag_days
            self.yearly = (LaggedDemand(scenario, routes.place_index, self.demand, lag) if lag > 0
                           else YearlyDemand(scenario, routes.place_index, self.demand))
            self.demand = (self.yearly.rate_on(-spin_up) if lag > 0
                           else self.yearly.arrays[self.yearly.index_for(-spin_up)]).copy()
        # the spin-up's months (12 x places), None when flat: they shape only the unreported days before day 0
        self.spin_up_months = None
        if scenario.spin_up_demand_months and spin_up:
            self.spin_up_months = np.ones((12, world.n_places))
            for origin, months in scenario.spin_up_demand_months.items():
                self.spin_up_months[:, routes.place_index[origin]] = months
        self.people = Population(self._people_expected())
        self.recorder = _recorder(world, scenario)
        self.perception = Perception(world, behaviour)
        self.yearly_preferences = None
        if scenario.nationality_preferences_by_year or scenario.leg_preferences_by_year:
            self.yearly_preferences = YearlyPreferences(scenario, world, routes.leg_index)
            self.perception.prefer_this_year(self.yearly_preferences.for_day(-spin_up))
        self.yearly_appeal = None
        if scenario.destinations_by_year:
            self.yearly_appeal = YearlyAppeal(scenario, world, routes.place_index)
            self.perception.appeal_this_year(self.yearly_appeal.for_day(-spin_up))
        self.market = Market(world, behaviour, self.scale)
        self.journeys = Journeys(world, behaviour, self.people, self.recorder, self.rng, self.scale,
                                 self.perception, self.demand, self.budget)

        # authorities: one per country; what they hand back each day, per country
        self.country_today = {name: np.zeros(world.n_countries) for name in COUNTRY_FIGURES}
        self.authority_version = 0  # counts the authorities' acts: what they hand back changes only then
        for i, iso3 in enumerate(world.iso3):
            Authority(self, i, iso3, {k: float(v[i]) for k, v in world.base.items()}, behaviour)
        self._authorities_act()
        self._authority_levers = self._levers_on_authorities()
        self.risks = leg_risks(world, behaviour, self.country_today, self.today)
        self._risk_levers = None  # the levers the risks were computed for (set on the first day)
        self._levers_built = None  # the levers' effect of the day before, as built (see _day)

        # smuggling networks: sized at the start for the flows people would make if nobody waited
        self.online_reach = 1.0  # networks' average online reach, relative to an unhindered start
        trust = self.perception.trust(self.today.trust_mult, self.online_reach)
        values, leg_costs = self.perception.cost_to_go(self.market.price, self.risks, self.today.closed, trust,
                                                       self.today.readmit, self.today.visa,
                                                       self.perception.days_cost_today(self.today.hold_days))
        flows = setup_cache.expected_flows_for(
            routes, scenario, lambda: self.perception.expected_flows(values, leg_costs, self.demand))
        self.market.seed_networks(self, flows)
        # departures by calendar month (12 x places), None when flat
        # every origin with people in some year gets its months, not only those of the first year
        self.season_demand = np.max(self.yearly.arrays, axis=0) if self.yearly else self.demand
        # the months of some corridors act on the crossings: people wait where they are crossed (seasons.py)
        self.departure_months, crossing_months = split_months(behaviour)
        self.crossing = crossing_go(world, crossing_months, behaviour.crossing_wait_days,
                                    behaviour.crossing_wait_days_by_corridor, tuple(behaviour.crossing_months_modes))
        self.seasons = origin_multipliers(world, self.perception, self.departure_months, values, leg_costs,
                                          self.season_demand, self.risks)
        self.networks_dismantled = 0
        self.networks_entered = 0
        self.running = True
        if spin_up:
            self._spin_up(spin_up)

    def attach(self, scenario: Scenario) -> None:
        """Hand a spun-up state (a copy from sim/model/spun_up.py) the run's own scenario: its days, its
        levers and an empty recorder. The rest of the state is what the run's own spin-up would have left:
        the scenario differs from the one spun up only in what does not act before day 0."""
        self.spec = scenario
        self.days = scenario.days
        self.levers = Levers(scenario, self.routes, self.world)
        # as after the run's own spin-up: the levers last computed for day -1 (they decide whether day 0
        # rebuilds its arrays; equal values either way, so this keeps the same work, not other figures)
        self.levers.today(-1)
        self.recorder = self.journeys.recorder = _recorder(self.world, scenario)
        # the copy keeps only the people on the road: room for the run's, as its own set-up makes
        self.people.reserve(self._people_expected() - self.people.n)

    def _people_expected(self) -> int:
        """Room for everybody the run and its spin-up may create, with a margin (the arrays grow if not)."""
        peak = self.yearly.peak_per_day() if self.yearly else self.demand.sum()
        return int(peak * (self.days + self.spec.spin_up_days) / self.scale * 1.1) + 1024

    @property
    def smugglers(self) -> mesa.agent.AgentSet:
        """The smuggling networks now active (Mesa agents)."""
        return self.agents_by_type.get(SmugglingNetwork, mesa.agent.AgentSet([], random=self.random))

    @property
    def days_run(self) -> int:
        return min(self.steps, self.days)

    # ----------------------------------------------------------------- the day
    def step(self) -> None:
        day = self.steps - 1
        if day >= self.days:
            self.running = False
            return
        self._day(day)
        self.running = day + 1 < self.days

    def _spin_up(self, days: int) -> None:
        """Run the days before day 0, unrecorded, so that day 0 finds the model in its own steady state:
        people on the road, stranded and detained, networks grown to the market (a cold start has
        nobody in transit and builds its stranded stock and its networks over about a year).

        Spin-up days are numbered -days..-1, so no lever acts (they start on day 0 or later): a
        scenario and its baseline spun up on the same seed start from the same state."""
        real = self.recorder
        # a one-day scratch recorder: what the phases record during spin-up is thrown away
        self.recorder = self.journeys.recorder = Recorder(self.world, 1, self.behaviour.capacity_per_member)
        for day in range(-days, 0):
            self._day(day)
        self.recorder = self.journeys.recorder = real
        self.networks_dismantled = 0
        self.networks_entered = 0
        self.people.compact()

    def _day(self, day: int) -> None:
        # spin-up days (negative) all record into the scratch recorder's one row
        self.recorder.begin_day(max(day, 0))
        # 1. levers: today's effect of the interventions and events
        self.today = today = self.levers.today(day)
        # the same effect as the day before (its arrays the same objects): the levers the authorities and
        # the risks read are as they were then, and the checks below would find them so
        built = self.levers.built
        unchanged, self._levers_built = built is self._levers_built, built
        if self.yearly is not None:
            yearly = self.yearly.for_day(day)
            if yearly is not None:
                self.demand[:] = yearly  # shared with the journeys
        new_routes = False  # the year's route preferences or destinations changed today
        if self.yearly_preferences is not None:
            extra = self.yearly_preferences.for_day(day)
            if extra is not None:
                self.perception.prefer_this_year(extra)
                new_routes = True
        if self.yearly_appeal is not None:
            appeal = self.yearly_appeal.for_day(day)
            if appeal is not None:
                self.perception.appeal_this_year(appeal)
                new_routes = True
        for shift in today.shifts:
            self.market.shift_networks(self, self.smugglers, *shift)
        # 2. authorities; today's risks on each leg
        acted = not unchanged and self._authorities_step()
        # the risks depend only on the authorities' figures and these levers: most days they are as yesterday
        if acted or not (unchanged and self._risk_levers is not None):
            risk_levers = (today.enforce_mult, today.risk_mult, today.check, today.closed, today.pushback)
            if acted or not _same(risk_levers, self._risk_levers):
                self.risks = leg_risks(self.world, self.behaviour, self.country_today, today)
                self._risk_levers = risk_levers
        # 3. perception: what each group believes legs cost, and the cost-to-go
        networks = self.market.networks
        self.online_reach = networks.online_reach()
        values, leg_costs = self.perception.cost_to_go_today(self.market.price, self.risks, today.closed,
                                                             today.trust_mult, self.online_reach, today.readmit,
                                                             today.visa, today.hold_days)
        # a confinement shuts the legs out of its places to those there, not to the plans of those on the way
        shut = today.closed | today.held if today.held.any() else today.closed
        cheapest = self.market.cheapest_price(shut)
        if self.seasons is not None:
            if new_routes:
                # an origin's months follow the corridors its people are counted on this year (sim/model/seasons.py)
                self.seasons = origin_multipliers(self.world, self.perception, self.departure_months, values,
                                                  leg_costs, self.season_demand, self.risks)
            today.demand_mult = today.demand_mult * self.seasons[month_of_day(self.spec.start_date, day)]
        if day < 0 and self.spin_up_months is not None:
            today.demand_mult = today.demand_mult * self.spin_up_months[month_of_day(self.spec.start_date, day)]
        # 4-7. people: one look at everybody on the road; each phase hands on those ready to leave a place
        journeys, pop = self.journeys, self.people
        active = pop.active
        if today.readmit:  # people readmitted are drawn between the moving and the detained
            at_place, on_leg, held, broke = kernels.by_state(active, pop.state)
            ready = [at_place, journeys.move(on_leg, self.risks, today.readmit), journeys.detention(held)]
            recovered, stranded = journeys.stranded(broke, cheapest)
            ready = np.concatenate(ready + [recovered])
        else:
            ready, stranded = journeys.road(active, self.risks, cheapest)
        new = journeys.create(day, values, today, self.online_reach)
        waiting = journeys.vocational_in_transit(np.concatenate([ready, new]), stranded)
        waiting = journeys.reconsider(waiting, values, day)
        if today.hold_days is not None:
            waiting = journeys.holding(waiting, today.hold_days)
        self.market.open()
        hold = None if self.crossing is None else self.crossing[month_of_day(self.spec.start_date, day)]
        journeys.depart(waiting, leg_costs, cheapest, self.market, self.risks, shut, today.visa, hold)
        # 8. networks earn, pay, suffer arrests and seizures, adapt and grow; new networks enter
        leg_signals, authority_signals = self.market.signals(self.risks, self.country_today, today.seizure_mult,
                                                             self.authority_version)
        gone = networks.step(leg_signals, authority_signals, self.behaviour, self.rng)
        # per leg: seizures by the leg's authority; would-be smugglers also weigh the risk of arrest a measure
        # adds on the legs it acts on
        entry_drag = today.seizure_mult[self.market.leg_authority]
        deter = self.behaviour.effects.arrests_deter_entry
        if deter > 0:
            entry_drag = entry_drag * (1 + deter * (today.deter_mult - 1))
        self.networks_entered += self.market.enter_networks(self, self.rng, entry_drag)
        if len(gone) < len(networks):  # those entered today stay
            gone = np.concatenate([gone, np.zeros(len(networks) - len(gone), bool)])
        pop.active = kernels.still_active(active, new, pop.state)
        # 9. the day's figures (a spin-up day's are thrown away: its stocks are not recorded)
        if day >= 0:
            self.recorder.end_day(pop, self.market, self.risks, self.country_today, networks, gone)
        if gone.any():
            for net in networks.remove(gone):
                self.recorder.network_gone(net)
                net.remove()
                self.networks_dismantled += 1

    def _levers_on_authorities(self) -> tuple:
        today = self.today
        return (today.capacity_gain, today.budget_mult, today.corruption_add, today.corruption_mult,
                today.arrest_mult, today.seizure_mult, today.takedown_mult)

    def _authorities_step(self) -> bool:
        """Returns whether the authorities acted (their figures may have changed)."""
        # an authority's day depends only on its base capacities and today's levers on its country:
        # when those are as yesterday (most days), so is every authority's output
        levers = self._levers_on_authorities()
        if not _same(levers, self._authority_levers):
            self._authorities_act()
            self._authority_levers = levers
            return True
        return False

    def _authorities_act(self) -> None:
        self.authority_version += 1
        authorities = self.agents_by_type[Authority]
        for authority, figures in zip(authorities, authorities.map("step", self.today)):
            for name, value in figures.items():
                self.country_today[name][authority.country] = value

    # ----------------------------------------------------------------- checks and results
    def state_counts(self) -> dict[str, int]:
        """People per state right now (model entries times scale)."""
        return {name: int(c) * self.scale for name, c in zip(STATES, self.people.counts())}

    def run(self, progress=None):
        while self.running:
            self.step()
            if progress:
                progress(self.days_run, self.days)
        return self.results()

    def run_meta(self) -> dict:
        """What a run's results say about the run: scenario, source, network, seed, days run, scale, version."""
        spec = self.spec
        meta = {"scenario": spec.name, "source": spec.source, "network": str(spec.network_path()),
                "seed": spec.seed, "days": self.days_run, "scale": self.scale, "version": __version__}
        if spec.spin_up_days:
            meta["spin_up_days"] = spec.spin_up_days
        if spec.start_date:
            meta["start_date"] = spec.start_date.isoformat()
        return meta

    def stranded_legs(self) -> np.ndarray:
        """The leg each stranded person cannot pay for, right now."""
        pop = self.people
        return pop.leg[pop.active[pop.state[pop.active] == STRANDED]]

    def results(self):
        """The run's tables and summary, from what the recorder kept."""
        from ..results import Results  # results reads the recorder's measure names from this package

        return Results.build(self.recorder, self.world, self.routes, self.run_meta(), horizon=self.days,
                             stranded_legs=self.stranded_legs(), levers=self.levers)


def resolve(scenario: Scenario | str | Path, routes: RouteNetwork | None, seed: int | None, days: int | None,
            scale: int | None) -> tuple[Scenario, RouteNetwork]:
    """The run's scenario (read from its file when given a path) with its overrides checked and applied,
    and its network."""
    if not isinstance(scenario, Scenario):
        scenario, routes = load_scenario(scenario, routes)
    elif routes is None:
        routes = load_network(scenario.network_path())
        check_against_network(scenario, routes)
    update = {k: v for k, v in (("seed", seed), ("days", days), ("scale", scale)) if v is not None}
    # model_copy does not validate: the overrides are checked here, with the memory they would need
    problem = override_problem(scenario, seed, days, scale, max_days=MAX_DAYS)
    if problem:
        raise InputError(scenario.source or scenario.name, problem.where, problem.message)
    if update:
        scenario = scenario.model_copy(update=update)
    return scenario, routes


def _recorder(world, scenario: Scenario) -> Recorder:
    """The run's recorder, sized for its days; with each day's calendar year (from the first) when dated."""
    years = None
    if scenario.start_date:
        calendar_years = dates(scenario.start_date, np.arange(scenario.days)).astype("datetime64[Y]").astype(np.int64)
        years = calendar_years - calendar_years[0]
    return Recorder(world, scenario.days, scenario.behaviour.capacity_per_member, years)


def _same(arrays: tuple, before: tuple | None) -> bool:
    """Whether the levers' arrays are as before (the same arrays, most days: Levers.today reuses them)."""
    return before is not None and all(a is b or np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
                                      for a, b in zip(arrays, before))


def prepare(scenario: Scenario, routes: RouteNetwork) -> None:
    """Fill the set-up caches (setup_cache.py) for this scenario: builds a model without running a day.
    Here rather than in setup_cache, which the model imports."""
    RouteModel(scenario, routes=routes)
