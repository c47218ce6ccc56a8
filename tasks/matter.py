"""Tasks that change a matter: each re-reads the store, so a second run changes nothing."""

from __future__ import annotations

from datetime import datetime

from prefect import get_run_logger, task

from service import actions
from service.app import get_app
from service.store.db import session


@task(name="refer by routing rules", retries=2, retry_delay_seconds=[1, 5])
def refer_by_rules(number: str, now: datetime) -> str | None:
    """Blow the whistle: refer a received matter to the departments the rules name."""
    app = get_app()
    with session(app.engine) as s:
        matter = actions.refer_by_rules(session=s, app=app, number=number, now=now)
    logger = get_run_logger()
    if matter is None:
        logger.info("%s was already referred; nothing to do", number)
        return None
    logger.info("%s referred to %s", number, matter.lead_department)
    return matter.lead_department


@task(name="close without feedback", retries=2, retry_delay_seconds=[1, 5])
def close_without_feedback(number: str, now: datetime) -> dict[str, str | None] | None:
    """Close a resolved matter whose feedback window has passed; returns its lead department
    when it closed it, None when it was not due."""
    app = get_app()
    with session(app.engine) as s:
        closed = actions.close_without_feedback(session=s, app=app, number=number, now=now)
    get_run_logger().info("%s %s", number, "closed: no feedback" if closed else "not due")
    if closed is None:
        return None
    return {"department": closed.lead_department}
