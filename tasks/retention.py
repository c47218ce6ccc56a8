"""The retention flow's side effects: erase expired personal data, publish the counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import task
from prefect.artifacts import create_table_artifact

from messages import label, text
from service.actions.retention import erase_expired
from service.app import get_app
from service.store.db import session


@task(name="erase expired personal data", retries=2, retry_delay_seconds=[1, 5])
def erase(now: datetime) -> dict[str, Any]:
    """Erase every citizen past the period; safe to run again (erased citizens are skipped)."""
    app = get_app()
    with session(app.engine) as s:
        return erase_expired(session=s, app=app, now=now)


@task(name="publish retention summary")
def publish(now: datetime, result: dict[str, Any]) -> None:
    """Counts only: the supervisor sees how much was erased, never whose."""
    lang = get_app().language
    item, value = label("column", "item", lang), label("column", "value", lang)
    create_table_artifact(
        [
            {item: text("retention.period", lang), value: result["period"]},
            {item: text("retention.cutoff", lang), value: result["cutoff"]},
            {item: text("retention.citizens", lang), value: result["citizens"]},
            {item: text("retention.matters", lang), value: result["matters"]},
        ],
        key="personal-data-retention",
        description=text("artifact.retention", lang, at=now.isoformat(timespec="minutes")),
    )
