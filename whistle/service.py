"""The service layer: every action on a matter, for every interface (CLI now, HTTP later).

Each function validates first, then writes the transition, its timeline event and the notices it
causes in one transaction, and commits. A refused action raises `Refused` and writes nothing.
The matter row is locked for the transaction (FOR UPDATE on PostgreSQL, an immediate write
transaction on SQLite), so two answers about one matter never overwrite each other.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.deadlines import clock_windows, due_at
from models.grading import Facts, grade
from models.routing import NoRoute, route
from models.status import (
    ACTIVE_ASSIGNMENT,
    Action,
    AssignmentStatus,
    Role,
    Status,
    TransitionRefused,
    next_assignment_status,
    next_status,
)
from models.tables import Assignment, Citizen, DaySequence, Event, Matter
from notifications.kinds import NoticeKind
from whistle import inputs
from whistle.app import App
from whistle.errors import NotFound, Refused
from whistle.inputs import IntakeRequest, Outcome, note
from whistle.outbox import enqueue

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


def _live_assignment(session: Session, matter: Matter, department: str) -> Assignment:
    live = [
        a
        for a in assignments_of(session, matter)
        if a.department == department and a.status in ACTIVE_ASSIGNMENT | {"resolved"}
    ]
    if not live:
        raise Refused(f"{matter.number}: department {department} is not assigned to this matter")
    return live[-1]


def _record(
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


def _commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Refused(f"the store refused the change ({exc.orig}); nothing was written") from None


# --- intake ------------------------------------------------------------------------------------


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


def register(*, session: Session, app: App, intake: IntakeRequest, now: datetime) -> Matter:
    """Register a matter (受理): check it, grade it with the four colours, store it."""
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
            f"flag: unknown flag(s) {', '.join(unknown)} (known: {', '.join(config.flags)})"
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
    _record(
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
    _commit(session)
    return matter


# --- referral (吹哨) ----------------------------------------------------------------------------


def proposed_route(app: App, matter: Matter) -> tuple[str, tuple[str, ...]]:
    """The lead and co-handlers the district's routing rules name for this matter."""
    try:
        found = route(
            app.config,
            category=matter.category,
            tier=matter.tier,
            town=matter.town,
            village=matter.village,
        )
    except NoRoute as exc:
        raise Refused(str(exc)) from None
    return found.lead, found.co


def _clocks(app: App, matter: Matter, role: str, now: datetime) -> tuple[datetime, datetime]:
    """Acknowledgement and resolution (or co-report) due times for a part starting now."""
    ack, window = clock_windows(
        app.config.deadlines, colour=matter.colour, category=matter.category, role=role
    )
    return due_at(now, ack, app.calendar), due_at(now, window, app.calendar)


