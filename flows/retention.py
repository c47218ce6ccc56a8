"""The retention flow: erase personal data that has outlived its period, on a daily schedule."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_table_artifact

from whistle.app import get_app
from whistle.db import session
from whistle.service.retention import erase_expired


@task(name="erase expired personal data", retries=2, retry_delay_seconds=[1, 5])
def erase(now: datetime) -> dict[str, Any]:
    """Erase every citizen past the period; safe to run again (erased citizens are skipped)."""
    app = get_app()
    with session(app.engine) as s:
        return erase_expired(session=s, app=app, now=now)


@task(name="publish retention summary")
def publish(now: datetime, result: dict[str, Any]) -> None:
    """Counts only: the supervisor sees how much was erased, never whose."""
    create_table_artifact(
        [
            {"item": "retention period after closing", "value": result["period"]},
            {"item": "closed on or before", "value": result["cutoff"]},
            {"item": "citizens erased", "value": result["citizens"]},
            {"item": "matters anonymised", "value": result["matters"]},
            {"item": "expired idempotency keys removed", "value": result["idempotency_keys"]},
        ],
        key="personal-data-retention",
        description=f"retention as of {now.isoformat(timespec='minutes')}",
    )


@flow(name="personal data retention")
def personal_data_retention(now: datetime | None = None) -> dict[str, Any]:
    """个人信息保存期限: remove names, phones and ID numbers once the period after closing ends."""
    moment = now.astimezone(UTC) if now else datetime.now(UTC)
    result = erase(moment)
    publish(moment, result)
    return result
