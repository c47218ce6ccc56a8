# Sourced by run.sh and test.sh: create .venv when missing and (re)install the project when
# pyproject.toml changed since the last install. Needs python3 (3.11+) on PATH.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${WHISTLE_PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "bootstrap: creating $VENV" >&2
  "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.whistle-installed"
if [ ! -f "$STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP" ]; then
  echo "bootstrap: installing Whistle and its dependencies" >&2
  LOG="$VENV/install.log"
  if ! { "$VENV/bin/python" -m pip install --upgrade pip \
         && "$VENV/bin/python" -m pip install -e "$ROOT[dev]"; } >"$LOG" 2>&1; then
    tail -n 40 "$LOG" >&2
    echo "bootstrap: installation failed; the whole log is in $LOG" >&2
    exit 1
  fi
  touch "$STAMP"
fi
