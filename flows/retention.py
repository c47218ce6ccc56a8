"""The retention flow: erase personal data that has outlived its period, on a daily schedule."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow

from tasks.retention import erase, publish


@flow(name="personal data retention")
def personal_data_retention(now: datetime | None = None) -> dict[str, Any]:
    """个人信息保存期限: remove names, phones and ID numbers once the period after closing ends."""
    moment = now.astimezone(UTC) if now else datetime.now(UTC)
    result = erase(moment)
    publish(moment, result)
    return result
