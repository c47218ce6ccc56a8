"""The daily digest's side effect: write each department's digest notice into the outbox."""

from __future__ import annotations

from datetime import datetime

from prefect import task

from service.app import get_app
from service.notices.digest import write_digests
from service.store.db import session


@task(name="write digests", retries=2, retry_delay_seconds=[1, 5])
def write(now: datetime, department: str | None) -> list[str]:
    """Write today's digests (once per department and local day)."""
    app = get_app()
    with session(app.engine) as s:
        return write_digests(s, app, now=now, department=department)
