"""Running the engine as a process (`whistle worker`) or for one drain (`whistle worker --once`)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from engine.loop import Engine
from service.app import get_app
from service.store.db import create_schema


def drain_once(*, limit: int, now: datetime | None = None) -> dict[str, Any]:
    """Do everything that is waiting, then return what was done (scripts, tests, cron)."""
    app = get_app()
    engine = Engine(app, limit=limit, clock=(lambda: now) if now else None)
    with engine.prefect_client() as client:
        done = engine.drain(client)
    return {
        "referred": done.referred,
        "sent": done.sent,
        "failed": done.failed,
        "drawn": done.drawn,
        "not_drawn": done.not_drawn,
        "errors": done.errors,
    }


def running_from(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at `start` and runs at the wall clock's pace (simulations, tests)."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


def work(*, limit: int, start: datetime | None = None) -> int:
    """Serve until SIGINT or SIGTERM; returns the process exit code. `start` sets the engine's
    clock (only with WHISTLE_ALLOW_CLOCK_OVERRIDE=1, checked by the CLI)."""
    app = get_app()  # fail fast on a broken configuration, before taking work
    create_schema(app.engine)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("whistle").info(
        "engine started: store %s", app.engine.url.render_as_string(hide_password=True)
    )
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    Engine(app, limit=limit, clock=running_from(start) if start else None).serve(stop)
    return 0
