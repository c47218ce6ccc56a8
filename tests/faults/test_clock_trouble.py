"""Clock trouble: a sweep that runs hours late, and a clock that jumps back.

tests/whistle/test_escalation.py shows one matter's acknowledgement clock climbing step by step
and one late sweep on it. Here a sweep comes 30 hours late over matters of every colour, with
acknowledgement, first-response, resolution and co-handler clocks all overdue by different
amounts; then the clock goes back (an NTP correction, a restored VM snapshot).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from service.app import get_app
from tests.fixtures import World
from tests.properties import invariants

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)

LADDER = [("reminder", 0.75), ("urging", 1.0), ("supervision", 1.5), ("circular", 2.0)]
NOTICES_PER_STEP = {"reminder": 1, "urging": 2, "supervision": 1, "circular": 1}
LATE = datetime.fromisoformat("2026-11-27T15:00:00+08:00")  # 30 h after the intakes


def due_levels(start: datetime, due: datetime, now: datetime) -> list[str]:
    """The documented rule, written out: a step falls at its fraction of the window."""
    return [level for level, fraction in LADDER if start + (due - start) * fraction <= now]


def expected_steps(
    doc: dict[str, Any], colour: str, now: datetime
) -> dict[tuple[str, str], list[str]]:
    """Every (department, clock) of a matter with the levels due by `now`."""
    out: dict[tuple[str, str], list[str]] = {}
    for part in doc["assignments"]:
        start = datetime.fromisoformat(part["assigned_at"])
        if part["status"] not in ("referred", "acknowledged"):
            continue
        clocks = []
        if part["status"] == "referred":
            clocks.append(("acknowledge", datetime.fromisoformat(part["ack_due"])))
        clocks.append(
            ("resolve" if part["role"] == "lead" else "report", datetime.fromisoformat(part["due"]))
        )
        if colour == "red" and part["role"] == "lead":  # first response within 2 h
            clocks.append(("first_response", start + timedelta(hours=2)))
        for clock, due in clocks:
            levels = due_levels(start, due, now)
            if levels:
                out[(part["department"], clock)] = levels
    return out


def taken(doc: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    """The ladder steps on the timeline, in timeline order, by (department, clock)."""
    out: dict[tuple[str, str], list[str]] = {}
    for event in doc["events"]:
        if event["action"] in NOTICES_PER_STEP:
            out.setdefault((event["department"], event["data"]["clock"]), []).append(
                event["action"]
            )
    return out


def test_a_sweep_hours_late_takes_every_missed_step_in_order_once(world: World) -> None:
    """Proves: one sweep 30 hours late takes, for every running clock of every part, every
    step whose moment has passed, in ladder order, each once; each step's notices are written
    and delivered once; colour and tier rise once per supervision step, each from where the
    previous one left them; a second sweep, late or not, takes nothing and sends nothing."""
    matters = {
        "green": world.intake(category="neighbour", title="噪音", description="d"),
        "yellow": world.intake(people=3, title="讨薪", description="d"),
        "orange": world.intake(people=6, title="讨薪", description="d"),
        "red": world.intake(people=60, title="群体讨薪", description="d"),
    }
    handled = world.intake(title="已签收", description="d")
    for department in ("hrss", "public_security", "justice"):
        world.ok("ack", handled["number"], "--department", department)
    before = len(world.http.requests)

    swept = world.ok("sweep", at=LATE.isoformat())

    expected_total = 0
    for colour, doc in matters.items():
        shown = world.ok("show", doc["number"])
        expected = expected_steps(doc, colour, LATE)
        assert taken(shown) == expected, colour
        expected_total += sum(len(levels) for levels in expected.values())
        kinds = Counter(n["kind"] for n in world.ok("notices", "--number", doc["number"]))
        for level, per_step in NOTICES_PER_STEP.items():
            steps = sum(levels.count(level) for levels in expected.values())
            kind = "circulated" if level == "circular" else level  # the notice's own name
            assert kinds[kind] == steps * per_step, (colour, level)
        supervision = [e for e in shown["events"] if e["action"] == "supervision"]
        colour_now, tier_now = doc["colour"], doc["tier"]
        for event in supervision:  # each step raises from where the last one left it
            assert (event["data"]["colour_from"], event["data"]["tier_from"]) == (
                colour_now,
                tier_now,
            )
            colour_now, tier_now = event["data"]["colour_to"], event["data"]["tier_to"]
        assert (shown["colour"], shown["tier"]) == (colour_now, tier_now)
    assert taken(world.ok("show", handled["number"])) == {}
    assert len(swept["steps"]) == expected_total
    assert expected_total >= 30  # the red and orange matters climbed the whole ladder

    sent = world.http.requests[before:]
    assert len(sent) == len({(r.path, r.json["title"], r.json["message"]) for r in sent})  # once
    outbox = world.ok("notices")
    assert {n["status"] for n in outbox} == {"sent"}

    for later in (LATE, LATE + timedelta(minutes=1)):
        assert world.ok("sweep", at=later.isoformat())["steps"] == []
    assert len(world.http.requests) == before + len(sent)
    numbers = [d["number"] for d in [*matters.values(), handled]]
    invariants.check(get_app().engine, numbers)


def test_a_clock_that_jumps_back_changes_nothing_and_keeps_the_timeline_in_order(
    world: World,
) -> None:
    """Proves: after a late sweep, a sweep whose clock is hours behind (an NTP correction, a
    VM restored from a snapshot) takes no step and sends nothing; an answer dated between the
    matter's registration and its last step is recorded but placed after that step, so the
    timeline never runs backwards; an answer dated before the matter even existed is refused
    in one line and writes nothing."""
    number = world.intake(category="neighbour", title="噪音", description="d")["number"]
    lead = world.ok("show", number)["lead_department"]
    world.ok("sweep", at=LATE.isoformat())
    events = world.ok("show", number)["events"]
    requests = len(world.http.requests)

    assert world.ok("sweep", at="2026-11-26T12:00:00+08:00")["steps"] == []
    assert world.ok("show", number)["events"] == events
    assert len(world.http.requests) == requests

    early = world.cli("ack", number, "--department", lead, at="2026-11-25T09:00:00+08:00")
    assert early.code == 2 and early.refusal == "before_registered"
    assert "早于事项受理时间" in early.err
    assert len(early.err.strip().splitlines()) == 1
    assert world.ok("show", number)["events"] == events

    doc = world.ok("ack", number, "--department", lead, at="2026-11-27T10:00:00+08:00")
    ack = [e for e in doc["events"] if e["action"] == "acknowledged"]
    assert len(ack) == 1 and datetime.fromisoformat(ack[0]["at"]) == LATE
    assert doc["assignments"][0]["acknowledged_at"].startswith("2026-11-27T10:00")
    invariants.check(get_app().engine, [number])
