"""The deadline sweep's side effects: take the due ladder steps, find due work, publish tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import task
from prefect.artifacts import create_table_artifact

from messages import label, text
from service.actions import escalate_due as escalate_parts
from service.actions import feedback_overdue, stuck_in_intake
from service.app import App, get_app
from service.read.calendar import uncovered_years, year_advice
from service.read.queries import notice_health, overdue_now, overdue_table
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
    """What is overdue now, by department name and level (催办, 督办, 通报), for the supervisor."""
    app = get_app()
    with session(app.engine) as s:
        rows = overdue_now(s)
    create_table_artifact(
        overdue_table(app, rows, app.language),
        key="overdue-now",
        description=text("artifact.overdue", app.language, at=_local(app, now)),
    )


@task(name="publish sweep summary")
def publish_sweep(now: datetime, steps: int, referred: int) -> dict[str, int]:
    """A table artifact for the center: what the sweep did, which notices are stuck, and once
    per year a warning when running clocks fall due in a year the calendar does not fully cover."""
    app = get_app()
    with session(app.engine) as s:
        health = notice_health(s)
        uncovered = uncovered_years(s, app, now)
    lang = app.language
    item, count = label("column", "item", lang), label("column", "count", lang)
    create_table_artifact(
        [
            {item: text("sweep.steps", lang), count: steps},
            {item: text("sweep.referred", lang), count: referred},
            {item: text("sweep.failed", lang), count: health["failed"]},
            {item: text("sweep.dead", lang), count: health["dead"]},
            *(
                {item: year_advice(app, year.coverage, year.clocks), count: year.clocks}
                for year in uncovered
            ),
        ],
        key="deadline-sweep",
        description=text("artifact.sweep", lang, at=_local(app, now)),
    )
    return health


def _local(app: App, now: datetime) -> str:
    """The district's local time, to the minute: 2026-11-26 09:00."""
    return now.astimezone(app.calendar.zone).strftime("%Y-%m-%d %H:%M")
