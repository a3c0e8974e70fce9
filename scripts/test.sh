#!/usr/bin/env bash
# Install what the tests need (Python packages, Debian's chromium for the browser test), lint, and run
# the tests.
#   bash scripts/test.sh            the whole suite (what CI runs)
#   bash scripts/test.sh --quick    the fast tests only (no full ensembles, servers or browsers): about a minute
# Any other arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=()
if [ "${1:-}" = "--quick" ]; then
  quick=(-m "not slow"); shift
fi
bash scripts/setup.sh requirements-dev.txt
if [ ${#quick[@]} -eq 0 ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "warning: could not install chromium; the browser test will be skipped" >&2
  else
    echo "warning: chromium missing and not root: the browser test will be skipped" >&2
  fi
fi
echo "lint: ruff check"
.venv/bin/ruff check .
# pytest exits 5 when it collects no test: that is a failure here too
exec .venv/bin/python -m pytest -q -p no:cacheprovider "${quick[@]}" tests "$@"
