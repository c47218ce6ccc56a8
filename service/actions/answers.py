"""Department answers: acknowledge, progress, return, report, resolve."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models.deadlines import due_at
from models.lookup import department_code
from models.refusals import Code, Refused
from models.status import (
    Action,
    AssignmentStatus,
    Role,
    Status,
    next_assignment_status,
    next_status,
)
from models.tables import Assignment, Matter
from notifications.kinds import NoticeKind
from service import inputs
from service.actions.escalation import refresh_next_check
from service.app import App
from service.inputs import Outcome, note
from service.notices.outbox import enqueue
from service.store.matters import (
    CENTER,
    CITIZEN,
    SYSTEM,
    assignments_of,
    commit,
    get_matter,
    live_assignment,
    record,
)

ANONYMOUS = "anonymous"  # the feedback of a matter closed because nobody can be asked


def assignment_step(
    session: Session, app: App, matter: Matter, department: str, action: Action, now: datetime
) -> Assignment:
    """Move one department's part; its clocks (and so the sweep's next look) follow."""
    assignment = live_assignment(session, matter, department)
    assignment.status = next_assignment_status(
        f"{matter.number}/{department}", AssignmentStatus(assignment.status), action
    )
    if action in (Action.progress, Action.report, Action.resolve):
        assignment.first_response_at = assignment.first_response_at or now
    refresh_next_check(session, app, assignment)
    return assignment


def acknowledge(
    *, session: Session, app: App, number: str, department: str, now: datetime
) -> Matter:
    """A department acknowledges (签收/报到) its part; the lead's doing so starts handling."""
    department = department_code(app.config, department)
    matter = get_matter(session, number, lock=True)
    assignment = assignment_step(session, app, matter, department, Action.acknowledge, now)
    assignment.acknowledged_at = now
    if assignment.role == Role.lead:
        matter.status = next_status(matter.number, Status(matter.status), Action.acknowledge)
    record(
        session,
        matter,
        action="acknowledged",
        actor=department,
        department=department,
        now=now,
        role=assignment.role,
    )
    commit(session)
    return matter


def progress(
    *, session: Session, app: App, number: str, department: str, note: str, now: datetime
) -> Matter:
    """A department reports how handling goes (进展); the matter's status does not change."""
    department = department_code(app.config, department)
    text = inputs.note(note, "note")
    matter = get_matter(session, number, lock=True)
    if matter.status not in (Status.referred, Status.in_progress):
        next_status(matter.number, Status(matter.status), Action.progress)  # raises with a hint
    assignment_step(session, app, matter, department, Action.progress, now)
    record(
        session,
        matter,
        action="progress",
        actor=department,
        department=department,
        note=text,
        now=now,
    )
    commit(session)
    return matter


def return_matter(
    *, session: Session, app: App, number: str, department: str, reason: str, now: datetime
) -> Matter:
    """A department sends its part back as not its business (退回); the center is told."""
    department = department_code(app.config, department)
    text = note(reason, "reason")
    matter = get_matter(session, number, lock=True)
    assignment = assignment_step(session, app, matter, department, Action.return_, now)
    assignment.finished_at = now
    if assignment.role == Role.lead:
        matter.status = next_status(matter.number, Status(matter.status), Action.return_)
        matter.lead_department = None
    event = record(
        session,
        matter,
        action="returned",
        actor=department,
        department=department,
        note=text,
        now=now,
        role=assignment.role,
    )
    enqueue(
        session,
        app,
        matter,
        kind=NoticeKind.returned,
        recipient=CENTER,
        step=event,
        department=department,
        reason=text,
    )
    commit(session)
    return matter


def report(
    *, session: Session, app: App, number: str, department: str, note: str, now: datetime
) -> Matter:
    """A co-handler files its part (报送) for the lead to build on."""
    department = department_code(app.config, department)
    text = inputs.note(note, "note")
    matter = get_matter(session, number, lock=True)
    assignment = live_assignment(session, matter, department)
    if assignment.role != Role.co:
        raise Refused(Code.lead_resolves, number=matter.number, department=department)
    assignment_step(session, app, matter, department, Action.report, now)
    assignment.finished_at = now
    record(
        session,
        matter,
        action="reported",
        actor=department,
        department=department,
        note=text,
        now=now,
    )
    commit(session)
    return matter


def resolve(
    *,
    session: Session,
    app: App,
    number: str,
    department: str,
    outcome: str,
    note: str,
    now: datetime,
) -> Matter:
    """The lead resolves the matter (办结); the center is told, the citizen asked for feedback."""
    department = department_code(app.config, department)
    try:
        result = Outcome(outcome)
    except ValueError:
        raise Refused(
            Code.unknown_outcome,
            field="outcome",
            kind="outcome",
            value=outcome,
            known=[o.value for o in Outcome],
        ) from None
    text = inputs.note(note, "note")
    matter = get_matter(session, number, lock=True)
    assignment = live_assignment(session, matter, department)
    if assignment.role != Role.lead:
        raise Refused(
            Code.only_lead_resolves, number=matter.number, lead=matter.lead_department or ""
        )
    new_status = next_status(matter.number, Status(matter.status), Action.resolve)
    pending = [
        a.department
        for a in assignments_of(session, matter)
        if a.role == Role.co
        and a.status in (AssignmentStatus.referred, AssignmentStatus.acknowledged)
    ]
    if pending:
        raise Refused(Code.co_not_reported, number=matter.number, departments=pending)
    matter.status = new_status
    assignment_step(session, app, matter, department, Action.resolve, now)
    assignment.finished_at = now
    matter.outcome = result.value
    matter.outcome_note = text
    matter.resolved_at = now
    matter.feedback = None
    matter.feedback_due = due_at(now, app.config.deadlines.feedback, app.calendar)
    event = record(
        session,
        matter,
        action="resolved",
        actor=department,
        department=department,
        note=text,
        now=now,
        outcome=result.value,
    )
    enqueue(
        session,
        app,
        matter,
        kind=NoticeKind.resolution,
        recipient=CENTER,
        step=event,
        department=department,
    )
    if matter.anonymous:
        close_anonymous(session, app, matter, now)
    else:
        enqueue(
            session,
            app,
            matter,
            kind=NoticeKind.feedback_request,
            recipient=CITIZEN,
            step=event,
            department=department,
        )
    commit(session)
    return matter


def close_anonymous(session: Session, app: App, matter: Matter, now: datetime) -> None:
    """匿名: nobody left a phone to be asked, so the resolution closes the matter at once; it is
    no feedback answer, and the statistics count it apart from the 满意率."""
    matter.status = next_status(matter.number, Status(matter.status), Action.no_feedback)
    matter.feedback = ANONYMOUS
    matter.feedback_due = None
    matter.closed_at = now
    event = record(session, matter, action="closed", actor=SYSTEM, now=now, reason=ANONYMOUS)
    enqueue(
        session,
        app,
        matter,
        kind=NoticeKind.closing,
        recipient=matter.lead_department or CENTER,
        step=event,
        closing=ANONYMOUS,
        comment="",
    )


# --- citizen feedback and closing --------------------------------------------------------------
