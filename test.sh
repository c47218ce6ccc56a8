#!/usr/bin/env bash
# The whole test suite, then the linters. Extra arguments go to pytest.
source "$(dirname "$0")/scripts/bootstrap.sh"
cd "$ROOT"
"$VENV/bin/python" -m pytest "$@"
if [ $# -eq 0 ]; then
  "$VENV/bin/ruff" check .
  "$VENV/bin/mypy" .
fi
