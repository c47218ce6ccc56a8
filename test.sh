#!/usr/bin/env bash
# The whole test suite (on two processes), then the linters. Extra arguments go to pytest and
# replace the defaults (e.g. `./test.sh tests/engine -x` runs one folder in one process).
source "$(dirname "$0")/scripts/bootstrap.sh"
cd "$ROOT"
if [ $# -eq 0 ]; then
  "$VENV/bin/python" -m pytest -n 2
  "$VENV/bin/ruff" check .
  "$VENV/bin/mypy" .
else
  "$VENV/bin/python" -m pytest "$@"
fi
