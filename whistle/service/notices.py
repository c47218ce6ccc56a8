"""The center re-sends a dead notice: once, and only a dead one.

A notice is dead when its channels failed until the district's delivery rules gave up. Once the
channel is mended, the center sends it again with `whistle notices resend ID`. The notice goes
back to the outbox with a fresh give-up clock; channels that already had it are skipped. The
re-send is on the matter's timeline (who, which notice; never its text). A second re-send of the
same notice is refused: if it died again, the channel needs fixing, not another try.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from models.tables import Citizen, Matter, Notice
from whistle.errors import NotFound, Refused
from whistle.evidence import lock
from whistle.service.store import CENTER, commit, record

RESENT = "notice_resent"


def resend_notice(*, session: Session, notice_id: int, now: datetime) -> Notice:
    """Put a dead notice back in the outbox once; the caller then delivers it."""
    found = session.get(Notice, notice_id)
    if found is None:
        raise NotFound(f"no notice numbered {notice_id} (see whistle notices --failed)")
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
            f"notice {notice_id} was already re-sent once, at {notice.resent_at.isoformat()} "
            f"(now {notice.status}); mend its channel, it is not re-sent twice"
        )
    if notice.status != "dead":
        session.rollback()
        raise Refused(f"notice {notice_id} is {notice.status}; only a dead notice is re-sent")
    if notice.recipient == "citizen" and matter is not None:
        citizen = session.get(Citizen, matter.citizen_id)
        if citizen is None or citizen.erased_at is not None:
            session.rollback()
            raise Refused(
                f"notice {notice_id}: the citizen's personal data was erased; it cannot be sent"
            )
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
            department=None if notice.recipient == "citizen" else notice.recipient,
            notice=notice.id,
            kind=notice.kind,
            recipient=notice.recipient,
        )
    commit(session)
    return notice
