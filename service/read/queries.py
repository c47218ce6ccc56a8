"""Read-only queries for lists; they never import flows."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from messages import label
from messages.labels import LABELS
from models.lookup import department_code, labelled_code
from models.refusals import Code
from models.tables import Assignment, Matter, Notice
from service.app import App


def list_matters(
    session: Session,
    app: App,
    *,
    status: str | None = None,
    department: str | None = None,
    colour: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Matters, newest first, filtered by status, colour or a department's live part; each with
    its codes and, for people, their labels and names. Filters take a code or its label/name."""
    config, lang = app.config, app.language
    if status:
        status = labelled_code(status, LABELS["status"], Code.unknown_status, "status", "status")
    if colour:
        colour = labelled_code(colour, LABELS["colour"], Code.unknown_colour, "colour", "colour")
    if department:
        department = department_code(config, department)
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
            "status_label": label("status", m.status, lang),
            "colour": m.colour,
            "colour_label": label("colour", m.colour, lang),
            "category": m.category,
            "category_label": config.category_name(m.category, lang),
            "tier": m.tier,
            "area": m.area,
            "area_name": config.area_name(m.area, lang),
            "lead_department": m.lead_department,
            "lead_name": config.department_name(m.lead_department, lang)
            if m.lead_department
            else None,
            "title": m.title,
        }
        for m in session.exec(query).all()
    ]


def overdue_now(session: Session) -> list[dict[str, Any]]:
    """Live parts that have reached an escalation step, by department and furthest level."""
    from models.ladder import Level, highest
    from models.tables import LadderStep

    rows = session.exec(
        select(Assignment.id, Assignment.department, LadderStep.level)
        .join(LadderStep, col(LadderStep.assignment_id) == Assignment.id)
        .join(Matter, col(Matter.id) == Assignment.matter_id)
        .where(
            col(Assignment.status).in_(["referred", "acknowledged"]),
            col(Matter.status).in_(["referred", "in_progress", "returned"]),
        )
    ).all()
    levels: dict[tuple[int | None, str], set[Level]] = {}
    for part_id, department, level in rows:
        levels.setdefault((part_id, department), set()).add(Level(level))
    counts: dict[tuple[str, str], int] = {}
    for (_, department), reached in levels.items():
        top = highest(reached)
        if top is not None and top is not Level.reminder:  # a reminder is not yet overdue
            counts[(department, top.value)] = counts.get((department, top.value), 0) + 1
    return [{"department": d, "level": lv, "parts": n} for (d, lv), n in sorted(counts.items())]


def overdue_table(app: App, rows: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """The overdue counts as a supervisor reads them: department names, levels in words
    (催办, 督办, 通报), column headers in the language; one row saying none when none."""

    def heading(key: str) -> str:
        return label("column", key, language)

    if not rows:
        return [{heading("department"): "—", heading("level"): "—", heading("parts"): 0}]
    return [
        {
            heading("department"): app.config.department_name(r["department"], language),
            heading("level"): label("level", r["level"], language),
            heading("parts"): r["parts"],
        }
        for r in rows
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
            "resent_at": n.resent_at.isoformat() if n.resent_at else None,
        }
        for n, num in rows
    ]
