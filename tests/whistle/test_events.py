"""Each timeline transition reaches Prefect as a `whistle.matter.<action>` event: resource the
matter, its number as a label, no personal data, and sent once even when sent again."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.events.filters import EventFilter, EventIDFilter, EventOccurredFilter
from sqlmodel import col, delete, select

from engine.matter_runs import emit_new_events
from models.tables import Event, EventMark
from service.actions import get_matter
from service.app import get_app
from service.read.events import event_name, event_uuid
from service.store.db import session
from tests.fixtures import World

NAME, PHONE = "司马相如", "13712345678"
LATER = "2026-11-26T12:00:00+08:00"


def prefect_events(ids: list[Any], expected: int, timeout: float = 30) -> list[Any]:
    """The Prefect events with these ids, once `expected` of them have arrived."""
    window = EventOccurredFilter(
        since=datetime(2026, 1, 1, tzinfo=UTC), until=datetime(2027, 12, 31, tzinfo=UTC)
    )
    deadline = time.monotonic() + timeout
    found: list[Any] = []
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            page = client.read_events(
                filter=EventFilter(occurred=window, id=EventIDFilter(id=ids)), limit=50
            )
            found = list(page.events)
            if len(found) >= expected:
                break
            time.sleep(0.5)
    return found


def timeline(number: str) -> list[Event]:
    app = get_app()
    with session(app.engine) as s:
        matter = get_matter(s, number)
        return list(
            s.exec(select(Event).where(Event.matter_id == matter.id).order_by(col(Event.id))).all()
        )


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_transitions_become_events_once_without_personal_data(world: World) -> None:
    number = world.intake(
        name=NAME,
        phone=PHONE,
        people=6,
        title=f"{NAME}反映工资被拖欠",
        description=f"{NAME}（{PHONE}）反映被拖欠工资。",
    )["number"]
    world.ok("ack", number, "--department", "hrss", at="2026-11-26T09:30:00+08:00")
    # Nobody else acknowledges: at the ack deadline (2 h) the sweep urges them: overdue.
    steps = world.ok("sweep", at="2026-11-26T11:30:00+08:00")["steps"]
    assert {(s["department"], s["level"]) for s in steps} >= {("justice", "urging")}
    reason = f"{NAME}的事不归我们"
    world.ok("return", number, "--department", "justice", "--reason", reason, at=LATER)

    world.ok("worker", "--once")  # the engine draws the run and sends the events
    rows = [e for e in timeline(number) if e.action != "notified"]
    assert [r.action for r in rows][:3] == ["received", "referred", "acknowledged"]
    app = get_app()
    ids = [event_uuid(app, r.id) for r in rows if r.id is not None]
    events = prefect_events(ids, len(ids))
    assert len(events) == len(rows), "every transition arrives, once"
    by_id = {e.id: e for e in events}
    for row in rows:
        assert row.id is not None
        event = by_id[event_uuid(app, row.id)]
        assert event.event == event_name(row.action)
        assert event.resource.id == f"whistle.matter.{number}"
        assert event.resource["whistle.number"] == number
        assert event.payload["action"] == row.action
        if row.department:
            assert f"whistle.department.{row.department}" in {r.id for r in event.related}
        text = json.dumps(event.model_dump(mode="json"), ensure_ascii=False)
        for secret in (NAME, PHONE, "相如", "12345678"):
            assert secret not in text, f"{secret} in {event.event}"
    names = {e.event for e in events}
    assert {
        "whistle.matter.received",
        "whistle.matter.referred",
        "whistle.matter.acknowledged",
        "whistle.matter.overdue",
        "whistle.matter.returned",
    } <= names
    overdue = next(e for e in events if e.event == "whistle.matter.overdue")
    assert overdue.payload["data"]["level"] == "urging"
    assert overdue.occurred == datetime(2026, 11, 26, 3, 30, tzinfo=UTC)

    # Sending again changes nothing: the watermark has them all.
    matter_id = rows[0].matter_id
    assert emit_new_events(app, matter_id, number) == 0
    # Even with the watermark gone (a crash between sending and marking), Prefect keeps one
    # event per timeline row: the ids are the same.
    with session(app.engine) as s:
        s.exec(delete(EventMark))
        s.commit()
    assert emit_new_events(app, matter_id, number) == len(rows)
    time.sleep(3)  # give a duplicate the time to arrive, were it kept
    assert len(prefect_events(ids, len(ids) + 1, timeout=5)) == len(rows)
