"""The escalation ladder through the CLI: the clock moves with --at, the sweep takes each step
once, in order; the timeline, colour, tier and the notices that arrive say so."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.actions import due_parts, escalate
from service.app import get_app
from service.store.db import session
from tests.fixtures import World

# A green neighbour matter at T01V01 (lead: the village mediation committee) registered on
# Thursday 2026-11-26 09:00: acknowledge within 1 working day, so by Friday 09:00. Its window is
# 24 h: reminder at 75% (Fri 03:00), urging at the breach (Fri 09:00), supervision at +50%
# (Fri 21:00), circulated at +100% (Sat 09:00).
LEAD = "T01V01.mediation"


def steps_of(doc: dict[str, Any]) -> list[tuple[str, str]]:
    ladder = ("reminder", "urging", "supervision", "circular")
    return [(e["action"], e["data"]["clock"]) for e in doc["events"] if e["action"] in ladder]


def hooks(world: World, path: str) -> list[Any]:
    return [r.json for r in world.http.requests if r.path == path]


def test_acknowledgement_clock_climbs_the_ladder_once(world: World) -> None:
    number = world.intake(category="neighbour", title="噪音", description="楼上噪音")["number"]
    assert world.ok("show", number)["assignments"][0]["overdue_level"] is None

    assert world.ok("sweep", at="2026-11-27T02:59:00+08:00")["steps"] == []
    swept = world.ok("sweep", at="2026-11-27T03:00:00+08:00")
    assert swept["steps"] == [
        {"number": number, "department": LEAD, "clock": "acknowledge", "level": "reminder"}
    ]
    assert "提醒" in hooks(world, f"/dept/{LEAD}")[-1]["title"]

    world.ok("sweep", at="2026-11-27T09:00:00+08:00")
    doc = world.ok("show", number)
    assert doc["assignments"][0]["overdue_level"] == "urging"
    urged = hooks(world, f"/dept/{LEAD}-head")
    assert len(urged) == 1 and "催办" in urged[0]["title"]
    assert (doc["colour"], doc["tier"]) == ("green", "village")

    world.ok("sweep", at="2026-11-27T21:00:00+08:00")
    doc = world.ok("show", number)
    assert (doc["colour"], doc["tier"]) == ("yellow", "town")  # one step up each
    supervised = hooks(world, "/dept/center-leadership")  # '*' serves roles too
    assert len(supervised) == 1 and "督办" in supervised[0]["title"]
    assert number in supervised[0]["title"] and "黄色" in supervised[0]["message"]

    world.ok("sweep", at="2026-11-28T09:00:00+08:00")
    circulated = hooks(world, "/dept/politics_law-leadership")
    assert len(circulated) == 1 and "通报" in circulated[0]["title"]
    doc = world.ok("show", number)
    assert steps_of(doc) == [
        ("reminder", "acknowledge"),
        ("urging", "acknowledge"),
        ("supervision", "acknowledge"),
        ("circular", "acknowledge"),
    ]
    assert doc["assignments"][0]["overdue_level"] == "circular"

    received = len(world.http.requests) + len(world.smtp.messages)
    assert world.ok("sweep", at="2026-11-28T09:00:00+08:00")["steps"] == []
    assert world.ok("sweep", at="2026-12-05T09:00:00+08:00")["steps"] == []
    assert len(world.http.requests) + len(world.smtp.messages) == received


def test_a_late_sweep_takes_every_missed_step_in_order(world: World) -> None:
    number = world.intake(category="neighbour", title="噪音", description="楼上噪音")["number"]
    swept = world.ok("sweep", at="2026-11-27T22:00:00+08:00")  # reminder, urging, supervision due
    assert [s["level"] for s in swept["steps"]] == ["reminder", "urging", "supervision"]
    assert [a for a, _ in steps_of(world.ok("show", number))] == [
        "reminder",
        "urging",
        "supervision",
    ]


def test_acknowledging_stops_that_clock_and_starts_no_new_one_early(world: World) -> None:
    number = world.intake(category="neighbour", title="噪音", description="楼上噪音")["number"]
    world.ok("ack", number, "--department", LEAD, at="2026-11-26T10:00:00+08:00")
    # The resolution clock (15 working days, to 2026-12-17 09:00) has earned nothing yet.
    assert world.ok("sweep", at="2026-11-28T09:00:00+08:00")["steps"] == []
    swept = world.ok("sweep", at="2026-12-17T09:00:00+08:00")
    assert [(s["clock"], s["level"]) for s in swept["steps"]] == [
        ("resolve", "reminder"),
        ("resolve", "urging"),
    ]


def test_two_sweeps_at_once_take_each_step_once(world: World) -> None:
    numbers = [
        world.intake(category="neighbour", title=f"噪音{i}", description="d")["number"]
        for i in range(6)
    ]
    app = get_app()
    now = datetime.fromisoformat("2026-11-27T09:30:00+08:00")
    barrier = threading.Barrier(2)
    taken: list[list[dict[str, Any]]] = [[], []]

    def sweep(slot: int) -> None:
        with session(app.engine) as s:
            ids = due_parts(session=s, now=now)
            s.rollback()  # end the read (on SQLite it holds the write lock) before racing
            barrier.wait(timeout=60)
            for part_id in ids:
                taken[slot] += escalate(s, app, part_id, now)

    threads = [threading.Thread(target=sweep, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    steps = [(s["number"], s["level"]) for s in taken[0] + taken[1]]
    assert sorted(steps) == sorted((n, lv) for n in numbers for lv in ("reminder", "urging"))
    for number in numbers:
        assert [a for a, _ in steps_of(world.ok("show", number))] == ["reminder", "urging"]


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_the_sweep_publishes_what_is_overdue(world: World) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    world.intake(category="neighbour", title="噪音", description="d")
    world.ok("sweep", at="2026-11-27T09:30:00+08:00")
    with get_client(sync_client=True) as client:
        table = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["overdue-now"]))
        )
    newest = max(table, key=lambda a: a.created or datetime.min.replace(tzinfo=UTC))
    lead = world.ok("show", world.ok("list")[0]["number"])["assignments"][0]["department_name"]
    # Chinese only, as a supervisor reads it: the department's name, the level in words
    data = json.loads(newest.data) if isinstance(newest.data, str) else newest.data
    assert data == [{"单位": lead, "级别": "催办", "件数": 1}], data
    assert LEAD not in str(newest.data) and "urging" not in str(newest.data)
    assert newest.description == "截至2026-11-27 09:30的超时办理"


def test_red_lead_without_a_first_response_in_two_hours_is_escalated(world: World) -> None:
    number = world.intake(people=60, title="群体讨薪", description="六十名工人讨薪")["number"]
    doc = world.ok("ack", number, "--department", "hrss", at="2026-11-26T09:10:00+08:00")
    assert doc["colour"] == "red"
    for co in ("public_security", "justice"):
        world.ok("ack", number, "--department", co, at="2026-11-26T09:10:00+08:00")
    assert world.ok("sweep", at="2026-11-26T10:29:00+08:00")["steps"] == []
    reminded = world.ok("sweep", at="2026-11-26T10:30:00+08:00")["steps"]  # 75% of 2 h
    assert reminded == [
        {"number": number, "department": "hrss", "clock": "first_response", "level": "reminder"}
    ]
    urged = world.ok("sweep", at="2026-11-26T11:00:00+08:00")["steps"]
    assert [(s["clock"], s["level"]) for s in urged] == [("first_response", "urging")]
    head = [r.json for r in world.http.requests if r.path == "/dept/hrss-head"]
    assert len(head) == 1 and "首次反馈" in head[0]["title"]

    world.ok(
        "progress",
        number,
        "--department",
        "hrss",
        "--note",
        "已到现场",
        at="2026-11-26T11:10:00+08:00",
    )
    # the first response stops that clock: no supervision at 12:00
    assert world.ok("sweep", at="2026-11-26T12:00:00+08:00")["steps"] == []


def test_other_colours_have_no_first_response_clock(world: World) -> None:
    number = world.intake(people=6, title="讨薪", description="d")["number"]  # orange
    world.ok("ack", number, "--department", "hrss", at="2026-11-26T09:10:00+08:00")
    for co in ("public_security", "justice"):
        world.ok("ack", number, "--department", co, at="2026-11-26T09:10:00+08:00")
    assert world.ok("sweep", at="2026-11-26T13:00:00+08:00")["steps"] == []


@pytest.mark.parametrize(
    ("department", "clock", "due_text"),
    [
        # yellow wage arrears (3 people), registered Thu 26 Nov 09:00 and acknowledged at once:
        # the lead resolves in 10 working days, a co-handler reports in 8.
        ("hrss", "resolve", "2026-12-10T09:00:00+08:00"),
        ("justice", "report", "2026-12-08T09:00:00+08:00"),
    ],
)
def test_each_clock_climbs_every_step(
    world: World, department: str, clock: str, due_text: str
) -> None:
    number = world.intake(people=3)["number"]
    for dept in ("hrss", "public_security", "justice"):
        world.ok("ack", number, "--department", dept)
    part = next(a for a in world.ok("show", number)["assignments"] if a["department"] == department)
    assert part["due"] == due_text
    start, due = datetime.fromisoformat(part["assigned_at"]), datetime.fromisoformat(due_text)
    levels = ["reminder", "urging", "supervision", "circular"]
    fractions = [0.75, 1.0, 1.5, 2.0]  # the sample ladder
    for level, fraction in zip(levels, fractions, strict=True):
        moment = start + (due - start) * fraction
        early = world.ok("sweep", at=(moment - timedelta(minutes=1)).isoformat())["steps"]
        assert (department, clock, level) not in {
            (s["department"], s["clock"], s["level"]) for s in early
        }
        steps = world.ok("sweep", at=moment.isoformat())["steps"]
        assert {"number": number, "department": department, "clock": clock, "level": level} in steps
        doc = world.ok("show", number)
        now_part = next(a for a in doc["assignments"] if a["department"] == department)
        assert now_part["overdue_level"] == level
        if level == "supervision":
            assert (doc["colour"], doc["tier"]) in {("orange", "town"), ("red", "district")}
    taken = [
        (e["action"], e["data"]["clock"])
        for e in world.ok("show", number)["events"]
        if e["department"] == department and e["action"] in levels
    ]
    assert taken == [(level, clock) for level in levels]
    received = len(world.http.requests)
    last = start + (due - start) * 2
    assert world.ok("sweep", at=last.isoformat())["steps"] == []
    assert len(world.http.requests) == received
