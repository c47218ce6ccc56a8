#!/usr/bin/env bash
# The main job on the embedded default: store (SQLite file), local Prefect server and UI,
# demo matters. Ctrl-C stops everything. Extra arguments go to `whistle up`.
source "$(dirname "$0")/scripts/bootstrap.sh"
cd "$ROOT"
exec "$VENV/bin/whistle" up "$@"