def refer(
    *,
    session: Session,
    app: App,
    number: str,
    lead: str,
    co: list[str],
    actor: str,
    now: datetime,
    only_if_received: bool = False,
) -> Matter | None:
    """Refer (or re-route) a matter to one lead and any co-handlers, and notify them.

    Departments already holding the same part keep it (and are not notified again); parts
    not in the new set are withdrawn. With `only_if_received`, a matter that has moved on is
    left alone and None is returned: that is how a re-run of the intake flow stays harmless.
    """
    matter = get_matter(session, number, lock=True)
    if only_if_received and matter.status != Status.received:
        session.rollback()
        return None
    co = list(dict.fromkeys(c for c in co if c))
    for code in [lead, *co]:
        if code not in app.config.departments:
            raise Refused(f"department: unknown department '{code}'")
    if lead in co:
        raise Refused(f"department: {lead} cannot be lead and co-handler at once")
    new_status = next_status(matter.number, Status(matter.status), Action.refer)

    current = [a for a in assignments_of(session, matter) if a.status in ACTIVE_ASSIGNMENT]
    wanted = {(lead, Role.lead.value)} | {(c, Role.co.value) for c in co}
    held = {(a.department, a.role) for a in current}
    if wanted == held and matter.status in (Status.referred, Status.in_progress):
        session.rollback()
        raise Refused(f"{matter.number} is already referred to exactly these departments")

    round_no = max((a.round for a in assignments_of(session, matter)), default=0) + 1
    for assignment in current:
        if (assignment.department, assignment.role) not in wanted:
            assignment.status = next_assignment_status(
                f"{matter.number}/{assignment.department}",
                AssignmentStatus(assignment.status),
                Action.refer,
            )
            assignment.finished_at = now
            session.add(assignment)
    session.flush()  # the withdrawn lead must leave before the new one arrives (one live lead)

    added: list[Assignment] = []
    for department, role in [(lead, Role.lead.value)] + [(c, Role.co.value) for c in co]:
        if (department, role) in held:
            continue
        ack_due, due = _clocks(app, matter, role, now)
        assignment = Assignment(
            matter_id=matter.id,  # type: ignore[arg-type]
            department=department,
            role=role,
            status=AssignmentStatus.referred,
            round=round_no,
            assigned_at=now,
            ack_due=ack_due,
            due=due,
        )
        session.add(assignment)
        added.append(assignment)

    matter.status = new_status
    matter.lead_department = lead
    event = _record(
        session,
        matter,
        action="referred",
        actor=actor,
        now=now,
        lead=lead,
        co=co,
        round=round_no,
        withdrawn=[a.department for a in current if (a.department, a.role) not in wanted],
    )
    session.flush()
    for assignment in added:
        kind = NoticeKind.referral if assignment.role == Role.lead else NoticeKind.co_handling
        enqueue(
            session,
            app,
            matter,
            kind=kind,
            recipient=assignment.department,
            step=event,
            assignment=assignment,
        )
    _commit(session)
    return matter


def refer_by_rules(*, session: Session, app: App, number: str, now: datetime) -> Matter | None:
    """Refer a freshly received matter as the routing rules say; no-op once it has moved on."""
    matter = get_matter(session, number)
    if matter.status != Status.received:
        return None
    lead, co = proposed_route(app, matter)
    return refer(
        session=session,
        app=app,
        number=number,
        lead=lead,
        co=list(co),
        actor="system",
        now=now,
        only_if_received=True,
    )


# --- department answers ------------------------------------------------------------------------


def _assignment_step(
    session: Session, matter: Matter, department: str, action: Action
) -> Assignment:
    assignment = _live_assignment(session, matter, department)
    assignment.status = next_assignment_status(
        f"{matter.number}/{department}", AssignmentStatus(assignment.status), action
    )
    session.add(assignment)
    return assignment


def acknowledge(
    *, session: Session, app: App, number: str, department: str, now: datetime
) -> Matter:
    """A department acknowledges (签收/报到) its part; the lead's doing so starts handling."""
    matter = get_matter(session, number, lock=True)
    assignment = _assignment_step(session, matter, department, Action.acknowledge)
    assignment.acknowledged_at = now
    if assignment.role == Role.lead:
        matter.status = next_status(matter.number, Status(matter.status), Action.acknowledge)
    _record(
        session,
        matter,
        action="acknowledged",
        actor=department,
        department=department,
        now=now,
        role=assignment.role,
    )
    _commit(session)
    return matter


def progress(
    *, session: Session, app: App, number: str, department: str, note: str, now: datetime
) -> Matter:
    """A department reports how handling goes (进展); the matter's status does not change."""
    text = inputs.note(note, "note")
    matter = get_matter(session, number, lock=True)
    if matter.status not in (Status.referred, Status.in_progress):
        next_status(matter.number, Status(matter.status), Action.progress)  # raises with a hint
    _assignment_step(session, matter, department, Action.progress)
    _record(
        session,
        matter,
        action="progress",
        actor=department,
        department=department,
        note=text,
        now=now,
    )
    _commit(session)
    return matter


