"""Moving running clocks to the calendar in force (`whistle calendar --recompute --apply`).

A due time is set when its clock starts and never moves by itself. When the calendar changes
(a package update, a year schedule added to holidays.yaml), the center can move the running
clocks to it: each matter in its own transaction, its row locked like any other action, each
moved clock recorded on the timeline (`deadline_recomputed`, with the old and new due time).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from service.actions.escalation import refresh_next_check
from service.app import App
from service.read.calendar import DUE_FIELD, Change, changes_of, recompute, running_parts
from service.store.matters import CENTER, commit, get_matter, record


def apply_recompute(*, session: Session, app: App, now: datetime) -> list[Change]:
    """Move every running clock the calendar now sets differently; return what moved."""
    planned = sorted({c.number for c in recompute(session, app)})
    session.rollback()  # end the read before taking the matters' locks one by one
    moved: list[Change] = []
    for number in planned:
        matter = get_matter(session, number, lock=True)
        assert matter.id is not None
        parts = running_parts(session, [matter.id])
        changes = changes_of(session, app, matter, parts)  # again, under the lock
        if not changes:
            session.rollback()
            continue
        by_id = {p.id: p for p in parts}
        for change in changes:
            part = by_id[change.part_id]
            setattr(part, DUE_FIELD[change.clock], change.due_to)
            session.add(part)
            record(
                session,
                matter,
                action="deadline_recomputed",
                actor=CENTER,
                now=now,
                department=part.department,
                clock=change.clock,
                window=change.window,
                due_from=change.due_from.isoformat(),
                due_to=change.due_to.isoformat(),
            )
        for part_id in {c.part_id for c in changes}:
            refresh_next_check(session, app, by_id[part_id])
        commit(session)
        moved += changes
    return moved


__all__ = ["apply_recompute"]
