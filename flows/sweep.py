"""The deadline sweep: apply what time has made due, and finish what a failed stage left."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow

from engine.runner import run_stage
from service.actions import get_matter
from service.app import get_app
from service.store.db import session
from tasks.events import emit_matter_events
from tasks.notices import deliver_notices
from tasks.sweep import escalate_due, find_due, publish_overdue, publish_sweep


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
