"""What the app calls things: pillars, kinds of intervention, key figures and daily measures, with their help
texts; and the builder's defaults for a new intervention and the package's cost per pillar."""

from __future__ import annotations

import re

from sim.compare import daily_kind
from sim.scenario import PILLARS, Scenario
from sim.vocabulary import KIND_LABELS
from sim.vocabulary import PILLARS as VOCAB_PILLARS

PILLAR_ORDER = VOCAB_PILLARS  # the words themselves are written once, in sim/vocabulary.py
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
DAILY_LABELS = {  # column of the daily table -> label
    "deaths": "Deaths and missing (people)",
    "attempts": "Irregular crossing attempts (people)",
    "arrivals": "Arrivals at destinations (people)",
    "interceptions": "Interceptions (people)",
    "detections": "Irregular crossings detected (people)",
    "alternatives": "Took an alternative (people)",
    "revenue_eur": "Smuggler revenue (€)",
    "state_stranded": "People stranded (on the day)",
    "state_waiting": "People waiting for a smuggler (on the day)",
    "networks_active": "Smuggling networks active",
}
# column -> (label, "flow" summed over a period or "stock" averaged); the kind comes from sim.compare
DAILY_MEASURES = {k: (label, daily_kind(k)) for k, label in DAILY_LABELS.items()}


def fresh_intervention(kind: str) -> dict:
    d = {"kind": kind, "name": KIND_LABELS[kind], "targets": {}, "start": 0, "end": None, "intensity": 1.0,
         "cost_eur_per_year": 1_000_000.0}
    if kind in ("legal_pathways", "vocational_training"):
        d["places_per_year"] = 1000.0
    return d


def package_costs(scenario: Scenario) -> dict[str, float]:
    """Cost per year of each pillar's measures and of the package (what a year with all of them active costs)."""
    out = {p: 0.0 for p in PILLAR_ORDER}
    for i in scenario.interventions:
        out[PILLARS[i.kind]] += i.cost_per_year_eur()
    out["total"] = scenario.cost_per_year_eur()
    return out


def edited_description(original: str, interventions: list[dict]) -> str:
    """The loaded file's description, followed by what the package now is (so the saved YAML does not keep
    describing the package it was before)."""
    measures = "; ".join(f"{KIND_LABELS.get(iv['kind'], iv['kind'])}" + (
        f" ({iv['name']})" if iv.get("name") and iv["name"] != KIND_LABELS.get(iv["kind"]) else "")
        for iv in interventions) or "none"
    head = original.split(" Edited in the app:")[0].strip()
    return (head + " " if head else "") + f"Edited in the app: measures {measures}."


def screen_terms(message: str, interventions: list[dict]) -> str:
    """A validation message in the screen's terms: 'interventions[1]' (counted from 0) becomes
    'measure 2 (Operational cooperation – Joint patrols)'."""
    def name(match):
        i = int(match.group(1))
        if i >= len(interventions):
            return f"measure {i + 1}"
        iv = interventions[i]
        label = KIND_LABELS.get(iv.get("kind"), iv.get("kind"))
        extra = f" – {iv['name']}" if iv.get("name") and iv["name"] != label else ""
        return f"measure {i + 1} ({label}{extra})"

    return re.sub(r"interventions\[(\d+)\]", name, message)
