"""The words of the model, written once: the declaration's pillars in order, the intervention kinds with
their pillar, the event kinds and the key figures (KPIs) of a run.

The scenario schema, compare, the experiments, the app and the tests all read them from here."""

from __future__ import annotations

# the three pillars of the Global Alliance's declaration, in its order
PILLARS = ("prevention", "response", "alternatives")
PILLAR_LABELS = {"prevention": "Prevention", "response": "Response", "alternatives": "Alternatives"}
PILLAR_HELP = {
    "prevention": "Stop people from being drawn into smuggling: information that reaches them, checks before boarding.",
    "response": "Act against smuggling networks: cooperation along the route, online adverts, money, corruption, capacity.",
    "alternatives": "Offer safe ways instead: legal pathways and vocational training places.",
}

# intervention kind -> its pillar, in the order the schema lists them
PILLAR_OF_KIND = {
    "awareness_campaign": "prevention",
    "transport_operator_cooperation": "prevention",
    "operational_cooperation": "response",
    "digital_platform_cooperation": "response",
    "financial_investigations": "response",
    "anti_corruption": "response",
    "capacity_building": "response",
    "legal_pathways": "alternatives",
    "vocational_training": "alternatives",
}
INTERVENTION_KINDS = tuple(PILLAR_OF_KIND)
QUOTA_KINDS = ("legal_pathways", "vocational_training")  # set by places per year, not by intensity
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

# things that happen to the system (exercises, stress tests)
EVENT_KINDS = ("surge", "route_closure", "sea_weather", "corruption_scandal", "network_shift", "budget_cut",
               "readmission", "visa_requirement", "confinement", "holding", "pushbacks")
EVENT_LABELS = {
    "surge": "Surge of departures", "route_closure": "Route closure", "sea_weather": "Bad weather at sea",
    "corruption_scandal": "Corruption scandal", "network_shift": "Smuggling networks move",
    "budget_cut": "Budget cut", "readmission": "Readmission of arrivals", "visa_requirement": "Visa requirement",
    "confinement": "Confinement (people held where they are)",
    "holding": "Holding on arrival (people kept at a place for a procedure)",
    "pushbacks": "Pushbacks at a border (share of those intercepted sent straight back)",
}

# the key figures of a run (summary['overall']): what compare reports and experiments keep by default
# attempts are irregular crossing attempts (departures on controlled or smuggled legs); departures count
# every leg anyone sets off on, the ordinary bus and flight legs included
KPIS = ("attempts", "departures", "arrivals", "interceptions", "deaths", "deaths_per_1000_attempts", "detections", "stranded",
        "alternatives_taken", "smuggler_revenue_eur", "proceeds_seized_eur", "bribes_eur", "arrests",
        "networks_dismantled", "mean_fee_eur", "cost_eur")
KPI_LABELS = {
    "attempts": "Irregular crossing attempts (people)",
    "departures": "Departures on any leg, ordinary transport included (people)",
    "arrivals": "Arrivals at destinations (people)",
    "interceptions": "Interceptions (people)",
    "deaths": "Deaths and missing (people)",
    "deaths_per_1000_attempts": "Deaths per 1,000 irregular crossing attempts",
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
