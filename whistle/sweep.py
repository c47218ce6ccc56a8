"""Running the deadline sweep from the CLI (or a schedule), with the heartbeat off."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from whistle.app import App

STUCK_AFTER = timedelta(minutes=2)


def run_sweep(app: App, *, now: datetime) -> dict[str, Any]:
    """Run one sweep as of `now` and return the steps it took."""
    from flows.sweep import deadline_sweep
    from whistle.runner import without_heartbeat

    with without_heartbeat():
        result: dict[str, Any] = deadline_sweep(now=now)
    return result
