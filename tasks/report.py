"""The statistics report's side effects: count in the store, publish to Prefect, write the HTML."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from prefect import task
from prefect.artifacts import create_markdown_artifact

from service.app import get_app
from service.read.report import render_report
from service.read.stats import parse_period, statistics
from service.store.db import session

ARTIFACT_KEY = "statistics"


@task(name="count statistics", retries=2, retry_delay_seconds=[1, 5])
def count_and_render(
    now: datetime, start: date | None, end: date | None, language: str
) -> tuple[str, str, str]:
    """Count the period's figures in the store; return (last local date, Markdown, HTML)."""
    app = get_app()
    period = parse_period(
        app, start.isoformat() if start else None, end.isoformat() if end else None, now
    )
    with session(app.engine) as s:
        stats = statistics(s, app, period=period, now=now)
    return (
        period.last.isoformat(),
        render_report(stats, app, form="md", language=language),
        render_report(stats, app, form="html", language=language),
    )


@task(name="publish statistics artifact", retries=2, retry_delay_seconds=[1, 5])
def publish_statistics(markdown: str, description: str) -> str:
    """The report in the Prefect UI, under one key so it is refreshed in place."""
    create_markdown_artifact(markdown, key=ARTIFACT_KEY, description=description)
    return ARTIFACT_KEY


@task(name="write statistics report")
def write_report(html: str, last: str, language: Literal["zh", "en"]) -> str:
    """Write the HTML under WHISTLE_HOME/reports/ (one file per last date, replaced whole)."""
    app = get_app()
    folder = app.settings.home / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "" if language == "zh" else f".{language}"
    path = (folder / f"statistics-{last}{suffix}.html").resolve()
    partial = Path(f"{path}.partial")
    partial.write_text(html, encoding="utf-8")
    os.replace(partial, path)  # a reader never sees half a report
    return str(path)
