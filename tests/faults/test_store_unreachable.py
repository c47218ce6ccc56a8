"""The store unreachable for a while: PostgreSQL's connections cut and new ones refused (through
tests/faults/proxy.py), then restored on the same address."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.faults.proxy import TcpProxy
from tests.fixtures import World
from tests.properties import invariants

pytestmark = pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)

TABLES = ("matter", "citizen", "assignment", "event", "notice", "extension", "ladder_step")


def rows(direct: sa.engine.Engine) -> dict[str, int]:
    """Rows per table, read past the proxy."""
    with direct.connect() as conn:
        return {t: conn.execute(sa.text(f"select count(*) from {t}")).scalar_one() for t in TABLES}


def unreachable(result: Any) -> None:
    """Exit 5 and one line saying what happened and what to do."""
    assert result.code == 5, f"exit {result.code}: {result.err[-400:]}"
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("whistle: 无法连接事项库（")
    assert lines[0].endswith("未写入任何内容，请重试")
    assert "Traceback" not in result.err


@contextmanager
def on_commit(event: str, action: Callable[[], None], nth: int = 1) -> Iterator[None]:
    """Run `action` when the nth commit of the process reaches `event`
    (before_commit: the changes are flushed, COMMIT not sent; after_commit: it is done)."""
    count = 0

    def hook(session: Session) -> None:
        nonlocal count
        if session.in_nested_transaction():  # a savepoint's release is not a commit
            return
        count += 1
        if count == nth:
            action()

    sa.event.listen(Session, event, hook)
    try:
        yield
    finally:
        sa.event.remove(Session, event, hook)


def test_while_the_store_is_cut_every_command_says_try_again_and_writes_nothing(
    proxied_world: World, proxy: TcpProxy, direct: sa.engine.Engine
) -> None:
    """Proves: with PostgreSQL unreachable, every kind of command (an answer, an intake, a
    re-referral, a read, the sweep) exits 5 with one line saying nothing was written and to try
    again, and writes nothing; once the store is back the same process's engine reconnects by
    itself and the same commands succeed, each once."""
    w = proxied_world
    number = w.intake(people=3)["number"]
    w.http.wait_for(3)
    before = rows(direct)
    connections = proxy.connections

    proxy.cut()
    for args in (
        ["ack", number, "--department", "hrss"],
        [
            "intake",
            "--category=labour",
            "--title=t",
            "--description=d",
            "--area=T01V01",
            "--name=李四",
            "--phone=13900001111",
        ],
        ["refer", number, "--lead", "hrss", "--co", "justice"],
        ["show", number],
        ["list"],
        ["sweep"],
    ):
        unreachable(w.cli(*args, at="2026-11-26T09:30:00+08:00"))
    assert rows(direct) == before

    proxy.restore()
    doc = w.ok("ack", number, "--department", "hrss", at="2026-11-26T09:30:00+08:00")
    assert doc["status"] == "in_progress"
    assert proxy.connections > connections  # the pool noticed and reconnected
    w.ok("sweep", at="2026-11-26T09:35:00+08:00")
    events = [e["action"] for e in w.ok("show", number)["events"]]
    assert events.count("acknowledged") == 1 and events.count("referred") == 1
    assert len(w.http.requests) == 3  # nothing sent twice
    invariants.check(direct, [number])


def test_connection_lost_at_commit_leaves_nothing_half_written(
    proxied_world: World, proxy: TcpProxy, direct: sa.engine.Engine
) -> None:
    """Proves: when the connection dies with an action's changes flushed but not committed
    (the part's new status, the timeline event and its hash, the notice to the center), none
    of it is in the store; the clerk is told to try again, and the retry is recorded once."""
    w = proxied_world
    number = w.intake(people=3)["number"]
    w.http.wait_for(3)
    before = rows(direct)

    with on_commit("before_commit", proxy.cut):
        result = w.cli("return", number, "--department", "justice", "--reason", "非本部门职责")
    unreachable(result)
    assert rows(direct) == before
    with direct.connect() as conn:
        statuses = conn.execute(sa.text("select department, status from assignment")).all()
    assert ("justice", "referred") in statuses

    proxy.restore()
    w.ok("return", number, "--department", "justice", "--reason", "非本部门职责")
    returned = [e for e in w.ok("show", number)["events"] if e["action"] == "returned"]
    assert len(returned) == 1
    w.smtp.wait_for(1)
    assert len(w.smtp.messages) == 1  # the center's notice of the return, once
    invariants.check(direct, [number])


def test_store_lost_right_after_an_intake_the_sweep_finishes_it(
    proxied_world: World, proxy: TcpProxy, direct: sa.engine.Engine
) -> None:
    """Proves: when the store goes away just after an intake is committed, the command says
    the matter was recorded and must not be entered again (exit 0, no duplicate); the intake
    flow could not run, so nobody was summoned; after the store is back the sweep refers the
    matter by the rules and every department is notified exactly once."""
    w = proxied_world
    with on_commit("after_commit", proxy.cut):
        result = w.cli(
            "intake",
            "--category=wage_arrears",
            "--title=工地拖欠工资",
            "--description=三名工人两个月工资",
            "--area=T01V01",
            "--name=张三丰",
            "--phone=13812345678",
            "--people=3",
        )
    assert result.code == 0, result.err
    warning = result.err.strip().splitlines()[-1]
    assert warning.startswith("whistle: 注意：已记录") and "请勿重复操作" in warning
    with direct.connect() as conn:
        assert conn.execute(sa.text("select status from matter")).scalars().all() == ["received"]
    assert w.http.requests == []

    proxy.restore()
    swept = w.ok("sweep", at="2026-11-26T09:05:00+08:00")  # stuck for more than 2 minutes
    assert len(swept["referred"]) == 1
    number = swept["referred"][0]
    w.ok("sweep", at="2026-11-26T09:10:00+08:00")
    doc = w.ok("show", number)
    assert doc["status"] == "referred" and doc["lead_department"] == "hrss"
    paths = sorted(r.path for r in w.http.requests)
    assert paths == ["/dept/hrss", "/dept/justice", "/dept/public_security"]
    assert [e["action"] for e in doc["events"]].count("referred") == 1
    invariants.check(direct, [number])


def test_a_short_cut_inside_a_follow_up_is_ridden_out_by_its_retry(
    proxied_world: World, proxy: TcpProxy, direct: sa.engine.Engine
) -> None:
    """Proves: when the store drops out for a moment during an action's follow-up (right after
    the referral is committed, before its notices are sent), the follow-up is tried again (0.5 s
    later) and finishes in the same command: the departments are notified once, nothing is left
    for the sweep."""
    w = proxied_world
    blips: list[int] = []

    def blip() -> None:
        proxy.cut()
        blips.append(proxy.connections)
        threading.Timer(0.3, proxy.restore).start()

    with on_commit("after_commit", blip, nth=2):  # 1: the intake, 2: the referral by the rules
        doc = w.intake(people=3)
    assert blips and proxy.connections > blips[0]  # it was cut, and reconnected after
    assert doc["status"] == "referred"
    notices = w.ok("notices", "--number", doc["number"])
    assert {n["status"] for n in notices} == {"sent"} and len(notices) == 3
    assert sorted(r.path for r in w.http.requests) == [
        "/dept/hrss",
        "/dept/justice",
        "/dept/public_security",
    ]
    assert "warning" not in "".join(r.err for r in w.runs)
    invariants.check(direct, [doc["number"]])
