"""The sizes of the levers' effects and the behaviour constants the model reacts with.

Every number here was a constant in the model's code; each is now a field of a scenario's
`behaviour.effects` block, so that calibration can fit it, experiments can sweep it
(`behaviour.effects.awareness_trust`) and planners can read it. Defaults are the shipped model's
numbers: a scenario that leaves the block out runs exactly as before.

Lever effects are given at intensity 1 (an intervention's `intensity` multiplies them). The ranges
(ge/le) are what the model can take without breaking an invariant (a probability stays in [0, 1], a
multiplier stays positive); they are wider than what is plausible, on purpose: calibration and
sweeps pick inside them. docs/scenarios.md has the table.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

SETTLE_ANY = 1e9  # settle_margin_eur: no limit


def _f(default: float, ge: float, le: float, description: str):
    return Field(default, ge=ge, le=le, description=description)


class Effects(BaseModel):
    """Lever effect sizes (at intensity 1) and behaviour constants. See docs/scenarios.md."""

    model_config = ConfigDict(extra="forbid")

    # ---------------------------------------------------------------- levers (at intensity 1)
    awareness_trust: float = _f(0.6, 0, 1, "awareness_campaign: share by which trust in smugglers' narratives "
                                "falls at the target origins")
    awareness_knowledge: float = _f(0.5, 0, 1, "awareness_campaign: points added to the share of people who "
                                    "know an existing alternative")
    transport_refusal: float = _f(0.4, 0, 1, "transport_operator_cooperation: share of irregular travellers "
                                  "refused boarding on commercial legs (before fraudulent documents)")
    transport_refusal_cap: float = _f(0.95, 0, 1, "transport_operator_cooperation: most that can be refused "
                                      "boarding, whatever the intensity")
    cooperation_enforcement: float = _f(0.6, 0, 5, "operational_cooperation: rise of enforcement on the "
                                        "corridor's legs (0.6 = +60 %) when every controlling country takes part")
    cooperation_arrests: float = _f(2.0, 0, 20, "operational_cooperation: rise of arrests of network members "
                                    "(2 = x3) when every controlling country takes part")
    shore_prevention: float = _f(0.0, 0, 1, "operational_cooperation: share of departures on the corridor's smuggled "
                                 "sea legs stopped on the shore before the boat leaves (boats seized, departures "
                                 "prevented), when every controlling country takes part; the people stopped are not "
                                 "detected, get their fee back, and go home (return_after_refusal) or wait and "
                                 "choose again. Corruption of the coast's authority lets boats through "
                                 "(bribe_pass_through). 0: patrols only intercept at sea. No measure, no effect. "
                                 "The shipped baseline and the replay use 0.3 (docs/replay_log.md, fifteenth "
                                 "session: the replay's July 2017 fall); intensity multiplies it, up to all")
    staging_prevention: float = _f(0.0, 0, 1, "operational_cooperation: share of attempts on the corridor's "
                                   "smuggled land crossings of a controlled border stopped before the crossing (police "
                                   "raids on smugglers' staging areas and safe houses near the border; not the "
                                   "uncontrolled legs on the way, inside a country), when every controlling "
                                   "country takes part; as on the shore, the people stopped are not detected, get "
                                   "their fee back and go home (return_after_refusal) or wait and choose again, and "
                                   "corruption lets them through (bribe_pass_through). 0: the police only "
                                   "intercept at the border. No measure, no effect; intensity multiplies it, up "
                                   "to all. The shipped baseline and the replay use 0.3 (docs/replay_log.md, "
                                   "fifteenth session: the planner's Balkan and Turkish mirrors)")
    cooperation_partial: float = _f(0.5, 0, 1, "operational_cooperation: share of its effect that depends on "
                                    "how many of the corridor's controlling countries take part (the rest "
                                    "acts whoever takes part)")
    digital_takedowns: float = _f(4.0, 0, 50, "digital_platform_cooperation: rise of takedowns of adverts "
                                  "(4 = x5)")
    financial_seizures: float = _f(4.0, 0, 50, "financial_investigations: rise of seizures of proceeds "
                                   "(4 = x5); also slows new networks and hiring")
    arrests_deter_entry: float = _f(0.0, 0, 5, "share of the rise of arrests a measure brings (operational_cooperation) "
                                    "that also slows new networks entering the market, as seizures do (0: arrests "
                                    "dismantle networks but do not deter new ones)")
    anti_corruption: float = _f(0.6, 0, 1, "anti_corruption: share by which corruption falls")
    capacity_building_gap: float = _f(0.3, 0, 1, "capacity_building: share of the gap to full capacity "
                                      "(enforcement, training, digital, financial) closed once ramped up")
    capacity_building_cap: float = _f(0.9, 0, 1, "capacity_building: most of the gap that can be closed, "
                                      "whatever the intensity")
    readmission_share: float = _f(0.5, 0, 1, "readmission (event): share of the people reaching the target "
                                  "places who are returned to its to_place, at intensity 1 (capped at 0.95)")
    holding_days: float = _f(60.0, 0, 3650, "holding (event): mean days the people who reach the target places are "
                             "kept there (a procedure, a geographical restriction), at intensity 1: each day a share "
                             "1 / (holding_days x intensity) of them may go on; people expect the wait (holding_foreseen)")
    holding_foreseen: float = _f(1.0, 0, 1, "holding (event): share of its mean days people count when they plan "
                                 "(the legs out of the held places cost them that many days x value_of_day_eur "
                                 "more; 0: they do not plan around it, as around a confinement)")
    visa_refusal: float = _f(0.9, 0, 1, "visa_requirement (event): share of the listed nationalities refused "
                             "boarding on commercial legs into the target countries, at intensity 1")
    readmission_gives_up: float = _f(0.0, 0, 1, "readmission (event): share of the people returned who give up the "
                                     "journey (counted as returned) instead of trying again from where they were "
                                     "returned to")
    pushback_gives_up: float = _f(0.0, 0, 1, "share of the people pushed back across a border who give up the journey "
                                  "(counted as returned) instead of trying again from where they started")
    transit_gives_up: float = _f(0.0, 0, 1, "daily rate at which people waiting on the road reconsider: a share "
                                 "rate x (1 - the leave probability their origin's decision would give at today's "
                                 "cost-to-go from where they are) give up (counted as returned); 0: nobody does")
    transit_weighs_change: float = _f(0.0, 0, 1, "share of transit_gives_up's reconsidering that weighs the change "
                                      "since they last looked, not the level: of those who look (a share "
                                      "transit_gives_up a day), a share 1 - (chance of going on now) / (the chance "
                                      "when they last looked, or arrived, at this place) gives up; a wait with no "
                                      "news gives nobody up. 0: the level alone (as before)")
    weather_wait_reconsiders: float = _f(1.0, 0, 1, "seasonality on the crossings (and the holding event): the share of transit_gives_up at "
                                         "which people waiting out the weather with a place bought reconsider (1: "
                                         "as everybody waiting; 0: they wait for the sea, not for a better plan)")
    weather_wait_weighs_change: float = _f(0.0, 0, 1, "seasonality on the crossings (and the holding event): transit_weighs_change for the "
                                           "people waiting out the weather with a place bought (1: they give up on "
                                           "news that the way ahead got worse, not on the days the sea keeps them)")

    # ---------------------------------------------------------------- people
    online_share: float = _f(0.5, 0, 1, "share of would-be migrants who first hear of smugglers online (the "
                             "share that takedowns of adverts can keep from leaving)")
    online_trust_share: float = _f(0.5, 0, 1, "share of trust in smugglers' narratives that comes through "
                                   "online adverts (falls with the networks' online reach)")
    transit_alternative_uptake: float = _f(0.5, 0, 1, "people in transit take a vocational place offered "
                                           "this much less readily than at home (x prefers_alternative)")
    settle_margin_eur: float = _f(SETTLE_ANY, 0, SETTLE_ANY, "people too poor for the leg they chose take the cheapest open leg "
                                  "from where they are only if its perceived cost, with the road beyond it, is at "
                                  "most this many EUR above the chosen one's; otherwise they wait and earn for it "
                                  "(stranded after strand_after_days). The default, 1e9, is no limit: any is taken")
    min_leg_cost_share: float = _f(0.1, 0, 1, "a preferred corridor lowers a leg's perceived cost to no less "
                                   "than this share of its cost (plus min_leg_cost_eur)")
    min_leg_cost_eur: float = _f(1.0, 0.01, 1000, "floor of a leg's perceived cost in EUR, so that the "
                                 "cost-to-go stays well defined (no free or negative legs)")

    # ---------------------------------------------------------------- authorities and borders
    training_effect: float = _f(0.5, 0, 2, "effectiveness = enforcement x (1 - e/2 + e x training): how much "
                                "trained staff get out of the same capacity")
    bribe_pass_through: float = _f(0.8, 0, 1, "share of crossings that a fully corrupt border lets through "
                                   "unchecked")
    fraud_beats_checks: float = _f(0.7, 0, 1, "share of boarding checks that fraudulent documents beat where "
                                   "officials are fully corrupt")
    corruption_shields_seizures: float = _f(0.5, 0, 1, "share of seizures of proceeds that full corruption "
                                            "prevents")
    max_interception: float = _f(0.98, 0, 1, "most that can be intercepted on one leg (some always get through)")
    max_death: float = _f(0.95, 0, 1, "most that can die on one leg")

    # ---------------------------------------------------------------- smuggling networks
    seed_headroom: float = _f(1.3, 1, 5, "networks at the start are sized for this multiple of the flows "
                              "expected on their legs")
    seed_min_network_share: float = _f(0.5, 0, 1, "smallest network at the start, as a share of "
                                       "members_per_network")
    entry_min_queue: float = _f(50.0, 0, 1e6, "people left waiting in a local market in a day below which no "
                                "new network enters")
    # 3 until the twenty-second session: at scale 100 a network then entered only behind 300 waiting people,
    # and the 2023 baseline lost 10-12 % of its Eastern Med, Western African and Western Balkan detections
    # against scale 1 (5-7 % with 1; bench/bench_scale_accuracy.py, docs/performance.md). At scales up to 50
    # the threshold in people (entry_min_queue) decides either way.
    entry_min_queue_entries: float = _f(1.0, 0, 100, "the same threshold in model entries (x scale): at a coarse "
                                        "scale one entry is many people")
    entry_min_queue_share: float = _f(0.25, 0, 10, "the same threshold as a share of the market's capacity")
    # 0 in every shipped scenario: under the closure of the Balkan route the deterrence left no smuggler from
    # Sofia to Belgrade for more than two years while up to 22,000 people queued in Sofia (docs/replay_log.md,
    # thirty-seventh session); a researcher can ask what a market that answers its queue changes
    entry_queue_pull: float = _f(0.0, 0, 2, "how much a long queue draws new networks despite seizures and "
                                 "deterrence: the daily chance of entry (entry_rate / drag) is multiplied by "
                                 "(people left waiting in the market / its entry threshold, the larger of "
                                 "entry_min_queue and entry_min_queue_entries x scale, and at least one "
                                 "person) ** pull, at most 1; "
                                 "0 = the same chance whatever the queue")
    entry_unmet_share: float = _f(0.5, 0, 1, "a new network is sized for this share of the unmet demand it sees")
    entry_min_members: float = _f(5.0, 1, 1000, "members of the smallest new network")
    capacity_avoids_interception: float = _f(4.0, 0, 50, "how strongly networks move capacity away from legs "
                                             "with a high interception probability (weight exp(-k p))")
    reach_recovery: float = _f(0.01, 0, 1, "daily share of lost online reach a network wins back")
    markup_unmet: float = _f(0.3, 0, 5, "price rise when demand is at least twice the capacity")
    markup_speed: float = _f(0.1, 0, 1, "daily share of the gap to the target price a network closes")
    hire_capital_share: float = _f(0.5, 0, 1, "most of its capital a network spends on hiring in a day")
    unpaid_member_retention: float = _f(0.97, 0, 1, "daily share of members kept by a network that cannot pay them")
    dismantle_share: float = _f(0.25, 0, 1, "a network with fewer members than this share of "
                                "members_per_network and no money to hire is dismantled")


def effects_table() -> list[tuple[str, float, float, float, str]]:
    """(name, default, minimum, maximum, description) per effect, in the order of the schema."""
    rows = []
    for name, field in Effects.model_fields.items():
        bounds = {type(m).__name__: m for m in field.metadata}
        rows.append((name, field.default, bounds["Ge"].ge, bounds["Le"].le, field.description))
    return rows


__all__ = ["Effects", "effects_table"]
