#!/usr/bin/env bash
# Install and run the main job: the shipped baseline scenario, results in out/baseline/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
.venv/bin/python -m sim run scenarios/baseline.yaml --out out/baseline
