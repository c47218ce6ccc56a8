"""The timeline is evidence: every event is hash-chained to the one before it, the store refuses
to change or remove one, and `whistle verify` names the first broken link of whatever someone
with the database's own rights changed anyway (a note, a time, an action, a removed or moved
event), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col, update

from models.tables import Event
from service import actions
from service.app import get_app
from service.notices.delivery import deliver_pending
from service.store.db import session
from service.store.evidence import GENESIS, AppendOnly, canonical, digest, seal_unsealed
from service.store.matters import record
from tests.fixtures import World

EVENT: sa.Table = Event.__table__  # type: ignore[attr-defined]


# --- the canonical form ------------------------------------------------------------------------


def _event(**fields: Any) -> Event:
    values: dict[str, Any] = {
        "matter_id": 1,
        "at": datetime(2026, 11, 26, 1, 0, tzinfo=UTC),
        "action": "referred",
        "actor": "system",
        "department": None,
        "note": "已约谈施工方",
        "data": {"lead": "hrss", "co": ["justice"], "round": 1},
    }
    return Event(**(values | fields))


def test_the_canonical_form_is_pinned() -> None:
    """Changing the canonical form would break every stored chain: these bytes must not move.
    (`printf '%s' '<the JSON>' | sha256sum` gives the same hash: anyone can recompute it.)"""
    e = _event()
    text = canonical(
        number="M20261126-0001",
        at=e.at,
        action=e.action,
        actor=e.actor,
        department=e.department,
        note=e.note,
        data=e.data,
        prev_hash=GENESIS,
    ).decode("utf-8")
    assert text == (
        '{"action":"referred","actor":"system","at":"2026-11-26T01:00:00.000000Z",'
        '"data":{"co":["justice"],"lead":"hrss","round":1},"department":null,'
        f'"matter":"M20261126-0001","note":"已约谈施工方","prev":"{GENESIS}","v":1}}'
    )
    assert digest("M20261126-0001", e, GENESIS) == (
        "59085456a21758bf70e697b455aa19284446b2e3233a9ecb6e008b5c4f2c0f64"
    )


@pytest.mark.parametrize(
    ("change", "same"),
    [
        ({"at": datetime(2026, 11, 26, 9, 0, tzinfo=UTC) + timedelta(hours=-8)}, True),
        ({"at": datetime.fromisoformat("2026-11-26T09:00:00+08:00")}, True),
        ({"data": {"round": 1, "co": ["justice"], "lead": "hrss"}}, True),
        ({"at": datetime(2026, 11, 26, 1, 0, 0, 1, tzinfo=UTC)}, False),
        ({"note": "已约谈施工方 "}, False),
        ({"note": None}, False),
        ({"action": "acknowledged"}, False),
        ({"actor": "center"}, False),
        ({"department": "hrss"}, False),
        ({"data": {"lead": "hrss", "co": ["justice"], "round": 2}}, False),
    ],
)
def test_what_the_hash_covers(change: dict[str, Any], same: bool) -> None:
    base = digest("M20261126-0001", _event(), GENESIS)
    assert (digest("M20261126-0001", _event(**change), GENESIS) == base) is same


def test_the_hash_covers_the_matter_and_the_link() -> None:
    base = digest("M20261126-0001", _event(), GENESIS)
    assert digest("M20261126-0002", _event(), GENESIS) != base
    assert digest("M20261126-0001", _event(), "1" * 64) != base


# --- a store with stories ----------------------------------------------------------------------


def _raw(world: World) -> Engine:
    return sa.create_engine(str(get_app().engine.url.render_as_string(hide_password=False)))


def _rows(connection: Connection, number: str) -> list[Any]:
    return list(
        connection.execute(
            sa.text(
                "SELECT e.id, e.action, e.prev_hash, e.hash FROM event e "
                "JOIN matter m ON m.id = e.matter_id WHERE m.number = :n ORDER BY e.id"
            ),
            {"n": number},
        ).all()
    )


def _without_guards(connection: Connection) -> None:
    """What someone with the database owner's rights can do: switch the triggers off."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("ALTER TABLE event DISABLE TRIGGER USER"))
    else:
        connection.execute(sa.text("DROP TRIGGER event_no_update"))
        connection.execute(sa.text("DROP TRIGGER event_no_delete"))


