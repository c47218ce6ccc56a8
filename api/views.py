"""Who may see which matter, and how much of it.

A department sees a matter only if it is, or was, assigned to it; to anyone else the matter does
not exist (404, the same answer as for a number never given out), so numbers cannot be probed.
The citizen's name, phone and ID number are shown in full to the center and to the lead
department; everyone else sees them masked and the citizen's details redacted from free text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from api.context import speaking
from api.errors import Problem
from api.i18n import say
from api.schemas import ExtensionItem, MatterView, QueueItem, WorkQueue
from models.grading import colour_label
from models.status import ENDED_ASSIGNMENT, AssignmentStatus, ExtensionStatus, Role
from models.tables import Assignment, Citizen, Extension, Matter
from notifications.masking import mask_name, mask_phone, redact
from service.actions import citizen_of, get_matter
from service.app import App
from service.errors import NotFound
from service.read.views import matter_document
from service.tokens import Caller

OPEN_MATTER = ("received", "referred", "in_progress", "returned")
RUNNING = ("referred", "acknowledged")


def visible_matter(s: Session, caller: Caller, number: str, lang: str) -> Matter:
    """The matter if the caller may see it; otherwise 404, worded as for a missing one."""
    missing = Problem(404, "not_found", say(lang, "not_found", number=number.strip().upper()))
    try:
        matter = get_matter(s, number)
    except NotFound:
        raise missing from None
    if caller.is_center:
        return matter
    held = s.exec(
        select(Assignment.id).where(
            Assignment.matter_id == matter.id, Assignment.department == caller.holder
        )
    ).first()
    if held is None:
        raise missing
    return matter


def role_of(s: Session, caller: Caller, matter: Matter) -> str:
    """center, lead, co or former: the caller's part in the matter now."""
    if caller.is_center:
        return "center"
    parts = s.exec(
        select(Assignment).where(
            Assignment.matter_id == matter.id, Assignment.department == caller.holder
        )
    ).all()
    live = [p for p in parts if p.status not in ENDED_ASSIGNMENT]
    if not live:
        return "former"
    return "lead" if any(p.role == Role.lead for p in live) else "co"


def privileged(caller: Caller, matter: Matter) -> bool:
    """May this caller see the citizen's personal data: the center and the current lead."""
    return caller.is_center or (caller.holder == matter.lead_department)


def matter_view(s: Session, app: App, caller: Caller, matter: Matter, lang: str) -> MatterView:
    """The matter for this caller, in the caller's language."""
    s.expire_all()
    s.refresh(matter)
    doc: dict[str, Any] = matter_document(s, speaking(app, lang), matter)
    citizen = citizen_of(s, matter)
    if privileged(caller, matter):
        doc["citizen"] = {
            "name": citizen.name,
            "phone": citizen.phone,
            "id_number": citizen.id_number,
            "masked": False,
        }
    else:
        doc["citizen"] = {
            "name": mask_name(citizen.name),
            "phone": mask_phone(citizen.phone),
            "id_number": None,
            "masked": True,
        }
        scrub = _scrubber(citizen)
        doc["title"], doc["description"] = scrub(doc["title"]), scrub(doc["description"])
        for event in doc["events"]:
            event["note"] = scrub(event["note"]) if event["note"] else event["note"]
    doc["your_role"] = role_of(s, caller, matter)
    return MatterView.model_validate(doc)


def _scrubber(citizen: Citizen) -> Callable[[str], str]:
    def scrub(text: str) -> str:
        return redact(text, name=citizen.name, phone=citizen.phone, id_number=citizen.id_number)

    return scrub


# --- the work queue ---------------------------------------------------------------------------


