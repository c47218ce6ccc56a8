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
from models.tables import Assignment, Citizen, LadderStep, Matter
from notifications.kinds import NoticeKind
from service.app import App
from service.notices.outbox import enqueue
from service.store.evidence import hold
from service.store.matters import record

OPEN = ("referred", "in_progress", "returned")
RECIPIENTS: dict[Level, tuple[str, ...]] = {
    Level.reminder: ("{dept}",),
    Level.urging: ("{dept}", "{dept}/head"),
    Level.supervision: ("center/leadership",),
    Level.circular: ("politics_law/leadership",),
}
NOTICE_OF: dict[Level, NoticeKind] = {
    Level.reminder: NoticeKind.reminder,
    Level.urging: NoticeKind.urging,
    Level.supervision: NoticeKind.supervision,
    Level.circular: NoticeKind.circulated,
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


def refresh_next_check(
    session: Session, app: App, part: Assignment, done: dict[str, set[Level]] | None = None
) -> None:
    """Set when the sweep must next look at this part (None when no clock is running).
    `done` is the part's steps taken, when the caller already holds them."""
    clocks = clocks_of(part)
    if done is None:
        done = taken(session, part.id) if part.id is not None else {}
    moments = [
        m
        for c in clocks
        if (m := next_moment(c.start, c.due, done.get(c.name, set()), fractions(app)))
    ]
    part.next_check_at = min(moments) if moments else None
    session.add(part)


def due_parts(session: Session, *, now: datetime, limit: int = 100_000) -> list[int]:
    """Ids of parts whose next check has come, earliest first: a pure range on the index.
    (A finished part has no next check; `escalate` still skips a matter that is not open.)"""
    query = (
        select(Assignment.id)
        .where(col(Assignment.next_check_at) <= now)
        .order_by(col(Assignment.next_check_at))
        .limit(limit)
    )
    return [i for i in session.exec(query).all() if i is not None]


BATCH = 200  # parts per sweep transaction: fewer commits, locks held well under a second


def escalate_due(session: Session, app: App, now: datetime) -> list[dict[str, Any]]:
    """Every step that has come due by `now`, in batches, earliest clocks first."""
    due = due_parts(session=session, now=now)
    steps: list[dict[str, Any]] = []
    for first in range(0, len(due), BATCH):
        steps += escalate_many(session, app, due[first : first + BATCH], now)
    return steps


def escalate(session: Session, app: App, part_id: int, now: datetime) -> list[dict[str, Any]]:
    """Take every step this part's clocks have earned by `now`, once; [] if another has it."""
    return escalate_many(session, app, [part_id], now)


def escalate_many(
    session: Session, app: App, part_ids: list[int], now: datetime
) -> list[dict[str, Any]]:
    """Take the earned steps of several parts in one transaction.

    The parts' matters are locked in one statement with SKIP LOCKED (in id order): a matter that
    a department or another sweep holds is left for the next sweep, never waited for. The parts
    and their steps taken are read once, after the lock, for the whole batch.
    """
    if not part_ids:
        return []
    matter_ids = select(Assignment.matter_id).where(col(Assignment.id).in_(part_ids))
    locked = {
        m.id: m
        for m in session.exec(
            select(Matter)
            .where(col(Matter.id).in_(matter_ids))
            .order_by(col(Matter.id))
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).all()
    }
    if not locked:
        session.rollback()
        return []
    hold(session, *locked)
    # Held here so the notices find them in the session (its identity map keeps objects only
    # while something refers to them): one query for the batch, not one per notice.
    citizens = session.exec(
        select(Citizen).where(col(Citizen.id).in_({m.citizen_id for m in locked.values()}))
    ).all()
    parts = session.exec(
        select(Assignment)
        .where(col(Assignment.id).in_(part_ids), col(Assignment.matter_id).in_(list(locked)))
        .order_by(col(Assignment.id))
        .execution_options(populate_existing=True)  # re-read under the lock
    ).all()
    done: dict[int, dict[str, set[Level]]] = defaultdict(lambda: defaultdict(set))
    for assignment_id, clock_name, level in session.exec(
        select(LadderStep.assignment_id, LadderStep.clock, LadderStep.level).where(
            col(LadderStep.assignment_id).in_([p.id for p in parts])
        )
    ).all():
        done[assignment_id][clock_name].add(Level(level))
    steps: list[dict[str, Any]] = []
    for part in parts:
        assert part.id is not None
        matter = locked[part.matter_id]
        if matter.status not in OPEN:
            part.next_check_at = None
            session.add(part)
            continue
        steps += _climb(session, app, matter, part, done[part.id], now)
        refresh_next_check(session, app, part, done[part.id])
    session.commit()
    del citizens
    return steps


def _climb(
    session: Session,
    app: App,
    matter: Matter,
    part: Assignment,
    done: dict[str, set[Level]],
    now: datetime,
) -> list[dict[str, Any]]:
    """One part's earned steps: ladder rows, timeline events, outbox notices (not committed)."""
    assert part.id is not None
    steps: list[dict[str, Any]] = []
    for clock in clocks_of(part):
        for step in due_steps(
            clock.start, clock.due, now, done.get(clock.name, set()), fractions(app)
        ):
            session.add(
                LadderStep(assignment_id=part.id, clock=clock.name, level=step.level.value, at=now)
            )
            done[clock.name].add(step.level)
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
                    kind=NOTICE_OF[step.level],
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
    return steps
