#!/usr/bin/env bash
# The benchmark of the monolith, in one command (run as root from anywhere):
#
#   bench/run.sh             full run, about 20-25 minutes on 2 cores
#   bench/run.sh --smoke     tiny run, about 2-3 minutes
#
# It uses the project's virtualenv and Docker engine (scripts/bootstrap.sh
# sets both up) and writes bench/results/<timestamp>.{json,md,png} plus
# latest.*. See bench/README.md.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  echo "no virtualenv at $ROOT/.venv: run scripts/bootstrap.sh first" >&2
  exit 1
fi
export PATH="$ROOT/.venv/bin:$PATH" NO_COLOR=1
exec "$ROOT/.venv/bin/python" "$ROOT/bench/run.py" "$@"
