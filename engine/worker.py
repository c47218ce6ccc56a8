"""`whistle worker`: a Prefect task worker that runs the matters' stage flows.

Start any number on any machine that reaches the store and the Prefect API; Prefect hands each
submitted stage to exactly one of them. Every stage re-reads the store, so a stage that a killed
worker left half-done is finished by the next action or the deadline sweep.
"""

from __future__ import annotations

import contextlib
import logging

from prefect.settings import PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW, temporary_settings
from prefect.task_worker import serve

from service.app import get_app
from service.store.db import create_schema
from tasks.stage import stage_in_worker

log = logging.getLogger("engine.worker")


def work(*, limit: int) -> int:
    """Serve stage tasks until interrupted; returns the process exit code."""
    app = get_app()  # fail fast on a broken configuration, before taking work
    create_schema(app.engine)
    log.info("whistle worker: store %s, up to %d stages at once", app.engine.url, limit)
    # A stage task's own log lines have no flow run to attach to; its flow run's lines do.
    quiet = {PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW: "ignore"}
    with contextlib.suppress(KeyboardInterrupt), temporary_settings(quiet):
        serve(stage_in_worker, limit=limit)
    return 0
