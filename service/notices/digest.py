"""The per-department daily digest: what waits for each department, what is overdue."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models.status import ACTIVE_ASSIGNMENT, AssignmentStatus
from models.tables import Assignment, Matter
from service.app import App
from service.notices.outbox import enqueue_digest


def queues(session: Session, *, department: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Each department's live parts of open matters, with the due time that matters now."""
    query = (
        select(Assignment, Matter)
        .join(Matter, col(Matter.id) == Assignment.matter_id)
        .where(
            col(Assignment.status).in_([s.value for s in ACTIVE_ASSIGNMENT]),
            col(Matter.status).in_(["referred", "in_progress"]),
        )
        .order_by(col(Assignment.id))
    )
    if department:
        query = query.where(Assignment.department == department)
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for part, matter in session.exec(query).all():
        if part.status == AssignmentStatus.reported:
            continue  # a co-handler that filed its part has nothing left to do
        out[part.department].append(
            {
                "number": matter.number,
                "category": matter.category,
                "colour": matter.colour,
                "role": part.role,
                "status": part.status,
                "due": part.ack_due if part.status == AssignmentStatus.referred else part.due,
            }
        )
    return dict(out)


def write_digests(
    session: Session, app: App, *, now: datetime, department: str | None = None
) -> list[str]:
    """Write today's digest for every department with work waiting; return those written."""
    written = []
    for code, items in sorted(queues(session, department=department).items()):
        if enqueue_digest(session, app, department=code, items=items, now=now) is not None:
            written.append(code)
    session.commit()
    return written
