"""The deadline sweep: apply what time has made due, and finish what a failed stage left."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_table_artifact

from tasks.events import emit_matter_events
from tasks.notices import deliver_notices
from whistle.app import get_app
from whistle.calendar_report import uncovered_years, year_advice
from whistle.db import session
from whistle.queries import notice_health, overdue_now
from whistle.runner import run_stage
from whistle.service import escalate_due as escalate_parts
from whistle.service import feedback_overdue, get_matter, stuck_in_intake
from whistle.sweep import STUCK_AFTER


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
        stuck = stuck_in_intake(session=s, now=now, older_than=STUCK_AFTER)
    return lapsed, stuck


@flow(name="deadline sweep")
def deadline_sweep(now: datetime | None = None) -> dict[str, Any]:
    """Close lapsed feedback windows, re-run stuck intakes, deliver every ready notice."""
    moment = now.astimezone(UTC) if now else datetime.now(UTC)
    app = get_app()
    steps = escalate_due(moment)
    if steps:
        emit_matter_events(sorted({step["number"] for step in steps}))
    lapsed, stuck = find_due(moment)
    for number in lapsed:
        run = run_stage(app, "closing", number, moment)
        with session(app.engine) as s:
            matter = get_matter(s, number)
        if run.ok and matter.status == "closed":
            steps.append(
                {
                    "number": number,
                    "department": matter.lead_department,
                    "clock": "feedback",
                    "level": "no_feedback",
                }
            )
    referred = [n for n in stuck if run_stage(app, "intake", n, moment).ok]
    notices = deliver_notices(None, moment)
    health = publish_sweep(moment, len(steps), len(referred))
    publish_overdue(moment)
    return {"steps": steps, "referred": referred, "notices": notices, "outbox": health}


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
