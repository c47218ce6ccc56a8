"""Which engines are running: each one notes itself in the store every few seconds, and a front
door that sees one leaves the follow-up of an action to it.

Wall-clock time on purpose: this is about processes being alive, not about the matters' clock
(which simulations and tests move with `--at`).
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import col, delete, select

from models.tables import EngineSeen
from service.store.db import session

BEAT = timedelta(seconds=2)  # how often a running engine notes itself
ALIVE_WITHIN = timedelta(seconds=10)  # an engine not seen for this long is gone


def wall_now() -> datetime:
    return datetime.now(UTC)


def new_identity() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{wall_now():%H%M%S}"


def beat(store: Engine, identity: str, started_at: datetime) -> None:
    """Note that this engine is alive (insert or refresh its row)."""
    now = wall_now()
    with session(store) as s:
        row = s.get(EngineSeen, identity)
        if row is None:
            row = EngineSeen(id=identity, started_at=started_at, seen_at=now)
        row.seen_at = now
        s.add(row)
        s.commit()


def leave(store: Engine, identity: str) -> None:
    """A clean stop: the front doors carry out follow-ups themselves again at once."""
    with session(store) as s:
        s.exec(delete(EngineSeen).where(col(EngineSeen.id) == identity))
        s.commit()


def engine_alive(store: Engine) -> bool:
    """Whether an engine was seen lately (and so will carry out an action's follow-up)."""
    with session(store) as s:
        found = s.exec(
            select(EngineSeen.id).where(col(EngineSeen.seen_at) >= wall_now() - ALIVE_WITHIN)
        ).first()
    return found is not None