def work_queue(
    s: Session, app: App, caller: Caller, *, now: datetime, within: timedelta, limit: int, lang: str
) -> WorkQueue:
    """The caller's work at `now`: overdue, waiting, due soon and in hand (disjoint lists)."""
    zone = app.calendar.zone

    def iso(moment: datetime | None) -> str | None:
        return moment.astimezone(zone).isoformat() if moment else None

    query = (
        select(Assignment, Matter)
        .join(Matter, col(Matter.id) == Assignment.matter_id)
        .where(col(Assignment.status).in_(RUNNING), col(Matter.status).in_(OPEN_MATTER))
    )
    if not caller.is_center:
        query = query.where(Assignment.department == caller.holder)
    rows = s.exec(query.order_by(col(Assignment.id))).all()
    citizens = _citizens(s, [m.citizen_id for _, m in rows])

    def item(matter: Matter, part: Assignment | None, clock: datetime | None) -> QueueItem:
        title = matter.title
        if part is not None and not privileged(caller, matter):
            title = _scrubber(citizens[matter.citizen_id])(title)
        return QueueItem(
            number=matter.number,
            category=matter.category,
            category_label=app.config.category_name(matter.category, lang),
            colour=matter.colour,
            colour_label=colour_label(matter.colour, lang),
            status=matter.status,
            title=title,
            department=part.department if part else None,
            role=part.role if part else None,
            part_status=part.status if part else None,
            clock_due=iso(clock),
            ack_due=iso(part.ack_due) if part else None,
            due=iso(part.due) if part else None,
        )

    overdue: list[tuple[datetime, QueueItem]] = []
    waiting: list[tuple[datetime, QueueItem]] = []
    due_soon: list[tuple[datetime, QueueItem]] = []
    in_hand: list[tuple[datetime, QueueItem]] = []
    for part, matter in rows:
        clock = part.ack_due if part.status == AssignmentStatus.referred else part.due
        moment = clock or now + timedelta(days=36500)
        entry = (moment, item(matter, part, clock))
        if clock is not None and clock <= now:
            overdue.append(entry)
        elif part.status == AssignmentStatus.referred:
            (in_hand if caller.is_center else waiting).append(entry)
        elif clock is not None and clock <= now + within:
            due_soon.append(entry)
        else:
            in_hand.append(entry)
    extensions: list[ExtensionItem] = []
    if caller.is_center:
        waiting = [(m.created_at, item(m, None, None)) for m in _to_refer(s, limit)]
        extensions = _pending_extensions(s, app, limit)

    def first(entries: list[tuple[datetime, QueueItem]]) -> list[QueueItem]:
        return [i for _, i in sorted(entries, key=lambda e: e[0])][:limit]

    return WorkQueue(
        holder=caller.holder,
        as_of=now.astimezone(zone).isoformat(),
        overdue=first(overdue),
        waiting=first(waiting),
        due_soon=first(due_soon),
        in_hand=first(in_hand),
        extensions=extensions,
    )


def _citizens(s: Session, ids: list[int]) -> dict[int, Citizen]:
    if not ids:
        return {}
    rows = s.exec(select(Citizen).where(col(Citizen.id).in_(set(ids)))).all()
    return {c.id: c for c in rows if c.id is not None}


def _to_refer(s: Session, limit: int) -> list[Matter]:
    """Matters the center must route: never referred, or returned by their lead."""
    query = (
        select(Matter)
        .where(col(Matter.status).in_(["received", "returned"]))
        .order_by(col(Matter.created_at))
        .limit(limit)
    )
    return list(s.exec(query).all())


def _pending_extensions(s: Session, app: App, limit: int) -> list[ExtensionItem]:
    rows = s.exec(
        select(Extension, Assignment, Matter)
        .join(Assignment, col(Assignment.id) == Extension.assignment_id)
        .join(Matter, col(Matter.id) == Assignment.matter_id)
        .where(Extension.status == ExtensionStatus.pending)
        .order_by(col(Extension.requested_at))
        .limit(limit)
    ).all()
    zone = app.calendar.zone
    return [
        ExtensionItem(
            number=m.number,
            department=a.department,
            length=e.length,
            reason=e.reason,
            requested_at=e.requested_at.astimezone(zone).isoformat(),
        )
        for e, a, m in rows
    ]
