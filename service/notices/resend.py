"""Re-sending a dead notice: the center puts it back in the outbox once its channel is mended.

RECONCILE: another branch adds `whistle notices resend ID` with its own service function (and a
`resent_at` column). This module is the workbench's stand-in with the same effect and no schema
change; the integrator keeps one of the two and points the center's page (web/center.py) at it.

The notice goes back to `pending` with its attempts counted afresh, so delivery (the engine, or
the acting process through `engine.follow.after_action`) sends it on the channels that did not
take it yet. The step is on the matter's timeline (`notice_resent`), by the center.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from models.refusals import Code, NotFound, Refused
from models.tables import Citizen, Matter, Notice
from service.store.evidence import lock
from service.store.matters import CENTER, CITIZEN, commit, record

if TYPE_CHECKING:
    from service.app import App

RESENT = "notice_resent"


def resend_dead_notice(*, session: Session, app: App, notice_id: int, now: datetime) -> Notice:
    """Put one dead notice back in the outbox; the caller then has it delivered. A notice that is
    not dead (pending, sent, being retried) is refused, so a double click sends nothing twice."""
    found = session.get(Notice, notice_id)
    if found is None:
        raise NotFound(Code.no_notice, id=notice_id)
    matter = session.get(Matter, found.matter_id) if found.matter_id is not None else None
    if matter is not None:
        lock(session, matter)  # the matter first, as every action locks, then the notice
    notice = session.exec(
        select(Notice)
        .where(Notice.id == notice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if notice.status != "dead":
        session.rollback()
        raise Refused(Code.notice_not_dead, id=notice_id, state=notice.status)
    if notice.recipient == CITIZEN and matter is not None:
        citizen = session.get(Citizen, matter.citizen_id)
        if citizen is None or citizen.erased_at is not None:
            session.rollback()
            raise Refused(Code.notice_erased, id=notice_id)
    notice.status = "pending"
    notice.attempts = 0
    notice.first_attempt_at = notice.next_attempt_at = notice.claimed_at = None
    session.add(notice)
    if matter is not None:
        record(
            session,
            matter,
            action=RESENT,
            actor=CENTER,
            now=now,
            department=None if notice.recipient == CITIZEN else notice.recipient,
            notice=notice.id,
            kind=notice.kind,
            recipient=notice.recipient,
        )
    commit(session)
    return notice


__all__ = ["RESENT", "resend_dead_notice"]
