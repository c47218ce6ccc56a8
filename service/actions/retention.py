"""Personal data retention: once every matter of a citizen has been closed for the configured
period (config/retention.yaml), their name, phone and ID number are erased.

The citizen row keeps a placeholder and `erased_at`; where a matter's title, description or
outcome note, an extension's reason or a stored notice repeats them (in full or masked), the
text is replaced too. The matters themselves stay whole for the statistics, and each gets a
timeline event saying the personal data was erased (with the period, never the data).
Timeline events are evidence and are never rewritten, so notes and comments are left as they
were written. Running it again changes nothing.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.status import UNSENT_NOTICE, NoticeStatus, Status
from models.tables import Assignment, Citizen, Extension, IdempotencyRecord, Matter, Notice
from notifications.masking import fold, mask_name, mask_phone, number_pattern, replace, text_pattern
from service.app import App
from service.store.matters import record

PLACEHOLDER = "已删除"
ERASED = "personal_data_erased"
UNDELIVERABLE = "personal data erased under the retention period; not sent"


def _scrubber(citizen: Citizen) -> list[tuple[re.Pattern[str], str]]:
    """What to replace in free text: the ID number first (it may hold the phone's digits),
    then the phone, then the name, each also in its masked form; the patterns match however
    the digits were written (notifications/masking.py folds full-width and other forms)."""
    found: list[tuple[re.Pattern[str], str]] = []
    if citizen.id_number and len(citizen.id_number.strip()) >= 6:
        found.append((number_pattern(citizen.id_number), PLACEHOLDER))
    digits = "".join(c for c in fold(citizen.phone) if c.isdigit())
    if len(digits) >= 5:
        found.append((number_pattern(citizen.phone), PLACEHOLDER))
        found.append((text_pattern(mask_phone(citizen.phone)), PLACEHOLDER))
    name = citizen.name.strip()
    if len(name) >= 2:
        found.append((text_pattern(name), PLACEHOLDER))
        found.append((text_pattern(mask_name(name)), PLACEHOLDER))
    return found


def _clean(text: str, patterns: list[tuple[re.Pattern[str], str]], limit: int = 0) -> str:
    for pattern, replacement in patterns:
        text = replace(text, pattern, replacement)
    return text[:limit] if limit else text


def _clean_optional(
    text: str | None, patterns: list[tuple[re.Pattern[str], str]], limit: int = 0
) -> str | None:
    return None if text is None else _clean(text, patterns, limit)


def _expired(session: Session, *, cutoff: datetime, after: int, limit: int) -> list[int]:
    """Citizens not yet erased whose every matter was closed on or before `cutoff`."""
    keeping = select(Matter.citizen_id).where(
        sa.or_(
            col(Matter.status) != Status.closed,
            col(Matter.closed_at).is_(None),
            col(Matter.closed_at) > cutoff,
        )
    )
    query = (
        select(Citizen.id)
        .where(
            col(Citizen.erased_at).is_(None),
            col(Citizen.id) > after,
            col(Citizen.id).in_(select(Matter.citizen_id)),
            col(Citizen.id).not_in(keeping),
        )
        .order_by(col(Citizen.id))
        .limit(limit)
    )
    return [i for i in session.exec(query).all() if i is not None]


def erase_citizen(
    session: Session, app: App, citizen_id: int, *, now: datetime, cutoff: datetime
) -> list[str]:
    """Erase one citizen's personal data if, under the lock, it has expired; return the
    numbers of their matters (none when a matter was reopened or it was done already)."""
    matters = list(
        session.exec(
            select(Matter)
            .where(Matter.citizen_id == citizen_id)
            .order_by(col(Matter.id))
            .with_for_update()
        ).all()
    )
    citizen = session.exec(
        select(Citizen).where(Citizen.id == citizen_id).with_for_update()
    ).first()
    expired = all(
        m.status == Status.closed and m.closed_at is not None and m.closed_at <= cutoff
        for m in matters
    )
    if citizen is None or citizen.erased_at is not None or not matters or not expired:
        session.rollback()
        return []
    patterns = _scrubber(citizen)
    ids = [m.id for m in matters]
    for matter in matters:
        matter.title = _clean(matter.title, patterns, 200)
        matter.description = _clean(matter.description, patterns)
        matter.outcome_note = _clean_optional(matter.outcome_note, patterns)
        matter.lat = matter.long = None  # the point an app sent may be the citizen's door
        session.add(matter)
    extensions = session.exec(
        select(Extension)
        .join(Assignment, col(Assignment.id) == Extension.assignment_id)
        .where(col(Assignment.matter_id).in_(ids))
    ).all()
    for extension in extensions:
        extension.reason = _clean(extension.reason, patterns)
        extension.decision_note = _clean_optional(extension.decision_note, patterns)
        session.add(extension)
    for notice in session.exec(select(Notice).where(col(Notice.matter_id).in_(ids))).all():
        notice.subject = _clean(notice.subject, patterns, 300)
        notice.body = _clean(notice.body, patterns)
        notice.html = _clean_optional(notice.html, patterns)
        notice.last_error = _clean_optional(notice.last_error, patterns, 500)
        if notice.recipient == "citizen" and notice.status in UNSENT_NOTICE:
            notice.status, notice.last_error, notice.next_attempt_at = (
                NoticeStatus.dead,
                UNDELIVERABLE,
                None,
            )
        session.add(notice)
    # The API's remembered answers about these matters may show the citizen in full.
    session.execute(sa.delete(IdempotencyRecord).where(col(IdempotencyRecord.matter_id).in_(ids)))
    citizen.name, citizen.phone, citizen.id_number = PLACEHOLDER, PLACEHOLDER, None
    citizen.erased_at = now
    session.add(citizen)
    period = str(app.config.retention.personal_data)
    for matter in matters:
        record(session, matter, action=ERASED, actor="system", now=now, period=period)
    session.commit()
    return [m.number for m in matters]


def erase_expired(*, session: Session, app: App, now: datetime, batch: int = 500) -> dict[str, Any]:
    """Erase every citizen whose personal data has outlived the retention period, and every
    Idempotency-Key past its own (shorter) one."""
    keys = forget_expired_keys(session=session, app=app, now=now)
    period = app.config.retention.personal_data
    cutoff = period.before(now)
    erased: list[str] = []
    citizens = 0
    after = 0
    while True:
        ids = _expired(session, cutoff=cutoff, after=after, limit=batch)
        session.rollback()  # end the read; each citizen is its own transaction
        if not ids:
            break
        for citizen_id in ids:
            numbers = erase_citizen(session, app, citizen_id, now=now, cutoff=cutoff)
            citizens += bool(numbers)
            erased += numbers
        after = ids[-1]
    return {
        "period": str(period),
        "cutoff": cutoff.isoformat(),
        "citizens": citizens,
        "matters": len(erased),
        "numbers": erased,
        "idempotency_keys": keys,
    }


def forget_expired_keys(*, session: Session, app: App, now: datetime) -> int:
    """Remove the API's remembered requests and answers older than `idempotency_keys`."""
    cutoff = now - app.config.retention.idempotency_window
    result = session.execute(
        sa.delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) <= cutoff)
    )
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