def return_matter(
    *, session: Session, app: App, number: str, department: str, reason: str, now: datetime
) -> Matter:
    """A department sends its part back as not its business (退回); the center is told."""
    text = note(reason, "reason")
    matter = get_matter(session, number, lock=True)
    assignment = _assignment_step(session, matter, department, Action.return_)
    assignment.finished_at = now
    if assignment.role == Role.lead:
        matter.status = next_status(matter.number, Status(matter.status), Action.return_)
        matter.lead_department = None
    event = _record(
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
    _commit(session)
    return matter


def report(
    *, session: Session, app: App, number: str, department: str, note: str, now: datetime
) -> Matter:
    """A co-handler files its part (报送) for the lead to build on."""
    text = inputs.note(note, "note")
    matter = get_matter(session, number, lock=True)
    assignment = _live_assignment(session, matter, department)
    if assignment.role != Role.co:
        raise Refused(
            f"{matter.number}: {department} leads this matter; the lead resolves it, "
            "co-handlers report"
        )
    _assignment_step(session, matter, department, Action.report)
    assignment.finished_at = now
    _record(
        session,
        matter,
        action="reported",
        actor=department,
        department=department,
        note=text,
        now=now,
    )
    _commit(session)
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
    try:
        result = Outcome(outcome)
    except ValueError:
        known = ", ".join(o.value for o in Outcome)
        raise Refused(f"outcome: unknown outcome '{outcome}' (known: {known})") from None
    text = inputs.note(note, "note")
    matter = get_matter(session, number, lock=True)
    assignment = _live_assignment(session, matter, department)
    if assignment.role != Role.lead:
        raise Refused(
            f"{matter.number}: only the lead department ({matter.lead_department}) "
            "resolves; a co-handler reports its part"
        )
    new_status = next_status(matter.number, Status(matter.status), Action.resolve)
    pending = [
        a.department
        for a in assignments_of(session, matter)
        if a.role == Role.co
        and a.status in (AssignmentStatus.referred, AssignmentStatus.acknowledged)
    ]
    if pending:
        raise Refused(f"{matter.number}: co-handler(s) {', '.join(pending)} have not reported yet")
    matter.status = new_status
    _assignment_step(session, matter, department, Action.resolve)
    assignment.finished_at = now
    matter.outcome = result.value
    matter.outcome_note = text
    matter.resolved_at = now
    matter.feedback = None
    matter.feedback_due = due_at(now, app.config.deadlines.feedback, app.calendar)
    event = _record(
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
    enqueue(
        session,
        app,
        matter,
        kind=NoticeKind.feedback_request,
        recipient=CITIZEN,
        step=event,
        department=department,
    )
    _commit(session)
    return matter


# --- citizen feedback and closing --------------------------------------------------------------


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
        event = _record(
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
        _commit(session)
        return matter

    lead = _live_assignment(session, matter, matter.lead_department or "")
    lead.status = next_assignment_status(
        f"{matter.number}/{lead.department}", AssignmentStatus(lead.status), Action.unsatisfied
    )
    _, lead.due = _clocks(app, matter, Role.lead, now)
    lead.finished_at = None
    session.add(lead)
    matter.reopen_count += 1
    matter.feedback_due = None
    matter.resolved_at = None
    event = _record(
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
    _commit(session)
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
    event = _record(session, matter, action="closed", actor="system", now=now, reason="no_feedback")
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
    _commit(session)
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


def stuck_in_intake(*, session: Session, now: datetime, older_than: timedelta) -> list[str]:
    """Numbers of matters still only received after a while: their intake flow never finished."""
    query = select(Matter.number).where(
        Matter.status == Status.received, col(Matter.created_at) <= now - older_than
    )
    return list(session.exec(query).all())


__all__ = [
    "CENTER",
    "CITIZEN",
    "TransitionRefused",
    "acknowledge",
    "close_without_feedback",
    "feedback",
    "get_matter",
    "progress",
    "refer",
    "refer_by_rules",
    "register",
    "report",
    "resolve",
    "return_matter",
]
