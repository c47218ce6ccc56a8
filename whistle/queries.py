"""Read-only queries for lists; they never import flows."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from models.tables import Assignment, Matter, Notice
from whistle.app import App


def list_matters(
    session: Session,
    app: App,
    *,
    status: str | None = None,
    department: str | None = None,
    colour: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Matters, newest first, filtered by status, colour or a department's live part."""
    query = select(Matter).order_by(col(Matter.id).desc()).limit(limit)
    if status:
        query = query.where(Matter.status == status)
    if colour:
        query = query.where(Matter.colour == colour)
    if department:
        live = select(Assignment.matter_id).where(
            Assignment.department == department,
            col(Assignment.status).in_(["referred", "acknowledged", "reported", "resolved"]),
        )
        query = query.where(col(Matter.id).in_(live))
    return [
        {
            "number": m.number,
            "status": m.status,
            "colour": m.colour,
            "category": m.category,
            "tier": m.tier,
            "area": m.area,
            "lead_department": m.lead_department,
            "title": m.title,
        }
        for m in session.exec(query).all()
    ]


def notice_health(session: Session) -> dict[str, int]:
    """How many notices wait for another try (failed) and how many were given up (dead)."""
    rows = session.exec(
        select(Notice.status, func.count())
        .where(col(Notice.status).in_(["failed", "dead"]))
        .group_by(col(Notice.status))
    ).all()
    counts = {"failed": 0, "dead": 0}
    counts.update(dict(rows))
    return counts


def list_notices(
    session: Session, app: App, *, failed: bool = False, number: str | None = None
) -> list[dict[str, Any]]:
    """Outbox rows; with `failed`, only those not delivered (failed or dead)."""
    query = select(Notice, Matter.number).join(
        Matter, col(Matter.id) == Notice.matter_id, isouter=True
    )
    if failed:
        query = query.where(col(Notice.status).in_(["failed", "dead"]))
    if number:
        query = query.where(Matter.number == number.upper())
    rows = session.exec(query.order_by(col(Notice.id))).all()
    return [
        {
            "id": n.id,
            "number": num,
            "kind": n.kind,
            "recipient": n.recipient,
            "status": n.status,
            "attempts": n.attempts,
            "last_error": n.last_error,
            "subject": n.subject,
        }
        for n, num in rows
    ]
