"""Running the engine as a process (`whistle worker`) or for one drain (`whistle worker --once`)."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime
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


def work(*, limit: int) -> int:
    """Serve until SIGINT or SIGTERM; returns the process exit code."""
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
    Engine(app, limit=limit).serve(stop)
    return 0
