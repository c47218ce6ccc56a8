"""A matter's timeline as Prefect events (`whistle.matter.<action>`), so supervisors can add their
own automations in the Prefect UI.

What goes out is codes only: the action, who acted (a department code, center, system or
citizen), the matter's category, colour, tier and town, and the event's own data filtered to
code-like values. Notes, reasons and every other free text stay in the store: a citizen's name
may be in them.

Each timeline row is sent once per matter, in order, behind a watermark (`event_mark`). The
Prefect event id is a uuid5 of the store and the row, so a row sent again after a crash (sent,
then the watermark not yet moved) is the same event, which Prefect's event store keeps once.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from models.tables import Event, EventMark, Matter
from service.app import App

NAMESPACE = uuid.UUID("6f1c4f0e-8f3a-5d62-9a57-2b7e6c1d9a40")
PREFIX = "whistle.matter."
# Timeline actions that are not transitions of the matter and are not sent.
SKIPPED = frozenset({"notified"})
# Escalation steps read as what they mean to a supervisor: urging is the deadline passing.
RENAMED = {
    "urging": "overdue",
    "supervision": "supervised",
    "reminder": "reminded",
    "circular": "circulated",
}
_CODE = re.compile(r"^[A-Za-z0-9_.:@/+<>=-]{1,80}$")


@dataclass(frozen=True)
class Outgoing:
    """One timeline row, ready for `prefect.events.emit_event`."""

    matter_id: int
    row_id: int
    id: uuid.UUID
    event: str
    occurred: datetime
    resource: dict[str, str]
    related: list[dict[str, str]]
    payload: dict[str, Any]


def event_name(action: str) -> str:
    """`whistle.matter.referred`, `whistle.matter.overdue`, …"""
    return PREFIX + RENAMED.get(action, action)


def _code_like(value: Any) -> Any:
    """The value if it is a code, a number or a list of codes; None for anything that could be
    free text (and so could hold a person's name)."""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if _CODE.match(value) else None
    if isinstance(value, list):
        items = [_code_like(v) for v in value]
        return items if all(i is not None for i in items) else None
    return None


def event_uuid(app: App, row_id: int) -> uuid.UUID:
    """The same id every time this store's row is sent, and a different one for another store."""
    store = app.engine.url.render_as_string(hide_password=True)
    return uuid.uuid5(NAMESPACE, f"{store}#event/{row_id}")


def outgoing(app: App, matter: Matter, row: Event) -> Outgoing:
    """A timeline row as a Prefect event, codes only."""
    assert matter.id is not None and row.id is not None
    resource = {
        "prefect.resource.id": f"{PREFIX}{matter.number}",
        "prefect.resource.name": matter.number,
        "whistle.number": matter.number,
        "whistle.category": matter.category,
        "whistle.colour": matter.colour,
        "whistle.tier": matter.tier,
        "whistle.town": matter.town,
    }
    related = []
    for role, code in (("department", row.department), ("lead", matter.lead_department)):
        if code:
            related.append(
                {
                    "prefect.resource.id": f"whistle.department.{code}",
                    "prefect.resource.role": role,
                    "prefect.resource.name": code,
                }
            )
    data = {k: v for k, v in ((k, _code_like(v)) for k, v in row.data.items()) if v is not None}
    payload: dict[str, Any] = {
        "action": row.action,
        "actor": row.actor if _CODE.match(row.actor) else "",
        "department": row.department,
        "status": matter.status,
        "data": data,
    }
    return Outgoing(
        matter_id=matter.id,
        row_id=row.id,
        id=event_uuid(app, row.id),
        event=event_name(row.action),
        occurred=row.at,
        resource=resource,
        related=related,
        payload=payload,
    )


def unsent(session: Session, app: App, numbers: list[str]) -> list[Outgoing]:
    """The timeline rows of these matters not yet sent, in order (skipped actions included in
    the watermark but not returned)."""
    if not numbers:
        return []
    matters = session.exec(
        select(Matter).where(col(Matter.number).in_([n.upper() for n in numbers]))
    ).all()
    by_id = {m.id: m for m in matters}
    if not by_id:
        return []
    rows = session.exec(
        select(Event)
        .join(EventMark, col(EventMark.matter_id) == Event.matter_id, isouter=True)
        .where(
            col(Event.matter_id).in_(list(by_id)),
            col(Event.id) > func.coalesce(EventMark.event_id, 0),
        )
        .order_by(col(Event.matter_id), col(Event.id))
    ).all()
    return [outgoing(app, by_id[row.matter_id], row) for row in rows]


def advance(session: Session, marks: dict[int, int]) -> None:
    """Move each matter's watermark forward to the given row (never back), and commit."""
    if not marks:
        return
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table: Any = EventMark.__table__  # type: ignore[attr-defined]
    for matter_id, row_id in marks.items():
        statement = insert(table).values(matter_id=matter_id, event_id=row_id)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.matter_id],
            set_={"event_id": statement.excluded.event_id},
            where=table.c.event_id < statement.excluded.event_id,
        )
        session.connection().execute(statement)
    session.commit()


def sendable(item: Outgoing) -> bool:
    """Only transitions go out; skipped rows just move the watermark."""
    return item.payload["action"] not in SKIPPED
