"""Extensions (延期): a department asks for more time with a reason; the center decides.

An approved extension moves the part's due time on from its current due time (working days
on the calendar); the district may cap how many and how long per category (petitions: once,
30 days at most, as the Letters and Visits regulation allows).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from models.deadlines import describe_duration, due_at
from models.durations import Duration
from models.lookup import department_code
from models.refusals import Code, Invalid, Issue, Refused
from models.status import AssignmentStatus, ExtensionStatus
from models.tables import Extension, Matter
from notifications.kinds import NoticeKind
from service.actions.escalation import refresh_next_check
from service.app import App
from service.inputs import note
from service.notices.outbox import enqueue
from service.store.matters import CENTER, commit, get_matter, live_assignment, record

# No extension is longer than a year: a longer one is a typo, and working days are counted one
# by one on the calendar (a huge number would hold the action for minutes, then overflow).
LONGEST = {"minutes": 525_600, "hours": 8_760, "days": 366, "working_days": 250}


def _pending(session: Session, part_id: int) -> Extension | None:
    return session.exec(
        select(Extension).where(
            Extension.assignment_id == part_id, Extension.status == ExtensionStatus.pending
        )
    ).first()


def request_extension(
    *,
    session: Session,
    app: App,
    number: str,
    department: str,
    length: str,
    reason: str,
    now: datetime,
) -> Matter:
    """A department asks for `length` more (e.g. 5wd); the center is told."""
    department = department_code(app.config, department)
    text = note(reason, "reason")
    try:
        wanted = Duration.parse(length)
    except Invalid as exc:
        raise Refused(Code.invalid_input, fields=[Issue("length", exc.code, exc.params)]) from None
    if wanted.amount > LONGEST[wanted.unit]:
        raise Refused(Code.longer_than_year, field="length", value=str(wanted))
    matter = get_matter(session, number, lock=True)
    part = live_assignment(session, matter, department)
    if (
        part.status not in (AssignmentStatus.referred, AssignmentStatus.acknowledged)
        or part.due is None
    ):
        raise Refused(
            Code.nothing_to_extend,
            number=matter.number,
            department=department,
            status=part.status,
            kind="assignment",
        )
    assert part.id is not None
    if _pending(session, part.id):
        raise Refused(Code.extension_pending, number=matter.number, department=department)
    limits = app.config.deadlines.categories.get(matter.category)
    if limits and limits.max_extension and _longer(app, wanted, limits.max_extension, part.due):
        raise Refused(
            Code.extension_too_long,
            field="length",
            most=str(limits.max_extension),
            category=matter.category,
        )
    if limits and limits.max_extensions is not None:
        approved = session.exec(
            select(Extension.id).where(
                Extension.assignment_id == part.id, Extension.status == ExtensionStatus.approved
            )
        ).all()
        if len(approved) >= limits.max_extensions:
            raise Refused(
                Code.extensions_used,
                number=matter.number,
                category=matter.category,
                limit=limits.max_extensions,
            )
    session.add(Extension(assignment_id=part.id, length=str(wanted), reason=text, requested_at=now))
    event = record(
        session,
        matter,
        action="extension_requested",
        actor=department,
        department=department,
        note=text,
        now=now,
        length=str(wanted),
    )
    enqueue(
        session,
        app,
        matter,
        kind=NoticeKind.extension_request,
        recipient=CENTER,
        step=event,
        assignment=part,
        department=department,
        reason=text,
        length=describe_duration(wanted, "zh"),
    )
    commit(session)
    return matter


def decide_extension(
    *,
    session: Session,
    app: App,
    number: str,
    department: str,
    approve: bool,
    note_text: str,
    now: datetime,
) -> Matter:
    """The center approves (the due time moves on) or refuses; the department is told."""
    department = department_code(app.config, department)
    text = note(note_text, "note")
    matter = get_matter(session, number, lock=True)
    part = live_assignment(session, matter, department)
    assert part.id is not None
    pending = _pending(session, part.id)
    if pending is None:
        raise Refused(Code.no_extension_pending, number=matter.number, department=department)
    pending.status, pending.decided_at, pending.decision_note = (
        "approved" if approve else "refused",
        now,
        text,
    )
    session.add(pending)
    old_due = part.due
    if approve and part.due is not None:
        part.due = due_at(part.due, Duration.parse(pending.length), app.calendar)
        refresh_next_check(session, app, part)
    event = record(
        session,
        matter,
        action="extension_approved" if approve else "extension_refused",
        actor=CENTER,
        department=department,
        note=text,
        now=now,
        length=pending.length,
        due_from=old_due.isoformat() if old_due else None,
        due_to=part.due.isoformat() if part.due else None,
    )
    enqueue(
        session,
        app,
        matter,
        kind=NoticeKind.extension_decision,
        recipient=department,
        step=event,
        assignment=part,
        approved=approve,
        reason=text,
        due=part.due,
    )
    commit(session)
    return matter


def _longer(app: App, wanted: Duration, cap: Duration, start: datetime) -> bool:
    return due_at(start, wanted, app.calendar) > due_at(start, cap, app.calendar)


__all__ = ["decide_extension", "request_extension"]
