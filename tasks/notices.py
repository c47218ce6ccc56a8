"""The notice delivery task: sends what the outbox holds for a matter (or for everyone)."""

from __future__ import annotations

from datetime import datetime

from prefect import get_run_logger, task

from service.actions import get_matter
from service.app import get_app
from service.notices.delivery import deliver_pending
from service.store.db import session


@task(name="deliver notices", retries=2, retry_delay_seconds=[1, 5])
def deliver_notices(number: str | None, now: datetime) -> dict[str, int]:
    """Deliver the ready notices; a failed send is kept for a later attempt, not raised."""
    app = get_app()
    matter_id = None
    if number is not None:
        with session(app.engine) as s:
            matter_id = get_matter(s, number).id
    outcomes = deliver_pending(app, now=now, matter_id=matter_id)
    logger = get_run_logger()
    for outcome in outcomes:
        if outcome.sent:
            logger.info(
                "notice %s sent: %s → %s", outcome.notice_id, outcome.kind, outcome.recipient
            )
        else:
            logger.warning(
                "notice %s not sent (%s → %s): %s; kept for a later attempt",
                outcome.notice_id,
                outcome.kind,
                outcome.recipient,
                outcome.error,
            )
    return {
        "sent": sum(o.sent for o in outcomes),
        "failed": sum(not o.sent for o in outcomes),
    }
