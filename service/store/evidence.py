"""The timeline as evidence: every event is chained to the one before it by a SHA-256 hash.

An event's hash covers its matter's number, its time, action, actor, department, note and data,
and the previous event's hash (the first event of a matter chains from GENESIS). The matter row
keeps the last hash (`timeline_head`), so a removed last event shows too. The canonical form is
the same on SQLite and PostgreSQL: UTC times to the microsecond and JSON with sorted keys.

Events are append-only: the ORM refuses to update or delete one (here), and the database refuses
it too (triggers in models/tables.py). The chain catches whoever gets past both.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from models.tables import Event, Matter

GENESIS = "0" * 64
CANONICAL_VERSION = 1


class AppendOnly(Exception):
    """Something tried to change or remove a timeline event."""


# --- hashing -----------------------------------------------------------------------------------


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("an event time must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(
    *,
    number: str,
    at: datetime,
    action: str,
    actor: str,
    department: str | None,
    note: str | None,
    data: Any,
    prev_hash: str,
) -> bytes:
    """The bytes an event's hash is taken over: one JSON object, sorted keys, no spaces."""
    document = {
        "v": CANONICAL_VERSION,
        "matter": number,
        "at": _utc(at),
        "action": action,
        "actor": actor,
        "department": department,
        "note": note,
        "data": data,
        "prev": prev_hash,
    }
    text = json.dumps(
        document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
    return text.encode("utf-8")


def digest(number: str, event: Event, prev_hash: str) -> str:
    """The hash this event should carry after `prev_hash`."""
    payload = canonical(
        number=number,
        at=event.at,
        action=event.action,
        actor=event.actor,
        department=event.department,
        note=event.note,
        data=event.data,
        prev_hash=prev_hash,
    )
    return hashlib.sha256(payload).hexdigest()


LOCKED = "whistle.locked_matters"  # session.info key: matter ids row-locked in this transaction


def hold(session: Session, *matter_ids: int | None) -> None:
    """Note that this transaction holds these matters' row locks (and read them under it)."""
    session.info.setdefault(LOCKED, set()).update(i for i in matter_ids if i is not None)


def _forget_locks(session: OrmSession, *_: Any) -> None:
    session.info.pop(LOCKED, None)


for _moment in ("after_commit", "after_rollback", "after_soft_rollback"):
    sa.event.listen(OrmSession, _moment, _forget_locks)


def lock(session: Session, matter: Matter) -> None:
    """Make sure this transaction holds the matter's row lock and sees the row as locked.

    A no-op when it already does (every service action locks first; the sweep locks its batch).
    """
    assert matter.id is not None
    if matter.id in session.info.get(LOCKED, ()):
        return
    session.exec(
        select(Matter)
        .where(Matter.id == matter.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    hold(session, matter.id)


def seal(session: Session, matter: Matter, event: Event) -> None:
    """Chain a new (not yet added) event to the matter's last one and move the matter's head.

    The chain's head (and the last event's time) are kept on the matter row, read under the
    matter's lock, so two writers never chain to the same predecessor and no query is needed.
    """
    lock(session, matter)
    # Store exactly what is hashed: tuples become lists, keys strings, as JSON gives them back.
    event.data = json.loads(json.dumps(event.data, allow_nan=False))
    event.prev_hash = matter.timeline_head or GENESIS
    event.hash = digest(matter.number, event, event.prev_hash)
    matter.timeline_head = event.hash
    matter.timeline_at = event.at
    session.add(matter)


# --- append-only in the ORM --------------------------------------------------------------------


def _refuse_change(_mapper: Any, _connection: Any, target: Event) -> None:
    raise AppendOnly(f"timeline event {target.id} cannot be changed or removed (append-only)")


def _refuse_bulk(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    if any(mapper.class_ is Event for mapper in state.all_mappers):
        raise AppendOnly("timeline events cannot be changed or removed (append-only)")


sa.event.listen(Event, "before_update", _refuse_change)
sa.event.listen(Event, "before_delete", _refuse_change)
sa.event.listen(OrmSession, "do_orm_execute", _refuse_bulk)


# --- verifying ---------------------------------------------------------------------------------

KINDS = {
    "unsealed": ("事件没有哈希值（在启用防篡改链之前写入）", "the event carries no hash"),
    "altered": (
        "事件内容（时间、环节、操作方、单位、备注或数据）与其哈希值不符：记录被改动",
        "the event's content (time, action, actor, department, note or data) no longer matches"
        " its hash: the record was changed",
    ),
    "reordered": (
        "事件的前序哈希指向本事项另一条事件：时间线顺序被改动",
        "the event follows another event of this matter than the one before it: the order was"
        " changed",
    ),
    "broken_link": (
        "事件的前序哈希与前一条事件不符：前面的事件被删除，或被改动后重新计算了哈希",
        "the event does not follow the one before it: an event before it was removed, or"
        " changed and re-hashed",
    ),
    "truncated": (
        "事项记录的最后哈希与最后一条事件不符：最后的事件被删除",
        "the matter's recorded last hash does not match its last event: events at the end were"
        " removed",
    ),
}


@dataclass(frozen=True)
class Problem:
    """The first broken link of one matter's chain."""

    number: str
    kind: str
    event_id: int | None  # the event where the chain breaks (None: the end of the timeline)
    position: int | None  # 1-based place in the timeline
    previous_event_id: int | None  # the event it should follow
    expected: str | None  # what the chain says should be there
    found: str | None  # what is there
    message: str


@dataclass
class Report:
    """What `whistle verify` found: how much was checked and every broken matter."""

    matters: int = 0
    events: int = 0
    problems: list[Problem] = field(default_factory=list)
    root: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "matters": self.matters,
            "events": self.events,
            "broken": len(self.problems),
            "first": asdict(self.problems[0]) if self.problems else None,
            "problems": [asdict(p) for p in self.problems],
            "root": self.root,
        }


@dataclass(frozen=True)
class _Row:
    id: int
    prev_hash: str | None
    hash: str | None
    event: Event


def _problem(
    language: str,
    number: str,
    kind: str,
    *,
    row: _Row | None,
    position: int | None,
    previous: _Row | None,
    expected: str | None,
    found: str | None,
) -> Problem:
    zh, en = KINDS[kind]
    where = f"{number}" + (f" #{row.id}" if row else "")
    return Problem(
        number=number,
        kind=kind,
        event_id=row.id if row else None,
        position=position,
        previous_event_id=previous.id if previous else None,
        expected=expected,
        found=found,
        message=f"{where}: {en if language == 'en' else zh}",
    )


def check_chain(
    number: str, head: str | None, rows: list[_Row], language: str = "zh"
) -> Problem | None:
    """The first broken link of one matter's timeline, or None when the chain holds."""
    hashes = {r.hash: r for r in rows if r.hash}
    previous: _Row | None = None
    for position, row in enumerate(rows, start=1):
        expected_prev = previous.hash if previous else GENESIS
        kind, expected, found = "", None, None
        if row.hash is None or row.prev_hash is None:
            kind = "unsealed"
        elif (recomputed := digest(number, row.event, row.prev_hash)) != row.hash:
            kind, expected, found = "altered", row.hash, recomputed
        elif row.prev_hash != expected_prev:
            other = hashes.get(row.prev_hash)
            kind = "reordered" if other is not None and other is not row else "broken_link"
            expected, found = expected_prev, row.prev_hash
        if kind:
            return _problem(
                language,
                number,
                kind,
                row=row,
                position=position,
                previous=previous,
                expected=expected,
                found=found,
            )
        previous = row
    last = previous.hash if previous else None
    if head != last:
        return _problem(
            language,
            number,
            "truncated",
            row=None,
            position=None,
            previous=previous,
            expected=head,
            found=last,
        )
    return None


_COLUMNS: tuple[Any, ...] = (
    Matter.id,
    Matter.number,
    Matter.timeline_head,
    Event.id,
    Event.at,
    Event.action,
    Event.actor,
    Event.department,
    Event.note,
    Event.data,
    Event.prev_hash,
    Event.hash,
)


def _matters(
    connection: Connection, number: str | None
) -> Iterator[tuple[str, str | None, list[_Row]]]:
    """Each matter with its events in timeline order, streamed one matter at a time."""
    query = (
        sa.select(*_COLUMNS)
        .select_from(Matter)
        .outerjoin(Event, col(Event.matter_id) == col(Matter.id))
        .order_by(col(Matter.id), col(Event.id))
    )
    if number is not None:
        query = query.where(col(Matter.number) == number.strip().upper())
    result = connection.execution_options(stream_results=True, yield_per=2000).execute(query)
    current: tuple[int, str, str | None] | None = None
    rows: list[_Row] = []
    for r in result:
        matter_id, num, head, event_id = r[0], r[1], r[2], r[3]
        if current is None or current[0] != matter_id:
            if current is not None:
                yield current[1], current[2], rows
            current, rows = (matter_id, num, head), []
        if event_id is not None:
            event = Event(
                id=event_id,
                matter_id=matter_id,
                at=r[4],
                action=r[5],
                actor=r[6],
                department=r[7],
                note=r[8],
                data=r[9],
            )
            rows.append(_Row(event_id, r[10], r[11], event))
    if current is not None:
        yield current[1], current[2], rows


def verify(engine: Engine, *, number: str | None = None, language: str = "zh") -> Report:
    """Check one matter's chain or every matter's, in one consistent read of the store."""
    from service.store.backup import snapshot

    report = Report()
    root = hashlib.sha256()
    with snapshot(engine) as connection:
        for num, head, rows in _matters(connection, number):
            report.matters += 1
            report.events += len(rows)
            root.update(f"{num}:{head or ''}\n".encode())
            found = check_chain(num, head, rows, language)
            if found is not None:
                report.problems.append(found)
    report.root = root.hexdigest()
    return report


def seal_unsealed(connection: Connection) -> int:
    """Chain the events written before the chain existed (for the migration that adds it, run
    before the append-only triggers exist); return how many were sealed.

    A matter is sealed only when none of its events carries a hash yet, so a chain that is
    there is never rewritten.
    """
    event, matter = Event.__table__, Matter.__table__  # type: ignore[attr-defined]
    unsealed = (
        sa.select(matter.c.id)
        .where(
            ~sa.exists().where(event.c.matter_id == matter.c.id, event.c.hash.is_not(None)),
            sa.exists().where(event.c.matter_id == matter.c.id),
        )
        .order_by(matter.c.id)
    )
    sealed = 0
    for matter_id in connection.execute(unsealed).scalars().all():
        number = connection.execute(
            sa.select(matter.c.number).where(matter.c.id == matter_id)
        ).scalar_one()
        rows = connection.execute(
            sa.select(event).where(event.c.matter_id == matter_id).order_by(event.c.id)
        ).all()
        prev = GENESIS
        for row in rows:
            values = Event(
                at=row.at,
                action=row.action,
                actor=row.actor,
                department=row.department,
                note=row.note,
                data=row.data,
                matter_id=matter_id,
            )
            own = digest(number, values, prev)
            connection.execute(
                sa.update(event).where(event.c.id == row.id).values(prev_hash=prev, hash=own)
            )
            prev = own
            sealed += 1
        connection.execute(
            sa.update(matter)
            .where(matter.c.id == matter_id)
            .values(timeline_head=prev, timeline_at=rows[-1].at)
        )
    return sealed
