"""The deadline sweep: apply what time has made due, and finish what an action's follow-up left."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow

from tasks.matter import close_without_feedback, refer_by_rules
from tasks.notices import deliver_notices
from tasks.sweep import escalate_due, find_due, publish_overdue, publish_sweep


@flow(name="deadline sweep")
def deadline_sweep(now: datetime | None = None) -> dict[str, Any]:
    """Take the due ladder steps, close lapsed feedback windows, refer stuck intakes, and
    deliver every ready notice. The matters' runs show the steps once an engine draws them."""
    moment = now.astimezone(UTC) if now else datetime.now(UTC)
    steps = escalate_due(moment)
    lapsed, stuck = find_due(moment)
    for number in lapsed:
        closed = close_without_feedback(number, moment)
        if closed is not None:
            steps.append({"number": number, **closed, "clock": "feedback", "level": "no_feedback"})
    referred = [n for n in stuck if refer_by_rules(n, moment) is not None]
    notices = deliver_notices(None, moment)
    health = publish_sweep(moment, len(steps), len(referred))
    publish_overdue(moment)
    return {"steps": steps, "referred": referred, "notices": notices, "outbox": health}
