"""Escalation: applying the ladder to the parts whose clocks have earned a step.

Every part carries `next_check_at`, the next moment one of its running clocks earns a step; it
is refreshed whenever the part changes. The sweep asks only for parts with `next_check_at <= now`
(an indexed range), so its cost follows what is due, not what is open. A part is claimed by
locking its matter with SKIP LOCKED (the same lock order as every department action), so two
sweeps never take the same step, and the unique (part, clock, level) key makes each step once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models.grading import raise_colour, raise_tier
from models.ladder import Clock, Level, due_steps, highest, next_moment, running_clocks
from models.tables import Assignment, LadderStep, Matter
from notifications.kinds import NoticeKind
from whistle.app import App
from whistle.outbox import enqueue
from whistle.service.store import record

OPEN = ("referred", "in_progress", "returned")
RECIPIENTS: dict[Level, tuple[str, ...]] = {
    Level.reminder: ("{dept}",),
    Level.urging: ("{dept}", "{dept}/head"),
    Level.supervision: ("center/leadership",),
    Level.circulated: ("politics_law/leadership",),
}


def clocks_of(part: Assignment) -> list[Clock]:
    """The running clocks of a stored part."""
    return running_clocks(
        role=part.role,
        status=part.status,
        start=part.clock_start,
        ack_due=part.ack_due,
        due=part.due,
        first_response_due=part.first_response_due,
        first_response_at=part.first_response_at,
    )


def fractions(app: App) -> dict[Level, float]:
    return {Level(k): v for k, v in app.config.deadlines.ladder.items()}


def taken(session: Session, assignment_id: int) -> dict[str, set[Level]]:
    """The steps already taken, by clock."""
    rows = session.exec(
        select(LadderStep.clock, LadderStep.level).where(LadderStep.assignment_id == assignment_id)
    ).all()
    out: dict[str, set[Level]] = defaultdict(set)
    for clock, level in rows:
        out[clock].add(Level(level))
    return out


def overdue_level(session: Session, assignment_id: int) -> str | None:
    """The furthest step any clock of this part reached: what `show` reports."""
    steps = taken(session, assignment_id)
    level = highest(level for levels in steps.values() for level in levels)
    return level.value if level else None


def refresh_next_check(session: Session, app: App, part: Assignment) -> None:
    """Set when the sweep must next look at this part (None when no clock is running)."""
    clocks = clocks_of(part)
    done = taken(session, part.id) if part.id is not None else {}
    moments = [
        m
        for c in clocks
        if (m := next_moment(c.start, c.due, done.get(c.name, set()), fractions(app)))
    ]
    part.next_check_at = min(moments) if moments else None
    session.add(part)


def due_parts(session: Session, *, now: datetime, limit: int = 1000) -> list[int]:
    """Ids of parts whose next check has come, earliest first: a pure range on the index.
    (A finished part has no next check; `escalate` still skips a matter that is not open.)"""
    query = (
        select(Assignment.id)
        .where(col(Assignment.next_check_at) <= now)
        .order_by(col(Assignment.next_check_at))
        .limit(limit)
    )
    return [i for i in session.exec(query).all() if i is not None]


def escalate(session: Session, app: App, part_id: int, now: datetime) -> list[dict[str, Any]]:
    """Take every step this part's clocks have earned by `now`, once; [] if another has it."""
    part = session.get(Assignment, part_id)
    if part is None:
        return []
    matter = session.exec(
        select(Matter).where(Matter.id == part.matter_id).with_for_update(skip_locked=True)
    ).first()
    if matter is None:  # another sweep (or an answer) holds this matter: it is being handled
        session.rollback()
        return []
    session.refresh(part)  # re-read under the lock
    if matter.status not in OPEN:
        part.next_check_at = None
        session.add(part)
        session.commit()
        return []
    done = taken(session, part_id)
    steps: list[dict[str, Any]] = []
    for clock in clocks_of(part):
        for step in due_steps(
            clock.start, clock.due, now, done.get(clock.name, set()), fractions(app)
        ):
            session.add(
                LadderStep(assignment_id=part_id, clock=clock.name, level=step.level.value, at=now)
            )
            data: dict[str, Any] = {"clock": clock.name, "level": step.level.value}
            if step.level is Level.supervision:
                data.update(colour_from=matter.colour, tier_from=matter.tier)
                matter.colour = raise_colour(matter.colour)  # type: ignore[arg-type]
                matter.tier = raise_tier(matter.tier)  # type: ignore[arg-type]
                data.update(colour_to=matter.colour, tier_to=matter.tier)
            event = record(
                session,
                matter,
                action=step.level.value,
                actor="system",
                now=now,
                department=part.department,
                **data,
            )
            for pattern in RECIPIENTS[step.level]:
                enqueue(
                    session,
                    app,
                    matter,
                    kind=NoticeKind(step.level.value),
                    recipient=pattern.format(dept=part.department),
                    step=event,
                    assignment=part,
                    clock=clock.name,
                    due=clock.due,
                    department=part.department,
                )
            steps.append(
                {
                    "number": matter.number,
                    "department": part.department,
                    "clock": clock.name,
                    "level": step.level.value,
                }
            )
    session.flush()
    refresh_next_check(session, app, part)
    session.commit()
    return steps
