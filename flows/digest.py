"""The daily digest flow: one notice per department with work waiting, then delivery."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, task

from tasks.notices import deliver_notices
from whistle.app import get_app
from whistle.db import session
from whistle.digest import write_digests


@task(name="write digests", retries=2, retry_delay_seconds=[1, 5])
def write(now: datetime, department: str | None) -> list[str]:
    """Write today's digests (once per department and local day)."""
    app = get_app()
    with session(app.engine) as s:
        return write_digests(s, app, now=now, department=department)


@flow(name="daily digest")
def daily_digest(now: datetime | None = None, department: str | None = None) -> dict[str, object]:
    """每日待办: tell each department what waits for it and what is overdue."""
    moment = now.astimezone(UTC) if now else datetime.now(UTC)
    written = write(moment, department)
    return {"departments": written, "notices": deliver_notices(None, moment)}
