"""Delivering the outbox: claim a notice, send it, record the result; never send one twice.

A notice is claimed by a conditional update (pending → sending) that only one worker can win,
then sent, then marked sent (with a `notified` timeline event) or failed with its error and a
next attempt time from the district's delivery rules; when those are spent it is dead, and the
center sees it in `whistle notices --failed` (and may re-send it once: whistle/service/notices.py).
Each channel that takes the notice is recorded at once, so a claim left behind by a crash is
taken back after CLAIM_EXPIRY and sent only to the channels still missing: delivery is at least
once, and exactly once unless a process dies between a channel accepting a notice and the store
recording that one channel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.retry import next_attempt
from models.tables import Citizen, Matter, Notice
from notifications.send import ChannelConfigError, send
from service.app import App
from service.notices.channels import NoChannel, is_email, urls_for
from service.notices.links import signed
from service.store.db import session as open_session
from service.store.evidence import hold
from service.store.matters import record

CLAIM_EXPIRY = timedelta(minutes=10)


@dataclass(frozen=True)
class Outcome:
    notice_id: int
    kind: str
    recipient: str
    sent: bool
    error: str | None


def _ready(now: datetime) -> sa.ColumnElement[bool]:
    """Pending, failed and due again, or claimed by a worker that has not come back."""
    return sa.or_(
        col(Notice.status) == "pending",
        sa.and_(col(Notice.status) == "failed", col(Notice.next_attempt_at) <= now),
        sa.and_(col(Notice.status) == "sending", col(Notice.claimed_at) <= now - CLAIM_EXPIRY),
    )


def due_notices(session: Session, *, now: datetime, matter_id: int | None, limit: int) -> list[int]:
    """Ids of notices ready to send, oldest first."""
    query = select(Notice.id).where(_ready(now)).order_by(col(Notice.id)).limit(limit)
    if matter_id is not None:
        query = query.where(Notice.matter_id == matter_id)
    return [i for i in session.exec(query).all() if i is not None]


def _claim(session: Session, notice_id: int, now: datetime) -> bool:
    """Take a notice for sending; only one caller's conditional update can succeed."""
    result = session.execute(
        sa.update(Notice)
        .where(col(Notice.id) == notice_id, _ready(now))
        .values(status="sending", claimed_at=now)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _remember_channels(app: App, notice_id: int, done: list[int]) -> None:
    """Record at once that these channels have the notice: if this process dies before the
    notice is settled, whoever takes it over sends only to the channels still missing."""
    with open_session(app.engine) as session:
        session.execute(
            sa.update(Notice).where(col(Notice.id) == notice_id).values(delivered=sorted(done))
        )
        session.commit()


def _send_each(app: App, notice: Notice, urls: list[str]) -> tuple[bool, str | None]:
    """Send to every channel not yet reached; record each success in the store as it happens."""
    rules = app.config.channels.delivery
    errors = []
    done = list(notice.delivered)
    for index, url in enumerate(urls):
        if index in done:
            continue
        html = notice.html is not None and is_email(url)
        text = notice.html if html and notice.html else notice.body
        try:
            result = send(
                [url],
                subject=notice.subject,
                body=signed(app.settings, text, notice.link),  # the live link exists only here
                html=html,
                connect_timeout=rules.connect_timeout,
                read_timeout=rules.read_timeout,
            )
        except ChannelConfigError:
            errors.append(f"channel {index + 1} is not a valid notice URL")
            continue
        if result.ok:
            done.append(index)
            assert notice.id is not None
            _remember_channels(app, notice.id, done)
        else:  # send() numbers its one channel "channel 1"; say which of ours it was
            reason = re.sub(r"^channel \d+: ", "", result.error or "delivery failed")
            errors.append(f"channel {index + 1}: {reason}")
    notice.delivered = done
    return not errors, "; ".join(errors) or None


def deliver_one(app: App, notice_id: int, now: datetime) -> Outcome | None:
    """Send one notice if this caller wins its claim; None when someone else has it.

    No transaction stays open while a channel is being called, so a slow channel never holds
    the store (on SQLite, a transaction holds the one write lock).
    """
    with open_session(app.engine) as session:
        if not _claim(session, notice_id, now):
            return None
        notice = session.get(Notice, notice_id)
        assert notice is not None
        phone = None
        if notice.recipient == "citizen" and notice.matter_id is not None:
            matter = session.get(Matter, notice.matter_id)
            citizen = session.get(Citizen, matter.citizen_id) if matter else None
            phone = citizen.phone if citizen else None
        session.commit()
    try:
        urls = urls_for(app.config, notice.recipient, phone=phone)
        ok, error = _send_each(app, notice, urls)
    except NoChannel as exc:
        ok, error = False, str(exc)
    with open_session(app.engine) as session:
        # Lock the matter before touching the notice (the order every action takes), so the
        # `notified` event chains to the matter's last event (whistle/evidence.py).
        matter = None
        if notice.matter_id is not None:
            matter = session.exec(
                select(Matter)
                .where(Matter.id == notice.matter_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).first()
            hold(session, notice.matter_id)  # `record` then needs no second lock and read
        stored = session.get(Notice, notice_id)
        assert stored is not None
        stored.delivered = notice.delivered
        stored.attempts += 1
        stored.first_attempt_at = stored.first_attempt_at or now
        if ok:
            stored.status, stored.sent_at, stored.last_error = "sent", now, None
        if ok and matter is not None:
            record(
                session,
                matter,
                action="notified",
                actor="system",
                now=now,
                department=None if stored.recipient == "citizen" else stored.recipient,
                kind=stored.kind,
                recipient=stored.recipient,
                notice=stored.id,
            )
        if not ok:
            stored.last_error = (error or "delivery failed")[:500]
            stored.next_attempt_at = next_attempt(
                app.config.channels.delivery,
                attempts=stored.attempts,
                first_attempt_at=stored.first_attempt_at,
                now=now,
            )
            stored.status = "failed" if stored.next_attempt_at else "dead"
        session.add(stored)
        session.commit()
        return Outcome(notice_id, stored.kind, stored.recipient, ok, error)


def deliver_pending(
    app: App, *, now: datetime, matter_id: int | None = None, limit: int = 500
) -> list[Outcome]:
    """Deliver every notice that is ready (of one matter, or all); return what happened."""
    with open_session(app.engine) as session:
        ids = due_notices(session, now=now, matter_id=matter_id, limit=limit)
    outcomes = [deliver_one(app, notice_id, now) for notice_id in ids]
    return [o for o in outcomes if o is not None]
