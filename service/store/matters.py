"""Reading matters and writing their timeline: the pieces every action shares."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.refusals import Code, NotFound, Refused
from models.status import (
    ACTIVE_ASSIGNMENT,
)
from models.tables import Assignment, Citizen, Event, Matter
from service.store.evidence import hold, lock, seal

CENTER = "center"
CITIZEN = "citizen"
SYSTEM = "system"
NUMBER = re.compile(r"^M[0-9]{8}-[0-9]{4,10}$")
# How far two machines' clocks may differ: an action dated that much before its matter was
# registered is still taken (dated at the matter's last step), one dated earlier is refused.
CLOCK_SKEW = timedelta(minutes=5)


# --- reading -----------------------------------------------------------------------------------


def get_matter(session: Session, number: str, *, lock: bool = False) -> Matter:
    """Return the matter with this number (row-locked when about to change it)."""
    cleaned = number.strip().upper()
    if not NUMBER.match(cleaned):  # also keeps NUL bytes and stray surrogates out of the query
        raise NotFound(Code.bad_number, number=number)
    query = select(Matter).where(Matter.number == cleaned)
    if lock:  # read the row as it is under the lock, even if this session saw it before
        query = query.with_for_update().execution_options(populate_existing=True)
    matter = session.exec(query).first()
    if matter is None:
        raise NotFound(Code.not_found, number=cleaned)
    if lock:
        hold(session, matter.id)
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
        raise Refused(Code.not_assigned, number=matter.number, department=department)
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
    lock(session, matter)  # a no-op for the services, which lock first
    now = step_time(session, matter, now, system=actor == SYSTEM)
    matter.updated_at = now
    matter.run_stale = True  # the engine draws the step on the matter's run
    session.add(matter)
    event = Event(
        matter_id=matter.id,
        at=now,
        action=action,
        actor=actor,
        department=department,
        note=note,
        data=data,
    )
    # Chained to the matter's last event (whistle/evidence.py), under the matter's row lock.
    # Not flushed here: a step's events, notices and ladder rows go to the store together.
    seal(session, matter, event)
    session.add(event)
    return event


def step_time(session: Session, matter: Matter, now: datetime, *, system: bool = False) -> datetime:
    """The time a new timeline event of this matter is dated, so the timeline never runs back.

    `now`, or the time of the matter's last event when `now` is earlier: a sweep or a delivery
    that read the clock a while ago, an action that waited for the matter's lock, a second
    machine whose clock is a little behind. (The action's own fields keep the time given.) A
    person's action dated before the matter was even registered is refused: a mistyped --at.
    """
    last = matter.timeline_at  # kept by `seal`, read under the matter's lock
    if last is None or now >= last:
        return now
    if not system and now < matter.created_at - CLOCK_SKEW:
        raise Refused(
            Code.before_registered,
            number=matter.number,
            at=now.isoformat(timespec="minutes"),
            created=matter.created_at.isoformat(timespec="minutes"),
        )
    return last


def commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Refused(Code.store_refused, detail=str(exc.orig)) from None


# --- intake ------------------------------------------------------------------------------------
