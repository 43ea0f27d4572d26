#!/usr/bin/env bash
# The full test suite: set up (virtualenv, Docker engine, test images), then
# lint, unit and integration tests, collection build, ansible-test sanity and
# every Molecule scenario. Ends with `N passed, N failed`.
#
#   scripts/test.sh                  everything
#   scripts/test.sh --only nginx     one Molecule scenario (repeatable)
#   scripts/test.sh --no-molecule    static gates and pytest only
#   scripts/test.sh --jobs 1         Molecule scenarios one at a time
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
start=$(date +%s)
"$ROOT/scripts/bootstrap.sh"
echo "[test] set-up took $(( $(date +%s) - start )) s"
exec "$ROOT/.venv/bin/python" "$ROOT/scripts/run_tests.py" "$@"