def _story(world: World, at: str) -> str:
    """A matter with a handful of events: received, referred, notices sent, acknowledged."""
    doc = world.intake()
    world.ok("ack", doc["number"], "--department", doc["lead_department"], at=at)
    number: str = doc["number"]
    return number


@pytest.fixture
def stories(world: World) -> Iterator[tuple[World, list[str]]]:
    """One matter for each kind of tampering, and one left alone."""
    numbers = [_story(world, f"2026-11-26T09:{10 + i:02d}:00+08:00") for i in range(9)]
    yield world, numbers


Tamper = Callable[[Connection, list[int]], None]


def _set(column: str, value: Callable[[Any], Any], index: int) -> Tamper:
    def change(connection: Connection, ids: list[int]) -> None:
        current = connection.execute(
            sa.select(EVENT.c[column]).where(EVENT.c.id == ids[index])
        ).scalar_one()
        connection.execute(
            sa.update(EVENT).where(EVENT.c.id == ids[index]).values({column: value(current)})
        )

    return change


def _delete(index: int) -> Tamper:
    def change(connection: Connection, ids: list[int]) -> None:
        connection.execute(sa.delete(EVENT).where(EVENT.c.id == ids[index]))

    return change


def _swap(connection: Connection, ids: list[int]) -> None:
    a, b = ids[1], ids[2]
    for old, new in ((a, -a), (b, a), (-a, b)):
        connection.execute(sa.update(EVENT).where(EVENT.c.id == old).values(id=new))


# (what is done, kind reported, index of the event named, index of the one it should follow)
TAMPERING: list[tuple[str, Tamper, str, int | None, int | None]] = [
    ("note", _set("note", lambda _: "经核实，群众已撤回诉求", 1), "altered", 1, 0),
    ("at", _set("at", lambda at: at + timedelta(seconds=1), 2), "altered", 2, 1),
    ("action", _set("action", lambda _: "closed", 1), "altered", 1, 0),
    ("data", _set("data", lambda d: d | {"lead": "civil_affairs"}, 1), "altered", 1, 0),
    ("delete a middle event", _delete(2), "broken_link", 3, 1),
    ("delete the first event", _delete(0), "broken_link", 1, None),
    ("delete the last event", _delete(-1), "truncated", None, -2),
    ("swap two events", _swap, "reordered", 1, 0),
]


def test_tampering_is_found_and_named(stories: tuple[World, list[str]]) -> None:
    world, numbers = stories
    clean = world.cli("verify")
    assert clean.code == 0, clean.err
    report = clean.data
    assert report["ok"] and report["broken"] == 0 and report["matters"] == len(numbers)
    engine = _raw(world)
    try:
        with engine.begin() as connection:
            stored = {n: _rows(connection, n) for n in numbers}
        assert report["events"] == sum(len(r) for r in stored.values())
        for rows in stored.values():
            assert len(rows) >= 5
            assert rows[0].prev_hash == GENESIS
            assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
        assert world.ok("verify", numbers[0])["ok"]

        # Nothing short of the owner's rights changes an event.
        first = stored[numbers[0]][1].id
        for statement in (
            sa.update(EVENT).where(EVENT.c.id == first).values(note="x"),
            sa.delete(EVENT).where(EVENT.c.id == first),
        ):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as c:
                c.execute(statement)

        with engine.begin() as connection:
            _without_guards(connection)
            for (_, tamper, *_), number in zip(TAMPERING, numbers, strict=False):
                tamper(connection, [r.id for r in stored[number]])
    finally:
        engine.dispose()

    for (what, _, kind, at, previous), number in zip(TAMPERING, numbers, strict=False):
        ids = [r.id for r in stored[number]]
        result = world.cli("verify", number)
        assert result.code == 4, f"{what}: {result.err}"
        found = result.data["first"]
        assert found["number"] == number, what
        assert found["kind"] == kind, what
        assert found["event_id"] == (ids[at] if at is not None else None), what
        assert found["previous_event_id"] == (ids[previous] if previous is not None else None)
        assert number in found["message"], what

    whole = world.cli("verify")
    assert whole.code == 4
    assert whole.data["broken"] == len(TAMPERING)
    assert whole.data["first"]["number"] == numbers[0]
    assert [p["number"] for p in whole.data["problems"]] == numbers[: len(TAMPERING)]
    assert world.ok("verify", numbers[-1])["ok"]  # the untouched matter still holds


