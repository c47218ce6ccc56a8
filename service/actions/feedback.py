"""The citizen's feedback, closing, and the queries the sweep asks."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models.status import (
    Action,
    AssignmentStatus,
    Role,
    Status,
    next_assignment_status,
    next_status,
)
from models.tables import Matter
from notifications.kinds import NoticeKind
from service import inputs
from service.actions.escalation import refresh_next_check
from service.actions.referral import clocks
from service.app import App
from service.notices.outbox import enqueue
from service.store.matters import (
    CENTER,
    CITIZEN,
    commit,
    get_matter,
    live_assignment,
    record,
)


def feedback(
    *, session: Session, app: App, number: str, satisfied: bool, comment: str | None, now: datetime
) -> Matter:
    """The citizen answers: satisfied closes (结案), unsatisfied reopens to the lead (重办)."""
    comment = inputs.note(comment, "comment") if comment and comment.strip() else None
    matter = get_matter(session, number, lock=True)
    action = Action.satisfied if satisfied else Action.unsatisfied
    matter.status = next_status(matter.number, Status(matter.status), action)
    matter.feedback = action.value
    if satisfied:
        matter.closed_at = now
        event = record(
            session,
            matter,
            action="closed",
            actor=CITIZEN,
            now=now,
            note=comment,
            reason="satisfied",
        )
        enqueue(
            session,
            app,
            matter,
            kind=NoticeKind.closing,
            recipient=matter.lead_department or CENTER,
            step=event,
            closing="satisfied",
            comment=comment or "",
        )
        commit(session)
        return matter

    lead = live_assignment(session, matter, matter.lead_department or "")
    lead.status = next_assignment_status(
        f"{matter.number}/{lead.department}", AssignmentStatus(lead.status), Action.unsatisfied
    )
    _, lead.due = clocks(app, matter, Role.lead, now)
    lead.clock_start = now
    lead.finished_at = None
    refresh_next_check(session, app, lead)
    session.add(lead)
    matter.reopen_count += 1
    matter.feedback_due = None
    matter.resolved_at = None
    event = record(
        session,
        matter,
        action="reopened",
        actor=CITIZEN,
        now=now,
        note=comment,
        department=lead.department,
        round=matter.reopen_count,
    )
    enqueue(
        session,
        app,
        matter,
        kind=NoticeKind.reopened,
        recipient=lead.department,
        step=event,
        assignment=lead,
        comment=comment or "",
    )
    commit(session)
    return matter


def close_without_feedback(
    *, session: Session, app: App, number: str, now: datetime
) -> Matter | None:
    """Close a resolved matter whose feedback window has passed (未反馈结案); else leave it."""
    matter = get_matter(session, number, lock=True)
    if matter.status != Status.resolved or matter.feedback_due is None or matter.feedback_due > now:
        session.rollback()
        return None
    matter.status = next_status(matter.number, Status(matter.status), Action.no_feedback)
    matter.feedback = "no_feedback"
    matter.closed_at = now
    event = record(session, matter, action="closed", actor="system", now=now, reason="no_feedback")
    enqueue(
        session,
        app,
        matter,
        kind=NoticeKind.closing,
        recipient=matter.lead_department or CENTER,
        step=event,
        closing="no_feedback",
        comment="",
    )
    commit(session)
    return matter


def feedback_overdue(*, session: Session, now: datetime, limit: int = 1000) -> list[str]:
    """Numbers of resolved matters whose feedback window has passed (indexed on feedback_due)."""
    query = (
        select(Matter.number)
        .where(col(Matter.feedback_due) <= now, Matter.status == Status.resolved)
        .order_by(col(Matter.feedback_due))
        .limit(limit)
    )
    return list(session.exec(query).all())


# An intake not referred after this long lost its follow-up (a crashed process): the sweep
# refers it.
STUCK_AFTER = timedelta(minutes=2)


def stuck_in_intake(
    *, session: Session, now: datetime, older_than: timedelta = STUCK_AFTER
) -> list[str]:
    """Numbers of matters still only received after a while: their intake flow never finished."""
    query = select(Matter.number).where(
        Matter.status == Status.received, col(Matter.created_at) <= now - older_than
    )
    return list(session.exec(query).all())
