"""A notice channel down for hours while matters keep coming: the outbox keeps every notice,
retries on the district's schedule (1 m, 5 m, 30 m, then every 2 h, for a day), and delivers
each one exactly once when the channel is back."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from service.app import get_app
from tests.fixtures import World
from tests.properties import invariants

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)

DAY = "2026-11-26"
MATTERS = 8


def at(clock: str, day: str = DAY) -> str:
    return f"{day}T{clock}:00+08:00"


def sweep_every(world: World, start: datetime, end: datetime, step: timedelta) -> int:
    """Sweep on a schedule from start to end (inclusive); return how many sweeps ran."""
    moment, count = start, 0
    while moment <= end:
        world.ok("sweep", at=moment.isoformat())
        moment += step
        count += 1
    return count


def outbox(world: World) -> list[dict[str, Any]]:
    return list(world.ok("notices"))


def test_hours_long_outage_delivers_every_notice_once_when_the_channel_returns(
    world: World,
) -> None:
    """Proves: with the departments' webhook and the center's mail server down from 09:00
    to 15:00 (refusing connections, then answering 503), eight intakes and three returns in
    that time lose nothing: no notice is sent while the channels are down, none is given up
    (the rules allow a day), each is tried on the schedule and not more often, and once the
    channels are back the next due retry delivers every one of them exactly once."""
    world.http.stop()
    world.smtp.stop()
    numbers = [
        world.intake(title=f"停电期间事项{i}", description="d", at=at(f"09:{i:02d}"))["number"]
        for i in range(MATTERS)
    ]
    for number in numbers[:3]:  # a department sends three back: notices to the center (email)
        world.ok(
            "return", number, "--department", "justice", "--reason", "不属本部门", at=at("09:10")
        )
    expected = 3 * MATTERS + 3
    assert len(outbox(world)) == expected
    assert {n["status"] for n in outbox(world)} == {"failed"}

    start = datetime.fromisoformat(at("09:20"))
    sweeps = sweep_every(world, start, datetime.fromisoformat(at("11:00")), timedelta(minutes=20))
    world.http.start()
    world.http.fail_with(503)  # the robot platform is back, but refuses
    sweeps += sweep_every(
        world,
        datetime.fromisoformat(at("11:20")),
        datetime.fromisoformat(at("14:40")),
        timedelta(minutes=20),
    )
    received_while_down = len(world.http.requests)
    assert sweeps == 17
    notices = outbox(world)
    assert {n["status"] for n in notices} == {"failed"}  # none sent, none given up
    # 09:0x first try, then at the sweeps after +1 m, +5 m, +30 m and every 2 h:
    # 09:20, 09:40, 10:20, 12:20, 14:20 — six tries, however many sweeps ran.
    assert Counter(n["attempts"] for n in notices) == Counter({6: expected})
    # the webhook serves everyone (the center too, besides its email): it answered 503 to the
    # tries at 12:20 and 14:20 of every notice
    assert received_while_down == expected * 2

    world.http.recover()
    world.smtp.start()
    world.ok("sweep", at=at("15:00"))  # back, but the next retry is not due before 16:20
    assert len(world.http.requests) == received_while_down
    sweep_every(
        world,
        datetime.fromisoformat(at("16:00")),
        datetime.fromisoformat(at("18:00")),
        timedelta(minutes=20),
    )
    delivered = world.http.requests[received_while_down:]
    assert len(delivered) == expected
    assert len({(r.path, r.json["title"]) for r in delivered}) == expected
    mails = world.smtp.wait_for(3)
    assert len(mails) == 3 and len({m.subject for m in mails}) == 3
    notices = outbox(world)
    assert {n["status"] for n in notices} == {"sent"}
    assert Counter(n["attempts"] for n in notices) == Counter({7: expected})
    for number in numbers:
        notified = [e for e in world.ok("show", number)["events"] if e["action"] == "notified"]
        assert len(notified) == len(world.ok("notices", "--number", number))
    invariants.check(get_app().engine, numbers)


def test_a_channel_down_longer_than_the_rules_allow_is_given_up_and_shown(world: World) -> None:
    """Proves the documented limit: a notice still undelivered a day after its first try is
    dead (given up), counted by the sweep and listed by `whistle notices --failed`; the channel
    coming back later does not send it (the center decides what to do), and no notice of a
    later step is held back by the dead ones."""
    world.http.stop()
    number = world.intake()["number"]
    sweep_every(
        world,
        datetime.fromisoformat(at("10:00")),
        datetime.fromisoformat(at("12:00", "2026-11-27")),
        timedelta(hours=2),
    )
    failed = world.ok("notices", "--failed", "--number", number)
    dead = [n for n in failed if n["status"] == "dead"]
    waiting = [n for n in failed if n["status"] == "failed"]
    # the three referral notices of 09:00 yesterday are past the day; the ladder's reminders
    # and urgings written since are still within theirs
    assert sorted(n["kind"] for n in dead) == ["co_handling", "co_handling", "referral"]
    assert waiting and {n["kind"] for n in waiting} <= {"reminder", "urging", "supervision"}
    world.http.start()
    world.ok("sweep", at=at("13:00", "2026-11-27"))
    swept = world.ok("sweep", at=at("15:00", "2026-11-27"))  # every waiting retry is due by now
    assert swept["outbox"] == {"failed": 0, "dead": 3}
    assert len(world.http.requests) == len(waiting)  # each waiting one once, no dead one
    assert {n["status"] for n in world.ok("notices", "--failed")} == {"dead"}

    world.ok("ack", number, "--department", "hrss", at=at("16:00", "2026-11-27"))
    world.ok(
        "return",
        number,
        "--department",
        "justice",
        "--reason",
        "不属本部门",
        at=at("16:05", "2026-11-27"),
    )
    assert len(world.smtp.wait_for(1)) == 1  # the center still hears of the return
    invariants.check(get_app().engine, [number])
