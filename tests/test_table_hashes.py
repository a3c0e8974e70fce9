"""Refactors and speed-ups must not change what a run reports: the same scenario and seed give the
same tables as recorded in tests/data/table_hashes.json (scripts/table_hashes.py --write records them
again when behaviour changes on purpose, and the commit says why)."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_tables_identical_to_the_recorded_hashes():
    from importlib import util

    spec = util.spec_from_file_location("table_hashes", ROOT / "scripts" / "table_hashes.py")
    mod = util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    recorded = json.loads((ROOT / "tests" / "data" / "table_hashes.json").read_text())
    assert mod.hashes() == recorded
