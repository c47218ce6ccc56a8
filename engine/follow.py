"""What follows an action: referral by the rules and the notices the action wrote.

A front door (CLI, API, web pages) commits the action and calls `after_action`. When an engine
is running it carries the follow-up out and this returns at once; with none (a fresh clone, a
script) the acting process carries it out itself before it returns, so `whistle intake` then
`whistle show` shows the matter referred and its notices sent. Either way the Prefect side (the
matter's run) is drawn by an engine: no Prefect import here, and none in a front door's path.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from engine.presence import engine_alive
from models.status import Status
from service.actions import get_matter, refer_by_rules
from service.app import App
from service.errors import Refused
from service.notices.delivery import deliver_pending
from service.store.db import session

log = logging.getLogger("whistle.engine")

RETRY_AFTER = (0.5, 2.0)  # seconds: a store that drops out for a moment


@dataclass(frozen=True)
class FollowUp:
    """What became of an action's follow-up: carried out here (`finished`), left to a running
    engine (`queued`), or neither (`error` says why; the engine or the sweep completes it)."""

    stage: str
    finished: bool = False
    queued: bool = False
    error: str | None = None
    sent: int = 0
    failed: int = 0


def hand_over(app: App) -> bool:
    """Whether this action's follow-up is left to an engine."""
    if app.dispatch == "workers":
        return True
    if app.dispatch == "inline":
        return False
    return engine_alive(app.engine)


def after_action(app: App, stage: str, number: str, now: datetime) -> FollowUp:
    """Leave the follow-up to a running engine, or carry it out now."""
    try:
        if hand_over(app):
            return FollowUp(stage, queued=True)
    except Exception as exc:  # the store went away after the action committed
        return FollowUp(stage, error=f"{type(exc).__name__}: {exc}")
    return carry_out(app, stage, number, now)


def carry_out(app: App, stage: str, number: str, now: datetime) -> FollowUp:
    """Refer a received matter by the rules, then send what its outbox holds. Safe to run again
    and alongside an engine: each step re-reads the store and claims what it does. A store that
    drops out for a moment is ridden out: tried again after 0.5 s and 2 s."""
    for wait in (*RETRY_AFTER, None):
        try:
            return _carry_out(app, stage, number, now)
        except Exception as exc:
            if wait is None or not store_down(exc):
                log.warning(
                    "follow-up %s of %s did not finish: %s", stage, number, type(exc).__name__
                )
                return FollowUp(stage, error=f"{type(exc).__name__}: {exc}")
            time.sleep(wait)
    raise AssertionError("unreachable")


def _carry_out(app: App, stage: str, number: str, now: datetime) -> FollowUp:
    with session(app.engine) as s:
        matter = get_matter(s, number)
        matter_id = matter.id
        received = matter.status == Status.received
    if received:
        with session(app.engine) as s:
            try:
                refer_by_rules(session=s, app=app, number=number, now=now)
            except Refused as exc:  # no rule matches: the center routes it by hand
                log.info("%s not referred by the rules: %s", number, exc)
    outcomes = deliver_pending(app, now=now, matter_id=matter_id)
    sent = sum(o.sent for o in outcomes)
    return FollowUp(stage, finished=True, sent=sent, failed=len(outcomes) - sent)


def store_down(exc: BaseException) -> bool:
    """Whether the exception (or one it came from) is a lost or refused store connection."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OperationalError | InterfaceError) or (
            isinstance(seen, DBAPIError) and seen.connection_invalidated
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
