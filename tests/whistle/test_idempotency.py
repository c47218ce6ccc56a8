"""Re-running is harmless: no flow, sweep or delivery doubles a transition or a notice, and a
step whose flow never ran still gets its notices out."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from sqlmodel import col, func, select

from engine.follow import carry_out
from models.tables import Event, Notice
from service import actions
from service.app import get_app
from service.notices.delivery import deliver_pending
from service.store.db import session
from tests.fixtures import World

NOW = datetime.fromisoformat("2026-11-26T11:00:00+08:00")


def _counts(number: str) -> tuple[dict[str, int], int]:
    app = get_app()
    with session(app.engine) as s:
        matter = actions.get_matter(s, number)
        rows = s.exec(
            select(Event.action, func.count())
            .where(Event.matter_id == matter.id)
            .group_by(col(Event.action))
        ).all()
        notices = s.exec(select(func.count()).where(Notice.matter_id == matter.id)).one()
    return dict(rows), notices


def test_rerunning_every_stage_doubles_nothing(world: World) -> None:
    number = world.intake()["number"]
    for dept in ("hrss", "justice", "public_security"):
        world.ok("ack", number, "--department", dept)
    for dept in ("justice", "public_security"):
        world.ok("report", number, "--department", dept, "--note", "ok")
    world.ok("resolve", number, "--department", "hrss", "--outcome", "handled", "--note", "ok")
    events, notices = _counts(number)
    received = len(world.http.requests) + len(world.smtp.messages)

    app = get_app()
    for stage in ("intake", "referral", "handling", "resolution", "feedback", "closing"):
        assert carry_out(app, stage, number, NOW).finished
    assert world.ok("sweep")["steps"] == []

    assert _counts(number) == (events, notices)
    assert len(world.http.requests) + len(world.smtp.messages) == received
    assert world.ok("show", number)["status"] == "resolved"


def test_step_whose_flow_never_ran_is_delivered_once_by_the_sweep(world: World) -> None:
    number = world.intake()["number"]
    app = get_app()
    with session(app.engine) as s:  # as if the process died right after the commit
        actions.return_matter(
            session=s, app=app, number=number, department="hrss", reason="不属于本部门职责", now=NOW
        )
    assert world.smtp.messages == []

    world.ok("sweep", at="2026-11-26T11:05:00+08:00")
    world.ok("sweep", at="2026-11-26T11:10:00+08:00")
    mails = world.smtp.wait_for(1)
    assert len(mails) == 1 and "退回" in mails[0].subject
    notified = [e for e in world.ok("show", number)["events"] if e["action"] == "notified"]
    assert [e["data"]["kind"] for e in notified].count("returned") == 1


def test_two_deliverers_at_once_send_each_notice_once(world: World) -> None:
    world.http.fail_with(500)  # the referral notices stay in the outbox, failed
    numbers = [world.intake(title=f"事项{i}", description="d")["number"] for i in range(4)]
    world.http.recover()
    first_try = len(world.http.requests)
    app = get_app()
    later = datetime.fromisoformat("2026-11-26T12:00:00+08:00")  # past every retry delay
    barrier = threading.Barrier(2)

    def deliver() -> None:
        barrier.wait()
        deliver_pending(app, now=later)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    delivered = world.http.requests[first_try:]
    paths = sorted(r.path for r in delivered)
    assert len(paths) == 3 * len(numbers), paths  # lead + two co-handlers each, once
    assert len({(r.path, r.json["title"]) for r in delivered}) == len(delivered)
    with session(app.engine) as s:
        statuses = s.exec(select(Notice.status)).all()
    assert set(statuses) == {"sent"}


def test_broken_configuration_exits_3_naming_file_and_key(world: World) -> None:
    routing = Path(world.folder) / "routing.yaml"
    routing.write_text(routing.read_text("utf-8").replace("lead: hrss", "lead: hrs", 1), "utf-8")
    from service import app as app_module

    app_module.reset()
    result = world.cli("init")
    assert result.code == 3 and result.refusal == "config_unknown"
    assert (
        result.data["params"]["key"].endswith(".lead") and result.data["params"]["value"] == "hrs"
    )
    assert "routing.yaml" in result.err and ".lead" in result.err and "“hrs”" in result.err
    assert result.err.startswith("whistle: 配置有误：")
