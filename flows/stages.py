"""The matter's automatic stages as Prefect flows: each one short, each one re-reading the store.

Department answers are written by the service layer before a stage flow starts, so nothing a
department says can be lost to a flow; a stage flow only does the automatic work that follows
(referral by the rules, closing on a lapsed feedback window), delivers the notices the outbox
holds for the matter and republishes its timeline.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow
from prefect.context import TagsContext

from tasks.artifacts import show_supervisor
from tasks.matter import close_without_feedback, refer_by_rules
from tasks.notices import deliver_notices


def _now(now: datetime | None) -> datetime:
    return now.astimezone(UTC) if now else datetime.now(UTC)


def _untagged() -> TagsContext:
    """Run tasks without the matter's tags. Prefect checks tag concurrency limits for every
    tagged task run (a lease call to the server, ~0.25 s each here); supervisors filter flow
    runs, and those keep their tags."""
    return TagsContext(current_tags=set())


def _follow_up(number: str, now: datetime) -> dict[str, int]:
    with _untagged():
        delivered = deliver_notices(number, now)
        show_supervisor(number)
    return delivered


@flow(name="intake", log_prints=False)
def intake(number: str, now: datetime | None = None) -> dict[str, int]:
    """受理分流: refer a registered matter by the routing rules and notify the departments."""
    moment = _now(now)
    with _untagged():
        refer_by_rules(number, moment)
    return _follow_up(number, moment)


@flow(name="referral")
def referral(number: str, now: datetime | None = None) -> dict[str, int]:
    """转办: the center referred or re-routed the matter by hand; notify the departments."""
    return _follow_up(number, _now(now))


@flow(name="handling")
def handling(number: str, now: datetime | None = None) -> dict[str, int]:
    """签收/进展/报送/退回: a department answered; tell whom it concerns, update the timeline."""
    return _follow_up(number, _now(now))


@flow(name="resolution")
def resolution(number: str, now: datetime | None = None) -> dict[str, int]:
    """办结: tell the center and ask the citizen for feedback."""
    return _follow_up(number, _now(now))


@flow(name="feedback")
def feedback(number: str, now: datetime | None = None) -> dict[str, int]:
    """回访: the citizen answered; close (结案) or reopen to the lead (重办), and tell them."""
    return _follow_up(number, _now(now))


@flow(name="closing")
def closing(number: str, now: datetime | None = None) -> dict[str, int]:
    """结案: close a matter whose citizen gave no feedback in time."""
    moment = _now(now)
    with _untagged():
        close_without_feedback(number, moment)
    return _follow_up(number, moment)
