"""Emitting matters' timeline transitions as Prefect events (whistle.matter.<action>)."""

from __future__ import annotations

from prefect import task
from prefect.events import emit_event

from service.app import get_app
from service.read.events import advance, sendable, unsent
from service.store.db import session


@task(name="emit matter events", retries=2, retry_delay_seconds=[1, 5])
def emit_matter_events(numbers: list[str]) -> int:
    """Send each matter's new timeline rows as Prefect events, once; return how many went out.

    A row is marked sent only after Prefect took it; an event the client could not send (no
    events client, e.g. events switched off) leaves the watermark where it was.
    """
    app = get_app()
    with session(app.engine) as s:
        pending = unsent(s, app, numbers)
    marks: dict[int, int] = {}
    blocked: set[int] = set()
    sent = 0
    for item in pending:
        if item.matter_id in blocked:
            continue
        if sendable(item):
            emitted = emit_event(
                event=item.event,
                resource=item.resource,
                related=item.related,
                payload=item.payload,
                id=item.id,
                occurred=item.occurred,
            )
            if emitted is None:
                blocked.add(item.matter_id)
                continue
            sent += 1
        marks[item.matter_id] = item.row_id
    with session(app.engine) as s:
        advance(s, marks)
    return sent
