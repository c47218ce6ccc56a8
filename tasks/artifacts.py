"""Publishing a matter's timeline to the Prefect UI, keyed by the matter so it updates in place."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact

from service.actions import get_matter
from service.app import get_app
from service.read.views import timeline_markdown
from service.store.db import session


def artifact_key(number: str) -> str:
    """Prefect artifact keys allow lowercase letters, digits and dashes only."""
    return "matter-" + number.lower()


def timeline_artifact(number: str) -> str:
    """Render the timeline from the store (no personal data) and publish it under the matter."""
    app = get_app()
    with session(app.engine) as s:
        matter = get_matter(s, number)
        markdown = timeline_markdown(s, app, matter)
        status = matter.status
    key = artifact_key(number)
    create_markdown_artifact(markdown, key=key, description=f"{number}: {status}")
    return key


@task(name="show the supervisor", retries=2, retry_delay_seconds=[1, 5])
def show_supervisor(number: str) -> int:
    """Everything a stage shows in the UI: the timeline artifact and the new Prefect events.

    One task rather than two: both are writes to Prefect, cheap, and retried together; each
    task run costs the Prefect server more than either write (see the README's benchmark).
    """
    from tasks.events import emit_matter_events

    timeline_artifact(number)
    return emit_matter_events.fn([number])
