#!/usr/bin/env bash
# Install and run the main job: the shipped baseline scenario, results in out/baseline/; then the runs the
# app shows first, kept in out/run_cache/ (see docs/app.md, "Runs kept on disk").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
.venv/bin/python -m sim run scenarios/baseline.yaml --out out/baseline
# here rather than in setup.sh (which the tests' installer runs too): a few minutes of model runs, once per
# version of the model, so that the app opens on the shipped scenarios' maps and intervals without waiting
.venv/bin/python -m sim cache-runs
