"""Hostile input through the `whistle` command itself (in-process, real Prefect API, SQLite):
whatever the arguments, the command exits 0 with the typed text stored and shown as typed, or
exits 2 with exactly one line on stderr and no traceback, having written nothing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import strategies as st

from tests.fixtures import Result, World
from tests.properties.conftest import examples
from tests.properties.strategies import (
    any_time,
    fair_text,
    hostile_text,
    id_numbers,
    mostly,
    phones,
    storable_text,
    typed_text,
)
from whistle.cli import main

pytestmark = [
    pytest.mark.filterwarnings("ignore::models.calendar.CalendarDataWarning"),
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
    pytest.mark.parametrize("store_url", ["sqlite"], indirect=True),
]
CLI = examples(12, suppress_health_check=[HealthCheck.function_scoped_fixture])


def argv_text(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """What a shell can pass: anything but NUL (an argv string ends at the first NUL), and no
    megabyte strings (the kernel caps one argument at 128 KiB)."""
    return strategy.map(lambda s: s.replace("\x00", "")[:100_000])


def run(world: World, *args: str, at: str | None = None) -> Result:
    """`whistle ARGS --json --at TIME` in-process; a usage error's SystemExit is its exit code."""
    world.capsys.readouterr()
    try:
        code = main([*args, "--json", "--at", at or world.at])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = world.capsys.readouterr()
    return Result(code, captured.out, captured.err)


def refused_in_one_line(world: World, result: Any) -> str:
    assert result.code == 2, f"exit {result.code}: {result.err[-500:]}"
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, f"{len(lines)} lines on stderr: {result.err[:300]!r}"
    assert lines[0].startswith("whistle: 未执行：") and "Traceback" not in result.err
    if result.out.strip():  # refused by Whistle, not by argparse: with --json, the code too
        assert result.data["code"] == "refused" and result.data["refusal"]
    assert len(lines[0]) < 700
    return str(lines[0])


def totals(world: World) -> tuple[int, int]:
    matters = world.ok("list", "--limit", "100000")
    notices = world.ok("notices")
    return len(matters), len(notices)


GOOD: dict[str, st.SearchStrategy[str]] = {
    "category": st.sampled_from(["wage_arrears", "neighbour", "family"]),
    "title": st.one_of(fair_text, storable_text),
    "description": st.one_of(fair_text, storable_text),
    "area": st.sampled_from(["T01V01", "T05", "和平社区"]),
    "name": st.one_of(fair_text, storable_text),
    "phone": st.sampled_from(["13812345678", "0472-1234567", "１３８１２３４５６７８"]),
    "id-number": st.just("11010519491231002x"),
    "people": st.sampled_from(["1", "3", "60"]),
    "flag": st.sampled_from(["minors", "elderly"]),
}
BAD: dict[str, st.SearchStrategy[str]] = {
    "category": hostile_text,
    "title": hostile_text,
    "description": hostile_text,
    "area": hostile_text,
    "name": hostile_text,
    "phone": phones,
    "id-number": id_numbers,
    "people": st.sampled_from(["0", "-1", "x", "1e3", "99999999999999999999"]),
    "flag": hostile_text,
}
OPTIONAL = ("id-number", "people", "flag")


@st.composite
def intake_values(draw: st.DrawFn) -> dict[str, str]:
    """A valid intake with up to two arguments replaced by hostile ones."""
    values = {k: draw(v) for k, v in GOOD.items() if k not in OPTIONAL}
    values |= {k: draw(GOOD[k]) for k in draw(st.sets(st.sampled_from(OPTIONAL)))}
    for key in draw(st.sets(st.sampled_from(sorted(BAD)), max_size=2)):
        values[key] = draw(BAD[key])
    return {k: draw(argv_text(st.just(v))) for k, v in values.items()}


@CLI
@given(values=intake_values())
def test_intake_from_the_command_line(world: World, values: dict[str, str]) -> None:
    before = totals(world)
    result = run(world, "intake", *(f"--{key}={value}" for key, value in values.items()))
    if result.code != 0:
        event("intake refused")
        refused_in_one_line(world, result)
        assert totals(world) == before
        return
    event("intake stored")
    doc = result.data
    for key in ("title", "description"):
        assert doc[key] == values[key].strip()
    assert world.ok("show", doc["number"]) == world.ok("show", doc["number"].lower())


ACTIONS: dict[str, list[st.SearchStrategy[str]]] = {
    "ack": [st.just("--department=justice")],
    "progress": [st.just("--department=hrss"), typed_text.map(lambda t: f"--note={t}")],
    "report": [st.just("--department=public_security"), typed_text.map(lambda t: f"--note={t}")],
    "return": [st.just("--department=justice"), typed_text.map(lambda t: f"--reason={t}")],
    "extension": [
        st.just("--department=hrss"),
        mostly(st.sampled_from(["5wd", "2h"]), hostile_text).map(lambda t: f"--length={t}"),
        typed_text.map(lambda t: f"--reason={t}"),
    ],
    "refer": [
        mostly(st.sampled_from(["hrss", "health"]), hostile_text).map(lambda t: f"--lead={t}"),
        mostly(st.just("justice"), hostile_text).map(lambda t: f"--co={t}"),
    ],
    "resolve": [
        st.just("--department=hrss"),
        mostly(st.just("handled"), hostile_text).map(lambda t: f"--outcome={t}"),
        typed_text.map(lambda t: f"--note={t}"),
    ],
    "feedback": [st.sampled_from(["--satisfied", "--unsatisfied"])],
}


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    name = draw(st.sampled_from(sorted(ACTIONS)))
    args = [draw(argv_text(part)) for part in ACTIONS[name]]
    extra = draw(
        st.sampled_from(
            [[], [], [], ["--department"], ["--bogus"], ["--department=hrss", "--department="]]
        )
    )
    return [name, *args, *extra]


@CLI
@given(
    argv=command_lines(),
    number=mostly(st.just("{n}"), argv_text(hostile_text)),
    at=mostly(st.just(None), st.one_of(any_time.map(lambda t: t.isoformat()), storable_text)),
)
def test_every_action_from_the_command_line(
    world: World, argv: list[str], number: str, at: str | None
) -> None:
    if not hasattr(world, "matter"):  # one matter per test, carried through the examples
        world.matter = world.intake(people=3)["number"]  # type: ignore[attr-defined]
    target = number.replace("{n}", world.matter)  # type: ignore[attr-defined]
    before = world.ok("show", world.matter)  # type: ignore[attr-defined]
    result = run(world, argv[0], target, *argv[1:], at=at)
    if result.code != 0:
        event(f"{argv[0]} refused")
        refused_in_one_line(world, result)
        assert world.ok("show", world.matter) == before  # type: ignore[attr-defined]
        return
    event(f"{argv[0]} done")
    assert result.data["number"] == world.matter  # type: ignore[attr-defined]
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    "argv",
    [
        ["intake", "--people=abc"],
        ["intake"],
        ["ack"],
        ["nonsense"],
        ["list", "--limit", "many"],
        ["feedback", "M20261126-0001", "--satisfied", "--unsatisfied"],
        ["show", "M20261126-0001", "--at", "2026-11-26T09:00+08:00", "--at"],
    ],
)
def test_a_mistyped_command_is_refused_in_one_line(world: World, argv: list[str]) -> None:
    world.capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = world.capsys.readouterr().err
    assert exit_.value.code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("whistle: 未执行：")
