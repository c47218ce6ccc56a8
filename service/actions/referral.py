"""Referring a matter (吹哨/转办): by the routing rules or by the center's hand."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models.deadlines import clock_windows, due_at
from models.lookup import department_code
from models.refusals import Code, Refused
from models.routing import NoRoute, route
from models.status import (
    ACTIVE_ASSIGNMENT,
    Action,
    AssignmentStatus,
    Role,
    Status,
    next_assignment_status,
    next_status,
)
from models.tables import Assignment, Matter
from notifications.kinds import NoticeKind
from service.actions.escalation import refresh_next_check
from service.app import App
from service.notices.outbox import enqueue
from service.store.matters import (
    CENTER,
    SYSTEM,
    assignments_of,
    commit,
    get_matter,
    record,
)


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
        raise Refused(Code.no_route, category=exc.category, tier=exc.tier, town=exc.town) from None
    return found.lead, found.co


def clocks(app: App, matter: Matter, role: str, now: datetime) -> tuple[datetime, datetime]:
    """Acknowledgement and resolution (or co-report) due times for a part starting now."""
    ack, window = clock_windows(
        app.config.deadlines, colour=matter.colour, category=matter.category, role=role
    )
    return due_at(now, ack, app.calendar), due_at(now, window, app.calendar)


def _first_response_due(app: App, matter: Matter, role: str, now: datetime) -> datetime | None:
    """Leads of colours with a first-response window (red: 2 h) must report progress by then."""
    window = app.config.deadlines.first_response.get(matter.colour)  # type: ignore[call-overload]
    if role != Role.lead or window is None:
        return None
    return due_at(now, window, app.calendar)


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
    if actor not in (CENTER, SYSTEM) and actor not in app.config.departments:
        raise Refused(Code.unknown_actor, field="actor", value=actor)
    lead = department_code(app.config, lead, "lead")  # codes, or exact names
    co = list(dict.fromkeys(department_code(app.config, c, "co") for c in co if c))
    if lead in co:
        raise Refused(Code.lead_and_co, field="co", department=lead)
    new_status = next_status(matter.number, Status(matter.status), Action.refer)

    current = [a for a in assignments_of(session, matter) if a.status in ACTIVE_ASSIGNMENT]
    wanted = {(lead, Role.lead.value)} | {(c, Role.co.value) for c in co}
    held = {(a.department, a.role) for a in current}
    if wanted == held and matter.status in (Status.referred, Status.in_progress):
        session.rollback()
        raise Refused(Code.already_referred, number=matter.number)

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
        ack_due, due = clocks(app, matter, role, now)
        assignment = Assignment(
            matter_id=matter.id,  # type: ignore[arg-type]
            department=department,
            role=role,
            status=AssignmentStatus.referred,
            round=round_no,
            assigned_at=now,
            clock_start=now,
            first_response_due=_first_response_due(app, matter, role, now),
            ack_due=ack_due,
            due=due,
        )
        session.add(assignment)
        added.append(assignment)

    # A lead that keeps its part after acknowledging goes on handling: 'referred' would wait
    # for an acknowledgement it can no longer give, and the matter could never be resolved.
    kept = [a for a in current if (a.department, a.role) == (lead, Role.lead.value)]
    handling = bool(kept) and kept[0].status == AssignmentStatus.acknowledged
    matter.status = Status.in_progress if handling else new_status
    matter.lead_department = lead
    event = record(
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
    for assignment in added + current:
        refresh_next_check(session, app, assignment)
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
    commit(session)
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
