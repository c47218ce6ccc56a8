"""The deadline sweep's side effects: take the due ladder steps, find due work, publish tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import task
from prefect.artifacts import create_table_artifact

from service.actions import escalate_due as escalate_parts
from service.actions import feedback_overdue, stuck_in_intake
from service.app import get_app
from service.read.calendar import uncovered_years, year_advice
from service.read.queries import notice_health, overdue_now
from service.store.db import session


@task(name="escalate due clocks", retries=2, retry_delay_seconds=[1, 5])
def escalate_due(now: datetime) -> list[dict[str, Any]]:
    """Take every ladder step that has come due, in batches claimed under SKIP LOCKED locks."""
    app = get_app()
    with session(app.engine) as s:
        return escalate_parts(s, app, now)


@task(name="find due work")
def find_due(now: datetime) -> tuple[list[str], list[str]]:
    """Matters whose feedback window lapsed, and matters whose intake never finished."""
    app = get_app()
    with session(app.engine) as s:
        lapsed = feedback_overdue(session=s, now=now)
        stuck = stuck_in_intake(session=s, now=now)
    return lapsed, stuck


@task(name="publish overdue table")
def publish_overdue(now: datetime) -> None:
    """What is overdue now, by department and level, for the supervisor."""
    app = get_app()
    with session(app.engine) as s:
        rows = overdue_now(s)
    create_table_artifact(
        rows or [{"department": "-", "level": "-", "parts": 0}],
        key="overdue-now",
        description=f"overdue parts as of {now.isoformat(timespec='minutes')}",
    )


@task(name="publish sweep summary")
def publish_sweep(now: datetime, steps: int, referred: int) -> dict[str, int]:
    """A table artifact for the center: what the sweep did, which notices are stuck, and once
    per year a warning when running clocks fall due in a year the calendar does not fully cover."""
    app = get_app()
    with session(app.engine) as s:
        health = notice_health(s)
        uncovered = uncovered_years(s, app, now)
    create_table_artifact(
        [
            {"item": "steps taken", "count": steps},
            {"item": "stuck intakes referred", "count": referred},
            {"item": "notices failed, to retry", "count": health["failed"]},
            {"item": "notices dead (whistle notices --failed)", "count": health["dead"]},
            *(
                {"item": year_advice(app, year.coverage, year.clocks), "count": year.clocks}
                for year in uncovered
            ),
        ],
        key="deadline-sweep",
        description=f"sweep as of {now.isoformat(timespec='minutes')}",
    )
    return health
