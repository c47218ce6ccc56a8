"""Registering a matter (受理): check it, grade it, number it, store it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.grading import Facts, grade
from models.status import (
    Status,
)
from models.tables import Citizen, DaySequence, Matter
from whistle.app import App
from whistle.errors import Refused, shown
from whistle.inputs import IntakeRequest
from whistle.service.store import (
    CENTER,
    commit,
    record,
)


def _next_number(session: Session, app: App, now: datetime) -> str:
    day = now.astimezone(app.calendar.zone).strftime("%Y%m%d")
    for _attempt in range(5):
        row = session.exec(
            select(DaySequence).where(DaySequence.day == day).with_for_update()
        ).first()
        if row is not None:
            row.last += 1
            session.add(row)
            session.flush()
            return f"M{day}-{row.last:04d}"
        try:
            with session.begin_nested():
                session.add(DaySequence(day=day, last=1))
            return f"M{day}-0001"
        except IntegrityError:
            continue  # another intake created today's row first; lock it and count on
    raise Refused("could not allocate a matter number; try again")


def register(
    *,
    session: Session,
    app: App,
    intake: IntakeRequest,
    now: datetime,
    before_commit: Callable[[Matter], None] | None = None,
) -> Matter:
    """Register a matter (受理): check it, grade it with the four colours, store it.

    `before_commit` is called with the new matter just before the commit, so what it adds to
    the session (the HTTP API's idempotent answer) is stored in the same transaction."""
    config = app.config
    if intake.category not in config.categories:
        raise Refused(
            f"category: unknown category '{intake.category}' "
            f"(known: {', '.join(sorted(config.categories))})"
        )
    area = config.find_area(intake.area)
    if area is None:
        raise Refused(
            f"area: unknown area '{intake.area}' (use a town or village code, or its name)"
        )
    unknown = [f for f in intake.flags if f not in config.flags]
    if unknown:
        raise Refused(
            f"flag: unknown flag(s) {shown(', '.join(unknown))} "
            f"(known: {', '.join(config.flags)})"
        )
    if config.channels_in and intake.channel not in config.channels_in:
        raise Refused(
            f"channel: unknown channel '{intake.channel}' (known: {', '.join(config.channels_in)})"
        )
    _, _, town, village = config.area(area)
    graded = grade(
        Facts(
            category=intake.category,
            people=intake.people,
            visits=intake.visits,
            amount=intake.amount,
            flags=frozenset(intake.flags),
        ),
        config.grading,
    )
    # A matter registered for a whole town cannot start at village tier.
    tier = "town" if graded.tier == "village" and village is None else graded.tier

    citizen = Citizen(
        name=intake.name, phone=intake.phone, id_number=intake.id_number, created_at=now
    )
    session.add(citizen)
    session.flush()
    matter = Matter(
        number=_next_number(session, app, now),
        citizen_id=citizen.id,  # type: ignore[arg-type]
        category=intake.category,
        title=intake.title,
        description=intake.description,
        channel=intake.channel,
        area=area,
        town=town.code,
        village=village.code if village else None,
        tier=tier,
        colour=graded.colour,
        people=intake.people,
        visits=intake.visits,
        amount=intake.amount,
        flags=sorted(set(intake.flags)),
        status=Status.received,
        created_at=now,
        updated_at=now,
    )
    session.add(matter)
    session.flush()
    record(
        session,
        matter,
        action="received",
        actor=CENTER,
        now=now,
        colour=graded.colour,
        tier=tier,
        reasons=list(graded.reasons),
        channel=intake.channel,
    )
    if before_commit is not None:
        before_commit(matter)
    commit(session)
    return matter


# --- referral (吹哨) ----------------------------------------------------------------------------
