"""`Idempotency-Key`: a write repeated with the same key returns the first answer, changes nothing.

The key is reserved (caller, key, fingerprint of the request) inside the action's own
transaction, so it exists exactly when the action committed, with the matter it was about. An
intake's answer (the new number) is written in that same transaction, so a client whose first
request died after the commit learns its number from the retry; another action's answer is
stored once its stage flow has run (or, if that never happened, made from the matter as it is).
A repeat with a different request under the same key is refused. Keys expire after
retention.yaml's `idempotency_keys` (a day), and go with the citizen's personal data.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Header, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.errors import Problem
from api.i18n import say
from models.tables import IdempotencyRecord
from service.app import App
from service.store.db import session

WAIT_FOR_FIRST = 15.0  # seconds a repeat waits for the first request's answer
ABANDONED_AFTER = timedelta(minutes=2)  # a reserved key without an answer this old lost it


@dataclass(frozen=True)
class Keyed:
    """The key a request came with and what the request was."""

    key: str
    fingerprint: str


async def keyed(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            pattern=r"^[\x21-\x7e]+$",
            description="Any unique string per action (e.g. a UUID). Repeating the action "
            "with the same key returns the first answer and changes nothing.",
        ),
    ] = None,
) -> Keyed | None:
    if idempotency_key is None:
        return None
    body = await request.body()
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return Keyed(idempotency_key, digest.hexdigest())


KeyedDep = Annotated[Keyed | None, Depends(keyed)]


def replay(record: IdempotencyRecord, media: str = "application/json") -> Response:
    assert record.status_code is not None and record.response is not None
    return Response(
        content=record.response,
        status_code=record.status_code,
        media_type=media,
        headers={"Idempotency-Replayed": "true"},
    )


def _find(app: App, caller: str, key: str, now: datetime) -> IdempotencyRecord | None:
    """The record of this key, unless it has expired (then it is forgotten here and now)."""
    cutoff = now - app.config.retention.idempotency_window
    with session(app.engine) as s:
        record = s.exec(
            select(IdempotencyRecord).where(
                IdempotencyRecord.caller == caller, IdempotencyRecord.key == key
            )
        ).first()
        if record is None or record.created_at > cutoff:
            return record
        s.rollback()  # end the read; the delete is a write transaction of its own
        s.execute(
            sa.delete(IdempotencyRecord).where(
                col(IdempotencyRecord.id) == record.id,
                col(IdempotencyRecord.created_at) <= cutoff,
            )
        )
        s.commit()
        return None


def earlier(
    app: App, caller: str, keyed: Keyed, lang: str, now: datetime, media: str = "application/json"
) -> Response | None:
    """The first answer for this key, waiting a little if the first request is still running;
    None when the key is new or expired (or its first request never committed an answer: see
    `Abandoned`)."""
    deadline = time.monotonic() + WAIT_FOR_FIRST
    while True:
        record = _find(app, caller, keyed.key, now)
        if record is None:
            return None
        if record.fingerprint != keyed.fingerprint:
            raise Problem(422, "idempotency_mismatch", say(lang, "idempotency_mismatch"))
        if record.response is not None:
            return replay(record, media)
        if now - record.created_at > ABANDONED_AFTER:
            raise Abandoned(record.id or 0, record.matter_id)
        if time.monotonic() > deadline:
            raise Problem(409, "idempotency_pending", say(lang, "idempotency_pending"))
        time.sleep(0.2)


class Abandoned(Exception):
    """The action under this key committed, but its answer was never stored (a crash between)."""

    def __init__(self, record_id: int, matter_id: int | None) -> None:
        super().__init__(record_id)
        self.record_id, self.matter_id = record_id, matter_id


class Taken(Exception):
    """Another request reserved the same key first."""


RESERVED = "whistle.idempotency_record"  # where the session keeps the key it reserved


def reserve(s: Session, caller: str, keyed: Keyed, now: datetime) -> IdempotencyRecord:
    """Add the key to the action's transaction; raise Taken if a concurrent request holds it."""
    record = IdempotencyRecord(
        caller=caller, key=keyed.key, fingerprint=keyed.fingerprint, created_at=now
    )
    s.add(record)
    try:
        s.flush()
    except IntegrityError:
        s.rollback()
        raise Taken from None
    s.info[RESERVED] = record
    return record


def attach(s: Session, matter_id: int | None) -> None:
    """Tie the key reserved in this session (if any) to its matter, before the action commits."""
    record = s.info.get(RESERVED)
    if isinstance(record, IdempotencyRecord) and matter_id is not None:
        record.matter_id = matter_id
        s.add(record)


def settle(s: Session, matter_id: int | None, status_code: int, body: str) -> None:
    """Write the answer under the key reserved in this session (if any), in the action's own
    transaction: a crash after the commit cannot lose it."""
    record = s.info.get(RESERVED)
    if isinstance(record, IdempotencyRecord):
        attach(s, matter_id)
        record.status_code, record.response = status_code, body
        s.add(record)


def remember(app: App, record_id: int, status_code: int, body: str) -> None:
    """Store the first answer under its key."""
    with session(app.engine) as s:
        record = s.get(IdempotencyRecord, record_id)
        if record is not None and record.response is None:
            record.status_code, record.response = status_code, body
            s.add(record)
            s.commit()