def test_the_orm_refuses_to_change_or_remove_an_event(world: World) -> None:
    number = world.intake()["number"]
    app = get_app()
    with session(app.engine) as s:
        matter = actions.get_matter(s, number)
        event = actions.events_of(s, matter)[0]
        event.note = "改过"
        s.add(event)
        with pytest.raises(AppendOnly):
            s.commit()
        s.rollback()
        s.delete(actions.events_of(s, matter)[0])
        with pytest.raises(AppendOnly):
            s.commit()
        s.rollback()
        with pytest.raises(AppendOnly):
            s.exec(update(Event).where(col(Event.matter_id) == matter.id).values(note="x"))
        s.rollback()
    assert world.ok("verify", number)["ok"]


def test_concurrent_writers_never_fork_the_chain(world: World) -> None:
    """Many writers on one matter at once: answers through the services, bare `record` calls
    that did not lock the matter themselves, and notice delivery. The chain stays one line."""
    number = world.intake()["number"]
    world.ok("ack", number, "--department", "hrss")
    app = get_app()
    now = datetime.fromisoformat("2026-11-26T10:00:00+08:00")
    errors: list[BaseException] = []
    start = threading.Barrier(9)

    def answer(i: int) -> None:
        try:
            start.wait()
            for j in range(3):
                with session(app.engine) as s:
                    actions.progress(
                        session=s,
                        app=app,
                        number=number,
                        department="hrss",
                        note=f"进展 {i}-{j}",
                        now=now,
                    )
        except BaseException as exc:
            errors.append(exc)

    def bare(i: int) -> None:
        try:
            start.wait()
            for j in range(3):
                with session(app.engine) as s:
                    matter = actions.get_matter(s, number)  # no lock taken here
                    record(s, matter, action="checked", actor="system", now=now, n=f"{i}-{j}")
                    s.commit()
        except BaseException as exc:
            errors.append(exc)

    def deliver() -> None:
        try:
            start.wait()
            deliver_pending(app, now=now)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(4)]
    threads += [threading.Thread(target=bare, args=(i,)) for i in range(4)]
    threads.append(threading.Thread(target=deliver))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors

    engine = _raw(world)
    try:
        with engine.begin() as connection:
            rows = _rows(connection, number)
    finally:
        engine.dispose()
    assert sum(r.action == "progress" for r in rows) == 12
    assert sum(r.action == "checked" for r in rows) == 12
    prevs = [r.prev_hash for r in rows]
    assert len(set(prevs)) == len(prevs), "two events chained to the same predecessor"
    report = world.ok("verify", number)
    assert report["ok"] and report["events"] == len(rows)


def test_events_from_before_the_chain_are_sealed_once(world: World) -> None:
    """A store made before the chain: verify says so, and the migration's backfill seals it."""
    number = world.intake()["number"]
    engine = _raw(world)
    try:
        with engine.begin() as connection:
            _without_guards(connection)
            connection.execute(sa.update(EVENT).values(prev_hash=None, hash=None))
            connection.execute(sa.text("UPDATE matter SET timeline_head = NULL"))
            count = len(_rows(connection, number))
        result = world.cli("verify", number)
        assert result.code == 4 and result.data["first"]["kind"] == "unsealed"
        with engine.begin() as connection:
            assert seal_unsealed(connection) == count
        assert world.ok("verify", number)["ok"]
        with engine.begin() as connection:
            assert seal_unsealed(connection) == 0  # a chain that exists is never rewritten
            hashes = [r.hash for r in _rows(connection, number)]
        world.ok("ack", number, "--department", "hrss")  # new events chain on
        with engine.begin() as connection:
            assert [r.hash for r in _rows(connection, number)][:count] == hashes
        assert world.ok("verify", number)["ok"]
    finally:
        engine.dispose()
