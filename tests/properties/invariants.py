"""The store's invariants, checked by reading its tables directly (not through the service layer).

What must hold after any sequence of actions, whatever input they were given:
- one live lead per live matter, none for a matter that is only received or was returned, and
  the matter's `lead_department` names it;
- each matter's timeline starts with its registration and its timestamps never run backwards;
- the matter's status agrees with its parts (a resolved matter has a resolved lead and no
  co-handler still working, an in-progress one an acknowledged lead, ...);
- a part that is not running has no next check; at most one live part per department;
- the outbox agrees with the timeline: a sent notice has exactly one `notified` event, an unsent
  one none; a failed notice has its next attempt, a dead one none;
- ladder steps of a clock are taken in order (never urging without the reminder before it);
- only a department that leads the matter resolves it, only a co-handler reports.

`violations()` returns every broken rule as a sentence naming the matter, so a failing property
test says what went wrong rather than only that something did.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers the tables)

LIVE_LEAD = {"referred", "acknowledged", "resolved"}
ACTIVE = {"referred", "acknowledged", "reported"}
LADDER = ["reminder", "urging", "supervision", "circular"]
NOTICE_STATUSES = {"pending", "sending", "sent", "failed", "dead"}
# The lead part's status that each matter status requires (None: no live lead at all).
LEAD_FOR_STATUS: dict[str, str | None] = {
    "received": None,
    "referred": "referred",
    "in_progress": "acknowledged",
    "returned": None,
    "resolved": "resolved",
    "closed": "resolved",
}


def table(name: str) -> sa.Table:
    """A store table as the database has it, read without the service layer's models."""
    return SQLModel.metadata.tables[name]


def _rows(engine: Engine, source: sa.Table, where: Any) -> list[Any]:
    with engine.connect() as conn:
        query = sa.select(source).where(where) if where is not None else sa.select(source)
        return list(conn.execute(query.order_by(source.c.id)).all())


