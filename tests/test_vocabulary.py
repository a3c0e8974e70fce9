"""The vocabulary module is the one place the model's words live: the schema, compare and the
experiments read it, and it agrees with what a run reports."""

import json

from sim import compare, vocabulary
from sim.experiments.spec import Experiment
from sim.scenario import Intervention, json_schema


def test_every_kind_has_a_known_pillar_a_label_and_help():
    assert set(vocabulary.PILLAR_OF_KIND.values()) == set(vocabulary.PILLARS)
    assert set(vocabulary.PILLAR_LABELS) == set(vocabulary.PILLAR_HELP) == set(vocabulary.PILLARS)
    assert set(vocabulary.KIND_LABELS) == set(vocabulary.KIND_HELP) == set(vocabulary.INTERVENTION_KINDS)
    assert set(vocabulary.QUOTA_KINDS) <= set(vocabulary.INTERVENTION_KINDS)
    assert set(vocabulary.KPI_LABELS) == set(vocabulary.KPIS)


def test_the_schema_lists_the_vocabulary_kinds_in_order():
    defs = json.loads(json_schema())["$defs"]
    assert tuple(defs["Intervention"]["properties"]["kind"]["enum"]) == vocabulary.INTERVENTION_KINDS
    assert tuple(defs["Event"]["properties"]["kind"]["enum"]) == vocabulary.EVENT_KINDS
    iv = Intervention(kind="legal_pathways", places_per_year=10)
    assert iv.pillar == "alternatives"


def test_compare_and_experiments_keep_the_same_kpis():
    assert compare.KPIS is vocabulary.KPIS
    assert tuple(Experiment.model_fields["outputs"].default) == vocabulary.KPIS


def test_a_run_reports_every_kpi(tiny_path):
    from sim import run

    assert set(vocabulary.KPIS) <= set(run(tiny_path, days=5).summary["overall"])


def test_every_event_kind_has_a_label():
    from sim.vocabulary import EVENT_KINDS, EVENT_LABELS

    assert set(EVENT_LABELS) == set(EVENT_KINDS)
