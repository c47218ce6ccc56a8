"""Registering a matter (受理): check it, grade it, number it, store it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.grading import Facts, grade
from models.lookup import area_code, category_code, channel_code, flag_codes
from models.refusals import Code, Refused
from models.status import (
    Status,
)
from models.tables import Citizen, DaySequence, Matter
from service.app import App
from service.inputs import IntakeRequest
from service.store.matters import (
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
    raise Refused(Code.no_number)


def _anonymous(intake: IntakeRequest) -> dict[str, Any]:
    """The received event says so of an anonymous matter (匿名), and only of one: the hashes of
    earlier timelines stay as they were."""
    return {"anonymous": True} if intake.anonymous else {}


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
    category = category_code(config, intake.category)  # a code, or its exact name
    area = area_code(config, intake.area)
    flags = flag_codes(config, intake.flags)
    channel = channel_code(config, intake.channel) if config.channels_in else intake.channel
    _, _, town, village = config.area(area)
    graded = grade(
        Facts(
            category=category,
            people=intake.people,
            visits=intake.visits,
            amount=intake.amount,
            flags=frozenset(flags),
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
        category=category,
        title=intake.title,
        description=intake.description,
        channel=channel,
        area=area,
        town=town.code,
        village=village.code if village else None,
        tier=tier,
        colour=graded.colour,
        people=intake.people,
        visits=intake.visits,
        amount=intake.amount,
        flags=sorted(set(flags)),
        lat=intake.lat,
        long=intake.long,
        anonymous=intake.anonymous,
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
        channel=channel,
        **_anonymous(intake),
    )
    if before_commit is not None:
        before_commit(matter)
    commit(session)
    return matter


# --- referral (吹哨) ----------------------------------------------------------------------------
