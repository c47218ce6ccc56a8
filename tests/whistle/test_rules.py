"""Rules the service layer enforces itself, beyond the status tables: each refusal is tried
through the service functions and through the CLI, and must leave the matter, its timeline
and its outbox exactly as they were. (Each test here was checked by disabling its rule.)"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlmodel import col, func, select

from models.tables import Notice
from service import actions
from service import app as app_module
from service.app import get_app
from service.errors import Refused
from service.store.db import session
from tests.fixtures import World

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)

NOW = datetime.fromisoformat("2026-11-26T10:00:00+08:00")


def state(world: World, number: str) -> tuple[Any, int]:
    """The matter as `show` prints it and the number of notices in the outbox."""
    with session(get_app().engine) as s:
        notices = s.exec(select(func.count()).select_from(Notice)).one()
    return world.ok("show", number), notices


def refused_by_service(call: Callable[..., Any], message: str, **fields: Any) -> None:
    app = get_app()
    with session(app.engine) as s, pytest.raises(Refused) as caught:
        call(session=s, app=app, now=NOW, **fields)
    assert message in str(caught.value)


def refused_by_cli(world: World, args: list[str], message: str) -> None:
    """Refused in one line; checked in English (the words of the message given)."""
    os.environ["WHISTLE_LANGUAGE"] = "en"
    app_module.reset()
    try:
        result = world.cli(*args)
    finally:
        del os.environ["WHISTLE_LANGUAGE"]
        app_module.reset()
    assert result.code == 2, result.err
    assert message in result.err and len(result.err.strip().splitlines()) == 1


def acknowledged(world: World) -> str:
    """A wage matter (lead hrss; co-handlers public_security and justice), all acknowledged."""
    number: str = world.intake(people=3)["number"]
    for department in ("hrss", "public_security", "justice"):
        world.ok("ack", number, "--department", department)
    return number


RESOLVE = ("--outcome", "mediated", "--note", "已办结")


def test_a_co_handler_cannot_resolve_even_after_reporting(world: World) -> None:
    number = acknowledged(world)
    for department in ("public_security", "justice"):
        world.ok("report", number, "--department", department, "--note", "已报送")
    before = state(world, number)
    for department in ("justice", "public_security"):
        refused_by_service(
            actions.resolve,
            "only the lead department (hrss) resolves",
            number=number,
            department=department,
            outcome="mediated",
            note="协办单位想办结",
        )
        refused_by_cli(
            world, ["resolve", number, "--department", department, *RESOLVE], "only the lead"
        )
    assert state(world, number) == before
    done = world.ok("resolve", number, "--department", "hrss", *RESOLVE)
    resolved = [e for e in done["events"] if e["action"] == "resolved"]
    assert [(e["actor"], e["department"]) for e in resolved] == [("hrss", "hrss")]


def test_the_lead_cannot_resolve_before_every_co_handler_reported(world: World) -> None:
    number = acknowledged(world)
    world.ok("report", number, "--department", "justice", "--note", "已报送")
    before = state(world, number)
    refused_by_service(
        actions.resolve,
        "co-handler(s) public_security have not reported yet",
        number=number,
        department="hrss",
        outcome="mediated",
        note="x",
    )
    refused_by_cli(
        world, ["resolve", number, "--department", "hrss", *RESOLVE], "have not reported yet"
    )
    assert state(world, number) == before


def test_a_part_that_is_done_cannot_be_extended(world: World) -> None:
    number = acknowledged(world)
    world.ok("report", number, "--department", "justice", "--note", "已报送")
    before = state(world, number)
    refused_by_service(
        actions.request_extension,
        "justice's part is reported; nothing to extend",
        number=number,
        department="justice",
        length="5wd",
        reason="需要更多时间",
    )
    args = ["extension", number, "--department", "justice", "--length", "5wd", "--reason", "r"]
    refused_by_cli(world, args, "nothing to extend")
    assert state(world, number) == before


@pytest.mark.parametrize("length", ["251wd", "367d", "8761h"])
def test_an_extension_longer_than_a_year_is_refused(world: World, length: str) -> None:
    number = acknowledged(world)
    before = state(world, number)
    refused_by_service(
        actions.request_extension,
        "is longer than a year",
        number=number,
        department="hrss",
        length=length,
        reason="r",
    )
    assert state(world, number) == before


def test_referral_refusals_that_no_status_table_makes(world: World) -> None:
    number = acknowledged(world)
    before = state(world, number)
    refused_by_service(
        actions.refer,
        "hrss cannot be lead and co-handler at once",
        number=number,
        lead="hrss",
        co=["hrss", "justice"],
        actor="center",
    )
    refused_by_service(
        actions.refer,
        "already referred to exactly these departments",
        number=number,
        lead="hrss",
        co=["justice", "public_security"],
        actor="center",
    )
    refused_by_service(
        actions.refer, "unknown actor", number=number, lead="hrss", co=[], actor="nobody"
    )
    refused_by_cli(world, ["refer", number, "--lead", "hrss", "--co", "hrss"], "at once")
    assert state(world, number) == before


def test_only_an_assigned_department_answers(world: World) -> None:
    number = acknowledged(world)
    before = state(world, number)
    for call, fields in (
        (actions.progress, {"note": "x"}),
        (actions.report, {"note": "x"}),
        (actions.return_matter, {"reason": "x"}),
    ):
        refused_by_service(
            call, "department health is not assigned", number=number, department="health", **fields
        )
    with session(get_app().engine) as s:
        assert s.exec(select(func.count()).where(col(Notice.recipient) == "health")).one() == 0
    assert state(world, number) == before
