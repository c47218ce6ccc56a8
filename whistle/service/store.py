"""Reading matters and writing their timeline: the pieces every action shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.status import (
    ACTIVE_ASSIGNMENT,
)
from models.tables import Assignment, Citizen, Event, Matter
from whistle.errors import NotFound, Refused

CENTER = "center"
CITIZEN = "citizen"


# --- reading -----------------------------------------------------------------------------------


def get_matter(session: Session, number: str, *, lock: bool = False) -> Matter:
    """Return the matter with this number (row-locked when about to change it)."""
    query = select(Matter).where(Matter.number == number.strip().upper())
    if lock:
        query = query.with_for_update()
    matter = session.exec(query).first()
    if matter is None:
        raise NotFound(f"no matter numbered {number}")
    return matter


def assignments_of(session: Session, matter: Matter) -> list[Assignment]:
    query = select(Assignment).where(Assignment.matter_id == matter.id).order_by(col(Assignment.id))
    return list(session.exec(query).all())


def events_of(session: Session, matter: Matter) -> list[Event]:
    query = select(Event).where(Event.matter_id == matter.id).order_by(col(Event.id))
    return list(session.exec(query).all())


def citizen_of(session: Session, matter: Matter) -> Citizen:
    citizen = session.get(Citizen, matter.citizen_id)
    assert citizen is not None  # foreign key
    return citizen


def live_assignment(session: Session, matter: Matter, department: str) -> Assignment:
    live = [
        a
        for a in assignments_of(session, matter)
        if a.department == department and a.status in ACTIVE_ASSIGNMENT | {"resolved"}
    ]
    if not live:
        raise Refused(f"{matter.number}: department {department} is not assigned to this matter")
    return live[-1]


def record(
    session: Session,
    matter: Matter,
    *,
    action: str,
    actor: str,
    now: datetime,
    department: str | None = None,
    note: str | None = None,
    **data: Any,
) -> Event:
    """Append a timeline event; the matter is touched (updated_at) and saved with it."""
    assert matter.id is not None  # flushed before any event is recorded
    event = Event(
        matter_id=matter.id,
        at=now,
        action=action,
        actor=actor,
        department=department,
        note=note,
        data=data,
    )
    session.add(event)
    session.flush()
    return event


def commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Refused(f"the store refused the change ({exc.orig}); nothing was written") from None


# --- intake ------------------------------------------------------------------------------------
