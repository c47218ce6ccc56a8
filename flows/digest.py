"""The daily digest flow: one notice per department with work waiting, then delivery."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow

from tasks.digest import write
from tasks.notices import deliver_notices


@flow(name="daily digest")
def daily_digest(now: datetime | None = None, department: str | None = None) -> dict[str, object]:
    """每日待办: tell each department what waits for it and what is overdue."""
    moment = now.astimezone(UTC) if now else datetime.now(UTC)
    written = write(moment, department)
    return {"departments": written, "notices": deliver_notices(None, moment)}
