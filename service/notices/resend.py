"""The center re-sends a dead notice: once, and only a dead one.

A notice is dead when its channels failed until the district's delivery rules gave up. Once the
channel is mended, the center sends it again (`whistle notices resend ID`, or the button on the
dispatch page). The notice goes back to the outbox with a fresh give-up clock; channels that
already had it are skipped. The re-send is on the matter's timeline (who, which notice; never its
text). A second re-send of the same notice is refused: if it died again, the channel needs
fixing, not another try; and a double click sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from models.refusals import Code, NotFound, Refused
from models.status import NoticeStatus
from models.tables import Citizen, Matter, Notice
from service.store.evidence import lock
from service.store.matters import CENTER, CITIZEN, commit, record

RESENT = "notice_resent"


def resend_notice(*, session: Session, notice_id: int, now: datetime) -> Notice:
    """Put a dead notice back in the outbox once; the caller then delivers it."""
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
    if notice.resent_at is not None:
        session.rollback()
        raise Refused(
            Code.notice_resent_once,
            id=notice_id,
            at=notice.resent_at.isoformat(),
            state=notice.status,
        )
    if notice.status != NoticeStatus.dead:
        session.rollback()
        raise Refused(Code.notice_not_dead, id=notice_id, state=notice.status)
    if notice.recipient == CITIZEN and matter is not None:
        citizen = session.get(Citizen, matter.citizen_id)
        if citizen is None or citizen.erased_at is not None:
            session.rollback()
            raise Refused(Code.notice_erased, id=notice_id)
    notice.status, notice.resent_at = "pending", now
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


__all__ = ["RESENT", "resend_notice"]