def violations(engine: Engine, numbers: Iterable[str] | None = None) -> list[str]:
    """Every broken invariant among the given matters (all matters when None)."""
    m, a, e, n, s = (
        table(name) for name in ("matter", "assignment", "event", "notice", "ladder_step")
    )
    wanted = None if numbers is None else sorted(set(numbers))
    matters = _rows(engine, m, None if wanted is None else m.c.number.in_(wanted))
    ids = [row.id for row in matters]
    if not ids:
        return []
    parts = _rows(engine, a, a.c.matter_id.in_(ids))
    events = _rows(engine, e, e.c.matter_id.in_(ids))
    notices = _rows(engine, n, n.c.matter_id.in_(ids))
    part_ids = [p.id for p in parts]
    steps = _rows(engine, s, s.c.assignment_id.in_(part_ids)) if part_ids else []

    parts_of: dict[int, list[Any]] = defaultdict(list)
    for p in parts:
        parts_of[p.matter_id].append(p)
    events_of: dict[int, list[Any]] = defaultdict(list)
    for ev in events:
        events_of[ev.matter_id].append(ev)
    notices_of: dict[int, list[Any]] = defaultdict(list)
    for notice in notices:
        notices_of[notice.matter_id].append(notice)
    steps_of: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for step in steps:
        steps_of[step.assignment_id][step.clock].append(step.level)

    problems: list[str] = []
    for matter in matters:
        say = problems.append
        number = matter.number
        mine = parts_of[matter.id]
        timeline = events_of[matter.id]

        # --- the timeline
        if not timeline or timeline[0].action != "received":
            say(f"{number}: the timeline does not start with 'received'")
        elif timeline[0].at != matter.created_at:
            say(f"{number}: registered at {matter.created_at} but 'received' at {timeline[0].at}")
        if sum(ev.action == "received" for ev in timeline) > 1:
            say(f"{number}: more than one 'received' event")
        for before, after in pairwise(timeline):
            if after.at < before.at:
                say(
                    f"{number}: timeline runs backwards: {before.action} at {before.at}, "
                    f"then {after.action} at {after.at}"
                )
        if timeline and matter.updated_at != max(ev.at for ev in timeline):
            say(f"{number}: updated_at {matter.updated_at} is not its last event's time")

        # --- the lead and the status
        leads = [p for p in mine if p.role == "lead" and p.status in LIVE_LEAD]
        if len(leads) > 1:
            say(f"{number}: {len(leads)} live leads ({', '.join(p.department for p in leads)})")
        if matter.status not in LEAD_FOR_STATUS:
            say(f"{number}: unknown status {matter.status!r}")
            continue
        needed = LEAD_FOR_STATUS[matter.status]
        lead = leads[0] if leads else None
        if needed is None and lead is not None:
            say(f"{number}: {matter.status} but {lead.department} is a live lead ({lead.status})")
        if needed is not None and (lead is None or lead.status != needed):
            found = f"{lead.department} is {lead.status}" if lead else "there is no live lead"
            say(f"{number}: {matter.status} needs a lead part {needed}, but {found}")
        expected_lead = lead.department if lead else None
        if matter.lead_department != expected_lead:
            say(
                f"{number}: lead_department {matter.lead_department!r}, live lead {expected_lead!r}"
            )
        if matter.status == "received" and mine:
            say(f"{number}: received but already has {len(mine)} part(s)")
        if matter.status in ("resolved", "closed"):
            working = [
                p.department
                for p in mine
                if p.role == "co" and p.status in ("referred", "acknowledged")
            ]
            if working:
                say(f"{number}: {matter.status} while co-handler(s) {working} still work")
            if matter.resolved_at is None or matter.outcome is None:
                say(f"{number}: {matter.status} without resolved_at or outcome")
        if matter.status == "resolved" and matter.feedback_due is None:
            say(f"{number}: resolved without a feedback window")
        if matter.status == "closed" and (
            matter.closed_at is None or matter.feedback not in ("satisfied", "no_feedback")
        ):
            say(f"{number}: closed without closed_at or a closing reason")
        if matter.status not in ("resolved", "closed") and matter.closed_at is not None:
            say(f"{number}: {matter.status} but has closed_at")

        # --- the parts
        active: dict[str, int] = defaultdict(int)
        for p in mine:
            if p.status in ACTIVE:
                active[p.department] += 1
            if p.status not in ("referred", "acknowledged") and p.next_check_at is not None:
                say(f"{number}/{p.department}: {p.status} part still has a next check")
            for clock, levels in steps_of[p.id].items():
                if levels != LADDER[: len(levels)]:
                    say(f"{number}/{p.department}: {clock} steps {levels} skip or repeat a level")
        for department, count in active.items():
            if count > 1:
                say(f"{number}: {department} holds {count} live parts")

        # --- who did what
        roles: dict[str, set[str]] = defaultdict(set)
        for p in mine:
            roles[p.department].add(p.role)
        for ev in timeline:
            if ev.action == "resolved" and "lead" not in roles[ev.actor]:
                say(f"{number}: resolved by {ev.actor}, which never led it")
            if ev.action == "reported" and "co" not in roles[ev.actor]:
                say(f"{number}: reported by {ev.actor}, which never co-handled it")

        # --- the outbox against the timeline
        notified: dict[int, int] = defaultdict(int)
        for ev in timeline:
            if ev.action == "notified":
                notified[int(ev.data["notice"])] += 1
        for notice in notices_of[matter.id]:
            where = f"{number}: notice {notice.id} ({notice.kind} → {notice.recipient})"
            if notice.status not in NOTICE_STATUSES:
                say(f"{where} has status {notice.status!r}")
            if not notice.key.startswith(f"{number}:"):
                say(f"{where} has a key of another matter: {notice.key}")
            sent = notice.status == "sent"
            if notified[notice.id] != (1 if sent else 0):
                say(f"{where} is {notice.status} with {notified[notice.id]} 'notified' events")
            if sent != (notice.sent_at is not None):
                say(f"{where} is {notice.status} with sent_at {notice.sent_at}")
            if notice.status == "failed" and notice.next_attempt_at is None:
                say(f"{where} failed without a next attempt")
            if notice.status == "dead" and notice.next_attempt_at is not None:
                say(f"{where} is dead but has a next attempt")
        unknown = set(notified) - {notice.id for notice in notices_of[matter.id]}
        if unknown:
            say(f"{number}: 'notified' events for notices not of this matter: {sorted(unknown)}")
    return problems


def check(engine: Engine, numbers: Iterable[str] | None = None) -> None:
    """Fail with every broken invariant listed."""
    problems = violations(engine, numbers)
    assert not problems, "store invariants broken:\n  " + "\n  ".join(problems)
